"""Scaling-trend fit, results table and plots: pure functions over trial rows."""

from __future__ import annotations

import math

import pytest

from ecomgpt.sweep.fit import fit_log_trend, fit_table
from ecomgpt.sweep.results import csv_text, summary_markdown, write_results


def _row(n: int, s: int, score: float, seed: int = 0) -> dict:
    return {
        "trial": f"tasks{n}-spt{s}-seed{seed}",
        "train_config": "configs/train/tiny.yaml",
        "n_tasks": n,
        "samples_per_task": s,
        "seed": seed,
        "avg_rouge_l": score,
        "avg_micro_f1": score / 2,
        "tasks": {"a.x": {"n": 4, "rouge_l": score}, "b.gen": {"n": 4, "rouge_l": score, "micro_f1": 0.1}},
        "train_examples": n * s,
        "train_tokens": 1000 * n,
        "final_loss": 2.5,
        "wall_s": 30.0,
        "checkpoint": f"/runs/t{n}/model",
    }


def test_exact_log_trend_is_recovered():
    xs = [1, 2, 4, 8, 16]
    fit = fit_log_trend(xs, [0.1 + 0.05 * math.log(x) for x in xs])
    assert fit["a"] == pytest.approx(0.1, abs=1e-12)
    assert fit["b"] == pytest.approx(0.05, abs=1e-12)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-12)
    assert fit["points"] == 5


def test_noisy_trend_r2_hand_computed():
    # ln x = 0, ln e = 1, ln e^2 = 2; y = 0, 2, 1: b = 0.5, a = 0.5, residuals -0.5, 1, -0.5 -> R² = 1 - 1.5/2.
    fit = fit_log_trend([1, math.e, math.e**2], [0, 2, 1])
    assert (fit["a"], fit["b"]) == (pytest.approx(0.5), pytest.approx(0.5))
    assert fit["r2"] == pytest.approx(0.25)


def test_degenerate_inputs_keep_finite_coefficients():
    same_x = fit_log_trend([4, 4, 4], [0.1, 0.2, 0.3])
    assert same_x["b"] == 0 and same_x["a"] == pytest.approx(0.2)
    constant = fit_log_trend([1, 2, 4], [0.3, 0.3, 0.3])
    assert constant["r2"] is None and constant["b"] == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match="x > 0"):
        fit_log_trend([0, 1], [0, 1])


def test_fit_table_uses_both_axes():
    rows = [_row(n, s, 0.1 * n + 0.01 * s) for n in (2, 4) for s in (10, 20)]
    fit = fit_table(rows)
    assert fit["metric"] == "rouge_l"
    assert fit["n_tasks"]["b"] > 0 and fit["samples_per_task"]["b"] > 0
    assert all(math.isfinite(fit[axis][k]) for axis in ("n_tasks", "samples_per_task") for k in ("a", "b"))


def test_csv_has_one_row_per_trial_and_per_task_columns():
    text = csv_text([_row(2, 10, 0.3), _row(4, 10, 0.4)])
    lines = text.splitlines()
    assert len(lines) == 3
    header = lines[0].split(",")
    assert header[:5] == ["trial", "train_config", "n_tasks", "samples_per_task", "seed"]
    assert "rouge_l[a.x]" in header and "micro_f1[b.gen]" in header and "n[a.x]" not in header
    assert lines[2].startswith("tasks4-spt10-seed0,configs/train/tiny.yaml,4,10,0,,0.4,")  # no LoRA rank


def test_write_results_writes_every_file(tmp_path):
    rows = [_row(n, s, 0.05 * n + 0.001 * s) for n in (2, 6) for s in (8, 32)]
    fit = write_results(str(tmp_path), rows, "rouge_l", 123.0)
    for name in ("results.json", "results.csv", "fit.json", "summary.md"):
        assert (tmp_path / name).stat().st_size > 0
    for name in ("rouge_l_vs_n_tasks.png", "rouge_l_vs_samples_per_task.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    summary = summary_markdown(rows, fit, 123.0)
    assert summary.startswith("# Scaling sweep: 4 trials, 120 s of trial time (this run: 123 s)")
    assert summary.count("\n| ") == 5  # header + 4 trials
