"""The machine's measured ceiling, beside which every speed figure stands: dense matmul FLOP/s.

Imported by the benchmark scripts (run as files, so this directory is on their path).
"""

from __future__ import annotations

import time

import torch

from ecomgpt import precision


def matmul_peak_flops(dtype: torch.dtype, threads: int, n: int = 2048, seconds: float = 2.0) -> float:
    """Best FLOP/s of an n x n `torch.matmul` in `dtype` with `threads` torch threads (after one warm-up)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        torch.matmul(a, b)
        best, end = 0.0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            torch.matmul(a, b)
            best = max(best, 2 * n**3 / (time.perf_counter() - start))
        return best
    finally:
        torch.set_num_threads(before)


def peaks(threads: int, n: int = 2048, seconds: float = 2.0) -> dict[str, float]:
    """{"fp32": FLOP/s, "bf16": FLOP/s} of this machine, measured now."""
    return {
        "fp32": matmul_peak_flops(torch.float32, threads, n, seconds),
        "bf16": matmul_peak_flops(torch.bfloat16, threads, n, seconds),
    }


def ceiling_fields(peak: dict[str, float], threads: int, n: int = 2048) -> dict:
    """The JSON fields that report the ceiling, and whether this CPU computes bf16 natively."""
    return {
        "matmul_gflops": {key: round(value / 1e9, 1) for key, value in peak.items()},
        "matmul_shape": f"{n}x{n}",
        "matmul_threads": threads,
        "bf16_over_fp32": round(peak["bf16"] / peak["fp32"], 2),
        "cpu_native_bf16": precision.native_bf16(on_gpu=False),
    }


def share(flops_per_token: float, tokens_per_s: float, peak_flops: float) -> float:
    """The share of the ceiling a rate of tokens reaches (6 N FLOP a token to train, 2 N to infer)."""
    return round(flops_per_token * tokens_per_s / peak_flops, 4)
