"""Helpers for the generate tests: the global step of `generate` on plain rows, and a whole run recounted on the
driver, without Ray."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ecomgpt.generate.decontam import Decontaminator
from ecomgpt.generate.finalize import OutputDigest, candidates_table, dedup_and_cap
from ecomgpt.generate.plan import GeneratePlan
from ecomgpt.generate.process import UnitResult, group_specs, process_records
from ecomgpt.generate.run import key_bounds
from ecomgpt.generate.sampling import FULL
from ecomgpt.records.ingest import iter_unit
from ecomgpt.tasks.registry import resolve_tasks


def final_rows(candidates: list[dict], cap: int | None, heldout_tasks: frozenset[str]) -> dict[str, list[dict]]:
    """Per task, what `generate` writes from these candidates: exact dedup, cap and split."""
    by_task = defaultdict(list)
    for row in candidates:
        by_task[row["task"]].append(row)
    return {
        task: dedup_and_cap(candidates_table(rows), cap, heldout_tasks).to_pylist()
        for task, rows in sorted(by_task.items())
    }


def digest(final: dict[str, list[dict]]) -> OutputDigest:
    """The counts and content hash `generate` puts in its manifest, for these rows."""
    out = OutputDigest()
    for rows in final.values():
        out.add({name: [row[name] for row in rows] for name in rows[0]})
    return out


def recount(plan: GeneratePlan, completed_tasks: Iterable[str] = ()) -> tuple[UnitResult, dict[str, list[dict]]]:
    """A plan's run redone on the driver as one stream of records: the pairs the run generated (the sampling
    pilot's key bounds, the whole key range for the tasks a second pass completed), decontaminated against the
    plan's held-out texts, then deduplicated, capped and split. (every unit's result together, the final rows)"""
    cfg = plan.config
    specs = group_specs(resolve_tasks(plan.task_names))
    bounds = key_bounds(plan)
    completed = set(completed_tasks)
    ranges = {task: (0, FULL if task in completed else bounds.get(task, FULL)) for task in plan.task_names}
    items = (item for unit in plan.units for item in iter_unit(unit, cfg.max_field_chars))
    decontam = Decontaminator(plan.heldout_texts, cfg.decontam_min_chars)
    result = process_records(
        items, specs, cfg.seed, plan.options, decontam.is_contaminated, cfg.samples_per_task, ranges
    )
    return result, final_rows(result.candidates, cfg.samples_per_task, frozenset(cfg.heldout_tasks))


def expected_counts(result: UnitResult, final: dict[str, list[dict]]) -> dict:
    """The manifest's counts for a recounted run: every generated example is a duplicate of an earlier one,
    contaminated, over its task's cap, or written."""
    generated = sum(sum(langs.values()) for langs in result.stats.generated.values())
    distinct, contaminated = len(result.ids), len(result.contaminated)
    out = digest(final)
    return {
        "records_in": result.stats.records_in,
        "records_accepted": result.stats.records_accepted,
        "examples_generated": generated,
        "generated_by_task": {
            task: dict(sorted(langs.items())) for task, langs in sorted(result.stats.generated.items())
        },
        "pairs_sampled_out": sum(result.stats.pairs_skipped.values()),
        "dedup_dropped": generated - distinct,
        "decontaminated_dropped": contaminated,
        "capped_dropped": distinct - contaminated - out.rows,
        "examples_out": out.rows,
        "tasks": out.counts_dict(),
        "content_hash": out.content_hash(),
    }
