"""Every bad input fails in `plan_train` (or the CLI) with a clear message, before any worker starts."""

from __future__ import annotations

import json
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomgpt.cli import main
from ecomgpt.config import ConfigError
from ecomgpt.models import ModelError
from ecomgpt.train.data import DataError
from ecomgpt.train.mixture import MixtureError
from ecomgpt.train.run import OutputError, plan_train

from .conftest import TINY_YAML, tiny_config


def _data_dir(tmp_path, table: pa.Table) -> str:
    (tmp_path / "held_in").mkdir(parents=True)
    pq.write_table(table, tmp_path / "held_in" / "part-0.parquet")
    (tmp_path / "manifest.json").write_text(json.dumps({"stage": "generate"}), encoding="utf-8")
    return str(tmp_path)


def test_missing_data_dir(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        plan_train(tiny_config(), str(tmp_path / "nowhere"), str(tmp_path / "out"))


def test_data_dir_without_generate_manifest(train_data, tmp_path):
    """A generate run that died before its manifest (or a directory of foreign Parquet) is refused."""
    unfinished = tmp_path / "unfinished"
    shutil.copytree(train_data, unfinished)
    (unfinished / "manifest.json").unlink()
    with pytest.raises(DataError, match=f"{unfinished}: no manifest.json of `ecomgpt generate`"):
        plan_train(tiny_config(), str(unfinished), str(tmp_path / "out"))
    (unfinished / "manifest.json").write_text(json.dumps({"stage": "train"}), encoding="utf-8")
    with pytest.raises(DataError, match="no manifest.json of `ecomgpt generate`"):
        plan_train(tiny_config(), str(unfinished), str(tmp_path / "out"))


def test_empty_dataset(tmp_path):
    empty = pa.table({name: pa.array([], pa.string()) for name in ("id", "task", "prompt", "output")})
    with pytest.raises(DataError, match="empty"):
        plan_train(tiny_config(), _data_dir(tmp_path, empty), str(tmp_path / "out"))


def test_schema_mismatch(tmp_path):
    table = pa.table({"id": ["a"], "task": ["t"], "prompt": ["p"], "answer": ["x"]})
    with pytest.raises(DataError, match="missing column 'output'"):
        plan_train(tiny_config(), _data_dir(tmp_path, table), str(tmp_path / "out"))
    wrong_type = pa.table({"id": ["a"], "task": ["t"], "prompt": ["p"], "output": [1]})
    with pytest.raises(DataError, match="column 'output' is int64"):
        plan_train(tiny_config(), _data_dir(tmp_path / "b", wrong_type), str(tmp_path / "out"))


def test_batch_not_divisible(train_data, tmp_path):
    cfg = tiny_config(batch_size=6, gradient_accumulation_steps=2)
    expected = "batch_size 6 is not divisible by num_workers 2 x gradient_accumulation_steps 2"
    with pytest.raises(ConfigError, match=expected):
        plan_train(cfg, train_data, str(tmp_path / "out"))


def test_model_path_missing(train_data, tmp_path):
    for path in (str(tmp_path / "no-model"), "./checkpoints/bloomz"):
        cfg = tiny_config(model={"name_or_path": path})
        with pytest.raises(ModelError, match="no such directory"):
            plan_train(cfg, train_data, str(tmp_path / "out"))
    (tmp_path / "not-a-model").mkdir()
    cfg = tiny_config(model={"name_or_path": str(tmp_path / "not-a-model")})
    with pytest.raises(ModelError, match="no config.json"):
        plan_train(cfg, train_data, str(tmp_path / "out"))


def test_output_holding_another_run(train_data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.jsonl").write_text("{}\n")
    with pytest.raises(OutputError, match="holds another run; pass --resume"):
        plan_train(tiny_config(), train_data, str(out))
    with pytest.raises(OutputError, match="no run to resume"):
        plan_train(tiny_config(), train_data, str(out), resume=True)


def test_mixture_errors(train_data, tmp_path):
    with pytest.raises(MixtureError, match="not in the data"):
        plan_train(tiny_config(data={"mixture": {"tasks": ["no.such_task"]}}), train_data, str(tmp_path / "o"))
    with pytest.raises(MixtureError, match="n_tasks is 999"):
        plan_train(tiny_config(data={"mixture": {"n_tasks": 999}}), train_data, str(tmp_path / "o"))


def test_cli_reports_errors_and_starts_nothing(train_data, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY_YAML.read_text() + "bogus: 1\n")
    out = tmp_path / "out"
    assert main(["train", "--config", str(bad), "--data", train_data, "--output", str(out)]) == 2
    assert "unknown key 'bogus'" in capsys.readouterr().err
    assert (
        main(["train", "--config", str(TINY_YAML), "--data", train_data, "--output", str(out), "--num-workers", "3"])
        == 2
    )
    assert "not divisible" in capsys.readouterr().err
    assert not os.path.exists(out)


def test_more_trained_layers_than_the_model_has(train_data, tmp_path):
    cfg = tiny_config(model={"train_layers": 3})
    with pytest.raises(ConfigError, match="model.train_layers 3: tiny has only 2 transformer blocks"):
        plan_train(cfg, train_data, str(tmp_path / "out"))
