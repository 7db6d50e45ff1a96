"""LoRA fine-tuning on the tiny BLOOM: 2 Ray workers + DeepSpeed, an adapter export PEFT loads, a merged
model, resume from an adapter-only checkpoint, ZeRO-3, evaluation of the adapter, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ecomgpt import models
from ecomgpt.cli import main
from ecomgpt.config import ConfigError, load_config
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.metrics import read_metrics
from ecomgpt.train.run import plan_train, run_train

from .conftest import cpu_has_bf16, tiny_config, weights_dtype

TINY_LORA_YAML = Path(__file__).resolve().parents[2] / "configs" / "train" / "tiny-lora.yaml"
PROMPT = "### Instruction:\nred cotton shirt\nGive the color.\n### Response:"


def lora_config(**updates) -> TrainConfig:
    """tiny-lora.yaml with the tests' small mixture, 8 steps, a checkpoint every 4 (the last one kept)."""
    return tiny_config(TINY_LORA_YAML, **{"checkpoint_every": 4, "max_steps": 8, "keep_checkpoints": 1, **updates})


def _logits(model, tokenizer) -> torch.Tensor:
    ids = tokenizer(PROMPT, add_special_tokens=False, return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits


@pytest.fixture(scope="module")
def lora_run(train_data, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("lora") / "run")
    return out, run_train(lora_config(), train_data, out)


@pytest.mark.slow
def test_the_export_is_an_adapter_peft_loads_over_the_base_it_names(lora_run):
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, result = lora_run
    adapter = Path(result["model_path"])
    assert {"adapter_config.json", "adapter_model.safetensors"} <= {p.name for p in adapter.iterdir()}
    assert not (adapter / "model.safetensors").exists()
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 8 and config["lora_alpha"] == 16
    assert config["base_model_name_or_path"] == str(Path(out) / "init")
    assert sorted(config["target_modules"]) == ["dense", "query_key_value"]
    weights = load_file(adapter / "adapter_model.safetensors")
    assert weights and all(".lora_A." in k or ".lora_B." in k for k in weights)
    assert any(".lora_B." in k and v.abs().sum() > 0 for k, v in weights.items())  # B starts at 0: it trained

    base = AutoModelForCausalLM.from_pretrained(config["base_model_name_or_path"]).eval()
    tokenizer = AutoTokenizer.from_pretrained(config["base_model_name_or_path"])
    plain = _logits(base, tokenizer)
    tuned = PeftModel.from_pretrained(base, str(adapter)).eval()
    adapted = _logits(tuned, tokenizer)
    assert not torch.allclose(plain, adapted, atol=1e-4)
    merged = AutoModelForCausalLM.from_pretrained(result["merged_path"]).eval()
    assert torch.allclose(_logits(merged, tokenizer), adapted, atol=1e-4)


@pytest.mark.slow
def test_metrics_and_manifest_record_trainable_and_total_parameters(lora_run):
    out, result = lora_run
    # 2 blocks, hidden 64, r 8: query_key_value (64 -> 192) and dense (64 -> 64) per block.
    trainable = 2 * 8 * ((64 + 192) + (64 + 64))
    assert result["parameters"]["trainable"] == trainable
    assert result["parameters"]["total"] > 10 * trainable
    rows = read_metrics(out)
    assert [row["step"] for row in rows] == list(range(1, 9))
    assert all(row["trainable_params"] == trainable and row["peak_memory_gb"] > 0 for row in rows)
    manifest = json.loads(Path(out, "manifest.json").read_text())
    assert manifest["parameters"] == result["parameters"] and manifest["model_kind"] == "lora_adapter"
    assert manifest["merged"] == result["merged_path"] and manifest["versions"]["peft"]


@pytest.mark.slow
def test_resume_continues_the_adapter_from_a_checkpoint_without_the_backbone(lora_run, train_data):
    from safetensors.torch import load_file

    out, before = lora_run
    (checkpoint,) = [p for p in Path(out, "checkpoints").glob("checkpoint_*") if p.is_dir()]
    (states,) = checkpoint.rglob("*model_states.pt")
    stored = torch.load(states, map_location="cpu", weights_only=False)["module"]
    # The adapters, not the frozen backbone (DeepSpeed keeps the alias of the tied output embedding).
    assert {k for k in stored if ".lora_" not in k} <= {"base_model.model.lm_head.weight"}
    assert len([k for k in stored if ".lora_" in k]) == 8
    first = load_file(Path(before["model_path"]) / "adapter_model.safetensors")
    result = run_train(lora_config(max_steps=10), train_data, out, resume=True)
    assert [row["step"] for row in read_metrics(out)] == list(range(1, 11)) and result["steps"] == 10
    again = load_file(Path(result["model_path"]) / "adapter_model.safetensors")
    assert again.keys() == first.keys() and any(not torch.equal(first[k], again[k]) for k in first)
    assert json.loads(Path(out, "manifest.json").read_text())["resumed"] is True


@pytest.mark.slow
def test_evaluate_takes_the_adapter_directory(lora_run, train_data, tmp_path, capsys):
    _, result = lora_run
    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            "--model",
            result["model_path"],
            "--heldout-dir",
            train_data,
            "--limit",
            "2",
            "--output",
            str(out),
            "--batch-size",
            "4",
        ]
    )
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["base_model"] == str(Path(result["model_path"]).parent / "init")
    assert manifest["counts"]["instances"] > 0


