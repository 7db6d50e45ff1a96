"""`ecomgpt generate` on Ray Data.

read units -> [tasks, one unit each] read, validate, quarantine, generate, decontaminate, pre-cap per unit
           -> [shuffle by task] exact dedup, per-task cap, split -> Parquet shards
           -> [shuffle by id bucket] exact counts of duplicates and contaminated examples

With a cap, a pilot on the driver first bounds which record-task pairs are worth generating
(`data.sampling`); a task the bound leaves short is completed by a second pass over its other pairs.
With a `teacher:` block, the teacher stage (`ecomgpt.teacher.stage`) runs first: its pseudo-label examples
join the golden candidates at the shuffle by task, and its result rows join the counts.
"""

from __future__ import annotations

import functools
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import ray
from ray.data.context import DataContext, ShuffleStrategy
from ray.data.expressions import col

from ecomgpt import storage
from ecomgpt.data.config import GenerateConfig
from ecomgpt.data.decontam import Decontaminator
from ecomgpt.data.finalize import HASH_COLUMNS, OutputDigest, candidates_table, dedup_and_cap, from_ipc, to_ipc
from ecomgpt.data.heldout_texts import load_heldout_texts
from ecomgpt.data.manifest import build_manifest
from ecomgpt.data.process import KeyRanges, group_specs, process_unit
from ecomgpt.data.sampling import FULL, plan_key_bounds
from ecomgpt.errors import UserError
from ecomgpt.records.sources import SourceConfig, input_source, load_source_config
from ecomgpt.records.units import ReadUnit, plan_units
from ecomgpt.runtime import cluster_cpus
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.pseudo.registry import all_pseudo_tasks
from ecomgpt.tasks.registry import UnknownTaskError, resolve_tasks
from ecomgpt.teacher.stage import TeacherPlan, merge_generated, plan_teacher, run_teacher

ID_BUCKETS = 16
SPLITS = ("held_in", "held_out")


class OutputExistsError(UserError, FileExistsError):
    pass


@dataclass(frozen=True)
class GeneratePlan:
    """Everything checked before any work starts."""

    config: GenerateConfig
    output: str
    staging: str  # where the run is built before it replaces `output`
    sources: list[SourceConfig]
    units: list[ReadUnit]
    task_names: list[str]
    heldout_texts: list[str]
    teacher: TeacherPlan | None = None


def render_options(cfg: GenerateConfig, sources: str) -> RenderOptions:
    """How examples are rendered: the config's switches, and which (source, task) pairs are original tasks
    (`sources`: the JSON of `sources_json`)."""
    pairs = frozenset((source["name"], task) for source in json.loads(sources) for task in source["original_tasks"])
    return RenderOptions(header=cfg.header, instruction_lang=cfg.instruction_lang, original=pairs)


def sources_json(sources: list[SourceConfig]) -> str:
    """What the workers need of the sources: each one's name and original tasks."""
    return json.dumps([{"name": source.name, "original_tasks": source.original_tasks} for source in sources])


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
    """Validate config, sources, tasks and output before starting: a bad run fails here, fast.

    The output comes back absolute: the workers that write rejects run in other directories.
    """
    output = storage.absolute(output)
    pseudo = {task.name for task in all_pseudo_tasks()}
    named_pseudo = sorted(set(cfg.tasks or ()) & pseudo)
    if named_pseudo:
        raise UnknownTaskError(f"tasks names pseudo-label tasks {named_pseudo}: list them under teacher.tasks")
    specs = resolve_tasks(cfg.tasks)
    known = {spec.name for spec in resolve_tasks(None)} | pseudo
    unknown = sorted(set(cfg.heldout_tasks) - known)
    if unknown:
        raise UnknownTaskError(f"heldout_tasks names unknown tasks {unknown}; known tasks: {sorted(known)}")
    sources = resolve_sources(cfg)
    check_output(output, cfg, sources, overwrite)
    units = plan_units(sources, cfg.num_blocks or 4 * cluster_cpus())
    texts = load_heldout_texts(cfg.heldout_dir) if cfg.heldout_dir else []
    teacher = plan_teacher(cfg.teacher, output) if cfg.teacher else None
    staging = storage.staging_dir(output)
    storage.delete_dir(staging)  # what a crashed run left half-built
    return GeneratePlan(cfg, output, staging, sources, units, [s.name for s in specs], texts, teacher)


