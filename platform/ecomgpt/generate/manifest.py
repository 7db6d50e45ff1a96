"""The manifest of a `generate` run: inputs, config, seed, counts, timings, versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecomgpt.generate.counts import Counts
from ecomgpt.generate.finalize import OutputDigest
from ecomgpt.manifests import stage_manifest
from ecomgpt.tasks.registry import get_task

if TYPE_CHECKING:
    from ecomgpt.generate.plan import GeneratePlan


def build_manifest(
    *,
    plan: GeneratePlan,
    counts: Counts,
    distinct: int,
    contaminated: int,
    digest: OutputDigest,
    sampling: dict,
    timings: dict,
    teacher: dict | None = None,
) -> dict:
    rejected = counts.records_in - counts.records_accepted
    generated_total = counts.generated_total
    dedup_dropped = generated_total - distinct
    inputs = {
        "sources": [source.model_dump(mode="json") for source in plan.sources],
        "files": sorted({unit.path for unit in plan.units}),
        "read_units": len(plan.units),
        "heldout_texts": len(plan.heldout_texts),
    }
    fields = {
        "records_in": counts.records_in,
        "records_accepted": counts.records_accepted,
        "records_rejected": rejected,
        "rejected_by_reason": dict(sorted(counts.rejected_by_reason.items())),
        "records_by_source": counts.by_source_dict(),
        "examples_generated": generated_total,
        "pairs_sampled_out": sum(counts.pairs_skipped.values()),
        "sampling": sampling,
        "dedup_dropped": dedup_dropped,
        "decontaminated_dropped": contaminated,
        "capped_dropped": distinct - contaminated - digest.rows,
        "examples_out": digest.rows,
        "generated_by_task": counts.generated_dict(),
        "tasks": digest.counts_dict(),
        "splits": digest.split_totals(),
        "content_hash": digest.content_hash(),
        "label_kinds": label_kinds(digest),
        "task_versions": {task: get_task(task, label_kind=None).version for task in sorted(digest.counts)},
        "teacher": teacher,
        "timings": {
            **timings,
            "unit_seconds_sum": round(sum(counts.unit_seconds), 3),
            "unit_seconds_max": round(max(counts.unit_seconds, default=0.0), 3),
            "unit_cpu_seconds_sum": round(sum(counts.unit_cpu_seconds), 3),
        },
    }
    return stage_manifest(
        "generate", plan.config, inputs, fields, output=plan.output, seed=plan.config.seed, packages=("pyarrow",)
    )


def label_kinds(digest: OutputDigest) -> dict[str, int]:
    """Examples out by label kind: golden (read from the data) and pseudo (written by a teacher)."""
    totals = {"golden": 0, "pseudo": 0}
    for task, langs in digest.counts.items():
        kind = get_task(task, label_kind=None).label_kind
        totals[kind] += sum(sum(splits.values()) for splits in langs.values())
    return totals
