"""Scaling trends: score ≈ a + b·log(x) by least squares, with R², over a sweep's trials."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def fit_log_trend(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float | int | None]:
    """{"a", "b", "r2", "points"} of y ≈ a + b·ln(x).

    One distinct x gives b = 0 and a = mean(y). R² is None when y is constant (nothing to explain); the
    coefficients are finite for any finite input.
    """
    if len(xs) != len(ys) or not xs:
        raise ValueError("a trend needs the same positive number of x and y values")
    if any(x <= 0 for x in xs):
        raise ValueError("log trends need x > 0")
    logs = [math.log(x) for x in xs]
    n = len(xs)
    mean_l, mean_y = sum(logs) / n, sum(ys) / n
    var_l = sum((v - mean_l) ** 2 for v in logs)
    b = 0.0 if var_l == 0 else sum((v - mean_l) * (y - mean_y) for v, y in zip(logs, ys)) / var_l
    a = mean_y - b * mean_l
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - (a + b * v)) ** 2 for v, y in zip(logs, ys))
    r2 = None if ss_tot == 0 else 1 - ss_res / ss_tot
    return {"a": a, "b": b, "r2": r2, "points": n}


def grid_rows(rows: list[dict]) -> list[dict]:
    """The trials with a task count and a per-task cap (base points and uncapped mixtures have no place on
    the curves)."""
    return [row for row in rows if row.get("train", True) and row.get("n_tasks") and row.get("samples_per_task")]


def fit_table(rows: list[dict], metric: str = "rouge_l") -> dict[str, Any]:
    """The trend of the average held-out `metric` against n_tasks and against samples_per_task (None: no
    trial has both)."""
    rows = grid_rows(rows)
    ys = [row[f"avg_{metric}"] for row in rows]
    return {
        "metric": metric,
        "n_tasks": fit_log_trend([row["n_tasks"] for row in rows], ys) if rows else None,
        "samples_per_task": fit_log_trend([row["samples_per_task"] for row in rows], ys) if rows else None,
    }
