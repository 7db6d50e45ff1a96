"""Every command with relative paths, as a user types them, from a working directory that is not the one
Ray's workers run in (the session's Ray started in the repository; Ray Train and Tune move their workers
into trial directories): each path must be made absolute on the driver before it is shipped. The sweep's
relative paths are tested with its own end-to-end run (tests/sweep/test_sweep.py), findings' with theirs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from ecomgpt.cli import main
from tests.conftest import stop_serve
from tests.serve.conftest import free_port, wait_healthy

from .conftest import TINY_TRAIN, tiny_pipeline

TRAIN = {  # tiny.yaml, 2 steps of one worker on 3 tasks
    "max_steps": 2,
    "checkpoint_every": 2,
    "keep_checkpoints": 1,
    "num_workers": 1,
    "model": {"tiny": {"vocab_size": 400, "tokenizer_texts": 500}},
    "data": {"mixture": {"n_tasks": 3, "samples_per_task": 4}},
}


def _write_yaml(path: str, data: dict) -> str:
    Path(path).write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def workdir(ray_local, tmp_path_factory):
    """A working directory other than Ray's, holding this module's relative configs and outputs."""
    root = tmp_path_factory.mktemp("relative")
    here = os.getcwd()
    os.chdir(root)
    train = yaml.safe_load(Path(TINY_TRAIN).read_text())
    for key, value in TRAIN.items():
        train[key] = {**train[key], **value} if isinstance(value, dict) else value
    _write_yaml("train.yaml", train)
    try:
        yield root
    finally:
        os.chdir(here)


@pytest.fixture(scope="module")
def data(workdir):
    assert main(["synth", "--records", "600", "--out", "records"]) == 0
    with open(next((workdir / "records").glob("*.jsonl")), "a", encoding="utf-8") as fh:
        fh.write("{not json\n")  # quarantined by a worker, into the output's rejects/
    assert main(["generate", "--input", "records", "--output", "data", "--samples-per-task", "8"]) == 0
    return "data"


@pytest.fixture(scope="module")
def model(data):
    assert main(["train", "--config", "train.yaml", "--data", data, "--output", "train"]) == 0
    return "train/model"


@pytest.mark.slow
def test_synth_and_generate_write_where_they_were_told(workdir, data):
    manifest = json.loads((workdir / "data" / "manifest.json").read_text())
    assert manifest["examples_out"] > 0 and manifest["records_rejected"] == 1
    assert len(list((workdir / "data" / "rejects").glob("*.jsonl"))) == 1


@pytest.mark.slow
def test_train_and_evaluate_take_relative_paths(workdir, model):
    assert (workdir / model / "model.safetensors").is_file()
    args = [
        "evaluate",
        "--model",
        model,
        "--heldout-dir",
        "data",
        "--limit",
        "1",
        "--output",
        "eval",
        "--batch-size",
        "8",
    ]
    assert main(args) == 0
    assert json.loads((workdir / "eval" / "metrics.json").read_text())["average"]["tasks"] == 4


@pytest.mark.slow
def test_pipeline_takes_a_relative_output_and_config(workdir):
    """The pipeline makes its output absolute before any stage; the stages after generate take the paths
    it derives from it (train and evaluate with relative paths have their own tests above)."""
    _write_yaml("pipeline.yaml", tiny_pipeline("run", train=False))
    assert main(["pipeline", "--config", "pipeline.yaml"]) == 0
    assert json.loads((workdir / "run" / "data" / "manifest.json").read_text())["examples_out"] > 0
    assert {
        entry["status"] for entry in json.loads((workdir / "run" / "pipeline.json").read_text())["stages"].values()
    } == {"done"}


@pytest.mark.slow
def test_serve_takes_a_relative_checkpoint(ray_local, workdir, model):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    cmd = [
        sys.executable,
        "-m",
        "ecomgpt.cli",
        "serve",
        "--model",
        f"tiny={model}",
        "--port",
        str(port),
        "--address",
        ray_local.get_runtime_context().gcs_address,
    ]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        body = {"model": "tiny", "prompt": "red shoes", "max_tokens": 2, "temperature": 0}
        assert requests.post(url + "/v1/completions", json=body, timeout=60).status_code == 200
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_serve()
