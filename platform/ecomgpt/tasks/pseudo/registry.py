"""Pseudo-label tasks: atomic tasks whose answers a teacher model writes for records that carry no label.

A pseudo task has what every task has (a `TaskSpec`: name, data type, paradigm, definition, at least
three instruction templates per language, `label_kind = "pseudo"`), and what labelling needs:

- `ask(record) -> Ask | None`: the question for one record (the input text, the template fields, the
  closed label set if any), None when the record has nothing to label;
- a labelling guide per language (the instruction the teacher reads) and few-shot examples;
- `ground(answer, ask) -> output`: the teacher's answer as the task's canonical output, or `Rejected`
  with a reason when the answer does not fit the answer format or is not grounded in the input.

Golden tasks read their labels from the data and run in `generate`'s main pass; pseudo tasks run only
in the teacher stage (`ecomgpt.generate.teacher`), so they have a registry of their own. Names are unique
across both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ecomgpt.hashing import stable_hex128
from ecomgpt.prompts import render_prompt
from ecomgpt.tasks.registry import TaskSpec, UnknownTaskError, all_tasks, check_spec


class Ask(NamedTuple):
    """What the teacher is asked about one record."""

    input: str  # the example's input; extracted spans must occur in it
    fields: dict[str, str]  # the instruction templates' placeholders, e.g. {"label_set": "a, b"}
    labels: tuple[str, ...] = ()  # the closed label or type set, when the task has one


class Shot(NamedTuple):
    """A worked example shown to the teacher before the record."""

    input: str
    answer: str


class Rejected(ValueError):
    """A teacher answer that cannot become an example; `reason` is what the manifest counts."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# The record is the schema type the task's `data_type` names, so Any.
AskFn = Callable[[Any], Ask | None]


@dataclass(frozen=True)
class PseudoTask:
    spec: TaskSpec
    ask: AskFn = field(repr=False)
    ground: Callable[[str, Ask], str] = field(repr=False)
    guide: dict[str, str]  # per language: the labelling instruction, with the Ask's fields as placeholders
    shots: dict[str, tuple[Shot, ...]]
    max_new_tokens: int = 64

    @property
    def name(self) -> str:
        return self.spec.name


_PSEUDO: dict[str, PseudoTask] = {}
INPUT_WORD = {"en": "Input", "zh": "输入"}
ANSWER_WORD = {"en": "Answer", "zh": "答案"}


def _no_golden_labels(record, rng) -> list:
    return []


def register_pseudo_task(
    name: str,
    *,
    data_type: str,
    paradigm: str,
    definition: str,
    templates: Mapping[str, Sequence[str]],
    guide: dict[str, str],
    shots: dict[str, Sequence[Shot]],
    ground: Callable[[str, Ask], str],
    max_new_tokens: int = 64,
) -> Callable[[AskFn], AskFn]:
    """Register `ask` as pseudo task `name`; a duplicate name (golden or pseudo) or a bad spec raises."""

    def decorate(ask: AskFn) -> AskFn:
        spec = TaskSpec(
            name=name,
            data_type=data_type,
            paradigm=paradigm,
            langs=("en", "zh"),
            definition=definition,
            templates={lang: tuple(t) for lang, t in templates.items()},
            fn=_no_golden_labels,
            atomic=True,
            label_kind="pseudo",
        )
        check_spec(spec, [*_PSEUDO, *(s.name for s in all_tasks())])
        missing = [lang for lang in spec.langs if lang not in guide or lang not in shots]
        if missing:
            raise ValueError(f"pseudo task {name!r}: no labelling guide or shots for {missing}")
        _PSEUDO[name] = PseudoTask(
            spec, ask, ground, dict(guide), {k: tuple(v) for k, v in shots.items()}, max_new_tokens
        )
        return ask

    return decorate


def _load_library() -> None:
    from ecomgpt.tasks.pseudo import library  # noqa: F401  (runs the @register_pseudo_task decorators)


def all_pseudo_tasks() -> list[PseudoTask]:
    _load_library()
    return [_PSEUDO[name] for name in sorted(_PSEUDO)]


