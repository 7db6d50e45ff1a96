"""The EcomGPT task layout: `<Dataset>/tasks/<LANG-Dataset-TYPE-name>/{meta-info.json,test.json}`.

The one reading of the layout: generation and decontamination read a task's test lines as annotated
records (`records.annotated.read_ecomgpt`), evaluation turns them into prompts and reference answers
(`evaluate.heldout`).

- The folder name gives the language (EN, ZH or CN) and the task type (one of TYPES).
- meta-info.json: `defi`, the task definition; `test_prompt.instruction`, the prompt with `{sentences}`
  and `{label_set}` placeholders; `label_set`, a label list or a map of label lists chosen by `label_key`;
  `label_sep`, what joins labels (default `, `).
- test.json: JSON lines with `sentences` and the gold `labels` (a list, or a map chosen by `label_key`)
  or `spans` (`term`, and `type` for NER).

Prompts and references are the ones the original EcomGPT evaluation code builds: the header, then the
test prompt with `{sentences}` the line's text and `{label_set}` the task's label list joined by
`label_sep`. References: CLS, the gold labels joined by `label_sep`; NER, one line per label of the
task's label list, `Type: a, b` with the terms in span order, repeats included, or `Type: None`;
Extract, Condition_Extract and Generate, the span terms joined by `label_sep`, repeats included.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from ecomgpt import storage
from ecomgpt.answers import LIST_SEP, ItemsFormat, NerFormat
from ecomgpt.errors import UserError
from ecomgpt.prompts import HEADER, RESPONSE_MARKER

TYPES = ("CLS", "NER", "Condition_Extract", "Extract", "Generate")
TASK_NAME = re.compile(r"(EN|ZH|CN)-(.+?)-(" + "|".join(TYPES) + r")-(.+)")
_LANGS = {"EN": "en", "ZH": "zh", "CN": "zh"}
META_FILE = "meta-info.json"
TEST_FILE = "test.json"


class LayoutError(UserError, ValueError):
    """A task folder, meta-info.json or test line that does not follow the layout; the message names it."""


class TaskName(NamedTuple):
    lang: str
    dataset: str
    type: str


def parse_task_name(task_dir: str) -> TaskName:
    """(lang, dataset, TYPE) from a task folder named `LANG-Dataset-TYPE-name` (a path or the name)."""
    match = TASK_NAME.fullmatch(storage.basename(task_dir))
    if match is None:
        raise LayoutError(
            f"{task_dir}: task folder name is not LANG-Dataset-TYPE-name (LANG EN, ZH or CN; TYPE one of "
            f"{', '.join(TYPES)})"
        )
    lang, dataset, kind, _ = match.groups()
    return TaskName(_LANGS[lang], dataset, kind)


def task_dirs(root: str) -> list[str]:
    """The task folders (those holding a test.json) of an EcomGPT root, of a <Dataset> folder, or the task
    folder itself; sorted."""
    root = storage.normalize(root)
    for pattern in (TEST_FILE, f"tasks/*/{TEST_FILE}", f"*/tasks/*/{TEST_FILE}"):
        found = storage.glob(storage.join(root, pattern))
        if found:
            return sorted(storage.parent(test) for test in found)
    return []


@dataclass(frozen=True)
class TaskMeta:
    """What a task folder's name and meta-info.json say."""

    task_dir: str
    name: str  # the folder name, e.g. EN-Lenovo-NER-NER
    lang: str
    dataset: str
    type: str  # one of TYPES
    definition: str  # `defi`, else the type
    template: str | None  # test_prompt.instruction
    label_key: str | None
    label_set: tuple[str, ...] | None  # the label list (under label_key), empty labels dropped
    label_sep: str

    @property
    def where(self) -> str:
        return storage.join(self.task_dir, META_FILE)

    @property
    def instruction(self) -> str | None:
        """The task's own instruction: the test prompt between its input line and `### Response:`."""
        _, sep, rest = (self.template or "").partition("{sentences}\n")
        instruction = rest.split("\n" + RESPONSE_MARKER, 1)[0].strip() if sep else ""
        return instruction or None


