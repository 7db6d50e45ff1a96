"""The three findings from the trials' rows and per-instance scores: figures, intervals, verdicts."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ecomgpt.findings import stats
from ecomgpt.findings.config import FindingsConfig
from ecomgpt.findings.run import BASE, LABEL_ARMS, FindingsError, arm_key, curve_key, label_key
from ecomgpt.sweep.fit import fit_log_trend

CLAIMS = {
    "a": "Instruction tuning on e-commerce instruction data lifts the backbone's zero-shot scores on unseen "
         "e-commerce datasets and tasks.",
    "b": "The Chain-of-Task atomic tasks matter: at the same training budget, removing them lowers held-out scores.",
    "c": "Held-out scores rise with the number of training tasks more than with the number of samples per task.",
    "d": "Pseudo-labelled atomic tasks add to golden ones: at the same training budget, golden and pseudo-labelled "
         "atomic tasks together score higher than golden ones alone.",
}
RULES = {
    "a": "reproduced if the interval of fine-tuned − base lies above 0; not reproduced if it lies below 0; "
         "inconclusive otherwise",
    "b": "reproduced if the interval of with − without atomic tasks lies above 0; not reproduced if it lies "
         "below 0; inconclusive otherwise",
    "c": "reproduced if the intervals of the task-count slope and of slope(tasks) − slope(samples) both lie "
         "above 0; not reproduced if either lies below 0; inconclusive otherwise (slopes of score against "
         "ln x)",
    "d": "reproduced if the interval of both − golden lies above 0; not reproduced if it lies below 0; "
         "inconclusive otherwise (pseudo − golden is reported beside it)",
}


def _seeds(scores: Mapping[str, Any], keys: list[str]) -> list:
    missing = [key for key in keys if key not in scores]
    if missing:
        raise FindingsError(f"trials without scores: {', '.join(missing)}")
    return [scores[key] for key in keys]


def _difference(cfg: FindingsConfig, arms: dict[str, list], first: str, second: str) -> dict[str, Any]:
    boot = cfg.bootstrap
    reps = stats.replicates(arms, boot.resamples, boot.seed)
    out: dict[str, Any] = {name: stats.summary(stats.point_estimate(arms[name]), stats.interval(reps[name], boot.confidence))
                           for name in (first, second)}
    value = stats.point_estimate(arms[first]) - stats.point_estimate(arms[second])
    bounds = stats.interval(reps[first] - reps[second], boot.confidence)
    out["difference"] = stats.summary(value, bounds)
    out["seeds"] = {name: len(arms[name]) for name in (first, second)}
    return out


def _trained_on(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in ("train_tasks", "train_examples_per_task", "train_kinds", "train_label_kinds",
                                            "train_examples", "examples_seen", "train_tokens", "final_loss")}


def base_vs_tuned(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    tuned = [arm_key("with", seed) for seed in cfg.seeds]
    arms = {"base": _seeds(scores, [BASE]), "tuned": _seeds(scores, tuned)}
    out = _difference(cfg, arms, "tuned", "base")
    base = out["base"]["value"]
    out["ratio"] = round(out["tuned"]["value"] / base, 2) if base > 0 else None
    out["verdict"] = stats.sign_verdict(*out["difference"]["ci"])
    out["base_model"] = rows[BASE]["checkpoint"]
    return {"claim": CLAIMS["a"], "rule": RULES["a"], **out}


def atomic_ablation(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    with_keys = [arm_key("with", seed) for seed in cfg.seeds]
    without_keys = [arm_key("without", seed) for seed in cfg.seeds]
    arms = {"with": _seeds(scores, with_keys), "without": _seeds(scores, without_keys)}
    out = _difference(cfg, arms, "with", "without")
    out["verdict"] = stats.sign_verdict(*out["difference"]["ci"])
    out["trained_on"] = {
        "with": [_trained_on(rows[key]) for key in with_keys],
        "without": [_trained_on(rows[key]) for key in without_keys],
    }
    return {"claim": CLAIMS["b"], "rule": RULES["b"], **out}


def label_ablation(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    """(d) golden only, pseudo only and both, each arm's seeds resampled with the same instance draws."""
    keys = {arm: [label_key(arm, seed) for seed in cfg.seeds] for arm in LABEL_ARMS}
    arms = {arm: _seeds(scores, arm_keys) for arm, arm_keys in keys.items()}
    boot = cfg.bootstrap
    reps = stats.replicates(arms, boot.resamples, boot.seed)
    value = {arm: stats.point_estimate(arms[arm]) for arm in arms}
    out: dict[str, Any] = {arm: stats.summary(value[arm], stats.interval(reps[arm], boot.confidence)) for arm in arms}
    for name, first in (("difference", "both"), ("pseudo_minus_golden", "pseudo")):
        out[name] = stats.summary(value[first] - value["golden"],
                                  stats.interval(reps[first] - reps["golden"], boot.confidence))
    out["seeds"] = {arm: len(arms[arm]) for arm in arms}
    out["verdict"] = stats.sign_verdict(*out["difference"]["ci"])
    out["trained_on"] = {arm: [_trained_on(rows[key]) for key in arm_keys] for arm, arm_keys in keys.items()}
    return {"claim": CLAIMS["d"], "rule": RULES["d"], **out}


