"""The per-worker training function run by Ray Train's TorchTrainer (gloo on CPU, NCCL on GPU).

Each worker reads its shard with `ray.train.get_dataset_shard`, builds the DeepSpeed engine, resumes from
`ray.train.get_checkpoint()` when there is one (a restart after a failure, or `--resume`), and reports a
checkpoint every `checkpoint_every` steps and at the end (unless `final_checkpoint` is false); rank 0 logs and exports
the final model (with `lora`, the adapter directory, and the merged model with `lora.merge`).
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from ecomgpt import precision, storage
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.engine import (
    full_state_dict,
    load_checkpoint,
    load_model_and_engine,
    save_checkpoint,
    training_precision,
)
from ecomgpt.train.export import export_model
from ecomgpt.train.metrics import (
    MetricsLog,
    flops_per_token,
    gpu_peak_tflops,
    mfu,
    peak_memory_bytes,
    reset_peak_memory,
)
from ecomgpt.train.tokenize import IGNORE_INDEX, micro_batches

FAULT_MARKER = ".fault_drill_done"
FINAL_STATE = "final_state.json"  # rank 0's trainer state at the end: what the driver's manifest reads


def shard_micro_batches(shard, cfg: TrainConfig, micro: int, pad_id: int, seed: int) -> Iterator[dict]:
    """Endless micro-batches from this worker's shard, epoch after epoch."""
    for epoch in itertools.count():
        windows = shard.iter_batches(batch_size=micro * cfg.data.group_window, batch_format="numpy")
        produced = False
        for batch in micro_batches(windows, micro, pad_id, group=cfg.data.grouping == "length", seed=seed + epoch):
            produced = True
            yield batch
        if not produced:
            raise RuntimeError(f"this worker's data shard holds fewer than {micro} examples")


def answer_loss(model, batch: dict) -> torch.Tensor:
    """Mean next-token cross-entropy over the answer tokens, with logits computed for those positions only.

    The same loss as the model's own with `labels`, without projecting every prompt position onto the
    vocabulary: prompts are most of each row, and the LM head is a large share of a small model's compute.
    """
    labels = batch["labels"]
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE_INDEX  # position t predicts token t + 1
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=keep).logits
    targets = labels[:, 1:][keep[:, :-1]]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets)


def _fault_drill(cfg: TrainConfig, output: str, step: int, rank: int, world: int) -> None:
    """The documented `fail_at_step` drill: the last worker dies once, as a crashed process would."""
    marker = storage.join(output, FAULT_MARKER)
    if cfg.fail_at_step == step and rank == world - 1 and not storage.exists(marker):
        storage.write_text(marker, f"worker {rank} exited at step {step}\n")
        os._exit(1)


@dataclass
class _Worker:
    """One training worker's engine, place in the run and running totals."""

    cfg: TrainConfig
    output: str
    rank: int
    world: int
    device: torch.device
    engine: Any
    tokenizer: Any
    params: dict
    state: dict
    log: MetricsLog | None
    peak_tflops: float | None

    @property
    def lora(self) -> bool:
        return self.cfg.lora is not None


def _start(cfg: TrainConfig, output: str, model_source: str) -> _Worker:
    """The engine, resumed from Ray Train's checkpoint when there is one."""
    import ray.train
    import ray.train.torch

    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    device = ray.train.torch.get_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.manual_seed(cfg.seed)
    if cfg.threads_per_worker:
        torch.set_num_threads(cfg.threads_per_worker)
    run_precision = training_precision(cfg)
    engine, tokenizer, params = load_model_and_engine(cfg, model_source, world, run_precision)
    state: dict = {"step": 0, "tokens": 0, "useful_tokens": 0, "examples": 0}
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            state = load_checkpoint(engine, directory, frozen=cfg.lora is None)
    state.update(trainable_params=params["trainable"], total_params=params["total"], precision=run_precision)
    log = MetricsLog(output, state["step"]) if rank == 0 else None
    peak = None
    if device.type == "cuda":
        peak = cfg.gpu_peak_tflops or gpu_peak_tflops(torch.cuda.get_device_name(device))
    return _Worker(cfg, output, rank, world, device, engine, tokenizer, params, state, log, peak)


