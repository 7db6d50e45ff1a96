"""A `train` run's plan (what the driver checked) and its manifest: inputs, config, seed, counts, timings, versions."""

from __future__ import annotations

from dataclasses import dataclass

from ecomgpt import storage
from ecomgpt.manifests import stage_manifest
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.data import MixturePlan


@dataclass
class TrainPlan:
    cfg: TrainConfig
    data_dir: str
    output: str
    resume: bool
    mixture: MixturePlan


def build_manifest(
    plan: TrainPlan,
    model_source: str,
    metrics: dict,
    checkpoint: str | None,
    timings: dict,
    merged: str | None = None,
) -> dict:
    mixture = plan.mixture
    inputs = {
        "data_dir": plan.data_dir,
        "split": plan.cfg.data.split,
        "files": mixture.files,
        "rows_in": mixture.rows_in,
        "model_source": model_source,
    }
    fields = {
        "mixture": {
            "tasks": mixture.tasks,
            "examples_per_task": mixture.counts,
            "examples": mixture.rows,
            "atomic": mixture.atomic,
            "kinds": mixture.kinds,
            "label_kind": mixture.label_kind,
            "label_kinds": mixture.label_kinds,
        },
        "counts": {key: metrics.get(key) for key in ("step", "examples", "tokens", "useful_tokens")},
        "final_loss": metrics.get("loss"),
        "parameters": {"trainable": metrics.get("trainable_params"), "total": metrics.get("total_params")},
        "precision": metrics.get("precision"),  # what the workers trained in (`auto` resolved on them)
        "peak_memory_gb": metrics.get("peak_memory_gb"),  # rank 0's, during training (after loading)
        "model": storage.join(plan.output, "model"),
        "model_kind": "lora_adapter" if plan.cfg.lora is not None else "full",
        "merged": merged,
        "checkpoint": checkpoint,
        "timings": timings,
    }
    return stage_manifest(
        "train",
        plan.cfg,
        inputs,
        fields,
        output=plan.output,
        resumed=plan.resume,
        seed=plan.cfg.seed,
        packages=("torch", "transformers", "deepspeed", "peft"),
    )