@functools.lru_cache(maxsize=64)
def read_meta(task_dir: str) -> TaskMeta:
    """The task folder's name and meta-info.json, checked; LayoutError names the file and the key at fault."""
    lang, dataset, kind = parse_task_name(task_dir)
    where = storage.join(task_dir, META_FILE)
    if not storage.exists(where):
        raise LayoutError(f"{where}: missing")
    with storage.open_binary(where) as handle:
        meta = _json_object(handle.read(), where)
    prompt = meta.get("test_prompt")
    template = prompt.get("instruction") if isinstance(prompt, dict) else None
    if template is not None and not isinstance(template, str):
        raise LayoutError(f"{where}: test_prompt.instruction must be a string")
    sep = meta.get("label_sep", LIST_SEP)
    if not isinstance(sep, str) or not sep:
        raise LayoutError(f"{where}: label_sep must be a non-empty string")
    key = meta.get("label_key")
    return TaskMeta(
        task_dir=task_dir,
        name=storage.basename(task_dir),
        lang=lang,
        dataset=dataset,
        type=kind,
        definition=meta.get("defi") or kind,
        template=template,
        label_key=key,
        label_set=label_list(meta.get("label_set"), key, where),
        label_sep=sep,
    )


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LayoutError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise LayoutError(f"{where}: expected a JSON object")
    return value


def by_label_key(value: Any, key: Any, where: str, field: str) -> Any:
    """A map's entry under `label_key` (LayoutError when it has none); any other value as it is."""
    if not isinstance(value, dict):
        return value
    if key not in value:
        raise LayoutError(f"{where}: label_key {key!r} is not a key of {field} ({', '.join(map(str, value))})")
    return value[key]


def label_list(value: Any, key: Any, where: str) -> tuple[str, ...] | None:
    """A `label_set` (of meta-info.json or of a line) as its label list, empty labels dropped; None for none."""
    labels = by_label_key(value, key, where, "label_set")
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise LayoutError(f"{where}: label_set must be a list of strings (or a map of such lists)")
    return tuple(label for label in labels if label)


def eval_template(meta: TaskMeta) -> str:
    """The evaluation prompt with `{sentences}` still open: the header plus the test prompt, `{label_set}`
    filled with the task's label list."""
    if meta.template is None or "{sentences}" not in meta.template:
        raise LayoutError(f"{meta.where}: test_prompt.instruction with a {{sentences}} placeholder is required")
    if meta.label_set is None and (meta.type in ("CLS", "NER") or "{label_set}" in meta.template):
        raise LayoutError(f"{meta.where}: label_set is required (with label_key when it is a map)")
    labels = ItemsFormat(meta.label_sep).render(meta.label_set or ())
    return HEADER.format(definition=meta.definition) + meta.template.replace("{label_set}", labels)


def parse_line(raw: bytes, where: str) -> dict[str, Any]:
    """One test.json line as its JSON object, with a non-empty `sentences` text."""
    line = _json_object(raw, where)
    if not isinstance(line.get("sentences"), str) or not line["sentences"].strip():
        raise LayoutError(f"{where}: 'sentences' must be a non-empty string")
    return line


def reference(meta: TaskMeta, line: dict[str, Any], where: str) -> str:
    """The line's reference answer, as the original EcomGPT code builds it."""
    if meta.type == "CLS":
        gold = by_label_key(line.get("labels"), meta.label_key, where, "labels")
        if not isinstance(gold, list) or not gold or not all(isinstance(label, str) for label in gold):
            raise LayoutError(f"{where}: CLS lines need 'labels' as a non-empty list of strings")
        return ItemsFormat(meta.label_sep).render(gold)
    spans = line.get("spans")
    if not isinstance(spans, list) or not all(isinstance(s, dict) and isinstance(s.get("term"), str) for s in spans):
        raise LayoutError(f"{where}: {meta.type} lines need 'spans' as a list of objects with a 'term'")
    if meta.type == "NER":
        if any(not isinstance(span.get("type"), str) for span in spans):
            raise LayoutError(f"{where}: every NER span needs a 'type'")
        return NerFormat(meta.label_sep).render(meta.label_set or (), [(s["type"], s["term"]) for s in spans])
    return ItemsFormat(meta.label_sep).render(span["term"] for span in spans)
