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
INTENTS_ASKED = ("ask_price", "ask_stock", "track_order", "return_item", "recommend", "ask_shipping",
                 "change_address", "ask_discount", "cancel_order")
INTENTS = (*INTENTS_ASKED, "ask_size", "thank")  # `ask_size` only where sizes exist; `thank` ends a dialogue


class PerLanguage(StrictModel):
    en: tuple[str, ...]
    zh: tuple[str, ...]

    def of(self, lang: int) -> tuple[str, ...]:
        return self.zh if lang == ZH else self.en


class BySentiment(StrictModel):
    positive: PerLanguage
    negative: PerLanguage
    neutral: PerLanguage


class Attribute(StrictModel):
    name: Bilingual
    place: Literal["pre", "post", "any"] = Field(description="in a title: before the noun, after it, or either")
    values: Bilinguals = Field(min_length=2)


class _Attributes(RootModel[dict[str, Attribute]]):
    pass


class Department(StrictModel):
    name: Bilingual
    brands: Bilinguals = Field(min_length=BRANDS_PER_DEPARTMENT, max_length=BRANDS_PER_DEPARTMENT)
    selling_points: Bilinguals = Field(min_length=2)
    review_aspects: tuple[str, ...]


class Category(StrictModel):
    department: str
    name: Bilingual
    title_nouns: Bilinguals = Field(min_length=1)
    query_nouns: Bilinguals = Field(min_length=1)
    attributes: tuple[str, ...] = Field(min_length=2)
    price_usd: tuple[int, int] = Field(description="[low, high] in US dollars; Chinese listings are priced in yuan")
    complements: tuple[str, ...] = Field(min_length=1)


class Catalog(StrictModel):
    departments: dict[str, Department]
    categories: dict[str, Category]


class TitleWords(StrictModel):
    marketing_words: Bilinguals = Field(max_length=MARKETING_SLOTS - 1)
    model_code_letters: str = Field(min_length=1)
    model_code_suffixes: tuple[str, ...] = Field(min_length=MODEL_CODE_SUFFIXES, max_length=MODEL_CODE_SUFFIXES)


class Aspect(StrictModel):
    label: Bilingual
    terms: PerLanguage
    generic: bool = Field(default=True, description="whether the generic sentences suit it")
    sentences: BySentiment | None = Field(default=None, description="sentences of its own")


class ReviewWords(StrictModel):
    general_aspects: tuple[str, ...]
    generic_sentences: BySentiment
    aspects: dict[str, Aspect]
    openings: BySentiment
    closings: BySentiment
    titles: BySentiment


class Intent(StrictModel):
    user: PerLanguage
    agent: PerLanguage


class DialogueWords(StrictModel):
    cities: Bilinguals = Field(min_length=1)
    return_reasons: Bilinguals = Field(min_length=1)
    heights: Bilinguals = Field(min_length=1)
    weights: Bilinguals = Field(min_length=1)
    sizes_by_department: dict[str, Bilinguals]
    intents: dict[str, Intent]


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
