"""Batch answer generation: a model-holding callable class, run by Ray Data with an actor pool.

The actor is an `ecomgpt.runner.AnswerActor`: one `ModelRunner`, loaded once. Rows are sorted by answer budget
and prompt length in tokens before batching; within a batch, each `generate` call (left-padded, greedy unless
beams are asked for) holds rows of one budget and similar length under a padded-token cap, so padding stays
small. Answers end at the EOS token or at the prompt format's next `### ` marker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecomgpt import models
from ecomgpt.evaluate.config import GenerationConfig
from ecomgpt.evaluate.metrics import normalize_prediction
from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.runner import AnswerActor, Sampling, encode_prompts


class AnswerGenerator(AnswerActor):
    """Evaluation's actor: called on a batch {"prompt", "max_new_tokens"} of numpy arrays."""

    def __init__(self, model: str, cfg: GenerationConfig) -> None:
        # A row that writes the next-section marker is done: the prediction is cut there anyway, so decoding
        # on (as a base model that has not learnt to stop does) changes no score, only costs time.
        super().__init__(model, cfg, Sampling(num_beams=cfg.num_beams), (RESPONSE_STOP,))
        self.eos_tokens = (self.runner.tokenizer.eos_token or "",)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ids, truncated = self.prompt_ids([str(p) for p in batch["prompt"]])
        answers: list[Any] = [None] * len(ids)  # every row is answered by one generate call
        for i, answer in self.answers(ids, [int(b) for b in batch["max_new_tokens"]]):
            answers[i] = answer
        predictions = [normalize_prediction(a.decoded, self.eos_tokens) for a in answers]
        return {
            **batch,
            "raw": np.array([a.decoded for a in answers], dtype=object),
            "prediction": np.array(predictions, dtype=object),
            "new_tokens": np.array([len(a.tokens) for a in answers]),
            "truncated": np.array(truncated),
            "dtype": np.array([self.runner.dtype] * len(ids), dtype=object),  # what ran, `auto` resolved
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
        fn_constructor_kwargs={"model": model, "cfg": gen},
        batch_size=gen.batch_size,
        batch_format="numpy",
        concurrency=actors,
        num_cpus=gen.num_cpus,
        num_gpus=gen.num_gpus or None,
    )
    return [_plain(row) for row in dataset.iter_rows()]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in row.items()}
