"""`ecomgpt evaluate --model`: batch generation on Ray Data with a tiny BLOOM, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecomgpt.cli import main
from ecomgpt.evaluate.config import DEFAULT_MAX_NEW_TOKENS, GenerationConfig
from ecomgpt.evaluate.generation import AnswerGenerator
from ecomgpt.evaluate.heldout import load_heldout
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.train.tiny import build_tiny_checkpoint
from tests.conftest import HELDOUT, needs_shared


@pytest.fixture(scope="module")
def generated(generated_data) -> Path:
    return generated_data


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, generated) -> str:
    tasks = load_heldout(str(generated))
    texts = [i.prompt + i.reference for t in tasks for i in t.instances] * 4
    return str(build_tiny_checkpoint(texts, tmp_path_factory.mktemp("model"), vocab_size=800, seed=1))


def test_generator_respects_budgets_eos_and_left_truncation(tiny_model):
    generator = AnswerGenerator(tiny_model, GenerationConfig(max_input_tokens=8, num_cpus=1))
    batch = {
        "prompt": np.array(["short", "a much longer prompt " * 20], dtype=object),
        "max_new_tokens": np.array([3, 7]),
    }
    first = generator(dict(batch))
    assert list(first["truncated"]) == [False, True]
    assert first["new_tokens"][0] <= 3 and first["new_tokens"][1] <= 7
    assert "</s>" not in "".join(first["raw"]) and "<pad>" not in "".join(first["raw"])
    again = generator(dict(batch))
    assert list(again["prediction"]) == list(first["prediction"])  # greedy: deterministic


def test_evaluate_a_model_on_a_generate_runs_held_out_split(tmp_path, generated, tiny_model, capsys, ray_local):
    out = tmp_path / "eval"
    # URIs for the model and the output: a cluster's checkpoints and results live on shared storage.
    code = main(
        [
            "evaluate",
            "--model",
            f"file://{tiny_model}",
            "--heldout-dir",
            f"file://{generated}",
            "--limit",
            "5",
            "--output",
            f"file://{out}",
            "--batch-size",
            "4",
        ]
    )
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["tasks"]) == set(GenerateConfig().heldout_tasks)
    assert all(values["n"] == 5 for values in metrics["tasks"].values())
    assert "micro_f1" not in metrics["tasks"]["product.title_generation"]
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 20
    assert {(row["task"], row["index"]) for row in rows} == {(t, i) for t in metrics["tasks"] for i in range(5)}
    assert all(0 <= row["rouge_l"] <= 1 and isinstance(row["prediction"], str) for row in rows)


@needs_shared(HELDOUT)
def test_evaluate_a_model_on_the_real_held_out_sets(tmp_path, tiny_model, capsys, ray_local):
    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            "--model",
            tiny_model,
            "--heldout-dir",
            str(HELDOUT),
            "--limit",
            "3",
            "--output",
            str(out),
            "--tasks",
            "EN-Lenovo-NER-NER",
            "ZH-Multi_CPR-CLS-query_item_matching",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "| EN-Lenovo-NER-NER | 3 |" in captured.out
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    for row in rows:
        budget = DEFAULT_MAX_NEW_TOKENS["NER" if "NER" in row["task"] else "CLS"]
        assert row["new_tokens"] <= budget
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["model"] == tiny_model and manifest["timings"]["prompts_per_s"] > 0


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("{tmp}/absent", "no such directory"),
        ("{tmp}", "not a Hugging Face model directory (no config.json)"),
        ("{tmp}/pickled", "no safetensors weights"),
    ],
)
def test_a_model_that_cannot_load_is_an_error_before_any_work(tmp_path, capsys, model, message, ray_local):
    # On the session's Ray: the command connects to Ray before it checks the model.
    pickled = tmp_path / "pickled"  # a Hugging Face directory whose weights are pickled, not safetensors
    pickled.mkdir()
    (pickled / "config.json").write_text("{}")
    (pickled / "pytorch_model.bin").write_bytes(b"")
    code = main(
        [
            "evaluate",
            "--model",
            model.format(tmp=tmp_path),
            "--heldout-dir",
            str(tmp_path),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_config_errors_name_the_key(tmp_path, capsys):
    config = tmp_path / "eval.yaml"
    config.write_text("heldout_dir: x\noutput: y\nmodel: m\ngeneration:\n  beams: 4\n")
    assert main(["evaluate", "--config", str(config)]) == 2
    assert "unknown key 'generation.beams'" in capsys.readouterr().err
    assert main(["evaluate", "--heldout-dir", "x", "--output", "y"]) == 2
    assert "exactly one of model" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[2] / "configs" / "evaluate").glob("*.yaml")))
def test_every_shipped_evaluate_config_validates(path):
    from ecomgpt.config import load_yaml, parse_model
    from ecomgpt.evaluate.config import EvaluateConfig

    data = {"model": "m", "heldout_dir": "h", "output": "o", **load_yaml(path)}
    cfg = parse_model(EvaluateConfig, data, str(path))
    assert cfg.generation.budget("NER") == 128
