"""Precision `auto` end to end on a CPU without bf16 (forced). What this CPU runs with `auto` is checked
by the ZeRO-2 run (tests/train/test_run.py), LoRA's ZeRO-3 run (test_lora.py) and the backbone's LoRA run
(test_backbone.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ecomgpt import precision

from .conftest import TINY_YAML, weights_dtype

pytestmark = pytest.mark.slow


def cli(args: list[str], env: dict) -> None:
    """A command in its own process with its own local Ray, whose workers inherit `env`."""
    done = subprocess.run(
        [sys.executable, "-m", "ecomgpt.cli", *args, "--address", "local"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def test_a_cpu_without_bf16_trains_and_generates_in_fp32(train_data, tmp_path):
    env = {**os.environ, precision.NATIVE_ENV: "0"}
    train, evaluate = tmp_path / "train", tmp_path / "evaluate"
    cli(
        [
            "train",
            "--config",
            str(TINY_YAML),
            "--data",
            train_data,
            "--output",
            str(train),
            "--set",
            "deepspeed.precision=auto",
            "--set",
            "max_steps=2",
            "--set",
            "num_workers=1",
            "--set",
            "data.mixture.n_tasks=2",
            "--set",
            "data.mixture.samples_per_task=8",
            "--set",
            "final_checkpoint=false",
        ],
        env,
    )
    manifest = json.loads((train / "manifest.json").read_text())
    # No checkpoint at the end, and the manifest still has the run's figures.
    assert manifest["checkpoint"] is None and manifest["counts"]["step"] == 2 and manifest["final_loss"] > 0
    assert manifest["config"]["deepspeed"]["precision"] == "auto"
    assert manifest["precision"] == "fp32"
    assert weights_dtype(train / "model") == "F32"
    cli(
        [
            "evaluate",
            "--model",
            str(train / "model"),
            "--heldout-dir",
            train_data,
            "--output",
            str(evaluate),
            "--limit",
            "2",
        ],
        env,
    )
    evaluated = json.loads((evaluate / "manifest.json").read_text())
    assert evaluated["config"]["generation"]["dtype"] == "auto"
    assert evaluated["dtype"] == "float32"
