"""What `generate`'s passes count, and the result row each pass gives per read unit (or teacher batch).

`Counts` adds with `+`: over the units of a pass, over passes, and with the teacher's. A completing pass
(`Counts.completing`) re-reads records the first pass counted: it adds only its examples, and the pairs it
generated are no longer skipped.
"""

from __future__ import annotations

import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ecomgpt.generate.finalize import candidates_table, from_ipc, to_ipc

if TYPE_CHECKING:
    import ray.data


def _add_nested(a: dict[str, Counter], b: dict[str, Counter]) -> defaultdict[str, Counter]:
    total: defaultdict[str, Counter] = defaultdict(Counter)
    for part in (a, b):
        for key, counts in part.items():
            total[key].update(counts)
    return total


@dataclass
class LabelCounts:
    """One pseudo-label task's teacher counts: `pairs` = `cached` + `asked` + `not_asked`; answered = `cached` +
    `asked` − failed = `accepted` + rejected; `contaminated` counts accepted examples decontamination drops."""

    pairs: int = 0
    cached: int = 0
    asked: int = 0
    not_asked: int = 0
    failed: Counter = field(default_factory=Counter)
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)
    contaminated: int = 0

    def __add__(self, other: LabelCounts) -> LabelCounts:
        return LabelCounts(
            pairs=self.pairs + other.pairs,
            cached=self.cached + other.cached,
            asked=self.asked + other.asked,
            not_asked=self.not_asked + other.not_asked,
            failed=_updated(self.failed, other.failed),
            accepted=self.accepted + other.accepted,
            rejected=_updated(self.rejected, other.rejected),
            contaminated=self.contaminated + other.contaminated,
        )

    def to_dict(self) -> dict:
        answered = self.cached + self.asked - sum(self.failed.values())
        return {
            "pairs": self.pairs,
            "cached": self.cached,
            "asked": self.asked,
            "not_asked": self.not_asked,
            "failed": sum(self.failed.values()),
            "failed_by_reason": dict(sorted(self.failed.items())),
            "answered": answered,
            "accepted": self.accepted,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "contaminated": self.contaminated,
            "accept_rate": round(self.accepted / answered, 4) if answered else None,
        }


def _updated(a: Counter, b: Counter) -> Counter:
    """a + b keeping zero and negative counts (Counter's `+` drops them)."""
    total = Counter(a)
    total.update(b)
    return total


@dataclass
class Counts:
    records_in: int = 0
    records_accepted: int = 0
    rejected_by_reason: Counter = field(default_factory=Counter)
    by_source: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # "in", "accepted"
    generated: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # task -> lang -> n
    pairs_skipped: Counter = field(default_factory=Counter)  # task -> pairs outside the key range
    pairs_generated: Counter = field(default_factory=Counter)  # task -> pairs inside it
    unit_seconds: tuple[float, ...] = ()
    unit_cpu_seconds: tuple[float, ...] = ()
    teacher: dict[str, LabelCounts] = field(default_factory=dict)  # pseudo-label task -> its counts

    def __add__(self, other: Counts) -> Counts:
        teacher = dict(self.teacher)
        for task, counts in other.teacher.items():
            teacher[task] = teacher[task] + counts if task in teacher else counts
        return Counts(
            records_in=self.records_in + other.records_in,
            records_accepted=self.records_accepted + other.records_accepted,
            rejected_by_reason=_updated(self.rejected_by_reason, other.rejected_by_reason),
            by_source=_add_nested(self.by_source, other.by_source),
            generated=_add_nested(self.generated, other.generated),
            pairs_skipped=_updated(self.pairs_skipped, other.pairs_skipped),
            pairs_generated=_updated(self.pairs_generated, other.pairs_generated),
            unit_seconds=self.unit_seconds + other.unit_seconds,
            unit_cpu_seconds=self.unit_cpu_seconds + other.unit_cpu_seconds,
            teacher=teacher,
        )

    def completing(self) -> Counts:
        """This completing pass's counts as an addition to the first pass's."""
        return Counts(
            generated=self.generated,
            pairs_skipped=Counter({task: -n for task, n in self.pairs_generated.items()}),
            pairs_generated=self.pairs_generated,
            unit_seconds=self.unit_seconds,
            unit_cpu_seconds=self.unit_cpu_seconds,
        )

    @property
    def generated_total(self) -> int:
        return sum(sum(langs.values()) for langs in self.generated.values())

    def generated_dict(self) -> dict[str, dict[str, int]]:
        return {task: dict(sorted(langs.items())) for task, langs in sorted(self.generated.items())}

    def by_source_dict(self) -> dict[str, dict[str, int]]:
        return {
            name: {"in": c["in"], "accepted": c["accepted"], "rejected": c["in"] - c["accepted"]}
            for name, c in sorted(self.by_source.items())
        }

    def teacher_dict(self) -> dict[str, dict]:
        return {task: self.teacher[task].to_dict() for task in sorted(self.teacher)}


RESULT_SCHEMA = pa.schema(
    [
        ("unit", pa.int64()),  # the read unit's index; -1 for a teacher batch
        ("counts", pa.large_binary()),
        ("ids", pa.large_binary()),  # distinct example ids (64-bit) generated
        ("contaminated", pa.large_binary()),  # the distinct ids among them that were contaminated
        ("candidates", pa.large_binary()),  # examples kept for the global dedup and cap, as Arrow IPC
    ]
)


@dataclass(frozen=True)
class PassResult:
    """One read unit's (or teacher batch's) result: a row of a pass's Ray dataset."""

    unit: int
    counts: Counts
    ids: np.ndarray
    contaminated: np.ndarray
    candidates: pa.Table


def result_table(results: list[PassResult]) -> pa.Table:
    """Results as rows of RESULT_SCHEMA (the counts pickled: they travel between the workers and the driver of
    one run, never to disk)."""
    return pa.table(
        {
            "unit": [r.unit for r in results],
            "counts": [pickle.dumps(r.counts) for r in results],
            "ids": [r.ids.astype(np.uint64).tobytes() for r in results],
            "contaminated": [r.contaminated.astype(np.uint64).tobytes() for r in results],
            "candidates": [to_ipc(r.candidates) for r in results],
        },
        schema=RESULT_SCHEMA,
    )


def counts_of(blobs: list[bytes]) -> Counts:
    """The sum of result rows' counts."""
    return sum((pickle.loads(blob) for blob in blobs), Counts())


def pass_counts(results: ray.data.Dataset) -> Counts:
    """The sum of a pass's counts (its result rows, as a Ray dataset)."""
    return counts_of(results.select_columns(["counts"]).to_pandas()["counts"].tolist())


def candidates_of(batch: pa.Table) -> pa.Table:
    """A batch of result rows' candidates as one table."""
    tables = [from_ipc(blob.as_py()) for blob in batch.column("candidates")]
    return pa.concat_tables(tables) if tables else candidates_table([])
