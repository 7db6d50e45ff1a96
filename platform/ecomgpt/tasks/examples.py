"""Instruction examples: the row contract of the generated dataset (see DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from ecomgpt.hashing import stable_hex128
from ecomgpt.prompts import render_prompt
from ecomgpt.tasks.registry import Draft, TaskSpec
from ecomgpt.tasks.rng import Rng

EXAMPLE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("task", pa.string()),
        ("paradigm", pa.string()),
        ("data_type", pa.string()),
        ("lang", pa.string()),
        ("atomic", pa.bool_()),
        ("label_kind", pa.string()),
        ("definition", pa.string()),
        ("instruction", pa.string()),
        ("input", pa.string()),
        ("output", pa.string()),
        ("prompt", pa.string()),
        ("template_id", pa.string()),
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("split", pa.string()),
    ]
)
EXAMPLE_COLUMNS = tuple(EXAMPLE_SCHEMA.names)


_TEMPLATE_SALT = 0x5BD1E9955BD1E995


@dataclass(frozen=True)
class RenderOptions:
    """How instructions are rendered; the paper ablates both switches."""

    header: bool = True
    instruction_lang: Literal["en", "zh"] | None = None  # None: the record's own language
    # (source, task) pairs that are a dataset's original task: their examples are not atomic.
    original: frozenset[tuple[str, str]] = frozenset()


def example_id(task: str, prompt: str, output: str) -> str:
    """Stable 128-bit hash of (task, prompt, output)."""
    return stable_hex128(task, prompt, output)


def build_examples(
    record, specs: Iterable[TaskSpec], seed: int, options: RenderOptions = RenderOptions()
) -> list[dict]:
    """Every example the given tasks make from one canonical record, rendered and identified."""
    examples: list[dict] = []
    for spec in specs:
        if spec.fn is None or spec.data_type != record.data_type or record.lang not in spec.langs:
            continue  # a pseudo-label task's examples come from the teacher's pass
        rng = Rng(seed, spec.name, record.source, record.record_id)
        pick = rng.derive(_TEMPLATE_SALT)  # template choice does not depend on what the task draws
        drafts = spec.fn(record, rng)
        if drafts:
            examples += _render(spec, record, drafts, pick, options)
    return examples


def render_drafts(
    spec: TaskSpec, record, drafts: Sequence[Draft], seed: int, options: RenderOptions = RenderOptions()
) -> list[dict]:
    """Examples of drafts made for `record` (anything with `source`, `record_id` and `lang`) outside the
    task's generator, e.g. from a teacher's answer; the template is chosen as `build_examples` chooses it."""
    pick = Rng(seed, spec.name, record.source, record.record_id).derive(_TEMPLATE_SALT)
    return _render(spec, record, drafts, pick, options)


def _render(spec: TaskSpec, record, drafts: Sequence[Draft], pick: Rng, options: RenderOptions) -> list[dict]:
    examples: list[dict] = []
    lang = options.instruction_lang or record.lang
    templates = spec.templates[lang]
    for draft in drafts:
        if draft.instruction is not None:
            template_id, instruction = "dataset", draft.instruction
        else:
            index = pick.randrange(len(templates))
            template_id = f"{lang}{index}"
            instruction = spec.instruction(lang, index, draft.fields)
        definition = draft.definition or spec.definition
        prompt = render_prompt(definition, instruction, draft.input, header=options.header)
        examples.append(
            {
                "id": example_id(spec.name, prompt, draft.output),
                "task": spec.name,
                "paradigm": draft.paradigm or spec.paradigm,
                "data_type": spec.data_type,
                "lang": record.lang,
                "atomic": spec.atomic and (record.source, spec.name) not in options.original,
                "label_kind": spec.label_kind,
                "definition": definition,
                "instruction": instruction,
                "input": draft.input,
                "output": draft.output,
                "prompt": prompt,
                "template_id": template_id,
                "source": record.source,
                "record_id": record.record_id,
                "split": "",
            }
        )
    return examples