def check_output(output: str, cfg: GenerateConfig, sources: list[SourceConfig], overwrite: bool) -> None:
    """The output may be replaced only when it holds a `generate` run, and never when an input lies inside it
    (replacing it would delete what the run reads)."""
    inputs = [*cfg.sources, *(path for source in sources for path in source.paths)]
    inputs += [cfg.heldout_dir] if cfg.heldout_dir else []
    for location in inputs:
        if storage.inside(location, output):
            raise OutputExistsError(f"input {location} lies inside the output {output}; choose another output")
    if storage.is_empty_dir(output):
        return
    if not overwrite:
        raise OutputExistsError(f"output {output} is not empty; choose another or pass --overwrite")
    if "generate" not in (storage.manifest_stage(output), storage.interrupted_stage(output)):
        raise OutputExistsError(
            f"output {output} holds no generate run (no manifest.json of `generate`): --overwrite replaces only "
            "a generate run; choose another output"
        )


class UnitWorker:
    """Holds the task specs and the decontamination index; processes one read unit per call.

    It runs in Ray Data's task pool, one per worker process (`_unit_worker`): Ray reuses its
    warm worker processes between tasks, where an actor pool would start new ones for every pass.
    """

    def __init__(self, config_json: str, sources: str, ranges: KeyRanges, heldout_texts: list[str], output: str):
        cfg = GenerateConfig.model_validate_json(config_json)
        self.cfg = cfg
        self.output = output
        self.ranges = ranges
        self.specs_by_type = group_specs(resolve_tasks(sorted(ranges)))
        self.options = render_options(cfg, sources)
        self.decontam = Decontaminator(heldout_texts, cfg.decontam_min_chars)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        out: dict[str, list] = {"unit": [], "stats": [], "ids": [], "contaminated": [], "candidates": []}
        for i in range(len(batch["unit"])):
            row = {key: _scalar(batch[key][i]) for key in batch}
            index = row.pop("unit")
            unit = ReadUnit.from_row(row)
            started, cpu_started = time.perf_counter(), time.process_time()
            result = process_unit(
                unit,
                self.specs_by_type,
                self.cfg.seed,
                self.options,
                self.decontam.is_contaminated,
                self.cfg.samples_per_task,
                self.cfg.max_field_chars,
                self.ranges,
            )
            if result.rejects:
                lines = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in result.rejects)
                storage.write_text(storage.join(self.output, "rejects", f"part-{index:05d}.jsonl"), lines)
            out["unit"].append(index)
            seconds = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu_started}
            out["stats"].append(json.dumps({**result.stats.to_dict(), **seconds}))
            out["ids"].append(result.ids.tobytes())
            out["contaminated"].append(result.contaminated.tobytes())
            out["candidates"].append(to_ipc(candidates_table(result.candidates)))
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


def _decode_candidates(batch: pa.Table) -> pa.Table:
    tables = [from_ipc(blob.as_py()) for blob in batch.column("candidates")]
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
    """Sum the per-unit statistics of one pass."""
    total: dict = {
        "records_in": 0,
        "records_accepted": 0,
        "rejected_by_reason": Counter(),
        "by_source": {},
        "generated": {},
        "pairs_skipped": Counter(),
        "pairs_generated": Counter(),
        "unit_seconds": [],
        "unit_cpu_seconds": [],
    }
    for part in parts:
        total["records_in"] += part["records_in"]
        total["records_accepted"] += part["records_accepted"]
        total["rejected_by_reason"].update(part["rejected_by_reason"])
        for name, counts in part["by_source"].items():
            total["by_source"].setdefault(name, Counter()).update(counts)
        for task, langs in part["generated"].items():
            total["generated"].setdefault(task, Counter()).update(langs)
        total["pairs_skipped"].update(part["pairs_skipped"])
        total["pairs_generated"].update(part["pairs_generated"])
        total["unit_seconds"].append(part["seconds"])
        total["unit_cpu_seconds"].append(part["cpu_seconds"])
    total["rejected_by_reason"] = dict(sorted(total["rejected_by_reason"].items()))
    total["by_source"] = {
        name: {"in": c["in"], "accepted": c["accepted"], "rejected": c["in"] - c["accepted"]}
        for name, c in sorted(total["by_source"].items())
    }
    total["generated"] = {task: dict(sorted(c.items())) for task, c in sorted(total["generated"].items())}
    return total


