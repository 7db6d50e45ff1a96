"""Which precision runs: the one owner of the question "does this hardware compute bfloat16 natively?".

Every stage that runs a model asks here, in the process that runs it (a Ray Train worker, an evaluation or
teacher actor, a Serve replica), so a cluster node answers for its own CPU or GPU:

- a CUDA GPU computes bf16 natively when `torch.cuda.is_bf16_supported()` says so (Ampere and later);
- a CPU does when /proc/cpuinfo lists `avx512_bf16` (AVX512-BF16: AMD Zen 4 and later, Intel Cooper Lake,
  Sapphire Rapids) or `amx_bf16` (Intel AMX). The flags are read, never guessed from the model name; a
  CPU without them (or a system without /proc/cpuinfo) runs fp32: PyTorch emulates bf16 there, slower
  than fp32.

`auto` resolves to `bf16` where the hardware has it and to `fp32` elsewhere; an explicit precision is kept
as it is (bf16 on a CPU without the flags still runs, emulated). Training's `bf16` is bf16 autocast with
fp32 weights and optimizer state (`ecomgpt.train.ds_config`); inference's is bf16 weights (`runner`).

ECOMGPT_NATIVE_BF16=0 (or 1) overrides the detection, read here and nowhere else: tests set it to run the
fp32 path of a CPU without bf16 on one that has it. Ray's local workers inherit it from the process that
starts the local Ray; on a cluster, set it where `ray start` runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal

Precision = Literal["auto", "bf16", "fp16", "fp32"]
Resolved = Literal["bf16", "fp16", "fp32"]
NATIVE_ENV = "ECOMGPT_NATIVE_BF16"
CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
CPUINFO = "/proc/cpuinfo"
POLICY = "auto: bf16 where the CPU (avx512_bf16 or amx_bf16) or the GPU computes it natively, else fp32"


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The flags of the first processor listed in /proc/cpuinfo's text (x86 `flags`, Arm `Features`)."""
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_has_bf16(flags: Iterable[str]) -> bool:
    """Whether CPU flags include a bf16 matmul instruction set."""
    return not CPU_BF16_FLAGS.isdisjoint(flags)


def native_override() -> bool | None:
    """ECOMGPT_NATIVE_BF16 as a bool, None when unset."""
    value = os.environ.get(NATIVE_ENV)
    if value is None or value == "":
        return None
    if value not in ("0", "1"):
        raise ValueError(f"{NATIVE_ENV}={value!r}: expected 0 (no native bf16) or 1 (native bf16), or unset")
    return value == "1"


def native_bf16(on_gpu: bool) -> bool:
    """Whether this process's device computes bf16 natively: the GPU when `on_gpu`, else the CPU."""
    forced = native_override()
    if forced is not None:
        return forced
    if on_gpu:
        import torch

        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        with open(CPUINFO, encoding="utf-8", errors="replace") as fh:
            return cpu_has_bf16(cpu_flags(fh.read()))
    except FileNotFoundError:
        return False  # no /proc (macOS, Windows): no flags to read, fp32 is the safe choice


def resolve(requested: Precision, on_gpu: bool, native: bool | None = None) -> Resolved:
    """The precision that runs: `auto` is bf16 where `native` (default: this device's answer), else fp32."""
    if requested != "auto":
        return requested
    if native is None:
        native = native_bf16(on_gpu)
    return "bf16" if native else "fp32"


TORCH_NAMES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def torch_dtype(precision: Resolved):
    import torch

    return getattr(torch, TORCH_NAMES[precision])
