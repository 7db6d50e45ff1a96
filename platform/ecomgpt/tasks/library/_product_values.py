"""What product tasks read off a record or draw for it: the attributes a title states, the finest category,
attribute names to draw distractors from, and a changed value (brand, colour, number) for a negative.
"""

from __future__ import annotations

import re

from ecomgpt.records.schema import Product
from ecomgpt.tasks.library._common import LANGS, Vocab, norm
from ecomgpt.tasks.rng import Rng

# Distinct in meaning on purpose (no material/fabric, capacity/net content): a distractor must never
# be a right answer. Names that contain one another are kept apart by `candidate_labels`.
ATTRIBUTE_NAMES = {
    "en": Vocab(
        [
            "color",
            "material",
            "size",
            "pattern",
            "style",
            "sleeve length",
            "neck type",
            "occasion",
            "model number",
            "ideal for",
            "closure",
            "heel height",
            "season",
        ]
    ),
    "zh": Vocab(
        [
            "颜色",
            "材质",
            "尺码",
            "图案",
            "风格",
            "袖长",
            "领型",
            "适用场景",
            "型号",
            "适用对象",
            "闭合方式",
            "鞋跟高度",
            "适用季节",
        ]
    ),
}
# Replacement values for the negatives of item alignment and title-attribute matching.
BRANDS = {
    "en": Vocab(
        [
            "Samsung",
            "Nike",
            "Philips",
            "Sony",
            "Adidas",
            "Puma",
            "Lenovo",
            "Dell",
            "Prestige",
            "Titan",
            "Fastrack",
            "Levi's",
            "Maybelline",
            "Lakme",
            "Bosch",
        ]
    ),
    "zh": Vocab(
        [
            "小米",
            "华为",
            "美的",
            "海尔",
            "李宁",
            "安踏",
            "兰芝",
            "欧莱雅",
            "格力",
            "九阳",
            "苏泊尔",
            "南极人",
            "恒源祥",
            "波司登",
            "罗莱",
        ]
    ),
}
COLORS = {
    "en": Vocab(
        [
            "black",
            "white",
            "red",
            "blue",
            "green",
            "yellow",
            "pink",
            "grey",
            "brown",
            "purple",
            "orange",
            "beige",
            "navy",
            "silver",
            "gold",
        ]
    ),
    "zh": Vocab(
        [
            "黑色",
            "白色",
            "红色",
            "蓝色",
            "绿色",
            "黄色",
            "粉色",
            "灰色",
            "棕色",
            "紫色",
            "橙色",
            "米色",
            "藏青色",
            "银色",
            "金色",
        ]
    ),
}
BRAND_NAME = {"en": "brand", "zh": "品牌"}
_BRAND_NAMES = frozenset(("brand", "brand name", "品牌", "品牌名称"))
_COLOR_WORDS = {lang: frozenset(label.lower() for label in COLORS[lang].labels) for lang in LANGS}
_NUMBER = re.compile(r"[0-9]+")


def in_title(p: Product) -> list[tuple[int, str, str]]:
    """(position, name, value) of each attribute whose value occurs verbatim in the title, in title order."""
    title = p.title
    found = []
    for attribute in p.attributes:
        position = title.find(attribute.value)
        if position >= 0:
            found.append((position, attribute.name, attribute.value))
    found.sort()
    return found


def attribute_pairs(p: Product) -> list[tuple[str, str]]:
    return [(a.name, a.value) for a in p.attributes]


def leaf_category(p: Product) -> str | None:
    """The finest category, unless it is the title itself (some catalogue trees end with the
    product name, which would make the answer a copy of the input)."""
    if not p.category or p.category[-1].lower() == p.title.lower():
        return None
    return p.category[-1]


def _draw_other(rng: Rng, value: str, vocab: Vocab) -> str:
    """A vocabulary label different from `value` (vocabularies hold many labels, so this ends fast)."""
    key = norm(value)
    while True:
        index = rng.randrange(len(vocab))
        if vocab.keys[index] != key:
            return vocab.labels[index]


def can_change(name: str, value: str, lang: str) -> bool:
    """Whether `changed_value` can make a different value: brands, colours and numbers."""
    return name.lower() in _BRAND_NAMES or value.lower() in _COLOR_WORDS[lang] or _NUMBER.search(value) is not None


def changed_value(name: str, value: str, lang: str, rng: Rng) -> str | None:
    """A plausible but different value for the same attribute, or None when none can be made."""
    if name.lower() in _BRAND_NAMES:
        return _draw_other(rng, value, BRANDS[lang])
    if value.lower() in _COLOR_WORDS[lang]:
        new = _draw_other(rng, value, COLORS[lang])
        return new.capitalize() if value[:1].isupper() else new
    match = _NUMBER.search(value)
    if match is None:
        return None
    digits = match.group()
    return f"{value[: match.start()]}{str(int(digits) + 1).zfill(len(digits))}{value[match.end() :]}"
