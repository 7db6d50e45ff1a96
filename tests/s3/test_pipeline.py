"""`ecomgpt pipeline` into an `s3://` run directory: every stage's output and manifest on the store, stage keys
that skip finished stages and re-run changed ones, training resumed from its checkpoint on the store, and no
credential in anything the run leaves."""

from __future__ import annotations

import pytest
import yaml

from ecomgpt import storage

from ..ops.conftest import tiny_pipeline
from .helpers import credential_leaks, run_cli

pytestmark = pytest.mark.slow
STAGES = ("synth", "generate", "train", "evaluate")


@pytest.fixture(scope="module")
def run(s3_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("s3-pipeline")
    output = s3_server.uri("pipeline")
    config = root / "pipeline.yaml"
    config.write_text(yaml.safe_dump(tiny_pipeline(output)))
    first = run_cli("pipeline", "--config", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    return {"output": output, "config": str(config), "outputs": [first]}


def test_every_stage_writes_into_the_s3_run_directory(run):
    output = run["output"]
    record = storage.read_json(storage.join(output, "pipeline.json"))["stages"]
    assert set(record) == set(STAGES) and {entry["status"] for entry in record.values()} == {"done"}
    for stage, folder in zip(STAGES, ("records", "data", "train", "eval")):
        manifest = storage.read_json(storage.join(output, folder, "manifest.json"))
        assert stage == "synth" or manifest["stage"] == stage
    assert storage.exists(storage.join(output, "train", "model", "model.safetensors"))
    assert storage.exists(storage.join(output, "eval", "predictions.jsonl"))


def test_stage_keys_skip_what_is_done_rerun_what_changed_and_resume_what_was_interrupted(run):
    again = run_cli("pipeline", "--config", run["config"])
    assert again.returncode == 0, again.stderr[-3000:]
    assert all(f"[{stage}] up to date" in again.stdout for stage in STAGES), again.stdout[-3000:]

    # The training stage left as a run stopped mid-training leaves it, and the evaluation changed: one re-run
    # skips the data stages, resumes training from its checkpoint on the store and runs the evaluation again.
    output = run["output"]
    record_uri = storage.join(output, "pipeline.json")
    record = storage.read_json(record_uri)
    record["stages"]["train"]["status"] = "started"
    storage.write_json(record_uri, record)
    changed = run_cli("pipeline", "--config", run["config"], "--set", "evaluate.limit=1")
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert all(f"[{stage}] up to date" in changed.stdout for stage in ("synth", "generate"))
    assert "[train] resuming" in changed.stdout and "[evaluate] running" in changed.stdout
    manifest = storage.read_json(storage.join(output, "train", "manifest.json"))
    assert manifest["resumed"] and manifest["counts"]["step"] == 4
    assert manifest["checkpoint"].startswith(output)  # the checkpoint it resumed from is on the store
    assert storage.read_json(record_uri)["stages"]["train"]["status"] == "done"
    assert storage.read_json(storage.join(output, "eval", "manifest.json"))["counts"]["instances"] == 4  # 1 a task
    run["outputs"] += [again, changed]


def test_the_run_leaves_no_credential_anywhere(run, s3_server):
    found = credential_leaks(s3_server, run["outputs"], locations=[run["output"]])
    assert not found, found[:5]
