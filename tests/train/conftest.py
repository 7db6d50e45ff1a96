"""Shared pieces of the training tests: the session's generated data, the tiny config, precision checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from safetensors import safe_open

from ecomgpt import precision
from ecomgpt.config import load_model
from ecomgpt.train.config import TrainConfig

TINY_YAML = Path(__file__).resolve().parents[2] / "configs" / "train" / "tiny.yaml"


@pytest.fixture(scope="session")
def train_data(generated_data) -> str:
    """The session's `generate` output (tests/conftest.py), as the training commands take it: a path string."""
    return str(generated_data)


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


def cpu_has_bf16() -> bool:
    with open(precision.CPUINFO, encoding="utf-8") as fh:
        return precision.cpu_has_bf16(precision.cpu_flags(fh.read()))


def weights_dtype(model_dir: Path) -> str:
    with safe_open(str(model_dir / "model.safetensors"), "pt") as fh:
        return str(fh.get_slice(next(iter(fh.keys()))).get_dtype())
