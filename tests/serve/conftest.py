"""Two tiny checkpoints with different tokenizers (so responses tell them apart) and a free port."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from ecomgpt.train.tiny import build_tiny_checkpoint

TEXTS = [
    (
        "Below is an instruction that describes the review sentiment classification task. "
        "Write a response that appropriately completes the request.\n### Instruction:\n"
        "great shoes, fast shipping\nWhat is the sentiment of the review above? Options: positive, negative, neutral.\n"
        "### Response: positive"
    ),
    "Query: red running shoes\nDoc: Nike Air Zoom running shoe red\nmatch, not match",
    "color: red; material: cotton; brand: Nike\nNike red cotton T-Shirt",
    "User: hello\nAgent: hi, how can I help you today?",
] * 5


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("serve-ckpt")
    return {
        "tiny-a": str(build_tiny_checkpoint(TEXTS, root / "a", vocab_size=400, seed=1)),
        "tiny-b": str(build_tiny_checkpoint(TEXTS, root / "b", vocab_size=300, seed=2)),
    }


# Below the kernel's ephemeral range (32768 and up) and above Ray's worker ports (10002-19999): a port found
# free here is not handed to another process's outgoing connection or Ray worker before the server binds it.
_PORTS = range(20000, 32768)


def free_port() -> int:
    for port in random.Random().sample(_PORTS, 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {_PORTS}")


@contextmanager
def running_app(cfg, name: str) -> Iterator[str]:
    """The application of `cfg` on Serve (on the session's Ray) at a free loopback port; its URL."""
    from ray import serve

    from ecomgpt.serve.app import build_from_config
    from tests.conftest import stop_serve

    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(build_from_config(cfg), name=name, route_prefix="/")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_serve()


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 180) -> None:
    """Wait for `ecomgpt serve` in `proc` to answer /healthz; fail with its output if it exits or hangs."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ecomgpt serve exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        time.sleep(1)
    proc.kill()
    pytest.fail("ecomgpt serve did not become healthy")


def replica_counters(app_name: str, timeout_s: float = 60) -> dict:
    """The model replica's counters (`ModelServer.batching`), read through a deployment handle in a fresh
    worker process: in Serve's throughput-optimized mode a handle is bound to the event loop of its first call."""
    import ray
    from ray import serve

    @ray.remote(num_cpus=0, max_calls=1)
    def read() -> dict:
        async def call() -> dict:
            return await serve.get_deployment_handle("ModelServer", app_name=app_name).batching.remote()

        return asyncio.run(call())

    return ray.get(read.remote(), timeout=timeout_s)
