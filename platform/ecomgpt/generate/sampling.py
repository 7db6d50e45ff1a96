"""Sampling record–task pairs before generation, so that a per-task cap costs O(cap), not O(input).

Every (record, task) pair has a seeded 64-bit key. The cap keeps, per task, the `cap` distinct
examples of smallest key, so a pair whose key lies above what the cap can reach never needs to be
generated. From a pilot of the first records (in file order, so independent of how the input is split)
and an estimate of the number of records, each task gets a key bound that leaves a safe margin over
the cap. The bound is only a speed-up: a task that ends up with fewer than `cap` examples under its
bound is generated again over the remaining keys, so the output is exactly the output of
generating everything.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import pyarrow.parquet as pq

from ecomgpt import storage
from ecomgpt.hashing import mix64, stable_hash64
from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.units import ReadUnit
from ecomgpt.tasks.examples import RenderOptions, build_examples
from ecomgpt.tasks.registry import TaskSpec

FULL = 1 << 64  # exclusive upper bound of the key space
_LINE_FORMATS = ("jsonl", "csv")  # about one record per line; BIO has one per sentence
_SAMPLE_BYTES = 4 << 20


def task_salt(seed: int, task: str) -> int:
    return stable_hash64("task-key", seed, task)


def record_hash(seed: int, source: str, record_id: str) -> int:
    return stable_hash64("record-key", seed, source, record_id)


def pair_key(record_bits: int, salt: int) -> int:
    """Uniformly spread key of a (record, task) pair."""
    return mix64(record_bits ^ salt)


def _bytes_per_line(path: str) -> float:
    """Average line length over the first few MiB of a file (exact for smaller files)."""
    with storage.open_binary(path) as handle:
        head = handle.read(_SAMPLE_BYTES)
    return len(head) / max(1, head.count(b"\n"))


def estimate_records(units: Iterable[ReadUnit]) -> int | None:
    """Roughly how many records the units hold, from file sizes and the line length at the start of
    each source's first file (Parquet: row counts); None when a format gives no such estimate."""
    total = 0.0
    line_length: dict[str, float] = {}
    seen: set[str] = set()
    for unit in units:
        if unit.path in seen:
            continue
        seen.add(unit.path)
        source = unit.source
        if source.format in _LINE_FORMATS:
            if source.name not in line_length:
                line_length[source.name] = _bytes_per_line(unit.path)
            total += storage.file_size(unit.path) / line_length[source.name]
        elif source.format == "parquet":
            with storage.open_random_access(unit.path) as handle:
                total += pq.ParquetFile(handle).metadata.num_rows
        else:
            return None
    return round(total)


def pilot_pairs(
    units: list[ReadUnit],
    specs_by_type: dict[str, list[TaskSpec]],
    seed: int,
    options: RenderOptions,
    max_field_chars: int,
    records: int,
) -> tuple[int, Counter]:
    """(accepted records, productive pairs per task) over the first `records` records in file order."""
    seen, pairs = 0, Counter[str]()
    for unit in units:
        for item in iter_unit(unit, max_field_chars):
            if isinstance(item, Reject):
                continue
            seen += 1
            pairs.update(
                {ex["task"] for ex in build_examples(item, specs_by_type.get(item.data_type, ()), seed, options)}  # type: ignore[attr-defined]  # every canonical record has a data_type
            )
            if seen >= records:
                return seen, pairs
    return seen, pairs


def key_bound(cap: int, expected_pairs: float) -> int:
    """Key bound that keeps about 1.5 x cap pairs, plus a margin for small caps."""
    wanted = 1.5 * cap + 10 * math.sqrt(cap) + 50
    if expected_pairs <= wanted:
        return FULL
    return int(FULL * wanted / expected_pairs)


def plan_key_bounds(
    units: list[ReadUnit],
    specs_by_type: dict[str, list[TaskSpec]],
    seed: int,
    options: RenderOptions,
    max_field_chars: int,
    cap: int | None,
    pilot_records: int = 2_000,
) -> dict[str, int]:
    """Per-task exclusive key bounds; a task left out is generated in full."""
    if cap is None:
        return {}
    total = estimate_records(units)
    if total is None:
        return {}
    seen, pairs = pilot_pairs(units, specs_by_type, seed, options, max_field_chars, pilot_records)
    if seen < pilot_records:  # the pilot read everything: nothing to gain
        return {}
    bounds = {task: key_bound(cap, n / seen * total) for task, n in pairs.items()}
    return {task: bound for task, bound in bounds.items() if bound < FULL}
