"""Configuration of `ecomgpt findings`: the data, the training recipe, and the trials behind each finding."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from ecomgpt.config import StrictModel
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.pipeline_config import SynthConfig
from ecomgpt.sweep.config import SweepEvalConfig
from ecomgpt.train.config import check_overrides


def _seeds(values: list[int], name: str) -> list[int]:
    if not values:
        raise ValueError(f"{name} needs at least one seed")
    if len(set(values)) != len(values):
        raise ValueError(f"{name}: seeds must not repeat")
    return values


class FindingsData(StrictModel):
    """The instruction data every trial trains on: a finished generate run, or one built by the pipeline's
    synth and generate stages under the output (`<output>/records`, `<output>/data`; a re-run reuses them)."""

    dir: str | None = Field(default=None, description="a finished `ecomgpt generate` run (None: build one)")
    synth: SynthConfig | None = Field(
        default=None, description="synthetic records added to the generate config's sources (None: none)"
    )
    generate: GenerateConfig = Field(
        default_factory=GenerateConfig,
        description="the generate config of the built data: its sources' original_tasks are the rows the "
        "`without atomic tasks` arm keeps; heldout_dir comes from the findings config",
    )

    @model_validator(mode="after")
    def _one_source(self) -> FindingsData:
        if self.dir is not None and ({"synth", "generate"} & self.model_fields_set):
            raise ValueError("give either data.dir or data.synth/data.generate, not both")
        return self


def _curve(values: list[int], name: str) -> list[int]:
    """A curve's x values: at least 2 distinct positive ones (a slope needs two), sorted."""
    if len(set(values)) < 2 or min(values) <= 0:
        raise ValueError(f"{name} needs at least 2 distinct positive values")
    return sorted(set(values))


class AblationConfig(StrictModel):
    """(b): every task of each kind at this cap, with and without the atomic tasks, at the same steps."""

    samples_per_task: int = Field(gt=0, description="cap of examples per task in both arms")


class TaskCurveConfig(StrictModel):
    n_tasks: list[int] = Field(description="task counts (at least 2; the paper's curve has 4 or more; nested draws)")
    samples_per_task: int = Field(gt=0, description="the fixed cap of examples per task")

    _points = field_validator("n_tasks")(lambda values: _curve(values, "task_curve.n_tasks"))


class SamplesCurveConfig(StrictModel):
    samples_per_task: list[int] = Field(description="caps of examples per task (at least 2; the paper's has 3 or more)")
    n_tasks: int = Field(gt=0, description="the fixed task count")

    _points = field_validator("samples_per_task")(lambda values: _curve(values, "samples_curve.samples_per_task"))


class IntervalsConfig(StrictModel):
    """The findings' intervals: t intervals from the design's seed and instance variance (findings/stats.py)."""

    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="interval coverage")


class FindingsConfig(StrictModel):
    name: str = Field(default="findings", description="the experiment's name (its Tune experiment)")
    data: FindingsData = Field(default_factory=FindingsData, description="the instruction data every trial uses")
    heldout_dir: str = Field(
        default="../shared/data/heldout", description="EcomGPT held-out sets every trial is evaluated on"
    )
    train: str = Field(description="training config file every trial starts from")
    train_overrides: dict[str, Any] = Field(
        default_factory=dict, description="keys set over the training config for every trial"
    )
    evaluate: SweepEvalConfig = Field(default_factory=SweepEvalConfig, description="held-out evaluation")
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1], description="seeds (mixture draw and training) of the (a) and (b) trials"
    )
    curve_seeds: list[int] = Field(default_factory=lambda: [0, 1], description="seeds of the (c) curve points")
    ablation: AblationConfig = Field(description="(b) the atomic-task ablation")
    task_curve: TaskCurveConfig = Field(description="(c) held-out score against the number of training tasks")
    samples_curve: SamplesCurveConfig = Field(description="(c) held-out score against samples per task")
    intervals: IntervalsConfig = Field(default_factory=IntervalsConfig, description="confidence intervals")
    label_ablation: bool | None = Field(
        default=None,
        description="(d) golden vs pseudo labels: train on golden atomic tasks only, pseudo-labelled ones only, and "
        "both, at the (b) budget (None: when data.generate configures a teacher)",
    )
    metric: str = Field(default="rouge_l", description="the verdicts' metric (per-instance: rouge_l)")
    max_concurrent_trials: int | None = Field(default=None, gt=0, description="trials at once (None: as fit)")
    max_failures: int = Field(default=1, ge=0, description="retries of a failed trial")

    _known = field_validator("train_overrides")(check_overrides)

    @field_validator("seeds")
    @classmethod
    def _ab_seeds(cls, values: list[int]) -> list[int]:
        return _seeds(values, "seeds")

    @field_validator("curve_seeds")
    @classmethod
    def _curve_seeds(cls, values: list[int]) -> list[int]:
        return _seeds(values, "curve_seeds")

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value != "rouge_l":
            raise ValueError("metric: the intervals resample per-instance scores, which only rouge_l has")
        return value

    @property
    def label_arms(self) -> bool:
        """Whether the (d) golden-vs-pseudo arms run: asked for, or a teacher labels the built data."""
        if self.label_ablation is not None:
            return self.label_ablation
        return self.data.dir is None and self.data.generate.teacher is not None

    @model_validator(mode="after")
    def _curves_meet(self) -> FindingsConfig:
        """The curves share a point and multiply the training rows by the same factors, so (c) compares
        more tasks with more samples per task at equal rows."""
        if self.samples_curve.n_tasks not in self.task_curve.n_tasks:
            raise ValueError("samples_curve.n_tasks must be one of task_curve.n_tasks (the curves share that point)")
        if self.task_curve.samples_per_task not in self.samples_curve.samples_per_task:
            raise ValueError(
                "task_curve.samples_per_task must be one of samples_curve.samples_per_task (the shared point)"
            )
        task_rows = [n * self.task_curve.samples_per_task for n in self.task_curve.n_tasks]
        sample_rows = [self.samples_curve.n_tasks * k for k in self.samples_curve.samples_per_task]
        if task_rows != sample_rows:
            raise ValueError(
                f"the curves must train on matched rows, step by step: task_curve.n_tasks × "
                f"{self.task_curve.samples_per_task} gives {task_rows} rows, samples_curve.samples_per_task × "
                f"{self.samples_curve.n_tasks} gives {sample_rows} (scale both by the same factors)"
            )
        return self
