"""`ecomgpt generate`: a checked plan (`generate.plan`) -> passes (`generate.passes`, the teacher's first)
-> exact dedup, per-task cap and split -> Parquet shards and the manifest, put in place whole.

With a cap, a pilot on the driver first bounds which record-task pairs are worth generating
(`generate.sampling`); a task the bound leaves short is completed by a second pass over its other pairs.
"""

from __future__ import annotations

import time

import ray
from ray.data.expressions import col

from ecomgpt import storage
from ecomgpt.generate import passes
from ecomgpt.generate.counts import pass_counts
from ecomgpt.generate.finalize import OutputDigest
from ecomgpt.generate.manifest import build_manifest
from ecomgpt.generate.plan import GeneratePlan
from ecomgpt.generate.process import group_specs
from ecomgpt.generate.sampling import FULL, plan_key_bounds
from ecomgpt.generate.teacher.stage import run_teacher
from ecomgpt.manifests import write_manifest
from ecomgpt.tasks.registry import resolve_tasks

SPLITS = ("held_in", "held_out")


class Clock:
    """Seconds since the start at named marks."""

    def __init__(self) -> None:
        self.started = time.time()
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.time()

    def since(self, name: str, until: str) -> float:
        return round(self.marks[until] - (self.started if name == "start" else self.marks[name]), 3)


def key_bounds(plan: GeneratePlan) -> dict[str, int]:
    """Per capped task, the pair-key bound the cap is expected to need (empty without a cap)."""
    cfg = plan.config
    specs_by_type = group_specs(resolve_tasks(plan.task_names))
    cap = cfg.samples_per_task if cfg.sample_pairs else None
    return plan_key_bounds(plan.units, specs_by_type, cfg.seed, plan.options, cfg.max_field_chars, cap)


def short_tasks(digest: OutputDigest, bounds: dict[str, int], cap: int | None) -> list[str]:
    """The capped tasks whose sampled pairs could not fill the cap."""
    kept = {task: sum(sum(splits.values()) for splits in langs.values()) for task, langs in digest.counts.items()}
    return sorted(task for task in bounds if cap is not None and kept.get(task, 0) < cap)


def write_splits(final: ray.data.Dataset, digest: OutputDigest, output: str) -> None:
    examples = final.drop_columns(["_key"])
    totals = digest.split_totals()
    for split in SPLITS:
        storage.make_dirs(storage.join(output, split))
        if totals.get(split):
            examples.filter(expr=col("split") == split).write_parquet(storage.join(output, split))


def run_generate(plan: GeneratePlan) -> dict:
    """Run a checked plan on the connected Ray; returns the manifest (also written to the output)."""
    cfg, clock = plan.config, Clock()
    passes.configure_data_context()
    storage.make_dirs(plan.staging)  # built aside, then put in place whole
    heldout_ref = ray.put(plan.heldout_texts)
    bounds = key_bounds(plan)
    clock.mark("plan")
    teacher = run_teacher(plan.units, plan.teacher, cfg, heldout_ref) if plan.teacher else None
    clock.mark("teacher")
    results = passes.unit_pass(plan, {task: (0, bounds.get(task, FULL)) for task in plan.task_names}, heldout_ref)
    clock.mark("units")
    pooled = passes.candidates(results)
    pseudo = teacher.results if teacher else None
    final = passes.finalize(pooled if pseudo is None else pooled.union(passes.candidates(pseudo)), cfg)
    clock.mark("finalize")
    digest = passes.digest(final)
    clock.mark("digest")
    counts = pass_counts(results)
    short = short_tasks(digest, bounds, cfg.samples_per_task)
    if short:
        completing = passes.unit_pass(plan, {task: (bounds[task], FULL) for task in short}, heldout_ref)
        final = passes.complete(final, short, completing, cfg)
        digest = passes.digest(final)
        counts += pass_counts(completing).completing()
        results = results.union(completing)
    clock.mark("generated")
    if teacher is not None:
        counts += teacher.counts
    if pseudo is not None:
        results = results.union(pseudo)
    distinct, contaminated = passes.distinct_counts(results)
    clock.mark("counted")
    write_splits(final, digest, plan.staging)
    clock.mark("written")
    manifest = build_manifest(
        plan=plan,
        counts=counts,
        distinct=distinct,
        contaminated=contaminated,
        digest=digest,
        sampling={"key_bounds": {t: b / FULL for t, b in sorted(bounds.items())}, "completed_tasks": short},
        timings=timings(clock, n_passes=2 if short else 1),
        teacher=teacher.summary if teacher else None,
    )
    write_manifest(plan.staging, manifest)
    storage.replace_dir(plan.staging, plan.output)
    return manifest


def timings(clock: Clock, n_passes: int) -> dict:
    return {
        "read_generate_s": clock.since("start", "generated"),
        "plan_s": clock.since("start", "plan"),
        "teacher_s": clock.since("plan", "teacher"),
        "units_s": clock.since("teacher", "units"),
        "finalize_s": clock.since("units", "finalize"),
        "digest_s": clock.since("finalize", "digest"),
        "dedup_count_s": clock.since("generated", "counted"),
        "write_s": clock.since("counted", "written"),
        "total_s": clock.since("start", "written"),
        "passes": n_passes,
    }
