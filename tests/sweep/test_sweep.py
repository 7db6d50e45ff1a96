"""`ecomgpt sweep`: the 2×2 smoke sweep on a local Ray, resume, and every check before trials start."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest
import yaml

from ecomgpt.cli import main
from ecomgpt.config import ConfigError, load_model, parse_model
from ecomgpt.sweep.config import SweepConfig
from ecomgpt.sweep.run import SweepError, plan_sweep
from tests.conftest import REPO

SMOKE = REPO / "configs" / "sweep" / "smoke.yaml"


@pytest.fixture(scope="module")
def sweep_data(generated_data) -> Path:
    return generated_data


@pytest.fixture(scope="module")
def smoke_cfg(monkeypatch_module) -> SweepConfig:
    return load_model(SweepConfig, SMOKE)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)  # the smoke config names its training config relative to the repository
        yield patch


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "sweep").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_sweep_config_and_its_training_configs_validate(path, monkeypatch_module):
    cfg = load_model(SweepConfig, path)
    from ecomgpt.sweep.run import _load_train_config

    for train in cfg.train_files:
        _load_train_config(train, cfg.train_overrides)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grid": {"n_tasks": [2], "samples_per_task": [0]}}, "samples_per_task values must be positive"),
        ({"grid": {"n_tasks": [], "samples_per_task": [4]}}, "n_tasks needs at least one value"),
        ({"grid": {"n_tasks": [2], "samples_per_task": [4], "sizes": [1]}}, "unknown key 'grid.sizes'"),
        ({"evaluate": {"beams": 2}}, "unknown key 'evaluate.beams'"),
        ({"metric": "bleu"}, "metric must be rouge_l"),
        ({"points": [{"key": "a"}]}, "give either grid or points"),
        ({"grid": None, "points": [{"key": "a"}, {"key": "a", "seed": 1}]}, r"keys must not repeat; repeated: \['a'\]"),
        ({"grid": None, "points": [{"key": "../a"}]}, "points.0.key"),
        ({"grid": None, "points": [{"key": "a", "atomic": "maybe"}]}, "points.0.atomic"),
    ],
)
def test_bad_sweep_configs_name_the_key(smoke_cfg, change, message):
    data = {**smoke_cfg.model_dump(), **change}
    with pytest.raises(ConfigError, match=message):
        parse_model(SweepConfig, data, "sweep.yaml")


def test_a_training_override_unknown_to_the_schema_is_an_error(smoke_cfg, sweep_data, tmp_path):
    cfg = smoke_cfg.model_copy(update={"train_overrides": {"optim": {"learning_rate": 1.0}}})
    with pytest.raises(ConfigError, match="unknown key 'optim.learning_rate'"):
        plan_sweep(cfg, str(sweep_data), str(tmp_path / "out"))


def test_grid_and_data_are_checked_before_any_trial(smoke_cfg, sweep_data, tmp_path):
    too_many = smoke_cfg.model_copy(update={"grid": smoke_cfg.grid.model_copy(update={"n_tasks": [2, 999]})})
    with pytest.raises(SweepError, match=r"grid.n_tasks asks for 999 tasks but .* holds \d+ held-in tasks"):
        plan_sweep(too_many, str(sweep_data), str(tmp_path / "a"))
    empty = tmp_path / "data"
    empty.mkdir()
    with pytest.raises(SweepError, match="no held-in tasks"):
        plan_sweep(smoke_cfg, str(empty), str(tmp_path / "b"))
    no_heldout = tmp_path / "no_heldout"
    shutil.copytree(sweep_data / "held_in", no_heldout / "held_in")
    with pytest.raises(SweepError, match="no held-out tasks"):
        plan_sweep(smoke_cfg, str(no_heldout), str(tmp_path / "c"))


def test_a_resumed_sweep_may_change_its_trials_but_not_its_recipe(smoke_cfg, sweep_data, tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps({"config": smoke_cfg.model_dump(mode="json")}))
    more_seeds = smoke_cfg.model_copy(update={"grid": smoke_cfg.grid.model_copy(update={"seeds": [0, 1]})})
    plan = plan_sweep(more_seeds, str(sweep_data), str(out), resume=True)
    assert len(plan.points) == 8 and len({p["key"] for p in plan.points}) == 8
    longer = smoke_cfg.model_copy(update={"train_overrides": {**smoke_cfg.train_overrides, "max_steps": 9}})
    with pytest.raises(SweepError, match="trains or evaluates differently"):
        plan_sweep(longer, str(sweep_data), str(out), resume=True)


def _run(capsys, config: Path, data: Path, out: Path, *extra: str) -> str:
    """`ecomgpt sweep` as a user types it in the repository: every path relative to it."""
    paths = [os.path.relpath(path, REPO) for path in (config, data, out)]
    code = main(["sweep", "--config", paths[0], "--data", paths[1], "--output", paths[2], *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-3000:]
    return captured.out


def _points(*points: tuple[int, int]) -> dict:
    """The smoke sweep's recipe with explicit trials (n_tasks, samples_per_task) keyed as its grid keys them."""
    data = yaml.safe_load(SMOKE.read_text())
    del data["grid"]
    data["points"] = [{"key": f"tasks{n}-spt{s}-seed0", "n_tasks": n, "samples_per_task": s} for n, s in points]
    return data


