"""Golden examples and edge cases of the query tasks."""

from __future__ import annotations

import pytest

from ecomgpt.records.schema import Candidate, Query
from ecomgpt.tasks.registry import get_task, tasks_for
from ecomgpt.tasks.rng import Rng
from tests.tasks.golden import Case, Golden, check_case
from tests.tasks.samples import QUERY_EN, QUERY_ZH

ANKER = "Anker 20W USB C Charger"
WINDOW = "新豪轩铝合金落地窗断桥铝平开窗"

CASES = [
    Case(
        "query.query_item_matching",
        QUERY_EN,
        [Golden("Query: usb c charger\nDoc: USB C Cable 2m", "not match", {"label_set": "match, not match"})],
    ),
    Case(
        "query.query_item_matching",
        QUERY_EN,
        [Golden(f"Query: usb c charger\nDoc: {ANKER}", "match", {"label_set": "match, not match"})],
        seed=1,
    ),
    Case(
        "query.query_item_matching",
        QUERY_ZH,
        [Golden(f"Query: 大落地窗\nDoc: {WINDOW}", "匹配", {"label_set": "匹配, 不匹配"})],
    ),
    Case(
        "query.query_item_matching",
        QUERY_ZH,
        [Golden("Query: 大落地窗\nDoc: 冲凉房防滑垫浴室地垫", "不匹配", {"label_set": "匹配, 不匹配"})],
        seed=5,
    ),
    Case(
        "query.relevance_classification",
        QUERY_EN,
        [
            Golden(
                f"Query: usb c charger\nDoc: {ANKER}",
                "exact",
                {"label_set": "exact, substitute, complement, irrelevant"},
            )
        ],
    ),
    Case(
        "query.relevance_classification",
        QUERY_ZH,
        [
            Golden(
                "Query: 大落地窗\nDoc: 冲凉房防滑垫浴室地垫", "不相关", {"label_set": "完全相关, 可替代, 互补, 不相关"}
            )
        ],
    ),
    Case(
        "query.product_selection",
        QUERY_EN,
        [
            Golden(
                "Query: usb c charger\nCandidates:\n1. USB C Cable 2m\n2. Lightning Charger for iPhone\n"
                f"3. {ANKER}\n4. Wireless Mouse",
                ANKER,
            )
        ],
    ),
    Case(
        "query.product_selection",
        QUERY_ZH,
        [Golden(f"Query: 大落地窗\nCandidates:\n1. 冲凉房防滑垫浴室地垫\n2. 落地窗窗帘遮光布\n3. {WINDOW}", WINDOW)],
    ),
    Case(
        "query.category_classification",
        QUERY_EN,
        [
            Golden(
                "usb c charger",
                "Mobiles and Accessories",
                {"label_set": "Footwear, Baby & Toys, Pet Supplies, Mobiles and Accessories, Sports and Fitness"},
            )
        ],
    ),
    Case(
        "query.category_classification",
        QUERY_ZH,
        [Golden("大落地窗", "家居家装", {"label_set": "汽车用品, 图书音像, 家居家装, 办公文具, 大百货"})],
    ),
    Case("query.query_generation", QUERY_EN, [Golden(ANKER, "usb c charger")]),
    Case("query.query_generation", QUERY_ZH, [Golden(WINDOW, "大落地窗")]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_golden(case: Case) -> None:
    check_case(case)


def _run(task: str, query: Query, seed: int = 0) -> list:
    return list(get_task(task).fn(query, Rng(seed, task)))


def _query(*relevances: str, category: str | None = None) -> Query:
    items = [Candidate(title=f"item {i}", relevance=r) for i, r in enumerate(relevances)]
    return Query(record_id="q", source="test", lang="en", query="phone case", items=items, category=category)


def test_tasks_needing_an_exact_item_or_a_category_give_nothing_without() -> None:
    no_exact = _query("substitute", "irrelevant")
    for task in ("query.product_selection", "query.query_generation", "query.category_classification"):
        assert _run(task, no_exact) == [], task
    # Matching and relevance work from any labelled item.
    assert _run("query.query_item_matching", no_exact)[0].output == "not match"
    assert _run("query.relevance_classification", no_exact)


def test_product_selection_needs_a_non_exact_item() -> None:
    assert _run("query.product_selection", _query("exact", "exact")) == []


def test_product_selection_shows_one_exact_item_among_at_most_four() -> None:
    query = _query("exact", "exact", "substitute", "complement", "irrelevant", "irrelevant", "substitute")
    for seed in range(30):
        (draft,) = _run("query.product_selection", query, seed)
        shown = [line.split(". ", 1)[1] for line in draft.input.split("\n")[2:]]
        exact = [title for title in shown if title in ("item 0", "item 1")]
        assert 2 <= len(shown) <= 4 and exact == [draft.output]


def test_item_matching_draws_both_answers_from_skewed_lists() -> None:
    query = _query("exact", "exact", "exact", "exact", "exact", "irrelevant")
    outputs = [_run("query.query_item_matching", query, seed)[0].output for seed in range(200)]
    assert 60 < outputs.count("not match") < 140


def test_every_task_handles_a_single_item() -> None:
    for spec in tasks_for("query"):
        for relevance in ("exact", "irrelevant"):
            drafts = spec.fn(_query(relevance, category="Phones"), Rng(0, spec.name))
            assert all(draft.output for draft in drafts), spec.name
