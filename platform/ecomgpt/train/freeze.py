"""Partial fine-tuning: train the top transformer blocks of any Hugging Face causal LM, freeze the rest.

A frozen lower stack needs no backward pass: autograd stops at the lowest block whose weights train. The
embeddings stay frozen too, and with them an LM head tied to them; otherwise the gradient of the
embedding lookup would carry the backward pass through every block again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import PreTrainedModel


def transformer_blocks(model: PreTrainedModel) -> tuple[str, torch.nn.ModuleList]:
    """(qualified name, blocks): the ModuleList holding the model's `num_hidden_layers` blocks."""
    count = model.config.num_hidden_layers
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == count:
            return name, module
    raise ValueError(f"{type(model).__name__}: no list of {count} transformer blocks found")


def train_top_layers(model: PreTrainedModel, n: int) -> tuple[int, int]:
    """Leave trainable only the last `n` blocks and the non-embedding weights after them.

    Returns (trainable, total) parameter counts.
    """
    name, blocks = transformer_blocks(model)
    if n > len(blocks):
        raise ValueError(f"train_layers {n}: the model has only {len(blocks)} transformer blocks")
    embeddings = {
        id(p)
        for m in (model.get_input_embeddings(), model.get_output_embeddings())
        if m is not None
        for p in m.parameters()
    }
    trained_blocks = {f"{name}.{i}." for i in range(len(blocks) - n, len(blocks))}
    after_blocks = False
    for param_name, param in model.named_parameters():
        in_blocks = param_name.startswith(f"{name}.")
        if in_blocks:
            after_blocks = True
        trainable = (
            any(param_name.startswith(prefix) for prefix in trained_blocks)
            if in_blocks
            else after_blocks and id(param) not in embeddings
        )
        param.requires_grad_(trainable)
    return (sum(p.numel() for p in model.parameters() if p.requires_grad), sum(p.numel() for p in model.parameters()))
