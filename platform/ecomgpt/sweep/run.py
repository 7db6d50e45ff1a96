"""`ecomgpt sweep`: a Ray Tune experiment over task count × samples per task (or explicit points), each trial
train -> evaluate.

    from ecomgpt.sweep.run import plan_sweep, run_sweep
    rows = run_sweep(plan_sweep(cfg, "runs/data", "runs/sweep"))   # inside a Ray session

Each trial is a plain function: it builds its mixture (tasks drawn by seed, nested in the task count),
starts a TorchTrainer through the training stage (the Ray Train V2 pattern: a trainer inside the trial,
not the trial inside a trainer), evaluates the exported model zero-shot with the evaluation stage, and
writes `<output>/trials/<key>/result.json` before reporting to Tune. A trial that finds its result.json
reports it again without work, so a resumed experiment never redoes a finished trial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ecomgpt import storage
from ecomgpt.config import leaves, load_yaml, override, parse_model
from ecomgpt.errors import UserError
from ecomgpt.evaluate.config import EvaluateConfig
from ecomgpt.sweep.config import SweepConfig
from ecomgpt.train.config import TrainConfig

RESULT = "result.json"


class SweepError(UserError, ValueError):
    """A sweep that cannot start: its grid does not fit the data, or its output holds another sweep."""


@dataclass(frozen=True)
class SweepPlan:
    cfg: SweepConfig
    data_dir: str
    output: str
    heldout_dir: str
    train_configs: dict[str, dict]  # config file -> validated training config (as JSON-able data)
    held_in_tasks: tuple[str, ...]
    resume: bool
    points: tuple[dict, ...]  # the trials, each with its `key` (see `trial_points`)


def trial_train_data(train: dict, point: dict) -> dict:
    """A trial's training config: the base config with the point's mixture (and LoRA rank), and its seed as the
    training seed."""
    mixture = {
        "tasks": None,
        "n_tasks": point["n_tasks"],
        "samples_per_task": point["samples_per_task"],
        "seed": point["seed"],
        "atomic": point["atomic"],
        "label_kind": point.get("label_kind"),
    }
    rank = {"lora": {"r": point["lora_r"]}} if point.get("lora_r") is not None else {}
    return override(train, leaves({"data": {"mixture": mixture}, "seed": point["seed"], **rank}))


def _load_train_config(path: str, overrides: dict) -> dict:
    from ecomgpt.train.run import locate_model

    data = override(load_yaml(path), leaves(overrides))
    return locate_model(parse_model(TrainConfig, data, f"{path} (with train_overrides)")).model_dump(mode="json")


def _tasks_of(split_dir: str) -> list[str]:
    import pyarrow.dataset as pads

    fs, path = storage.resolve(split_dir)
    table = pads.dataset(path, filesystem=fs, format="parquet").to_table(columns=["task"])
    return sorted(set(table.column("task").to_pylist()))


def _split_tasks(data_dir: str, split: str) -> list[str]:
    where = storage.join(data_dir, split)
    if not storage.is_dir(where) or not storage.list_files(where):
        return []
    return _tasks_of(where)


def plan_sweep(cfg: SweepConfig, data_dir: str, output: str, *, resume: bool = False) -> SweepPlan:
    """Every check that needs no trial: configs, the grid against the data, held-out tasks, the output.

    Local paths come back absolute: each trial runs in its own working directory.
    """
    data_dir, output = storage.absolute(data_dir), storage.absolute(output)
    files = cfg.train_files
    train_configs = {path: _load_train_config(path, cfg.train_overrides) for path in files}
    points = trial_points(cfg, list(train_configs))
    for point in points:  # a trial whose training config cannot be built (e.g. its LoRA rank) fails now
        parse_model(
            TrainConfig,
            trial_train_data(train_configs[point["train_config"]], point),
            f"{point['train_config']}, trial {point['key']}",
        )
    held_in = _split_tasks(data_dir, "held_in")
    if not held_in:
        raise SweepError(f"{data_dir}: no held-in tasks (expected {storage.join(data_dir, 'held_in')}/*.parquet)")
    too_many = [p["n_tasks"] for p in points if p["n_tasks"] is not None and p["n_tasks"] > len(held_in)]
    if too_many:
        where = "grid.n_tasks" if cfg.grid else "points: n_tasks"
        raise SweepError(f"{where} asks for {max(too_many)} tasks but {data_dir} holds {len(held_in)} held-in tasks")
    heldout = storage.absolute(cfg.evaluate.heldout_dir) if cfg.evaluate.heldout_dir else data_dir
    if heldout == data_dir and not _split_tasks(data_dir, "held_out"):
        raise SweepError(f"{data_dir}: no held-out tasks (held_out/ is empty); give evaluate.heldout_dir")
    from ecomgpt.evaluate.heldout import load_heldout

    load_heldout(heldout, cfg.evaluate.tasks, 1)  # fails now on a missing or malformed held-out directory
    record = storage.join(output, "sweep.json")
    if storage.exists(record):
        if not resume:
            raise SweepError(f"{output}: holds a sweep; pass --resume to finish it or choose another directory")
        if not same_recipe(storage.read_json(record)["config"], cfg.model_dump(mode="json")):
            raise SweepError(
                f"{output}: the sweep there trains or evaluates differently; resume it with the same config (only "
                "its grid or points may change: finished trials are kept, new ones run)"
            )
    elif not storage.is_empty_dir(output):
        raise SweepError(f"{output}: not empty and holds no sweep; choose an empty directory")
    return SweepPlan(cfg, data_dir, output, heldout, train_configs, tuple(held_in), resume, tuple(points))


TRIAL_SET = ("grid", "points")  # the config keys a resumed sweep may change: which trials it holds


def same_recipe(previous: dict, current: dict) -> bool:
    """Whether two sweep configs train and evaluate alike, whatever trials they hold."""

    def recipe(config: dict) -> dict:
        return {key: value for key, value in config.items() if key not in TRIAL_SET}

    return recipe(previous) == recipe(current)


def trial_points(cfg: SweepConfig, train_configs: list[str]) -> list[dict]:
    """The trials: the grid's product, or the explicit points (each trained from `cfg.train`)."""
    if cfg.points is not None:
        return [{"train_config": cfg.train, **point.model_dump(mode="json")} for point in cfg.points]
    grid = cfg.grid
    assert grid is not None  # a sweep has a grid or points (checked by its config)
    points = [
        {
            "train_config": path,
            "train": True,
            "n_tasks": n,
            "samples_per_task": s,
            "seed": seed,
            "atomic": None,
            "lora_r": r,
        }
        for path in train_configs
        for r in grid.lora_r or [None]  # type: ignore[list-item]  # None: no LoRA
        for n in grid.n_tasks
        for s in grid.samples_per_task
        for seed in grid.seeds
    ]
    return [dict(point, key=trial_key(point, len(train_configs) > 1)) for point in points]


