"""The teacher stage of `ecomgpt generate`, on Ray Data. It runs before the main pass; its examples join
the golden candidates at the exact dedup, per-task cap and split (`data.pipeline`).

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
import json
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import ray
from ray.data.expressions import col

from ecomgpt import models, storage
from ecomgpt.data.decontam import Decontaminator
from ecomgpt.data.finalize import candidates_table, to_ipc
from ecomgpt.errors import UserError
from ecomgpt.records.ingest import iter_unit
from ecomgpt.records.units import ReadUnit
from ecomgpt.runtime import actor_plan
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.pseudo.registry import PromptFormat, get_pseudo_task, prompts_hash, resolve_pseudo_tasks
from ecomgpt.teacher.cache import AnswerCache, teacher_id
from ecomgpt.teacher.config import HttpTeacher, LocalTeacher, TeacherConfig
from ecomgpt.teacher.labellers import HttpLabeller, LocalLabeller
from ecomgpt.teacher.labels import NOT_ASKED, label_rows, make_requests, merge_counts, smallest_per_task


class TeacherError(UserError, RuntimeError):
    """The teacher could not label what the run needs (too many failed requests)."""


@dataclass(frozen=True)
class TeacherPlan:
    config: TeacherConfig
    tasks: list[str]
    cache_dir: str
    identity: dict
    prompts_hash: str
    api_key: str | None = field(default=None, repr=False)


def identity(cfg: TeacherConfig, prompt_format: PromptFormat) -> dict:
    """What makes two teachers give the same answers: the cache is keyed by it (and by each prompt)."""
    model = cfg.model
    if isinstance(model, HttpTeacher):
        return {
            "kind": "http",
            "model": model.model,
            "api": model.api,
            "temperature": cfg.temperature,
            "prompt_format": prompt_format,
        }
    located = models.locate(model.model)
    found = {
        "kind": "local",
        "model": located,
        "dtype": model.dtype,
        "temperature": cfg.temperature,
        "prompt_format": prompt_format,
    }
    if _is_directory(located):
        found["fingerprint"] = storage.fingerprint(located)  # a checkpoint re-trained in place is a new teacher
    return found


def _is_directory(located: str) -> bool:
    return not models.is_offline(located) and (storage.is_uri(located) or storage.is_dir(located))


def fine_tuned_here(located: str) -> bool:
    """Whether a located model is a checkpoint this platform trained (its manifest.json names the train stage)."""
    return _is_directory(located) and storage.manifest_stage(located) == "train"


def prompt_format(model: LocalTeacher | HttpTeacher) -> PromptFormat:
    """How the teacher is prompted. HTTP: chat messages for `api: chat`, the platform format for `completions`.
    Local (`model.model` located): as `prompt_format` says; `auto` is `ecomgpt` for a checkpoint this platform
    fine-tuned (trained on that format), else `chat` when the tokenizer has a chat template, else `ecomgpt`."""
    if isinstance(model, HttpTeacher):
        return "chat" if model.api == "chat" else "ecomgpt"
    if model.prompt_format == "ecomgpt" or (model.prompt_format == "auto" and fine_tuned_here(model.model)):
        return "ecomgpt"
    has_template = bool(models.load_tokenizer(model.model).chat_template)
    if model.prompt_format == "chat" and not has_template:
        raise UserError(
            f"teacher.model.prompt_format: chat, but the tokenizer of {model.model} has no chat "
            "template; use ecomgpt (or auto)"
        )
    return "chat" if has_template else "ecomgpt"


def plan_teacher(cfg: TeacherConfig, output: str) -> TeacherPlan:
    """Check the teacher before any work starts: the model loads (or the API key is set), the cache lies
    outside the output (which a finished run replaces whole)."""
    model = cfg.model
    key = None
    if isinstance(model, HttpTeacher):
        if model.api_key_env:
            key = os.environ.get(model.api_key_env)  # read here; it reaches only the labelling actor
            if not key:
                raise UserError(f"teacher.model.api_key_env: environment variable {model.api_key_env} is not set")
    else:
        models.check(model.model, "teacher.model.model")
        model = model.model_copy(update={"model": models.locate(model.model)})
        cfg = cfg.model_copy(update={"model": model})
    cache_dir = storage.absolute(cfg.cache_dir or f"{storage.normalize(output).rstrip('/')}.teacher-cache")
    if storage.inside(cache_dir, output):
        raise UserError(
            f"teacher.cache_dir {cache_dir} lies inside the output {output}, which a run replaces; "
            "choose a directory outside it"
        )
    tasks = resolve_pseudo_tasks(cfg.tasks)
    fmt = prompt_format(cfg.model)
    return TeacherPlan(cfg, [t.name for t in tasks], cache_dir, identity(cfg, fmt), prompts_hash(tasks, fmt), key)


def _tasks_by_type(names: list[str]) -> dict:
    grouped: dict = {}
    for name in names:
        task = get_pseudo_task(name)
        grouped.setdefault(task.spec.data_type, []).append(task)
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


def _unit_requests(batch: dict, tplan_json: str, seed: int, max_field_chars: int) -> pa.Table:
    tplan = json.loads(tplan_json)
    tasks = _tasks_by_type(tplan["tasks"])
    rows = []
    for i in range(len(batch["unit"])):
        row = {k: (v[i].item() if isinstance(v[i], np.generic) else v[i]) for k, v in batch.items() if k != "unit"}
        records = iter_unit(ReadUnit.from_row(row), max_field_chars)
        made = make_requests(records, tasks, seed, tplan["identity"], tplan["max_new_tokens"])
        rows += smallest_per_task(made, tplan["max_records_per_task"])
    return _requests_table(rows)


def _smallest_group(group: pa.Table, k: int) -> pa.Table:
    return _requests_table(smallest_per_task(group.to_pylist(), k))


def _lookup(batch: pa.Table, cache_root: str, identity: dict) -> pa.Table:
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


def _ground(batch: pa.Table, tplan_json: str, seed: int, options: dict, heldout: list, min_chars: int) -> dict:
    tplan = json.loads(tplan_json)
    tasks = {name: get_pseudo_task(name) for name in tplan["tasks"]}
    render = RenderOptions(options["header"], options["instruction_lang"], frozenset())
    decontam = _decontaminator(heldout[0], min_chars)
    examples, dropped, counts = label_rows(batch.to_pylist(), tasks, seed, render, decontam.is_contaminated)
    generated: dict = {}
    for example in examples + dropped:
        per_lang = generated.setdefault(example["task"], {})
        per_lang[example["lang"]] = per_lang.get(example["lang"], 0) + 1
    ids = np.array(sorted({int(e["id"][:16], 16) for e in examples + dropped}), dtype=np.uint64)
    bad = np.array(sorted({int(e["id"][:16], 16) for e in dropped}), dtype=np.uint64)
    stats = {"teacher": {task: c.to_dict() for task, c in counts.items()}, "generated": generated}
    return {
        "unit": [-1],
        "stats": [json.dumps(stats)],
        "ids": pa.array([ids.tobytes()], pa.large_binary()),
        "contaminated": pa.array([bad.tobytes()], pa.large_binary()),
        "candidates": pa.array([to_ipc(candidates_table(examples))], pa.large_binary()),
    }


def _ask(dataset: ray.data.Dataset, tplan: TeacherPlan) -> ray.data.Dataset:
    cfg, model = tplan.config, tplan.config.model
    kwargs = {
        "teacher_json": model.model_dump_json(),
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
    kwargs["teacher_json"] = model.model_copy(update={"num_cpus": cpus}).model_dump_json()
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


def run_teacher(
    units: list[ReadUnit], tplan: TeacherPlan, gen_cfg, heldout_ref: ray.ObjectRef
) -> tuple[ray.data.Dataset | None, dict, dict]:
    """The stage's result rows (the main pass's columns), its manifest entry, and the pseudo examples generated
    (task -> lang -> n; contaminated ones included, as the main pass counts them)."""
    started = time.time()
    cfg = tplan.config
    tplan_json = json.dumps(
        {
            "tasks": tplan.tasks,
            "identity": tplan.identity,
            "max_new_tokens": cfg.max_new_tokens,
            "max_records_per_task": cfg.max_records_per_task,
        }
    )
    unit_rows = [dict(unit.to_row(), unit=i) for i, unit in enumerate(units)]
    requests = ray.data.from_items(unit_rows, override_num_blocks=len(unit_rows)).map_batches(
        _unit_requests,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        fn_kwargs={"tplan_json": tplan_json, "seed": gen_cfg.seed, "max_field_chars": gen_cfg.max_field_chars},
        batch_size=1,
        num_cpus=1,
    )
    if cfg.max_records_per_task is not None:
        requests = requests.groupby("task").map_groups(
            _smallest_group,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
            batch_format="pyarrow",
            fn_args=(cfg.max_records_per_task,),
        )
    looked = requests.map_batches(
        _lookup,  # type: ignore[arg-type]  # Ray's UDF type has no room for fn_args/fn_kwargs
        batch_format="pyarrow",
        fn_kwargs={"cache_root": tplan.cache_dir, "identity": tplan.identity},
    ).materialize()
    summary = summary_head(tplan)
    if looked.count() == 0:
        empty = {"counts": {}, "totals": {}, "timings": {"total_s": round(time.time() - started, 3)}}
        return None, {**summary, **empty}, {}
    misses = looked.filter(expr=col("cached") == False).materialize()  # == builds a Ray expression
    parts = [looked.filter(expr=col("cached") == True)]
    asking = time.time()
    asked, unasked = _budget(misses, cfg.max_requests) if misses.count() else (None, None)
    if asked is not None:  # no teacher is started for a run that the cache answers whole
        parts.append(_ask(asked, tplan).materialize())
    asked_s = time.time() - asking
    if unasked is not None:
        parts.append(unasked.map_batches(_not_asked, batch_format="pyarrow"))
    labelled = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    results = labelled.map_batches(
        _ground,
        batch_format="pyarrow",
        batch_size=4096,
        fn_kwargs={
            "tplan_json": tplan_json,
            "seed": gen_cfg.seed,
            "options": {"header": gen_cfg.header, "instruction_lang": gen_cfg.instruction_lang},
            "heldout": [heldout_ref],
            "min_chars": gen_cfg.decontam_min_chars,
        },
    ).materialize()
    stats = [json.loads(s) for s in results.select_columns(["stats"]).to_pandas()["stats"]]
    counts = merge_counts(s["teacher"] for s in stats)
    generated: dict = {}
    for part in stats:
        generated = merge_generated({"generated": generated}, part["generated"])["generated"]
    n_asked = sum(c["asked"] for c in counts.values())
    summary.update(
        {
            "counts": counts,
            "totals": {
                key: sum(c[key] for c in counts.values())
                for key in ("pairs", "cached", "asked", "not_asked", "failed", "answered", "accepted", "rejected")
            },
            "timings": {
                "labelling_s": round(asked_s, 3),
                "total_s": round(time.time() - started, 3),
                "labels_per_s": round(n_asked / asked_s, 3) if n_asked and asked_s > 0 else None,
            },
        }
    )
    check_failures(summary, cfg.max_failed)
    return results, summary, generated


def summary_head(tplan: TeacherPlan) -> dict:
    model = tplan.config.model
    head = {
        "kind": model.kind,
        "model": model.model,
        "teacher_id": teacher_id(tplan.identity),
        "identity": tplan.identity,
        "prompt_format": tplan.identity["prompt_format"],
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


def merge_generated(stats: dict, pseudo: dict) -> dict:
    """The main pass's statistics with the pseudo examples the teacher stage generated (task -> lang -> n) added."""
    generated = {task: dict(langs) for task, langs in stats["generated"].items()}
    for task, langs in pseudo.items():
        per = generated.setdefault(task, {})
        for lang, n in langs.items():
            per[lang] = per.get(lang, 0) + n
    return {**stats, "generated": {task: dict(sorted(counts.items())) for task, counts in sorted(generated.items())}}
