"""Shared pieces of the operations tests: a tiny pipeline config that runs in about a minute on 2 CPUs."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY_TRAIN = str(REPO / "configs" / "train" / "tiny.yaml")
SHORT_ANSWERS = {"CLS": 8, "NER": 16, "Condition_Extract": 8, "Extract": 16, "Generate": 8}


def tiny_pipeline(output: str, *, train: bool = True) -> dict:
    """synth 600 records -> 12 examples per task -> 4 training steps -> 2 instances per held-out task."""
    data: dict = {
        "output": output,
        "synth": {"records": 600, "seed": 0},
        "generate": {"samples_per_task": 12, "seed": 0},
    }
    if train:
        data["train"] = {
            "config": TINY_TRAIN,
            "overrides": {
                # One worker and one model actor: the distributed paths have their own tests.
                "max_steps": 4,
                "checkpoint_every": 4,
                "keep_checkpoints": 1,
                "num_workers": 1,
                "model": {"tiny": {"vocab_size": 400, "tokenizer_texts": 500}},
                "data": {"mixture": {"n_tasks": 4, "samples_per_task": 4}},
            },
        }
        data["evaluate"] = {
            "limit": 2,
            "generation": {"batch_size": 8, "concurrency": 1, "max_new_tokens": SHORT_ANSWERS},
        }
        data["serve"] = {"action": "print", "name": "ecomgpt-tiny"}
    return data