def trial_key(point: dict, multi_model: bool) -> str:
    key = f"tasks{point['n_tasks']}-spt{point['samples_per_task']}-seed{point['seed']}"
    if point.get("lora_r") is not None:
        key = f"r{point['lora_r']}-{key}"
    if multi_model:
        key = storage.basename(point["train_config"]).rsplit(".", 1)[0] + "-" + key
    return key


def run_trial(config: dict[str, Any]) -> None:
    """One Tune trial: train on the point's mixture (or not, for a base point), evaluate, write result.json,
    report once. Idempotent."""
    import ray.tune

    point, plan = config["point"], config["plan"]
    trial_dir = storage.join(plan["output"], "trials", point["key"])
    result_path = storage.join(trial_dir, RESULT)
    if storage.exists(result_path):
        row = storage.read_json(result_path)
    else:
        row = train_and_evaluate(point, plan, trial_dir) if point["train"] else evaluate_base(point, plan, trial_dir)
        storage.write_json(result_path, row)
    ray.tune.report({key: value for key, value in row.items() if not isinstance(value, (dict, list))})


def _trial_config(point: dict, plan: dict) -> TrainConfig:
    return parse_model(
        TrainConfig, trial_train_data(plan["train_configs"][point["train_config"]], point), point["train_config"]
    )


