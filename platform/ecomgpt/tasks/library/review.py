"""Review tasks: topics, sentiment, ratings, review titles and aspect terms."""

from __future__ import annotations

from ecomgpt.answers import ITEMS
from ecomgpt.records.schema import Review
from ecomgpt.tasks.library._categories import COARSE_CATEGORIES, FINE_CATEGORIES
from ecomgpt.tasks.library._common import (
    LANGS,
    SENTIMENT_LABELS,
    SENTIMENT_SET,
    Vocab,
    candidate_labels,
    category_candidates,
    unique,
)
from ecomgpt.tasks.registry import Draft, TaskInput, register_task
from ecomgpt.tasks.rng import Rng

TOPICS = {
    "en": Vocab(
        [
            "quality",
            "price",
            "shipping",
            "size",
            "appearance",
            "material",
            "comfort",
            "service",
            "packaging",
            "performance",
            "durability",
            "color",
            "scent",
            "ease of use",
            "battery",
        ]
    ),
    "zh": Vocab(
        [
            "质量",
            "价格",
            "物流",
            "尺码",
            "外观",
            "材质",
            "舒适度",
            "服务",
            "包装",
            "性能",
            "耐用性",
            "颜色",
            "气味",
            "效果",
            "安全性",
        ]
    ),
}
# Leaf categories of reviewed products: the shared fine vocabulary plus the departments and
# categories review datasets use (clothing departments, the ten-category Chinese review corpus).
PRODUCT_CATEGORIES = {
    "en": Vocab(FINE_CATEGORIES["en"].labels + ("Tops", "Bottoms", "Intimates", "Jackets", "Novels", "Tablets")),
    "zh": Vocab(FINE_CATEGORIES["zh"].labels + ("书籍", "平板", "水果", "热水器", "计算机", "酒店", "衣服")),
}
RATINGS = ("1", "2", "3", "4", "5")
RATING_SET = ITEMS.render(RATINGS)


def sentiment_input(text: str, lang: str) -> TaskInput:
    """review.sentiment_classification: the review, with the sentiment labels of `lang` as candidates."""
    return TaskInput(text, {"label_set": SENTIMENT_SET[lang]})


def sentiment_of(label: str, lang: str) -> str | None:
    """The sentiment (`positive`, `negative`, `neutral`) a sentiment label of `lang` names, else None."""
    return next((key for key, name in SENTIMENT_LABELS[lang].items() if name == label), None)


def _sentiment(r: Review) -> str | None:
    """The labelled sentiment, else the one a star rating implies."""
    if r.sentiment is not None:
        return r.sentiment
    if r.rating is None:
        return None
    return "positive" if r.rating >= 4 else "negative" if r.rating <= 2 else "neutral"


def _terms_in_text(r: Review, category: str | None = None) -> list[str]:
    """Aspect terms found verbatim in the review, in text order (optionally of one category)."""
    text = r.text
    found = []
    for aspect in r.aspects:
        if aspect.term and (category is None or aspect.category == category):
            position = text.find(aspect.term)
            if position >= 0:
                found.append((position, aspect.term))
    found.sort()
    return unique(term for _, term in found)


@register_task(
    "review.topic_classification",
    data_type="review",
    paradigm="CLS",
    langs=LANGS,
    definition="review topic classification",
    templates={
        "en": [
            "Select topics for the above review from the following: {label_set}.",
            "Which of these aspects does the review above talk about? Candidates: {label_set}.",
            "Classify the review above into one or more of the topics {label_set}.",
        ],
        "zh": [
            "从以下主题中为上述评论选择类别：{label_set}。",
            "上面的评论谈到了哪些方面？候选：{label_set}。",
            "将上述评论归入以下一个或多个主题：{label_set}。",
        ],
    },
)
def topic_classification(r: Review, rng: Rng) -> list[Draft]:
    gold = unique(aspect.category for aspect in r.aspects)
    if not gold:
        return []
    labels = candidate_labels(rng, gold, max(2, 5 - len(gold)), TOPICS[r.lang])
    return [Draft(r.text, ITEMS.render(gold), {"label_set": ITEMS.render(labels)})]


@register_task(
    "review.sentiment_classification",
    data_type="review",
    paradigm="CLS",
    langs=LANGS,
    definition="review sentiment classification",
    templates={
        "en": [
            "What is the sentiment of the review above? Options: {label_set}.",
            "Classify the sentiment polarity of the above review as one of: {label_set}.",
            "Judge the overall sentiment of the review above. Candidates: {label_set}.",
        ],
        "zh": [
            "上述评论的情感倾向是什么？选项：{label_set}。",
            "将上面评论的情感极性分类为以下之一：{label_set}。",
            "判断上述评论的整体情感。候选：{label_set}。",
        ],
    },
)
def sentiment_classification(r: Review, rng: Rng) -> list[Draft]:
    sentiment = _sentiment(r)
    if sentiment is None:
        return []
    return [sentiment_input(r.text, r.lang).draft(SENTIMENT_LABELS[r.lang][sentiment])]


