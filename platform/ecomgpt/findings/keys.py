"""The findings trials' keys (the base model, the ablation and label arms, the curve points) and FindingsError."""

from __future__ import annotations

from typing import Literal

from ecomgpt.errors import UserError

BASE = "base"


class FindingsError(UserError, ValueError):
    """A findings run that cannot start or whose trials cannot be compared."""


def arm_key(arm: str, seed: int) -> str:
    return f"atomic-{arm}-seed{seed}"


# arm -> mixture.label_kind
LABEL_ARMS: dict[str, Literal["golden", "pseudo"] | None] = {"golden": "golden", "pseudo": "pseudo", "both": None}


def label_key(arm: str, seed: int) -> str:
    return f"labels-{arm}-seed{seed}"


def curve_key(n_tasks: int, samples_per_task: int, seed: int) -> str:
    return f"tasks{n_tasks}-spt{samples_per_task}-seed{seed}"
