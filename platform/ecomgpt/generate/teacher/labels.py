"""The teacher stage's plain functions (no Ray): records -> labelling requests, answers -> pseudo-label examples.

A request is one (record, pseudo task) pair: its seeded key (`generate.sampling.pair_key`, the key the cap
orders golden examples by), the task's question (its `Labelling.ask`), the labelling prompt (in the teacher's
prompt format: `ecomgpt` text or `chat` messages) and the cache key.
An answered request goes through the task's grounding parser; an accepted answer becomes an example with
`label_kind = "pseudo"` rendered from the task's own templates (`tasks.examples.render_drafts`), so the same
record, task and seed give the same template, prompt and id on every run.

Counts per task: `generate.counts.LabelCounts`.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ecomgpt.generate.counts import LabelCounts
from ecomgpt.generate.sampling import pair_key, record_hash, task_salt
from ecomgpt.generate.teacher.cache import TeacherIdentity, entry_key
from ecomgpt.records.ingest import Reject
from ecomgpt.tasks.examples import RenderOptions, render_drafts
from ecomgpt.tasks.labelling import Ask, Rejected
from ecomgpt.tasks.pseudo.registry import labelling_of, teacher_prompt
from ecomgpt.tasks.registry import Draft, TaskSpec

NOT_ASKED = "not_asked"


class Lineage(NamedTuple):
    source: str
    record_id: str
    lang: str


def make_requests(
    items: Iterable,
    tasks_by_type: dict[str, list[TaskSpec]],
    seed: int,
    identity: TeacherIdentity,
    max_new_tokens: int | None = None,
) -> list[dict]:
    """The labelling requests of some records (rejected records are skipped: the main pass counts them), each
    prompt in the teacher's prompt format (`identity.prompt_format`)."""
    prompt_format = identity.prompt_format
    rows = []
    for record in items:
        if isinstance(record, Reject):
            continue
        bits = None
        for task in tasks_by_type.get(record.data_type, ()):
            if record.lang not in task.langs:
                continue
            ask = labelling_of(task).ask(record)
            if ask is None:
                continue
            bits = record_hash(seed, record.source, record.record_id) if bits is None else bits
            prompt = teacher_prompt(task, ask, record.lang, prompt_format)
            budget = max_new_tokens or labelling_of(task).max_new_tokens
            rows.append(
                {
                    "task": task.name,
                    "lang": record.lang,
                    "source": record.source,
                    "record_id": record.record_id,
                    "_key": pair_key(bits, task_salt(seed, task.name)),
                    "input": ask.input,
                    "fields": json.dumps(ask.fields, ensure_ascii=False),
                    "labels": json.dumps(ask.labels, ensure_ascii=False),
                    "prompt": prompt,
                    "max_new_tokens": budget,
                    "cache_key": entry_key(identity, prompt, budget),
                }
            )
    return rows


def smallest_per_task(rows: Iterable[dict], k: int | None) -> list[dict]:
    """Per task, the `k` rows of smallest key (every row when k is None)."""
    rows = list(rows)
    if k is None:
        return rows
    by_task: dict[str, list[dict]] = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row)
    return [row for group in by_task.values() for row in heapq.nsmallest(k, group, key=lambda r: r["_key"])]


def ground_answer(task: TaskSpec, row: dict) -> str:
    """The example output of an answered request; raises `Rejected`."""
    ask = Ask(row["input"], json.loads(row["fields"]), tuple(json.loads(row["labels"])))
    return labelling_of(task).ground(row["answer"], ask)


def label_rows(
    rows: Iterable[dict],
    tasks: dict[str, TaskSpec],
    seed: int,
    options: RenderOptions,
    is_contaminated: Callable[[str], bool],
) -> tuple[list[dict], list[dict], dict[str, LabelCounts]]:
    """Answered requests -> (examples with `_key`, contaminated examples, counts per task)."""
    examples, contaminated = [], []
    counts: dict[str, LabelCounts] = {}
    for row in rows:
        c = counts.setdefault(row["task"], LabelCounts())
        c.pairs += 1
        failure = row["failure"]
        if row["cached"]:
            c.cached += 1
        elif failure == NOT_ASKED:
            c.not_asked += 1
            continue
        else:
            c.asked += 1
        if failure:
            c.failed[failure] += 1
            continue
        task = tasks[row["task"]]
        try:
            output = ground_answer(task, row)
        except Rejected as rejected:
            c.rejected[rejected.reason] += 1
            continue
        c.accepted += 1
        lineage = Lineage(row["source"], row["record_id"], row["lang"])
        draft = Draft(row["input"], output, json.loads(row["fields"]) or None)
        for example in render_drafts(task, lineage, [draft], seed, options):
            example["_key"] = int(row["_key"])
            if is_contaminated(example["input"]):
                c.contaminated += 1
                contaminated.append(example)
            else:
                examples.append(example)
    return examples, contaminated, counts
