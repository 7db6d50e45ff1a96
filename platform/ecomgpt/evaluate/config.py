"""Configuration of `ecomgpt evaluate`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ecomgpt.config import StrictModel
from ecomgpt.runner import DTYPE_POLICY, Dtype

DEFAULT_MAX_NEW_TOKENS = {"CLS": 32, "NER": 128, "Condition_Extract": 64, "Extract": 128, "Generate": 64}


class GenerationConfig(StrictModel):
    batch_size: int = Field(default=16, gt=0, description="prompts per `generate` call in one actor")
    num_beams: int = Field(default=1, gt=0, description="beam width; 1 is greedy decoding")
    max_new_tokens: dict[Literal["CLS", "NER", "Condition_Extract", "Extract", "Generate"], int] = Field(
        default_factory=dict,
        description="answer budget per task type; types not given keep their defaults "
        f"({', '.join(f'{k} {v}' for k, v in DEFAULT_MAX_NEW_TOKENS.items())})",
    )
    max_batch_tokens: int = Field(
        default=8192,
        gt=0,
        description="padded prompt tokens per `generate` call: a batch's rows are split, shortest first, into "
        "calls of similar length that fit (a longer prompt gets a call of its own)",
    )
    max_input_tokens: int = Field(
        default=1024, gt=0, description="longer prompts are cut from the left, keeping the instruction"
    )
    dtype: Dtype = Field(default="auto", description=f"weights' dtype ({DTYPE_POLICY})")
    concurrency: int | None = Field(
        default=None, gt=0, description="model actors (None: one per GPU, or per `num_cpus` CPUs without GPUs)"
    )
    num_cpus: float = Field(default=1, gt=0, description="CPUs per actor (also its torch threads)")
    num_gpus: float = Field(default=0, ge=0, description="GPUs per actor (0 on a CPU cluster)")

    @model_validator(mode="after")
    def _budgets_positive(self) -> GenerationConfig:
        bad = [kind for kind, value in self.max_new_tokens.items() if value <= 0]
        if bad:
            raise ValueError(f"max_new_tokens must be positive (got {', '.join(bad)})")
        return self

    def budget(self, task_type: str) -> int:
        return self.max_new_tokens.get(task_type, DEFAULT_MAX_NEW_TOKENS[task_type])  # type: ignore[call-overload]  # a str key


class EvaluateConfig(StrictModel):
    model: str | None = Field(default=None, description="Hugging Face causal LM: local directory or hub name")
    predictions: str | None = Field(
        default=None, description="JSON lines of {task, index, prediction} to score instead of a model"
    )
    heldout_dir: str = Field(description="EcomGPT-layout held-out directory, or a `generate` run directory")
    output: str = Field(description="directory (path or URI) for predictions, metrics, table and charts")
    tasks: list[str] | None = Field(default=None, description="evaluate only these task folders (None: all)")
    limit: int | None = Field(default=None, gt=0, description="only the first N instances of each task")
    generation: GenerationConfig = Field(default_factory=GenerationConfig, description="batch inference")

    @model_validator(mode="after")
    def _one_source(self) -> EvaluateConfig:
        if (self.model is None) == (self.predictions is None):
            raise ValueError("give exactly one of model (to generate predictions) or predictions (to score them)")
        return self
