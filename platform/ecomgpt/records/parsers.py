"""Named value parsers for source mappings (`parse: split:>>` in a source config).

A parser turns one raw value into another: `json` reads a JSON string, `ruby_kv` reads Flipkart's
Ruby-hash specifications, `pluck:0` takes element 0 of every item of a list, `kv::` turns
`Weight: 10 pounds` into an attribute pair, `money` reads `$1,234.50`, `regex:PATTERN` takes a
pattern's first group. Parsers are looked up by explicit name; an unknown name raises with the list
of known ones. Anything else is a `module:function` (a dotted module and a function name): the
function is imported from the source config's directory (`<dir>/module.py`) or else from the Python
path, and called with the value. A parser that receives None returns None, so a missing column
stays missing and the canonical schema reports it.

A parser signals a bad value with `ParseFailure` (`records.decoding`); `reason` is "wrong_type" when the
value has the wrong shape (a number where a list was expected) and "invalid_value" when its content is
malformed.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import os
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ecomgpt.records.decoding import ParseFailure, load_json, read_ruby

ParserFn = Callable[[Any, "str | None"], Any]


_PARSERS: dict[str, tuple[ParserFn, bool]] = {}


def register_parser(name: str, *, takes_arg: bool = False) -> Callable[[ParserFn], ParserFn]:
    """Register `fn(value, arg)` under `name`; `takes_arg` parsers are written `name:arg`."""

    def deco(fn: ParserFn) -> ParserFn:
        if name in _PARSERS:
            raise ValueError(f"parser {name!r} is already registered; known parsers: {known_parsers()}")
        _PARSERS[name] = (fn, takes_arg)
        return fn

    return deco


def known_parsers() -> list[str]:
    return sorted(f"{name}:<arg>" if takes_arg else name for name, (_, takes_arg) in _PARSERS.items())


def is_function(spec: str) -> bool:
    """Whether `spec` names a `module:function` rather than a registered parser."""
    name, sep, arg = spec.partition(":")
    return (
        bool(sep)
        and name not in _PARSERS
        and arg.isidentifier()
        and all(part.isidentifier() for part in name.split("."))
    )


def check_parser(spec: str) -> None:
    """Raise ValueError for an unknown parser name, a missing/unexpected argument or a bad pattern.

    A `module:function` passes here; `load_function` imports it once the config's directory is known.
    """
    if is_function(spec):
        return
    name, sep, arg = spec.partition(":")
    if name not in _PARSERS:
        raise ValueError(f"unknown parser {spec!r}; known parsers: {', '.join(known_parsers())}, or a module:function")
    takes_arg = _PARSERS[name][1]
    if takes_arg and not (sep and arg):
        raise ValueError(f"parser {name!r} needs an argument, written {name}:<arg>")
    if not takes_arg and sep:
        raise ValueError(f"parser {name!r} takes no argument, got {spec!r}")
    if name == "regex":
        try:
            _pattern(arg)
        except re.error as exc:
            raise ValueError(f"parser {spec!r}: not a regular expression: {exc}") from None


def apply_parser(spec: str, value: Any, functions_dir: str | None = None) -> Any:
    if value is None:
        return None
    name, _, arg = spec.partition(":")
    if name not in _PARSERS:
        user_fn = load_function(spec, functions_dir)
        try:
            return user_fn(value)
        except Exception as exc:  # noqa: BLE001 - a user function's failure on one value is that record's reject
            raise ParseFailure("invalid_value", f"{type(exc).__name__}: {exc}") from None
    fn, takes_arg = _PARSERS[name]
    return fn(value, arg if takes_arg else None)


@functools.lru_cache(maxsize=256)
def load_function(spec: str, functions_dir: str | None) -> Callable[[Any], Any]:
    """The function a `module:function` parser names; ValueError saying where it was looked for."""
    module_name, _, attr = spec.partition(":")
    module = _import(spec, module_name, functions_dir)
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ValueError(f"parser {spec!r}: {module.__file__} has no function {attr!r}")  # noqa: TRY004 - a config error
    return fn


def _import(spec: str, module_name: str, functions_dir: str | None) -> ModuleType:
    path = os.path.join(functions_dir, *module_name.split(".")) + ".py" if functions_dir else None
    if path is not None and os.path.isfile(path):
        loader_spec = importlib.util.spec_from_file_location(f"ecomgpt_source_parser_{module_name}", path)
        assert loader_spec is not None and loader_spec.loader is not None  # always, for a .py file
        module = importlib.util.module_from_spec(loader_spec)
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user module's own error, reported with its file
            raise ValueError(f"parser {spec!r}: importing {path} failed: {type(exc).__name__}: {exc}") from None
        return module
    try:
        return importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure, reported with where it was looked for
        where = f"neither in {functions_dir} nor on the Python path" if functions_dir else "not on the Python path"
        raise ValueError(
            f"parser {spec!r}: cannot import module {module_name!r} ({where}): {type(exc).__name__}: {exc}"
        ) from None


def _need(value: Any, kind: type | tuple[type, ...], parser: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ParseFailure("wrong_type", f"parser {parser!r} expects {names}, got {type(value).__name__}")


@register_parser("json")
def _json(value: Any, _: str | None) -> Any:
    _need(value, str, "json")
    return load_json(value)


@register_parser("python_literal")
def _python_literal(value: Any, _: str | None) -> Any:
    _need(value, str, "python_literal")
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ParseFailure("invalid_value", f"not a Python literal: {exc}") from None


@register_parser("split", takes_arg=True)
def _split(value: Any, sep: str | None) -> list[str]:
    _need(value, str, "split")
    return [part.strip() for part in value.split(sep) if part.strip()]


@register_parser("first")
def _first(value: Any, _: str | None) -> Any:
    _need(value, (list, tuple), "first")
    return value[0] if value else None


@register_parser("last")
def _last(value: Any, _: str | None) -> Any:
    _need(value, (list, tuple), "last")
    return value[-1] if value else None


@register_parser("drop_last")
def _drop_last(value: Any, _: str | None) -> list:
    _need(value, (list, tuple), "drop_last")
    return list(value[:-1])


@register_parser("list")
def _as_list(value: Any, _: str | None) -> list:
    """Wrap a single value into a one-element list (a lone intent label into `intents`)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