@register_task(
    "review.aspect_sentiment_classification",
    data_type="review",
    paradigm="CLS",
    langs=LANGS,
    definition="aspect sentiment classification",
    templates={
        "en": [
            'What is the sentiment of the review above towards "{aspect}"? Options: {label_set}.',
            'Classify the opinion the reviewer expresses about "{aspect}" as one of: {label_set}.',
            'How does the review above judge "{aspect}"? Candidates: {label_set}.',
        ],
        "zh": [
            "上述评论对“{aspect}”的情感倾向是什么？选项：{label_set}。",
            "判断评论者对“{aspect}”表达的观点属于：{label_set}。",
            "上面的评论如何评价“{aspect}”？候选：{label_set}。",
        ],
    },
)
def aspect_sentiment_classification(r: Review, rng: Rng) -> list[Draft]:
    # An aspect named twice with different sentiments has no single answer.
    polarity: dict[str, set[str]] = {}
    for aspect in r.aspects:
        if aspect.sentiment is not None:
            polarity.setdefault(aspect.term or aspect.category, set()).add(aspect.sentiment)
    eligible = [name for name, sentiments in polarity.items() if len(sentiments) == 1]
    if not eligible:
        return []
    name = rng.choice(eligible)
    (sentiment,) = polarity[name]
    fields = {"aspect": name, "label_set": SENTIMENT_SET[r.lang]}
    return [Draft(r.text, SENTIMENT_LABELS[r.lang][sentiment], fields)]


@register_task(
    "review.rating_prediction",
    data_type="review",
    paradigm="CLS",
    langs=LANGS,
    definition="review rating prediction",
    templates={
        "en": [
            "Predict the star rating (1 to 5) the customer gave with the review above. Candidates: {label_set}.",
            "How many stars does the reviewer above give the product? Options: {label_set}.",
            "Rate the review above on a scale from 1 (worst) to 5 (best). Choose from: {label_set}.",
        ],
        "zh": [
            "预测上述评论对应的星级评分（1到5）。候选：{label_set}。",
            "上面的评论者给商品打了几星？选项：{label_set}。",
            "按1（最差）到5（最好）为上述评论评分，从以下选项中选择：{label_set}。",
        ],
    },
)
def rating_prediction(r: Review, rng: Rng) -> list[Draft]:
    if r.rating is None:
        return []
    return [Draft(r.text, RATINGS[r.rating - 1], {"label_set": RATING_SET})]


@register_task(
    "review.title_generation",
    data_type="review",
    paradigm="Generate",
    langs=LANGS,
    definition="review title generation",
    templates={
        "en": [
            "Write a short title for the review above.",
            "Summarize the review above in one headline.",
            "Generate a review title that captures the main point of the above review.",
        ],
        "zh": [
            "为上述评论写一个简短的标题。",
            "用一句话标题概括上面的评论。",
            "生成一个能概括上述评论要点的评论标题。",
        ],
    },
)
def title_generation(r: Review, rng: Rng) -> list[Draft]:
    if not r.title or r.title == r.text:
        return []
    return [Draft(r.text, r.title)]


@register_task(
    "review.aspect_term_extraction",
    data_type="review",
    paradigm="Extract",
    langs=LANGS,
    definition="aspect term extraction",
    templates={
        "en": [
            "Extract the aspect terms the review above comments on.",
            "Which words of the review above name the product aspects being evaluated? List them.",
            "Find all opinion targets in the review above.",
        ],
        "zh": [
            "抽取上述评论中被评价的方面词。",
            "上面的评论中哪些词语指出了被评价的商品方面？请列出。",
            "找出上述评论中所有的评价对象。",
        ],
    },
)
def aspect_term_extraction(r: Review, rng: Rng) -> list[Draft]:
    terms = _terms_in_text(r)
    if not terms:
        return []
    return [Draft(r.text, ITEMS.render(terms))]


@register_task(
    "review.category_aspect_term_extraction",
    data_type="review",
    paradigm="Condition_Extract",
    langs=LANGS,
    definition="aspect term extraction by category",
    templates={
        "en": [
            'Extract the words of the review above that talk about "{category}".',
            'Which terms in the review above refer to the aspect "{category}"?',
            "Find the opinion targets about {category} in the review above.",
        ],
        "zh": [
            "抽取上述评论中涉及“{category}”的词语。",
            "上面评论中哪些词指的是“{category}”方面？",
            "找出上述评论中关于{category}的评价对象。",
        ],
    },
)
def category_aspect_term_extraction(r: Review, rng: Rng) -> list[Draft]:
    text = r.text
    categories = unique(a.category for a in r.aspects if a.term and a.term in text)
    if not categories:
        return []
    category = rng.choice(categories)
    return [Draft(text, ITEMS.render(_terms_in_text(r, category)), {"category": category})]


@register_task(
    "review.product_category_classification",
    data_type="review",
    paradigm="CLS",
    langs=LANGS,
    definition="review product category classification",
    templates={
        "en": [
            "Which product category is the review above about? Candidates: {label_set}.",
            "Classify the product reviewed above into one of: {label_set}.",
            "Select the category of the reviewed product from: {label_set}.",
        ],
        "zh": [
            "上述评论针对的是哪个品类的商品？候选：{label_set}。",
            "将上面评论的商品归入以下类目之一：{label_set}。",
            "从以下类目中选择被评论商品的类目：{label_set}。",
        ],
    },
)
def product_category_classification(r: Review, rng: Rng) -> list[Draft]:
    category = r.product_category
    found = category and category_candidates(rng, category, COARSE_CATEGORIES[r.lang], PRODUCT_CATEGORIES[r.lang])
    if not found:
        return []
    gold, labels = found
    return [Draft(r.text, gold, {"label_set": ITEMS.render(labels)})]
