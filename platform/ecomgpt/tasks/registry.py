"""The task registry: every task by name, golden and pseudo-label alike, selected by `label_kind`.

A golden task's generator is a small pure function `fn(record, rng) -> list[Draft]`: one canonical record in,
zero or more drafts out, its labels read from the data. A pseudo-label task has a `Labelling` instead
(`tasks.labelling`): a teacher writes its labels (`tasks.pseudo`). The registry adds what is common to all
tasks: template choice, prompt rendering, ids and lineage (`tasks.examples`). A task's `version` goes into
the manifest of every run that generates it: raise it when a change makes the task's examples different.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ecomgpt.errors import UserError
from ecomgpt.records.schema import DATA_TYPES, PARADIGMS
from ecomgpt.tasks.labelling import Labelling
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
    fn: GeneratorFn | None = field(default=None, repr=False)  # golden tasks
    atomic: bool = True
    label_kind: str = "golden"
    labelling: Labelling | None = None  # pseudo-label tasks
    version: int = 1

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
    if (spec.label_kind == "pseudo") != (spec.labelling is not None) or (spec.fn is None) == (spec.labelling is None):
        raise ValueError(f"{where}: a golden task has a generator, a pseudo-label task a labelling spec")
    if spec.version < 1:
        raise ValueError(f"{where}: version must be at least 1")
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
    version: int = 1,
) -> Callable[[GeneratorFn], GeneratorFn]:
    """Register `fn` as golden task `name`; a duplicate or inconsistent registration raises."""

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
            version=version,
        )
        add_task(spec)
        return fn

    return decorate


def add_task(spec: TaskSpec) -> None:
    """Register a checked spec; a duplicate name (golden or pseudo) or an inconsistent spec raises."""
    check_spec(spec, list(_TASKS))
    _TASKS[spec.name] = spec


def _load_library() -> None:
    # Importing the modules runs their registration decorators.
    from ecomgpt.tasks import library  # noqa: F401
    from ecomgpt.tasks.pseudo import library as pseudo  # noqa: F401


_KIND_WORDS = {"golden": "task", "pseudo": "pseudo-label task", None: "task"}


def get_task(name: str, label_kind: str | None = "golden") -> TaskSpec:
    """Task `name`, of `label_kind` (None: either)."""
    _load_library()
    spec = _TASKS.get(name)
    if spec is None or (label_kind is not None and spec.label_kind != label_kind):
        known = [spec.name for spec in all_tasks(label_kind)]
        word = _KIND_WORDS[label_kind]
        raise UnknownTaskError(f"unknown {word} {name!r}; known {word}s: {known}") from None
    return spec


def all_tasks(label_kind: str | None = "golden") -> list[TaskSpec]:
    """Every registered task of `label_kind` (None: both), by name."""
    _load_library()
    return [_TASKS[name] for name in sorted(_TASKS) if label_kind is None or _TASKS[name].label_kind == label_kind]


def tasks_for(data_type: str) -> list[TaskSpec]:
    return [spec for spec in all_tasks() if spec.data_type == data_type]


def resolve_tasks(names: Sequence[str] | None, label_kind: str | None = "golden") -> list[TaskSpec]:
    """The named tasks of `label_kind` (each checked), or every registered one when `names` is None."""
    if names is None:
        return all_tasks(label_kind)
    return [get_task(name, label_kind) for name in names]
