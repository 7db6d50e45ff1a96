"""Batch answer generation: a model-holding callable class, run by Ray Data with an actor pool.

The actor loads the model once; each batch is one left-padded `generate` call (greedy unless beams are
asked for) with the largest answer budget of the batch, each row then cut to its own budget, at the EOS
token and at a following `### ` marker. Rows are sorted by budget and prompt length before batching, so a
batch holds prompts of similar length and padding stays small.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.evaluate.config import GenerationConfig
from ecomgpt.evaluate.metrics import normalize_prediction


class ModelError(UserError, ValueError):
    """A model that cannot be loaded, named with the reason."""


def check_model(model: str) -> None:
    """Fail before any actor starts: a path or URI must be a model directory; a hub name must resolve."""
    from transformers import AutoConfig

    if "://" in model:
        if not storage.exists(storage.join(model, "config.json")):
            raise ModelError(f"model {model!r}: not a Hugging Face model directory (no config.json)")
        return
    looks_local = model.startswith((".", "/", "~")) or os.path.exists(model) or model.count("/") > 1
    if looks_local:
        path = os.path.expanduser(model)
        if not os.path.isdir(path):
            raise ModelError(f"model {model!r}: no such directory")
        if not os.path.isfile(os.path.join(path, "config.json")):
            raise ModelError(f"model {model!r}: not a Hugging Face model directory (no config.json)")
    try:
        AutoConfig.from_pretrained(os.path.expanduser(model) if looks_local else model, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"model {model!r}: cannot be loaded: {exc}") from exc


def _torch_dtype(name: str, on_gpu: bool):
    import torch

    if name == "auto":
        return torch.bfloat16 if on_gpu else torch.float32
    return getattr(torch, name)


class AnswerGenerator:
    """Holds a causal LM and its tokenizer; called on a batch {"prompt", "max_new_tokens"} of numpy arrays."""

    def __init__(self, model: str, gen: dict[str, Any]) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # one bar per actor would interleave on the driver's console
        self.cfg = GenerationConfig.model_validate(gen)
        self.device = "cuda" if self.cfg.num_gpus > 0 and torch.cuda.is_available() else "cpu"
        if self.device == "cpu":
            torch.set_num_threads(max(1, int(self.cfg.num_cpus)))
        path = storage.local_dir(model)
        self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        self.tokenizer.padding_side = "left"
        self.tokenizer.truncation_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(
            path, dtype=_torch_dtype(self.cfg.dtype, self.device == "cuda"), trust_remote_code=False
        ).to(self.device)
        self.model.eval()
        self.eos_id = self.tokenizer.eos_token_id

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        prompts = [str(p) for p in batch["prompt"]]
        budgets = [int(b) for b in batch["max_new_tokens"]]
        ids = self.tokenizer(prompts)["input_ids"]
        limit = self.cfg.max_input_tokens
        truncated = [len(row) > limit for row in ids]
        enc = self.tokenizer.pad({"input_ids": [row[-limit:] for row in ids]}, return_tensors="pt")
        enc = {key: value.to(self.device) for key, value in enc.items()}
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                max_new_tokens=max(budgets),
                do_sample=False,
                num_beams=self.cfg.num_beams,
                eos_token_id=self.eos_id,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new_tokens = out[:, enc["input_ids"].shape[1] :].tolist()
        raws, predictions, lengths = [], [], []
        for tokens, budget in zip(new_tokens, budgets):
            tokens = tokens[:budget]
            if self.eos_id in tokens:
                tokens = tokens[: tokens.index(self.eos_id)]
            raw = self.tokenizer.decode(tokens, skip_special_tokens=True)
            raws.append(raw)
            predictions.append(normalize_prediction(raw, (self.tokenizer.eos_token or "",)))
            lengths.append(len(tokens))
        return {
            **batch,
            "raw": np.array(raws, dtype=object),
            "prediction": np.array(predictions, dtype=object),
            "new_tokens": np.array(lengths),
            "truncated": np.array(truncated),
        }


def _actor_count(gen: GenerationConfig) -> int:
    """The configured count, else as many actors as the free CPUs or GPUs hold now (at least one).

    Free rather than total resources: inside a sweep trial, the trial itself holds some of them, and an
    actor pool larger than what can be placed would wait forever.
    """
    import ray

    if gen.concurrency:
        return gen.concurrency
    free = ray.available_resources()
    if gen.num_gpus > 0:
        return max(1, int(free.get("GPU", 0) / gen.num_gpus))
    return max(1, int(free.get("CPU", 1) / gen.num_cpus))


def generate_answers(rows: list[dict[str, Any]], model: str, gen: GenerationConfig) -> list[dict[str, Any]]:
    """Rows {task, index, prompt, max_new_tokens} -> the same rows with raw, prediction, new_tokens, truncated."""
    import ray

    ordered = sorted(rows, key=lambda row: (row["max_new_tokens"], len(row["prompt"])))
    actors = _actor_count(gen)
    blocks = max(actors, min(len(ordered) // gen.batch_size + 1, actors * 8))
    dataset = ray.data.from_items(ordered, override_num_blocks=blocks).map_batches(
        AnswerGenerator,
        fn_constructor_kwargs={"model": model, "gen": gen.model_dump()},
        batch_size=gen.batch_size,
        batch_format="numpy",
        concurrency=actors,
        num_cpus=gen.num_cpus,
        num_gpus=gen.num_gpus or None,
    )
    return [_plain(row) for row in dataset.iter_rows()]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}
