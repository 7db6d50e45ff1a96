"""The exported model is built aside and renamed into place: a failed export leaves the previous one whole."""

from __future__ import annotations

import os

import pytest

from ecomgpt.train.export import export_model
from ecomgpt.train.tiny import init_model, tiny_bloom_config, train_tokenizer


@pytest.fixture(scope="module")
def tiny():
    tokenizer = train_tokenizer(["Fits well, fast shipping", "Red cotton shirt, size M"], vocab_size=300)
    config = tiny_bloom_config(tokenizer, n_layer=1, hidden_size=16, n_head=2)
    return init_model(config).state_dict(), config, tokenizer


def _complete(directory) -> bool:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(directory)
    return AutoTokenizer.from_pretrained(directory).eos_token is not None


def test_a_failed_export_leaves_the_previous_model_whole(tiny, tmp_path, monkeypatch):
    state, config, tokenizer = tiny
    target = tmp_path / "model"
    export_model(state, config, tokenizer, str(target))
    before = sorted(os.listdir(target))
    assert "model.safetensors" in before and _complete(target)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tokenizer, "save_pretrained", disk_full)
    with pytest.raises(OSError, match="No space left"):
        export_model(state, config, tokenizer, str(target))
    assert sorted(os.listdir(target)) == before and _complete(target)
    assert sorted(os.listdir(tmp_path)) == ["model"]  # nothing half-built left beside it
    monkeypatch.undo()
    export_model(state, config, tokenizer, str(target))
    assert sorted(os.listdir(target)) == before and sorted(os.listdir(tmp_path)) == ["model"]
