"""`ecomgpt train` as a library: check everything on the driver, then run the TorchTrainer.

    from ecomgpt.train.run import run_train
    result = run_train(cfg, "runs/data", "runs/train")   # inside a Ray session or a Ray Tune trial

`plan_train` raises a UserError for every bad input before any worker starts; `run_train` calls it.
"""

from __future__ import annotations

import time

from ecomgpt import models, storage
from ecomgpt.config import ConfigError
from ecomgpt.errors import UserError
from ecomgpt.manifests import write_manifest
from ecomgpt.train.config import TINY, TrainConfig
from ecomgpt.train.data import plan_mixture
from ecomgpt.train.manifest import TrainPlan, build_manifest

CHECKPOINTS = "checkpoints"  # Ray Train run name: checkpoints live in <output>/checkpoints/


class OutputError(UserError, ValueError):
    """An output directory that holds another run, or nothing to resume."""


def locate_model(cfg: TrainConfig) -> TrainConfig:
    """The config with a local model path made absolute (see `models.locate`)."""
    if cfg.model.name_or_path == TINY:
        return cfg
    model = cfg.model.model_copy(update={"name_or_path": models.locate(cfg.model.name_or_path)})
    return cfg.model_copy(update={"model": model})


def check_model_source(cfg: TrainConfig) -> None:
    """The model loads, is a full checkpoint, has as many blocks as `model.train_layers` asks to train and
    the layers `lora` adapts."""
    name_or_path = cfg.model.name_or_path
    if name_or_path != TINY:
        models.check(name_or_path, "model.name_or_path")
        if models.split_adapter(name_or_path)[1] is not None:
            raise ConfigError(
                f"model.name_or_path {name_or_path}: a LoRA adapter directory; train from its base "
                "model or from a merged model (lora.merge)"
            )
    from ecomgpt.train.lora import check_lora

    check_lora(cfg)
    wanted = cfg.model.train_layers
    if wanted is None:
        return
    if name_or_path == TINY:
        blocks = cfg.model.tiny.n_layer
    else:
        from transformers import AutoConfig

        blocks = AutoConfig.from_pretrained(models.local_source(name_or_path)).num_hidden_layers
    if wanted > blocks:
        raise ConfigError(f"model.train_layers {wanted}: {name_or_path} has only {blocks} transformer blocks")


def _run_exists(output: str) -> bool:
    return storage.exists(storage.join(output, CHECKPOINTS))


def check_output(output: str, resume: bool) -> None:
    if resume:
        if not _run_exists(output):
            raise OutputError(f"{output}: no run to resume (no {CHECKPOINTS}/ directory)")
        return
    try:
        empty = storage.is_empty_dir(output)
    except NotADirectoryError as err:
        raise OutputError(str(err)) from None
    if not empty:
        raise OutputError(f"{output}: holds another run; pass --resume to continue it or choose an empty directory")


def plan_train(cfg: TrainConfig, data_dir: str, output: str, *, resume: bool = False) -> TrainPlan:
    """Every check that needs no worker: batch split, model path, output directory, data and mixture.

    Local paths come back absolute (the workers run in other directories).
    """
    problem = cfg.check_batch()
    if problem:
        raise ConfigError(problem)
    data_dir, output = storage.absolute(data_dir), storage.absolute(output)
    cfg = locate_model(cfg)
    check_model_source(cfg)
    check_output(output, resume)
    mixture = plan_mixture(data_dir, cfg.data)
    if mixture.rows < cfg.batch_size:
        raise UserError(
            f"{data_dir}: the mixture keeps {mixture.rows} examples, fewer than one batch ({cfg.batch_size})"
        )
    return TrainPlan(cfg, data_dir, output, resume, mixture)