def combine_passes(first: dict, second: dict | None) -> dict:
    """Records are counted by the first pass; a completing pass adds examples and un-skips pairs."""
    if second is None:
        return first
    combined = dict(first)
    generated = {task: Counter(langs) for task, langs in first["generated"].items()}
    for task, langs in second["generated"].items():
        generated.setdefault(task, Counter()).update(langs)
    combined["generated"] = {task: dict(sorted(c.items())) for task, c in sorted(generated.items())}
    combined["pairs_skipped"] = first["pairs_skipped"] - second["pairs_generated"]
    return combined


def _pass_stats(results: ray.data.Dataset) -> dict:
    return merge_stats([json.loads(s) for s in results.select_columns(["stats"]).to_pandas()["stats"]])


@functools.lru_cache(maxsize=1)
def _unit_worker(
    config_json: str, sources: str, ranges_json: str, heldout_ref: ray.ObjectRef, output: str
) -> UnitWorker:
    ranges = {task: tuple(bounds) for task, bounds in json.loads(ranges_json).items()}
    return UnitWorker(config_json, sources, ranges, ray.get(heldout_ref), output)


def _run_unit_task(batch, config_json: str, sources: str, ranges_json: str, heldout: list, output: str):
    return _unit_worker(config_json, sources, ranges_json, heldout[0], output)(batch)


def _process(plan: GeneratePlan, ranges: KeyRanges) -> ray.data.Dataset:
    """The pass over every read unit, generating only the pairs inside `ranges`."""
    rows = [dict(unit.to_row(), unit=i) for i, unit in enumerate(plan.units)]
    return (
        ray.data.from_items(rows, override_num_blocks=len(rows))
        .map_batches(
            _run_unit_task,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
            fn_kwargs={
                "config_json": plan.config.model_dump_json(),
                "sources": sources_json(plan.sources),
                "ranges_json": json.dumps(ranges),
                # Wrapped in a list so that Ray passes the reference, not the texts, to every task.
                "heldout": [ray.put(plan.heldout_texts)],
                "output": plan.staging,
            },
            batch_size=1,
            num_cpus=1,
        )
        .materialize()
    )


def _finalize(candidates: ray.data.Dataset, cfg: GenerateConfig) -> ray.data.Dataset:
    """Exact dedup and cap per task (a shuffle by task), then the split."""
    return (
        candidates.groupby("task")
        .map_groups(dedup_and_cap, batch_format="pyarrow", fn_args=(cfg.samples_per_task, frozenset(cfg.heldout_tasks)))  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        .materialize()
    )


def _candidates(results: ray.data.Dataset) -> ray.data.Dataset:
    return results.select_columns(["candidates"]).map_batches(_decode_candidates, batch_format="pyarrow", batch_size=1)


def _distinct_counts(results: ray.data.Dataset) -> tuple[int, int]:
    """(distinct example ids, distinct contaminated ids) over every pass, by a shuffle on id buckets."""
    sums = (
        results.select_columns(["ids", "contaminated"])
        .map_batches(_id_buckets, batch_size=None)
        .groupby("bucket")
        .map_groups(_count_bucket)
        .sum(["distinct", "contaminated"])
    )
    return (int(sums["sum(distinct)"]), int(sums["sum(contaminated)"])) if sums else (0, 0)


def _digest(final: ray.data.Dataset) -> OutputDigest:
    digest = OutputDigest()
    for batch in final.select_columns(["task", *HASH_COLUMNS]).iter_batches(batch_format="numpy"):
        digest.add({k: v.tolist() for k, v in batch.items()})
    return digest


