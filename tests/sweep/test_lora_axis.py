"""The LoRA rank as a sweep axis: one trial set per rank, each trial's training config with that rank."""

from __future__ import annotations

import pytest

from ecomgpt.config import ConfigError, parse_model
from ecomgpt.sweep.config import SweepConfig
from ecomgpt.sweep.results import csv_text
from ecomgpt.sweep.run import _load_train_config, plan_sweep, trial_key, trial_points, trial_train_data
from ecomgpt.train.config import TrainConfig
from tests.conftest import REPO

TINY = str(REPO / "configs" / "train" / "tiny.yaml")


def _cfg(**extra) -> SweepConfig:
    return SweepConfig.model_validate(
        {"train": TINY, "grid": {"n_tasks": [2], "samples_per_task": [8], "lora_r": [16, 4, 16]}, **extra}
    )


def test_each_rank_is_a_trial_set_whose_training_config_has_that_rank():
    cfg = _cfg()
    assert cfg.grid.lora_r == [4, 16]
    train = _load_train_config(TINY, {})
    points = trial_points(cfg, [TINY])
    assert [p["lora_r"] for p in points] == [4, 16]
    trained = [parse_model(TrainConfig, trial_train_data(train, p), TINY) for p in points]
    assert [c.lora.r for c in trained] == [4, 16] and all(c.lora.alpha == 32 for c in trained)
    assert [c.data.mixture.n_tasks for c in trained] == [2, 2]
    assert [trial_key(p, False) for p in points] == ["r4-tasks2-spt8-seed0", "r16-tasks2-spt8-seed0"]
    row = {"trial": "t", "train_config": TINY, "n_tasks": 2, "samples_per_task": 8, "seed": 0, "lora_r": 4, "tasks": {}}
    assert csv_text([row]).splitlines()[0].split(",")[:6] == [
        "trial",
        "train_config",
        "n_tasks",
        "samples_per_task",
        "seed",
        "lora_r",
    ]
    assert [p["lora_r"] for p in trial_points(_cfg(grid={"n_tasks": [2], "samples_per_task": [8]}), [TINY])] == [None]


def test_an_explicit_point_may_name_its_rank():
    cfg = SweepConfig.model_validate(
        {
            "train": TINY,
            "points": [
                {"key": "lora4", "n_tasks": 2, "samples_per_task": 8, "lora_r": 4},
                {"key": "full", "n_tasks": 2},
            ],
        }
    )
    train = _load_train_config(TINY, {})
    points = trial_points(cfg, [TINY])
    trained = [parse_model(TrainConfig, trial_train_data(train, p), TINY) for p in points]
    assert trained[0].lora.r == 4 and trained[1].lora is None  # tiny.yaml trains in full


def test_a_rank_the_training_config_cannot_take_fails_before_any_trial(tmp_path):
    cfg = _cfg(train_overrides={"model": {"train_layers": 1}})
    with pytest.raises(ConfigError, match="(?s)trial r4-tasks2-spt8-seed0.*model.train_layers and lora"):
        plan_sweep(cfg, str(tmp_path / "data"), str(tmp_path / "out"))
    with pytest.raises(ValueError, match="grid.lora_r values must be positive"):
        _cfg(grid={"n_tasks": [2], "samples_per_task": [8], "lora_r": [0]})
