"""Connecting to Ray: an embedded local Ray by default, a cluster with `--address` or RAY_ADDRESS."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import ray


@contextmanager
def ray_session(address: str | None = None) -> Iterator[None]:
    """Use the running Ray if there is one; otherwise start (and later stop) one.

    With no address and no RAY_ADDRESS, `ray.init()` starts a local Ray inside this process.
    """
    if ray.is_initialized():
        yield
        return
    target = address or os.environ.get("RAY_ADDRESS") or None
    ray.init(address=target, include_dashboard=False, log_to_driver=True)
    try:
        yield
    finally:
        ray.shutdown()


def cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
