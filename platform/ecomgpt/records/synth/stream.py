"""The synthetic record stream: record `index` for a seed, built from its own draws alone."""

from __future__ import annotations

from collections.abc import Iterator

from ecomgpt.hashing import stable_hash64
from ecomgpt.records.synth.dialogue import dialogue_record
from ecomgpt.records.synth.draws import Draws
from ecomgpt.records.synth.product import product_record
from ecomgpt.records.synth.query import query_record
from ecomgpt.records.synth.review import review_record

VERSION = "1"  # bump whenever the records generated for a (seed, index) change


def _base(seed: int) -> int:
    return stable_hash64("ecomgpt.records.synth", VERSION, seed)


def _record(base: int, seed: int, index: int) -> dict:
    """35% products, 35% reviews, 15% queries, 15% dialogues; half English, half Chinese."""
    draws = Draws(base, index)
    record_id = f"syn-{seed}-{index}"
    draw = draws.below(200)
    lang, roll = draw & 1, draw >> 1
    if roll < 35:
        return product_record(draws, lang, record_id)
    if roll < 70:
        return review_record(draws, lang, record_id, f"sku-{seed}-{index}")
    if roll < 85:
        return query_record(draws, lang, record_id, f"sku-{seed}-{index}-")
    return dialogue_record(draws, lang, record_id)


def synthetic_record(seed: int, index: int) -> dict:
    """Record `index` of the synthetic stream for `seed`."""
    return _record(_base(seed), seed, index)


def iter_synthetic(n: int, seed: int, start: int = 0) -> Iterator[dict]:
    """Records `start` .. `start + n - 1` as canonical record dicts (see records/schema.py)."""
    if n < 0 or start < 0:
        raise ValueError(f"n and start must be >= 0, got n={n}, start={start}")
    return _iter(_base(seed), seed, start, start + n)


def _iter(base: int, seed: int, start: int, stop: int) -> Iterator[dict]:
    record = _record
    for index in range(start, stop):
        yield record(base, seed, index)
