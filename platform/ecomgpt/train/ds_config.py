"""The DeepSpeed config built from the typed TrainConfig (one place that speaks DeepSpeed's JSON)."""

from __future__ import annotations

from ecomgpt.train.config import TrainConfig


def _scheduler(cfg: TrainConfig) -> dict:
    """Linear warm-up over `warmup_steps` optimizer steps, then the schedule's decay.

    DeepSpeed's warm-up schedules start at iteration -1 (lr 0) and iteration 0 (the floor); `start_schedule`
    steps it once before training, and the floor is
    1/(warmup+1), so optimizer step k of the warm-up trains at k/(warmup+1) of lr and none trains at 0.
    """
    o = cfg.optim
    warmup = min(o.warmup_steps, cfg.max_steps)
    floor = 1.0 / (warmup + 1)
    steps = max(warmup, 1)  # DeepSpeed rejects 0 warm-up steps; with floor 1.0 one step is no warm-up
    if o.schedule == "constant":
        return {
            "type": "WarmupLR",
            "params": {"warmup_min_lr": o.lr * floor, "warmup_max_lr": o.lr, "warmup_num_steps": steps,
                       "warmup_type": "linear"},
        }
    if o.schedule == "linear":
        return {
            "type": "WarmupDecayLR",
            "params": {"total_num_steps": cfg.max_steps, "warmup_min_lr": o.lr * floor, "warmup_max_lr": o.lr,
                       "warmup_num_steps": steps, "warmup_type": "linear"},
        }
    return {
        "type": "WarmupCosineLR",
        "params": {"total_num_steps": cfg.max_steps, "warmup_min_ratio": floor, "warmup_num_steps": steps,
                   "cos_min_ratio": o.min_lr_ratio, "warmup_type": "linear"},
    }


def start_schedule(scheduler) -> None:
    """Moves a fresh DeepSpeed warm-up schedule from iteration -1 (lr 0) to its floor before step 1.

    A resumed run loads the scheduler's state afterwards, which replaces this.
    """
    scheduler.step()


def deepspeed_config(cfg: TrainConfig, world_size: int) -> dict:
    """DeepSpeed JSON config: batch split, optimizer, warm-up schedule, ZeRO, precision, clipping."""
    o, d = cfg.optim, cfg.deepspeed
    zero: dict = {"stage": d.zero_stage}
    if d.zero_stage == 3:
        # The export gathers the full weights on rank 0 instead of leaving shards behind.
        zero["stage3_gather_16bit_weights_on_model_save"] = True
    if d.offload_optimizer and d.zero_stage > 0:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": cfg.use_gpu}
    return {
        "train_batch_size": cfg.batch_size,
        "train_micro_batch_size_per_gpu": cfg.batch_size // (world_size * cfg.gradient_accumulation_steps),
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "gradient_clipping": o.grad_clip,
        "optimizer": {
            "type": "AdamW",
            "params": {
                "lr": o.lr,
                "betas": list(o.betas),
                "eps": o.eps,
                "weight_decay": o.weight_decay,
                # torch.optim.AdamW needs no compiled op; FusedAdam is the faster choice on CUDA.
                "torch_adam": o.implementation == "torch" and not d.offload_optimizer,
            },
        },
        "scheduler": _scheduler(cfg),
        "zero_optimization": zero,
        "bf16": {"enabled": d.precision == "bf16"},
        "fp16": {"enabled": d.precision == "fp16"},
        "steps_per_print": 10**9,  # the loop logs; DeepSpeed's own printing stays quiet
        "wall_clock_breakdown": False,
    }
