"""Predictions made elsewhere (another model, an API): `{"task", "index", "prediction"}` per JSON line.

Every instance under evaluation must have exactly one prediction: a missing, duplicate or unknown one is an
error naming it, so a task is never scored on fewer instances than it has.
"""

from __future__ import annotations

import json

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.evaluate.heldout import EvalTask

_SHOWN = 5


class PredictionsError(UserError, ValueError):
    """A predictions file that does not match the held-out instances, with the offending lines named."""


def read_predictions(path: str) -> dict[tuple[str, int], tuple[str, int]]:
    """(task, index) -> (prediction, line number); malformed or duplicate lines are errors."""
    if not storage.exists(path):
        raise PredictionsError(f"{path}: predictions file not found")
    found: dict[tuple[str, int], tuple[str, int]] = {}
    with storage.open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise PredictionsError(f"{where}: not valid JSON ({exc})") from exc
            if not isinstance(row, dict):
                raise PredictionsError(f"{where}: expected an object with task, index and prediction")
            task, index, prediction = row.get("task"), row.get("index"), row.get("prediction")
            if not isinstance(task, str) or not task:
                raise PredictionsError(f"{where}: 'task' must be a task folder name")
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise PredictionsError(f"{where}: 'index' must be a 0-based line number, got {index!r}")
            if not isinstance(prediction, str):
                raise PredictionsError(f"{where}: 'prediction' must be a string, got {type(prediction).__name__}")
            key = (task, index)
            if key in found:
                raise PredictionsError(
                    f"{where}: duplicate prediction for {task} #{index} (first on line {found[key][1]})"
                )
            found[key] = (prediction, number)
    return found


def match_predictions(
    found: dict[tuple[str, int], tuple[str, int]], known: dict[str, int], tasks: list[EvalTask], path: str
) -> dict[tuple[str, int], str]:
    """The prediction of every instance of `tasks`.

    `known` maps every task of the held-out directory to its instance count: a prediction for a task or
    index outside it is an error; one for a task or instance not under evaluation (--tasks, --limit) is
    ignored.
    """
    unknown = [(key, line) for key, (_, line) in found.items() if key[0] not in known]
    if unknown:
        shown = "; ".join(f"line {line}: {task}" for (task, _), line in unknown[:_SHOWN])
        raise PredictionsError(
            f"{path}: {len(unknown)} prediction(s) for unknown tasks ({shown}); known: {', '.join(sorted(known))}"
        )
    beyond = [(key, line) for key, (_, line) in found.items() if key[1] >= known[key[0]]]
    if beyond:
        shown = "; ".join(f"line {line}: {task} #{index}" for (task, index), line in beyond[:_SHOWN])
        raise PredictionsError(f"{path}: {len(beyond)} prediction(s) for instances that do not exist ({shown})")
    missing = [(task.name, i.index) for task in tasks for i in task.instances if (task.name, i.index) not in found]
    if missing:
        more = ", …" if len(missing) > _SHOWN else ""
        shown = ", ".join(f"{task} #{index}" for task, index in missing[:_SHOWN])
        raise PredictionsError(
            f"{path}: {len(missing)} instance(s) have no prediction ({shown}{more}); "
            "use --limit N to score only the first N instances of each task"
        )
    return {(task.name, i.index): found[(task.name, i.index)][0] for task in tasks for i in task.instances}
