"""Product tasks: attribute values and names, titles, categories, brands and item alignment.

Span answers only use values that occur verbatim in the title, so every answer can be read off the
input. Yes/no and same/not-same tasks only use records that could give either answer, and draw the
answer with even odds, so the two answers stay balanced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ecomgpt.answers import ITEMS, NER
from ecomgpt.records.schema import Product
from ecomgpt.tasks.library._categories import COARSE_CATEGORIES, FINE_CATEGORIES
from ecomgpt.tasks.library._common import LANGS, YES_NO_SET, Draws, candidate_labels, render_pairs, unique, yes_no
from ecomgpt.tasks.library._product_values import (
    ATTRIBUTE_NAMES,
    BRAND_NAME,
    attribute_pairs,
    can_change,
    changed_value,
    in_title,
    leaf_category,
)
from ecomgpt.tasks.registry import Draft, TaskInput, register_task
from ecomgpt.tasks.rng import Rng

ALIGN_LABELS = {"en": ("same", "not same"), "zh": ("相同", "不相同")}
ALIGN_SET = {lang: ITEMS.render(labels) for lang, labels in ALIGN_LABELS.items()}
_TITLE_SEP = {"en": " ", "zh": ""}


def facts(attributes: Sequence[tuple[str, str]], brand: str | None, lang: str) -> list[tuple[str, str]]:
    """Attribute pairs plus the brand, unless an attribute already carries it."""
    pairs = list(attributes)
    if brand and all(value != brand for _, value in pairs):
        pairs.append((BRAND_NAME[lang], brand))
    return pairs


def product_text(title: str, attributes: Sequence[tuple[str, str]], lang: str) -> str:
    """Title, tab, attributes: the input layout of the OpenBG category held-out set."""
    return f"{title}\t{render_pairs(attributes, lang)}" if attributes else title


def attribute_extraction_input(title: str, types: Sequence[str]) -> TaskInput:
    """product.attribute_extraction: the title, asked for the values of `types`."""
    return TaskInput(title, {"label_set": ITEMS.render(types)})


def category_input(
    title: str, attributes: Sequence[tuple[str, str]], lang: str, candidates: Sequence[str]
) -> TaskInput:
    """product.coarse_category_classification and product.fine_category_classification."""
    return TaskInput(product_text(title, attributes, lang), {"label_set": ITEMS.render(candidates)})


def title_generation_input(attributes: Sequence[tuple[str, str]], brand: str | None, lang: str) -> TaskInput:
    """product.title_generation: the attributes and the brand as one line."""
    return TaskInput(render_pairs(facts(attributes, brand, lang), lang))


@register_task(
    "product.attribute_value_detection",
    data_type="product",
    paradigm="Condition_Extract",
    langs=LANGS,
    definition="attribute value detection",
    templates={
        "en": [
            "Detect all attribute values about {attribute} in the product title above.",
            "Find the words of the title above that give the product's {attribute}. List them separated by commas.",
            "Extract the values of {attribute} from the product title above.",
        ],
        "zh": [
            "检测上述商品标题中关于{attribute}的所有属性值。",
            "从上面的商品标题中抽取{attribute}的属性值。",
            "给定属性{attribute}，找出上述标题中对应的属性值，多个值用逗号分隔。",
        ],
    },
)
def attribute_value_detection(p: Product, rng: Rng) -> list[Draft]:
    found = in_title(p)
    names = unique(name for _, name, _ in found)
    if not names:
        return []
    chosen = rng.sample(names, 1 + rng.randrange(min(2, len(names))))
    values = unique(value for _, name, value in found if name in chosen)
    return [Draft(p.title, ITEMS.render(values), {"attribute": ITEMS.render(chosen)})]


@register_task(
    "product.attribute_name_classification",
    data_type="product",
    paradigm="CLS",
    langs=LANGS,
    definition="attribute name classification",
    templates={
        "en": [
            'Which attribute does "{value}" describe in the product title above? Candidates: {label_set}.',
            'Classify the attribute of the value "{value}" in the title above. Choose from: {label_set}.',
            'In the above product title, "{value}" is the value of which attribute? Options: {label_set}.',
        ],
        "zh": [
            "上述商品标题中的“{value}”描述的是哪个属性？候选：{label_set}。",
            "判断属性值“{value}”在上面标题中所属的属性名。选项：{label_set}。",
            "在上述商品标题中，“{value}”是哪个属性的值？请从以下属性中选择：{label_set}。",
        ],
    },
)
def attribute_name_classification(p: Product, rng: Rng) -> list[Draft]:
    found = in_title(p)
    # A value shared by two attribute names has no single right answer.
    owners: dict[str, set[str]] = {}
    for _, name, value in found:
        owners.setdefault(value, set()).add(name)
    eligible = [(name, value) for _, name, value in found if len(owners[value]) == 1]
    if not eligible:
        return []
    name, value = rng.choice(eligible)
    # The product's own other attribute names are the hardest distractors; skip any whose value
    # overlaps this one, since it could then be right as well.
    own = unique(a.name for a in p.attributes if a.name != name and value not in a.value and a.value not in value)
    labels = candidate_labels(rng, [name], 3, ATTRIBUTE_NAMES[p.lang], own)
    return [Draft(p.title, name, {"value": value, "label_set": ITEMS.render(labels)})]


@register_task(
    "product.title_generation",
    data_type="product",
    paradigm="Generate",
    langs=LANGS,
    definition="product title generation",
    templates={
        "en": [
            "Generate a product title based on the above attribute information.",
            "Write a concise product title for an item with the attributes above.",
            "Compose a search-friendly product title from the attributes listed above.",
        ],
        "zh": [
            "根据上述属性信息生成商品标题。",
            "请为具有以上属性的商品写一个简洁的标题。",
            "利用上面列出的商品属性，撰写一个商品标题。",
        ],
    },
)
def title_generation(p: Product, rng: Rng) -> list[Draft]:
    if len(facts(attribute_pairs(p), p.brand, p.lang)) < 2:
        return []
    return [title_generation_input(attribute_pairs(p), p.brand, p.lang).draft(p.title)]


_CATEGORY_TEMPLATES = {
    "coarse": {
        "en": [
            "Categorize the product above into one of the following coarse categories: {label_set}.",
            "Which top-level category does the above product belong to? Candidates: {label_set}.",
            "Select the coarse category for the product above from: {label_set}.",
        ],
        "zh": [
            "将上述商品归入以下一级类目之一：{label_set}。",
            "上面的商品属于哪个一级类目？候选：{label_set}。",
            "从以下粗粒度类目中为上述商品选择类目：{label_set}。",
        ],
    },
    "fine": {
        "en": [
            "Categorize the product above into one of the following fine-grained categories: {label_set}.",
            "Which leaf category does the above product belong to? Candidates: {label_set}.",
            "Select the most specific category for the product above from: {label_set}.",
        ],
        "zh": [
            "将上述商品归入以下细粒度类目之一：{label_set}。",
            "上面的商品属于哪个叶子类目？候选：{label_set}。",
            "从以下类目中为上述商品选择最具体的类目：{label_set}。",
        ],
    },
}


@register_task(
    "product.coarse_category_classification",
    data_type="product",
    paradigm="CLS",
    langs=LANGS,
    definition="product coarse category classification",
    templates=_CATEGORY_TEMPLATES["coarse"],
)
def coarse_category_classification(p: Product, rng: Rng) -> list[Draft]:
    if not p.category:
        return []
    gold = p.category[0]
    labels = candidate_labels(rng, [gold], 4, COARSE_CATEGORIES[p.lang], avoid=p.category[1:])
    return [category_input(p.title, attribute_pairs(p), p.lang, labels).draft(gold)]


@register_task(
    "product.fine_category_classification",
    data_type="product",
    paradigm="CLS",
    langs=LANGS,
    definition="product fine category classification",
    templates=_CATEGORY_TEMPLATES["fine"],
)
def fine_category_classification(p: Product, rng: Rng) -> list[Draft]:
    # A one-level path is the coarse task.
    gold = leaf_category(p) if len(p.category) >= 2 else None
    if gold is None:
        return []
    labels = candidate_labels(rng, [gold], 4, FINE_CATEGORIES[p.lang], avoid=p.category[:-1])
    return [category_input(p.title, attribute_pairs(p), p.lang, labels).draft(gold)]


@register_task(
    "product.brand_extraction",
    data_type="product",
    paradigm="Extract",
    langs=LANGS,
    definition="brand extraction",
    templates={
        "en": [
            "Extract the brand name from the product title above.",
            "Which brand is mentioned in the above title? Copy it from the title.",
            "Find the brand of the product in the title above.",
        ],
        "zh": [
            "从上述商品标题中抽取品牌名。",
            "上面的标题中提到了哪个品牌？请从标题中摘出。",
            "找出上述商品标题中的品牌。",
        ],
    },
)
def brand_extraction(p: Product, rng: Rng) -> list[Draft]:
    brand, title = p.brand, p.title
    if not brand:
        return []
    position = title.find(brand)
    if position < 0:
        lowered = title.lower()
        # Case-insensitive fallback, only where lowering keeps offsets (true for nearly all titles).
        if len(lowered) != len(title):
            return []
        position = lowered.find(brand.lower())
        if position < 0:
            return []
    # The answer is spelled as in the title, so it can be copied from the input.
    return [Draft(title, title[position : position + len(brand)])]


def _item_text(label: str, title: str, pairs: list[tuple[str, str]], lang: str) -> str:
    # "Item 1: title, attributes": the layout of the OpenBG item-alignment held-out set.
    return f"{label}: {title}, {render_pairs(pairs, lang)}"


def _rerendered_title(p: Product, pairs: list[tuple[str, str]]) -> str:
    """A title-like string written from (shuffled) attribute values, as another shop might list the item."""
    parts = [value for _, value in pairs[:4]]
    leaf = leaf_category(p)
    if leaf is not None:
        parts.append(leaf)
    return _TITLE_SEP[p.lang].join(parts)


@register_task(
    "product.item_alignment",
    data_type="product",
    paradigm="CLS",
    langs=LANGS,
    definition="product item alignment",
    templates={
        "en": [
            "Determine whether item 1 and item 2 above refer to the same product. Candidate labels: {label_set}.",
            "Are the two items above the same product? Answer with one of: {label_set}.",
            "Compare the two product listings above and decide if they describe the same item. Options: {label_set}.",
        ],
        "zh": [
            "判断上面的Item 1和Item 2是否指同一商品。候选标签：{label_set}。",
            "上述两个商品是同一款商品吗？请从以下选项中回答：{label_set}。",
            "比较上面的两条商品信息，判断它们是否描述同一商品。选项：{label_set}。",
        ],
    },
)
def item_alignment(p: Product, rng: Rng) -> list[Draft]:
    known = facts(attribute_pairs(p), p.brand, p.lang)
    if len(known) < 2:
        return []
    lang = p.lang
    # Only products that could give either answer take part, which keeps the labels balanced.
    changeable = [i for i, (name, value) in enumerate(known) if can_change(name, value, lang)]
    if not changeable:
        return []
    same = rng.random() < 0.5
    other = list(known)
    if not same:
        index = rng.choice(changeable)
        name, value = known[index]
        # (`changeable` holds only values that changed_value can change)
        other[index] = (name, cast(str, changed_value(name, value, lang, rng)))
    Draws(rng).shuffle(other)
    text = (
        _item_text("Item 1", p.title, known, lang)
        + "\n"
        + _item_text("Item 2", _rerendered_title(p, other), other, lang)
    )
    answer = ALIGN_LABELS[lang][0 if same else 1]
    return [Draft(text, answer, {"label_set": ALIGN_SET[lang]})]


@register_task(
    "product.title_attribute_matching",
    data_type="product",
    paradigm="CLS",
    langs=LANGS,
    definition="title attribute matching",
    templates={
        "en": [
            'Does the attribute "{attribute}: {value}" match the product title above? Options: {label_set}.',
            'Is "{value}" the {attribute} of the product in the title above? Answer with {label_set}.',
            'Check whether the title above says that the product\'s {attribute} is "{value}". Candidates: {label_set}.',
        ],
        "zh": [
            "属性“{attribute}: {value}”与上述商品标题是否相符？选项：{label_set}。",
            "上述标题中商品的{attribute}是“{value}”吗？请回答{label_set}。",
            "判断上面的商品标题是否表明其{attribute}为“{value}”。候选：{label_set}。",
        ],
    },
)
def title_attribute_matching(p: Product, rng: Rng) -> list[Draft]:
    found = in_title(p)
    if not found:
        return []
    _, name, value = rng.choice(found)
    # The wrong value is built first: only pairs that could give either answer take part, which
    # keeps yes and no balanced. Hardest wrong value: another attribute's value from the same title.
    others = [v for _, n, v in found if n != name and v not in value and value not in v]
    wrong: str | None
    if others:
        wrong = rng.choice(others)
    else:
        wrong = changed_value(name, value, p.lang, rng)
        if wrong is None or wrong in p.title:
            return []
    match = rng.random() < 0.5
    fields = {"attribute": name, "value": value if match else wrong, "label_set": YES_NO_SET[p.lang]}
    return [Draft(p.title, yes_no(p.lang, match), fields)]


@register_task(
    "product.attribute_extraction",
    data_type="product",
    paradigm="NER",
    langs=LANGS,
    definition="attribute extraction",
    templates={
        "en": [
            "Extract all attribute values of the types {label_set} from the product title above.",
            "Identify the values of {label_set} in the title above; answer one line per attribute.",
            "For each attribute in {label_set}, list its values found in the product title above.",
        ],
        "zh": [
            "从上述商品标题中抽取以下类型的属性值：{label_set}。",
            "识别上面标题中{label_set}的属性值，每个属性一行。",
            "针对{label_set}中的每个属性，列出它在上述商品标题中的取值。",
        ],
    },
)
def attribute_extraction(p: Product, rng: Rng) -> list[Draft]:
    found = in_title(p)
    if not found:
        return []
    types = unique(name for _, name, _ in found)
    answer = NER.render(types, unique((name, value) for _, name, value in found))
    return [attribute_extraction_input(p.title, types).draft(answer)]
