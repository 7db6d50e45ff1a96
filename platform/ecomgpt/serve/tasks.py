"""E-commerce task endpoints: raw fields in, the training prompt rendered, the answer parsed.

Each served task names the registered task it was trained as and asks that task to render its input
and instruction fields (the functions its generator uses), then fills the registry's instruction
template (template 0 of the request's language unless the request picks another), so serving and
training see the same prompt. Answers are read with the answer formats of `ecomgpt.answers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecomgpt.answers import ITEMS, LABEL, NER, TEXT
from ecomgpt.prompts import render_prompt
from ecomgpt.serve.errors import ApiError
from ecomgpt.serve.protocol import validate
from ecomgpt.tasks.library import product, query, review
from ecomgpt.tasks.registry import TaskInput, get_task


class TaskRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    model: str = Field(description="served model name")
    lang: Literal["en", "zh"] = Field(default="en", description="language of the instruction template")
    template: int = Field(default=0, ge=0, description="index of the registry's instruction template")
    max_tokens: int | None = Field(default=None, description="most tokens to generate")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _labels(values: list[str]) -> list[str]:
    if any(not v.strip() or ITEMS.sep in v for v in values):
        raise ValueError(f"labels must be non-empty and must not contain {ITEMS.sep!r}")
    if len(set(values)) != len(values):
        raise ValueError("labels must be distinct")
    return values


class AttributeExtraction(TaskRequest):
    title: str = Field(description="product title")
    attributes: list[str] = Field(min_length=1, max_length=32, description="attribute names to extract")
    _title = field_validator("title")(_not_blank)
    _attrs = field_validator("attributes")(_labels)


class CategoryClassification(TaskRequest):
    title: str = Field(description="product title")
    attributes: dict[str, str] = Field(default_factory=dict, description="attribute name -> value")
    candidates: list[str] = Field(min_length=2, max_length=64, description="candidate categories")
    level: Literal["coarse", "fine"] = Field(default="coarse", description="category level the task asks for")
    _title = field_validator("title")(_not_blank)
    _cands = field_validator("candidates")(_labels)


class ReviewSentiment(TaskRequest):
    text: str = Field(description="review text")
    _text = field_validator("text")(_not_blank)


class QueryItemMatching(TaskRequest):
    query: str = Field(description="search query")
    item: str = Field(description="item title")
    _query = field_validator("query", "item")(_not_blank)


class TitleGeneration(TaskRequest):
    attributes: dict[str, str] = Field(min_length=1, description="attribute name -> value")
    brand: str | None = Field(default=None, description="brand, when not among the attributes")


@dataclass(frozen=True)
class ServedTask:
    name: str
    request: type[TaskRequest]
    # Each takes a request of the type `request` names (a subclass of TaskRequest).
    registry_name: Callable[[Any], str]
    render: Callable[[Any], TaskInput]
    parse: Callable[[str, Any], dict]


def _attributes(text: str, req: AttributeExtraction) -> dict:
    # Every asked attribute is present; lines of other types are dropped.
    found = NER.parse(text)
    return {"attributes": {name: found.get(name, []) for name in req.attributes}}


def _category(text: str, req: CategoryClassification) -> dict:
    label = LABEL.parse(text)
    return {"label": label, "in_candidates": label in req.candidates}


def _sentiment(text: str, req: ReviewSentiment) -> dict:
    label = LABEL.parse(text)
    return {"label": label, "sentiment": review.sentiment_of(label, req.lang)}


def _match(text: str, req: QueryItemMatching) -> dict:
    label = LABEL.parse(text)
    return {"label": label, "match": query.match_of(label, req.lang)}


SERVED_TASKS: dict[str, ServedTask] = {
    task.name: task
    for task in (
        ServedTask(
            "attribute_extraction",
            AttributeExtraction,
            lambda r: "product.attribute_extraction",
            lambda r: product.attribute_extraction_input(r.title, r.attributes),
            _attributes,
        ),
        ServedTask(
            "category_classification",
            CategoryClassification,
            lambda r: f"product.{r.level}_category_classification",
            lambda r: product.category_input(r.title, list(r.attributes.items()), r.lang, r.candidates),
            _category,
        ),
        ServedTask(
            "review_sentiment",
            ReviewSentiment,
            lambda r: "review.sentiment_classification",
            lambda r: review.sentiment_input(r.text, r.lang),
            _sentiment,
        ),
        ServedTask(
            "query_item_matching",
            QueryItemMatching,
            lambda r: "query.query_item_matching",
            lambda r: query.matching_input(r.query, r.item, r.lang),
            _match,
        ),
        ServedTask(
            "title_generation",
            TitleGeneration,
            lambda r: "product.title_generation",
            lambda r: product.title_generation_input(list(r.attributes.items()), r.brand, r.lang),
            lambda text, r: {"title": TEXT.parse(text)},
        ),
    )
}


def served_task(name: str) -> ServedTask:
    try:
        return SERVED_TASKS[name]
    except KeyError:
        raise ApiError(
            f"unknown task {name!r}; served tasks: {sorted(SERVED_TASKS)}", 404, code="task_not_found"
        ) from None


def parse_request(task: ServedTask, body: object) -> TaskRequest:
    """The task's request model from a JSON body; a validation error becomes a 400 naming the field."""
    return validate(task.request, body)


def task_prompt(task: ServedTask, req: TaskRequest) -> str:
    """The prompt training renders for this task, input and template."""
    spec = get_task(task.registry_name(req))
    templates = spec.templates[req.lang]
    if req.template >= len(templates):
        raise ApiError(f"template must be below {len(templates)} for {task.name!r}", param="template")
    task_input = task.render(req)
    return render_prompt(spec.definition, spec.instruction(req.lang, req.template, task_input.fields), task_input.input)
