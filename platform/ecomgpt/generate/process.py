"""Per-unit work of `generate`, as plain functions: read -> validate -> generate -> decontaminate ->
dedup and pre-cap within the unit. Ray Data runs `process_unit` once per read unit
(`generate.passes`); benchmarks and tests call it directly.

Every (record, task) pair has a seeded key (`generate.sampling`); an example's key is its pair's, and an
example id seen several times counts with its smallest key. Pre-capping keeps, per task, the `cap`
distinct examples of smallest key. The global top `cap` of a task is contained in the union of the
units' top `cap`, so the final cap after the global dedup is exact while only a bounded number of
rows per unit leaves the worker. Pairs whose key lies outside the task's range are not generated.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ecomgpt.generate.counts import Counts
from ecomgpt.generate.sampling import FULL, pair_key, record_hash, task_salt
from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.units import ReadUnit
from ecomgpt.tasks.examples import RenderOptions, build_examples
from ecomgpt.tasks.registry import TaskSpec

KeyRanges = dict[str, tuple[int, int]]  # task -> [low, high) of pair keys to generate


def id64(example_id: str) -> int:
    """The first 64 bits of an example id, for counting distinct examples cheaply."""
    return int(example_id[:16], 16)


@dataclass
class UnitResult:
    stats: Counts
    ids: np.ndarray  # distinct example ids (64-bit) generated in the unit
    contaminated: np.ndarray  # the distinct ids among them that were contaminated
    candidates: list[dict]  # examples kept for the global dedup and cap, each with `_key`
    rejects: list[Reject]


def _order(row: dict) -> tuple:
    # The order of finalize.dedup_and_cap. One record can give a task several examples, all with the
    # record's key: the id breaks their tie, so a unit keeps the examples the global cap would.
    return row["_key"], row["source"], row["record_id"], row["id"]


class _TaskBucket:
    """Distinct examples of one task with the smallest keys, pruned as it grows."""

    __slots__ = ("cap", "rows")

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.rows: dict[str, dict] = {}

    def add(self, example: dict) -> None:
        kept = self.rows.get(example["id"])
        if kept is not None:
            # A duplicate keeps its smallest (key, lineage), so the winner does not depend on the units.
            if _order(example) < _order(kept):
                self.rows[example["id"]] = example
            return
        self.rows[example["id"]] = example
        if self.cap is not None and len(self.rows) >= 4 * self.cap:
            self._prune()

    def _prune(self) -> None:
        best = sorted(self.rows.values(), key=_order)[: self.cap]
        self.rows = {row["id"]: row for row in best}

    def finish(self) -> list[dict]:
        if self.cap is not None and len(self.rows) > self.cap:
            self._prune()
        return list(self.rows.values())


def process_records(
    items: Iterable,
    specs_by_type: dict[str, list[TaskSpec]],
    seed: int,
    options: RenderOptions,
    is_contaminated: Callable[[str], bool],
    cap: int | None,
    ranges: KeyRanges | None = None,
) -> UnitResult:
    """Process records; `ranges` limits each task to pairs with keys in [low, high) (default: all)."""
    stats = Counts()
    rejects: list[Reject] = []
    seen: set[int] = set()
    contaminated_ids: set[int] = set()
    verdicts: dict[str, bool] = {}  # many tasks share one record's input text
    buckets: dict[str, _TaskBucket] = {}
    generated: Counter = Counter()  # (task, lang) -> examples
    records_by_type: Counter = Counter()
    ranges = ranges or {}
    # Per data type: (spec, salt, low, high), computed once rather than per record.
    plans = {
        data_type: [(spec, task_salt(seed, spec.name), *ranges.get(spec.name, (0, FULL))) for spec in specs]
        for data_type, specs in specs_by_type.items()
    }
    for item in items:
        stats.records_in += 1
        if isinstance(item, Reject):
            stats.rejected_by_reason[item.reason] += 1
            stats.by_source[item.source]["in"] += 1
            rejects.append(item)
            continue
        stats.records_accepted += 1
        counts = stats.by_source[item.source]
        counts["in"] += 1
        counts["accepted"] += 1
        bits = record_hash(seed, item.source, item.record_id)
        keys: dict[str, int] = {}
        chosen = []
        for spec, salt, low, high in plans.get(item.data_type, ()):
            key = pair_key(bits, salt)
            if low <= key < high:
                keys[spec.name] = key
                chosen.append(spec)
        for example in build_examples(item, chosen, seed, options) if chosen else ():
            generated[example["task"], example["lang"]] += 1
            id_bits = id64(example["id"])
            seen.add(id_bits)
            text = example["input"]
            verdict = verdicts.get(text)
            if verdict is None:
                verdict = verdicts[text] = is_contaminated(text)
            if verdict:
                contaminated_ids.add(id_bits)
                continue
            example["_key"] = keys[example["task"]]
            bucket = buckets.get(example["task"])
            if bucket is None:
                bucket = buckets[example["task"]] = _TaskBucket(cap)
            bucket.add(example)
        stats.pairs_generated.update(keys.keys())
        records_by_type[item.data_type] += 1
        if len(verdicts) > 200_000:
            verdicts.clear()
    for (task, lang), n in generated.items():
        stats.generated[task][lang] += n
    for data_type, plan in plans.items():
        for spec, *_ in plan:
            skipped = records_by_type[data_type] - stats.pairs_generated[spec.name]
            if skipped:
                stats.pairs_skipped[spec.name] = skipped
    candidates = [row for bucket in buckets.values() for row in bucket.finish()]
    return UnitResult(
        stats=stats,
        ids=np.fromiter(seen, dtype=np.uint64, count=len(seen)),
        contaminated=np.fromiter(contaminated_ids, dtype=np.uint64, count=len(contaminated_ids)),
        candidates=candidates,
        rejects=rejects,
    )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic collector: a unit allocates millions of acyclic objects, and the collector's
    repeated passes over the growing candidate set cost more than the unit's own work at scale."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def process_unit(
    unit: ReadUnit,
    specs_by_type: dict[str, list[TaskSpec]],
    seed: int,
    options: RenderOptions,
    is_contaminated: Callable[[str], bool],
    cap: int | None,
    max_field_chars: int,
    ranges: KeyRanges | None = None,
) -> UnitResult:
    with _cyclic_gc_paused():
        return process_records(
            iter_unit(unit, max_field_chars), specs_by_type, seed, options, is_contaminated, cap, ranges
        )


def group_specs(specs: Iterable[TaskSpec]) -> dict[str, list[TaskSpec]]:
    grouped: dict[str, list[TaskSpec]] = defaultdict(list)
    for spec in specs:
        grouped[spec.data_type].append(spec)
    return dict(grouped)
