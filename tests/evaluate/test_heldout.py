"""Held-out loading: the EcomGPT layout (real sets and hand-made folders) and a generate run's held-out split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecomgpt.evaluate.heldout import HeldoutError, load_heldout
from ecomgpt.evaluate.metrics import score_instance, task_metrics
from ecomgpt.prompts import HEADER
from ecomgpt.records.layout import LayoutError, parse_task_name
from tests.conftest import HELDOUT, needs_shared

CLS_META = {
    "defi": "review topic category",
    "test_prompt": {"instruction": "### Instruction:\n{sentences}\nPick from: {label_set}. \n### Response:"},
    "label_set": {"default": ["Food", "Service", "Price"]},
    "label_key": "default",
    "label_sep": ", ",
}


def make_task(root: Path, folder: str, meta: dict, lines: list) -> Path:
    task_dir = root / folder.split("-")[1] / "tasks" / folder
    task_dir.mkdir(parents=True)
    (task_dir / "meta-info.json").write_text(json.dumps(meta), encoding="utf-8")
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    (task_dir / "test.json").write_text(text + "\n", encoding="utf-8")
    return task_dir


def test_task_identity_comes_from_the_folder_name():
    assert parse_task_name("ZH-OpenBG_Align-CLS-item_align") == ("zh", "OpenBG_Align", "CLS")
    assert parse_task_name("EN-Reddit_QA-Extract-Extract_QA") == ("en", "Reddit_QA", "Extract")
    assert parse_task_name("ZH-MEPAVE-Condition_Extract-attribute_value_detection")[2] == "Condition_Extract"
    with pytest.raises(LayoutError, match="TYPE one of CLS, NER"):
        parse_task_name("EN-ABSA-Rank-review_rank")


def test_prompt_is_the_header_plus_the_filled_test_prompt(tmp_path):
    make_task(
        tmp_path,
        "EN-Toy-CLS-topic",
        CLS_META,
        [
            {"sentences": "The bread is good.", "labels": {"default": ["Food"]}},
            {"sentences": "Quick and cheap.", "labels": {"default": ["Service", "Price"]}},
        ],
    )
    (task,) = load_heldout(str(tmp_path))
    assert task.name == "EN-Toy-CLS-topic" and task.type == "CLS" and task.lang == "en"
    first, second = task.instances
    assert first.prompt == (
        HEADER.format(definition="review topic category")
        + "### Instruction:\nThe bread is good.\nPick from: Food, Service, Price. \n### Response:"
    )
    assert (first.index, first.reference) == (0, "Food")
    assert (second.index, second.reference) == (1, "Service, Price")


def test_ner_reference_has_one_line_per_label_type_in_label_set_order(tmp_path):
    meta = {
        **CLS_META,
        "defi": "named entity recognition",
        "label_set": {"en": ["Brand", "Product"]},
        "label_key": "en",
    }
    make_task(
        tmp_path,
        "EN-Toy-NER-NER",
        meta,
        [
            {
                "sentences": "Toshiba laptop",
                "spans": [{"type": "Product", "term": "laptop"}, {"type": "Brand", "term": "Toshiba"}],
            },
            {"sentences": "nothing here", "spans": []},
        ],
    )
    (task,) = load_heldout(str(tmp_path))
    assert [i.reference for i in task.instances] == ["Brand: Toshiba\nProduct: laptop", "Brand: None\nProduct: None"]


def test_ner_reference_keeps_repeated_terms_in_span_order(tmp_path):
    meta = {
        **CLS_META,
        "defi": "attribute value extraction",
        "label_set": {"cn": ["腰型", "裤型", "颜色"]},
        "label_key": "cn",
    }
    spans = [{"type": "腰型", "term": "高腰"}, {"type": "裤型", "term": "阔腿"}, {"type": "腰型", "term": "高腰"}]
    make_task(
        tmp_path, "ZH-Toy-NER-attribute_value_extraction", meta, [{"sentences": "高腰阔腿裤，高腰显瘦", "spans": spans}]
    )
    (task,) = load_heldout(str(tmp_path))
    assert task.instances[0].reference == "腰型: 高腰, 高腰\n裤型: 阔腿\n颜色: None"


@pytest.mark.parametrize(
    ("folder", "meta", "lines", "message"),
    [
        ("EN-Toy-Rank-x", CLS_META, [], "TYPE one of"),
        ("EN-Toy-CLS-x", {k: v for k, v in CLS_META.items() if k != "test_prompt"}, [], "test_prompt.instruction"),
        ("EN-Toy-CLS-x", {k: v for k, v in CLS_META.items() if k != "label_set"}, [], "label_set is required"),
        ("EN-Toy-CLS-x", {**CLS_META, "label_key": "zh"}, [], "label_key 'zh' is not a key"),
        (
            "EN-Toy-CLS-x",
            CLS_META,
            [{"sentences": "ok", "labels": {"default": ["Food"]}}, "{not json"],
            r"test.json:2: not valid JSON",
        ),
        ("EN-Toy-CLS-x", CLS_META, [{"sentences": "no labels"}], r"test.json:1: CLS lines need 'labels'"),
        ("EN-Toy-CLS-x", CLS_META, [{"labels": {"default": ["Food"]}}], r"test.json:1: 'sentences'"),
        (
            "EN-Toy-Extract-x",
            {"test_prompt": {"instruction": "{sentences}\nExtract.\n### Response:"}},
            [{"sentences": "s", "spans": "x"}],
            r"test.json:1: Extract lines need 'spans'",
        ),
        ("EN-Toy-NER-x", CLS_META, [{"sentences": "s", "spans": [{"term": "a"}]}], "every NER span needs a 'type'"),
    ],
)
def test_bad_task_folders_and_lines_are_errors_naming_where(tmp_path, folder, meta, lines, message):
    make_task(tmp_path, folder, meta, lines)
    with pytest.raises(LayoutError, match=message):
        load_heldout(str(tmp_path))


def test_unknown_task_names_and_empty_directories_are_errors(tmp_path):
    with pytest.raises(HeldoutError, match="no held-out tasks"):
        load_heldout(str(tmp_path))
    with pytest.raises(HeldoutError, match="not found"):
        load_heldout(str(tmp_path / "absent"))
    make_task(tmp_path, "EN-Toy-CLS-topic", CLS_META, [{"sentences": "s", "labels": {"default": ["Food"]}}])
    with pytest.raises(HeldoutError, match="unknown task.*EN-Toy-CLS-nope.*known: EN-Toy-CLS-topic"):
        load_heldout(str(tmp_path), ["EN-Toy-CLS-nope"])


@needs_shared(HELDOUT)
def test_every_real_instance_is_loaded_and_limit_keeps_the_first_lines():
    tasks = load_heldout(str(HELDOUT))
    assert len(tasks) == 8
    for task in tasks:
        lines = sum(1 for line in (next(HELDOUT.glob(f"*/tasks/{task.name}")) / "test.json").open() if line.strip())
        assert len(task.instances) == lines == 500
        assert all(
            i.prompt.startswith("Below is an instruction") and i.prompt.endswith("### Response:")
            for i in task.instances
        )
    limited = load_heldout(str(HELDOUT), ["ZH-Multi_CPR-CLS-query_item_matching"], limit=7)
    assert [i.index for i in limited[0].instances] == list(range(7))
    assert limited[0].instances[0].reference == "match"  # label_key en: the English label


@needs_shared(HELDOUT)
def test_gold_answers_score_one_and_empty_answers_zero_on_every_real_task():
    for task in load_heldout(str(HELDOUT)):
        gold = task_metrics([score_instance(i.reference, i.reference, task.type, task.sep) for i in task.instances])
        empty = task_metrics([score_instance("", i.reference, task.type, task.sep) for i in task.instances])
        metrics = ["rouge_l"] + (["micro_f1", "macro_f1"] if task.type != "Generate" else [])
        assert set(gold) == {"n", *metrics}
        for metric in metrics:
            assert gold[metric] == 1.0, (task.name, metric)
            assert empty[metric] == 0.0, (task.name, metric)


def _ecomgpt_answer(meta: dict, line: dict, kind: str) -> str:
    """The answer the original EcomGPT evaluation code builds for a test line (its src/data/task_cls.py and
    task_extract.py): CLS labels joined; NER one line per label of the label list with every span term of
    that type, or None; otherwise every span term."""
    sep, key = meta["label_sep"], meta.get("label_key")
    if kind == "CLS":
        return sep.join(line["labels"][key])
    if kind == "NER":
        by_type: dict[str, list[str]] = {}
        for span in line["spans"]:
            by_type.setdefault(span["type"], []).append(span["term"])
        return "\n".join(label + ": " + sep.join(by_type.get(label, ["None"])) for label in meta["label_set"][key])
    return sep.join(span["term"] for span in line["spans"])


@needs_shared(HELDOUT)
def test_the_original_gold_answer_of_every_real_instance_scores_one():
    for task in load_heldout(str(HELDOUT)):
        folder = next(HELDOUT.glob(f"*/tasks/{task.name}"))
        meta = json.loads((folder / "meta-info.json").read_text(encoding="utf-8-sig"))
        lines = [
            json.loads(raw)
            for raw in (folder / "test.json").read_text(encoding="utf-8-sig").splitlines()
            if raw.strip()
        ]
        for instance, line in zip(task.instances, lines, strict=True):
            gold = _ecomgpt_answer(meta, line, task.type)
            score = score_instance(gold, instance.reference, task.type, task.sep)
            assert (score.rouge_l, score.f1) == (1.0, None if task.type == "Generate" else 1.0), (
                task.name,
                instance.index,
            )
            assert instance.reference == gold, (task.name, instance.index)
