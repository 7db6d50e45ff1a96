"""`ecomgpt sweep`: a Ray Tune experiment over task count × samples per task, each trial train -> evaluate.

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


def trial_train_data(train: dict, point: dict) -> dict:
    """A trial's training config: the base config with the point's mixture (and LoRA rank)."""
    mixture = {"tasks": None, "n_tasks": point["n_tasks"], "samples_per_task": point["samples_per_task"],
               "seed": point["seed"]}
    rank = {"lora": {"r": point["lora_r"]}} if point.get("lora_r") is not None else {}
    return override(train, leaves({"data": {"mixture": mixture}, **rank}))


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
    files = cfg.grid.train_configs or [cfg.train]
    train_configs = {path: _load_train_config(path, cfg.train_overrides) for path in files}
    for path, train in train_configs.items():  # a rank the config cannot take fails now, not in a trial
        for rank in cfg.grid.lora_r or []:
            parse_model(TrainConfig, override(train, [("lora.r", rank)]), f"{path} with grid.lora_r {rank}")
    held_in = _split_tasks(data_dir, "held_in")
    if not held_in:
        raise SweepError(f"{data_dir}: no held-in tasks (expected {storage.join(data_dir, 'held_in')}/*.parquet)")
    too_many = [n for n in cfg.grid.n_tasks if n > len(held_in)]
    if too_many:
        raise SweepError(
            f"grid.n_tasks asks for {max(too_many)} tasks but {data_dir} holds {len(held_in)} held-in tasks"
        )
    heldout = storage.absolute(cfg.evaluate.heldout_dir) if cfg.evaluate.heldout_dir else data_dir
    if heldout == data_dir and not _split_tasks(data_dir, "held_out"):
        raise SweepError(f"{data_dir}: no held-out tasks (held_out/ is empty); give evaluate.heldout_dir")
    from ecomgpt.evaluate.heldout import load_heldout

    load_heldout(heldout, cfg.evaluate.tasks, 1)  # fails now on a missing or malformed held-out directory
    record = storage.join(output, "sweep.json")
    if storage.exists(record):
        if not resume:
            raise SweepError(f"{output}: holds a sweep; pass --resume to finish it or choose another directory")
        previous = storage.read_json(record)["config"]
        if previous != cfg.model_dump(mode="json"):
            raise SweepError(f"{output}: the sweep there has a different config; resume it with the same one")
    elif not storage.is_empty_dir(output):
        raise SweepError(f"{output}: not empty and holds no sweep; choose an empty directory")
    return SweepPlan(cfg, data_dir, output, heldout, train_configs, tuple(held_in), resume)


def trial_points(plan: SweepPlan) -> list[dict]:
    grid = plan.cfg.grid
    return [
        {"train_config": path, "n_tasks": n, "samples_per_task": s, "seed": seed, "lora_r": r}
        for path in plan.train_configs
        for r in grid.lora_r or [None]
        for n in grid.n_tasks
        for s in grid.samples_per_task
        for seed in grid.seeds
    ]


def trial_key(point: dict, multi_model: bool) -> str:
    key = f"tasks{point['n_tasks']}-spt{point['samples_per_task']}-seed{point['seed']}"
    if point.get("lora_r") is not None:
        key = f"r{point['lora_r']}-{key}"
    if multi_model:
        key = storage.basename(point["train_config"]).rsplit(".", 1)[0] + "-" + key
    return key


def run_trial(config: dict[str, Any]) -> None:
    """One Tune trial: train on the point's mixture, evaluate, write result.json, report once. Idempotent."""
    import ray.tune

    point, plan = config["point"], config["plan"]
    trial_dir = storage.join(plan["output"], "trials", trial_key(point, len(plan["train_configs"]) > 1))
    result_path = storage.join(trial_dir, RESULT)
    if storage.exists(result_path):
        row = storage.read_json(result_path)
    else:
        row = train_and_evaluate(point, plan, trial_dir)
        storage.write_json(result_path, row)
    ray.tune.report({key: value for key, value in row.items() if not isinstance(value, (dict, list))})


