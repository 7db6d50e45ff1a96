"""`ecomgpt serve` in the foreground, attached to the session's Ray: it serves, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from tests.conftest import stop_serve
from tests.serve.conftest import free_port, wait_healthy

START_TIMEOUT_S = 180


@pytest.fixture
def serve_cleanup(ray_local):
    yield
    stop_serve()


def test_serve_command_serves_until_ctrl_c(ray_local, serve_cleanup, checkpoints):
    port = free_port()
    address = ray_local.get_runtime_context().gcs_address
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    cmd = [
        sys.executable,
        "-m",
        "ecomgpt.cli",
        "serve",
        "--model",
        f"tiny={checkpoints['tiny-a']}",
        "--port",
        str(port),
        "--address",
        address,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, START_TIMEOUT_S)
        assert [m["id"] for m in requests.get(url + "/v1/models", timeout=30).json()["data"]] == ["tiny"]
        body = {"model": "tiny", "prompt": "red shoes", "max_tokens": 2, "temperature": 0}
        assert requests.post(url + "/v1/completions", json=body, timeout=60).status_code == 200
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "serving tiny at" in output and "stopping" in output
    # The application is gone; attached to a shared Ray, Serve itself stays for others.
    response = requests.get(url + "/healthz", timeout=10)
    assert response.status_code == 404
