"""`generate`'s passes on Ray Data.

read units -> [tasks, one unit each] read, validate, quarantine, generate, decontaminate, pre-cap per unit
           -> [shuffle by task] exact dedup, per-task cap, split
           -> [shuffle by id bucket] exact counts of duplicates and contaminated examples

Every pass gives one result row per unit (`counts.PassResult`); the teacher's pass (`teacher.stage`) gives
rows of the same kind, so its examples join the golden candidates at the shuffle by task.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import ray
from ray.data.context import DataContext, ShuffleStrategy
from ray.data.expressions import col

from ecomgpt import storage
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.counts import PassResult, candidates_of, result_table
from ecomgpt.generate.decontam import Decontaminator
from ecomgpt.generate.finalize import HASH_COLUMNS, OutputDigest, candidates_table, dedup_and_cap
from ecomgpt.generate.plan import GeneratePlan
from ecomgpt.generate.process import KeyRanges, group_specs, process_unit
from ecomgpt.records.units import ReadUnit
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.registry import resolve_tasks

ID_BUCKETS = 16


@dataclass(frozen=True)
class UnitPass:
    """What every unit task of one pass needs; `token` names the pass, so a worker process builds its
    `UnitWorker` once per pass."""

    token: str
    config: GenerateConfig
    options: RenderOptions
    ranges: KeyRanges
    output: str  # where rejects are written


class UnitWorker:
    """Holds the task specs and the decontamination index; processes one read unit per call."""

    def __init__(self, spec: UnitPass, heldout_texts: list[str]):
        self.spec = spec
        self.specs_by_type = group_specs(resolve_tasks(sorted(spec.ranges)))
        self.decontam = Decontaminator(heldout_texts, spec.config.decontam_min_chars)

    def __call__(self, index: int, unit: ReadUnit) -> PassResult:
        cfg = self.spec.config
        started, cpu_started = time.perf_counter(), time.process_time()
        result = process_unit(
            unit,
            self.specs_by_type,
            cfg.seed,
            self.spec.options,
            self.decontam.is_contaminated,
            cfg.samples_per_task,
            cfg.max_field_chars,
            self.spec.ranges,
        )
        if result.rejects:
            lines = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in result.rejects)
            storage.write_text(storage.join(self.spec.output, "rejects", f"part-{index:05d}.jsonl"), lines)
        result.stats.unit_seconds = (time.perf_counter() - started,)
        result.stats.unit_cpu_seconds = (time.process_time() - cpu_started,)
        return PassResult(index, result.stats, result.ids, result.contaminated, candidates_table(result.candidates))


# Ray reuses its warm worker processes between tasks (an actor pool would start new ones for every pass), so
# each process keeps the worker of the pass it last ran.
_WORKER: dict[str, UnitWorker] = {}


def _worker(spec: UnitPass, heldout_ref: ray.ObjectRef) -> UnitWorker:
    if spec.token not in _WORKER:
        _WORKER.clear()
        _WORKER[spec.token] = UnitWorker(spec, ray.get(heldout_ref))
    return _WORKER[spec.token]


def _run_units(batch: dict[str, np.ndarray], spec: UnitPass, heldout: list) -> pa.Table:
    worker = _worker(spec, heldout[0])
    units = [
        ReadUnit.from_row({k: _scalar(v[i]) for k, v in batch.items() if k != "unit"})
        for i in range(len(batch["unit"]))
    ]
    return result_table([worker(int(index), unit) for index, unit in zip(batch["unit"], units)])


def _scalar(value):
    """A numpy scalar from a batch column as the plain Python value."""
    return value.item() if isinstance(value, np.generic) else value


def unit_pass(plan: GeneratePlan, ranges: KeyRanges, heldout_ref: ray.ObjectRef) -> ray.data.Dataset:
    """The pass over every read unit, generating only the pairs inside `ranges`."""
    rows = [dict(unit.to_row(), unit=i) for i, unit in enumerate(plan.units)]
    spec = UnitPass(uuid.uuid4().hex, plan.config, plan.options, ranges, plan.staging)
    return (
        ray.data.from_items(rows, override_num_blocks=len(rows))
        .map_batches(
            _run_units,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
            # The held-out texts in a list, so that Ray passes the reference, not the texts, to every task.
            fn_kwargs={"spec": spec, "heldout": [heldout_ref]},
            batch_size=1,
            num_cpus=1,
        )
        .materialize()
    )


def candidates(results: ray.data.Dataset) -> ray.data.Dataset:
    return results.select_columns(["candidates"]).map_batches(candidates_of, batch_format="pyarrow", batch_size=1)


def finalize(candidates: ray.data.Dataset, cfg: GenerateConfig) -> ray.data.Dataset:
    """Exact dedup and cap per task (a shuffle by task), then the split."""
    return (
        candidates.groupby("task")
        .map_groups(dedup_and_cap, batch_format="pyarrow", fn_args=(cfg.samples_per_task, frozenset(cfg.heldout_tasks)))  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        .materialize()
    )


def complete(
    final: ray.data.Dataset, short: list[str], results: ray.data.Dataset, cfg: GenerateConfig
) -> ray.data.Dataset:
    """`final` with the `short` tasks finalized again over their candidates and a completing pass's."""
    redo = final.filter(expr=col("task").is_in(short)).union(candidates(results))
    return final.filter(expr=col("task").not_in(short)).union(finalize(redo, cfg)).materialize()


