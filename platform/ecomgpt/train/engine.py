"""Model loading, the DeepSpeed engine and its checkpoints (one worker's view)."""

from __future__ import annotations

import json
import os

import torch

from ecomgpt import models, precision, storage
from ecomgpt.precision import Resolved
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.ds_config import WEIGHT_DTYPES, deepspeed_config, start_schedule
from ecomgpt.train.lora import add_adapters

TAG = "state"  # DeepSpeed checkpoint tag inside every reported checkpoint directory
STATE_FILE = "trainer_state.json"


def training_precision(cfg: TrainConfig) -> Resolved:
    """The precision this worker trains in: `deepspeed.precision` with `auto` resolved for its device."""
    return precision.resolve(cfg.deepspeed.precision, on_gpu=cfg.use_gpu)


def load_model_and_engine(cfg: TrainConfig, model_source: str, world_size: int, run_precision: Resolved):
    """(engine, tokenizer, params): the checkpoint loaded (with LoRA adapters when `cfg.lora`) and wrapped by
    deepspeed.initialize at `run_precision`; params counts the model's `total` and `trainable` parameters."""
    import deepspeed

    # Ray Train already set up torch.distributed; DeepSpeed adopts that process group (its world size
    # is needed below before deepspeed.initialize).
    deepspeed.init_distributed(dist_backend="nccl" if cfg.use_gpu else "gloo")
    ds_config = deepspeed_config(cfg, world_size, run_precision)
    hf_ds = None
    if cfg.deepspeed.zero_stage == 3:
        # Keeps ZeRO-3 active while from_pretrained runs, so each worker loads only its partition.
        from transformers.integrations import HfDeepSpeedConfig

        hf_ds = HfDeepSpeedConfig(ds_config)
    model = models.load_causal_lm(model_source, getattr(torch, WEIGHT_DTYPES[run_precision]))
    tokenizer = models.load_tokenizer(model_source)
    if cfg.model.train_layers is not None:
        from ecomgpt.train.freeze import train_top_layers

        train_top_layers(model, cfg.model.train_layers)
    if cfg.model.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    if cfg.lora is not None:
        if cfg.model.gradient_checkpointing:
            # The frozen embeddings' output must require grad, or checkpointed blocks would pass none back.
            model.enable_input_require_grads()
        model = add_adapters(model, cfg.lora, model_source)
    params = {
        "total": sum(_numel(p) for p in model.parameters()),
        "trainable": sum(_numel(p) for p in model.parameters() if p.requires_grad),
    }
    trainable = [p for p in model.parameters() if p.requires_grad]
    engine, _, _, _ = deepspeed.initialize(model=model, model_parameters=trainable, config=ds_config)
    if world_size == 1 and cfg.deepspeed.zero_stage == 0:
        # Nothing to average over one worker, but DeepSpeed would still flatten every gradient into a
        # buffer, all-reduce it and copy it back after each backward pass (SmolLM2-135M: 540 MB a step).
        engine.enable_backward_allreduce = False
    start_schedule(engine.lr_scheduler)
    del hf_ds
    return engine, tokenizer, params


def _numel(param) -> int:
    return getattr(param, "ds_numel", param.numel())  # a ZeRO-3 partition knows its full size


def save_checkpoint(engine, directory: str, state: dict, rank: int, frozen: bool = True) -> None:
    """DeepSpeed state (model, optimizer and scheduler shards of this rank) plus the trainer state; without
    the frozen weights when `frozen` is false (LoRA: they are the backbone's, reloaded from it on resume)."""
    engine.save_checkpoint(directory, tag=TAG, client_state=state, exclude_frozen_parameters=not frozen)
    if rank == 0:
        storage.write_json(os.path.join(directory, STATE_FILE), state)


def load_checkpoint(engine, directory: str, frozen: bool = True) -> dict:
    """Restore the engine from a reported checkpoint (one saved without its frozen weights when `frozen` is
    false); returns the trainer state saved with it."""
    path, _ = engine.load_checkpoint(directory, tag=TAG, load_module_strict=frozen)
    if path is None:
        raise RuntimeError(f"{directory}: no DeepSpeed checkpoint with tag {TAG!r}")
    with open(os.path.join(directory, STATE_FILE), encoding="utf-8") as fh:
        return json.load(fh)


def full_state_dict(engine, zero_stage: int) -> dict | None:
    """The full weights on rank 0 (ZeRO-3 shards gathered; every rank must call this)."""
    if zero_stage == 3:
        return engine._zero3_consolidated_16bit_state_dict()
    if engine.global_rank == 0:
        return {key: value.detach().cpu() for key, value in engine.module.state_dict().items()}
    return None
