"""Golden examples and edge cases of the review tasks."""

from __future__ import annotations

import pytest

from ecomgpt.records.schema import Aspect, Review
from ecomgpt.tasks.registry import get_task, tasks_for
from ecomgpt.tasks.rng import Rng
from tests.tasks.golden import Case, Golden, check_case
from tests.tasks.samples import REVIEW_EN, REVIEW_ZH

EN = REVIEW_EN.text
ZH = REVIEW_ZH.text
SENTIMENTS_EN = "positive, negative, neutral"
SENTIMENTS_ZH = "正面, 负面, 中性"

CASES = [
    Case(
        "review.topic_classification",
        REVIEW_EN,
        [Golden(EN, "material, quality", {"label_set": "scent, material, quality, comfort, ease of use"})],
    ),
    Case(
        "review.topic_classification",
        REVIEW_ZH,
        [Golden(ZH, "物流, 质量, 服务", {"label_set": "物流, 安全性, 质量, 服务, 价格"})],
    ),
    Case("review.sentiment_classification", REVIEW_EN, [Golden(EN, "negative", {"label_set": SENTIMENTS_EN})]),
    # No sentiment label: a 3-star rating reads as neutral.
    Case("review.sentiment_classification", REVIEW_ZH, [Golden(ZH, "中性", {"label_set": SENTIMENTS_ZH})]),
    Case(
        "review.aspect_sentiment_classification",
        REVIEW_EN,
        [Golden(EN, "negative", {"aspect": "zipper", "label_set": SENTIMENTS_EN})],
    ),
    Case(
        "review.aspect_sentiment_classification",
        REVIEW_ZH,
        [Golden(ZH, "正面", {"aspect": "客服", "label_set": SENTIMENTS_ZH})],
    ),
    Case("review.rating_prediction", REVIEW_EN, [Golden(EN, "2", {"label_set": "1, 2, 3, 4, 5"})]),
    Case("review.rating_prediction", REVIEW_ZH, [Golden(ZH, "3", {"label_set": "1, 2, 3, 4, 5"})]),
    Case("review.title_generation", REVIEW_EN, [Golden(EN, "Nice fabric, bad zipper")]),
    Case("review.title_generation", REVIEW_ZH, [Golden(ZH, "屏幕有划痕")]),
    Case("review.aspect_term_extraction", REVIEW_EN, [Golden(EN, "fabric, zipper")]),
    Case("review.aspect_term_extraction", REVIEW_ZH, [Golden(ZH, "物流, 屏幕, 客服")]),
    Case("review.category_aspect_term_extraction", REVIEW_EN, [Golden(EN, "fabric", {"category": "material"})]),
    Case("review.category_aspect_term_extraction", REVIEW_ZH, [Golden(ZH, "物流", {"category": "物流"})]),
    Case(
        "review.product_category_classification",
        REVIEW_EN,
        [Golden(EN, "Jackets", {"label_set": "Jackets, Sneakers, Rings, Bottoms, Coffee Makers"})],
    ),
    Case(
        "review.product_category_classification",
        REVIEW_ZH,
        [Golden(ZH, "手机", {"label_set": "速溶咖啡, 眼霜, 帽子, 手机, 狗粮"})],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_golden(case: Case) -> None:
    check_case(case)


def _run(task: str, review: Review, seed: int = 0) -> list:
    return list(get_task(task).fn(review, Rng(seed, task)))


def test_a_bare_review_gives_nothing() -> None:
    bare = Review(record_id="bare", source="test", lang="en", text="Arrived on time.")
    for spec in tasks_for("review"):
        assert spec.fn(bare, Rng(0, spec.name)) == [], spec.name


@pytest.mark.parametrize(
    "rating, sentiment", [(1, "negative"), (2, "negative"), (3, "neutral"), (4, "positive"), (5, "positive")]
)
def test_sentiment_from_rating(rating: int, sentiment: str) -> None:
    review = REVIEW_EN.model_copy(update={"rating": rating})
    assert _run("review.sentiment_classification", review)[0].output == sentiment


def test_sentiment_label_wins_over_rating() -> None:
    review = REVIEW_EN.model_copy(update={"rating": 1, "sentiment": "positive"})
    assert _run("review.sentiment_classification", review)[0].output == "positive"


def test_aspect_terms_absent_from_the_text_are_skipped() -> None:
    review = REVIEW_EN.model_copy(update={"aspects": [Aspect(category="price", term="cost", sentiment="negative")]})
    assert _run("review.aspect_term_extraction", review) == []
    assert _run("review.category_aspect_term_extraction", review) == []
    # The aspect itself is still a topic and still has a sentiment.
    assert _run("review.topic_classification", review)[0].output == "price"
    assert _run("review.aspect_sentiment_classification", review)[0].output == "negative"


def test_an_aspect_with_two_sentiments_is_not_asked() -> None:
    mixed = [Aspect(category="quality", term="zipper", sentiment=s) for s in ("positive", "negative")]
    review = REVIEW_EN.model_copy(update={"aspects": mixed})
    assert all(_run("review.aspect_sentiment_classification", review, seed) == [] for seed in range(10))


def test_a_title_equal_to_the_text_is_not_a_target() -> None:
    review = REVIEW_EN.model_copy(update={"title": REVIEW_EN.text})
    assert _run("review.title_generation", review) == []
