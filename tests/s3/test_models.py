"""A checkpoint and a LoRA adapter of it kept only on S3, loaded by `ecomgpt evaluate` and `ecomgpt serve`
through the user's private cache, as on a cluster node that has nothing on its disk."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import sys

import pytest
import requests

from ecomgpt import storage
from ecomgpt.train.tiny import build_tiny_checkpoint

from ..conftest import HELDOUT, make_adapter, needs_shared
from ..serve.conftest import TEXTS, free_port, wait_healthy
from .helpers import REPO, credential_leaks, run_cli

pytestmark = pytest.mark.slow
LINEAR = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]  # every linear layer: a visible change
PROMPTS = ["red running shoes", "User: hello\nAgent:", "color: red; material: cotton", "Query: shoes\nDoc:"]


@pytest.fixture(scope="module")
def s3_models(s3_server, tmp_path_factory) -> dict[str, str]:
    """s3://…/models/base (a tiny BLOOM) and s3://…/models/lora (an adapter naming the base by its URI)."""
    root = tmp_path_factory.mktemp("s3-models")
    base = build_tiny_checkpoint(TEXTS, root / "base", vocab_size=400, seed=3)
    adapter = make_adapter(base, root / "lora", seed=4, scale=8.0, targets=LINEAR)
    remote_base, remote_lora = s3_server.uri("models", "base"), s3_server.uri("models", "lora")
    config_path = root / "lora" / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "base_model_name_or_path": remote_base}))
    storage.upload_dir(str(base), remote_base)
    storage.upload_dir(adapter, remote_lora)
    return {"base": remote_base, "lora": remote_lora}


def _cached_copies(cache) -> list[str]:
    dirs = cache / "dirs"
    assert stat.S_IMODE(dirs.stat().st_mode) == 0o700
    return sorted(entry.name for entry in dirs.iterdir() if ".partial-" not in entry.name)


@needs_shared(HELDOUT)
def test_evaluate_loads_an_adapter_and_its_base_from_s3(s3_server, s3_models, tmp_path):
    cache = tmp_path / "cache"
    output = s3_server.uri("eval-lora")
    done = run_cli(
        "evaluate",
        "--model",
        s3_models["lora"],
        "--heldout-dir",
        str(HELDOUT),
        "--limit",
        "1",
        "--tasks",
        "EN-ABSA-CLS-review_topic_category",
        "--output",
        output,
        env={"ECOMGPT_CACHE_DIR": str(cache)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = storage.read_json(storage.join(output, "manifest.json"))
    assert manifest["stage"] == "evaluate" and storage.exists(storage.join(output, "predictions.jsonl"))
    assert len(_cached_copies(cache)) == 2  # the adapter and the base it names, each copied once
    assert not credential_leaks(s3_server, [done], locations=[output])


def test_serve_answers_from_a_model_and_an_adapter_on_s3(s3_server, s3_models, tmp_path):
    port = free_port()
    env = {**os.environ, "ECOMGPT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("RAY_ADDRESS", None)
    command = [
        sys.executable,
        "-m",
        "ecomgpt.cli",
        "serve",
        "--model",
        f"base={s3_models['base']}",
        "--model",
        f"lora={s3_models['lora']}",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 240)
        answers: dict[str, list[str]] = {"base": [], "lora": []}
        for (name, texts), prompt in itertools.product(answers.items(), PROMPTS):
            body = {"model": name, "prompt": prompt, "max_tokens": 8, "temperature": 0}
            response = requests.post(url + "/v1/completions", json=body, timeout=120)
            assert response.status_code == 200, response.text
            texts.append(response.json()["choices"][0]["text"])
        assert len(answers["lora"]) == len(PROMPTS) and answers["base"] != answers["lora"]  # the adapter applies
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert s3_server.secret_key not in output
    assert len(_cached_copies(tmp_path / "cache")) == 2
