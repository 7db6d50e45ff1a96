"""Scoring predictions made elsewhere: every instance exactly once, or a clear error naming the culprit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ecomgpt.cli import main
from tests.conftest import HELDOUT, needs_shared
from tests.evaluate.test_heldout import CLS_META, make_task

pytestmark = needs_shared(HELDOUT)


def write_jsonl(path: Path, rows: list) -> str:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return str(path)


@pytest.fixture(scope="module")
def gold_rows() -> list[dict]:
    from ecomgpt.evaluate.heldout import load_heldout

    return [
        {"task": t.name, "index": i.index, "prediction": i.reference}
        for t in load_heldout(str(HELDOUT))
        for i in t.instances
    ]


def evaluate(capsys, predictions: str, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["evaluate", "--predictions", predictions, "--heldout-dir", str(HELDOUT), "--output", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_gold_predictions_file_scores_one_and_writes_every_output(tmp_path, capsys, gold_rows):
    code, text = evaluate(capsys, write_jsonl(tmp_path / "gold.jsonl", gold_rows), tmp_path / "out")
    assert code == 0, text
    out = tmp_path / "out"
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["tasks"]) == 8 and metrics["average"]["tasks"] == 8
    for name, values in metrics["tasks"].items():
        assert values["n"] == 500
        assert values["rouge_l"] == 1.0
        assert ("micro_f1" in values) == ("-Generate-" not in name)
    assert metrics["average"] == {"tasks": 8, "rouge_l": 1.0, "micro_f1": 1.0, "macro_f1": 1.0}
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 4000 and all(row["rouge_l"] == 1.0 for row in rows)
    for chart in ("rouge_l", "micro_f1", "macro_f1"):
        assert (out / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (out / "metrics.md").read_text()
    assert "| ZH-OpenBG_Align-Generate-title_generate | 500 | 100.00 | – | – |" in table
    assert "**average** (8 tasks)" in text  # the table is printed too
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stage"] == "evaluate" and manifest["counts"]["instances"] == 4000


def test_limit_and_tasks_score_only_the_chosen_instances(tmp_path, capsys, gold_rows):
    first_three = [row for row in gold_rows if row["index"] < 3]
    first_three[0] = {**first_three[0], "prediction": "Food, Service"}  # reference "Food": F1 2/3
    code, text = evaluate(
        capsys,
        write_jsonl(tmp_path / "p.jsonl", first_three),
        tmp_path / "out",
        "--limit",
        "3",
        "--tasks",
        "EN-ABSA-CLS-review_topic_category",
    )
    assert code == 0, text
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    (values,) = metrics["tasks"].values()
    assert values["n"] == 3
    assert values["macro_f1"] == pytest.approx((2 / 3 + 1 + 1) / 3, abs=1e-9)
    # tp 3, fp 1, fn 0 over the three instances
    assert values["micro_f1"] == pytest.approx(6 / 7, abs=1e-9)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda rows: rows[:-1],
            r"1 instance\(s\) have no prediction \(ZH-OpenBG_Align-Generate-title_generate #499\)",
        ),
        (
            lambda rows: rows + [rows[5]],
            (
                r":4001: duplicate prediction for EN-ABSA-CLS-review_topic_category #5 "
                r"\(first on line 6\)"
            ),
        ),
        (
            lambda rows: rows + [{"task": "EN-Nope-CLS-x", "index": 0, "prediction": ""}],
            r"prediction\(s\) for unknown tasks \(line 4001: EN-Nope-CLS-x\)",
        ),
        (
            lambda rows: rows + [{**rows[0], "index": 500}],
            r"instances that do not exist \(line 4001: EN-ABSA-CLS-review_topic_category #500\)",
        ),
        (lambda rows: rows[:2] + ["{oops"] + rows[2:], r"p.jsonl:3: not valid JSON"),
        (lambda rows: [{**rows[0], "prediction": 3}] + rows[1:], r"p.jsonl:1: 'prediction' must be a string, got int"),
        (lambda rows: [{**rows[0], "index": "0"}] + rows[1:], r"p.jsonl:1: 'index' must be a 0-based line number"),
    ],
)
def test_bad_predictions_files_are_errors_naming_the_instance(tmp_path, capsys, gold_rows, edit, message):
    code, text = evaluate(capsys, write_jsonl(tmp_path / "p.jsonl", edit(list(gold_rows))), tmp_path / "out")
    assert code == 2
    assert text.startswith("error: ")
    assert re.search(message, text), text
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_a_predictions_file_for_a_hand_made_task(tmp_path, capsys):
    make_task(
        tmp_path / "held",
        "EN-Toy-CLS-topic",
        CLS_META,
        [
            {"sentences": "bread", "labels": {"default": ["Food"]}},
            {"sentences": "fast", "labels": {"default": ["Service"]}},
        ],
    )
    predictions = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"task": "EN-Toy-CLS-topic", "index": 1, "prediction": "Service.</s>Food"},
            {"task": "EN-Toy-CLS-topic", "index": 0, "prediction": "Price\n### Instruction: Food"},
        ],
    )
    code = main(
        [
            "evaluate",
            "--predictions",
            predictions,
            "--heldout-dir",
            str(tmp_path / "held"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    values = json.loads((tmp_path / "out" / "metrics.json").read_text())["tasks"]["EN-Toy-CLS-topic"]
    assert values == {"n": 2, "rouge_l": 0.5, "micro_f1": 0.5, "macro_f1": 0.5}