@pytest.mark.slow
def test_zero3_trains_and_exports_the_adapter(train_data, tmp_path):
    """ZeRO-3 with precision `auto`: bf16 autocast over the adapters where this CPU has bf16, and a merged
    model exported in that precision."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    deepspeed = {"zero_stage": 3, "precision": "auto"}
    cfg = lora_config(deepspeed=deepspeed, max_steps=4, checkpoint_every=4, lora={"merge": True, "r": 4})
    result = run_train(cfg, train_data, str(tmp_path / "run"))
    assert result["steps"] == 4 and result["final_loss"] == result["final_loss"]  # a number, not NaN
    assert result["parameters"]["trainable"] == 2 * 4 * ((64 + 192) + (64 + 64))
    base = AutoModelForCausalLM.from_pretrained(tmp_path / "run" / "init")
    PeftModel.from_pretrained(base, result["model_path"])
    ran = "bf16" if cpu_has_bf16() else "fp32"
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["precision"] == ran
    assert weights_dtype(Path(result["merged_path"])) == {"bf16": "BF16", "fp32": "F32"}[ran]


# ---- bad input -------------------------------------------------------------------------------------


def test_an_unknown_lora_key_names_the_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("lora:\n  rank: 8\n")
    with pytest.raises(ConfigError, match="unknown key 'lora.rank'") as caught:
        load_config(TrainConfig, path)
    assert str(path) in str(caught.value)
    with pytest.raises(ConfigError, match="lora.r: Input should be greater than 0"):
        load_config(TrainConfig, TINY_LORA_YAML, sets=["lora.r=0"])
    with pytest.raises(ConfigError, match="model.train_layers and lora"):
        load_config(TrainConfig, TINY_LORA_YAML, sets=["model.train_layers=1"])
    cfg = load_config(TrainConfig, None, sets=["lora.r=4"])  # a lora key turns LoRA on with the defaults
    assert cfg.lora is not None and cfg.lora.r == 4 and cfg.lora.alpha == 32


def test_target_modules_the_backbone_lacks_fail_before_any_worker(train_data, tmp_path):
    cfg = tiny_config(lora={"target_modules": ["query_key_value", "q_proj"]})
    with pytest.raises(ConfigError, match="lora.target_modules: 'q_proj' matches no linear or embedding layer"):
        plan_train(cfg, train_data, str(tmp_path / "out"))
    cfg = tiny_config(lora={"modules_to_save": ["lm_head", "score"]})
    with pytest.raises(ConfigError, match="lora.modules_to_save: 'score' is no module"):
        plan_train(cfg, train_data, str(tmp_path / "out"))


def test_an_architecture_without_defaults_must_name_its_targets(train_data, tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    from ecomgpt.train.tiny import train_tokenizer

    tokenizer = train_tokenizer(["red cotton shirt"] * 4, vocab_size=300)
    gpt2 = tmp_path / "gpt2"
    GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=1, n_head=2)).save_pretrained(gpt2)
    tokenizer.save_pretrained(gpt2)
    cfg = tiny_config(model={"name_or_path": str(gpt2)}, lora={})
    with pytest.raises(ConfigError, match="no default LoRA target modules for model type 'gpt2'.*set lora.target"):
        plan_train(cfg, train_data, str(tmp_path / "out"))
    plan_train(
        tiny_config(model={"name_or_path": str(gpt2)}, lora={"target_modules": ["c_attn"]}),
        train_data,
        str(tmp_path / "out"),
    )


def test_an_adapter_is_no_backbone_to_train(train_data, tmp_path, checkpoint_and_adapter):
    _, adapter = checkpoint_and_adapter
    with pytest.raises(ConfigError, match="a LoRA adapter directory; train from its base model"):
        plan_train(tiny_config(model={"name_or_path": adapter}), train_data, str(tmp_path / "out"))


def test_adapter_directories_are_checked_like_checkpoints(checkpoint_and_adapter, tmp_path):
    import shutil

    base, adapter = checkpoint_and_adapter
    assert models.check_adapter(adapter) == base
    broken = tmp_path / "pickled"
    shutil.copytree(adapter, broken)
    (broken / "adapter_model.safetensors").rename(broken / "adapter_model.bin")
    with pytest.raises(models.ModelError, match="no adapter_model.safetensors; pickled adapter weights"):
        models.check(str(broken))
    config = json.loads((Path(adapter) / "adapter_config.json").read_text())
    (broken / "adapter_model.bin").rename(broken / "adapter_model.safetensors")
    (broken / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": None}))
    with pytest.raises(models.ModelError, match="names no base model"):
        models.check(str(broken))
    (broken / "adapter_config.json").write_text(json.dumps({**config, "peft_type": "IA3"}))
    with pytest.raises(models.ModelError, match="peft_type 'IA3'.*only LORA"):
        models.check(str(broken))


@pytest.fixture(scope="module")
def checkpoint_and_adapter(tmp_path_factory) -> tuple[str, str]:
    from ecomgpt.train.tiny import build_tiny_checkpoint
    from tests.conftest import make_adapter

    root = tmp_path_factory.mktemp("adapter")
    base = str(build_tiny_checkpoint(["red cotton shirt", "blue shoes"] * 4, root / "base", vocab_size=300))
    return base, make_adapter(base, root / "adapter", seed=0)
