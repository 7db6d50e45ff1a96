"""Evaluating a source mapping on one raw row: canonical field -> value, before schema validation.

Missing columns give None and are left out of the result, so the canonical schema decides whether
a field is required (missing_field) or takes its default. A value the mapping itself cannot handle
(a parser failure, a value absent from a `values` map) raises `MappingError` with the reject
reason and the canonical field and raw column it concerns.
"""

from __future__ import annotations

from typing import Any

from ecomgpt.records.decoding import ParseFailure
from ecomgpt.records.parsers import apply_parser
from ecomgpt.records.sources import FieldRule, value_key


class MappingError(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def apply_mapping(mapping: dict[str, Any], row: Any, functions_dir: str | None = None) -> dict[str, Any]:
    """The canonical fields of one raw row (fields that come out None are left out).

    `functions_dir` is where `module:function` parsers are imported from first (the config's directory).
    """
    return _build(mapping, row, "", functions_dir)


def _build(mapping: dict[str, Any], context: Any, where: str, functions_dir: str | None) -> dict[str, Any]:
    out = {}
    for field, spec in mapping.items():
        value = _evaluate(spec, context, f"{where}{field}", functions_dir)
        if value is not None:
            out[field] = value
    return out


def _evaluate(spec: Any, context: Any, field: str, functions_dir: str | None) -> Any:
    if isinstance(spec, str):
        return lookup(context, spec, field)
    if isinstance(spec, list):
        items = []
        for i, item in enumerate(spec):
            value = (
                lookup(context, item, f"{field}[{i}]")
                if isinstance(item, str)
                else _build(item, context, f"{field}[{i}].", functions_dir)
            )
            if value is not None:
                items.append(value)
        return items
    return _evaluate_rule(spec, context, field, functions_dir)


def _evaluate_rule(rule: FieldRule, context: Any, field: str, functions_dir: str | None) -> Any:
    if "const" in rule.model_fields_set:
        return rule.const
    column = rule.column or ""
    value = lookup(context, column, field)
    for parser in rule.parse:
        try:
            value = apply_parser(parser, value, functions_dir)
        except ParseFailure as exc:
            raise MappingError(exc.reason, f"{field} (column {column!r}, parser {parser!r}): {exc}") from None
    if rule.values is not None and value is not None:
        if isinstance(value, list):
            value = [_map_value(rule.values, item, field, column) for item in value]
        else:
            value = _map_value(rule.values, value, field, column)
    if rule.each is not None and value is not None:
        if not isinstance(value, list):
            raise MappingError(
                "wrong_type", f"{field} (column {column!r}): expected a list, got {type(value).__name__}"
            )
        value = [_build(rule.each, element, f"{field}[{i}].", functions_dir) for i, element in enumerate(value)]
    return rule.default if value is None else value


def _map_value(values: dict[str, Any], value: Any, field: str, column: str) -> Any:
    if isinstance(value, (dict, list)):
        raise MappingError("wrong_type", f"{field} (column {column!r}): cannot map a {type(value).__name__}")
    key = value_key(value)
    if key not in values:
        known = ", ".join(sorted(values))
        detail = f"{field} (column {column!r}): value {value!r} is not one of {known}"
        raise MappingError("invalid_value", detail)
    return values[key]


def lookup(context: Any, path: str, field: str) -> Any:
    """`path` in a row: an exact key first, else a dotted path (list indices allowed)."""
    if not isinstance(context, dict):
        detail = f"{field} (column {path!r}): expected an object, got {type(context).__name__}"
        raise MappingError("wrong_type", detail)
    if path in context:
        return context[path]
    current: Any = context
    for part in path.split("."):
        if current is None:
            return None
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            raise MappingError(
                "wrong_type", f"{field} (column {path!r}): {part!r} is inside a {type(current).__name__}"
            )
    return current


def row_columns(mapping: dict[str, Any]) -> dict[str, str]:
    """Columns the mapping reads from the row itself (not from list elements): column -> field.

    A rule with a `default` marks its column optional (a sparse JSON key), so it is not listed.
    """
    out: dict[str, str] = {}

    def visit(spec: Any, field: str) -> None:
        if isinstance(spec, str):
            out.setdefault(spec, field)
        elif isinstance(spec, list):
            for i, item in enumerate(spec):
                if isinstance(item, str):
                    out.setdefault(item, f"{field}[{i}]")
                else:
                    for key, sub in item.items():
                        visit(sub, f"{field}[{i}].{key}")
        elif spec.column is not None and "default" not in spec.model_fields_set:
            out.setdefault(spec.column, field)

    for key, spec in mapping.items():
        visit(spec, key)
    return out


def column_of(mapping: dict[str, Any] | None, field: str) -> str | None:
    """The raw column a top-level canonical field comes from, for messages."""
    spec = (mapping or {}).get(field)
    if isinstance(spec, str):
        return spec
    if isinstance(spec, FieldRule):
        return spec.column
    return None
