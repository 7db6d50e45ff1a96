"""Synthetic canonical records: products, reviews, queries and dialogues in English and Chinese.

Labels are known by construction: attribute values are written into product titles, aspect terms into
review texts, slot values into dialogue turns, and every query has exactly one candidate built to match
it. Record `i` depends only on `(seed, i)`, so any range of records can be generated on its own and
shards can be written in parallel.

    ecomgpt synth --records 1000000 --seed 0 --out s3://bucket/synthetic --format parquet

Parquet layout: one table for all record types, the union of their columns, absent fields null, so a
row with its nulls dropped validates as its record. The one column whose type differs between models is
`category` (Product: a list of levels, Query: a string). It holds the Product's list; a Query's category
is left null there, since it always equals its exact candidate's category, and `row_to_record` puts it
back from that candidate.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from itertools import permutations
from string import Formatter
from typing import Iterator, Literal

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ecomgpt import __version__, storage
from ecomgpt.records import synth_vocab as V
from ecomgpt.records.schema import MODELS
from ecomgpt.tasks.rng import stable_hash64

VERSION = "1"  # bump whenever the records generated for a (seed, index) change
SOURCE = "synthetic"
LANGS = ("en", "zh")
_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_LEHMER = 0xDA942042E4DD58B5
_REFILL = 1 << 20  # a draw from fewer remaining bits than this would be visibly biased
_WRITE_BATCH = 8192
# json.dumps builds a new encoder per call when given options; one shared encoder writes the same bytes
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


class _Draws:
    """The random draws of one record, seeded from (seed, index) alone.

    A 128-bit Lehmer generator (high 64 bits out) seeded through splitmix64. Each 64-bit output serves
    several small draws: `below(n)` takes `u % n` and keeps `u // n`, refilling once fewer than 20 bits
    are left, and hot paths split a whole `word()` themselves. Calling a method per draw is what costs
    in Python, not the arithmetic.
    """

    __slots__ = ("_s", "_u")

    def __init__(self, base: int, index: int) -> None:
        z = (base + index * _GOLDEN) & _MASK64  # splitmix64 (as in ecomgpt.tasks.rng), inlined
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        self._s = ((z ^ (z >> 31)) << 64) | ((index << 1) & _MASK64) | 1
        self._u = 0

    def word(self) -> int:
        self._s = s = (self._s * _LEHMER) & _MASK128
        return s >> 64

    def below(self, n: int) -> int:
        u = self._u
        if u < _REFILL:
            self._s = s = (self._s * _LEHMER) & _MASK128
            u = s >> 64
        self._u = u // n
        return u % n


# ------------------------------------------------------------------------------ precomputed tables
_PLACES = {"pre": 0, "post": 1, "any": 2}
_SENTIMENTS = ("positive", "negative", "neutral")
_VALUES = {v for a in V.ATTRIBUTES.values() for pair in a.values for v in pair}
# model-code prefixes, less those that would write an attribute value into the code ("VA", "IP" + "68")
_CODE_PREFIXES = tuple(
    prefix + sep
    for prefix in list(V.CODE_LETTERS) + [a + b for a in V.CODE_LETTERS for b in V.CODE_LETTERS]
    if not any(v == prefix or (v.startswith(prefix) and v[len(prefix):].isdigit()) for v in _VALUES)
    for sep in ("-", "")
)
_N_PREFIXES = len(_CODE_PREFIXES)
_EN_SEPARATORS = (", ", " - ", " | ", ", ")
_SUFFIXES = V.CODE_SUFFIXES
# a draw below 20 picks a marketing word; past the list it means none (about half the titles)
_MARKETING = tuple(tuple(m[L] for m in V.MARKETING) + ("",) * (20 - len(V.MARKETING)) for L in (0, 1))
assert len(V.MARKETING) < 20


def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(template) if name)


class _Cat:
    """One category in one language, with what the generators index precomputed."""

    __slots__ = ("spec", "coarse", "fine", "path", "brands", "nouns", "n_nouns", "query_nouns", "slots", "names",
                 "options", "widths", "combos", "n_groups", "points", "aspects", "complements", "unrelated",
                 "colors", "sizes", "hot")

    def __init__(self, spec: V.CategorySpec, L: int) -> None:
        self.spec = spec
        self.coarse = V.COARSE[spec.coarse][L]
        self.fine = spec.fine[L]
        self.path = f"{self.coarse} > {self.fine}"
        self.brands = tuple(b[L] for b in V.BRANDS[spec.coarse])
        self.nouns = tuple(n[L] for n in spec.nouns)
        self.n_nouns = len(self.nouns)
        self.query_nouns = tuple(n[L] for n in spec.query_nouns)
        attrs = [V.ATTRIBUTES[key] for key in spec.attrs]
        self.slots = tuple((a.name[L], tuple(v[L] for v in a.values), _PLACES[a.place]) for a in attrs)
        self.names = tuple(a.name[L] for a in attrs)
        # per slot, (value, after the noun?) options; a value free to go either side appears twice, so
        # one draw picks both, and value i of the slot sits at options[i * width]
        self.options = tuple(
            tuple((v[L], side) for v in a.values for side in ((0, 1) if a.place == "any" else (_PLACES[a.place],)))
            for a in attrs
        )
        self.widths = tuple(2 if a.place == "any" else 1 for a in attrs)
        # ordered attribute subsets by size: a draw picks how many attributes, then which and in what order
        self.combos = tuple(tuple(permutations(range(len(attrs)), k)) for k in range(2, min(4, len(attrs)) + 1))
        self.n_groups = len(self.combos)
        self.hot = (self.combos, self.n_groups, self.brands, self.nouns, self.n_nouns, self.options, self.names)
        assert len(self.brands) == 8, spec.key
        self.points = tuple(p[L] for p in V.SELLING_POINTS[spec.coarse])
        # (label, ((term, sentences by sentiment), ...)) with every sentence already written out
        self.aspects = tuple(
            (
                V.ASPECT_CATEGORY[key][L],
                tuple(
                    (term, tuple(
                        tuple(p.format(term=term) for p in (
                            (() if key in V.SPECIFIC_ONLY else V.ASPECT_PHRASES[s][L])
                            + V.ASPECT_SPECIFIC.get(key, {}).get(s, ((), ()))[L]
                        ))
                        for s in _SENTIMENTS
                    ))
                    for term in V.ASPECT_TERMS[key][L]
                ),
            )
            for key in V.ASPECTS_BY_COARSE[spec.coarse] + V.GENERAL_ASPECTS
        )
        color = next((key for key in spec.attrs if key.endswith("color")), None)
        self.colors = tuple(v[L] for v in V.ATTRIBUTES[color].values) if color else None
        sizes = {"apparel": V.CLOTHING_SIZES, "shoes": V.SHOE_SIZES}.get(spec.coarse)
        self.sizes = tuple(s[L] for s in sizes) if sizes else None


def _tables() -> tuple[tuple[_Cat, ...], tuple[_Cat, ...]]:
    tables = tuple(tuple(_Cat(spec, L) for spec in V.CATEGORIES) for L in (0, 1))
    for table in tables:
        by_key = {c.spec.key: c for c in table}
        for c in table:
            c.complements = tuple(by_key[key] for key in c.spec.complements)
            c.unrelated = tuple(o for o in table if o.spec.coarse != c.spec.coarse and o not in c.complements)
    return tables


_TABLES = _tables()
_REVIEW_FRAME = tuple(  # (openings, closings, titles) by language and overall sentiment
    tuple((V.REVIEW_OPENINGS[m][L], V.REVIEW_CLOSINGS[m][L], V.REVIEW_TITLES[m][L]) for m in _SENTIMENTS)
    for L in (0, 1)
)


def _user_templates() -> dict[tuple[str, int, bool, bool], tuple[tuple[str, tuple[str, ...]], ...]]:
    """(template, slot names) by (intent, language, category has colours, category has sizes)."""
    table = {}
    for intent, (user, _) in V.INTENTS.items():
        for L in (0, 1):
            for has_color in (False, True):
                for has_size in (False, True):
                    absent = {name for name, ok in (("color", has_color), ("size", has_size)) if not ok}
                    options = tuple((t, _fields(t)) for t in user[L] if not absent.intersection(_fields(t)))
                    assert options, (intent, L, has_color, has_size)
                    table[intent, L, has_color, has_size] = options
    return table


_USER_TEMPLATES = _user_templates()
_AGENT_TEMPLATES = {(intent, L): agent[L] for intent, (_, agent) in V.INTENTS.items() for L in (0, 1)}
_INTENTS_BASE = ("ask_price", "ask_stock", "track_order", "return_item", "recommend", "ask_shipping",
                 "change_address", "ask_discount", "cancel_order")
_INTENTS_SIZED = _INTENTS_BASE + ("ask_size", "ask_size")


# ------------------------------------------------------------------------------------------- products
def _product(d: _Draws, c: _Cat, L: int, fixed: dict | None = None, brand: int | None = None,
             attributes: list | None = None) -> tuple[str, str]:
    """(title, brand) of one listing; `fixed` maps attribute slot -> value index, and `attributes`, when
    given, receives the {name, value} pairs written into the title."""
    combos, n_groups, brands, nouns, n_nouns, options, names = c.hot
    d._s = s = (d._s * _LEHMER) & _MASK128  # d.word(), inlined on the hottest path
    x = s >> 64  # about 52 of its 64 bits are spent here, the 26-bit model code last
    group = combos[x % n_groups]
    x //= n_groups
    n = len(group)
    chosen = group[x % n]
    x //= n
    brand_name = brands[x & 7 if brand is None else brand]
    x >>= 3
    noun = nouns[x % n_nouns]
    x //= n_nouns
    marketing = _MARKETING[L][x % 20]
    x //= 20
    where = x % 10  # 0-2: code after the brand, 3-5: after the noun, 6-8: at the end, 9: no code
    x //= 10
    code = f"{_CODE_PREFIXES[x % _N_PREFIXES]}{100 + x // _N_PREFIXES % 9900}{_SUFFIXES[x // _N_PREFIXES // 9900 % 9]}"
    d._s = s = (d._s * _LEHMER) & _MASK128
    y = s >> 64
    pre, post = [], []
    if fixed:
        chosen = list(chosen)
        for slot in fixed:
            if slot not in chosen:
                free = [j for j, s in enumerate(chosen) if s not in fixed]
                chosen[free[y % len(free)]] = slot
                y //= len(free)
        for slot in chosen:
            if slot in fixed:
                value, place = options[slot][fixed[slot] * c.widths[slot] + (y & 1) * (c.widths[slot] - 1)]
                y >>= 1
            else:
                opts = options[slot]
                value, place = opts[y % len(opts)]
                y //= len(opts)
            if attributes is not None:
                attributes.append({"name": names[slot], "value": value})
            (post if place else pre).append(value)
    else:
        for slot in chosen:
            opts = options[slot]
            value, place = opts[y % len(opts)]
            y //= len(opts)
            if attributes is not None:
                attributes.append({"name": names[slot], "value": value})
            (post if place else pre).append(value)
    if L == 0:
        parts = [brand_name, code] if where < 3 else [brand_name]
        if marketing:
            parts.append(marketing)
        parts += pre
        parts.append(noun)
        if 3 <= where < 6:
            parts.append(code)
        elif 6 <= where < 9:
            post.append(code)
        title = " ".join(parts)
        if post:
            title = f"{title}{_EN_SEPARATORS[y & 3]}{', '.join(post)}"
        return title, brand_name
    if marketing and y & 1:
        marketing = f"【{marketing}】"
    title = brand_name + " " if y & 2 else brand_name
    if where < 3:
        title += code + " "
    title += marketing + (" " if y & 4 else "").join(pre) + noun
    if 3 <= where < 9:
        post.append(code)
    if post:
        title += " " + " ".join(post)
    return title, brand_name


def _price(d: _Draws, c: _Cat, L: int) -> float:
    low, high = c.spec.price
    x = d.below((high - low + 1) * 4)
    usd = low + x // 4
    if L == 0:
        return usd - (0.01, 0.01, 0.05, 0.0)[x & 3]
    return float(usd * 7 // 10 * 10 + (9, 9, 0, 8)[x & 3])


def _product_record(d: _Draws, L: int, rid: str) -> dict:
    table = _TABLES[L]
    c = table[d.below(len(table))]
    attributes: list[dict] = []
    title, brand = _product(d, c, L, attributes=attributes)
    points = c.points
    a = d.below(len(points))
    b = (a + 1 + d.below(len(points) - 1)) % len(points)
    if L == 0:
        specs = "; ".join([f"{x['name']}: {x['value']}" for x in attributes])
        description = f"{points[a]}. {points[b]}. Specifications: {specs}."
    else:
        specs = "；".join([f"{x['name']}：{x['value']}" for x in attributes])
        description = f"{points[a]}，{points[b]}。规格参数：{specs}。"
    return {
        "record_id": rid, "source": SOURCE, "lang": LANGS[L], "data_type": "product",
        "title": title, "category": [c.coarse, c.fine], "attributes": attributes,
        "brand": brand, "description": description, "price": _price(d, c, L),
    }


# -------------------------------------------------------------------------------------------- reviews
def _review_record(d: _Draws, L: int, rid: str, item_id: str) -> dict:
    table = _TABLES[L]
    c = table[d.below(len(table))]
    product_title = _product(d, c, L)[0]
    x = d.word()  # about 40 bits: sentiment, rating, aspects, their terms and sentences
    roll = x % 100
    x //= 100
    overall = 0 if roll < 55 else 1 if roll < 80 else 2  # index into _SENTIMENTS
    rating = (4, 5, 5)[x % 3] if overall == 0 else 1 + x % 2 if overall == 1 else 3
    x //= 3
    pool = c.aspects
    n = len(pool)
    count = 1 + x % 3
    x //= 3
    picked, chosen = [], []
    for _ in range(count):
        j = x % n
        x //= n
        label, terms = pool[j]
        term, sentences = terms[x % len(terms)]
        x //= len(terms)
        if j in picked:
            continue
        picked.append(j)
        for _, other, _ in chosen:  # one term inside another would blur the spans
            if term in other or other in term:
                break
        else:
            chosen.append((label, term, sentences))
    count = len(chosen)
    r = x % 12
    x //= 12
    if overall == 2:  # a neutral review: all aspects neutral, or one praised and one criticised
        sentiments = [2] * count
        if count > 1 and r % 3:
            sentiments[0], sentiments[1] = (0, 1) if r & 1 else (1, 0)
    else:
        sentiments = [overall] * count
        if count > 1 and r % 4 == 1:
            sentiments[-1] = 2
    aspects, body = [], []
    for (label, term, sentences), s in zip(chosen, sentiments):
        options = sentences[s]
        body.append(options[x % len(options)])
        x //= len(options)
        aspects.append({"category": label, "term": term, "sentiment": _SENTIMENTS[s]})
    openings, closings, titles = _REVIEW_FRAME[L][overall]
    y = d.word()
    opening = openings[y % len(openings)]
    y //= len(openings)
    closing = closings[y % len(closings)]
    y //= len(closings)
    title = titles[y % len(titles)] if y // len(titles) % 5 < 3 else None
    if L == 0:
        text = f"{opening} {' '.join(body)} {closing}" if opening else f"{' '.join(body)} {closing}"
    else:
        text = f"{opening}{'，'.join(body)}。{closing}"
    return {
        "record_id": rid, "source": SOURCE, "lang": LANGS[L], "data_type": "review",
        "text": text, "title": title, "rating": rating, "sentiment": _SENTIMENTS[overall], "aspects": aspects,
        "product_id": item_id, "product_title": product_title, "product_category": c.path,
    }


# -------------------------------------------------------------------------------------------- queries
def _query_record(d: _Draws, L: int, rid: str, item_prefix: str) -> dict:
    table = _TABLES[L]
    x = d.word()  # about 40 bits: the query and the candidate count
    c = table[x % len(table)]
    x //= len(table)
    slots = c.slots
    m = len(slots)
    first = x % m
    x //= m
    n = len(slots[first][1])
    fixed = {first: x % n}
    x //= n
    second = x % (3 * m)  # a second attribute one time in three
    x //= 3 * m
    if second < m and second != first:
        n = len(slots[second][1])
        fixed[second] = x % n
        x //= n
    brand = x % 40
    x //= 40
    with_brand, brand = brand < 16, brand & 7
    words = [slots[slot][1][value] for slot, value in fixed.items()]
    noun = c.query_nouns[x % len(c.query_nouns)]
    x //= len(c.query_nouns)
    words = words + [noun] if x & 3 else [noun] + words
    if with_brand:
        words.insert(0, c.brands[brand])
    if L == 0:
        query = " ".join(words)
        if x >> 2 & 3:
            query = query.lower()
    else:
        query = (" " if x & 4 else "").join(words)
    x >>= 4
    count = 3 + x % 3
    x //= 3
    exact_at = x % count
    items = []
    for j in range(count):
        if j == exact_at:
            title = _product(d, c, L, fixed, brand if with_brand else None)[0]
            items.append({"title": title, "relevance": "exact", "item_id": f"{item_prefix}{j}", "category": c.path})
            continue
        y = d.word()
        roll = y % 100
        y //= 100
        if roll < 40:  # same category, one query constraint broken
            relevance, other = "substitute", c
            changed = dict(fixed)
            other_brand = brand if with_brand else None
            if with_brand and y & 1:
                other_brand = (brand + 1 + (y >> 1) % 7) & 7
            else:
                y >>= 1
                slot = tuple(changed)[y % len(changed)]
                y //= len(changed)
                n = len(slots[slot][1])
                changed[slot] = (changed[slot] + 1 + y % (n - 1)) % n
            title = _product(d, c, L, changed, other_brand)[0]
        else:
            if roll < 65:
                relevance, other = "complement", c.complements[y % len(c.complements)]
            else:
                relevance, other = "irrelevant", c.unrelated[y % len(c.unrelated)]
            title = _product(d, other, L)[0]
        items.append({"title": title, "relevance": relevance, "item_id": f"{item_prefix}{j}", "category": other.path})
    return {
        "record_id": rid, "source": SOURCE, "lang": LANGS[L], "data_type": "query",
        "query": query, "items": items, "category": c.path,
    }


# ------------------------------------------------------------------------------------------ dialogues
def _v_product(d: _Draws, c: _Cat, L: int) -> str:
    x = d.word()
    noun = c.query_nouns[x % len(c.query_nouns)]
    x //= len(c.query_nouns)
    if x % 5 < 2:
        return noun
    brand = c.brands[x // 5 & 7]
    return f"{brand} {noun}" if L == 0 else brand + noun


def _v_budget(d: _Draws, c: _Cat, L: int) -> str:
    low, high = c.spec.price
    usd = (low + high) // 2 + d.below(high - low + 1) // 2
    return f"${usd}" if L == 0 else f"{usd * 7 // 100 * 100 + 100}元"


def _v_price(d: _Draws, c: _Cat, L: int) -> str:
    price = _price(d, c, L)
    return f"${price:.2f}" if L == 0 else f"{price:.0f}元"


_VALUE_MAKERS = {
    "product": _v_product,
    "budget": _v_budget,
    "price": _v_price,
    "category": lambda d, c, L: c.query_nouns[d.below(len(c.query_nouns))],
    "order_id": lambda d, c, L: str(10**11 + d.word() % (9 * 10**11) if L == 0 else 10**17 + d.word() % (9 * 10**17)),
    "title": lambda d, c, L: _product(d, c, L)[0],
    "days": lambda d, c, L: str(2 + d.below(5)),
    "discount": lambda d, c, L: f"${5 * (1 + d.below(4))}" if L == 0 else f"{10 * (1 + d.below(5))}元",
    "city": lambda d, c, L: V.CITIES[d.below(len(V.CITIES))][L],
    "reason": lambda d, c, L: V.RETURN_REASONS[d.below(len(V.RETURN_REASONS))][L],
    "height": lambda d, c, L: V.HEIGHTS[d.below(len(V.HEIGHTS))][L],
    "weight": lambda d, c, L: V.WEIGHTS[d.below(len(V.WEIGHTS))][L],
    "color": lambda d, c, L: c.colors[d.below(len(c.colors))],
    "size": lambda d, c, L: c.sizes[d.below(len(c.sizes))],
}


class _Values(dict):
    """Slot and reply values of one dialogue, drawn the first time a template asks for them."""

    __slots__ = ("_d", "_c", "_L")

    def __init__(self, d: _Draws, c: _Cat, L: int) -> None:
        super().__init__()
        self._d, self._c, self._L = d, c, L

    def __missing__(self, name: str) -> str:
        value = self[name] = _VALUE_MAKERS[name](self._d, self._c, self._L)
        return value


def _dialogue_record(d: _Draws, L: int, rid: str) -> dict:
    table = _TABLES[L]
    x = d.word()
    c = table[x % len(table)]
    x //= len(table)
    has_color, has_size = c.colors is not None, c.sizes is not None
    pool = _INTENTS_SIZED if has_size else _INTENTS_BASE
    n_turns = 3 + (x & 3)
    x >>= 2
    # an odd-length dialogue ends with the user's thanks; an even one sometimes thanks before the last reply
    thanks = n_turns % 2 == 1 or x % 3 == 0
    x //= 3
    n_asks = (n_turns + 1) // 2 - thanks
    asked: list[str] = []
    while len(asked) < n_asks:
        intent = pool[d.below(len(pool))]
        if intent not in asked:
            asked.append(intent)
    plan = [[intent] for intent in asked]
    for intents in plan:
        if d.below(6) == 0:  # now and then a turn asks two things at once
            extra = pool[d.below(len(pool))]
            if extra not in asked:
                asked.append(extra)
                intents.append(extra)
    if thanks:
        plan.append(["thank"])
    values = _Values(d, c, L)
    reply_joiner = " " if L == 0 else "，"
    turns: list[dict] = []
    for intents in plan:
        texts, slots, names = [], [], []
        for intent in intents:
            options = _USER_TEMPLATES[intent, L, has_color, has_size]
            template, fields = options[d.below(len(options))]
            texts.append(template.format_map(values))
            for name in fields:
                if name not in names:
                    names.append(name)
                    slots.append({"name": name, "value": values[name]})
        if len(texts) == 1:
            text = texts[0]
        elif L == 0:
            text = " ".join(texts)
        else:
            text = ("" if texts[0][-1] in "？！。" else "，").join(texts)
        turns.append({"role": "user", "text": text, "intents": intents, "slots": slots})
        if len(turns) == n_turns:
            break
        replies = []
        for intent in intents:
            options = _AGENT_TEMPLATES[intent, L]
            replies.append(options[d.below(len(options))].format_map(values))
        turns.append({"role": "agent", "text": replies[0] if len(replies) == 1 else reply_joiner.join(replies),
                      "intents": [], "slots": []})
    return {
        "record_id": rid, "source": SOURCE, "lang": LANGS[L], "data_type": "dialogue",
        "turns": turns, "domain": c.coarse,
    }


# -------------------------------------------------------------------------------------- public API
def _base(seed: int) -> int:
    return stable_hash64("ecomgpt.records.synth", VERSION, seed)


def _record(base: int, seed: int, index: int) -> dict:
    d = _Draws(base, index)
    rid = f"syn-{seed}-{index}"
    x = d.below(200)
    L, roll = x & 1, x >> 1
    if roll < 35:
        return _product_record(d, L, rid)
    if roll < 70:
        return _review_record(d, L, rid, f"sku-{seed}-{index}")
    if roll < 85:
        return _query_record(d, L, rid, f"sku-{seed}-{index}-")
    return _dialogue_record(d, L, rid)


def synthetic_record(seed: int, index: int) -> dict:
    """Record `index` of the synthetic stream for `seed`."""
    return _record(_base(seed), seed, index)


def iter_synthetic(n: int, seed: int, start: int = 0) -> Iterator[dict]:
    """Records `start` .. `start + n - 1` as canonical record dicts (see records/schema.py)."""
    if n < 0 or start < 0:
        raise ValueError(f"n and start must be >= 0, got n={n}, start={start}")
    return _iter(_base(seed), seed, start, start + n)


def _iter(base: int, seed: int, start: int, stop: int) -> Iterator[dict]:
    record = _record
    for index in range(start, stop):
        yield record(base, seed, index)


_NAME_VALUE = pa.struct([("name", pa.string()), ("value", pa.string())])
PARQUET_SCHEMA = pa.schema([
    ("record_id", pa.string()), ("source", pa.string()), ("lang", pa.string()), ("data_type", pa.string()),
    ("title", pa.string()), ("category", pa.list_(pa.string())), ("attributes", pa.list_(_NAME_VALUE)),
    ("brand", pa.string()), ("description", pa.string()), ("price", pa.float64()),
    ("text", pa.string()), ("rating", pa.int64()), ("sentiment", pa.string()),
    ("aspects", pa.list_(pa.struct([("category", pa.string()), ("term", pa.string()), ("sentiment", pa.string())]))),
    ("product_id", pa.string()), ("product_title", pa.string()), ("product_category", pa.string()),
    ("query", pa.string()),
    ("items", pa.list_(pa.struct([("title", pa.string()), ("relevance", pa.string()), ("item_id", pa.string()),
                               ("category", pa.string())]))),
    ("turns", pa.list_(pa.struct([("role", pa.string()), ("text", pa.string()), ("intents", pa.list_(pa.string())),
                               ("slots", pa.list_(_NAME_VALUE))]))),
    ("domain", pa.string()),
])


def record_to_row(record: dict) -> dict:
    """A canonical record as a row of PARQUET_SCHEMA (a Query's category is left to its exact item)."""
    if record["data_type"] == "query":
        exact = [item["category"] for item in record["items"] if item["relevance"] == "exact"]
        if exact != [record["category"]]:
            raise ValueError(f"{record['record_id']}: query category is not its exact item's category")
        return {**record, "category": None}
    return record


def row_to_record(row: dict) -> dict:
    """A PARQUET_SCHEMA row back to its canonical record: the columns of its type, a Query's category
    restored from its exact item."""
    record = {name: row.get(name) for name in MODELS[row["data_type"]].model_fields}
    if record["data_type"] == "query" and record["category"] is None:
        exact = [item["category"] for item in record["items"] or () if item["relevance"] == "exact"]
        record["category"] = exact[0] if len(exact) == 1 else None
    return record


_SHARD_RE = re.compile(r"^records-\d{5,}\.(jsonl|parquet)$")
_FORMATS = ("jsonl", "parquet")
_ROW_FORMATS = {
    "jsonl": "one canonical record per line",
    "parquet": "union of the record types' columns, absent fields null; "
    "ecomgpt.records.synth.row_to_record turns a row back into its canonical record",
}


def _clear_previous(out: str) -> None:
    """Remove an earlier run's shards and manifest so a smaller rerun leaves no stale shard behind."""
    fs, path = storage.resolve(out)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return
    for info in fs.get_file_info(pafs.FileSelector(path, recursive=False)):
        if info.type == pafs.FileType.File and (_SHARD_RE.match(info.base_name) or info.base_name == "manifest.json"):
            fs.delete_file(info.path)


def write_shard(seed: int, start: int, count: int, uri: str, fmt: Literal["jsonl", "parquet"]) -> Counter:
    """Write records `start` .. `start + count - 1` to one file; returns counts by (data_type, lang).

    Shards depend on nothing but their arguments, so they can be written by parallel workers.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
    counts: Counter = Counter()
    records = iter_synthetic(count, seed, start)
    fs, path = storage.resolve(uri)
    if fmt == "jsonl":
        with fs.open_output_stream(path) as stream:
            batch: list[str] = []
            for record in records:
                counts[record["data_type"], record["lang"]] += 1
                batch.append(_JSON(record))
                if len(batch) == _WRITE_BATCH:
                    stream.write(("\n".join(batch) + "\n").encode("utf-8"))
                    batch = []
            if batch:
                stream.write(("\n".join(batch) + "\n").encode("utf-8"))
    else:
        with pq.ParquetWriter(path, PARQUET_SCHEMA, filesystem=fs, compression="zstd") as writer:
            rows: list[dict] = []
            for record in records:
                counts[record["data_type"], record["lang"]] += 1
                rows.append(record_to_row(record))
                if len(rows) == _WRITE_BATCH:
                    writer.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA))
                    rows = []
            if rows or count == 0:
                writer.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA))
    return counts


def write_synthetic(
    n: int,
    seed: int,
    out: str,
    fmt: Literal["jsonl", "parquet"] = "jsonl",
    shard_records: int = 100_000,
) -> list[str]:
    """Write n records to `out` (a local path or URI) as shards of `shard_records`, plus manifest.json.

    Shards are generated one at a time, so memory does not grow with n; an earlier run's shards and
    manifest in `out` are replaced. Returns the shard paths.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
    if n < 0 or shard_records < 1:
        raise ValueError(f"need n >= 0 and shard_records >= 1, got n={n}, shard_records={shard_records}")
    started = time.perf_counter()
    storage.make_dirs(out)
    _clear_previous(out)
    names, counts = [], Counter()
    for shard, first in enumerate(range(0, n, shard_records)):
        name = f"records-{shard:05d}.{fmt}"
        counts += write_shard(seed, first, min(shard_records, n - first), storage.join(out, name), fmt)
        names.append(name)
    elapsed = time.perf_counter() - started
    by_type, by_lang = Counter(), Counter()
    for (data_type, lang), count in counts.items():
        by_type[data_type] += count
        by_lang[lang] += count
    storage.write_json(storage.join(out, "manifest.json"), {
        "stage": "synth",
        "generator": "ecomgpt.records.synth",
        "version": VERSION,
        "ecomgpt_version": __version__,
        "n": n,
        "seed": seed,
        "format": fmt,
        "shard_records": shard_records,
        "shards": names,
        "row_format": _ROW_FORMATS[fmt],
        "counts": {
            "data_type": dict(sorted(by_type.items())),
            "lang": dict(sorted(by_lang.items())),
            "data_type_lang": {f"{t}/{lang}": c for (t, lang), c in sorted(counts.items())},
        },
        "elapsed_s": round(elapsed, 3),
        "records_per_s": round(n / elapsed, 1) if elapsed > 0 else None,
    })
    return [storage.join(out, name) for name in names]
