"""The DeepSpeed config built from the typed TrainConfig (one place that speaks DeepSpeed's JSON).

Precision (resolved from `auto` on the worker, `ecomgpt.precision`): bf16 is DeepSpeed's `torch_autocast`
section, not its `bf16` section. Measured on a 2-core CPU with avx512_bf16 (SmolLM2-135M, 8 x 128 tokens,
ZeRO-0, AdamW): `bf16: {enabled: true}` keeps the model's weights and gradients in bf16 (an fp32 copy in
DeepSpeed's FP16_UnfusedOptimizer) and its loss fell visibly slower than fp32's over the first steps (lr
1e-4: many updates are below a bf16 weight's resolution); `torch_autocast` keeps fp32 weights, gradients
and AdamW state and runs the matmuls in bf16: its losses tracked fp32's. Its best step took 4.6 s against
3.95 s for the `bf16` section and 6.9 s for fp32 (best of 4 on a loaded machine; autocast casts the weights
to bf16 at every forward pass): the fastest of the two at fp32's quality. fp16 stays DeepSpeed's fp16 (GPU only).
"""

from __future__ import annotations

from ecomgpt.precision import Resolved
from ecomgpt.train.config import TrainConfig

# The dtype the model is loaded in for each training precision: autocast (bf16) computes from fp32 weights.
WEIGHT_DTYPES = {"bf16": "float32", "fp16": "float16", "fp32": "float32"}


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
            "params": {
                "warmup_min_lr": o.lr * floor,
                "warmup_max_lr": o.lr,
                "warmup_num_steps": steps,
                "warmup_type": "linear",
            },
        }
    if o.schedule == "linear":
        return {
            "type": "WarmupDecayLR",
            "params": {
                "total_num_steps": cfg.max_steps,
                "warmup_min_lr": o.lr * floor,
                "warmup_max_lr": o.lr,
                "warmup_num_steps": steps,
                "warmup_type": "linear",
            },
        }
    return {
        "type": "WarmupCosineLR",
        "params": {
            "total_num_steps": cfg.max_steps,
            "warmup_min_ratio": floor,
            "warmup_num_steps": steps,
            "cos_min_ratio": o.min_lr_ratio,
            "warmup_type": "linear",
        },
    }


def start_schedule(scheduler) -> None:
    """Moves a fresh DeepSpeed warm-up schedule from iteration -1 (lr 0) to its floor before step 1.

    A resumed run loads the scheduler's state afterwards, which replaces this.
    """
    scheduler.step()


def deepspeed_config(cfg: TrainConfig, world_size: int, precision: Resolved) -> dict:
    """DeepSpeed JSON config: batch split, optimizer, warm-up schedule, ZeRO, `precision` (the resolved
    training precision), clipping."""
    o, d = cfg.optim, cfg.deepspeed
    zero: dict = {"stage": d.zero_stage}
    if d.zero_stage == 3:
        # The export gathers the full weights on rank 0 instead of leaving shards behind.
        zero["stage3_gather_16bit_weights_on_model_save"] = True
    if d.offload_optimizer and d.zero_stage > 0:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": cfg.use_gpu}
    torch_adam = o.implementation == "torch" and not d.offload_optimizer
    adamw = {
        "lr": o.lr,
        "betas": list(o.betas),
        "eps": o.eps,
        "weight_decay": o.weight_decay,
        # torch.optim.AdamW needs no compiled op; FusedAdam is the faster choice on CUDA.
        "torch_adam": torch_adam,
    }
    if torch_adam and not cfg.use_gpu:
        # torch's fused CPU kernel: one pass over each tensor instead of a dozen (SmolLM2-135M: 0.10 s a step
        # against 0.62 s for the default per-tensor loop on 2 cores); the update is the same AdamW.
        adamw["fused"] = True
    return {
        "train_batch_size": cfg.batch_size,
        "train_micro_batch_size_per_gpu": cfg.batch_size // (world_size * cfg.gradient_accumulation_steps),
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "gradient_clipping": o.grad_clip,
        "optimizer": {"type": "AdamW", "params": adamw},
        "scheduler": _scheduler(cfg),
        "zero_optimization": zero,
        "torch_autocast": {"enabled": precision == "bf16", "dtype": "bfloat16"},
        "bf16": {"enabled": False},
        "fp16": {"enabled": precision == "fp16"},
        "steps_per_print": 10**9,  # the loop logs; DeepSpeed's own printing stays quiet
        "wall_clock_breakdown": False,
    }
