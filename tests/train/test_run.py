"""End to end on the tiny model: 2 Ray workers, DeepSpeed ZeRO-2 and ZeRO-3, export, resume, a killed worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecomgpt.train.loop import FAULT_MARKER
from ecomgpt.train.metrics import read_metrics
from ecomgpt.train.run import run_train

from .conftest import cpu_has_bf16, tiny_config, weights_dtype

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zero2_run(train_data, tmp_path_factory):
    """16 steps of ZeRO-2 on a fixed 16-example mixture, checkpoints every 8 steps, precision `auto` (bf16
    autocast over fp32 weights on a CPU with bf16, fp32 elsewhere)."""
    out = str(tmp_path_factory.mktemp("zero2") / "run")
    return out, run_train(tiny_config(deepspeed={"precision": "auto"}), train_data, out)


def _generate(model_dir: str) -> str:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    prompt = "### Instruction:\nred cotton shirt\nGive the color.\n### Response:"
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1] :])


def test_zero2_loss_falls_and_is_logged(zero2_run):
    out, result = zero2_run
    rows = read_metrics(out)
    assert [row["step"] for row in rows] == list(range(1, 17))
    assert {"step", "loss", "lr", "tokens_per_s", "useful_tokens_per_s"} <= set(rows[0])
    first, last = rows[0]["loss"], sum(row["loss"] for row in rows[-3:]) / 3
    assert last < 0.8 * first, (first, last)
    assert result["steps"] == 16 and result["final_loss"] == pytest.approx(rows[-1]["loss"])
    assert result["mixture"]["examples_per_task"] and sum(result["mixture"]["examples_per_task"].values()) == 16
    assert list(Path(out, "tensorboard").glob("events.out.tfevents.*"))


def test_zero2_export_loads_and_generates(zero2_run):
    out, result = zero2_run
    model_dir = Path(result["model_path"])
    assert (model_dir / "model.safetensors").is_file() and (model_dir / "tokenizer.json").is_file()
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["stage"] == "train" and manifest["counts"]["step"] == 16
    run_manifest = json.loads(Path(out, "manifest.json").read_text())
    assert run_manifest["versions"]["deepspeed"]
    # `auto` ran what this CPU has, and the export is in that precision.
    ran = "bf16" if cpu_has_bf16() else "fp32"
    assert run_manifest["precision"] == ran and weights_dtype(model_dir) == {"bf16": "BF16", "fp32": "F32"}[ran]
    _generate(str(model_dir))


def test_zero2_keeps_last_checkpoints(zero2_run):
    out, _ = zero2_run
    assert len([p for p in Path(out, "checkpoints").glob("checkpoint_*") if p.is_dir()]) == 2


def test_resume_continues_at_saved_step(zero2_run, train_data):
    out, before = zero2_run
    result = run_train(tiny_config(max_steps=20), train_data, out, resume=True)
    rows = read_metrics(out)
    assert [row["step"] for row in rows] == list(range(1, 21))
    assert result["steps"] == 20 and result["train_tokens"] > before["train_tokens"]
    assert rows[16]["loss"] < 0.8 * rows[0]["loss"]  # step 17 starts from the trained weights
    assert json.loads(Path(out, "manifest.json").read_text())["resumed"] is True


def test_zero3_survives_a_killed_worker(train_data, tmp_path):
    out = str(tmp_path / "run")
    cfg = tiny_config(deepspeed={"zero_stage": 3}, max_steps=6, checkpoint_every=2, fail_at_step=3, max_failures=1)
    result = run_train(cfg, train_data, out)
    assert Path(out, FAULT_MARKER).is_file()  # the drill did kill a worker once
    assert [row["step"] for row in read_metrics(out)] == list(range(1, 7))
    assert result["steps"] == 6
    _generate(result["model_path"])
