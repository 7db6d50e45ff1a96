"""Mixture control for training and scaling sweeps: which tasks, and how many examples of each.

Pure functions over task names and example ids, so a sweep can plan its grid without a cluster:

- `select_tasks(available, n_tasks=n, seed=s)` draws tasks by a seeded ranking, so the set for a smaller
  n is always contained in the set for a larger n (the sweep over task count is nested);
- `sample_key(example_id, seed)` ranks examples inside a task; a cap keeps the smallest keys, so the
  examples kept under a smaller cap are contained in those kept under a larger one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ecomgpt.errors import UserError
from ecomgpt.hashing import stable_hash64


class MixtureError(UserError, ValueError):
    """A mixture that names unknown tasks or asks for more tasks than the data has."""


def task_rank(task: str, seed: int) -> int:
    """Seeded rank of a task; tasks are drawn in increasing rank."""
    return stable_hash64("task", seed, task)


def sample_key(example_id: str, seed: int) -> int:
    """Seeded rank of an example inside its task; a cap keeps the smallest keys."""
    return stable_hash64("example", seed, example_id)


def select_tasks(
    available: Iterable[str],
    *,
    tasks: Sequence[str] | None = None,
    n_tasks: int | None = None,
    seed: int = 0,
) -> list[str]:
    """The tasks to train on, sorted: an explicit list, `n_tasks` drawn by seed (nested in n), or all."""
    pool = sorted(set(available))
    if tasks is not None:
        unknown = sorted(set(tasks) - set(pool))
        if unknown:
            raise MixtureError(f"mixture.tasks not in the data: {unknown}; tasks present: {pool}")
        return sorted(tasks)
    if n_tasks is None:
        return pool
    if n_tasks > len(pool):
        raise MixtureError(f"mixture.n_tasks is {n_tasks} but the data has only {len(pool)} tasks: {pool}")
    return sorted(sorted(pool, key=lambda task: (task_rank(task, seed), task))[:n_tasks])


def cap_thresholds(keys_by_task: Mapping[str, Sequence[int]], samples_per_task: int | None) -> dict[str, int | None]:
    """Per task, the largest sample key kept under the cap (None: keep every example of the task)."""
    out: dict[str, int | None] = {}
    for task, keys in keys_by_task.items():
        if samples_per_task is None or len(keys) <= samples_per_task:
            out[task] = None
        else:
            out[task] = sorted(keys)[samples_per_task - 1]
    return out


def keep_example(task: str, key: int, tasks: set[str] | frozenset[str], thresholds: Mapping[str, int | None]) -> bool:
    """Whether an example belongs to the mixture."""
    if task not in tasks:
        return False
    limit = thresholds.get(task)
    return limit is None or key <= limit
