"""Configuration of `ecomgpt train`: YAML -> typed model; every key has a description, unknown keys fail."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ecomgpt.config import StrictModel, unknown_keys

TINY = "tiny"


class TinyModelConfig(StrictModel):
    vocab_size: int = Field(default=2000, ge=300, description="BPE vocabulary size trained on the data")
    n_layer: int = Field(default=2, gt=0, description="transformer blocks")
    hidden_size: int = Field(default=64, gt=0, description="hidden width (a multiple of n_head)")
    n_head: int = Field(default=4, gt=0, description="attention heads")
    tokenizer_texts: int = Field(
        default=20_000, gt=0, description="train the tokenizer on at most this many training examples"
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> TinyModelConfig:
        if self.hidden_size % self.n_head:
            raise ValueError(f"hidden_size {self.hidden_size} is not a multiple of n_head {self.n_head}")
        return self


class ModelConfig(StrictModel):
    name_or_path: str = Field(
        default=TINY,
        description="Hugging Face hub id (e.g. bigscience/bloomz-560m), a local checkpoint directory, or "
        "'tiny': a randomly initialised BLOOM with a tokenizer trained on the training data (no download)",
    )
    tiny: TinyModelConfig = Field(
        default_factory=TinyModelConfig, description="shape of the tiny model (only with name_or_path: tiny)"
    )
    gradient_checkpointing: bool = Field(
        default=False, description="recompute activations in the backward pass to save memory"
    )
    train_layers: int | None = Field(
        default=None,
        gt=0,
        description="train only the last N transformer blocks and what follows them (the final norm); the "
        "embeddings, the lower blocks and a tied LM head stay frozen, so the backward pass stops at the lowest "
        "trained block (None: train every weight)",
    )


class LoraConfig(StrictModel):
    r: int = Field(default=16, gt=0, description="rank of the low-rank update of each adapted layer")
    alpha: float = Field(default=32.0, gt=0, description="scaling of the update: it is multiplied by alpha / r")
    dropout: float = Field(default=0.05, ge=0, lt=1, description="dropout on the adapter's input while training")
    target_modules: list[str] | None = Field(
        default=None,
        min_length=1,
        description="layers to adapt, as names or dotted suffixes of module names (None: the architecture's "
        "attention projections; bloom: query_key_value, dense; llama: q_proj, k_proj, v_proj, o_proj)",
    )
    modules_to_save: list[str] | None = Field(
        default=None, description="modules trained in full and saved with the adapter (e.g. lm_head; None: none)"
    )
    merge: bool = Field(
        default=False, description="also export <output>/merged/: the base model with the adapter merged into it"
    )


class MixtureConfig(StrictModel):
    tasks: list[str] | None = Field(default=None, description="train on exactly these tasks (None: all)")
    n_tasks: int | None = Field(
        default=None,
        gt=0,
        description="train on this many tasks drawn by seed; the set for a smaller n is contained in the "
        "set for a larger n (None: all tasks)",
    )
    samples_per_task: int | None = Field(
        default=None, gt=0, description="keep at most this many examples per task, chosen by seed"
    )
    seed: int = Field(default=0, description="seed of the task draw and of the per-task sample")
    atomic: bool | None = Field(
        default=None,
        description="None: every row; false: only the rows of datasets' original tasks (atomic = false); "
        "true: only Chain-of-Task atomic rows. Tasks, draws and caps then count the kept rows only",
    )
    label_kind: Literal["golden", "pseudo"] | None = Field(
        default=None,
        description="None: every row; golden: only rows whose labels were read from the data; pseudo: only rows "
        "labelled by a teacher model. Combines with atomic; tasks, draws and caps then count the kept rows only",
    )

    @model_validator(mode="after")
    def _one_selector(self) -> MixtureConfig:
        if self.tasks is not None and self.n_tasks is not None:
            raise ValueError("give either tasks or n_tasks, not both")
        if self.tasks is not None and len(set(self.tasks)) != len(self.tasks):
            raise ValueError("task names must not repeat")
        return self


class DataConfig(StrictModel):
    split: str = Field(default="held_in", description="subdirectory of the data directory to train on")
    max_seq_len: int = Field(
        default=512, ge=8, description="tokens per example; the prompt is cut from the left, never the answer"
    )
    grouping: Literal["length", "none"] = Field(
        default="length",
        description="length: micro-batches of similar length (little padding); none: arrival order",
    )
    group_window: int = Field(default=64, gt=0, description="micro-batches per window sorted by length before batching")
    materialize: bool = Field(
        default=False,
        description="tokenize once before training and keep the rows in the object store (small data, many "
        "epochs); false streams the data and tokenizes it again every epoch",
    )
    cpus_per_task: float = Field(
        default=1.0, gt=0, description="CPUs reserved by each read, filter and tokenize task of Ray Data"
    )
    mixture: MixtureConfig = Field(default_factory=MixtureConfig, description="which tasks and how many rows")


class OptimConfig(StrictModel):
    lr: float = Field(default=2e-5, gt=0, description="peak learning rate")
    weight_decay: float = Field(default=0.0, ge=0, description="AdamW weight decay")
    betas: tuple[float, float] = Field(default=(0.9, 0.999), description="AdamW betas")
    eps: float = Field(default=1e-8, gt=0, description="AdamW epsilon")
    implementation: Literal["torch", "fused"] = Field(
        default="torch",
        description="torch: torch.optim.AdamW (no compiled op, runs anywhere; its fused kernel on CPU); fused: "
        "DeepSpeed FusedAdam (CUDA only, built on first use)",
    )
    warmup_steps: int = Field(default=0, ge=0, description="linear warm-up steps from 0 to lr")
    schedule: Literal["cosine", "linear", "constant"] = Field(default="cosine", description="decay after warm-up")
    min_lr_ratio: float = Field(default=0.1, ge=0, le=1, description="final lr / peak lr (cosine)")
    grad_clip: float = Field(default=1.0, ge=0, description="gradient-norm clipping (0: off)")


class DeepSpeedConfig(StrictModel):
    zero_stage: Literal[0, 1, 2, 3] = Field(default=2, description="ZeRO stage")
    precision: Literal["auto", "bf16", "fp16", "fp32"] = Field(
        default="auto",
        description="training precision. bf16: bf16 autocast (matmuls in bf16) with fp32 weights, gradients and "
        "optimizer state; fp16: DeepSpeed fp16 (fp16 weights, loss scaling; GPU only); fp32; auto: bf16 where "
        "the worker's CPU (avx512_bf16 or amx_bf16) or GPU computes it natively, else fp32",
    )
    offload_optimizer: bool = Field(default=False, description="ZeRO optimizer state offloaded to CPU")


class TrainConfig(StrictModel):
    model: ModelConfig = Field(default_factory=ModelConfig, description="backbone and tokenizer")
    data: DataConfig = Field(default_factory=DataConfig, description="tokenization, batching, mixture")
    optim: OptimConfig = Field(default_factory=OptimConfig, description="optimizer and schedule")
    deepspeed: DeepSpeedConfig = Field(default_factory=DeepSpeedConfig, description="DeepSpeed engine")
    lora: LoraConfig | None = Field(
        default=None,
        description="train LoRA adapters (PEFT) instead of every weight: the backbone stays frozen and the export "
        "is an adapter directory naming its base model (None: full fine-tuning)",
    )
    batch_size: int = Field(default=8, gt=0, description="sequences per optimizer step, all workers")
    gradient_accumulation_steps: int = Field(default=1, gt=0, description="micro-batches per step")
    max_steps: int = Field(default=100, gt=0, description="optimizer steps of the run")
    num_workers: int = Field(default=2, gt=0, description="Ray Train workers (one per GPU on GPU)")
    use_gpu: bool = Field(default=False, description="one GPU per worker, NCCL; otherwise CPU and gloo")
    cpus_per_worker: float = Field(default=1, gt=0, description="CPUs reserved by each worker")
    threads_per_worker: int | None = Field(
        default=None,
        gt=0,
        description="torch threads of each worker on CPU (None: Ray's default, the worker's whole CPUs, at least 1)",
    )
    log_every: int = Field(default=1, gt=0, description="log metrics every N steps")
    checkpoint_every: int = Field(default=50, gt=0, description="checkpoint every N steps (and at the end)")
    final_checkpoint: bool = Field(
        default=True,
        description="also checkpoint at the last step (false: the exported model is what the run leaves; a "
        "`--resume` with more steps then continues from the last checkpoint before the end, or from the start)",
    )
    keep_checkpoints: int = Field(default=2, gt=0, description="keep the last M checkpoints")
    max_failures: int = Field(default=1, ge=-1, description="worker-group restarts allowed (-1: no limit)")
    seed: int = Field(default=0, description="seed of initialisation and data order")
    gpu_peak_tflops: float | None = Field(
        default=None,
        gt=0,
        description="peak dense TFLOP/s of one GPU at the training precision for MFU (None: from the GPU name)",
    )
    fail_at_step: int | None = Field(
        default=None,
        gt=0,
        description="fault drill: the last worker kills its own process once when it reaches this step; "
        "the run must then continue from its last checkpoint (used by the fault-tolerance test)",
    )

    @model_validator(mode="after")
    def _one_way_to_freeze(self) -> TrainConfig:
        if self.lora is not None and self.model.train_layers is not None:
            raise ValueError("model.train_layers and lora both choose the trained weights; set one of them")
        return self

    def micro_batch_size(self, world_size: int | None = None) -> int:
        """Sequences per worker per micro-step; `check_batch` must hold."""
        world = world_size or self.num_workers
        return self.batch_size // (world * self.gradient_accumulation_steps)

    def check_batch(self) -> str | None:
        """The reason the batch cannot be split over workers and accumulation steps, or None."""
        parts = self.num_workers * self.gradient_accumulation_steps
        if self.batch_size % parts:
            return (
                f"batch_size {self.batch_size} is not divisible by num_workers {self.num_workers} x "
                f"gradient_accumulation_steps {self.gradient_accumulation_steps} = {parts}"
            )
        return None


def check_overrides(overrides: dict) -> dict:
    """Overrides of a training config (the pipeline's `train.overrides`, the sweep's `train_overrides`): every
    key must be one of the training config's, checked when the config that carries them loads."""
    unknown = unknown_keys(TrainConfig, overrides)
    if unknown:
        raise ValueError(f"unknown training config key(s): {', '.join(repr(key) for key in unknown)}")
    return overrides
