"""The three findings from the trials' rows and per-instance scores: figures, intervals, verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecomgpt.findings import stats
from ecomgpt.findings.config import FindingsConfig
from ecomgpt.findings.keys import BASE, LABEL_ARMS, FindingsError, arm_key, curve_key, label_key
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


def _figures(cfg: FindingsConfig, arms: dict[str, list], names) -> dict[str, Any]:
    """Each named arm's figure with its interval."""
    return {name: stats.summary(stats.contrast(arms, {name: 1.0}, cfg.intervals.confidence)) for name in names}


def _decide(cfg: FindingsConfig, arms: dict[str, list], first: str, second: str) -> tuple[dict, str, dict]:
    """first − second: its summary, the sign verdict on its interval, its power figures."""
    estimate = stats.contrast(arms, {first: 1.0, second: -1.0}, cfg.intervals.confidence)
    return stats.summary(estimate), stats.sign_verdict(*estimate.bounds), stats.power(estimate)


def _difference(cfg: FindingsConfig, arms: dict[str, list], first: str, second: str) -> dict[str, Any]:
    out: dict[str, Any] = _figures(cfg, arms, (first, second))
    out["difference"], out["verdict"], out["power"] = _decide(cfg, arms, first, second)
    out["seeds"] = {name: len(arms[name]) for name in (first, second)}
    return out


def _trained_on(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: row.get(key)
        for key in (
            "train_tasks",
            "train_examples_per_task",
            "train_kinds",
            "train_label_kinds",
            "train_examples",
            "examples_seen",
            "train_tokens",
            "final_loss",
        )
    }


def base_vs_tuned(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    tuned = [arm_key("with", seed) for seed in cfg.seeds]
    arms = {"base": _seeds(scores, [BASE]), "tuned": _seeds(scores, tuned)}
    out = _difference(cfg, arms, "tuned", "base")
    base = out["base"]["value"]
    out["ratio"] = round(out["tuned"]["value"] / base, 2) if base > 0 else None
    out["base_model"] = rows[BASE]["checkpoint"]
    return {"claim": CLAIMS["a"], "rule": RULES["a"], **out}


def atomic_ablation(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    with_keys = [arm_key("with", seed) for seed in cfg.seeds]
    without_keys = [arm_key("without", seed) for seed in cfg.seeds]
    arms = {"with": _seeds(scores, with_keys), "without": _seeds(scores, without_keys)}
    out = _difference(cfg, arms, "with", "without")
    out["trained_on"] = {
        "with": [_trained_on(rows[key]) for key in with_keys],
        "without": [_trained_on(rows[key]) for key in without_keys],
    }
    return {"claim": CLAIMS["b"], "rule": RULES["b"], **out}


def label_ablation(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    """(d) golden only, pseudo only and both, seeds paired across the three arms."""
    keys = {arm: [label_key(arm, seed) for seed in cfg.seeds] for arm in LABEL_ARMS}
    arms = {arm: _seeds(scores, arm_keys) for arm, arm_keys in keys.items()}
    out: dict[str, Any] = _figures(cfg, arms, arms)
    out["difference"], out["verdict"], out["power"] = _decide(cfg, arms, "both", "golden")
    out["pseudo_minus_golden"] = _decide(cfg, arms, "pseudo", "golden")[0]
    out["seeds"] = {arm: len(arms[arm]) for arm in arms}
    out["trained_on"] = {arm: [_trained_on(rows[key]) for key in arm_keys] for arm, arm_keys in keys.items()}
    return {"claim": CLAIMS["d"], "rule": RULES["d"], **out}


def scaling_curves(cfg: FindingsConfig, rows: Mapping[str, dict], scores: Mapping[str, Any]) -> dict[str, Any]:
    """(c) slopes of score against ln(x) along both curves, as contrasts over the curve points, whose seeds
    are paired (seed s draws the nested tasks of every point)."""
    confidence = cfg.intervals.confidence
    fixed_s, fixed_n = cfg.task_curve.samples_per_task, cfg.samples_curve.n_tasks
    task_xs, sample_xs = cfg.task_curve.n_tasks, cfg.samples_curve.samples_per_task
    task_keys, sample_keys = [(n, fixed_s) for n in task_xs], [(fixed_n, s) for s in sample_xs]
    arms = {
        point: _seeds(scores, [curve_key(*point, seed) for seed in cfg.curve_seeds])
        for point in dict.fromkeys(task_keys + sample_keys)
    }
    figure = {point: stats.contrast(arms, {point: 1.0}, confidence) for point in arms}
    weights = {
        "tasks": dict(zip(task_keys, stats.slope_weights(task_xs))),
        "samples": dict(zip(sample_keys, stats.slope_weights(sample_xs))),
    }
    difference_weights = dict(weights["tasks"])
    for point, weight in weights["samples"].items():
        difference_weights[point] = difference_weights.get(point, 0.0) - weight
    task_slope = stats.contrast(arms, weights["tasks"], confidence)
    difference = stats.contrast(arms, difference_weights, confidence)

    def curve(axis: str, keys: list[tuple[int, int]], xs: list[int], slope: stats.Estimate) -> dict[str, Any]:
        return {
            "points": [
                {
                    axis: x,
                    **stats.summary(figure[key]),
                    "rows": key[0] * key[1],
                    "train_examples": rows[curve_key(*key, cfg.curve_seeds[0])].get("train_examples"),
                }
                for x, key in zip(xs, keys)
            ],
            "slope": stats.summary(slope),
            "fit": fit_log_trend(xs, [100 * figure[key].value for key in keys]),
        }

    seen = rows[curve_key(*task_keys[0], cfg.curve_seeds[0])].get("examples_seen")
    return {
        "claim": CLAIMS["c"],
        "rule": RULES["c"],
        "task_curve": {"samples_per_task": fixed_s, **curve("n_tasks", task_keys, task_xs, task_slope)},
        "samples_curve": {
            "n_tasks": fixed_n,
            **curve("samples_per_task", sample_keys, sample_xs, stats.contrast(arms, weights["samples"], confidence)),
        },
        "slope_difference": stats.summary(difference),
        "design": {"rows": [n * fixed_s for n in task_xs], "examples_seen": seen},
        "seeds": len(cfg.curve_seeds),
        "verdict": stats.curve_verdict(task_slope.bounds, difference.bounds),
        "power": {"task_slope": stats.power(task_slope), "slope_difference": stats.power(difference)},
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
    confidence = cfg.intervals.confidence
    instances = {task: len(values) for task, values in scores[BASE].items()}
    return {
        "metric": cfg.metric,
        "heldout": {"tasks": len(instances), "instances": instances},
        "confidence": confidence,
        "findings": findings,
        "family": {
            "verdicts": len(findings),
            "false_reproduced_at_most": round(stats.false_reproduced_bound(len(findings), confidence), 4),
        },
        "trials": [
            {
                key: row.get(key)
                for key in (
                    "trial",
                    "train",
                    "n_tasks",
                    "samples_per_task",
                    "seed",
                    "atomic",
                    "label_kind",
                    "avg_rouge_l",
                    "avg_micro_f1",
                    "train_examples",
                    "examples_seen",
                    "final_loss",
                    "wall_s",
                )
            }
            for row in rows.values()
        ],
    }
