"""Shared fixtures of the training tests: generated instruction data, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomgpt.cli import main
from ecomgpt.config import load_model
from ecomgpt.train.config import TrainConfig

TINY_YAML = Path(__file__).resolve().parents[2] / "configs" / "train" / "tiny.yaml"


@pytest.fixture(scope="session")
def train_data(ray_local, tmp_path_factory) -> str:
    """`synth` -> `generate` output: about 20 examples for each of the held-in tasks."""
    root = tmp_path_factory.mktemp("train_data")
    assert main(["synth", "--records", "600", "--seed", "0", "--out", str(root / "records")]) == 0
    args = ["generate", "--input", str(root / "records"), "--output", str(root / "data"), "--samples-per-task", "20"]
    assert main(args) == 0
    return str(root / "data")


def tiny_config(path: Path = TINY_YAML, **updates) -> TrainConfig:
    """tiny.yaml (or another training config) with a fixed small mixture (4 tasks x 4 examples), 16 steps, a
    checkpoint every 8, and the given top-level fields (a mapping updates a section key by key)."""
    data = load_model(TrainConfig, path).model_dump()
    data["data"]["mixture"].update({"n_tasks": 4, "samples_per_task": 4})
    data.update({"checkpoint_every": 8, "max_steps": 16, "keep_checkpoints": 2})
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return TrainConfig.model_validate(data)
