"""Canonical raw-record schemas: the one shape every source is mapped to before task generation.

Five data types, as in the EcomGPT paper: product information, user reviews, search queries, user
dialogues, and annotated text (public benchmark datasets with labelled spans or class labels).
Every record carries `record_id`, `source`, `lang` and `data_type`; `data_type` selects the model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

Lang = Literal["en", "zh"]
DATA_TYPES = ("product", "review", "query", "dialogue", "annotated")
SENTIMENTS = ("positive", "negative", "neutral")
RELEVANCE = ("exact", "substitute", "complement", "irrelevant")
PARADIGMS = ("CLS", "NER", "Condition_Extract", "Extract", "Generate", "Match", "QA")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Attribute(_Strict):
    name: str = Field(min_length=1, description="attribute name, e.g. 'color' or '颜色'")
    value: str = Field(min_length=1, description="attribute value as written in the listing")


class _Record(_Strict):
    record_id: str = Field(min_length=1, description="identifier unique within the source")
    source: str = Field(min_length=1, description="source name (config name or synthetic generator)")
    lang: Lang = Field(description="language of the record's text")


class Product(_Record):
    data_type: Literal["product"] = "product"
    title: str = Field(min_length=1, description="product title")
    category: list[str] = Field(default_factory=list, description="category path, coarse to fine")
    attributes: list[Attribute] = Field(default_factory=list, description="name/value pairs")
    brand: str | None = Field(default=None, description="brand name, when known")
    description: str | None = Field(default=None, description="free-text description")
    price: float | None = Field(default=None, ge=0, description="price in the listing's currency")

    @field_validator("category")
    @classmethod
    def _category_levels(cls, value: list[str]) -> list[str]:
        return [level.strip() for level in value if level and level.strip()]


class Aspect(_Strict):
    category: str = Field(min_length=1, description="aspect or topic, e.g. 'quality' or '物流'")
    term: str | None = Field(default=None, description="the words of the review that express it")
    sentiment: Literal["positive", "negative", "neutral"] | None = None


class Review(_Record):
    data_type: Literal["review"] = "review"
    text: str = Field(min_length=1, description="review body")
    title: str | None = Field(default=None, description="review headline or summary")
    rating: int | None = Field(default=None, ge=1, le=5, description="star rating 1-5")
    sentiment: Literal["positive", "negative", "neutral"] | None = None
    aspects: list[Aspect] = Field(default_factory=list, description="aspects or topics mentioned")
    product_id: str | None = Field(default=None, description="reviewed product's identifier")
    product_title: str | None = Field(default=None, description="reviewed product's title")
    product_category: str | None = Field(default=None, description="reviewed product's category")


class Candidate(_Strict):
    title: str = Field(min_length=1, description="candidate item title")
    relevance: Literal["exact", "substitute", "complement", "irrelevant"] = Field(
        description="ESCI-style relevance of the item to the query"
    )
    item_id: str | None = None
    category: str | None = None


class Query(_Record):
    data_type: Literal["query"] = "query"
    query: str = Field(min_length=1, description="the shopper's search query")
    items: list[Candidate] = Field(min_length=1, description="candidate items with relevance labels")
    category: str | None = Field(default=None, description="category the query belongs to")


class Slot(_Strict):
    name: str = Field(min_length=1)
    value: str = Field(min_length=1, description="slot value as written in the turn")


class Turn(_Strict):
    role: Literal["user", "agent"]
    text: str = Field(min_length=1)
    intents: list[str] = Field(default_factory=list, description="intent labels of this turn")
    slots: list[Slot] = Field(default_factory=list)


class Dialogue(_Record):
    data_type: Literal["dialogue"] = "dialogue"
    turns: list[Turn] = Field(min_length=1)
    domain: str | None = Field(default=None, description="shopping domain, e.g. 'Books'")


class Span(_Strict):
    start: int = Field(ge=0, description="character offset of the first character")
    end: int = Field(ge=0, description="character offset one past the last character")
    type: str = Field(default="", description="entity or attribute type; empty for untyped spans")
    term: str = Field(min_length=1, description="the span's text")


class AnnotatedText(_Record):
    data_type: Literal["annotated"] = "annotated"
    text: str = Field(min_length=1, description="the annotated text")
    dataset: str = Field(min_length=1, description="dataset name, e.g. 'MEPAVE'")
    paradigm: Literal["CLS", "NER", "Condition_Extract", "Extract", "Generate", "Match", "QA"]
    definition: str = Field(min_length=1, description="task definition, e.g. 'named entity recognition'")
    label_set: list[str] = Field(default_factory=list, description="all labels or entity types")
    labels: list[str] = Field(default_factory=list, description="gold class labels (CLS)")
    spans: list[Span] = Field(default_factory=list, description="gold spans (NER, Extract, Generate)")
    instruction: str | None = Field(
        default=None, description="the dataset's own instruction, with {label_set} if it lists labels"
    )

    @model_validator(mode="after")
    def _spans_inside_text(self) -> AnnotatedText:
        for span in self.spans:
            if span.end > span.start and self.text[span.start : span.end] != span.term:
                raise ValueError(f"span {span.term!r} [{span.start}:{span.end}] does not match the text there")
        return self


CanonicalRecord = Annotated[Product | Review | Query | Dialogue | AnnotatedText, Field(discriminator="data_type")]
RECORD_ADAPTER: TypeAdapter = TypeAdapter(CanonicalRecord)
MODELS: dict[str, type[BaseModel]] = {
    "product": Product,
    "review": Review,
    "query": Query,
    "dialogue": Dialogue,
    "annotated": AnnotatedText,
}
