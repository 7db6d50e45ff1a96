"""The task registry: every atomic (Chain-of-Task) generator and dataset-original task, by name.

A task generator is a small pure function `fn(record, rng) -> list[Draft]`: one canonical record in,
zero or more drafts out. The registry adds what is common to all tasks: template choice, prompt
rendering, ids and lineage (`tasks.examples.build_examples`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ecomgpt.errors import UserError
from ecomgpt.records.schema import DATA_TYPES, PARADIGMS
from ecomgpt.tasks.rng import Rng

LANGS = ("en", "zh")
LABEL_KINDS = ("golden", "pseudo")
MIN_TEMPLATES = 3


class Draft(NamedTuple):
    """One example before rendering.

    `fields` fill the placeholders of the task's instruction templates (e.g. `{label_set}`).
    `instruction`, `definition` and `paradigm` override the task's own values; dataset-original
    tasks use them to keep the dataset's instruction and task type.
    """

    input: str
    output: str
    fields: dict[str, str] | None = None
    instruction: str | None = None
    definition: str | None = None
    paradigm: str | None = None


class TaskInput(NamedTuple):
    """A task's input text and the fields its instruction templates take, rendered from raw fields.

    Generators and the serve task routes render through the same functions (e.g.
    `product.category_input`), so a served prompt is the prompt the task was trained on.
    """

    input: str
    fields: dict[str, str] | None = None

    def draft(self, output: str) -> Draft:
        return Draft(self.input, output, self.fields)


# The record is the schema type the task's `data_type` names (records are dispatched by data type), so Any.
GeneratorFn = Callable[[Any, Rng], Sequence[Draft]]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    data_type: str
    paradigm: str
    langs: tuple[str, ...]
    definition: str
    templates: dict[str, tuple[str, ...]]
    fn: GeneratorFn = field(repr=False)
    atomic: bool = True
    label_kind: str = "golden"

    def instruction(self, lang: str, index: int, fields: dict[str, str] | None) -> str:
        """Instruction template `index` of `lang` with its placeholders filled from `fields`."""
        template = self.templates[lang][index]
        return template.format(**fields) if fields else template


_TASKS: dict[str, TaskSpec] = {}


class UnknownTaskError(UserError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def check_spec(spec: TaskSpec, taken: Sequence[str] = ()) -> None:
    """Raise on a spec whose name is taken or whose fields are inconsistent (the checks every task passes)."""
    where = f"task {spec.name!r}"
    if spec.name in taken:
        raise ValueError(f"{where} is already registered; known tasks: {sorted(taken)}")
    if spec.data_type not in DATA_TYPES:
        raise ValueError(f"{where}: data_type {spec.data_type!r} is not one of {DATA_TYPES}")
    if spec.paradigm not in PARADIGMS:
        raise ValueError(f"{where}: paradigm {spec.paradigm!r} is not one of {PARADIGMS}")
    if spec.label_kind not in LABEL_KINDS:
        raise ValueError(f"{where}: label_kind {spec.label_kind!r} is not one of {LABEL_KINDS}")
    unknown = set(spec.langs) - set(LANGS)
    if not spec.langs or unknown:
        raise ValueError(f"{where}: langs {spec.langs!r} must be a non-empty subset of {LANGS}")
    for lang in LANGS:
        templates = spec.templates.get(lang, ())
        if len(set(templates)) < MIN_TEMPLATES:
            raise ValueError(
                f"{where}: needs at least {MIN_TEMPLATES} distinct {lang!r} instruction templates, "
                f"has {len(set(templates))}"
            )


def register_task(
    name: str,
    *,
    data_type: str,
    paradigm: str,
    langs: Sequence[str],
    definition: str,
    templates: Mapping[str, Sequence[str]],
    atomic: bool = True,
    label_kind: str = "golden",
) -> Callable[[GeneratorFn], GeneratorFn]:
    """Register `fn` as task `name`; a duplicate or inconsistent registration raises."""

    def decorate(fn: GeneratorFn) -> GeneratorFn:
        spec = TaskSpec(
            name=name,
            data_type=data_type,
            paradigm=paradigm,
            langs=tuple(langs),
            definition=definition,
            templates={lang: tuple(t) for lang, t in templates.items()},
            fn=fn,
            atomic=atomic,
            label_kind=label_kind,
        )
        check_spec(spec, list(_TASKS))
        _TASKS[name] = spec
        return fn

    return decorate


def _load_library() -> None:
    # Importing the modules runs their @register_task decorators.
    from ecomgpt.tasks import library  # noqa: F401


def get_task(name: str) -> TaskSpec:
    _load_library()
    try:
        return _TASKS[name]
    except KeyError:
        raise UnknownTaskError(f"unknown task {name!r}; known tasks: {sorted(_TASKS)}") from None


def all_tasks() -> list[TaskSpec]:
    _load_library()
    return [_TASKS[name] for name in sorted(_TASKS)]


def tasks_for(data_type: str) -> list[TaskSpec]:
    return [spec for spec in all_tasks() if spec.data_type == data_type]


def resolve_tasks(names: Sequence[str] | None) -> list[TaskSpec]:
    """The named tasks (each checked), or every registered task when `names` is None."""
    if names is None:
        return all_tasks()
    return [get_task(name) for name in names]
