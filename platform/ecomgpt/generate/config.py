"""Configuration of `ecomgpt generate`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ecomgpt.config import StrictModel
from ecomgpt.generate.teacher.config import TeacherConfig

DEFAULT_HELDOUT_TASKS = (
    "product.item_alignment",
    "product.title_generation",
    "query.query_item_matching",
    "review.topic_classification",
)


class GenerateConfig(StrictModel):
    sources: list[str] = Field(
        default_factory=list, description="source config files (YAML, see configs/sources/) to read"
    )
    inputs: list[str] = Field(
        default_factory=list,
        description="files, directories or globs of canonical records (as `synth` writes) "
        "or EcomGPT-layout directories; the format is inferred",
    )
    heldout_dir: str | None = Field(
        default=None, description="EcomGPT-layout held-out directory to decontaminate against"
    )
    decontam_min_chars: int = Field(
        default=20, ge=1, description="held-out texts and inputs shorter than this are not compared"
    )
    samples_per_task: int | None = Field(
        default=None, gt=0, description="keep at most this many examples per task (None: no cap)"
    )
    tasks: list[str] | None = Field(default=None, description="generate only these registered tasks (None: every task)")
    heldout_tasks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_HELDOUT_TASKS),
        description="tasks whose examples form the held_out split; all others are held_in",
    )
    seed: int = Field(default=0, description="seed for template choice, task randomness and caps")
    num_blocks: int | None = Field(
        default=None, gt=0, description="parallel read units (None: a few per CPU of the cluster)"
    )
    sample_pairs: bool = Field(
        default=True,
        description="with a cap, skip record-task pairs whose key the cap cannot reach before "
        "generating them; a speed-up that never changes the output",
    )
    max_field_chars: int = Field(default=100_000, gt=0, description="records with a longer text field are quarantined")
    header: bool = Field(default=True, description="render the task-description header in prompts")
    instruction_lang: Literal["en", "zh"] | None = Field(
        default=None, description="render every instruction in this language (None: the record's)"
    )
    teacher: TeacherConfig | None = Field(
        default=None,
        description="pseudo labels: a teacher model labels records for the pseudo-label tasks (None: off)",
    )

    @field_validator("heldout_tasks", "tasks")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("task names must not repeat")
        return value
