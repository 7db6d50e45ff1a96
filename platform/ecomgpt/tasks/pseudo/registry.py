"""Pseudo-label tasks: atomic tasks whose answers a teacher model writes for records that carry no label.

A pseudo task is a task (`TaskSpec`: name, data type, paradigm, definition, at least three instruction
templates per language) with `label_kind = "pseudo"` and a labelling spec (`tasks.labelling.Labelling`), in
the one task registry. Golden tasks read their labels from the data and run in `generate`'s main pass; pseudo
tasks run only in the teacher's pass (`ecomgpt.generate.teacher`). This module registers them and renders
their labelling prompts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from ecomgpt.hashing import stable_hex128
from ecomgpt.prompts import render_prompt
from ecomgpt.tasks.labelling import Ask, AskFn, GroundFn, Labelling, Shot
from ecomgpt.tasks.registry import TaskSpec, add_task

INPUT_WORD = {"en": "Input", "zh": "输入"}
ANSWER_WORD = {"en": "Answer", "zh": "答案"}


def register_pseudo_task(
    name: str,
    *,
    data_type: str,
    paradigm: str,
    definition: str,
    templates: Mapping[str, Sequence[str]],
    guide: dict[str, str],
    shots: dict[str, Sequence[Shot]],
    ground: GroundFn,
    max_new_tokens: int = 64,
    version: int = 1,
) -> Callable[[AskFn], AskFn]:
    """Register `ask` as pseudo task `name`; a duplicate name (golden or pseudo) or a bad spec raises."""

    def decorate(ask: AskFn) -> AskFn:
        missing = [lang for lang in ("en", "zh") if lang not in guide or lang not in shots]
        if missing:
            raise ValueError(f"pseudo task {name!r}: no labelling guide or shots for {missing}")
        labelling = Labelling(ask, ground, dict(guide), {k: tuple(v) for k, v in shots.items()}, max_new_tokens)
        add_task(
            TaskSpec(
                name=name,
                data_type=data_type,
                paradigm=paradigm,
                langs=("en", "zh"),
                definition=definition,
                templates={lang: tuple(t) for lang, t in templates.items()},
                atomic=True,
                label_kind="pseudo",
                labelling=labelling,
                version=version,
            )
        )
        return ask

    return decorate


def labelling_of(task: TaskSpec) -> Labelling:
    """A pseudo-label task's labelling spec."""
    if task.labelling is None:
        raise ValueError(f"task {task.name!r} is a {task.label_kind} task, not a pseudo-label task")
    return task.labelling


PromptFormat = Literal["chat", "ecomgpt"]
PROMPT_FORMATS: tuple[PromptFormat, ...] = ("chat", "ecomgpt")


def labelling_prompt(task: TaskSpec, ask: Ask, lang: str) -> str:
    """The prompt the teacher answers: the platform prompt format, the few-shot examples before the record."""
    labelling = labelling_of(task)
    shots = "".join(
        f"{INPUT_WORD[lang]}: {s.input}\n{ANSWER_WORD[lang]}: {s.answer}\n\n" for s in labelling.shots[lang]
    )
    guide = labelling.guide[lang].format(**ask.fields)
    return render_prompt(task.definition, guide, f"{shots}{INPUT_WORD[lang]}: {ask.input}")


def labelling_messages(task: TaskSpec, ask: Ask, lang: str) -> list[dict[str, str]]:
    """The labelling prompt as a chat, for a model trained on chats (`chat_messages`)."""
    labelling = labelling_of(task)
    return chat_messages(labelling.guide[lang].format(**ask.fields), labelling.shots[lang], ask.input, lang)


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


def teacher_prompt(task: TaskSpec, ask: Ask, lang: str, prompt_format: PromptFormat) -> str:
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


def prompts_hash(tasks: Sequence[TaskSpec], prompt_format: PromptFormat) -> str:
    """A hash of everything the labelling prompts of these tasks are built from (guides, shots, format)."""
    parts = [
        {
            "task": t.name,
            "definition": t.definition,
            "guide": labelling_of(t).guide,
            "shots": {lang: [list(s) for s in shots] for lang, shots in labelling_of(t).shots.items()},
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
