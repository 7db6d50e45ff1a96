"""The hardware's bf16 question and `auto`'s resolution (`ecomgpt.precision`)."""

from __future__ import annotations

import pytest

from ecomgpt import precision
from ecomgpt.runner import resolve_dtype

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512_bf16 avx512_vnni
"""
SKYLAKE = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8175M CPU
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512bw avx512_vnni
"""
SAPPHIRE = "flags\t: avx512f amx_tile amx_int8 amx_bf16\n"


def this_cpu_has_bf16() -> bool:
    with open(precision.CPUINFO, encoding="utf-8") as fh:
        return precision.cpu_has_bf16(precision.cpu_flags(fh.read()))


def test_cpu_flags_decide_not_the_model_name():
    assert precision.cpu_has_bf16(precision.cpu_flags(ZEN4))
    assert precision.cpu_has_bf16(precision.cpu_flags(SAPPHIRE))
    assert not precision.cpu_has_bf16(precision.cpu_flags(SKYLAKE))  # AVX-512 without its bf16 extension
    assert not precision.cpu_has_bf16(precision.cpu_flags("model name\t: avx512_bf16 in the name only\n"))


def test_auto_resolves_by_hardware_and_explicit_choices_stay():
    assert precision.resolve("auto", on_gpu=False, native=True) == "bf16"
    assert precision.resolve("auto", on_gpu=False, native=False) == "fp32"
    assert precision.resolve("auto", on_gpu=True, native=False) == "fp32"
    for explicit in ("bf16", "fp16", "fp32"):
        assert precision.resolve(explicit, on_gpu=False, native=False) == explicit
        assert precision.resolve(explicit, on_gpu=False, native=True) == explicit
    assert resolve_dtype("auto", on_gpu=False, native=True) == "bfloat16"
    assert resolve_dtype("auto", on_gpu=False, native=False) == "float32"
    assert resolve_dtype("float32", on_gpu=False, native=True) == "float32"


def test_the_environment_overrides_detection(monkeypatch):
    monkeypatch.setenv(precision.NATIVE_ENV, "0")
    assert precision.resolve("auto", on_gpu=False) == "fp32"
    monkeypatch.setenv(precision.NATIVE_ENV, "1")
    assert precision.resolve("auto", on_gpu=False) == "bf16"
    monkeypatch.setenv(precision.NATIVE_ENV, "yes")
    with pytest.raises(ValueError, match=precision.NATIVE_ENV):
        precision.native_bf16(on_gpu=False)


@pytest.mark.skipif(not this_cpu_has_bf16(), reason="this CPU lists neither avx512_bf16 nor amx_bf16")
def test_auto_is_bf16_on_this_cpu(monkeypatch):
    monkeypatch.delenv(precision.NATIVE_ENV, raising=False)
    assert precision.native_bf16(on_gpu=False)
    assert precision.resolve("auto", on_gpu=False) == "bf16"
