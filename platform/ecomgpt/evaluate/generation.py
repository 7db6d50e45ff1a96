"""Batch answer generation: a model-holding callable class, run by Ray Data with an actor pool.

The actor holds one `ecomgpt.runner.ModelRunner`, loaded once. Rows are sorted by answer budget and prompt
length in tokens before batching; within a batch, each `generate` call (left-padded, greedy unless beams
are asked for) holds rows of one budget and similar length under a padded-token cap, so padding stays
small. Answers end at the EOS token or at the prompt format's next `### ` marker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecomgpt import models
from ecomgpt.evaluate.config import GenerationConfig
from ecomgpt.evaluate.metrics import normalize_prediction
from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.runner import ModelRunner, Sampling, encode_prompts, pick_device


def generate_calls(lengths: list[int], budgets: list[int], max_tokens: int) -> list[tuple[list[int], int]]:
    """The rows of one batch grouped into `generate` calls: (row indices, answer budget).

    A call holds rows of one budget (none decodes past its own) and of similar length, as many as fit
    `max_tokens` padded prompt tokens (at least one row): prompts of very different lengths in one call
    would pad the short ones to the longest.
    """
    calls: list[tuple[list[int], int]] = []
    for budget in sorted(set(budgets)):
        rows = sorted((i for i, b in enumerate(budgets) if b == budget), key=lambda i: lengths[i])
        current: list[int] = []
        for i in rows:
            if current and (len(current) + 1) * lengths[i] > max_tokens:
                calls.append((current, budget))
                current = []
            current.append(i)
        calls.append((current, budget))
    return calls


class AnswerGenerator:
    """Holds a model runner; called on a batch {"prompt", "max_new_tokens"} of numpy arrays."""

    def __init__(self, model: str, gen: dict[str, Any]) -> None:
        import torch

        from ecomgpt.runtime import torch_threads

        self.cfg = GenerationConfig.model_validate(gen)
        if pick_device(self.cfg.num_gpus > 0) == "cpu":
            torch.set_num_threads(torch_threads(self.cfg.num_cpus))
        self.runner = ModelRunner(model, dtype=self.cfg.dtype, use_gpu=self.cfg.num_gpus > 0)
        self.sampling = Sampling(num_beams=self.cfg.num_beams)
        self.eos_tokens = (self.runner.tokenizer.eos_token or "",)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        prompts = [str(p) for p in batch["prompt"]]
        budgets = [int(b) for b in batch["max_new_tokens"]]
        ids = self.runner.encode(prompts)
        limit = self.cfg.max_input_tokens
        truncated = [len(row) > limit for row in ids]
        ids = [row[-limit:] for row in ids]
        answers: list[Any] = [None] * len(prompts)  # every row is answered by one generate call
        for rows, budget in generate_calls([len(row) for row in ids], budgets, self.cfg.max_batch_tokens):
            # A row that writes the next-section marker is done: the prediction is cut there anyway, so
            # decoding on (as a base model that has not learnt to stop does) changes no score, only costs time.
            done = self.runner.generate(
                [ids[i] for i in rows], [budget] * len(rows), sampling=self.sampling, stop=(RESPONSE_STOP,)
            )
            for i, answer in zip(rows, done):
                answers[i] = answer
        predictions = [normalize_prediction(a.decoded, self.eos_tokens) for a in answers]
        return {
            **batch,
            "raw": np.array([a.decoded for a in answers], dtype=object),
            "prediction": np.array(predictions, dtype=object),
            "new_tokens": np.array([len(a.tokens) for a in answers]),
            "truncated": np.array(truncated),
            "dtype": np.array([self.runner.dtype] * len(prompts), dtype=object),  # what ran, `auto` resolved
        }


def generate_answers(rows: list[dict[str, Any]], model: str, gen: GenerationConfig) -> list[dict[str, Any]]:
    """Rows {task, index, prompt, max_new_tokens} -> the same rows with raw, prediction, new_tokens, truncated
    and dtype (the weights' dtype of the actor that answered)."""
    import ray

    from ecomgpt.runtime import actor_plan

    # By budget, then by prompt length in the model's own tokens (characters are a poor proxy across
    # languages), so each batch pads little and decodes to one budget.
    lengths = [len(ids) for ids in encode_prompts(models.load_tokenizer(model), [row["prompt"] for row in rows])]
    ordered = [
        row for _, _, row in sorted(zip((r["max_new_tokens"] for r in rows), lengths, rows), key=lambda item: item[:2])
    ]
    actors, cpus = actor_plan(gen.concurrency, gen.num_cpus, gen.num_gpus)
    gen = gen.model_copy(update={"num_cpus": cpus})
    # Batches go to whichever actor is free: enough of them (one per `batch_size` rows, at least four per
    # actor) that the heavy ones, the long prompts at the end of the order, do not all land on one actor.
    blocks = max(1, min(len(ordered), max(actors * 4, -(-len(ordered) // gen.batch_size))))
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
