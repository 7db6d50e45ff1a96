"""Versions recorded in every stage's manifest.json."""

from __future__ import annotations

import importlib
import platform
import sys

import ecomgpt


def versions(*packages: str) -> dict[str, str]:
    """ecomgpt, Python, Ray and the OS, plus the `__version__` of each named package."""
    out = {"ecomgpt": ecomgpt.__version__, "python": sys.version.split()[0]}
    for name in ("ray", *packages):
        out[name] = importlib.import_module(name).__version__
    out["platform"] = platform.platform()
    return out
