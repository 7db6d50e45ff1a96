"""Precision `auto` end to end: what a CPU without bf16 runs (forced), and what this CPU runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors import safe_open

from ecomgpt import precision
from ecomgpt.train.run import run_train

from .conftest import TINY_YAML, tiny_config

pytestmark = pytest.mark.slow


def cpu_has_bf16() -> bool:
    with open(precision.CPUINFO, encoding="utf-8") as fh:
        return precision.cpu_has_bf16(precision.cpu_flags(fh.read()))


def weights_dtype(model_dir: Path) -> str:
    with safe_open(str(model_dir / "model.safetensors"), "pt") as fh:
        return str(fh.get_slice(next(iter(fh.keys()))).get_dtype())


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


@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU lists neither avx512_bf16 nor amx_bf16")
@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
def test_auto_trains_in_bf16_on_this_cpu(train_data, tmp_path, monkeypatch, lora):
    """bf16 autocast over fp32 weights, two workers and ZeRO-2 (tiny.yaml's), with and without LoRA."""
    monkeypatch.delenv(precision.NATIVE_ENV, raising=False)
    updates = {"deepspeed": {"precision": "auto"}, "max_steps": 4, "checkpoint_every": 4}
    if lora:
        updates["lora"] = {"r": 4, "merge": True}
    cfg = tiny_config(**updates)
    out = tmp_path / "run"
    result = run_train(cfg, train_data, str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["precision"] == "bf16"
    assert result["final_loss"] == result["final_loss"]  # a number, not NaN
    if lora:
        assert weights_dtype(out / "merged") == "BF16"
    else:
        assert weights_dtype(out / "model") == "BF16"
