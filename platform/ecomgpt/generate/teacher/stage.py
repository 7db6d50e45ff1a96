"""The teacher stage of `ecomgpt generate`, on Ray Data. It runs before the main pass; its examples join
the golden candidates at the exact dedup, per-task cap and split (`generate.run`).

read units -> [tasks] records -> labelling requests (per task, the `max_records_per_task` of smallest key)
           -> [tasks] cache lookup -> cached | uncached -> budget (`max_requests`, smallest keys first)
           -> [actor pool: local model | one HTTP actor] answers, each cached as it arrives
           -> [tasks] grounding -> pseudo examples and counts, in the main pass's result rows

Failure policy: a request that still fails after its retries is counted (by reason) and not cached; when
more than `max_failed` fail, the run stops with an error naming the teacher and the reasons, after every
answer received was cached, so a re-run asks only what is missing. Bad answers are never errors: each is a
reject counted by reason.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import ray
from ray.data.expressions import col

from ecomgpt.errors import UserError
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.counts import Counts, PassResult, pass_counts, result_table
from ecomgpt.generate.decontam import Decontaminator
from ecomgpt.generate.finalize import candidates_table
from ecomgpt.generate.process import id64
from ecomgpt.generate.teacher.cache import AnswerCache, TeacherIdentity, teacher_id
from ecomgpt.generate.teacher.config import HttpTeacher
from ecomgpt.generate.teacher.labellers import HttpLabeller, LocalLabeller
from ecomgpt.generate.teacher.labels import NOT_ASKED, label_rows, make_requests, smallest_per_task
from ecomgpt.generate.teacher.plan import TeacherPlan
from ecomgpt.records.ingest import iter_unit
from ecomgpt.records.units import ReadUnit
from ecomgpt.runtime import actor_plan
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.registry import get_task


class TeacherError(UserError, RuntimeError):
    """The teacher could not label what the run needs (too many failed requests)."""


@dataclass(frozen=True)
class TeacherResult:
    results: ray.data.Dataset | None  # result rows (None: no request) of the main pass's kind (`counts.PassResult`)
    summary: dict  # the manifest's `teacher` entry
    counts: Counts  # the pseudo examples generated (contaminated ones included) and the labelling counts


def _tasks_by_type(names: list[str]) -> dict:
    grouped: dict = {}
    for name in names:
        task = get_task(name, label_kind="pseudo")
        grouped.setdefault(task.data_type, []).append(task)
    return grouped


_REQUEST_TYPES = {"_key": pa.uint64(), "max_new_tokens": pa.int64()}


def _requests_table(rows: list[dict]) -> pa.Table:
    names = [
        "task",
        "lang",
        "source",
        "record_id",
        "_key",
        "input",
        "fields",
        "labels",
        "prompt",
        "max_new_tokens",
        "cache_key",
    ]
    schema = pa.schema([(n, _REQUEST_TYPES.get(n, pa.string())) for n in names])
    return pa.Table.from_pylist(rows, schema=schema)


def _unit_requests(batch: dict, tplan: TeacherPlan, seed: int, max_field_chars: int) -> pa.Table:
    tasks = _tasks_by_type(tplan.tasks)
    cfg = tplan.config
    rows = []
    for i in range(len(batch["unit"])):
        row = {k: (v[i].item() if isinstance(v[i], np.generic) else v[i]) for k, v in batch.items() if k != "unit"}
        records = iter_unit(ReadUnit.from_row(row), max_field_chars)
        made = make_requests(records, tasks, seed, tplan.identity, cfg.max_new_tokens)
        rows += smallest_per_task(made, cfg.max_records_per_task)
    return _requests_table(rows)


def _smallest_group(group: pa.Table, k: int) -> pa.Table:
    return _requests_table(smallest_per_task(group.to_pylist(), k))


def _lookup(batch: pa.Table, cache_root: str, identity: TeacherIdentity) -> pa.Table:
    cache = AnswerCache(cache_root, identity)
    answers = [cache.get(key) for key in batch.column("cache_key").to_pylist()]
    return (
        batch.append_column("cached", pa.array([a is not None for a in answers], pa.bool_()))
        .append_column("answer", pa.array([a or "" for a in answers], pa.string()))
        .append_column("failure", pa.array([""] * len(answers), pa.string()))
    )


def _not_asked(batch: pa.Table) -> pa.Table:
    index = batch.schema.get_field_index("failure")
    return batch.set_column(index, "failure", pa.array([NOT_ASKED] * batch.num_rows, pa.string()))


@functools.lru_cache(maxsize=1)
def _decontaminator(heldout_ref: ray.ObjectRef, min_chars: int) -> Decontaminator:
    return Decontaminator(ray.get(heldout_ref), min_chars)


def _ground(batch: pa.Table, tasks: list[str], seed: int, options: RenderOptions, heldout: list, min_chars: int):
    """Answered requests -> one result row: pseudo examples, their ids, and the labelling counts."""
    by_name = {name: get_task(name, label_kind="pseudo") for name in tasks}
    decontam = _decontaminator(heldout[0], min_chars)
    examples, dropped, labels = label_rows(batch.to_pylist(), by_name, seed, options, decontam.is_contaminated)
    counts = Counts(teacher=labels)
    for example in examples + dropped:
        counts.generated[example["task"]][example["lang"]] += 1
    ids = np.array(sorted({id64(e["id"]) for e in examples + dropped}), dtype=np.uint64)
    bad = np.array(sorted({id64(e["id"]) for e in dropped}), dtype=np.uint64)
    return result_table([PassResult(-1, counts, ids, bad, candidates_table(examples))])


def _ask(dataset: ray.data.Dataset, tplan: TeacherPlan) -> ray.data.Dataset:
    cfg, model = tplan.config, tplan.config.model
    kwargs = {
        "teacher": model,
        "temperature": cfg.temperature,
        "cache_root": tplan.cache_dir,
        "identity": tplan.identity,
    }
    if isinstance(model, HttpTeacher):
        # One actor for the run: `concurrency` requests in flight in all, one client's retries and backoff.
        return dataset.map_batches(
            HttpLabeller,
            fn_constructor_kwargs={**kwargs, "api_key": tplan.api_key},
            batch_size=model.batch_size,
            concurrency=1,
            num_cpus=0.5,
        )
    actors, cpus = actor_plan(model.concurrency, model.num_cpus, model.num_gpus)
    kwargs["teacher"] = model.model_copy(update={"num_cpus": cpus})
    return dataset.map_batches(
        LocalLabeller,
        fn_constructor_kwargs=kwargs,
        batch_size=model.batch_size,
        concurrency=actors,
        num_cpus=cpus,
        num_gpus=model.num_gpus or None,
    )


def _budget(misses: ray.data.Dataset, budget: int | None) -> tuple[ray.data.Dataset | None, ray.data.Dataset | None]:
    """(asked, not asked), None for none: the `budget` uncached requests of smallest key are asked."""
    if budget is None:
        return misses, None
    keys = np.sort(
        np.concatenate(
            [b["_key"] for b in misses.select_columns(["_key"]).iter_batches(batch_format="numpy")]
            or [np.array([], dtype=np.uint64)]
        )
    )
    if len(keys) <= budget:
        return misses, None
    if budget == 0:
        return None, misses
    threshold = int(keys[budget - 1])
    below_part, above_part = (
        misses.map_batches(_by_key, batch_format="pyarrow", fn_kwargs={"threshold": threshold, "below": below})  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        for below in (True, False)
    )
    return below_part, above_part


def _by_key(batch: pa.Table, threshold: int, below: bool) -> pa.Table:
    """The rows with `_key` <= threshold (below) or > threshold; keys are uint64, beyond an expression's int64."""
    at_most = pc.less_equal(batch.column("_key"), pa.scalar(threshold, pa.uint64()))
    return batch.filter(at_most if below else pc.invert(at_most))