@register_parser("pluck", takes_arg=True)
def _pluck(value: Any, key: str | None) -> list:
    """Element `key` (an index, or a dict key) of every item: [[intent, score], ...] -> [intent, ...]."""
    _need(value, (list, tuple), "pluck")
    out = []
    for item in value:
        if isinstance(item, dict):
            out.append(item.get(key))
        elif isinstance(item, (list, tuple)) and key is not None and key.lstrip("-").isdigit():
            index = int(key)
            out.append(item[index] if -len(item) <= index < len(item) else None)
        else:
            raise ParseFailure("wrong_type", f"parser 'pluck:{key}' cannot index a {type(item).__name__}")
    return out


@register_parser("int")
def _int(value: Any, _: str | None) -> int:
    try:
        number = float(value) if isinstance(value, str) else value
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number != int(number):
            raise ValueError
        return int(number)
    except (ValueError, OverflowError):
        raise ParseFailure("wrong_type", f"not an integer: {value!r}") from None


@register_parser("float")
def _float(value: Any, _: str | None) -> float:
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError  # noqa: TRY004 - handled below with the other unparsable values
        return float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except ValueError:
        raise ParseFailure("wrong_type", f"not a number: {value!r}") from None


@register_parser("kv", takes_arg=True)
def _kv(value: Any, sep: str | None) -> list[dict[str, str]]:
    """`Weight: 10 pounds` (or a list of such) -> [{"name": "Weight", "value": "10 pounds"}].

    Split at the first `sep`, both sides stripped; an item without both sides is dropped.
    """
    items = [value] if isinstance(value, str) else value
    _need(items, (list, tuple), f"kv:{sep}")
    pairs = []
    for item in items:
        _need(item, str, f"kv:{sep}")
        name, found, val = item.partition(sep or "")
        if found:
            pairs.append((name, val))
    return _pairs(pairs)


_MONEY_NOISE = re.compile(r"[^\d.,\-]")


@register_parser("money")
def _money(value: Any, _: str | None) -> float:
    """A price as a float: `$1,234.50`, `₹ 999`, `1.234,50 €`, `USD 12`.

    Currency symbols, codes and spaces are dropped. With both `.` and `,` the last one is the decimal
    mark; a repeated mark, or a lone one after a non-zero integer part and before exactly three
    digits, separates thousands (`1,234` is 1234.0, `0.999` is 0.999, `12,50` is 12.5).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    _need(value, str, "money")
    text = _MONEY_NOISE.sub("", value)
    if not any(char.isdigit() for char in text) or "-" in text[1:]:
        raise ParseFailure("wrong_type", f"not a price: {value!r}")
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    decimal: str | None
    if "." in digits and "," in digits:
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
    else:
        mark = "." if "." in digits else ","
        head, _, tail = digits.rpartition(mark)
        grouped = len(tail) == 3 and head.isdigit() and not head.startswith("0")
        decimal = None if digits.count(mark) > 1 or grouped else mark
    thousands = {".", ","} - {decimal}
    number = "".join(char for char in digits if char not in thousands).replace(",", ".")
    try:
        return float(sign + number)
    except ValueError:
        raise ParseFailure("wrong_type", f"not a price: {value!r}") from None


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern:
    return re.compile(text)


@register_parser("regex", takes_arg=True)
def _regex(value: Any, pattern: str | None) -> str | None:
    """The first capture group of the first match (the whole match without groups); no match: None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    _need(value, str, f"regex:{pattern}")
    match = _pattern(pattern or "").search(value)
    if match is None:
        return None
    return match.group(1) if match.re.groups else match.group(0)


@register_parser("dict_items")
def _dict_items(value: Any, _: str | None) -> list[dict[str, str]]:
    """Amazon `style` {"Size:": " 7.0 oz"} -> [{"name": "Size", "value": "7.0 oz"}]; empty ones dropped."""
    _need(value, dict, "dict_items")
    return _pairs((str(key).strip().rstrip(":").strip(), val) for key, val in value.items())


@register_parser("ruby_kv")
def _ruby_kv(value: Any, _: str | None) -> list[dict[str, str]]:
    """Flipkart `{"product_specification"=>[{"key"=>k, "value"=>v}, ...]}` -> [{name, value}].

    A lone entry may be a hash instead of a list. Entries without a key or value are dropped.
    """
    _need(value, str, "ruby_kv")
    if not value.strip():
        return []
    parsed = read_ruby(value)
    if isinstance(parsed, dict) and len(parsed) == 1:
        parsed = next(iter(parsed.values()))
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(e, dict) for e in parsed):
        raise ParseFailure("invalid_value", "expected a hash of key/value entries")
    return _pairs((entry.get("key"), entry.get("value")) for entry in parsed)


def _pairs(items) -> list[dict[str, str]]:
    out = []
    for name, val in items:
        if isinstance(name, str) and isinstance(val, (str, int, float)) and name.strip() and str(val).strip():
            out.append({"name": name.strip(), "value": str(val).strip()})
    return out