@pytest.mark.slow
def test_a_sweep_with_relative_paths_then_resumed_with_a_trial_more(
    sweep_data, tmp_path, capsys, ray_local, monkeypatch_module
):
    """Two trials, then `--resume` with a third: the finished two are left as they are, the new one runs; the
    table, plots and fit cover all three. Relative paths, as Tune moves each trial into its own directory."""
    config, out = tmp_path / "sweep.yaml", tmp_path / "sweep"
    config.write_text(yaml.safe_dump(_points((2, 8), (6, 8))))
    printed = _run(capsys, config, sweep_data, out)
    assert "# Scaling sweep: 2 trials" in printed
    with pytest.raises(SystemExit):  # the same output without --resume is refused by the CLI's error path
        raise SystemExit(main(["sweep", "--config", str(config), "--data", str(sweep_data), "--output", str(out)]))
    assert "pass --resume" in capsys.readouterr().err

    kept = {p: p.stat().st_mtime_ns for p in (out / "trials").glob("*/result.json")}
    assert len(kept) == 2
    config.write_text(yaml.safe_dump(_points((2, 8), (6, 8), (2, 32))))
    printed = _run(capsys, config, sweep_data, out, "--resume")
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    assert (out / "trials" / "tasks2-spt32-seed0" / "result.json").is_file()

    rows = json.loads((out / "results.json").read_text())
    assert [(r["n_tasks"], r["samples_per_task"]) for r in rows] == [(2, 8), (2, 32), (6, 8)]  # sorted
    for row in rows:
        assert 0 <= row["avg_rouge_l"] <= 1 and row["train_tokens"] > 0 and math.isfinite(row["final_loss"])
        assert len(row["train_tasks"]) == row["n_tasks"]
        assert Path(row["checkpoint"], "config.json").is_file()
        assert set(row["tasks"]) == {
            "product.item_alignment",
            "product.title_generation",
            "query.query_item_matching",
            "review.topic_classification",
        }
    by_point = {(r["n_tasks"], r["samples_per_task"]): r for r in rows}
    assert set(by_point[(2, 8)]["train_tasks"]) <= set(by_point[(6, 8)]["train_tasks"])  # nested draws
    assert by_point[(2, 8)]["train_examples"] < by_point[(2, 32)]["train_examples"]
    assert len((out / "results.csv").read_text().splitlines()) == 4
    fit = json.loads((out / "fit.json").read_text())
    for axis in ("n_tasks", "samples_per_task"):
        assert fit[axis]["points"] == 3 and math.isfinite(fit[axis]["a"]) and math.isfinite(fit[axis]["b"])
    for plot in ("rouge_l_vs_n_tasks.png", "rouge_l_vs_samples_per_task.png"):
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    assert "# Scaling sweep: 3 trials" in printed