def _requests(units: list[ReadUnit], tplan: TeacherPlan, gen_cfg: GenerateConfig) -> ray.data.Dataset:
    """Every unit's labelling requests (per task, the `max_records_per_task` of smallest key), each looked up in
    the cache."""
    cfg = tplan.config
    unit_rows = [dict(unit.to_row(), unit=i) for i, unit in enumerate(units)]
    requests = ray.data.from_items(unit_rows, override_num_blocks=len(unit_rows)).map_batches(
        _unit_requests,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        # The API key stays on the driver and the labelling actor.
        fn_kwargs={
            "tplan": replace(tplan, api_key=None),
            "seed": gen_cfg.seed,
            "max_field_chars": gen_cfg.max_field_chars,
        },
        batch_size=1,
        num_cpus=1,
    )
    if cfg.max_records_per_task is not None:
        requests = requests.groupby("task").map_groups(
            _smallest_group,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
            batch_format="pyarrow",
            fn_args=(cfg.max_records_per_task,),
        )
    return requests.map_batches(
        _lookup,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        batch_format="pyarrow",
        fn_kwargs={"cache_root": tplan.cache_dir, "identity": tplan.identity},
    ).materialize()


def _answers(looked: ray.data.Dataset, tplan: TeacherPlan) -> tuple[ray.data.Dataset, float]:
    """Every request with its answer (cached, asked within the budget, or marked not asked), and the seconds
    spent asking."""
    misses = looked.filter(expr=col("cached") == False).materialize()  # == builds a Ray expression
    parts = [looked.filter(expr=col("cached") == True)]
    asking = time.time()
    asked, unasked = _budget(misses, tplan.config.max_requests) if misses.count() else (None, None)
    if asked is not None:  # no teacher is started for a run that the cache answers whole
        parts.append(_ask(asked, tplan).materialize())
    asked_s = time.time() - asking
    if unasked is not None:
        parts.append(unasked.map_batches(_not_asked, batch_format="pyarrow"))
    return (parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])), asked_s


