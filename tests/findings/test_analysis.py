"""The findings' trials, verdicts and report from hand-made trial scores (no training)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ecomgpt.config import ConfigError, load_model, parse_model
from ecomgpt.findings import stats
from ecomgpt.findings.analysis import analyse
from ecomgpt.findings.config import FindingsConfig
from ecomgpt.findings.report import PLOTS, markdown, write_report
from ecomgpt.findings.run import findings_points, sweep_config
from tests.conftest import REPO

CONFIGS = sorted((REPO / "configs" / "findings").glob("*.yaml"))


@pytest.fixture
def cfg(monkeypatch) -> FindingsConfig:
    monkeypatch.chdir(REPO)
    return load_model(FindingsConfig, REPO / "configs" / "findings" / "laptop.yaml")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_findings_config_plans_its_trials(path, monkeypatch):
    monkeypatch.chdir(REPO)
    from ecomgpt.sweep.run import _load_train_config

    cfg = load_model(FindingsConfig, path)
    sweep = sweep_config(cfg)
    _load_train_config(sweep.train, sweep.train_overrides)
    keys = [point.key for point in sweep.points]
    assert keys[0] == "base" and len(keys) == len(set(keys))


def test_the_laptop_points_share_the_curves_meeting_point(cfg):
    points = findings_points(cfg)
    keys = [p.key for p in points]
    curve = len(set(cfg.task_curve.n_tasks)) + len(set(cfg.samples_curve.samples_per_task)) - 1
    assert len(points) == 1 + 2 * len(cfg.seeds) + curve * len(cfg.curve_seeds)
    without = [p for p in points if p.key.startswith("atomic-without")]
    assert without and all(p.atomic is False and p.n_tasks is None for p in without)
    assert keys.count(f"tasks{cfg.samples_curve.n_tasks}-spt{cfg.task_curve.samples_per_task}-seed0") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"samples_curve": {"n_tasks": 5, "samples_per_task": [8, 16]}}, "must be one of task_curve.n_tasks"),
        ({"task_curve": {"n_tasks": [4], "samples_per_task": 4}}, "at least 2 distinct"),
        ({"task_curve": {"n_tasks": [2, 3, 6, 12], "samples_per_task": 8}}, r"matched rows.*\[16, 24, 48, 96\] rows"),
        ({"task_curve": {"n_tasks": [3, 24], "samples_per_task": 8}}, r"matched rows.*gives \[24, 96\]"),
        ({"seeds": [0, 0]}, "seeds must not repeat"),
        ({"metric": "micro_f1"}, "per-instance scores"),
        ({"ablation": {"samples": 3}}, "unknown key 'ablation.samples'"),
        ({"data": {"dir": "runs/x", "synth": {"records": 10}}}, "either data.dir"),
    ],
)
def test_bad_findings_configs_name_the_key(cfg, change, message):
    data = {**cfg.model_dump(exclude_unset=True), **change}
    with pytest.raises(ConfigError, match=message):
        parse_model(FindingsConfig, data, "findings.yaml")


def _scores(level: float, n: int = 10) -> dict[str, list[float]]:
    """Two tasks, instance scores spread around `level`."""
    return {task: [min(1.0, max(0.0, level + 0.02 * ((i % 5) - 2))) for i in range(n)] for task in ("t1", "t2")}


def _row(key: str, score: dict) -> dict:
    average = sum(sum(v) / len(v) for v in score.values()) / len(score)
    return {
        "trial": key,
        "train": key != "base",
        "avg_rouge_l": average,
        "avg_micro_f1": 0.0,
        "wall_s": 1.0,
        "checkpoint": f"/models/{key}",
        "train_tasks": ["x"],
        "train_examples": 8,
        "examples_seen": 16,
        "train_kinds": {"atomic": 5, "original": 3},
        "n_tasks": None,
        "samples_per_task": None,
        "seed": 0,
    }


def test_verdicts_follow_the_data(cfg, tmp_path):
    levels = {"base": 0.1}
    for seed in cfg.seeds:
        levels[f"atomic-with-seed{seed}"] = 0.5
        levels[f"atomic-without-seed{seed}"] = 0.5  # atomic tasks change nothing here
    for point in findings_points(cfg):
        if point.key.startswith("tasks"):
            # the score falls with the task count and rises with samples per task: (c) is contradicted
            levels[point.key] = 0.6 - 0.05 * point.n_tasks**0.5 + 0.002 * point.samples_per_task
    scores = {key: _scores(level) for key, level in levels.items()}
    rows = {key: _row(key, score) for key, score in scores.items()}
    report = analyse(cfg, rows, scores)
    a, b, c = (report["findings"][k] for k in "abc")
    assert a["verdict"] == "reproduced" and a["difference"]["ci"][0] > 0 and a["ratio"] == pytest.approx(5.0)
    assert b["verdict"] == "inconclusive" and b["difference"]["value"] == 0
    assert c["verdict"] == "not reproduced" and c["task_curve"]["slope"]["ci"][1] < 0
    assert [p["n_tasks"] for p in c["task_curve"]["points"]] == cfg.task_curve.n_tasks

    report.update(wall_s=12.0, trial_wall_s=10.0, heldout_dir="../shared/data/heldout")
    write_report(str(tmp_path), report)
    written = json.loads((tmp_path / "findings.json").read_text())
    assert written["findings"]["c"]["verdict"] == "not reproduced"
    text = (tmp_path / "findings.md").read_text()
    assert "**reproduced**" in text and "**not reproduced**" in text and "8 examples (5 atomic, 3 original)" in text
    for name in PLOTS.values():
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_a_missing_trial_is_named(cfg):
    scores = {"base": _scores(0.1)}
    with pytest.raises(ValueError, match="trials without scores: atomic-with-seed0"):
        analyse(cfg, {"base": _row("base", scores["base"])}, scores)


def test_label_arms_only_with_a_teacher(cfg):
    assert cfg.data.generate.teacher is None and not cfg.label_arms
    assert not [p for p in findings_points(cfg) if p.key.startswith("labels-")]
    data = cfg.model_dump(exclude_unset=True)
    data["data"]["generate"]["teacher"] = {"model": {"kind": "local", "model": "smollm2-135m-instruct"}}
    with_teacher = parse_model(FindingsConfig, data, "findings.yaml")
    points = {p.key: p for p in findings_points(with_teacher)}
    for seed in cfg.seeds:
        arms = {arm: points[f"labels-{arm}-seed{seed}"] for arm in ("golden", "pseudo", "both")}
        assert {arm: p.label_kind for arm, p in arms.items()} == {"golden": "golden", "pseudo": "pseudo", "both": None}
        assert all(
            p.atomic is True
            and p.samples_per_task == cfg.ablation.samples_per_task
            and p.n_tasks is None
            and p.seed == seed
            for p in arms.values()
        )
    off = with_teacher.model_copy(update={"label_ablation": False})
    assert not any(p.key.startswith("labels-") for p in findings_points(off))
    sweep = sweep_config(with_teacher)
    assert {p.key: p.label_kind for p in sweep.points}["labels-pseudo-seed0"] == "pseudo"


def test_golden_vs_pseudo_verdict_follows_the_data(cfg, tmp_path):
    cfg = cfg.model_copy(update={"label_ablation": True})
    levels = {"base": 0.1}
    for seed in cfg.seeds:
        levels.update(
            {
                f"atomic-with-seed{seed}": 0.5,
                f"atomic-without-seed{seed}": 0.4,
                f"labels-golden-seed{seed}": 0.4,
                f"labels-pseudo-seed{seed}": 0.3,
                f"labels-both-seed{seed}": 0.5,
            }
        )
    for point in findings_points(cfg):
        if point.key.startswith("tasks"):
            levels[point.key] = 0.3
    scores = {key: _scores(level) for key, level in levels.items()}
    rows = {key: _row(key, score) for key, score in scores.items()}
    rows["labels-both-seed0"]["train_label_kinds"] = {"golden": 6, "pseudo": 2}
    report = analyse(cfg, rows, scores)
    d = report["findings"]["d"]
    assert d["verdict"] == "reproduced" and d["difference"]["value"] == pytest.approx(10.0)
    assert d["pseudo_minus_golden"]["value"] == pytest.approx(-10.0) and d["pseudo_minus_golden"]["ci"][1] < 0
    assert d["seeds"] == {"golden": len(cfg.seeds), "pseudo": len(cfg.seeds), "both": len(cfg.seeds)}
    assert d["trained_on"]["both"][0]["train_label_kinds"] == {"golden": 6, "pseudo": 2}

    # the opposite data: pseudo labels hurt
    for seed in cfg.seeds:
        scores[f"labels-both-seed{seed}"] = _scores(0.3)
    assert analyse(cfg, rows, scores)["findings"]["d"]["verdict"] == "not reproduced"

    report.update(wall_s=12.0, trial_wall_s=10.0, heldout_dir="../shared/data/heldout")
    write_report(str(tmp_path), report)
    text = (tmp_path / "findings.md").read_text()
    assert (
        "| (d) |" in text and "(d) both labels (atomic tasks only)" in text and "6 golden-label, 2 pseudo-label" in text
    )
    assert json.loads((tmp_path / "findings.json").read_text())["findings"]["d"]["verdict"] == "reproduced"


def test_a_missing_label_arm_is_named(cfg):
    cfg = cfg.model_copy(update={"label_ablation": True})
    levels = {"base": 0.1, **{p.key: 0.4 for p in findings_points(cfg) if not p.key.startswith("labels-pseudo")}}
    scores = {key: _scores(level) for key, level in levels.items()}
    rows = {key: _row(key, score) for key, score in scores.items()}
    with pytest.raises(ValueError, match="trials without scores: labels-pseudo-seed0"):
        analyse(cfg, rows, scores)


def _noisy(level: float, rng: np.random.Generator, sizes=(4, 6, 3)) -> dict[str, list[float]]:
    """Three tasks of unequal sizes, instance scores spread around `level`."""
    return {f"t{i}": list(np.clip(level + rng.normal(0, 0.15, n), 0, 1)) for i, n in enumerate(sizes)}


def _noisy_report(cfg: FindingsConfig, seed: int = 0) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    levels = {"base": 0.1, **{p.key: 0.45 for p in findings_points(cfg) if p.key != "base"}}
    scores = {key: _noisy(level, rng) for key, level in levels.items()}
    return analyse(cfg, {key: _row(key, score) for key, score in scores.items()}, scores), scores


def test_power_is_stated_for_every_verdict(cfg, tmp_path):
    """With one seed: the (b) half-width and MDE by hand, the t interval of the paired instance differences
    (Satterthwaite over the unequal tasks), and the report's words for them."""
    one = cfg.model_copy(update={"seeds": [0], "curve_seeds": [0]})
    report, scores = _noisy_report(one)
    b = report["findings"]["b"]
    differences = {
        t: np.subtract(scores["atomic-with-seed0"][t], scores["atomic-without-seed0"][t]) for t in scores["base"]
    }
    parts = [np.var(d, ddof=1) / (len(d) * len(differences) ** 2) for d in differences.values()]
    variance = sum(parts)
    df = variance**2 / sum(part**2 / (len(d) - 1) for part, d in zip(parts, differences.values()))
    half = stats.t_quantile(0.975, df) * math.sqrt(variance)
    mde = (stats.t_quantile(0.975, df) + stats.t_quantile(0.8, df)) * math.sqrt(variance)
    assert b["power"]["half_width"] == pytest.approx(100 * half, abs=0.006)
    assert b["difference"]["half_width"] == b["power"]["half_width"]
    assert b["power"]["mde"] == pytest.approx(100 * mde, abs=0.006)
    assert b["power"]["seeds"] == 1 and b["power"]["seed_share"] == 0
    for key in "abc":
        assert report["findings"][key]["power"]
    assert report["family"] == {"verdicts": 3, "false_reproduced_at_most": 0.075}
    assert report["heldout"] == {"tasks": 3, "instances": {"t0": 4, "t1": 6, "t2": 3}}

    report.update(wall_s=12.0, trial_wall_s=10.0, heldout_dir="../shared/data/heldout")
    text = markdown(report)
    assert b["verdict"] == "inconclusive"
    assert f"**inconclusive**: no effect larger than ±{b['power']['mde']:.2f} detectable at this size" in text
    assert "at most 3 × 2.5 % = 7.5 %" in text
    assert "(a), (b), (c): one seed, so these intervals hold instance noise only" in text
    assert "resampled" not in text
    assert "n = 3, 12 tasks at 8 samples per task" in text and "24, 96 training rows at each step" in text


def test_two_seeds_are_said_to_be_paired(cfg):
    two = cfg.model_copy(update={"label_ablation": True, "seeds": [0, 1], "curve_seeds": [0, 1]})
    report, _ = _noisy_report(two, seed=1)
    report.update(wall_s=12.0, trial_wall_s=10.0, heldout_dir="../shared/data/heldout")
    text = markdown(report)
    assert "(a), (b), (d), (c): 2 seeds, paired across arms" in text and "with 1 degree(s) of freedom" in text
    assert report["family"]["verdicts"] == 4 and "at most 4 × 2.5 % = 10.0 %" in text
    b = report["findings"]["b"]
    assert b["power"]["seeds"] == 2 and 0 <= b["power"]["seed_share"] <= 1
    assert b["power"]["mde"] > b["power"]["half_width"] > 0
