"""Ingestion of one read unit: raw records -> validated canonical records, or quarantined rejects.

`iter_unit` yields exactly one item per raw record, in file order: a canonical pydantic record or a
`Reject` that says where the record was, why it was refused and what it looked like. So
records_in == accepted + rejected holds for every unit, and one bad record never costs another:
whatever exception one record raises while it is mapped and validated, it becomes that record's
reject (`invalid_value`, the exception named in the detail), never the unit's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ecomgpt.records.annotated import read_bio, read_ecomgpt
from ecomgpt.records.decoding import BOM
from ecomgpt.records.mapping import MappingError, apply_mapping, column_of
from ecomgpt.records.readers import RawItem, read_csv, read_json_array, read_json_lines, read_parquet
from ecomgpt.records.schema import MODELS, RECORD_ADAPTER
from ecomgpt.records.sources import SourceConfig
from ecomgpt.records.units import ReadUnit

REJECT_REASONS = (
    "unparsable",  # not a record at all: bad JSON line, CSV row with the wrong field count, bad BIO line
    "bad_encoding",  # bytes that are not UTF-8
    "wrong_type",  # a value of the wrong type: rating "abc", a number where text was expected
    "missing_field",  # a required canonical field is absent or null (or a required list is empty)
    "empty_text",  # a required text is empty or whitespace
    "field_too_long",  # a string field longer than max_field_chars
    "invalid_value",  # any other schema violation: rating 9, an unknown label, a span off its text
)

READERS: dict[str, Callable[[ReadUnit, SourceConfig], Iterator[RawItem]]] = {
    "jsonl": read_json_lines,
    "json": read_json_array,
    "csv": read_csv,
    "parquet": read_parquet,
    "bio": read_bio,
    "ecomgpt": read_ecomgpt,
}


@dataclass(frozen=True)
class Reject:
    """A quarantined raw record."""

    source: str
    file: str
    location: str  # "line 17", "row 5 (line 6)", "sentence 3 (line 40)"
    reason: str  # one of REJECT_REASONS
    detail: str  # names the canonical field (and raw column)
    raw: str  # the raw text, clipped to about 2,000 characters

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def iter_unit(unit: ReadUnit, max_field_chars: int = 100_000) -> Iterator[BaseModel | Reject]:
    """One canonical record or one Reject per raw record of the unit, in file order."""
    config = unit.source
    for item in READERS[config.format](unit, config):
        if item.reason is not None:
            yield Reject(config.name, unit.path, item.location, item.reason, item.detail, item.raw_text())
            continue
        try:
            outcome = to_record(item, config, max_field_chars)
        except Exception as exc:  # noqa: BLE001 - whatever breaks on one record is its reject
            outcome = "invalid_value", f"cannot build the record: {type(exc).__name__}: {exc}"
        if isinstance(outcome, tuple):
            reason, detail = outcome
            yield Reject(config.name, unit.path, item.location, reason, detail, item.raw_text())
        else:
            yield outcome


def to_record(item: RawItem, config: SourceConfig, max_field_chars: int) -> BaseModel | tuple[str, str]:
    """The validated record for one parsed raw row, or (reason, detail)."""
    if config.mapping is not None:
        try:
            data = apply_mapping(config.mapping, item.row, config.config_dir)
        except MappingError as exc:
            return exc.reason, exc.detail
        data["source"] = config.name
        data["data_type"] = config.data_type
        if "record_id" not in config.mapping:  # a mapped id is required like any mapped field
            data["record_id"] = item.default_id
    else:
        # Canonical rows keep their own record_id; nulls count as absent. `source` is always the
        # config's name, so accepted and rejected records of one source are counted together.
        data = {key: value for key, value in item.row.items() if value is not None}
        data["source"] = config.name
        data.setdefault("record_id", item.default_id)
        if config.data_type is not None:
            found = data.setdefault("data_type", config.data_type)
            if found != config.data_type:
                return "invalid_value", f"data_type {found!r} in a source of data_type {config.data_type!r}"
    if config.lang is not None:
        data.setdefault("lang", config.lang)
    if isinstance(data.get("record_id"), int) and not isinstance(data["record_id"], bool):
        data["record_id"] = str(data["record_id"])
    clean = item.bom_free and item.text_len is not None and item.text_len <= max_field_chars
    if not clean and _needs_cleaning(data, max_field_chars):
        try:
            data = _clean(data, "", max_field_chars)
        except _TooLong as exc:
            return "field_too_long", str(exc)
    data_type = data.get("data_type")
    model = MODELS.get(data_type) if isinstance(data_type, str) else None
    try:
        return model.model_validate(data) if model is not None else RECORD_ADAPTER.validate_python(data)
    except ValidationError as exc:
        return classify(exc, config)


class _TooLong(ValueError):
    pass


def _needs_cleaning(data: Any, limit: int) -> bool:
    """A fast scan: does any string carry a BOM or exceed the limit?"""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) > limit or value.startswith(BOM):
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _clean(value: Any, where: str, limit: int) -> Any:
    """Drop a leading BOM from every string; refuse strings over `limit` characters."""
    if isinstance(value, str):
        if value.startswith(BOM):
            value = value[1:]
        if len(value) > limit:
            raise _TooLong(f"{where or 'value'}: {len(value):,} characters, more than the limit of {limit:,}")
        return value
    if isinstance(value, dict):
        return {key: _clean(item, f"{where}.{key}" if where else str(key), limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item, f"{where}[{i}]", limit) for i, item in enumerate(value)]
    return value


def reason_of(error: Mapping[str, Any]) -> str:
    kind, given = error["type"], error.get("input")
    if kind in ("missing", "union_tag_not_found") or (given is None and kind.endswith("_type")):
        return "missing_field"
    if kind == "string_too_short":
        return "empty_text"
    if kind == "too_short":
        return "missing_field"
    if kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        return "wrong_type"
    return "invalid_value"


def classify(error: ValidationError, config: SourceConfig) -> tuple[str, str]:
    """(reason, detail) for a schema violation; the detail names the fields and raw columns."""
    errors = error.errors(include_url=False)
    parts = []
    for item in errors[:3]:
        loc = [str(part) for part in item["loc"] if part not in MODELS]
        field = ".".join(loc) or "record"
        column = column_of(config.mapping, loc[0]) if loc else None
        named = f"{field} (column {column!r})" if column else field
        parts.append(f"{named}: {item['msg']}")
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return reason_of(errors[0]), "; ".join(parts) + more
