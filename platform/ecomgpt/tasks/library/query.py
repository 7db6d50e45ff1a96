"""Query tasks: query-item matching and relevance (ESCI), product selection, query category, query writing.

Inputs keep the held-out sets' English field names (`Query:`, `Doc:`) in both languages, as the
Chinese Multi-CPR held-out set does.
"""

from __future__ import annotations

from ecomgpt.answers import ITEMS
from ecomgpt.records.schema import Query
from ecomgpt.tasks.library._categories import COARSE_CATEGORIES, FINE_CATEGORIES
from ecomgpt.tasks.library._common import LANGS, category_candidates
from ecomgpt.tasks.registry import Draft, TaskInput, register_task
from ecomgpt.tasks.rng import Rng

MATCH_LABELS = {"en": ("match", "not match"), "zh": ("匹配", "不匹配")}
MATCH_SET = {lang: ITEMS.render(labels) for lang, labels in MATCH_LABELS.items()}
RELEVANCE_LABELS = {
    "en": {"exact": "exact", "substitute": "substitute", "complement": "complement", "irrelevant": "irrelevant"},
    "zh": {"exact": "完全相关", "substitute": "可替代", "complement": "互补", "irrelevant": "不相关"},
}
RELEVANCE_SET = {lang: ITEMS.render(tuple(labels.values())) for lang, labels in RELEVANCE_LABELS.items()}
MAX_CANDIDATES = 4


def pair_text(query: str, title: str) -> str:
    return f"Query: {query}\nDoc: {title}"


def matching_input(query: str, title: str, lang: str) -> TaskInput:
    """query.query_item_matching: the query and the item title, with the match labels of `lang`."""
    return TaskInput(pair_text(query, title), {"label_set": MATCH_SET[lang]})


def match_of(label: str, lang: str) -> bool | None:
    """True for the match label of `lang`, False for the no-match label, else None."""
    yes, no = MATCH_LABELS[lang]
    return True if label == yes else False if label == no else None


@register_task(
    "query.query_item_matching",
    data_type="query",
    paradigm="CLS",
    langs=LANGS,
    definition="query item matching",
    templates={
        "en": [
            "Determine if the query and the item above match. Candidates: {label_set}.",
            "Does the product above satisfy the search query exactly? Answer with one of: {label_set}.",
            "Judge whether the document above is what the query is looking for. Options: {label_set}.",
        ],
        "zh": [
            "判断上述查询词与商品是否匹配。候选：{label_set}。",
            "上面的商品是否完全满足该搜索查询？请从以下选项中回答：{label_set}。",
            "判断上述文档是否为查询所要找的商品。选项：{label_set}。",
        ],
    },
)
def query_item_matching(q: Query, rng: Rng) -> list[Draft]:
    # Draw the answer first, then an item with it, so sources skewed to "exact" still give negatives.
    exact = [item for item in q.items if item.relevance == "exact"]
    other = [item for item in q.items if item.relevance != "exact"]
    match = bool(exact) and (not other or rng.random() < 0.5)
    item = rng.choice(exact if match else other)
    return [matching_input(q.query, item.title, q.lang).draft(MATCH_LABELS[q.lang][0 if match else 1])]


@register_task(
    "query.relevance_classification",
    data_type="query",
    paradigm="CLS",
    langs=LANGS,
    definition="query item relevance classification",
    templates={
        "en": [
            "Classify the relevance of the item to the query above as one of: {label_set}.",
            "How relevant is the product above to the search query? Options: {label_set}.",
            "Label the query-item pair above with its relevance. Candidates: {label_set}.",
        ],
        "zh": [
            "将上述商品与查询的相关性分类为以下之一：{label_set}。",
            "上面的商品与搜索查询的相关程度如何？选项：{label_set}。",
            "为上述查询-商品对标注相关性。候选：{label_set}。",
        ],
    },
)
def relevance_classification(q: Query, rng: Rng) -> list[Draft]:
    # Draw a relevance level first: candidate lists are dominated by one level.
    levels = list(dict.fromkeys(item.relevance for item in q.items))
    level = rng.choice(levels)
    item = rng.choice([item for item in q.items if item.relevance == level])
    labels = RELEVANCE_LABELS[q.lang]
    return [Draft(pair_text(q.query, item.title), labels[level], {"label_set": RELEVANCE_SET[q.lang]})]


@register_task(
    "query.product_selection",
    data_type="query",
    paradigm="CLS",
    langs=LANGS,
    definition="product selection",
    templates={
        "en": [
            "Select the product from the candidates above that exactly matches the query. Answer with its title.",
            "Which candidate above is exactly what the shopper searched for? Copy its title.",
            "Among the candidate items above, pick the one that satisfies the query and give its title.",
        ],
        "zh": [
            "从上述候选商品中选出与查询完全匹配的商品，回答其标题。",
            "上面哪个候选商品正是用户搜索的商品？请复制它的标题。",
            "在以上候选商品中挑出满足查询的那一个，并给出其标题。",
        ],
    },
)
def product_selection(q: Query, rng: Rng) -> list[Draft]:
    """One exact item among 1-3 non-exact ones; the answer is the exact item's title.

    Only one exact item is shown, so the answer is unique; records need at least one exact and one
    non-exact item with a different title.
    """
    exact = [item for item in q.items if item.relevance == "exact"]
    if not exact:
        return []
    answer = rng.choice(exact).title
    others = list(dict.fromkeys(i.title for i in q.items if i.relevance != "exact" and i.title != answer))
    if not others:
        return []
    shown = rng.sample(others, MAX_CANDIDATES - 1)
    shown.insert(rng.randrange(len(shown) + 1), answer)
    lines = "\n".join(f"{n}. {title}" for n, title in enumerate(shown, 1))
    return [Draft(f"Query: {q.query}\nCandidates:\n{lines}", answer)]


@register_task(
    "query.category_classification",
    data_type="query",
    paradigm="CLS",
    langs=LANGS,
    definition="query category classification",
    templates={
        "en": [
            "Which category does the search query above belong to? Candidates: {label_set}.",
            "Classify the shopping query above into one of: {label_set}.",
            "Predict the product category the shopper above is searching for. Options: {label_set}.",
        ],
        "zh": [
            "上述搜索查询属于哪个类目？候选：{label_set}。",
            "将上面的购物查询归入以下类目之一：{label_set}。",
            "预测上述用户搜索的商品类目。选项：{label_set}。",
        ],
    },
)
def category_classification(q: Query, rng: Rng) -> list[Draft]:
    found = q.category and category_candidates(rng, q.category, COARSE_CATEGORIES[q.lang], FINE_CATEGORIES[q.lang])
    if not found:
        return []
    gold, labels = found
    return [Draft(q.query, gold, {"label_set": ITEMS.render(labels)})]


@register_task(
    "query.query_generation",
    data_type="query",
    paradigm="Generate",
    langs=LANGS,
    definition="query generation",
    templates={
        "en": [
            "Write a search query that a shopper looking for the product above might type.",
            "Generate a short shopping query for which the item above is an exact match.",
            "What would a customer search for to find the product above? Give the query.",
        ],
        "zh": [
            "写出一个想购买上述商品的用户可能输入的搜索词。",
            "为上面的商品生成一个与其完全匹配的简短搜索查询。",
            "顾客会搜索什么词来找到上述商品？请给出查询词。",
        ],
    },
)
def query_generation(q: Query, rng: Rng) -> list[Draft]:
    exact = [item.title for item in q.items if item.relevance == "exact" and item.title != q.query]
    if not exact:
        return []
    return [Draft(rng.choice(exact), q.query)]
