"""Held-out evaluation tasks: the EcomGPT layout and the held-out split written by `ecomgpt generate`.

EcomGPT layout (`records.layout`): each test line's prompt and reference answer are the ones the original
EcomGPT evaluation code builds. Every line is an instance: a line that cannot be turned into one is an
error naming the file and line, never a skipped instance.
"""

from __future__ import annotations

import dataclasses

from ecomgpt import storage
from ecomgpt.records import layout
from ecomgpt.records.layout import TYPES, LayoutError


class HeldoutError(LayoutError):
    """A held-out directory or task selection that cannot be evaluated, named in the message."""


@dataclasses.dataclass(frozen=True)
class Instance:
    index: int  # 0-based line in test.json (or row in the task's generated held-out rows)
    prompt: str
    reference: str


@dataclasses.dataclass(frozen=True)
class EvalTask:
    name: str
    type: str  # one of TYPES: decides the metrics and the answer parser
    lang: str
    sep: str
    instances: tuple[Instance, ...]


def load_ecomgpt_task(task_dir: str, limit: int | None = None) -> EvalTask:
    """One EcomGPT task folder as prompts and reference answers; `limit` keeps the first N lines."""
    meta = layout.read_meta(task_dir)
    template = layout.eval_template(meta)
    instances: list[Instance] = []
    test_path = storage.join(task_dir, layout.TEST_FILE)
    with storage.open_binary(test_path) as handle:
        for number, raw in enumerate(handle, start=1):
            if limit is not None and len(instances) >= limit:
                break
            if not raw.strip():
                continue
            where = f"{test_path}:{number}"
            line = layout.parse_line(raw, where)
            prompt = template.replace("{sentences}", line["sentences"])
            instances.append(Instance(len(instances), prompt, layout.reference(meta, line, where)))
    if not instances:
        raise HeldoutError(f"{test_path}: no instances")
    return EvalTask(meta.name, meta.type, meta.lang, meta.label_sep, tuple(instances))


def load_generated(data_dir: str, limit: int | None = None) -> list[EvalTask]:
    """The held-out split of an `ecomgpt generate` run: one task per registered task, rows ordered by id."""
    import pyarrow.dataset as pads

    split = storage.join(data_dir, "held_out")
    fs, path = storage.resolve(split)
    table = pads.dataset(path, filesystem=fs, format="parquet").to_table(
        columns=["id", "task", "paradigm", "lang", "prompt", "output"]
    )
    tasks = []
    rows = sorted(table.to_pylist(), key=lambda row: (row["task"], row["id"]))
    by_task: dict[str, list[dict]] = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row)
    for name, task_rows in by_task.items():
        kind = task_rows[0]["paradigm"]
        if kind not in TYPES:
            raise HeldoutError(f"{split}: task {name} has paradigm {kind!r}, not one of {', '.join(TYPES)}")
        kept = task_rows[:limit] if limit is not None else task_rows
        instances = tuple(Instance(i, row["prompt"], row["output"]) for i, row in enumerate(kept))
        tasks.append(EvalTask(name, kind, task_rows[0]["lang"], ", ", instances))
    return tasks


def is_generated_dir(data_dir: str) -> bool:
    return storage.is_dir(storage.join(data_dir, "held_out"))


def load_heldout(heldout_dir: str, tasks: list[str] | None = None, limit: int | None = None) -> list[EvalTask]:
    """Every held-out task under `heldout_dir` (EcomGPT layout or a generate run), or the named ones."""
    if not storage.exists(heldout_dir):
        raise HeldoutError(f"{heldout_dir}: held-out directory not found")
    if is_generated_dir(heldout_dir):
        found = {task.name: task for task in load_generated(heldout_dir, limit)}
        return select_tasks(found, tasks, heldout_dir)
    dirs = {storage.basename(d): d for d in layout.task_dirs(heldout_dir)}
    if not dirs:
        raise HeldoutError(
            f"{heldout_dir}: no held-out tasks (expected <Dataset>/tasks/<task>/test.json or a generate "
            "run's held_out/)"
        )
    chosen = select_tasks(dirs, tasks, heldout_dir)
    return [load_ecomgpt_task(d, limit) for d in chosen]


def select_tasks(found: dict, wanted: list[str] | None, where: str) -> list:
    """The values of `found` named by `wanted` (all, sorted by name, when None); an unknown name is an error."""
    if not wanted:
        return [found[name] for name in sorted(found)]
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise HeldoutError(f"{where}: unknown task(s) {', '.join(unknown)}; known: {', '.join(sorted(found))}")
    return [found[name] for name in dict.fromkeys(wanted)]


def first_instances(task: EvalTask, limit: int | None) -> EvalTask:
    return task if limit is None else dataclasses.replace(task, instances=task.instances[:limit])