def _evaluate_model(model: str, plan: dict, eval_dir: str) -> dict:
    from ecomgpt.evaluate.run import run_evaluate

    evaluation = plan["evaluate"]
    return run_evaluate(
        EvaluateConfig(
            model=model,
            heldout_dir=plan["heldout_dir"],
            output=eval_dir,
            tasks=evaluation["tasks"],
            limit=evaluation["limit"],
            generation=evaluation["generation"],
        )
    )


def _row(point: dict, trial_dir: str, metrics: dict) -> dict[str, Any]:
    average = metrics["average"]
    return {
        "trial": storage.basename(trial_dir),
        **{
            key: point.get(key)
            for key in (
                "train_config",
                "train",
                "n_tasks",
                "samples_per_task",
                "seed",
                "atomic",
                "lora_r",
                "label_kind",
            )
        },
        **{f"avg_{m}": average[m] for m in ("rouge_l", "micro_f1", "macro_f1") if m in average},
        "tasks": {task: values for task, values in metrics["tasks"].items()},
        "eval_dir": storage.join(trial_dir, "eval"),
    }


def train_and_evaluate(point: dict, plan: dict, trial_dir: str) -> dict[str, Any]:
    from ecomgpt.train.run import run_train

    started = time.time()
    train_dir = storage.join(trial_dir, "train")
    # A retried trial continues its training from the last checkpoint; one that died before any starts over.
    resume = storage.exists(storage.join(train_dir, "checkpoints"))
    if not resume:
        storage.delete_dir(train_dir)
    trained = run_train(_trial_config(point, plan), plan["data_dir"], train_dir, resume=resume)
    metrics = _evaluate_model(trained["model_path"], plan, storage.join(trial_dir, "eval"))
    return {
        **_row(point, trial_dir, metrics),
        "train_tasks": trained["mixture"]["tasks"],
        "train_examples_per_task": trained["mixture"]["examples_per_task"],
        "train_kinds": trained["mixture"]["kinds"],
        "train_label_kinds": trained["mixture"]["label_kinds"],
        "train_examples": sum(trained["mixture"]["examples_per_task"].values()),
        "examples_seen": trained["examples"],
        "train_tokens": trained["train_tokens"],
        "final_loss": trained["final_loss"],
        "wall_s": round(time.time() - started, 1),
        "checkpoint": trained["model_path"],
    }


def evaluate_base(point: dict, plan: dict, trial_dir: str) -> dict[str, Any]:
    """A base point: the model the training config starts from, evaluated without training (the tiny
    model is built as training would build it, from the point's mixture)."""
    from ecomgpt.train.run import initial_model, plan_train

    started = time.time()
    base_dir = storage.join(trial_dir, "base")
    storage.delete_dir(base_dir)
    train_plan = plan_train(_trial_config(point, plan), plan["data_dir"], base_dir)
    storage.make_dirs(base_dir)
    model = initial_model(train_plan)
    metrics = _evaluate_model(model, plan, storage.join(trial_dir, "eval"))
    return {
        **_row(point, trial_dir, metrics),
        "train_examples": 0,
        "examples_seen": 0,
        "train_tokens": 0,
        "final_loss": None,
        "wall_s": round(time.time() - started, 1),
        "checkpoint": model,
    }