def run_teacher(
    units: list[ReadUnit], tplan: TeacherPlan, gen_cfg: GenerateConfig, heldout_ref: ray.ObjectRef
) -> TeacherResult:
    """The teacher's pass: its result rows, manifest entry and counts."""
    started = time.time()
    looked = _requests(units, tplan, gen_cfg)
    summary = summary_head(tplan)
    if looked.count() == 0:
        empty = {"counts": {}, "totals": {}, "timings": {"total_s": round(time.time() - started, 3)}}
        return TeacherResult(None, {**summary, **empty}, Counts())
    labelled, asked_s = _answers(looked, tplan)
    results = labelled.map_batches(
        _ground,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        batch_format="pyarrow",
        batch_size=4096,
        fn_kwargs={
            "tasks": tplan.tasks,
            "seed": gen_cfg.seed,
            "options": RenderOptions(gen_cfg.header, gen_cfg.instruction_lang),
            "heldout": [heldout_ref],
            "min_chars": gen_cfg.decontam_min_chars,
        },
    ).materialize()
    counts = pass_counts(results)
    labels = counts.teacher_dict()
    n_asked = sum(c["asked"] for c in labels.values())
    summary.update(
        {
            "counts": labels,
            "totals": {
                key: sum(c[key] for c in labels.values())
                for key in ("pairs", "cached", "asked", "not_asked", "failed", "answered", "accepted", "rejected")
            },
            "timings": {
                "labelling_s": round(asked_s, 3),
                "total_s": round(time.time() - started, 3),
                "labels_per_s": round(n_asked / asked_s, 3) if n_asked and asked_s > 0 else None,
            },
        }
    )
    check_failures(summary, tplan.config.max_failed)
    return TeacherResult(results, summary, counts)


def summary_head(tplan: TeacherPlan) -> dict:
    model = tplan.config.model
    head = {
        "kind": model.kind,
        "model": model.model,
        "teacher_id": teacher_id(tplan.identity),
        "identity": tplan.identity.as_dict(),
        "prompt_format": tplan.identity.prompt_format,
        "temperature": tplan.config.temperature,
        "tasks": tplan.tasks,
        "prompts_hash": tplan.prompts_hash,
        "cache_dir": tplan.cache_dir,
        "max_requests": tplan.config.max_requests,
        "max_records_per_task": tplan.config.max_records_per_task,
    }
    if isinstance(model, HttpTeacher):
        head.update({"base_url": model.base_url, "api": model.api})
    return head


def check_failures(summary: dict, max_failed: int) -> None:
    failed = summary["totals"]["failed"]
    if failed <= max_failed:
        return
    reasons: dict = {}
    for c in summary["counts"].values():
        for reason, n in c["failed_by_reason"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    where = summary.get("base_url") or summary["model"]
    raise TeacherError(
        f"teacher {where}: {failed} of {summary['totals']['cached'] + summary['totals']['asked']} requests failed "
        f"(by reason: {dict(sorted(reasons.items()))}), more than teacher.max_failed = {max_failed}. The "
        f"{summary['totals']['answered']} answers received are cached in {summary['cache_dir']}: a re-run asks only "
        "the rest"
    )