def get_pseudo_task(name: str) -> PseudoTask:
    _load_library()
    try:
        return _PSEUDO[name]
    except KeyError:
        raise UnknownTaskError(f"unknown pseudo-label task {name!r}; known: {sorted(_PSEUDO)}") from None


def resolve_pseudo_tasks(names: Sequence[str] | None) -> list[PseudoTask]:
    """The named pseudo tasks (each checked), or every one when `names` is None."""
    return all_pseudo_tasks() if names is None else [get_pseudo_task(name) for name in names]


PromptFormat = Literal["chat", "ecomgpt"]
PROMPT_FORMATS: tuple[PromptFormat, ...] = ("chat", "ecomgpt")


def labelling_prompt(task: PseudoTask, ask: Ask, lang: str) -> str:
    """The prompt the teacher answers: the platform prompt format, the few-shot examples before the record."""
    shots = "".join(f"{INPUT_WORD[lang]}: {s.input}\n{ANSWER_WORD[lang]}: {s.answer}\n\n" for s in task.shots[lang])
    guide = task.guide[lang].format(**ask.fields)
    return render_prompt(task.spec.definition, guide, f"{shots}{INPUT_WORD[lang]}: {ask.input}")


def labelling_messages(task: PseudoTask, ask: Ask, lang: str) -> list[dict[str, str]]:
    """The labelling prompt as a chat, for a model trained on chats (`chat_messages`)."""
    return chat_messages(task.guide[lang].format(**ask.fields), task.shots[lang], ask.input, lang)


def chat_messages(guide: str, shots: Sequence[Shot], text: str, lang: str) -> list[dict[str, str]]:
    """Each few-shot example as a user turn (the guide, label set included, then the example's input) and an
    assistant turn (its answer); the record as the last user turn, with the same guide. The guide stays next
    to every input rather than once in a system turn: small chat models follow it there far more often."""

    def ask(text: str) -> dict[str, str]:
        return {"role": "user", "content": f"{guide}\n\n{INPUT_WORD[lang]}: {text}"}

    messages = []
    for shot in shots:
        messages += [ask(shot.input), {"role": "assistant", "content": shot.answer}]
    return messages + [ask(text)]


def teacher_prompt(task: PseudoTask, ask: Ask, lang: str, prompt_format: PromptFormat) -> str:
    """What one labelling request carries (and its cache key hashes): the `ecomgpt` prompt text, or the `chat`
    messages as JSON (`prompt_messages` reads them back; the teacher renders them with its chat template)."""
    if prompt_format == "ecomgpt":
        return labelling_prompt(task, ask, lang)
    if prompt_format == "chat":
        return json.dumps(labelling_messages(task, ask, lang), ensure_ascii=False)
    raise ValueError(f"unknown prompt format {prompt_format!r}; known: {list(PROMPT_FORMATS)}")


def prompt_messages(prompt: str) -> list[dict[str, str]]:
    """The chat messages of a `chat` request's prompt."""
    messages = json.loads(prompt)
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and {"role", "content"} <= set(m) for m in messages
    ):
        raise ValueError(f"not a chat prompt (a JSON list of role/content messages): {prompt[:80]!r}")
    return messages


def prompts_hash(tasks: Sequence[PseudoTask], prompt_format: PromptFormat) -> str:
    """A hash of everything the labelling prompts of these tasks are built from (guides, shots, format)."""
    parts = [
        {
            "task": t.name,
            "definition": t.spec.definition,
            "guide": t.guide,
            "shots": {lang: [list(s) for s in shots] for lang, shots in t.shots.items()},
        }
        for t in sorted(tasks, key=lambda t: t.name)
    ]
    probes = {
        "ecomgpt": render_prompt("{definition}", "{instruction}", "{input}"),
        "chat": chat_messages("{guide}", [Shot("{shot}", "{answer}")], "{input}", "en"),
    }
    if prompt_format not in probes:
        raise ValueError(f"unknown prompt format {prompt_format!r}; known: {list(PROMPT_FORMATS)}")
    return stable_hex128(
        json.dumps(parts, ensure_ascii=False, sort_keys=True),
        prompt_format,
        json.dumps(probes[prompt_format]),
        INPUT_WORD,
        ANSWER_WORD,
    )
