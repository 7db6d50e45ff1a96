"""Tokenization and batching: prompt + answer + EOS, loss on the answer only, little padding.

BLOOM derives its ALiBi positions from a 2-D attention mask and has no way to take a block-diagonal mask
with it, so packing several examples into one row would let them attend to each other. Instead the
examples of a window are sorted by length and cut into micro-batches of similar length (length
grouping); the micro-batches are then shuffled so training order does not follow length.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ecomgpt import models

IGNORE_INDEX = -100


def encode_example(
    prompt_ids: Sequence[int], answer_ids: Sequence[int], eos_id: int, max_len: int
) -> tuple[list[int], list[int]] | None:
    """(input_ids, labels) of prompt + answer + EOS, or None when the answer alone does not fit.

    The prompt is cut from the left (its end, `### Response:`, stays next to the answer); the answer is
    never cut; labels are IGNORE_INDEX on the prompt.
    """
    answer = [*answer_ids, eos_id]
    budget = max_len - len(answer)
    if budget < 1:
        return None
    prompt = list(prompt_ids)[-budget:] if len(prompt_ids) > budget else list(prompt_ids)
    return prompt + answer, [IGNORE_INDEX] * len(prompt) + answer


class Tokenize:
    """Rows with `prompt`, `output` -> `input_ids`, `labels`, `length` (a `map_batches` callable).

    Loads the tokenizer once, in `__init__`.
    """

    def __init__(self, tokenizer_dir: str, max_len: int):
        self.tokenizer = models.load_tokenizer(tokenizer_dir)
        self.max_len = max_len

    def __call__(self, batch: dict) -> dict:
        tok = self.tokenizer
        prompts = tok(list(batch["prompt"]), add_special_tokens=False)["input_ids"]
        answers = tok(list(batch["output"]), add_special_tokens=False)["input_ids"]
        ids, labels, lengths, tasks = [], [], [], []
        for task, prompt, answer in zip(batch["task"], prompts, answers):
            encoded = encode_example(prompt, answer, tok.eos_token_id, self.max_len)
            if encoded is None:
                continue
            ids.append(np.asarray(encoded[0], dtype=np.int32))
            labels.append(np.asarray(encoded[1], dtype=np.int32))
            lengths.append(len(encoded[0]))
            tasks.append(task)
        return {
            "input_ids": _object_array(ids),
            "labels": _object_array(labels),
            "length": np.asarray(lengths, dtype=np.int32),
            "task": np.asarray(tasks, dtype=object),
        }


@functools.lru_cache(maxsize=2)
def _tokenize(tokenizer_dir: str, content: str, max_len: int) -> Tokenize:
    return Tokenize(tokenizer_dir, max_len)


def tokenize_batch(batch: dict, tokenizer_dir: str, max_len: int, content: str) -> dict:
    """Ray Data `map_batches` function: `Tokenize` with its tokenizer loaded once per worker process.

    A task rather than an actor pool: Ray keeps task worker processes between datasets, so a training run (or a
    sweep's next trial) on a warm cluster tokenizes in processes that have their imports done, where an actor
    pool starts a new process per dataset (about 3 s of imports each on a small machine). `content` (what
    `storage.fingerprint` lists of the directory, taken once on the driver) keys the cache with the path, so a
    tokenizer rewritten at the same path is loaded afresh.
    """
    return _tokenize(tokenizer_dir, content, max_len)(batch)


def _object_array(rows: list[np.ndarray]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def group_by_length(lengths: Sequence[int], micro_batch_size: int, rng: random.Random | None) -> list[list[int]]:
    """Indices cut into full micro-batches of similar length, in shuffled order (None: keep order).

    A remainder shorter than a micro-batch is dropped so every worker steps in lockstep.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i]) if rng is not None else list(range(len(lengths)))
    batches = [order[i : i + micro_batch_size] for i in range(0, len(order) - micro_batch_size + 1, micro_batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def collate(input_ids: Sequence[Sequence[int]], labels: Sequence[Sequence[int]], pad_id: int) -> dict:
    """Right-padded numpy arrays: input_ids, labels (IGNORE_INDEX on padding), attention_mask."""
    width = max(len(row) for row in input_ids)
    n = len(input_ids)
    ids = np.full((n, width), pad_id, dtype=np.int64)
    lab = np.full((n, width), IGNORE_INDEX, dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    for i, (row, row_labels) in enumerate(zip(input_ids, labels)):
        ids[i, : len(row)] = row
        lab[i, : len(row)] = row_labels
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "labels": lab, "attention_mask": mask}


def micro_batches(
    windows: Iterable[dict], micro_batch_size: int, pad_id: int, *, group: bool, seed: int
) -> Iterator[dict]:
    """Collated micro-batches from windows of tokenized rows (as `iter_batches` yields them)."""
    rng = random.Random(seed) if group else None
    for window in windows:
        for idx in group_by_length(list(window["length"]), micro_batch_size, rng):
            yield collate([window["input_ids"][i] for i in idx], [window["labels"][i] for i in idx], pad_id)


def useful_share(lengths: Sequence[int], micro_batch_size: int, *, group: bool, window: int, seed: int = 0) -> float:
    """Non-pad share of the tokens fed to the model when rows arrive in `lengths` order."""
    rng = random.Random(seed) if group else None
    useful = padded = 0
    for start in range(0, len(lengths), window):
        chunk = list(lengths[start : start + window])
        for idx in group_by_length(chunk, micro_batch_size, rng):
            sizes = [chunk[i] for i in idx]
            useful += sum(sizes)
            padded += max(sizes) * len(sizes)
    return useful / padded if padded else 0.0