def _log_window(w: _Worker, step: int, window: torch.Tensor, elapsed: float, micro: int) -> None:
    """Sum the window's loss and tokens over the workers, add them to the state, and log the step on rank 0."""
    totals = window.to(w.engine.device) if w.device.type == "cuda" else window.clone()
    dist.all_reduce(totals)
    totals = totals.cpu()
    w.state["step"] = step
    w.state["tokens"] += int(totals[2])
    w.state["useful_tokens"] += int(totals[3])
    w.state["examples"] += int(totals[1]) * micro
    record = {
        "step": step,
        "loss": float(totals[0] / totals[1]),
        "lr": float(w.engine.get_lr()[0]),
        "tokens_per_s": float(totals[2] / elapsed),
        "useful_tokens_per_s": float(totals[3] / elapsed),
        "useful_share": float(totals[3] / totals[2]),
        "tokens": w.state["tokens"],
        "trainable_params": w.params["trainable"],
        "total_params": w.params["total"],
    }
    peak_bytes = peak_memory_bytes(w.device)
    if peak_bytes is not None:  # rank 0's own: weights, gradients, optimizer state, activations
        record["peak_memory_gb"] = round(peak_bytes / 2**30, 3)
    if w.peak_tflops is not None:
        flops = flops_per_token(w.params["total"], w.params["trainable"], adapters_only=w.lora)
        record["mfu"] = mfu(flops, record["tokens_per_s"], w.peak_tflops * w.world)
    if w.log is not None:
        w.log.log(record)
    w.state["loss"] = record["loss"]
    if "peak_memory_gb" in record:
        w.state["peak_memory_gb"] = record["peak_memory_gb"]


def _train(w: _Worker) -> None:
    """The steps from the state's to `max_steps`: logging every `log_every`, checkpoints as configured."""
    import ray.train

    cfg, engine = w.cfg, w.engine
    micro = cfg.micro_batch_size(w.world)
    start_step = w.state["step"]
    shard = ray.train.get_dataset_shard("train")
    batches = shard_micro_batches(shard, cfg, micro, w.tokenizer.pad_token_id, seed=cfg.seed + 1000 * start_step)
    engine.train()
    reset_peak_memory(w.device)
    window = torch.zeros(4, dtype=torch.float64)  # loss sum, micro-batches, tokens, useful tokens
    tick = time.perf_counter()
    for step in range(start_step + 1, cfg.max_steps + 1):
        for _ in range(cfg.gradient_accumulation_steps):
            batch = {key: torch.from_numpy(value).to(engine.device) for key, value in next(batches).items()}
            loss = answer_loss(engine, batch)
            engine.backward(loss)
            engine.step()
            window += torch.tensor(
                [loss.item(), 1, batch["input_ids"].numel(), batch["attention_mask"].sum().item()], dtype=torch.float64
            )
        if cfg.fail_at_step is not None:
            _fault_drill(cfg, w.output, step, w.rank, w.world)
        if step % cfg.log_every == 0 or step == cfg.max_steps:
            _log_window(w, step, window, time.perf_counter() - tick, micro)
            window.zero_()
            tick = time.perf_counter()
        last = step == cfg.max_steps
        if (step % cfg.checkpoint_every == 0 and not last) or (last and cfg.final_checkpoint):
            _report_checkpoint(engine, dict(w.state, step=step), w.rank, w.log, frozen=not w.lora)
            tick = time.perf_counter()


def train_loop_per_worker(config: dict) -> None:
    """Ray Train's worker function: `config` holds the `TrainConfig` (`train`), the output and the model."""
    w = _start(config["train"], config["output"], config["model_source"])
    _train(w)
    _export(w.cfg, w.engine, w.tokenizer, w.output, w.rank, precision.torch_dtype(w.state["precision"]))
    if w.rank == 0:
        assert w.log is not None  # rank 0 keeps the log
        w.log.close()
        # Written here rather than read from Ray Train's result, which keeps only the metrics of checkpoints
        # (a run with `final_checkpoint: false` reports none at the end).
        storage.write_json(storage.join(w.output, FINAL_STATE), _metrics(w.state))
    dist.barrier()


def _export(cfg: TrainConfig, engine, tokenizer, output: str, rank: int, dtype) -> None:
    """Rank 0 writes `<output>/model/` (the adapter directory with LoRA) and `<output>/merged/` with
    `lora.merge`, full weights in `dtype` (the training precision's: a bf16 run exports bf16 weights, as
    inference on bf16 hardware runs them, at half the size); every rank takes part in gathering ZeRO-3 shards."""
    if cfg.lora is None:
        weights = full_state_dict(engine, cfg.deepspeed.zero_stage)
        if rank == 0:
            assert weights is not None  # gathered on rank 0
            export_model(weights, engine.module.config, tokenizer, storage.join(output, "model"), dtype)
        return
    from ecomgpt.train.lora import export_adapter, merged_path, trained_state_dict

    weights = trained_state_dict(engine, cfg.deepspeed.zero_stage)
    if rank == 0:
        assert weights is not None  # gathered on rank 0
        export_adapter(
            engine.module, weights, storage.join(output, "model"), merged_path(output, cfg), tokenizer, dtype
        )


def _report_checkpoint(engine, state: dict, rank: int, log: MetricsLog | None, frozen: bool) -> None:
    import ray.train

    with tempfile.TemporaryDirectory(prefix="ecomgpt-ckpt-") as directory:
        save_checkpoint(engine, directory, state, rank, frozen)
        if log is not None:
            log.flush()
        ray.train.report(_metrics(state), checkpoint=ray.train.Checkpoint.from_directory(directory))


def _metrics(state: dict) -> dict:
    return {key: value for key, value in state.items() if isinstance(value, (int, float, str))}
