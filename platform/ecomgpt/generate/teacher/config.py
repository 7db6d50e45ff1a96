"""The `teacher:` block of a generate config: which pseudo-label tasks, which teacher, how it is asked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ecomgpt.config import StrictModel
from ecomgpt.runner import DTYPE_POLICY, Dtype


class LocalTeacher(StrictModel):
    """A Hugging Face causal LM run by Ray Data as an actor pool (model loaded once per actor)."""

    kind: Literal["local"] = "local"
    model: str = Field(description="checkpoint directory, URI, hub id or offline model name (smollm2-135m-instruct)")
    batch_size: int = Field(default=16, gt=0, description="records per actor call")
    concurrency: int | None = Field(default=None, gt=0, description="actors (None: one per free CPU or GPU)")
    num_cpus: float = Field(default=1.0, gt=0, description="CPUs per actor (also its torch threads on a CPU)")
    num_gpus: float = Field(default=0.0, ge=0, description="GPUs per actor")
    dtype: Dtype = Field(default="auto", description=f"weights' dtype ({DTYPE_POLICY})")
    max_input_tokens: int = Field(default=1024, gt=0, description="labelling prompts are cut from the left to this")
    max_batch_tokens: int = Field(default=8192, gt=0, description="padded prompt tokens per generate call")
    prompt_format: Literal["auto", "chat", "ecomgpt"] = Field(
        default="auto",
        description="chat: the labelling prompt as chat turns through the tokenizer's chat template; ecomgpt: "
        "this platform's prompt format; auto: ecomgpt for a checkpoint this platform fine-tuned (its "
        "manifest.json names the train stage), else chat when the tokenizer has a chat template, else ecomgpt",
    )


class HttpTeacher(StrictModel):
    """Any OpenAI-compatible endpoint: vLLM, `ecomgpt serve`, a hosted API."""

    kind: Literal["http"] = "http"
    base_url: str = Field(description="the API root, e.g. http://127.0.0.1:8000/v1")
    model: str = Field(description="the `model` field of each request")
    api: Literal["chat", "completions"] = Field(
        default="chat",
        description="/chat/completions (the labelling prompt as chat messages) or /completions (in this "
        "platform's prompt format, for `ecomgpt serve`)",
    )
    api_key_env: str | None = Field(default=None, description="environment variable holding the API key (Bearer)")
    concurrency: int = Field(default=4, gt=0, description="requests in flight at once")
    max_retries: int = Field(default=4, ge=0, description="retries of a request answered 429, 5xx or not at all")
    backoff_s: float = Field(default=1.0, ge=0, description="first retry delay; doubles each retry (with jitter)")
    max_backoff_s: float = Field(
        default=30.0, ge=0, description="longest retry delay (a Retry-After is honoured up to it)"
    )
    timeout_s: float = Field(default=60.0, gt=0, description="per-request timeout")
    batch_size: int = Field(default=64, gt=0, description="records handed to the client per call")

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")


class TeacherConfig(StrictModel):
    """Pseudo labels: a teacher labels records for the pseudo-label tasks.

    `ecomgpt tasks` lists them with label kind `pseudo`.
    """

    tasks: list[str] | None = Field(default=None, description="pseudo-label tasks to label (None: every one)")
    model: LocalTeacher | HttpTeacher = Field(discriminator="kind", description="the teacher: kind local or http")
    temperature: float = Field(default=0.0, ge=0, description="0: greedy, the same answer every time")
    max_new_tokens: int | None = Field(default=None, gt=0, description="answer budget (None: each task's own)")
    max_records_per_task: int | None = Field(
        default=None,
        gt=0,
        description="label at most this many records per task: those of smallest seeded key (None: every one)",
    )
    max_requests: int | None = Field(
        default=None,
        ge=0,
        description="per-run request budget: at most this many uncached (record, task) pairs are sent to the "
        "teacher, those of smallest key; the rest are counted `not_asked` (a re-run with a larger budget "
        "asks only those)",
    )
    max_failed: int = Field(
        default=0,
        ge=0,
        description="requests that may still fail after their retries; more stops the run with an error "
        "(answers already received stay cached)",
    )
    cache_dir: str | None = Field(
        default=None, description="answer cache (None: `<output>.teacher-cache` beside the output)"
    )

    @field_validator("tasks")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not value or len(set(value)) != len(value)):
            raise ValueError("must name at least one task, none twice")
        return value

    @model_validator(mode="after")
    def _known_tasks(self) -> TeacherConfig:
        from ecomgpt.tasks.registry import all_tasks

        known = {task.name for task in all_tasks(label_kind="pseudo")}
        unknown = sorted(set(self.tasks or ()) - known)
        if unknown:
            raise ValueError(f"unknown pseudo-label tasks {unknown}; known: {sorted(known)}")
        return self