def initial_model(plan: TrainPlan) -> str:
    """The checkpoint the workers load: the configured one, or the tiny model built here once."""
    cfg = plan.cfg
    if cfg.model.name_or_path != TINY:
        return cfg.model.name_or_path
    init = storage.join(plan.output, "init")
    if models.checkpoint_problem(init) is None:
        return init  # a resumed run keeps the tokenizer it started with
    import tempfile

    from ecomgpt.train.data import read_texts
    from ecomgpt.train.tiny import build_tiny_checkpoint

    tiny = cfg.model.tiny
    local = tempfile.mkdtemp(prefix="ecomgpt-tiny-") if storage.is_uri(init) else init
    build_tiny_checkpoint(
        read_texts(plan.mixture, tiny.tokenizer_texts),
        local,
        vocab_size=tiny.vocab_size,
        n_layer=tiny.n_layer,
        hidden_size=tiny.hidden_size,
        n_head=tiny.n_head,
        seed=cfg.seed,
    )
    if local != init:
        storage.upload_dir(local, init)
    return init


def run_train(
    cfg: TrainConfig,
    data_dir: str,
    output: str,
    *,
    resume: bool = False,
) -> dict:
    """Train, export `<output>/model/` and write `<output>/manifest.json`; needs a Ray session.

    Returns final_loss, steps, examples, train_tokens, useful_tokens, model_path (the adapter directory with
    `lora`), merged_path (with `lora.merge`, else None), parameters (trainable, total), checkpoint_path,
    metrics_path, manifest_path and the mixture (tasks, examples per task).
    """
    import ray.train
    from ray.train.torch import TorchTrainer

    from ecomgpt.train.data import build_dataset
    from ecomgpt.train.loop import train_loop_per_worker

    started = time.time()
    plan = plan_train(cfg, data_dir, output, resume=resume)
    cfg, data_dir, output = plan.cfg, plan.data_dir, plan.output
    storage.make_dirs(output)
    model_source = initial_model(plan)
    dataset = build_dataset(plan.mixture, model_source, cfg.data, cfg.seed)
    prepared = time.time()
    trainer = TorchTrainer(
        train_loop_per_worker,
        train_loop_config={"train": cfg, "output": output, "model_source": model_source},
        scaling_config=ray.train.ScalingConfig(
            num_workers=cfg.num_workers, use_gpu=cfg.use_gpu, resources_per_worker={"CPU": cfg.cpus_per_worker}
        ),
        run_config=ray.train.RunConfig(
            name=CHECKPOINTS,
            storage_path=output,
            failure_config=ray.train.FailureConfig(max_failures=cfg.max_failures),
            checkpoint_config=ray.train.CheckpointConfig(num_to_keep=cfg.keep_checkpoints),
        ),
        datasets={"train": dataset},
    )
    result = trainer.fit()
    finished = time.time()
    from ecomgpt.train.loop import FINAL_STATE

    metrics = storage.read_json(storage.join(output, FINAL_STATE))
    from ecomgpt.train.lora import merged_path

    merged = merged_path(output, cfg)
    timings = {
        "prepare_s": round(prepared - started, 3),
        "train_s": round(finished - prepared, 3),
        "total_s": round(finished - started, 3),
    }
    checkpoint = storage.spelled_like(result.checkpoint.path, output) if result.checkpoint else None
    manifest = build_manifest(plan, model_source, metrics, checkpoint, timings, merged)
    manifest_path = write_manifest(output, manifest)
    for exported in (storage.join(output, "model"), merged):
        if exported is not None:
            write_manifest(exported, manifest)
    return {
        "final_loss": metrics.get("loss"),
        "steps": metrics.get("step"),
        "examples": metrics.get("examples"),
        "train_tokens": metrics.get("tokens"),
        "useful_tokens": metrics.get("useful_tokens"),
        "model_path": storage.join(output, "model"),
        "merged_path": merged,
        "parameters": manifest["parameters"],
        "checkpoint_path": manifest["checkpoint"],
        "metrics_path": storage.join(output, "metrics.jsonl"),
        "manifest_path": manifest_path,
        "mixture": {
            "tasks": plan.mixture.tasks,
            "examples_per_task": plan.mixture.counts,
            "atomic": plan.mixture.atomic,
            "kinds": plan.mixture.kinds,
            "label_kind": plan.mixture.label_kind,
            "label_kinds": plan.mixture.label_kinds,
        },
    }
