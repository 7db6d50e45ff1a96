"""Configuration of `ecomgpt sweep`: the grid, the training recipe of every trial, evaluation, resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ecomgpt.config import StrictModel
from ecomgpt.evaluate.config import GenerationConfig
from ecomgpt.train.config import check_overrides


def _positive_unique(values: list[int], name: str) -> list[int]:
    if not values:
        raise ValueError(f"{name} needs at least one value")
    bad = [v for v in values if v <= 0]
    if bad:
        raise ValueError(f"{name} values must be positive (got {bad})")
    return sorted(set(values))


class GridConfig(StrictModel):
    n_tasks: list[int] = Field(description="numbers of training tasks (drawn by seed, nested)")
    samples_per_task: list[int] = Field(description="caps of training examples per task")
    seeds: list[int] = Field(
        default_factory=lambda: [0], description="seeds of the mixture draw and of training (one trial per seed)"
    )
    train_configs: list[str] | None = Field(
        default=None,
        description="training config files, one trial set per file (the model-size axis); None: `train` only",
    )
    lora_r: list[int] | None = Field(
        default=None,
        description="LoRA ranks, one trial set per rank: each trial trains adapters of that rank (`lora.r`, over "
        "the training config's lora block or the defaults); None: as the training config says",
    )

    @field_validator("n_tasks")
    @classmethod
    def _tasks(cls, values: list[int]) -> list[int]:
        return _positive_unique(values, "grid.n_tasks")

    @field_validator("samples_per_task")
    @classmethod
    def _samples(cls, values: list[int]) -> list[int]:
        return _positive_unique(values, "grid.samples_per_task")

    @field_validator("lora_r")
    @classmethod
    def _ranks(cls, values: list[int] | None) -> list[int] | None:
        return None if values is None else _positive_unique(values, "grid.lora_r")

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, values: list[int]) -> list[int]:
        if not values:
            raise ValueError("grid.seeds needs at least one value")
        return sorted(set(values))


class PointConfig(StrictModel):
    """One explicit trial: a mixture of the data to train on, or the base model evaluated untrained."""

    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="the trial's name (its directory)")
    train: bool = Field(default=True, description="false: evaluate the training config's base model, untrained")
    n_tasks: int | None = Field(default=None, gt=0, description="tasks drawn by seed (None: all)")
    samples_per_task: int | None = Field(default=None, gt=0, description="cap of examples per task (None: all)")
    seed: int = Field(default=0, description="mixture seed")
    atomic: bool | None = Field(
        default=None, description="None: every row; false: datasets' original tasks only; true: atomic tasks only"
    )
    lora_r: int | None = Field(
        default=None,
        gt=0,
        description="LoRA rank of the trial's adapters (`lora.r`); None: as the training config says",
    )
    label_kind: Literal["golden", "pseudo"] | None = Field(
        default=None, description="None: every row; golden or pseudo: only rows of that label kind"
    )


class SweepEvalConfig(StrictModel):
    heldout_dir: str | None = Field(
        default=None,
        description="held-out tasks (EcomGPT layout or a generate run); None: the data directory's held_out split",
    )
    tasks: list[str] | None = Field(default=None, description="only these held-out tasks (None: all)")
    limit: int | None = Field(default=None, gt=0, description="only the first N instances of each held-out task")
    generation: GenerationConfig = Field(default_factory=GenerationConfig, description="batch inference settings")


class SweepConfig(StrictModel):
    name: str = Field(default="sweep", description="experiment name (the Tune experiment directory)")
    train: str = Field(description="training config file every trial starts from (e.g. configs/train/tiny.yaml)")
    train_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="keys of the training config set over every trial's training config file (nested mappings "
        "merge key by key), checked against the training config's keys",
    )
    grid: GridConfig | None = Field(
        default=None, description="the trials: n_tasks × samples_per_task × seeds (× train_configs)"
    )
    points: list[PointConfig] | None = Field(
        default=None, description="explicit trials instead of a grid, each trained from `train`"
    )
    evaluate: SweepEvalConfig = Field(default_factory=SweepEvalConfig, description="held-out evaluation of a trial")
    max_concurrent_trials: int | None = Field(
        default=None, gt=0, description="trials at once (None: as many as the cluster's CPUs or GPUs allow)"
    )
    trial_cpus: float = Field(
        default=0.1, ge=0.01, description="CPUs held by each trial's driver (its workers ask for their own)"
    )
    max_failures: int = Field(default=1, ge=0, description="retries of a failed trial (Tune FailureConfig)")
    metric: str = Field(default="rouge_l", description="the held-out metric the curves and fits use")

    _known = field_validator("train_overrides")(check_overrides)

    @property
    def train_files(self) -> list[str]:
        """The training config files trials start from: the grid's model-size axis, else `train`."""
        return (self.grid.train_configs if self.grid else None) or [self.train]

    @model_validator(mode="after")
    def _trials(self) -> SweepConfig:
        if (self.grid is None) == (self.points is None):
            raise ValueError("give either grid or points")
        if self.points is not None:
            if not self.points:
                raise ValueError("points needs at least one trial")
            keys = [point.key for point in self.points]
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            if repeated:
                raise ValueError(f"points: keys must not repeat; repeated: {repeated}")
        return self

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in ("rouge_l", "micro_f1", "macro_f1"):
            raise ValueError("metric must be rouge_l, micro_f1 or macro_f1")
        return value
