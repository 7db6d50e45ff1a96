"""`generate --overwrite` replaces only a generate run, never one holding its own inputs, and only once the new
run is complete; the pipeline's stage keys follow what the inputs hold."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import OutputExistsError, plan_generate
from ecomgpt.records.synth import write_synthetic


def _records(where: Path) -> str:
    write_synthetic(40, 3, str(where), "jsonl", 40)
    return str(where)


def _plan(inputs: list[str], output: Path, **cfg):
    return plan_generate(GenerateConfig(inputs=inputs, num_blocks=1, **cfg), str(output), overwrite=True)


def test_overwrite_refuses_an_output_holding_the_inputs(tmp_path):
    run = tmp_path / "x"
    raw = _records(run / "raw")
    (run / "manifest.json").write_text(json.dumps({"stage": "generate"}), encoding="utf-8")
    with pytest.raises(OutputExistsError, match=f"input {raw} lies inside the output {run}"):
        _plan([raw], run)
    assert sorted(os.listdir(run / "raw"))  # the inputs are still there


def test_overwrite_refuses_a_directory_without_a_generate_manifest(tmp_path):
    raw = _records(tmp_path / "raw")
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "todo.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="holds no generate run"):
        _plan([raw], home)
    (home / "manifest.json").write_text(json.dumps({"stage": "train"}), encoding="utf-8")
    with pytest.raises(OutputExistsError, match="holds no generate run"):
        _plan([raw], home)
    assert (home / "notes" / "todo.txt").read_text(encoding="utf-8") == "keep me"


def test_overwrite_keeps_the_old_run_until_the_new_one_replaces_it(tmp_path):
    raw = _records(tmp_path / "raw")
    out = tmp_path / "data"
    (out / "held_in").mkdir(parents=True)
    (out / "held_in" / "part-0.parquet").write_bytes(b"old run")
    (out / "manifest.json").write_text(json.dumps({"stage": "generate"}), encoding="utf-8")
    (tmp_path / ".data.staging").mkdir()  # what a crashed run left
    plan = _plan([raw], out)
    assert (out / "held_in" / "part-0.parquet").read_bytes() == b"old run"  # a failing run loses nothing
    assert plan.output == str(out) and plan.staging == str(tmp_path / ".data.staging")
    assert not Path(plan.staging).exists()


def test_a_replaced_raw_file_reruns_generate_in_the_pipeline(ray_local, tmp_path, capsys):
    from ecomgpt.pipeline import run_pipeline
    from ecomgpt.pipeline_config import PipelineConfig

    raw = tmp_path / "raw"
    write_synthetic(60, 1, str(raw), "jsonl", 60)
    cfg = PipelineConfig(output=str(tmp_path / "run"), generate=GenerateConfig(inputs=[str(raw)], num_blocks=1))
    first = run_pipeline(cfg)["generate"]
    assert run_pipeline(cfg)["generate"] == first and "[generate] up to date" in capsys.readouterr().out
    (shard,) = raw.glob("*.jsonl")
    lines = shard.read_text(encoding="utf-8").splitlines(keepends=True)
    shard.write_text("".join(lines[:30]), encoding="utf-8")  # the same file name, other records
    again = run_pipeline(cfg)["generate"]
    assert "[generate] running" in capsys.readouterr().out
    assert first["records_in"] == 60 and again["records_in"] == 30
    assert sorted(os.listdir(tmp_path / "run")) == ["data", "pipeline.json"]  # no staging left behind
