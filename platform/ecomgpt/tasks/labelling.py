"""What a pseudo-label task has beyond a task: how a teacher labels a record, and how its answer becomes the
task's output. A task with a `Labelling` has `label_kind = "pseudo"` and runs only in the teacher's pass.

- `ask(record) -> Ask | None`: the question for one record (the input text, the template fields, the closed
  label set if any), None when the record has nothing to label;
- a labelling guide per language (the instruction the teacher reads) and few-shot examples;
- `ground(answer, ask) -> output`: the teacher's answer as the task's canonical output, or `Rejected` with a
  reason when the answer does not fit the answer format or is not grounded in the input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple


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
GroundFn = Callable[[str, Ask], str]


@dataclass(frozen=True)
class Labelling:
    ask: AskFn = field(repr=False)
    ground: GroundFn = field(repr=False)
    guide: dict[str, str]  # per language: the labelling instruction, with the Ask's fields as placeholders
    shots: dict[str, tuple[Shot, ...]]
    max_new_tokens: int = 64
