"""Shared pieces of the task library: label vocabularies, candidate lists and small renderings (the category
vocabularies themselves are in `_categories`).

Generators run millions of times, so everything here is precomputed at import time and the
per-call functions only touch the few labels a record brings.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, MutableSequence, Sequence
from functools import lru_cache
from typing import TypeVar

from ecomgpt.answers import ITEMS
from ecomgpt.tasks.rng import Rng

T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
LANGS = ("en", "zh")
_NON_ALNUM = re.compile(r"[\W_]+")
_RUNS = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]+")
_STOPWORDS = frozenset(("and", "for", "the", "with", "other", "others"))
# Labels naming the same thing in different words, across the taxonomies of the sources; a label
# of one group is never a distractor for a label of the same group.
_SYNONYMS = (
    ("shoe", "footwear", "sneaker"),
    ("clothing", "clothe", "apparel"),
    ("jewellery", "jewelry"),
    ("grocery", "food"),
    ("shipping", "delivery", "logistic"),
    ("scent", "smell", "fragrance"),
    ("material", "fabric"),
    ("cellphone", "mobile", "smartphone", "phone"),
    ("数码", "消费电子"),
    ("家用电器", "家电"),
    ("服饰", "服装", "衣服", "女装", "男装"),
    ("物流", "快递", "配送"),
    ("气味", "味道", "香味"),
    ("材质", "面料", "质地"),
    ("价格", "价钱"),
    ("质量", "品质", "做工"),
    ("尺码", "尺寸"),
    ("续航", "电池"),
)
_SYNONYM_GROUP = {word: f"~{i}" for i, group in enumerate(_SYNONYMS) for word in group}
# Draws splits one 64-bit draw into several small ones and draws again below this many values,
# so each index is biased by less than n / 2**20.
_REFILL = 1 << 20

YES = {"en": "yes", "zh": "是"}
NO = {"en": "no", "zh": "否"}
YES_NO_SET = {lang: ITEMS.render((YES[lang], NO[lang])) for lang in LANGS}

SENTIMENT_LABELS = {
    "en": {"positive": "positive", "negative": "negative", "neutral": "neutral"},
    "zh": {"positive": "正面", "negative": "负面", "neutral": "中性"},
}
SENTIMENT_SET = {lang: ITEMS.render(tuple(SENTIMENT_LABELS[lang].values())) for lang in LANGS}


@lru_cache(maxsize=1 << 14)
def norm(label: str) -> str:
    """Comparison key for labels: 'Home & Kitchen', 'home and kitchen' and 'HomeAndKitchen' are one label."""
    key = label.lower()
    if key.isalnum():
        return key
    key = key.replace("&", "and")
    # Most labels only add spaces; the regular expression is three times slower than replace.
    key = key.replace(" ", "")
    return key if key.isalnum() else _NON_ALNUM.sub("", key)


@lru_cache(maxsize=1 << 14)
def marks(label: str) -> frozenset[str]:
    """What makes two labels too close for one to be the other's distractor.

    Content words (Latin words of three or more letters, roughly singular; pairs of Chinese
    characters) and synonym groups: 'Kitchen & Dining' is too close to 'Home & Kitchen', 'Shoes' to
    'Men's Footwear', '价格' to '价钱'.
    """
    found = set()
    for run in _RUNS.findall(label.lower()):
        if run.isascii():
            if len(run) < 3 or run in _STOPWORDS:
                continue
            run = _singular(run)
            found.add(run)
        elif len(run) == 1:
            found.add(run)
        else:
            found.update(run[i : i + 2] for i in range(len(run) - 1))
        if run in _SYNONYM_GROUP:
            found.add(_SYNONYM_GROUP[run])
    return frozenset(found)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def unique(items: Iterable[H]) -> list[H]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))


def yes_no(lang: str, flag: bool) -> str:
    return YES[lang] if flag else NO[lang]


class Vocab:
    """A fixed label list with precomputed comparison keys, used to draw distractor labels."""

    __slots__ = ("labels", "keys", "key_set", "marks")

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = tuple(unique(labels))
        self.keys = tuple(norm(label) for label in self.labels)
        self.key_set = frozenset(self.keys)
        self.marks = tuple(marks(label) for label in self.labels)
        if len(self.key_set) != len(self.labels):
            raise ValueError(f"vocabulary has labels that differ only in case or punctuation: {labels}")

    def __len__(self) -> int:
        return len(self.labels)


class Draws:
    """Many small random indices from few Rng draws.

    One `Rng.next64` costs about a microsecond and a candidate list needs up to ten indices, so
    each 64-bit draw is split into several.
    """

    __slots__ = ("_rng", "_x")

    def __init__(self, rng: Rng) -> None:
        self._rng = rng
        self._x = rng.next64()

    def below(self, n: int) -> int:
        """An index in [0, n)."""
        if self._x < _REFILL:
            self._x = self._rng.next64()
        self._x, index = divmod(self._x, n)
        return index

    def shuffle(self, items: MutableSequence) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """Up to k distinct items in random order (a partial shuffle of a copy)."""
        pool = list(items)
        n = len(pool)
        for i in range(min(k, n)):
            j = i + self.below(n - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def candidate_labels(
    rng: Rng,
    gold: Sequence[str],
    k: int,
    vocab: Vocab | None = None,
    pool: Sequence[str] = (),
    avoid: Sequence[str] = (),
) -> list[str]:
    """The gold labels plus up to `k` distractors, in random order.

    Distractors come from `pool` first (labels from the record itself make harder negatives), then
    from `vocab`. A distractor is never drawn when it may also be right: when it equals, contains or
    is contained in a gold label up to case and punctuation ('color' for gold 'color family'), or
    shares a content word or synonym group with one (see `marks`). Labels in `avoid` (such as the
    other levels of the answer's category path) are kept out the same way.
    """
    draws = Draws(rng)
    labels = list(gold)
    if k > 0:
        near = (*gold, *avoid)
        if pool:
            labels += _pool_distractors(draws, pool, k, near)
        if vocab is not None and len(labels) < len(gold) + k:
            taken = {norm(label) for label in labels}
            wanted = len(gold) + k
            # Drawn from the labels that may stand beside these gold labels (computed once per gold).
            for index in draws.sample(_allowed(vocab, near), wanted):
                if vocab.keys[index] not in taken:
                    labels.append(vocab.labels[index])
                    if len(labels) == wanted:
                        break
    # Distractors are drawn in random order; gold labels go to random places among them.
    for label in gold:
        labels.remove(label)
        labels.insert(draws.below(len(labels) + 1), label)
    return labels


def _pool_distractors(draws: Draws, pool: Sequence[str], k: int, near: tuple[str, ...]) -> list[str]:
    near_keys = [norm(label) for label in near]
    near_marks = frozenset().union(*(marks(label) for label in near))
    picked: list[str] = []
    taken = set(near_keys)
    for label in draws.sample(pool, k):
        key = norm(label)
        if key not in taken and _apart(key, marks(label), near_keys, near_marks):
            taken.add(key)
            picked.append(label)
    return picked


@lru_cache(maxsize=1 << 14)
def _allowed(vocab: Vocab, near: tuple[str, ...]) -> tuple[int, ...]:
    """Indices of the vocabulary labels that may be distractors for the labels `near`."""
    near_keys = [norm(label) for label in near]
    near_marks = frozenset().union(*(marks(label) for label in near))
    return tuple(
        index
        for index, key in enumerate(vocab.keys)
        if key not in near_keys and _apart(key, vocab.marks[index], near_keys, near_marks)
    )


def _apart(key: str, label_marks: frozenset[str], near_keys: list[str], near_marks: frozenset[str]) -> bool:
    if not label_marks.isdisjoint(near_marks):
        return False
    for near in near_keys:
        if key in near or near in key:
            return False
    return True


def category_candidates(
    rng: Rng, category: str, coarse: Vocab, fine: Vocab, k: int = 4
) -> tuple[str, list[str]] | None:
    """The answer and the candidate list for a category given as one string (None for an empty path).

    A path ('Electronics > Smartwatches') is answered with its last level: distractors are single
    labels, and a path among them would give the answer away by its form. Distractors come from the
    vocabulary of the answer's level, so a parent ('Electronics') or a child ('Jeans' for
    'Clothing') of the answer is never offered as a wrong one.
    """
    if ">" in category:
        levels = [level.strip() for level in category.split(">") if level.strip()]
        if not levels:
            return None
    else:
        levels = [category]
    gold = levels[-1]
    vocab = coarse if norm(gold) in coarse.key_set else fine
    return gold, candidate_labels(rng, [gold], k, vocab, avoid=levels[:-1])


def render_pairs(pairs: Sequence[tuple[str, str]], lang: str) -> str:
    """Name/value pairs as one line: `color: red; size: M` (en) or OpenBG's `颜色#:#红色#;#尺码#:#M` (zh).

    The Chinese form is the one the OpenBG held-out sets use, so training inputs look like theirs.
    """
    if lang == "zh":
        return "#;#".join(f"{name}#:#{value}" for name, value in pairs)
    return "; ".join(f"{name}: {value}" for name, value in pairs)
