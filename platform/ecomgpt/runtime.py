"""Connecting to Ray (an embedded local Ray by default, a cluster with `--address` or RAY_ADDRESS) and sizing
the pools of model-holding actors."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import ray

# Ray Serve's throughput-optimized mode: gRPC between deployments, user code on each replica's own event
# loop, request logs buffered instead of written to stderr. On a 2-core machine it adds about a third to
# the serving application's throughput under load. Ray's processes read it when they start, so a local
# Ray gets it here and cluster nodes get it at `ray start` (cluster.yaml, k8s/Dockerfile).
# A value already in the environment wins: RAY_SERVE_THROUGHPUT_OPTIMIZED=0 turns it off.
LOCAL_RAY_ENV = {"RAY_SERVE_THROUGHPUT_OPTIMIZED": "1"}


def start_local_ray(**init_kwargs) -> None:
    """`ray.init` of a local Ray whose processes start with LOCAL_RAY_ENV (unless set already).

    The dashboard is on unless the caller turns it off: it serves Ray's state API, which Ray Train's
    placement-group cleaner polls every second during training (without it, a warning each time).
    Always a new instance (`address="local"`): a cluster that `ray start` left on this machine is used only when
    named (`--address`, RAY_ADDRESS), never joined by chance.
    """
    for key, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(key, value)
    init_kwargs.setdefault("include_dashboard", True)
    ray.init(address="local", **init_kwargs)


@contextmanager
def ray_session(address: str | None = None, dashboard: bool = True) -> Iterator[None]:
    """Use the running Ray if there is one; otherwise start (and later stop) one.

    With no address and no RAY_ADDRESS, `ray.init()` starts a local Ray inside this process, with its
    dashboard unless `dashboard` is false (a stage that trains nothing starts faster without it).
    """
    if ray.is_initialized():
        yield
        return
    target = address or os.environ.get("RAY_ADDRESS") or None
    if target is None:
        start_local_ray(log_to_driver=True, include_dashboard=dashboard)
    else:
        ray.init(address=target, include_dashboard=False, log_to_driver=True)
    try:
        yield
    finally:
        ray.shutdown()


def cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def actor_plan(
    concurrency: int | None, num_cpus: float, num_gpus: float, free: Mapping[str, float] | None = None
) -> tuple[int, float]:
    """(actors, CPUs per actor) of a model-holding actor pool: `concurrency` when given, else as many actors
    as the free CPUs or GPUs hold now (at least one); `free` defaults to Ray's available resources.

    Free rather than total resources: inside a sweep trial, the trial itself holds some of them, and an
    actor pool larger than what can be placed would wait forever. On CPUs the actors share what is free: 1.9
    free CPUs make one actor of 1.9 CPUs, which runs 2 torch threads, not one of 1 that leaves a core idle.
    """
    if concurrency:
        return concurrency, num_cpus
    if free is None:
        free = ray.available_resources()
    if num_gpus > 0:
        return max(1, int(free.get("GPU", 0) / num_gpus)), num_cpus
    free_cpus = free.get("CPU", 1)
    actors = max(1, int(free_cpus / num_cpus))
    share = math.floor(free_cpus / actors * 10_000) / 10_000  # Ray counts CPUs in steps of 0.0001
    return actors, max(num_cpus, share)


def torch_threads(num_cpus: float) -> int:
    """Torch threads of an actor holding `num_cpus` CPUs."""
    return max(1, round(num_cpus))