def _id_buckets(batch: dict[str, np.ndarray]) -> Iterator[dict[str, list]]:
    rows: dict[str, list] = {"bucket": [], "ids": [], "contaminated": []}
    for ids_blob, bad_blob in zip(batch["ids"], batch["contaminated"]):
        ids = np.frombuffer(ids_blob, dtype=np.uint64)
        bad = np.frombuffer(bad_blob, dtype=np.uint64)
        for b in range(ID_BUCKETS):
            rows["bucket"].append(b)
            rows["ids"].append(ids[ids % ID_BUCKETS == b].tobytes())
            rows["contaminated"].append(bad[bad % ID_BUCKETS == b].tobytes())
    yield rows


def _count_bucket(group: dict[str, np.ndarray]) -> dict[str, list]:
    ids = np.concatenate([np.frombuffer(b, dtype=np.uint64) for b in group["ids"]])
    bad = np.concatenate([np.frombuffer(b, dtype=np.uint64) for b in group["contaminated"]])
    return {"distinct": [len(np.unique(ids))], "contaminated": [len(np.unique(bad))]}


def distinct_counts(results: ray.data.Dataset) -> tuple[int, int]:
    """(distinct example ids, distinct contaminated ids) over every pass, by a shuffle on id buckets."""
    sums = (
        results.select_columns(["ids", "contaminated"])
        .map_batches(_id_buckets, batch_size=None)
        .groupby("bucket")
        .map_groups(_count_bucket)
        .sum(["distinct", "contaminated"])
    )
    return (int(sums["sum(distinct)"]), int(sums["sum(contaminated)"])) if sums else (0, 0)


def digest(final: ray.data.Dataset) -> OutputDigest:
    found = OutputDigest()
    for batch in final.select_columns(["task", *HASH_COLUMNS]).iter_batches(batch_format="numpy"):
        found.add({k: v.tolist() for k, v in batch.items()})
    return found


def configure_data_context() -> None:
    """Ray Data's settings for generate's passes."""
    context = DataContext.get_current()
    # The shuffles move bounded data (capped candidates, id buckets); the sort-based shuffle runs them in
    # plain tasks, where the hash shuffle first starts a pool of aggregator actors.
    context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    # A unit's own error (a store that refuses or stays away) reaches the driver as itself, so the command
    # prints its one message rather than Ray Data's wrapper.
    context.raise_original_map_exception = True
