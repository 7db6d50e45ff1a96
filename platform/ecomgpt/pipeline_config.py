"""Configuration of `ecomgpt pipeline`: the stages and where their outputs go.

Every stage after `generate` is optional: a config without `train` stops after the instruction data, one
without `sweep` runs no sweep. File paths inside the config (train, sweep and serve config files) resolve
against the directory the command runs in, as everywhere else.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ecomgpt.config import StrictModel
from ecomgpt.evaluate.config import GenerationConfig
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.train.config import check_overrides


class SynthConfig(StrictModel):
    records: int = Field(default=20_000, gt=0, description="number of synthetic records")
    seed: int = Field(default=0, description="seed of the synthetic records")
    format: Literal["jsonl", "parquet"] = Field(default="jsonl", description="file format")
    shard_records: int = Field(default=100_000, gt=0, description="records per output file")


class TrainStageConfig(StrictModel):
    config: str = Field(default="configs/train/tiny.yaml", description="training config file (see configs/train/)")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="keys of the training config set over the file's (nested mappings merge key by key), "
        "checked against the training config's keys here and validated with the file's values",
    )
    _known = field_validator("overrides")(check_overrides)


class HeldoutConfig(StrictModel):
    dir: str = Field(description="EcomGPT-layout held-out directory, e.g. ../shared/data/heldout")
    optional: bool = Field(
        default=False,
        description="when the directory is missing, say so and go on: no decontamination, and evaluation on "
        "this run's generated held_out split (false: a missing directory is an error)",
    )


class EvaluateStageConfig(StrictModel):
    heldout_dir: str | None = Field(
        default=None,
        description="EcomGPT-layout held-out directory, e.g. ../shared/data/heldout (None: the top-level "
        "`heldout`, else the generated held_out split of this run)",
    )
    base: bool = Field(
        default=False,
        description="also evaluate the base model the training starts from, zero-shot on the same tasks, "
        "and print base and fine-tuned scores side by side",
    )
    tasks: list[str] | None = Field(default=None, description="evaluate only these held-out tasks (None: all)")
    limit: int | None = Field(default=None, gt=0, description="only the first N instances of each task")
    generation: GenerationConfig = Field(default_factory=GenerationConfig, description="batch inference")


class SweepStageConfig(StrictModel):
    config: str = Field(description="sweep config file (see configs/sweep/); its trials train on this run's data")


class ServeStageConfig(StrictModel):
    action: Literal["print", "run", "deploy"] = Field(
        default="print",
        description="print: print the commands to serve and query the model; run: serve it in the foreground "
        "until Ctrl-C; deploy: deploy it on the connected Ray and return (it serves as long as that cluster "
        "runs: for `ray job submit`, not for an embedded local Ray)",
    )
    name: str = Field(default="ecomgpt-tiny", min_length=1, description="the served model name")
    config: str | None = Field(
        default=None,
        description="Serve config file for replicas, batching and limits (e.g. configs/serve/local.yaml); "
        "its models are replaced by this run's model",
    )
    host: str | None = Field(default=None, description="HTTP host (None: the Serve config's, else 127.0.0.1)")
    port: int | None = Field(default=None, gt=0, lt=65536, description="HTTP port (None: the config's, else 8000)")


class PipelineConfig(StrictModel):
    output: str = Field(default="runs/local", description="run directory (local path or URI)")
    address: str | None = Field(default=None, description="Ray address (None: RAY_ADDRESS or an embedded local Ray)")
    synth: SynthConfig | None = Field(
        default=None, description="make synthetic records first and use them as the input"
    )
    heldout: HeldoutConfig | None = Field(
        default=None,
        description="held-out sets for the whole run: generate decontaminates against them and evaluate scores "
        "on them (instead of generate.heldout_dir and evaluate.heldout_dir)",
    )
    generate: GenerateConfig = Field(default_factory=GenerateConfig, description="instruction data")
    train: TrainStageConfig | None = Field(
        default=None, description="fine-tune on the generated held_in split (None: stop after generate)"
    )
    evaluate: EvaluateStageConfig | None = Field(
        default=None, description="zero-shot held-out evaluation of the trained model (needs train)"
    )
    sweep: SweepStageConfig | None = Field(default=None, description="a scaling sweep on the generated data")
    serve: ServeStageConfig | None = Field(
        default=None, description="serve the trained model, or print how to (needs train)"
    )

    @model_validator(mode="after")
    def _needs_a_model(self) -> PipelineConfig:
        needing = [name for name in ("evaluate", "serve") if getattr(self, name) is not None]
        if needing and self.train is None:
            raise ValueError(f"{' and '.join(needing)} need(s) a trained model: configure train too")
        return self

    @model_validator(mode="after")
    def _one_heldout(self) -> PipelineConfig:
        if self.heldout is None:
            return self
        both = [
            f"{stage}.heldout_dir"
            for stage in ("generate", "evaluate")
            if getattr(getattr(self, stage), "heldout_dir", None) is not None
        ]
        if both:
            raise ValueError(f"give either heldout or {' and '.join(both)}, not both")
        return self