def _slope(xs: list[int], ys: np.ndarray, point_ys: list[float], confidence: float) -> tuple[np.ndarray, dict]:
    reps = stats.slopes(xs, ys)
    value = float(stats.slopes(xs, np.asarray([point_ys]))[0])
    return reps, stats.summary(value, stats.interval(reps, confidence))


def scaling_curves(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    boot = cfg.bootstrap
    fixed_s, fixed_n = cfg.task_curve.samples_per_task, cfg.samples_curve.n_tasks
    task_xs, sample_xs = cfg.task_curve.n_tasks, cfg.samples_curve.samples_per_task
    points = {(n, fixed_s) for n in task_xs} | {(fixed_n, s) for s in sample_xs}
    arms = {point: _seeds(scores, [curve_key(*point, seed) for seed in cfg.curve_seeds]) for point in sorted(points)}
    reps = stats.replicates(arms, boot.resamples, boot.seed)
    estimate = {point: stats.point_estimate(seeds) for point, seeds in arms.items()}

    def curve(axis: str, keys: list[tuple[int, int]], xs: list[int]) -> dict[str, Any]:
        values = [estimate[key] for key in keys]
        slope_reps, slope = _slope(xs, np.stack([reps[key] for key in keys], axis=1), values, boot.confidence)
        return {
            "points": [{axis: x, **stats.summary(estimate[key], stats.interval(reps[key], boot.confidence)),
                        "train_examples": rows[curve_key(*key, cfg.curve_seeds[0])].get("train_examples")}
                       for x, key in zip(xs, keys)],
            "slope": slope,
            "fit": fit_log_trend(xs, [100 * v for v in values]),
            "_reps": slope_reps,
        }

    tasks = curve("n_tasks", [(n, fixed_s) for n in task_xs], task_xs)
    samples = curve("samples_per_task", [(fixed_n, s) for s in sample_xs], sample_xs)
    difference = stats.summary(
        (tasks["slope"]["value"] - samples["slope"]["value"]) / 100,
        stats.interval(tasks.pop("_reps") - samples.pop("_reps"), boot.confidence),
    )
    verdict = stats.curve_verdict(tuple(tasks["slope"]["ci"]), tuple(difference["ci"]))
    return {
        "claim": CLAIMS["c"], "rule": RULES["c"],
        "task_curve": {"samples_per_task": fixed_s, **tasks},
        "samples_curve": {"n_tasks": fixed_n, **samples},
        "slope_difference": difference,
        "seeds": len(cfg.curve_seeds),
        "verdict": verdict,
    }


def analyse(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    """findings.json's `findings` (a, b, c, and d when the config has the label arms) and `trials` (one summary
    row per trial)."""
    findings = {
        "a": base_vs_tuned(cfg, rows, scores),
        "b": atomic_ablation(cfg, rows, scores),
        "c": scaling_curves(cfg, rows, scores),
    }
    if cfg.label_arms:
        findings["d"] = label_ablation(cfg, rows, scores)
    return {
        "metric": cfg.metric,
        "confidence": cfg.bootstrap.confidence,
        "findings": findings,
        "trials": [
            {key: row.get(key) for key in ("trial", "train", "n_tasks", "samples_per_task", "seed", "atomic",
                                            "label_kind", "avg_rouge_l", "avg_micro_f1", "train_examples", "examples_seen",
                                            "final_loss", "wall_s")}
            for row in rows.values()
        ],
    }
