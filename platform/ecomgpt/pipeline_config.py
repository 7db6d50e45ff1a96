"""Configuration of `ecomgpt pipeline`: the stages and where their outputs go."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ecomgpt.config import StrictModel
from ecomgpt.data.config import GenerateConfig


class SynthConfig(StrictModel):
    records: int = Field(default=20_000, gt=0, description="number of synthetic records")
    seed: int = Field(default=0, description="seed of the synthetic records")
    format: Literal["jsonl", "parquet"] = Field(default="jsonl", description="file format")
    shard_records: int = Field(default=100_000, gt=0, description="records per output file")


class PipelineConfig(StrictModel):
    output: str = Field(default="runs/local", description="run directory (local path or URI)")
    address: str | None = Field(default=None, description="Ray address (None: embedded local Ray)")
    synth: SynthConfig | None = Field(
        default=None, description="make synthetic records first and use them as the input"
    )
    generate: GenerateConfig = Field(default_factory=GenerateConfig, description="instruction data")
