"""The offline pretrained backbone (a Llama) through the training stage: tokenization with its EOS, a few
Ray Train + DeepSpeed steps of its top blocks, and an export that loads as the same architecture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from ecomgpt.config import load_model
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.run import run_train
from ecomgpt.train.tokenize import IGNORE_INDEX, Tokenize

from .conftest import cpu_has_bf16

BACKBONE_YAML = Path(__file__).resolve().parents[2] / "configs" / "train" / "smollm2-135m.yaml"


def test_examples_end_with_the_backbone_eos(offline_backbone):
    tokenize = Tokenize(str(offline_backbone), 64)
    out = tokenize({"task": np.array(["t"]), "prompt": np.array(["### Response:"]), "output": np.array(["positive"])})
    ids, labels = list(out["input_ids"][0]), list(out["labels"][0])
    eos = tokenize.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert ids[-1] == eos and labels[-1] == eos
    answer = tokenize.tokenizer("positive", add_special_tokens=False)["input_ids"]
    assert labels[-len(answer) - 1 : -1] == answer
    assert set(labels[: -len(answer) - 1]) == {IGNORE_INDEX}


@pytest.mark.slow
def test_a_few_steps_train_the_top_blocks_and_export_a_llama(train_data, offline_backbone, tmp_path):
    data = load_model(TrainConfig, BACKBONE_YAML).model_dump()
    data["model"].update({"name_or_path": str(offline_backbone), "train_layers": 2})
    data["data"].update({"max_seq_len": 192, "mixture": {"n_tasks": 3, "samples_per_task": 4, "seed": 0}})
    data["optim"].update({"warmup_steps": 0, "lr": 1e-3})
    data.update({"max_steps": 2, "batch_size": 2, "checkpoint_every": 2})
    result = run_train(TrainConfig.model_validate(data), train_data, str(tmp_path / "run"))

    assert result["steps"] == 2 and np.isfinite(result["final_loss"])
    exported = Path(result["model_path"])
    from transformers import AutoConfig, AutoTokenizer

    assert AutoConfig.from_pretrained(exported).model_type == "llama"
    assert AutoTokenizer.from_pretrained(exported).eos_token == "<|im_end|>"
    before, after = load_file(offline_backbone / "model.safetensors"), load_file(exported / "model.safetensors")
    # The export is in the run's precision (bf16 on a CPU that computes it): frozen weights come back rounded to it.
    changed = {name for name in before if not torch.equal(before[name].to(after[name].dtype), after[name])}
    assert changed, "no weight changed"
    # Only the last two of the 30 blocks and the final norm train; embeddings and lower blocks stay as they were.
    assert all(name.startswith(("model.layers.28.", "model.layers.29.", "model.norm.")) for name in changed)
    assert "model.embed_tokens.weight" not in changed


@pytest.mark.slow
def test_lora_on_the_backbone_exports_an_adapter_that_evaluates(train_data, offline_backbone, tmp_path, capsys):
    import json

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from ecomgpt.cli import main

    data = load_model(TrainConfig, BACKBONE_YAML.with_name("smollm2-135m-lora.yaml")).model_dump()
    data["model"].update({"name_or_path": str(offline_backbone)})
    data["data"].update({"max_seq_len": 192, "mixture": {"n_tasks": 3, "samples_per_task": 4, "seed": 0}})
    data["optim"].update({"warmup_steps": 0})
    data.update({"max_steps": 2, "batch_size": 2, "checkpoint_every": 2})
    result = run_train(TrainConfig.model_validate(data), train_data, str(tmp_path / "run"))

    # r 16 on q, k, v and o of 30 blocks (hidden 576, 3 key/value heads of 64).
    assert result["parameters"]["trainable"] == 30 * 16 * (2 * (576 + 576) + 2 * (576 + 192))
    assert result["merged_path"] is None  # the config's `merge: false`
    ran = "bf16" if cpu_has_bf16() else "fp32"  # the config's precision `auto`, with LoRA
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["precision"] == ran
    adapter = Path(result["model_path"])
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(offline_backbone)
    assert sorted(config["target_modules"]) == ["k_proj", "o_proj", "q_proj", "v_proj"]
    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(offline_backbone), str(adapter))

    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            "--model",
            str(adapter),
            "--heldout-dir",
            train_data,
            "--limit",
            "1",
            "--tasks",
            "query.query_item_matching",
            "--output",
            str(out),
            "--set",
            "generation.max_new_tokens.CLS=4",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["inputs"]["base_model"] == str(offline_backbone)
