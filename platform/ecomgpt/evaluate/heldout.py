"""Held-out evaluation tasks: the EcomGPT layout and the held-out split written by `ecomgpt generate`.

EcomGPT layout: `<dir>/<Dataset>/tasks/<LANG-Dataset-TYPE-name>/{meta-info.json,test.json}`. The prompt is
the header plus meta-info's `test_prompt.instruction` with `{sentences}` the line's text and `{label_set}`
the task's whole label list joined by `label_sep`; the reference answer is built from the line's gold
labels or spans in the platform's answer format. Every line is an instance: a line that cannot be turned
into one is an error naming the file and line, never a skipped instance.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.answers import NerFormat
from ecomgpt.prompts import HEADER
from ecomgpt.records import paths

TYPES = ("CLS", "NER", "Condition_Extract", "Extract", "Generate")
TASK_NAME = re.compile(r"(EN|ZH|CN)-(.+)-(" + "|".join(TYPES) + r")-([^-].*)")
_LANGS = {"EN": "en", "ZH": "zh", "CN": "zh"}


class HeldoutError(UserError, ValueError):
    """A held-out directory, task folder or test line that cannot be evaluated, named in the message."""


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


def parse_task_name(folder: str) -> tuple[str, str, str]:
    """(lang, dataset, TYPE) from `LANG-Dataset-TYPE-name`."""
    match = TASK_NAME.fullmatch(folder)
    if match is None:
        raise HeldoutError(
            f"task folder {folder!r}: expected LANG-Dataset-TYPE-name with LANG EN or ZH and TYPE one of "
            f"{', '.join(TYPES)}"
        )
    lang, dataset, kind, _ = match.groups()
    return _LANGS[lang], dataset, kind


def task_dirs(heldout_dir: str) -> list[str]:
    """Task folders of an EcomGPT-layout directory: `<dir>/*/tasks/*`, `<dir>/tasks/*`, or one task folder."""
    if paths.exists(paths.join(heldout_dir, "test.json")):
        return [heldout_dir.rstrip("/")]
    found = paths.glob(paths.join(heldout_dir, "*", "tasks", "*", "test.json"))
    found += paths.glob(paths.join(heldout_dir, "tasks", "*", "test.json"))
    return sorted({paths.parent(path) for path in found}, key=paths.basename)


def _read_meta(task_dir: str) -> dict[str, Any]:
    where = paths.join(task_dir, "meta-info.json")
    if not paths.exists(where):
        raise HeldoutError(f"{where}: missing")
    try:
        with paths.open_binary(where) as handle:
            meta = json.loads(handle.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeldoutError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise HeldoutError(f"{where}: expected a JSON object")
    return meta


def _template(meta: dict[str, Any], where: str) -> str:
    prompt = meta.get("test_prompt")
    instruction = prompt.get("instruction") if isinstance(prompt, dict) else None
    if not isinstance(instruction, str) or "{sentences}" not in instruction:
        raise HeldoutError(f"{where}: test_prompt.instruction with a {{sentences}} placeholder is required")
    return instruction


def _label_set(meta: dict[str, Any], where: str) -> list[str] | None:
    labels, key = meta.get("label_set"), meta.get("label_key")
    if labels is None:
        return None
    if isinstance(labels, dict):
        if key not in labels:
            raise HeldoutError(f"{where}: label_key {key!r} is not a key of label_set ({', '.join(labels)})")
        labels = labels[key]
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise HeldoutError(f"{where}: label_set must be a list of strings (or a map of such lists)")
    return [label for label in labels if label]


def load_ecomgpt_task(task_dir: str, limit: int | None = None) -> EvalTask:
    """One EcomGPT task folder as prompts and reference answers; `limit` keeps the first N lines."""
    folder = paths.basename(task_dir)
    lang, _, kind = parse_task_name(folder)
    meta_path = paths.join(task_dir, "meta-info.json")
    meta = _read_meta(task_dir)
    template = _template(meta, meta_path)
    labels = _label_set(meta, meta_path)
    sep = meta.get("label_sep", ", ")
    if not isinstance(sep, str) or not sep:
        raise HeldoutError(f"{meta_path}: label_sep must be a non-empty string")
    if labels is None and (kind in ("CLS", "NER") or "{label_set}" in template):
        raise HeldoutError(f"{meta_path}: label_set is required (with label_key when it is a map)")
    header = HEADER.format(definition=meta.get("defi") or kind)
    filled = template.replace("{label_set}", sep.join(labels or []))
    instances = []
    test_path = paths.join(task_dir, "test.json")
    with paths.open_binary(test_path) as handle:
        for number, raw in enumerate(handle, start=1):
            if limit is not None and len(instances) >= limit:
                break
            if not raw.strip():
                continue
            line = _parse_line(raw, f"{test_path}:{number}")
            reference = _reference(line, kind, meta, labels, sep, f"{test_path}:{number}")
            prompt = header + filled.replace("{sentences}", line["sentences"])
            instances.append(Instance(len(instances), prompt, reference))
    if not instances:
        raise HeldoutError(f"{test_path}: no instances")
    return EvalTask(folder, kind, lang, sep, tuple(instances))


def _parse_line(raw: bytes, where: str) -> dict[str, Any]:
    try:
        line = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeldoutError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(line, dict):
        raise HeldoutError(f"{where}: expected a JSON object")
    if not isinstance(line.get("sentences"), str) or not line["sentences"].strip():
        raise HeldoutError(f"{where}: 'sentences' must be a non-empty string")
    return line


def _reference(line: dict, kind: str, meta: dict, labels: list[str] | None, sep: str, where: str) -> str:
    if kind == "CLS":
        gold = line.get("labels")
        if isinstance(gold, dict):
            key = meta.get("label_key")
            if key not in gold:
                raise HeldoutError(f"{where}: labels has no {key!r} entry (label_key)")
            gold = gold[key]
        if not isinstance(gold, list) or not gold or not all(isinstance(label, str) for label in gold):
            raise HeldoutError(f"{where}: CLS lines need 'labels' as a non-empty list of strings")
        return sep.join(gold)
    spans = line.get("spans")
    if not isinstance(spans, list) or not all(isinstance(s, dict) and isinstance(s.get("term"), str) for s in spans):
        raise HeldoutError(f"{where}: {kind} lines need 'spans' as a list of objects with a 'term'")
    if kind == "NER":
        if any(not isinstance(span.get("type"), str) for span in spans):
            raise HeldoutError(f"{where}: every NER span needs a 'type'")
        return NerFormat(sep).render(labels or [], [(span["type"], span["term"]) for span in spans])
    return sep.join(span["term"] for span in spans)


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
    return paths.is_dir(storage.join(data_dir, "held_out"))


def load_heldout(heldout_dir: str, tasks: list[str] | None = None, limit: int | None = None) -> list[EvalTask]:
    """Every held-out task under `heldout_dir` (EcomGPT layout or a generate run), or the named ones."""
    if not paths.exists(heldout_dir):
        raise HeldoutError(f"{heldout_dir}: held-out directory not found")
    if is_generated_dir(heldout_dir):
        found = {task.name: task for task in load_generated(heldout_dir, limit)}
        return select_tasks(found, tasks, heldout_dir)
    dirs = {paths.basename(d): d for d in task_dirs(heldout_dir)}
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