def _resources(plan: SweepPlan) -> tuple[dict[str, float], int]:
    """Resources of a trial's driver, and how many trials fit in the cluster at once."""
    import ray

    cfg = plan.cfg
    if cfg.max_concurrent_trials:
        return {"cpu": cfg.trial_cpus}, cfg.max_concurrent_trials
    cluster = ray.cluster_resources()
    fits = []
    for train in plan.train_configs.values():
        if train["use_gpu"]:
            fits.append(int(cluster.get("GPU", 0) // train["num_workers"]))
        else:
            fits.append(
                int(cluster.get("CPU", 1) // (train["num_workers"] * train["cpus_per_worker"] + cfg.trial_cpus))
            )
    return {"cpu": cfg.trial_cpus}, max(1, min(fits))


def _tune_path(output: str) -> str:
    return storage.join(output, "tune")


def run_sweep(plan: SweepPlan) -> list[dict]:
    """Run (or finish, with resume) the experiment; returns one row per trial, from the trials' result.json."""
    from ray import tune

    cfg = plan.cfg
    record = storage.join(plan.output, "sweep.json")
    # Tune's own state holds the trials of the config it started with: restored only when they are unchanged.
    previous = storage.read_json(record)["config"] if plan.resume and storage.exists(record) else None
    restorable = previous == cfg.model_dump(mode="json")
    storage.write_json(
        record,
        {
            "config": cfg.model_dump(mode="json"),
            "data_dir": plan.data_dir,
            "heldout_dir": plan.heldout_dir,
        },
    )
    shared = {
        "output": plan.output,
        "data_dir": plan.data_dir,
        "heldout_dir": plan.heldout_dir,
        "train_configs": plan.train_configs,
        "evaluate": cfg.evaluate.model_dump(mode="json"),
    }
    resources, concurrent = _resources(plan)
    trainable = tune.with_resources(run_trial, resources)
    tune_path = _tune_path(plan.output)
    experiment = storage.join(tune_path, cfg.name)
    if restorable and tune.Tuner.can_restore(experiment):
        # The experiment's own state: unfinished and errored trials run again, finished ones do not.
        _fit(tune.Tuner.restore(experiment, trainable=trainable, resume_errored=True))
    points = missing_points(plan)
    if points:
        # A first run, or trials the restored state does not cover (the driver died before recording them).
        name = cfg.name if not plan.resume else f"{cfg.name}-resume-{time.strftime('%Y%m%d-%H%M%S')}"
        _fit(
            tune.Tuner(
                trainable,
                param_space={"point": tune.grid_search(points), "plan": shared},
                tune_config=tune.TuneConfig(max_concurrent_trials=concurrent),
                run_config=tune.RunConfig(
                    name=name,
                    storage_path=tune_path,
                    failure_config=tune.FailureConfig(max_failures=cfg.max_failures),
                ),
            )
        )
    left = missing_points(plan)
    if left:
        raise SweepError(f"{len(left)} trial(s) did not finish: {', '.join(p['key'] for p in left)}")
    return collect_rows(plan)


def _fit(tuner) -> None:
    grid = tuner.fit()
    if grid.errors:
        raise SweepError(f"{len(grid.errors)} trial(s) failed after retries; first: {grid.errors[0]}")


def missing_points(plan: SweepPlan) -> list[dict]:
    """Trials that have not written their result.json."""
    return [p for p in plan.points if not storage.exists(storage.join(plan.output, "trials", p["key"], RESULT))]


def collect_rows(plan: SweepPlan) -> list[dict]:
    """The rows of the plan's trials (a resumed sweep whose points changed may hold others on disk)."""
    rows = [storage.read_json(storage.join(plan.output, "trials", point["key"], RESULT)) for point in plan.points]
    return sorted(
        rows,
        key=lambda row: (
            row["train_config"],
            row.get("lora_r") or 0,
            row.get("n_tasks") or 0,
            row.get("samples_per_task") or 0,
            row["seed"],
            row["trial"],
        ),
    )
