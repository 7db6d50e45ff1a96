"""Product listings: titles with their attribute values written in, prices, and the Product record.

Titles are shared: reviews name the reviewed listing, queries rank candidate listings, dialogues
recommend one.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecomgpt.records.synth.catalog import CATALOGS, LANGS, SOURCE, VOCABULARY, CategoryTable
from ecomgpt.records.synth.draws import LEHMER_MULTIPLIER, MASK128, Draws
from ecomgpt.records.synth.vocabulary import EN, MARKETING_SLOTS, ZH

_TITLES = VOCABULARY.titles
_ATTRIBUTE_VALUES = {text for a in VOCABULARY.attributes.values() for value in a.values for text in value}
_LETTERS = _TITLES.model_code_letters
# Model-code prefixes of one or two letters, less those that would write an attribute value into the code
# ("VA", or "IP" followed by "68").
_CODE_PREFIXES = tuple(
    prefix + separator
    for prefix in list(_LETTERS) + [a + b for a in _LETTERS for b in _LETTERS]
    if not any(v == prefix or (v.startswith(prefix) and v[len(prefix) :].isdigit()) for v in _ATTRIBUTE_VALUES)
    for separator in ("-", "")
)
_N_PREFIXES = len(_CODE_PREFIXES)
_CODE_SUFFIXES = _TITLES.model_code_suffixes
_EN_SEPARATORS = (", ", " - ", " | ", ", ")  # before the attribute values that follow the noun
# a draw below 20 picks a marketing word; past the list it means none (about half the titles)
_MARKETING = tuple(
    tuple(word[lang] for word in _TITLES.marketing_words) + ("",) * (MARKETING_SLOTS - len(_TITLES.marketing_words))
    for lang in (EN, ZH)
)


def listing_title(
    draws: Draws,
    category: CategoryTable,
    lang: int,
    fixed: dict[int, int] | None = None,
    brand: int | None = None,
    attributes: list[dict] | None = None,
) -> tuple[str, str]:
    """(title, brand) of one listing.

    `fixed` maps attribute position -> value index for attributes the title must carry (a query's
    constraints); `brand` fixes the brand's index; `attributes`, when given, receives the {name, value}
    pairs written into the title.
    """
    orders, n_groups, brands, nouns, n_nouns, options, names = category.title_inputs
    draws.state = state = (draws.state * LEHMER_MULTIPLIER) & MASK128  # draws.word(), inline on the hottest path
    word = state >> 64  # about 52 of its 64 bits are spent here, the 26-bit model code last
    group = orders[word % n_groups]
    word //= n_groups
    n = len(group)
    chosen: Sequence[int] = group[word % n]
    word //= n
    brand_name = brands[word & 7 if brand is None else brand]
    word >>= 3
    noun = nouns[word % n_nouns]
    word //= n_nouns
    marketing = _MARKETING[lang][word % MARKETING_SLOTS]
    word //= MARKETING_SLOTS
    code_at = word % 10  # 0-2: code after the brand, 3-5: after the noun, 6-8: at the end, 9: no code
    word //= 10
    code = (
        f"{_CODE_PREFIXES[word % _N_PREFIXES]}{100 + word // _N_PREFIXES % 9900}"
        f"{_CODE_SUFFIXES[word // _N_PREFIXES // 9900 % 9]}"
    )
    draws.state = state = (draws.state * LEHMER_MULTIPLIER) & MASK128
    word = state >> 64
    before: list[str] = []
    after: list[str] = []
    if fixed:
        listed = list(chosen)
        for position in fixed:
            if position not in listed:
                free = [j for j, p in enumerate(listed) if p not in fixed]
                listed[free[word % len(free)]] = position
                word //= len(free)
        chosen = listed
    for position in chosen:
        if fixed and position in fixed:
            width = category.options_per_value[position]
            value, is_after = options[position][fixed[position] * width + (word & 1) * (width - 1)]
            word >>= 1
        else:
            choices = options[position]
            value, is_after = choices[word % len(choices)]
            word //= len(choices)
        if attributes is not None:
            attributes.append({"name": names[position], "value": value})
        (after if is_after else before).append(value)
    if lang == EN:
        return _english_title(brand_name, code, code_at, marketing, before, noun, after, word), brand_name
    return _chinese_title(brand_name, code, code_at, marketing, before, noun, after, word), brand_name


def _english_title(
    brand: str, code: str, code_at: int, marketing: str, before: list[str], noun: str, after: list[str], word: int
) -> str:
    parts = [brand, code] if code_at < 3 else [brand]
    if marketing:
        parts.append(marketing)
    parts += before
    parts.append(noun)
    if 3 <= code_at < 6:
        parts.append(code)
    elif 6 <= code_at < 9:
        after.append(code)
    title = " ".join(parts)
    if after:
        title = f"{title}{_EN_SEPARATORS[word & 3]}{', '.join(after)}"
    return title


def _chinese_title(
    brand: str, code: str, code_at: int, marketing: str, before: list[str], noun: str, after: list[str], word: int
) -> str:
    if marketing and word & 1:
        marketing = f"【{marketing}】"
    title = brand + " " if word & 2 else brand
    if code_at < 3:
        title += code + " "
    title += marketing + (" " if word & 4 else "").join(before) + noun
    if 3 <= code_at < 9:
        after.append(code)
    if after:
        title += " " + " ".join(after)
    return title


def listing_price(draws: Draws, category: CategoryTable, lang: int) -> float:
    """A price in the category's range: dollars ending .99, .95 or .00, or yuan ending 9, 0 or 8."""
    low, high = category.price_usd
    draw = draws.below((high - low + 1) * 4)
    usd = low + draw // 4
    if lang == EN:
        return usd - (0.01, 0.01, 0.05, 0.0)[draw & 3]
    return float(usd * 7 // 10 * 10 + (9, 9, 0, 8)[draw & 3])


def product_record(draws: Draws, lang: int, record_id: str) -> dict:
    catalog = CATALOGS[lang]
    category = catalog[draws.below(len(catalog))]
    attributes: list[dict] = []
    title, brand = listing_title(draws, category, lang, attributes=attributes)
    points = category.selling_points
    first = draws.below(len(points))
    second = (first + 1 + draws.below(len(points) - 1)) % len(points)
    if lang == EN:
        specs = "; ".join([f"{a['name']}: {a['value']}" for a in attributes])
        description = f"{points[first]}. {points[second]}. Specifications: {specs}."
    else:
        specs = "；".join([f"{a['name']}：{a['value']}" for a in attributes])
        description = f"{points[first]}，{points[second]}。规格参数：{specs}。"
    return {
        "record_id": record_id,
        "source": SOURCE,
        "lang": LANGS[lang],
        "data_type": "product",
        "title": title,
        "category": [category.department, category.name],
        "attributes": attributes,
        "brand": brand,
        "description": description,
        "price": listing_price(draws, category, lang),
    }
