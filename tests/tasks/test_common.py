"""Candidate lists and label functions shared by the task library."""

from __future__ import annotations

import pytest

from ecomgpt.tasks.library._common import Draws, Vocab, candidate_labels, category_candidates, marks, norm
from ecomgpt.tasks.library.query import category_classification
from ecomgpt.tasks.library.review import product_category_classification
from ecomgpt.tasks.rng import Rng
from tests.tasks.samples import QUERY_EN, REVIEW_ZH

VOCAB = Vocab(
    [
        "Shoes",
        "Running Shoes",
        "Home and Kitchen",
        "Kitchen & Dining",
        "Books",
        "Toys",
        "Grocery",
        "Pet Supplies",
        "Automotive",
        "Cameras",
        "Furniture",
        "Watches",
        "Luggage",
        "Garden",
    ]
)


def test_norm_treats_case_spaces_punctuation_and_ampersands_alike() -> None:
    assert norm("Home & Kitchen") == norm("home and kitchen") == norm("HomeAndKitchen") == norm("home-and-kitchen")
    assert norm("隔离/妆前") == "隔离妆前"


@pytest.mark.parametrize(
    "gold, too_close",
    [
        ("Men's Footwear", {"Shoes", "Running Shoes"}),
        ("Home & Kitchen", {"Home and Kitchen", "Kitchen & Dining"}),
        ("Sports Shoes", {"Shoes", "Running Shoes"}),
        ("Food", {"Grocery"}),
    ],
)
def test_distractors_never_could_be_right(gold: str, too_close: set[str]) -> None:
    for seed in range(200):
        labels = candidate_labels(Rng(seed), [gold], 5, VOCAB)
        assert labels.count(gold) == 1 and len(labels) == 6
        assert not too_close & set(labels)


def test_chinese_synonyms_and_shared_words_are_kept_apart() -> None:
    vocab = Vocab(["价钱", "家居家装", "物流", "图书", "玩具", "宠物用品", "汽车用品", "食品"])
    assert not marks("价格").isdisjoint(marks("价钱"))
    for seed in range(100):
        labels = candidate_labels(Rng(seed), ["价格", "家居厨具"], 3, vocab)
        assert not {"价钱", "家居家装"} & set(labels)


def test_candidates_keep_every_gold_label_and_vary_their_order() -> None:
    gold = ["quality", "price"]
    orders = set()
    for seed in range(50):
        labels = candidate_labels(Rng(seed), gold, 3, VOCAB)
        assert sorted(set(labels) & set(gold)) == sorted(gold) and len(labels) == len(set(labels)) == 5
        orders.add(tuple(labels.index(g) for g in gold))
    assert len(orders) > 5


def test_pool_labels_come_first() -> None:
    for seed in range(30):
        labels = candidate_labels(Rng(seed), ["color"], 2, VOCAB, pool=["size", "pattern"])
        assert set(labels) == {"color", "size", "pattern"}


def test_no_distractors_asked_only_shuffles() -> None:
    assert sorted(candidate_labels(Rng(1), ["b", "a", "c"], 0, VOCAB)) == ["a", "b", "c"]


def test_draws_are_uniform_enough() -> None:
    draws = Draws(Rng(3))
    counts = [0] * 7
    for _ in range(7000):
        counts[draws.below(7)] += 1
    assert all(850 < count < 1150 for count in counts)


def test_path_categories_are_answered_with_their_last_level_among_labels_of_that_level() -> None:
    coarse = Vocab(["Electronics", "Clothing", "Books", "Grocery", "Toys", "Garden", "Automotive"])
    fine = Vocab(["Jeans", "Smartwatches", "Novels", "Tea", "Dolls", "Shovels", "Tyres", "Headphones"])
    for seed in range(50):
        gold, labels = category_candidates(Rng(seed), "Electronics > Smartwatches", coarse, fine)
        assert gold == "Smartwatches" and "Electronics" not in labels and set(labels) <= set(fine.labels)
        gold, labels = category_candidates(Rng(seed), "Clothing", coarse, fine)
        assert gold == "Clothing" and set(labels) <= set(coarse.labels)
    query = QUERY_EN.model_copy(update={"category": "Electronics > Smartwatches"})
    (draft,) = category_classification(query, Rng(0))
    assert draft.output == "Smartwatches" and ">" not in draft.fields["label_set"]
    review = REVIEW_ZH.model_copy(update={"product_category": "数码 > 智能手表"})
    (draft,) = product_category_classification(review, Rng(0))
    assert draft.output == "智能手表" and ">" not in draft.fields["label_set"]


def test_an_empty_category_path_gives_nothing() -> None:
    assert category_classification(QUERY_EN.model_copy(update={"category": ">"}), Rng(0)) == []
    assert product_category_classification(REVIEW_ZH.model_copy(update={"product_category": " > "}), Rng(0)) == []
