"""Per-step metrics of rank 0: console, `<output>/metrics.jsonl` and TensorBoard event files."""

from __future__ import annotations

import json
import os
import sys
import tempfile

from ecomgpt import storage

# Dense bf16/fp16 peak TFLOP/s of one GPU, by a substring of its name (vendor data sheets).
GPU_PEAK_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L4": 121.0,
    "A10": 125.0,
    "V100": 125.0,
    "T4": 65.0,
}


def gpu_peak_tflops(device_name: str) -> float | None:
    for key, value in GPU_PEAK_TFLOPS.items():
        if key in device_name:
            return value
    return None


def flops_per_token(total: int, trainable: int, adapters_only: bool) -> float:
    """Training FLOPs per token: 6 N (forward 2 N, backward 4 N); with LoRA the frozen weights need no
    weight gradient: 2 N forward, 2 N for the activations' gradients, 2 per trained weight."""
    return 4.0 * total + 2.0 * trainable if adapters_only else 6.0 * total


def mfu(flops_per_token: float, tokens_per_s: float, peak_tflops_total: float) -> float:
    """Model FLOPs utilisation: the model's training FLOPs per second over the GPUs' peak."""
    return flops_per_token * tokens_per_s / (peak_tflops_total * 1e12)


def reset_peak_memory(device) -> None:
    """Measure this process's peak memory from now on (after loading: the load's transient copies of the
    weights are no part of training's footprint). GPU: the allocator's peak; CPU: the resident-set peak
    (Linux, /proc/self/clear_refs; elsewhere the peak since the process started)."""
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    elif os.path.exists("/proc/self/clear_refs"):
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")


def peak_memory_bytes(device) -> int | None:
    """This process's peak memory since `reset_peak_memory`: allocated GPU memory, or resident CPU memory."""
    import torch

    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def read_metrics(output: str) -> list[dict]:
    uri = storage.join(output, "metrics.jsonl")
    if not storage.exists(uri):
        return []
    return [json.loads(line) for line in storage.read_text(uri).splitlines() if line.strip()]


class MetricsLog:
    """Append-only step log; on resume, lines after the resumed step (written past the checkpoint) go."""

    def __init__(self, output: str, start_step: int):
        self.output = output
        self.local = tempfile.mkdtemp(prefix="ecomgpt-metrics-") if storage.is_uri(output) else output
        os.makedirs(self.local, exist_ok=True)
        self.path = os.path.join(self.local, "metrics.jsonl")
        kept = [row for row in read_metrics(output) if row["step"] <= start_step]
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in kept)
        from torch.utils.tensorboard import SummaryWriter

        self.tb_dir = os.path.join(self.local, "tensorboard")
        self.writer = SummaryWriter(self.tb_dir, purge_step=start_step + 1 if start_step else None)

    def log(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        step = record["step"]
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)):
                self.writer.add_scalar(f"train/{key}", value, step)
        shown = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items())
        # Written to stdout directly: Ray Train's patched `print` in its workers would show every line twice
        # (once through its logger, once teed to the redirected stdout).
        sys.stdout.write(f"[train] {shown}\n")
        sys.stdout.flush()

    def flush(self) -> None:
        """Make the files visible at the output (a no-op copy for a local output)."""
        self.writer.flush()
        if storage.is_uri(self.output):
            with open(self.path, encoding="utf-8") as fh:
                storage.write_text(storage.join(self.output, "metrics.jsonl"), fh.read())
            storage.upload_dir(self.tb_dir, storage.join(self.output, "tensorboard"))

    def close(self) -> None:
        self.flush()
        self.writer.close()
