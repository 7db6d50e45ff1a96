"""E-commerce task endpoints: raw fields in, the training prompt rendered, the answer parsed.

Each served task names the registered task it was trained as, builds the task's input exactly as the
task generator does, and fills the registry's instruction template (template 0 of the request's
language unless the request picks another), so serving and training see the same prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ecomgpt.prompts import LIST_SEP, join_items, render_prompt
from ecomgpt.serve.errors import ApiError
from ecomgpt.tasks.library._common import SENTIMENT_LABELS, SENTIMENT_SET, render_pairs
from ecomgpt.tasks.library.product import BRAND_NAME
from ecomgpt.tasks.library.query import MATCH_LABELS, MATCH_SET
from ecomgpt.tasks.registry import get_task

NONE_ANSWER = "None"


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
    if any(not v.strip() or LIST_SEP in v for v in values):
        raise ValueError(f"labels must be non-empty and must not contain {LIST_SEP!r}")
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
    registry_name: Callable[[TaskRequest], str]
    render: Callable[[TaskRequest], tuple[str, dict[str, str]]]  # (task input, template fields)
    parse: Callable[[str, TaskRequest], dict]


def parse_list(text: str) -> list[str]:
    """A `, `-joined answer as its items; `None` and an empty answer are no items."""
    text = text.strip()
    if not text or text == NONE_ANSWER:
        return []
    return [item.strip() for item in text.split(LIST_SEP) if item.strip()]


def parse_ner(text: str, types: list[str]) -> dict[str, list[str]]:
    """`Type: a, b` / `Type: None` lines as {type: [spans]}; every asked type is present, lines of other types are dropped."""
    found: dict[str, list[str]] = {t: [] for t in types}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name.strip() in found:
            found[name.strip()] = parse_list(rest)
    return found


def _label(text: str, candidates: list[str]) -> dict:
    label = text.strip()
    return {"label": label, "in_candidates": label in candidates}


def _product_text(title: str, attributes: dict[str, str], lang: str) -> str:
    # As product._product_text: title, tab, attributes.
    return f"{title}\t{render_pairs(list(attributes.items()), lang)}" if attributes else title


def _facts(req: TitleGeneration) -> list[tuple[str, str]]:
    # As product._facts: the attributes plus the brand unless an attribute already carries it.
    pairs = list(req.attributes.items())
    if req.brand and all(value != req.brand for _, value in pairs):
        pairs.append((BRAND_NAME[req.lang], req.brand))
    return pairs


def _sentiment(text: str, req: TaskRequest) -> dict:
    by_label = {label: key for key, label in SENTIMENT_LABELS[req.lang].items()}
    label = text.strip()
    return {"label": label, "sentiment": by_label.get(label)}


def _match(text: str, req: TaskRequest) -> dict:
    label = text.strip()
    yes, no = MATCH_LABELS[req.lang]
    return {"label": label, "match": True if label == yes else False if label == no else None}


SERVED_TASKS: dict[str, ServedTask] = {
    task.name: task
    for task in (
        ServedTask(
            "attribute_extraction",
            AttributeExtraction,
            lambda r: "product.attribute_extraction",
            lambda r: (r.title, {"label_set": join_items(r.attributes)}),
            lambda text, r: {"attributes": parse_ner(text, r.attributes)},
        ),
        ServedTask(
            "category_classification",
            CategoryClassification,
            lambda r: f"product.{r.level}_category_classification",
            lambda r: (_product_text(r.title, r.attributes, r.lang), {"label_set": join_items(r.candidates)}),
            lambda text, r: _label(text, r.candidates),
        ),
        ServedTask(
            "review_sentiment",
            ReviewSentiment,
            lambda r: "review.sentiment_classification",
            lambda r: (r.text, {"label_set": SENTIMENT_SET[r.lang]}),
            _sentiment,
        ),
        ServedTask(
            "query_item_matching",
            QueryItemMatching,
            lambda r: "query.query_item_matching",
            # As query._pair_text: English field names in both languages.
            lambda r: (f"Query: {r.query}\nDoc: {r.item}", {"label_set": MATCH_SET[r.lang]}),
            _match,
        ),
        ServedTask(
            "title_generation",
            TitleGeneration,
            lambda r: "product.title_generation",
            lambda r: (render_pairs(_facts(r), r.lang), {}),
            lambda text, r: {"title": text.strip()},
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
    try:
        return task.request.model_validate(body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(f"{where}: {first['msg']}", param=where) from None


def task_prompt(task: ServedTask, req: TaskRequest) -> str:
    """The prompt training renders for this task, input and template."""
    spec = get_task(task.registry_name(req))
    templates = spec.templates[req.lang]
    if req.template >= len(templates):
        raise ApiError(f"template must be below {len(templates)} for {task.name!r}", param="template")
    input_text, fields = task.render(req)
    instruction = templates[req.template].format(**fields) if fields else templates[req.template]
    return render_prompt(spec.definition, instruction, input_text)