def train_and_evaluate(point: dict, plan: dict, trial_dir: str) -> dict[str, Any]:
    from ecomgpt.evaluate.run import run_evaluate
    from ecomgpt.train.run import run_train

    started = time.time()
    train_dir, eval_dir = storage.join(trial_dir, "train"), storage.join(trial_dir, "eval")
    train_cfg = parse_model(TrainConfig, trial_train_data(plan["train_configs"][point["train_config"]], point),
                            point["train_config"])
    # A retried trial continues its training from the last checkpoint; one that died before any starts over.
    resume = storage.exists(storage.join(train_dir, "checkpoints"))
    if not resume:
        storage.delete_dir(train_dir)
    trained = run_train(train_cfg, plan["data_dir"], train_dir, resume=resume)
    evaluation = plan["evaluate"]
    eval_cfg = EvaluateConfig(
        model=trained["model_path"], heldout_dir=plan["heldout_dir"], output=eval_dir, tasks=evaluation["tasks"],
        limit=evaluation["limit"], generation=evaluation["generation"],
    )
    metrics = run_evaluate(eval_cfg)
    average = metrics["average"]
    return {
        "trial": storage.basename(trial_dir),
        "train_config": point["train_config"],
        "n_tasks": point["n_tasks"],
        "samples_per_task": point["samples_per_task"],
        "seed": point["seed"],
        "lora_r": point.get("lora_r"),
        **{f"avg_{m}": average[m] for m in ("rouge_l", "micro_f1", "macro_f1") if m in average},
        "tasks": {task: values for task, values in metrics["tasks"].items()},
        "train_tasks": trained["mixture"]["tasks"],
        "train_examples": sum(trained["mixture"]["examples_per_task"].values()),
        "examples_seen": trained["examples"],
        "train_tokens": trained["train_tokens"],
        "final_loss": trained["final_loss"],
        "wall_s": round(time.time() - started, 1),
        "checkpoint": trained["model_path"],
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
            fits.append(int(cluster.get("CPU", 1) // (train["num_workers"] * train["cpus_per_worker"] + cfg.trial_cpus)))
    return {"cpu": cfg.trial_cpus}, max(1, min(fits))


def _tune_path(output: str) -> str:
    return storage.join(output, "tune")


def run_sweep(plan: SweepPlan) -> list[dict]:
    """Run (or finish, with resume) the experiment; returns one row per trial, from the trials' result.json."""
    from ray import tune

    cfg = plan.cfg
    storage.write_json(storage.join(plan.output, "sweep.json"), {
        "config": cfg.model_dump(mode="json"), "data_dir": plan.data_dir, "heldout_dir": plan.heldout_dir,
    })
    shared = {
        "output": plan.output, "data_dir": plan.data_dir, "heldout_dir": plan.heldout_dir,
        "train_configs": plan.train_configs, "evaluate": cfg.evaluate.model_dump(mode="json"),
    }
    resources, concurrent = _resources(plan)
    trainable = tune.with_resources(run_trial, resources)
    tune_path = _tune_path(plan.output)
    experiment = storage.join(tune_path, cfg.name)
    if plan.resume and tune.Tuner.can_restore(experiment):
        # The experiment's own state: unfinished and errored trials run again, finished ones do not.
        _fit(tune.Tuner.restore(experiment, trainable=trainable, resume_errored=True))
    points = missing_points(plan)
    if points:
        # A first run, or trials the restored state does not cover (the driver died before recording them).
        name = cfg.name if not plan.resume else f"{cfg.name}-resume-{time.strftime('%Y%m%d-%H%M%S')}"
        _fit(tune.Tuner(
            trainable,
            param_space={"point": tune.grid_search(points), "plan": shared},
            tune_config=tune.TuneConfig(max_concurrent_trials=concurrent),
            run_config=tune.RunConfig(
                name=name, storage_path=tune_path, failure_config=tune.FailureConfig(max_failures=cfg.max_failures),
            ),
        ))
    left = missing_points(plan)
    if left:
        raise SweepError(f"{len(left)} trial(s) did not finish: {', '.join(trial_key(p, False) for p in left)}")
    return collect_rows(plan.output)


def _fit(tuner) -> None:
    grid = tuner.fit()
    if grid.errors:
        raise SweepError(f"{len(grid.errors)} trial(s) failed after retries; first: {grid.errors[0]}")


def missing_points(plan: SweepPlan) -> list[dict]:
    """Grid points whose trial has not written its result.json."""
    multi = len(plan.train_configs) > 1
    return [p for p in trial_points(plan)
            if not storage.exists(storage.join(plan.output, "trials", trial_key(p, multi), RESULT))]


def collect_rows(output: str) -> list[dict]:
    found = storage.glob(storage.join(output, "trials", "*", RESULT))
    rows = [storage.read_json(path) for path in found]
    return sorted(rows, key=lambda row: (row["train_config"], row.get("lora_r") or 0, row["n_tasks"],
                                         row["samples_per_task"], row["seed"]))
