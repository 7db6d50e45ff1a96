"""Reviews: a listing reviewed in one to three aspects, each term written into the text with its sentiment."""

from __future__ import annotations

from typing import Any

from ecomgpt.records.synth.catalog import CATALOGS, LANGS, SENTIMENTS, SOURCE, VOCABULARY
from ecomgpt.records.synth.draws import Draws
from ecomgpt.records.synth.product import listing_title
from ecomgpt.records.synth.vocabulary import EN, ZH

POSITIVE, NEGATIVE, NEUTRAL = range(3)  # sentiment indices, as in SENTIMENTS
_WORDS = VOCABULARY.reviews
# (openings, closings, titles) by language and overall sentiment
_FRAMES = tuple(
    tuple(
        (getattr(_WORDS.openings, s).of(lang), getattr(_WORDS.closings, s).of(lang), getattr(_WORDS.titles, s).of(lang))
        for s in SENTIMENTS
    )
    for lang in (EN, ZH)
)


def _aspect_sentiments(overall: int, count: int, draw: int) -> list[int]:
    """Each aspect's sentiment: mostly the review's own; a neutral review may praise one aspect and
    criticise another, and now and then a positive or negative review ends on a neutral aspect."""
    if overall == NEUTRAL:
        sentiments = [NEUTRAL] * count
        if count > 1 and draw % 3:
            sentiments[0], sentiments[1] = (POSITIVE, NEGATIVE) if draw & 1 else (NEGATIVE, POSITIVE)
    else:
        sentiments = [overall] * count
        if count > 1 and draw % 4 == 1:
            sentiments[-1] = NEUTRAL
    return sentiments


def review_record(draws: Draws, lang: int, record_id: str, product_id: str) -> dict:
    catalog = CATALOGS[lang]
    category = catalog[draws.below(len(catalog))]
    product_title = listing_title(draws, category, lang)[0]
    word = draws.word()  # about 40 bits: sentiment, rating, aspects, their terms and sentences
    roll = word % 100
    word //= 100
    overall = POSITIVE if roll < 55 else NEGATIVE if roll < 80 else NEUTRAL
    rating = (4, 5, 5)[word % 3] if overall == POSITIVE else 1 + word % 2 if overall == NEGATIVE else 3
    word //= 3
    pool = category.review_aspects
    n = len(pool)
    count = 1 + word % 3
    word //= 3
    picked: list[int] = []
    chosen: list[tuple[str, str, Any]] = []
    for _ in range(count):
        j = word % n
        word //= n
        label, terms = pool[j]
        term, sentences = terms[word % len(terms)]
        word //= len(terms)
        if j in picked:
            continue
        picked.append(j)
        for _, other, _ in chosen:  # one term inside another would blur the spans
            if term in other or other in term:
                break
        else:
            chosen.append((label, term, sentences))
    sentiments = _aspect_sentiments(overall, len(chosen), word % 12)
    word //= 12
    aspects, body = [], []
    for (label, term, sentences), sentiment in zip(chosen, sentiments):
        options = sentences[sentiment]
        body.append(options[word % len(options)])
        word //= len(options)
        aspects.append({"category": label, "term": term, "sentiment": SENTIMENTS[sentiment]})
    openings, closings, titles = _FRAMES[lang][overall]
    word = draws.word()
    opening = openings[word % len(openings)]
    word //= len(openings)
    closing = closings[word % len(closings)]
    word //= len(closings)
    title = titles[word % len(titles)] if word // len(titles) % 5 < 3 else None
    if lang == EN:
        text = f"{opening} {' '.join(body)} {closing}" if opening else f"{' '.join(body)} {closing}"
    else:
        text = f"{opening}{'，'.join(body)}。{closing}"
    return {
        "record_id": record_id,
        "source": SOURCE,
        "lang": LANGS[lang],
        "data_type": "review",
        "text": text,
        "title": title,
        "rating": rating,
        "sentiment": SENTIMENTS[overall],
        "aspects": aspects,
        "product_id": product_id,
        "product_title": product_title,
        "product_category": category.path,
    }
