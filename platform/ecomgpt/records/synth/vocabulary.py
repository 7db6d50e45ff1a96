"""The synthetic generator's word lists: the YAML files in `words/`, loaded into typed models and checked.

A text that has one meaning in both languages is an (English, Chinese) pair, so one draw picks the same
meaning in either language; lists that need not match are given per language (`{en: [...], zh: [...]}`).
An unknown key, a missing field or a name that points nowhere raises ConfigError naming the file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, RootModel

from ecomgpt.config import ConfigError, StrictModel, load_model

WORDS = Path(__file__).resolve().parent / "words"
EN, ZH = 0, 1  # index of a language in a Bilingual pair
Bilingual = tuple[str, str]  # (English, Chinese)
Bilinguals = tuple[Bilingual, ...]
BRANDS_PER_DEPARTMENT = 8  # a listing draws its brand from 3 bits
MODEL_CODE_SUFFIXES = 9
MARKETING_SLOTS = 20  # a title draws one of 20: a marketing word, or none past the list
INTENTS_ASKED = (
    "ask_price",
    "ask_stock",
    "track_order",
    "return_item",
    "recommend",
    "ask_shipping",
    "change_address",
    "ask_discount",
    "cancel_order",
)
INTENTS = (*INTENTS_ASKED, "ask_size", "thank")  # `ask_size` only where sizes exist; `thank` ends a dialogue


class PerLanguage(StrictModel):
    en: tuple[str, ...] = Field(description="the English texts")
    zh: tuple[str, ...] = Field(description="the Chinese texts")

    def of(self, lang: int) -> tuple[str, ...]:
        return self.zh if lang == ZH else self.en


class BySentiment(StrictModel):
    positive: PerLanguage = Field(description="texts for a positive sentiment")
    negative: PerLanguage = Field(description="texts for a negative sentiment")
    neutral: PerLanguage = Field(description="texts for a neutral sentiment")


class Attribute(StrictModel):
    name: Bilingual = Field(description="the attribute's name in a record, e.g. [color, 颜色]")
    place: Literal["pre", "post", "any"] = Field(description="in a title: before the noun, after it, or either")
    values: Bilinguals = Field(min_length=2, description="the values a listing may have")


class _Attributes(RootModel[dict[str, Attribute]]):
    pass


class Department(StrictModel):
    name: Bilingual = Field(description="the coarse category level, e.g. [Clothing, 服饰]")
    brands: Bilinguals = Field(
        min_length=BRANDS_PER_DEPARTMENT, max_length=BRANDS_PER_DEPARTMENT, description="invented brand names"
    )
    selling_points: Bilinguals = Field(min_length=2, description="sentences of listing descriptions")
    review_aspects: tuple[str, ...] = Field(description="aspects its reviews mention, besides the general ones")


class Category(StrictModel):
    department: str = Field(description="key of its department")
    name: Bilingual = Field(description="the fine category level, e.g. [Dresses, 连衣裙]")
    title_nouns: Bilinguals = Field(min_length=1, description="what a listing title calls the item")
    query_nouns: Bilinguals = Field(min_length=1, description="what a shopper calls it in a query or a chat")
    attributes: tuple[str, ...] = Field(min_length=2, description="keys of its attributes")
    price_usd: tuple[int, int] = Field(description="[low, high] in US dollars; Chinese listings are priced in yuan")
    complements: tuple[str, ...] = Field(min_length=1, description="keys of categories bought with it")


class Catalog(StrictModel):
    departments: dict[str, Department] = Field(description="departments by key")
    categories: dict[str, Category] = Field(description="categories by key, in the order records draw them")


class TitleWords(StrictModel):
    marketing_words: Bilinguals = Field(max_length=MARKETING_SLOTS - 1, description="words a title may open with")
    model_code_letters: str = Field(min_length=1, description="letters of model-code prefixes")
    model_code_suffixes: tuple[str, ...] = Field(
        min_length=MODEL_CODE_SUFFIXES, max_length=MODEL_CODE_SUFFIXES, description="endings of model codes, by weight"
    )


class Aspect(StrictModel):
    label: Bilingual = Field(description="the aspect's category label in a record")
    terms: PerLanguage = Field(description="words a review uses for it")
    generic: bool = Field(default=True, description="whether the generic sentences suit it")
    sentences: BySentiment | None = Field(default=None, description="sentences of its own, with {term}")


class ReviewWords(StrictModel):
    general_aspects: tuple[str, ...] = Field(description="aspects any review may mention")
    generic_sentences: BySentiment = Field(description="sentences for any aspect, with {term}")
    aspects: dict[str, Aspect] = Field(description="aspects by key")
    openings: BySentiment = Field(description="first sentences by overall sentiment; empty means none")
    closings: BySentiment = Field(description="last sentences by overall sentiment")
    titles: BySentiment = Field(description="review headlines by overall sentiment")


class Intent(StrictModel):
    user: PerLanguage = Field(description="user turns; their {placeholders} are the turn's slots")
    agent: PerLanguage = Field(description="agent replies")


class DialogueWords(StrictModel):
    cities: Bilinguals = Field(min_length=1, description="delivery cities")
    return_reasons: Bilinguals = Field(min_length=1, description="why an item goes back")
    heights: Bilinguals = Field(min_length=1, description="a shopper's height, for size advice")
    weights: Bilinguals = Field(min_length=1, description="a shopper's weight, for size advice")
    sizes_by_department: dict[str, Bilinguals] = Field(description="sizes a shopper may ask about")
    intents: dict[str, Intent] = Field(description="turns by intent")


@dataclass(frozen=True)
class Vocabulary:
    attributes: dict[str, Attribute]
    catalog: Catalog
    titles: TitleWords
    reviews: ReviewWords
    dialogues: DialogueWords


def _unknown(where: str, names, known) -> None:
    missing = [name for name in names if name not in known]
    if missing:
        raise ConfigError(f"{where}: unknown {missing}; known: {sorted(known)}")


def check_references(vocab: Vocabulary, directory: Path = WORDS) -> None:
    """Every name a word list uses is defined where it points."""
    catalog, reviews = vocab.catalog, vocab.reviews
    in_catalog, in_reviews, in_dialogues = (
        f"{directory / name}.yaml: " for name in ("catalog", "reviews", "dialogues")
    )
    for key, department in catalog.departments.items():
        _unknown(f"{in_catalog}departments.{key}.review_aspects", department.review_aspects, reviews.aspects)
    for key, category in catalog.categories.items():
        _unknown(f"{in_catalog}categories.{key}.department", [category.department], catalog.departments)
        _unknown(f"{in_catalog}categories.{key}.attributes", category.attributes, vocab.attributes)
        _unknown(f"{in_catalog}categories.{key}.complements", category.complements, catalog.categories)
    _unknown(f"{in_reviews}general_aspects", reviews.general_aspects, reviews.aspects)
    for key, aspect in reviews.aspects.items():
        if not aspect.generic and aspect.sentences is None:
            raise ConfigError(f"{in_reviews}aspects.{key} has neither generic sentences nor its own")
    missing = [intent for intent in INTENTS if intent not in vocab.dialogues.intents]
    if missing:
        raise ConfigError(f"{in_dialogues}intents: missing {missing}; dialogues draw from {list(INTENTS)}")
    _unknown(f"{in_dialogues}sizes_by_department", vocab.dialogues.sizes_by_department, catalog.departments)


@functools.cache
def load_vocabulary(directory: Path = WORDS) -> Vocabulary:
    """The word lists of `directory`, validated and cross-checked (read once per process)."""
    vocab = Vocabulary(
        attributes=load_model(_Attributes, directory / "attributes.yaml").root,
        catalog=load_model(Catalog, directory / "catalog.yaml"),
        titles=load_model(TitleWords, directory / "titles.yaml"),
        reviews=load_model(ReviewWords, directory / "reviews.yaml"),
        dialogues=load_model(DialogueWords, directory / "dialogues.yaml"),
    )
    check_references(vocab, directory)
    return vocab
