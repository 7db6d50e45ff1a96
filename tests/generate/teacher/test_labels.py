"""The teacher stage's plain functions: requests, the answer cache, grounding into examples, and the counts."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ecomgpt.generate.teacher.cache import AnswerCache, TeacherIdentity, entry_key, teacher_id
from ecomgpt.generate.teacher.labels import NOT_ASKED, label_rows, make_requests, smallest_per_task
from ecomgpt.hashing import stable_hex128
from ecomgpt.records.ingest import Reject
from ecomgpt.records.schema import Product, Review
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.pseudo.registry import labelling_of, prompt_messages
from ecomgpt.tasks.registry import get_task

IDENTITY = TeacherIdentity("http", "m", 0.0, "chat", api="chat")
TYPING = get_task("product.title_entity_typing", label_kind="pseudo")
OPINIONS = get_task("review.aspect_opinion_extraction", label_kind="pseudo")
TASKS = {"product": [TYPING], "review": [OPINIONS]}
PRODUCTS = [Product(record_id=f"p{i}", source="raw", lang="en", title=f"Acme red hoodie {i}") for i in range(6)]
REVIEW = Review(record_id="r", source="raw", lang="en", text="The strap feels cheap.")


def test_cache_keys_and_entries(tmp_path) -> None:
    key = entry_key(IDENTITY, "prompt", 16)
    # The identity is spelled as it always was, so the answers already cached keep their keys.
    spelled = {"kind": "http", "model": "m", "api": "chat", "temperature": 0.0, "prompt_format": "chat"}
    assert key == stable_hex128(json.dumps(spelled, sort_keys=True), "prompt", 16)
    local = TeacherIdentity("local", "/m", 0.0, "ecomgpt", dtype="auto", fingerprint=[["a", 1]])
    assert local.as_dict() == {
        "kind": "local",
        "model": "/m",
        "dtype": "auto",
        "temperature": 0.0,
        "prompt_format": "ecomgpt",
        "fingerprint": [["a", 1]],
    }
    assert (
        len(
            {
                key,
                entry_key(IDENTITY, "prompt!", 16),
                entry_key(IDENTITY, "prompt", 32),
                entry_key(replace(IDENTITY, model="n"), "prompt", 16),
            }
        )
        == 4
    )
    cache = AnswerCache(str(tmp_path), IDENTITY)
    assert cache.get(key) is None
    cache.put(key, "brand: Acme", "product.title_entity_typing")
    assert cache.get(key) == "brand: Acme"
    assert (tmp_path / teacher_id(IDENTITY) / key[:2] / f"{key}.json").is_file()
    assert AnswerCache(str(tmp_path), replace(IDENTITY, temperature=0.7)).get(key) is None  # another teacher
    (tmp_path / teacher_id(IDENTITY) / key[:2] / f"{key}.json").write_text("{not json")
    with pytest.raises(ValueError, match=f"teacher cache entry .*{key}.json is corrupt"):
        cache.get(key)


def test_requests_skip_rejects_and_records_with_nothing_to_ask() -> None:
    reject = Reject("raw", "f.jsonl", "line 3", "invalid_json", "", "{")
    short = Review(record_id="s", source="raw", lang="en", text="ok")  # too short for aspect-opinion pairs
    rows = make_requests([reject, *PRODUCTS, REVIEW, short], TASKS, 0, IDENTITY)
    assert [(r["task"], r["record_id"]) for r in rows] == [
        *(("product.title_entity_typing", p.record_id) for p in PRODUCTS),
        ("review.aspect_opinion_extraction", "r"),
    ]
    assert rows == make_requests([*PRODUCTS, REVIEW], TASKS, 0, IDENTITY)
    assert rows[0]["_key"] != make_requests(PRODUCTS, TASKS, 1, IDENTITY)[0]["_key"]  # keys follow the seed
    assert rows[0]["max_new_tokens"] == labelling_of(TYPING).max_new_tokens
    assert rows[0]["cache_key"] == entry_key(IDENTITY, rows[0]["prompt"], labelling_of(TYPING).max_new_tokens)
    assert make_requests(PRODUCTS, TASKS, 0, IDENTITY, max_new_tokens=8)[0]["max_new_tokens"] == 8
    # The prompt format shapes every prompt and is part of the identity: no answer of one serves the other.
    platform = make_requests(PRODUCTS, TASKS, 0, replace(IDENTITY, prompt_format="ecomgpt"))
    assert prompt_messages(rows[0]["prompt"])[-1]["content"].endswith(f"\n\nInput: {PRODUCTS[0].title}")
    assert platform[0]["prompt"].endswith("### Response:") and platform[0]["_key"] == rows[0]["_key"]
    assert not {r["cache_key"] for r in platform} & {r["cache_key"] for r in rows}
    kept = smallest_per_task(rows, 2)
    assert sorted(r["_key"] for r in kept if r["task"] == TYPING.name) == sorted(r["_key"] for r in rows[:6])[:2]
    assert smallest_per_task(rows, None) == rows


def _answered(row: dict, answer: str, *, cached: bool = False, failure: str = "") -> dict:
    return {**row, "answer": answer, "cached": cached, "failure": failure}


def test_label_rows_counts_every_outcome() -> None:
    rows = make_requests([*PRODUCTS, REVIEW], TASKS, 0, IDENTITY)
    title = lambda i: PRODUCTS[i].title
    batch = [
        _answered(rows[0], "brand: Acme\ncolor: red", cached=True),  # accepted from the cache
        _answered(rows[1], "brand: Acme"),  # accepted
        _answered(rows[2], "brand: Nike"),  # span_not_in_input
        _answered(rows[3], "", failure="http_503"),
        _answered(rows[4], "", failure=NOT_ASKED),
        _answered(rows[5], f"brand: {title(5)}"),  # accepted, then contaminated below
        _answered(rows[6], "strap: feels cheap"),
    ]
    examples, dropped, counts = label_rows(
        batch, {t.name: t for t in (TYPING, OPINIONS)}, 0, RenderOptions(), lambda text: text == title(5)
    )
    typing = counts[TYPING.name].to_dict()
    assert typing == {
        "pairs": 6,
        "cached": 1,
        "asked": 4,
        "not_asked": 1,
        "failed": 1,
        "failed_by_reason": {"http_503": 1},
        "answered": 4,
        "accepted": 3,
        "rejected": 1,
        "rejected_by_reason": {"span_not_in_input": 1},
        "contaminated": 1,
        "accept_rate": 0.75,
    }
    assert [e["record_id"] for e in examples] == ["p0", "p1", "r"] and [e["record_id"] for e in dropped] == ["p5"]
    first = examples[0]
    assert first["output"] == "brand: Acme\nproduct type: None\ncolor: red\nmaterial: None\nsize: None"
    assert (first["label_kind"], first["atomic"], first["_key"]) == ("pseudo", True, rows[0]["_key"])
    doubled = (counts[TYPING.name] + counts[TYPING.name]).to_dict()
    assert doubled == {**typing, **{k: 2 * v for k, v in typing.items() if isinstance(v, int)}} | {
        "failed_by_reason": {"http_503": 2},
        "rejected_by_reason": {"span_not_in_input": 2},
    }
