"""Bootstrap intervals and verdict rules of `ecomgpt findings` (pure functions over per-instance scores).

A figure is the average over held-out tasks of the mean per-instance score, averaged over seeds. One
bootstrap replicate resamples each task's instances with replacement — the same draw for every arm, so
differences are paired — and each arm's seeds with replacement; an interval is the percentile interval
of the replicates. A verdict compares an interval with 0 (see `sign_verdict`, `curve_verdict`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

Scores = Mapping[str, Sequence[float]]  # task -> per-instance scores, in instance order

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


class StatsError(ValueError):
    """Arms that do not score the same instances cannot be compared."""


def _check(arms: Mapping[str, Sequence[Scores]]) -> list[str]:
    if not arms or any(not seeds for seeds in arms.values()):
        raise StatsError("every arm needs the scores of at least one seed")
    first = next(iter(next(iter(arms.values()))))
    tasks = sorted(first)
    for name, seeds in arms.items():
        for scores in seeds:
            if sorted(scores) != tasks or any(len(scores[t]) != len(first[t]) for t in tasks):
                raise StatsError(f"arm {name!r}: scores another set of held-out instances than the others")
    if any(len(first[t]) == 0 for t in tasks):
        raise StatsError("a held-out task with no instance has no score")
    return tasks


def point_estimate(seeds: Sequence[Scores]) -> float:
    """The figure itself: the mean over seeds of the average over tasks of the mean instance score."""
    return float(np.mean([np.mean([np.mean(s[t]) for t in sorted(s)]) for s in seeds]))


def replicates(arms: Mapping[str, Sequence[Scores]], resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Per arm, `resamples` bootstrap replicates of its figure (paired over instances across arms)."""
    tasks = _check(arms)
    rng = np.random.default_rng(seed)
    picks = {name: rng.integers(0, len(seeds), size=(resamples, len(seeds))) for name, seeds in arms.items()}
    out = {name: np.zeros(resamples) for name in arms}
    for task in tasks:
        n = len(next(iter(arms.values()))[0][task])
        draw = rng.integers(0, n, size=(resamples, n))
        for name, seeds in arms.items():
            matrix = np.asarray([scores[task] for scores in seeds], dtype=float)  # seeds × instances
            per_seed = matrix[:, draw].mean(axis=2).T  # resamples × seeds
            out[name] += np.take_along_axis(per_seed, picks[name], axis=1).mean(axis=1)
    return {name: values / len(tasks) for name, values in out.items()}


def interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def slopes(xs: Sequence[float], ys: np.ndarray) -> np.ndarray:
    """Least-squares slope b of y ≈ a + b·ln(x), for each row of `ys` (replicates × points)."""
    logs = np.log(np.asarray(xs, dtype=float))
    centred = logs - logs.mean()
    denominator = float((centred**2).sum())
    if denominator == 0:
        raise StatsError("a slope needs at least two distinct x values")
    ys = np.atleast_2d(ys)
    return (ys - ys.mean(axis=1, keepdims=True)) @ centred / denominator


def sign_verdict(low: float, high: float) -> str:
    """A claim that a difference is positive: reproduced when its whole interval is above 0, not
    reproduced when the whole interval is below 0, inconclusive when the interval holds 0."""
    if low > 0:
        return REPRODUCED
    if high < 0:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def curve_verdict(task_slope: tuple[float, float], slope_difference: tuple[float, float]) -> str:
    """(c): the score rises with the task count (slope interval above 0) and rises more than with samples
    per task (interval of slope(tasks) − slope(samples) above 0); not reproduced when either interval lies
    below 0; inconclusive otherwise."""
    if task_slope[0] > 0 and slope_difference[0] > 0:
        return REPRODUCED
    if task_slope[1] < 0 or slope_difference[1] < 0:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def summary(value: float, bounds: tuple[float, float]) -> dict[str, float | list[float]]:
    """A figure with its interval, as findings.json holds it (×100, like the paper's tables)."""
    return {"value": round(100 * value, 2), "ci": [round(100 * bounds[0], 2), round(100 * bounds[1], 2)]}
