"""Search queries: a query of one or two attribute values, a noun and maybe a brand, with three to five
candidate listings of which exactly one is built to match it (ESCI relevance labels)."""

from __future__ import annotations

from ecomgpt.records.synth.catalog import CATALOGS, LANGS, SOURCE, CategoryTable
from ecomgpt.records.synth.draws import Draws
from ecomgpt.records.synth.product import listing_title
from ecomgpt.records.synth.vocabulary import EN


def _candidate(
    draws: Draws, category: CategoryTable, lang: int, fixed: dict[int, int], brand: int | None
) -> tuple[str, str, CategoryTable]:
    """(title, relevance, category) of a listing that does not match the query: a substitute breaks one of
    its constraints, a complement or an irrelevant item comes from another category."""
    word = draws.word()
    roll = word % 100
    word //= 100
    if roll >= 40:
        if roll < 65:
            relevance, other = "complement", category.complements[word % len(category.complements)]
        else:
            relevance, other = "irrelevant", category.unrelated[word % len(category.unrelated)]
        return listing_title(draws, other, lang)[0], relevance, other
    changed = dict(fixed)
    other_brand = brand
    if brand is not None and word & 1:
        other_brand = (brand + 1 + (word >> 1) % 7) & 7
    else:
        word >>= 1
        position = tuple(changed)[word % len(changed)]
        word //= len(changed)
        n = len(category.attribute_values[position])
        changed[position] = (changed[position] + 1 + word % (n - 1)) % n
    return listing_title(draws, category, lang, changed, other_brand)[0], "substitute", category


def query_record(draws: Draws, lang: int, record_id: str, item_prefix: str) -> dict:
    catalog = CATALOGS[lang]
    word = draws.word()  # about 40 bits: the query and the candidate count
    category = catalog[word % len(catalog)]
    word //= len(catalog)
    values = category.attribute_values
    m = len(values)
    first = word % m
    word //= m
    n = len(values[first])
    fixed = {first: word % n}  # attribute position -> value index
    word //= n
    second = word % (3 * m)  # a second attribute one time in three
    word //= 3 * m
    if second < m and second != first:
        n = len(values[second])
        fixed[second] = word % n
        word //= n
    brand = word % 40
    word //= 40
    with_brand, brand = brand < 16, brand & 7
    words = [values[position][value] for position, value in fixed.items()]
    noun = category.query_nouns[word % len(category.query_nouns)]
    word //= len(category.query_nouns)
    words = words + [noun] if word & 3 else [noun] + words
    if with_brand:
        words.insert(0, category.brands[brand])
    if lang == EN:
        query = " ".join(words)
        if word >> 2 & 3:
            query = query.lower()
    else:
        query = (" " if word & 4 else "").join(words)
    word >>= 4
    count = 3 + word % 3
    word //= 3
    exact_at = word % count
    items = []
    for j in range(count):
        if j == exact_at:
            title = listing_title(draws, category, lang, fixed, brand if with_brand else None)[0]
            relevance, other = "exact", category
        else:
            title, relevance, other = _candidate(draws, category, lang, fixed, brand if with_brand else None)
        items.append({"title": title, "relevance": relevance, "item_id": f"{item_prefix}{j}", "category": other.path})
    return {
        "record_id": record_id,
        "source": SOURCE,
        "lang": LANGS[lang],
        "data_type": "query",
        "query": query,
        "items": items,
        "category": category.path,
    }
