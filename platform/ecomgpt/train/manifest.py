"""The manifest of a `train` run: inputs, config, seed, counts, timings, versions."""

from __future__ import annotations

import platform
import sys
import time
from typing import TYPE_CHECKING

import ecomgpt
from ecomgpt import storage

if TYPE_CHECKING:
    from ecomgpt.train.run import TrainPlan


def versions() -> dict[str, str]:
    import deepspeed
    import ray
    import torch
    import transformers

    return {
        "ecomgpt": ecomgpt.__version__,
        "python": sys.version.split()[0],
        "ray": ray.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "deepspeed": deepspeed.__version__,
        "platform": platform.platform(),
    }


def build_manifest(plan: "TrainPlan", model_source: str, metrics: dict, checkpoint: str | None, timings: dict) -> dict:
    mixture = plan.mixture
    return {
        "stage": "train",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "output": plan.output,
        "resumed": plan.resume,
        "inputs": {
            "data_dir": plan.data_dir,
            "split": plan.cfg.data.split,
            "files": mixture.files,
            "rows_in": mixture.rows_in,
            "model_source": model_source,
        },
        "config": plan.cfg.model_dump(mode="json"),
        "seed": plan.cfg.seed,
        "mixture": {"tasks": mixture.tasks, "examples_per_task": mixture.counts, "examples": mixture.rows},
        "counts": {key: metrics.get(key) for key in ("step", "examples", "tokens", "useful_tokens")},
        "final_loss": metrics.get("loss"),
        "model": storage.join(plan.output, "model"),
        "checkpoint": checkpoint,
        "timings": timings,
        "versions": versions(),
    }
