"""The teacher stage inside `ecomgpt generate`, on a local Ray: an OpenAI-compatible loopback stub with scripted
answers (grounding rejects, retries, budget, failures, caching) and a tiny local model as an actor pool."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecomgpt.answers import NER
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import plan_generate
from ecomgpt.generate.run import run_generate
from ecomgpt.generate.teacher.stage import TeacherError
from ecomgpt.tasks.registry import get_task
from tests.generate.teacher.stub import StubTeacher

RECORDS = [
    {
        "data_type": "product",
        "record_id": "p-en-1",
        "source": "raw",
        "lang": "en",
        "title": "Acme red cotton hoodie size L",
        "description": "Warm and soft. Made of brushed cotton, for winter.",
    },
    {
        "data_type": "product",
        "record_id": "p-en-2",
        "source": "raw",
        "lang": "en",
        "title": "Zeta steel water bottle 750ml",
    },
    {
        "data_type": "product",
        "record_id": "p-zh-1",
        "source": "raw",
        "lang": "zh",
        "title": "优衣库 红色 纯棉 卫衣",
        "description": "柔软保暖，纯棉面料，适合冬季。",
    },
    {
        "data_type": "review",
        "record_id": "r-en-1",
        "source": "raw",
        "lang": "en",
        "text": "The battery lasts long but the strap feels cheap.",
    },
    {"data_type": "review", "record_id": "r-zh-1", "source": "raw", "lang": "zh", "text": "物流很快，但是包装破损了。"},
    {
        "data_type": "query",
        "record_id": "q-en-1",
        "source": "raw",
        "lang": "en",
        "query": "cheap usb c charger",
        "items": [{"title": "65W USB C charger", "relevance": "exact"}],
    },
    {
        "data_type": "query",
        "record_id": "q-en-2",
        "source": "raw",
        "lang": "en",
        "query": "gift for dad who likes fishing",
        "items": [{"title": "Fishing reel", "relevance": "exact"}],
    },
    {
        "data_type": "dialogue",
        "record_id": "d-en-1",
        "source": "raw",
        "lang": "en",
        "turns": [
            {"role": "agent", "text": "Hello, how can I help?"},
            {"role": "user", "text": "how much is the blue one?"},
        ],
    },
    {
        "data_type": "dialogue",
        "record_id": "d-zh-1",
        "source": "raw",
        "lang": "zh",
        "turns": [{"role": "agent", "text": "您好"}, {"role": "user", "text": "这个多少钱？"}],
    },
    {
        "data_type": "dialogue",
        "record_id": "d-en-2",
        "source": "raw",
        "lang": "en",
        "turns": [  # labelled: not asked
            {"role": "user", "text": "hi there", "intents": ["greeting"]}
        ],
    },
]
# The teacher's answer for each input (an input occurs in exactly one labelling prompt).
SCRIPT = {
    "Acme red cotton hoodie size L": "brand: Acme\nproduct type: hoodie\ncolor: red\nmaterial: cotton\nsize: L",
    "Zeta steel water bottle 750ml": "brand: Nike",  # span_not_in_input
    "优衣库 红色 纯棉 卫衣": "品牌: 优衣库\n颜色: 红色",
    "Warm and soft. Made of brushed cotton, for winter.": "material: brushed cotton\nseason: winter",
    "柔软保暖，纯棉面料，适合冬季。": "颜色: 蓝色",  # span_not_in_input
    "The battery lasts long but the strap feels cheap.": "battery: lasts long\nstrap: feels cheap",
    "物流很快，但是包装破损了。": "I cannot answer that",  # unparsable
    "Query: cheap usb c charger": "compare prices",
    "Query: gift for dad who likes fishing": "shopping",  # label_not_in_set
    "Agent: Hello, how can I help?\nUser: how much is the blue one?": "ask price",
    "客服: 您好\n用户: 这个多少钱？": "询问价格",
}
PAIRS = len(SCRIPT)
ACCEPTED = {
    "product.title_entity_typing": 2,
    "product.description_attribute_extraction": 1,
    "review.aspect_opinion_extraction": 1,
    "query.intent_classification": 1,
    "dialogue.turn_intent_labelling": 2,
}
REJECTED = {
    "product.title_entity_typing": {"span_not_in_input": 1},
    "product.description_attribute_extraction": {"span_not_in_input": 1},
    "review.aspect_opinion_extraction": {"unparsable": 1},
    "query.intent_classification": {"label_not_in_set": 1},
    "dialogue.turn_intent_labelling": {},
}


def scripted(prompt: str) -> str:
    return next(answer for text, answer in SCRIPT.items() if f"Input: {text}" in prompt or f"输入: {text}" in prompt)


@pytest.fixture()
def records(tmp_path: Path) -> str:
    path = tmp_path / "raw" / "records.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    return str(path.parent)


def _generate(records: str, output: Path, teacher: dict, overwrite: bool = False) -> dict:
    cfg = GenerateConfig.model_validate({"inputs": [records], "num_blocks": 2, "teacher": teacher})
    return run_generate(plan_generate(cfg, str(output), overwrite=overwrite))


def _http(stub: StubTeacher, tmp_path: Path, **updates) -> dict:
    model = {"kind": "http", "base_url": stub.base_url, "model": "stub-teacher", "backoff_s": 0, "concurrency": 3}
    return {"model": model, "cache_dir": str(tmp_path / "cache"), **updates}


def _pseudo_rows(output: Path) -> list[dict]:
    rows = [
        row
        for split in ("held_in", "held_out")
        for f in sorted((output / split).glob("*.parquet"))
        for row in pq.read_table(f).to_pylist()
    ]
    return [row for row in rows if row["label_kind"] == "pseudo"]


def test_http_teacher_labels_rejects_retries_and_caches(ray_local, records, tmp_path) -> None:
    with StubTeacher(scripted, failures=[429, 500]) as stub:
        first = _generate(records, tmp_path / "out", _http(stub, tmp_path))
        assert len(stub.requests) == PAIRS + 2 and stub.answered() == PAIRS  # two retried
        assert {r["body"]["temperature"] for r in stub.requests} == {0.0}
        # api: chat sends the labelling chat: the few-shot examples as earlier turns, the record last.
        roles = {tuple(m["role"] for m in r["body"]["messages"]) for r in stub.requests}
        assert all(len(turns) >= 3 and turns[-2:] == ("assistant", "user") for turns in roles)
        teacher = first["teacher"]
        assert teacher["totals"] == {
            "pairs": PAIRS,
            "cached": 0,
            "asked": PAIRS,
            "not_asked": 0,
            "failed": 0,
            "answered": PAIRS,
            "accepted": 7,
            "rejected": 4,
        }
        assert {task: c["accepted"] for task, c in teacher["counts"].items()} == ACCEPTED
        assert {task: c["rejected_by_reason"] for task, c in teacher["counts"].items()} == REJECTED
        assert teacher["counts"]["dialogue.turn_intent_labelling"]["accept_rate"] == 1.0
        assert teacher["kind"] == "http" and teacher["base_url"] == stub.base_url and len(teacher["prompts_hash"]) == 32
        assert teacher["prompt_format"] == teacher["identity"]["prompt_format"] == "chat"
        assert first["label_kinds"]["pseudo"] == 7 and first["tasks"]["query.intent_classification"] == {
            "en": {"held_in": 1}
        }
        assert first["task_versions"] == {task: 1 for task in first["tasks"]} and set(ACCEPTED) <= set(first["tasks"])

        rows = {(row["task"], row["record_id"]): row for row in _pseudo_rows(tmp_path / "out")}
        assert len(rows) == 7
        typing = rows["product.title_entity_typing", "p-en-1"]
        assert typing["output"] == "brand: Acme\nproduct type: hoodie\ncolor: red\nmaterial: cotton\nsize: L"
        assert typing["input"] == "Acme red cotton hoodie size L" and typing["atomic"]
        spec = get_task("product.title_entity_typing", label_kind="pseudo")
        assert typing["instruction"] in [
            t.format(label_set="brand, product type, color, material, size") for t in spec.templates["en"]
        ]
        assert typing["prompt"].startswith("Below is an instruction that describes the product entity typing task.")
        assert rows["review.aspect_opinion_extraction", "r-en-1"]["output"] == "battery: lasts long\nstrap: feels cheap"
        assert NER.parse(rows["product.title_entity_typing", "p-zh-1"]["output"])["品牌"] == ["优衣库"]
        assert rows["dialogue.turn_intent_labelling", "d-zh-1"]["output"] == "询问价格"
        assert ("dialogue.turn_intent_labelling", "d-en-2") not in rows

        # The same run again: every answer comes from the cache, nothing is asked, the output is the same.
        asked = len(stub.requests)
        again = _generate(records, tmp_path / "out", _http(stub, tmp_path), overwrite=True)
        assert len(stub.requests) == asked
    assert again["teacher"]["totals"]["cached"] == PAIRS and again["teacher"]["totals"]["asked"] == 0
    assert again["content_hash"] == first["content_hash"]
    assert len(list((tmp_path / "cache").rglob("*.json"))) == PAIRS


def test_budget_then_resume_asks_only_the_rest(ray_local, records, tmp_path) -> None:
    with StubTeacher(scripted) as stub:
        budgeted = _generate(records, tmp_path / "a", _http(stub, tmp_path, max_requests=4))
        assert len(stub.requests) == 4
        totals = budgeted["teacher"]["totals"]
        assert (totals["asked"], totals["not_asked"], totals["cached"]) == (4, PAIRS - 4, 0)
        resumed = _generate(records, tmp_path / "b", _http(stub, tmp_path))
        assert len(stub.requests) == PAIRS
    totals = resumed["teacher"]["totals"]
    assert (totals["asked"], totals["not_asked"], totals["cached"], totals["accepted"]) == (PAIRS - 4, 0, 4, 7)


def test_a_failing_endpoint_is_counted_then_stops_the_run(ray_local, records, tmp_path) -> None:
    def teacher(stub: StubTeacher, **updates) -> dict:
        config = _http(stub, tmp_path, **updates)
        config["model"]["max_retries"] = 1
        return config

    with StubTeacher(scripted, failures=[503] * 1000) as stub:
        tolerated = _generate(records, tmp_path / "a", teacher(stub, max_failed=PAIRS))
        assert len(stub.requests) == 2 * PAIRS
        with pytest.raises(TeacherError, match=r"11 of 11 requests failed \(by reason: \{'http_503': 11\}\)"):
            _generate(records, tmp_path / "b", teacher(stub))
    totals = tolerated["teacher"]["totals"]
    assert (totals["failed"], totals["answered"], totals["accepted"]) == (PAIRS, 0, 0)
    assert tolerated["label_kinds"]["pseudo"] == 0
    assert not list((tmp_path / "cache").rglob("*.json"))  # failures are never cached
    assert not (tmp_path / "b").exists()


def test_local_tiny_teacher_as_an_actor_pool(ray_local, records, tmp_path) -> None:
    from ecomgpt.train.tiny import build_tiny_checkpoint

    model = str(build_tiny_checkpoint(list(SCRIPT) * 4, tmp_path / "tiny", vocab_size=300, seed=0))
    teacher = {
        "model": {"kind": "local", "model": model, "batch_size": 4, "concurrency": 2, "num_cpus": 0.5},
        "max_new_tokens": 8,
        "cache_dir": str(tmp_path / "cache"),
    }
    first = _generate(records, tmp_path / "out", teacher)["teacher"]
    totals = first["totals"]
    assert (totals["pairs"], totals["asked"], totals["answered"]) == (PAIRS, PAIRS, PAIRS)
    assert totals["accepted"] + totals["rejected"] == PAIRS and totals["rejected"] > 0  # random weights
    reasons = {reason for c in first["counts"].values() for reason in c["rejected_by_reason"]}
    assert reasons <= {
        "empty",
        "unparsable",
        "label_not_in_set",
        "type_not_in_set",
        "span_not_in_input",
        "repeated_label",
    }
    assert first["identity"]["kind"] == "local" and first["identity"]["fingerprint"]
    assert first["prompt_format"] == "ecomgpt"  # the tiny tokenizer has no chat template
    assert first["timings"]["labels_per_s"] > 0
    assert len(list((tmp_path / "cache").rglob("*.json"))) == PAIRS
    again = _generate(records, tmp_path / "out", teacher, overwrite=True)["teacher"]
    assert (again["totals"]["cached"], again["totals"]["asked"]) == (PAIRS, 0)
    assert again["counts"] == {task: {**c, "cached": c["asked"], "asked": 0} for task, c in first["counts"].items()}