def configure_data_context() -> None:
    """Ray Data's settings for generate's passes."""
    context = DataContext.get_current()
    # The shuffles move bounded data (capped candidates, id buckets); the sort-based shuffle runs them in
    # plain tasks, where the hash shuffle first starts a pool of aggregator actors.
    context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    # A unit's own error (a store that refuses or stays away) reaches the driver as itself, so the command
    # prints its one message rather than Ray Data's wrapper.
    context.raise_original_map_exception = True


def run_generate(plan: GeneratePlan) -> dict:
    """Run a checked plan on the connected Ray; returns the manifest (also written to the output)."""
    cfg, output = plan.config, plan.staging  # built aside, then put in place whole
    configure_data_context()
    started = time.time()
    storage.make_dirs(output)
    specs_by_type = group_specs(resolve_tasks(plan.task_names))
    options = render_options(cfg, sources_json(plan.sources))
    cap = cfg.samples_per_task if cfg.sample_pairs else None
    bounds = plan_key_bounds(plan.units, specs_by_type, cfg.seed, options, cfg.max_field_chars, cap)
    planned_at = time.time()
    pseudo_generated: dict
    pseudo, teacher_summary, pseudo_generated = None, None, {}
    if plan.teacher is not None:
        pseudo, teacher_summary, pseudo_generated = run_teacher(
            plan.units, plan.teacher, cfg, ray.put(plan.heldout_texts)
        )
    teacher_at = time.time()
    passes = [_process(plan, {task: (0, bounds.get(task, FULL)) for task in plan.task_names})]
    units_at = time.time()
    candidates = _candidates(passes[0])
    final = _finalize(candidates if pseudo is None else candidates.union(_candidates(pseudo)), cfg)
    finalize_at = time.time()
    digest = _digest(final)
    digest_at = time.time()
    # A task whose sampled pairs could not fill the cap is completed over the keys left out.
    kept = {task: sum(sum(splits.values()) for splits in langs.values()) for task, langs in digest.counts.items()}
    # (bounds is empty without a per-task cap, so the comparison always has one)
    short = sorted(task for task in bounds if kept.get(task, 0) < cfg.samples_per_task)  # type: ignore[operator]
    if short:
        passes.append(_process(plan, {task: (bounds[task], FULL) for task in short}))
        redo = final.filter(expr=col("task").is_in(short)).union(_candidates(passes[1]))
        final = final.filter(expr=col("task").not_in(short)).union(_finalize(redo, cfg)).materialize()
        digest = _digest(final)
    generated_at = time.time()

    results = passes[0] if len(passes) == 1 else passes[0].union(passes[1])
    results = results if pseudo is None else results.union(pseudo)
    stats = combine_passes(_pass_stats(passes[0]), _pass_stats(passes[1]) if len(passes) > 1 else None)
    stats = merge_generated(stats, pseudo_generated)
    distinct, contaminated = _distinct_counts(results)
    finalized_at = time.time()

    split_totals = digest.split_totals()
    examples = final.drop_columns(["_key"])
    for split in SPLITS:
        storage.make_dirs(storage.join(output, split))
        if split_totals.get(split):
            examples.filter(expr=col("split") == split).write_parquet(storage.join(output, split))
    written_at = time.time()

    generated_total = sum(sum(langs.values()) for langs in stats["generated"].values())
    manifest = build_manifest(
        plan=plan,
        stats=stats,
        generated_total=generated_total,
        distinct=distinct,
        contaminated=contaminated,
        digest=digest,
        sampling={"key_bounds": {t: b / FULL for t, b in sorted(bounds.items())}, "completed_tasks": short},
        timings={
            "read_generate_s": round(generated_at - started, 3),
            "plan_s": round(planned_at - started, 3),
            "teacher_s": round(teacher_at - planned_at, 3),
            "units_s": round(units_at - teacher_at, 3),
            "finalize_s": round(finalize_at - units_at, 3),
            "digest_s": round(digest_at - finalize_at, 3),
            "dedup_count_s": round(finalized_at - generated_at, 3),
            "write_s": round(written_at - finalized_at, 3),
            "total_s": round(written_at - started, 3),
            "passes": len(passes),
        },
        teacher=teacher_summary,
    )
    storage.write_json(storage.join(output, "manifest.json"), manifest)
    storage.replace_dir(output, plan.output)
    return manifest
