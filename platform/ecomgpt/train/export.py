"""The Hugging Face export: a self-contained model directory, written aside and put in place whole."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable

from ecomgpt import storage


def export_model(state_dict: dict, config, tokenizer, target: str, dtype=None) -> None:
    """A self-contained Hugging Face directory at `target` (path or URI): safetensors + tokenizer, the
    weights in `dtype` (a torch dtype; None: as they are in `state_dict`)."""
    from transformers import AutoModelForCausalLM

    dtype = dtype or next(iter(state_dict.values())).dtype
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(f"export: missing {sorted(set(missing) - tied)}, unexpected {sorted(unexpected)}")
    model.tie_weights()
    model.config.use_cache = True
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id

    def write(staging: str) -> None:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)

    write_aside(target, write)


def write_aside(target: str, write: Callable[[str], object]) -> None:
    """`write` fills a staging directory that is then put in place at `target` (path or URI) whole: a crash
    never leaves half a model where a stage would load it."""
    local = storage.is_local(target)
    staging = storage.staging_dir(storage.normalize(target)) if local else tempfile.mkdtemp(prefix="ecomgpt-export-")
    if local:
        shutil.rmtree(staging, ignore_errors=True)  # what a crashed export left
    try:
        write(staging)
        storage.replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
