"""The answer-only loss and partial fine-tuning on small BLOOM and Llama models built here."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, BloomConfig, LlamaConfig

from ecomgpt.train.freeze import train_top_layers
from ecomgpt.train.loop import answer_loss
from ecomgpt.train.tokenize import IGNORE_INDEX, collate

CONFIGS = {
    "bloom": BloomConfig(vocab_size=300, hidden_size=32, n_layer=4, n_head=4),
    "llama": LlamaConfig(
        vocab_size=300,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=True,
    ),
}


def _model(kind: str):
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(CONFIGS[kind])


def _batch() -> dict:
    rows = [(list(range(5, 17)), 9), (list(range(20, 27)), 2), (list(range(40, 50)), 5)]  # (ids, prompt length)
    labels = [[IGNORE_INDEX] * n + ids[n:] for ids, n in rows]
    return {key: torch.from_numpy(value) for key, value in collate([r for r, _ in rows], labels, 0).items()}


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_answer_loss_equals_the_models_own_loss(kind):
    model, batch = _model(kind), _batch()
    expected = model(**batch).loss
    got = answer_loss(model, batch)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    got.backward()
    assert model.get_input_embeddings().weight.grad is not None


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_train_top_layers_freezes_everything_below_and_the_embeddings(kind):
    model = _model(kind)
    trainable, total = train_top_layers(model, 1)
    names = {name for name, p in model.named_parameters() if p.requires_grad}
    last = {"bloom": "transformer.h.3.", "llama": "model.layers.3."}[kind]
    final_norm = {"bloom": "transformer.ln_f.", "llama": "model.norm."}[kind]
    assert names and all(name.startswith((last, final_norm)) for name in names)
    assert any(name.startswith(final_norm) for name in names)
    assert 0 < trainable < total
    answer_loss(model, _batch()).backward()
    for param in model.parameters():
        assert (param.grad is not None) == param.requires_grad


def test_train_top_layers_refuses_more_blocks_than_the_model_has():
    with pytest.raises(ValueError, match="only 4 transformer blocks"):
        train_top_layers(_model("llama"), 5)
