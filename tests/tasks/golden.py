"""Golden-example checks shared by the per-data-type task tests.

A golden case is a canonical record run through `build_examples` with one task and a fixed seed,
with every expected `input` and `output` written out by hand.
"""

from __future__ import annotations

import string
from typing import NamedTuple

from ecomgpt.tasks.examples import build_examples
from ecomgpt.tasks.registry import get_task

# The prompt format of DESIGN.md, written out here rather than imported, so a change to
# `prompts.render_prompt` that breaks the contract fails these tests.
PROMPT = (
    "Below is an instruction that describes the {definition} task. "
    "Write a response that appropriately completes the request.\n"
    "### Instruction:\n{input}\n{instruction}\n### Response:"
)


class Golden(NamedTuple):
    """One expected example: its input, output and the values filled into the template."""

    input: str
    output: str
    fields: dict[str, str] | None = None
    instruction: str | None = None  # a dataset's own instruction, used instead of the templates
    definition: str | None = None  # a dataset's own definition, when it replaces the task's
    paradigm: str | None = None  # a dataset's own paradigm, when it replaces the task's


class Case(NamedTuple):
    task: str
    record: object
    expected: list[Golden]
    seed: int = 0

    @property
    def id(self) -> str:
        return f"{self.task}[{self.record.record_id}, seed {self.seed}]"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def check_case(case: Case) -> None:
    spec = get_task(case.task)
    record = case.record
    rows = build_examples(record, [spec], seed=case.seed)
    assert [(row["input"], row["output"]) for row in rows] == [(g.input, g.output) for g in case.expected]
    for row, golden in zip(rows, case.expected):
        definition = golden.definition or spec.definition
        if golden.instruction is not None:
            assert row["template_id"] == "dataset"
            assert row["instruction"] == golden.instruction
        else:
            lang = record.lang
            assert row["template_id"].startswith(lang)
            template = spec.templates[lang][int(row["template_id"][len(lang) :])]
            fields = golden.fields or {}
            assert placeholders(template) <= set(fields)
            assert row["instruction"] == template.format(**fields)
        assert row["prompt"] == PROMPT.format(definition=definition, input=golden.input, instruction=row["instruction"])
        assert row["definition"] == definition
        assert row["paradigm"] == (golden.paradigm or spec.paradigm)
        assert (row["task"], row["data_type"], row["lang"]) == (spec.name, spec.data_type, record.lang)
        assert (row["atomic"], row["label_kind"]) == (spec.atomic, spec.label_kind)
        assert (row["source"], row["record_id"]) == (record.source, record.record_id)
