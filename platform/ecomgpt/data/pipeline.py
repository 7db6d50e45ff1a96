"""`ecomgpt generate` on Ray Data.

read units -> [actor pool] read, validate, quarantine, generate, decontaminate, pre-cap per unit
           -> [hash shuffle by task] exact dedup, per-task cap, split -> Parquet shards
           -> [hash shuffle by id bucket] exact counts of duplicates and contaminated examples
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
import ray
from ray.data.context import DataContext, ShuffleStrategy
from ray.data.expressions import col

from ecomgpt import storage
from ecomgpt.data.config import GenerateConfig
from ecomgpt.errors import UserError
from ecomgpt.data.decontam import Decontaminator
from ecomgpt.data.finalize import HASH_COLUMNS, OutputDigest, candidates_table, dedup_and_cap
from ecomgpt.data.heldout_texts import load_heldout_texts
from ecomgpt.data.manifest import build_manifest
from ecomgpt.data.process import group_specs, process_unit
from ecomgpt.records.sources import SourceConfig, input_source, load_source_config
from ecomgpt.records.units import ReadUnit, plan_units
from ecomgpt.runtime import cluster_cpus
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.registry import UnknownTaskError, resolve_tasks

ID_BUCKETS = 16
SPLITS = ("held_in", "held_out")


class OutputExistsError(UserError, FileExistsError):
    pass


@dataclass(frozen=True)
class GeneratePlan:
    """Everything checked before any work starts."""

    config: GenerateConfig
    output: str
    sources: list[SourceConfig]
    units: list[ReadUnit]
    task_names: list[str]
    heldout_texts: list[str]


def resolve_sources(cfg: GenerateConfig) -> list[SourceConfig]:
    sources = [load_source_config(path) for path in cfg.sources]
    sources += [input_source(path) for path in cfg.inputs]
    if not sources:
        raise UserError("nothing to read: give --input PATH or sources in the config")
    names = Counter(source.name for source in sources)
    repeated = sorted(name for name, n in names.items() if n > 1)
    if repeated:
        raise UserError(f"source names must be unique (they key record lineage); repeated: {repeated}")
    return sources


def plan_generate(cfg: GenerateConfig, output: str, overwrite: bool = False) -> GeneratePlan:
    """Validate config, sources, tasks and output before starting: a bad run fails here, fast."""
    specs = resolve_tasks(cfg.tasks)
    known = {spec.name for spec in resolve_tasks(None)}
    unknown = sorted(set(cfg.heldout_tasks) - known)
    if unknown:
        raise UnknownTaskError(f"heldout_tasks names unknown tasks {unknown}; known tasks: {sorted(known)}")
    if not storage.is_empty_dir(output):
        if not overwrite:
            raise OutputExistsError(f"output {output} is not empty; choose another or pass --overwrite")
        storage.delete_dir(output)
    sources = resolve_sources(cfg)
    target = cfg.num_blocks or 4 * cluster_cpus()
    units = plan_units(sources, target)
    texts = load_heldout_texts(cfg.heldout_dir) if cfg.heldout_dir else []
    return GeneratePlan(cfg, output, sources, units, [s.name for s in specs], texts)


class UnitWorker:
    """Holds the task specs and the decontamination index; processes one read unit per call."""

    def __init__(self, config_json: str, task_names: list[str], heldout_texts: list[str], output: str):
        cfg = GenerateConfig.model_validate_json(config_json)
        self.cfg = cfg
        self.output = output
        self.specs_by_type = group_specs(resolve_tasks(task_names))
        self.options = RenderOptions(header=cfg.header, instruction_lang=cfg.instruction_lang)
        self.decontam = Decontaminator(heldout_texts, cfg.decontam_min_chars)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        out: dict[str, list] = {"unit": [], "stats": [], "ids": [], "contaminated": [], "candidates": []}
        for i in range(len(batch["unit"])):
            row = {key: _scalar(batch[key][i]) for key in batch}
            index = row.pop("unit")
            unit = ReadUnit.from_row(row)
            result = process_unit(
                unit,
                self.specs_by_type,
                self.cfg.seed,
                self.options,
                self.decontam.is_contaminated,
                self.cfg.samples_per_task,
                self.cfg.max_field_chars,
            )
            if result.rejects:
                lines = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in result.rejects)
                storage.write_text(storage.join(self.output, "rejects", f"part-{index:05d}.jsonl"), lines)
            out["unit"].append(index)
            out["stats"].append(json.dumps(result.stats.to_dict()))
            out["ids"].append(result.ids.tobytes())
            out["contaminated"].append(result.contaminated.tobytes())
            out["candidates"].append(_to_ipc(candidates_table(result.candidates)))
        return {
            "unit": out["unit"],
            "stats": out["stats"],
            "ids": pa.array(out["ids"], pa.large_binary()),
            "contaminated": pa.array(out["contaminated"], pa.large_binary()),
            "candidates": pa.array(out["candidates"], pa.large_binary()),
        }


def _scalar(value):
    """A numpy scalar from a batch column as the plain Python value."""
    return value.item() if isinstance(value, np.generic) else value


def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _decode_candidates(batch: pa.Table) -> pa.Table:
    tables = [_from_ipc(blob.as_py()) for blob in batch.column("candidates")]
    return pa.concat_tables(tables) if tables else candidates_table([])


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


def merge_stats(parts: list[dict]) -> dict:
    total: dict = {"records_in": 0, "records_accepted": 0, "rejected_by_reason": Counter(), "by_source": {}, "generated": {}}
    for part in parts:
        total["records_in"] += part["records_in"]
        total["records_accepted"] += part["records_accepted"]
        total["rejected_by_reason"].update(part["rejected_by_reason"])
        for name, counts in part["by_source"].items():
            into = total["by_source"].setdefault(name, Counter())
            into.update(counts)
        for task, langs in part["generated"].items():
            total["generated"].setdefault(task, Counter()).update(langs)
    total["rejected_by_reason"] = dict(sorted(total["rejected_by_reason"].items()))
    total["by_source"] = {
        name: {"in": c["in"], "accepted": c["accepted"], "rejected": c["in"] - c["accepted"]}
        for name, c in sorted(total["by_source"].items())
    }
    total["generated"] = {task: dict(sorted(c.items())) for task, c in sorted(total["generated"].items())}
    return total


def run_generate(plan: GeneratePlan) -> dict:
    """Run a checked plan on the connected Ray; returns the manifest (also written to the output)."""
    cfg, output = plan.config, plan.output
    # The shuffles below move bounded data (capped candidates, id buckets); the sort-based shuffle
    # runs them in plain tasks, where the hash shuffle first starts a pool of aggregator actors.
    DataContext.get_current().shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    started = time.time()
    storage.make_dirs(output)
    rows = [dict(unit.to_row(), unit=i) for i, unit in enumerate(plan.units)]
    units = ray.data.from_items(rows, override_num_blocks=len(rows))
    workers = max(1, min(len(rows), cluster_cpus()))
    results = units.map_batches(
        UnitWorker,
        fn_constructor_kwargs={
            "config_json": cfg.model_dump_json(),
            "task_names": plan.task_names,
            "heldout_texts": plan.heldout_texts,
            "output": output,
        },
        batch_size=1,
        concurrency=workers,
        num_cpus=1,
    ).materialize()
    generated_at = time.time()

    stats = merge_stats([json.loads(s) for s in results.select_columns(["stats"]).to_pandas()["stats"]])
    counts = (
        results.select_columns(["ids", "contaminated"])
        .map_batches(_id_buckets, batch_size=None)
        .groupby("bucket")
        .map_groups(_count_bucket)
        .sum(["distinct", "contaminated"])
    )
    heldout = frozenset(cfg.heldout_tasks)
    final = (
        results.select_columns(["candidates"])
        .map_batches(_decode_candidates, batch_format="pyarrow", batch_size=1)
        .groupby("task")
        .map_groups(dedup_and_cap, batch_format="pyarrow", fn_args=(cfg.samples_per_task, heldout))
        .materialize()
    )
    digest = OutputDigest()
    for batch in final.select_columns(["task", *HASH_COLUMNS]).iter_batches(batch_format="numpy"):
        digest.add({k: v.tolist() for k, v in batch.items()})
    finalized_at = time.time()

    split_totals = digest.split_totals()
    for split in SPLITS:
        storage.make_dirs(storage.join(output, split))
        if split_totals.get(split):
            final.filter(expr=col("split") == split).write_parquet(storage.join(output, split))
    written_at = time.time()

    distinct = int(counts["sum(distinct)"]) if counts else 0
    contaminated = int(counts["sum(contaminated)"]) if counts else 0
    generated_total = sum(sum(langs.values()) for langs in stats["generated"].values())
    manifest = build_manifest(
        plan=plan,
        stats=stats,
        generated_total=generated_total,
        distinct=distinct,
        contaminated=contaminated,
        digest=digest,
        timings={
            "read_generate_s": round(generated_at - started, 3),
            "dedup_cap_s": round(finalized_at - generated_at, 3),
            "write_s": round(written_at - finalized_at, 3),
            "total_s": round(written_at - started, 3),
        },
    )
    storage.write_json(storage.join(output, "manifest.json"), manifest)
    return manifest
