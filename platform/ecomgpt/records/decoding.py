"""Raw text decoded strictly: UTF-8 without its BOM, JSON and Python literals, Ruby `inspect` hashes.

A text that is none of these, however deep or big, is a `ParseFailure` (also the named parsers' error,
`records.parsers`) or an error message, never a crash.
"""

from __future__ import annotations

import ast
import json
from typing import Any, ClassVar, NoReturn

import orjson

BOM = "\ufeff"
MAX_DEPTH = 100  # nesting levels a Ruby hash may have; JSON stops at orjson's 1,024 or Python's recursion limit


class ParseFailure(ValueError):
    """A raw value the parser cannot turn into what it promises."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def decode(line: bytes) -> str:
    """Strict UTF-8; raises UnicodeDecodeError. A leading BOM is dropped."""
    text = line.decode("utf-8")
    return text[1:] if text.startswith(BOM) else text


def load_json(text: str) -> Any:
    """One JSON text; ParseFailure (invalid_value) for anything unreadable, however deep or big."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass  # the standard parser also accepts NaN and big integers, and explains errors better
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseFailure("invalid_value", "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer past Python's digit limit
        raise ParseFailure("invalid_value", f"not valid JSON: {exc}") from None


def parse_object_text(text: str, allow_python_literals: bool) -> tuple[Any, str]:
    """(value, "") or (None, error message) for one JSON (or Python-literal) text."""
    try:
        return load_json(text), ""
    except ParseFailure as exc:
        error = str(exc)
    if allow_python_literals:
        try:
            return ast.literal_eval(text), ""
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            error += f"; not a Python literal either: {type(exc).__name__}: {exc}"
    return None, error


def read_ruby(text: str) -> Any:
    """A Ruby `inspect` text's value (hashes with =>, arrays, strings, numbers, nil); ParseFailure otherwise."""
    return _RubyReader(text).read_document()


class _RubyReader:
    """A small reader for Ruby `inspect` output: hashes with =>, arrays, strings, numbers, nil."""

    _ESCAPES: ClassVar[dict[str, str]] = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "/": "/"}

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.depth = text, 0, 0

    def read_document(self) -> Any:
        value = self._value()
        self._ws()
        if self.pos != len(self.text):
            self._fail("trailing text")
        return value

    def _fail(self, what: str) -> NoReturn:
        raise ParseFailure("invalid_value", f"not a Ruby hash literal: {what} at offset {self.pos}")

    def _ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _eat(self, token: str) -> bool:
        self._ws()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _value(self) -> Any:
        self._ws()
        if self.pos >= len(self.text):
            self._fail("unexpected end")
        char = self.text[self.pos]
        if char == "{":
            return self._container("{", "}", keyed=True)
        if char == "[":
            return self._container("[", "]", keyed=False)
        if char == '"':
            return self._string()
        for word, result in (("nil", None), ("true", True), ("false", False)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return result
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in "+-.0123456789eE":
            self.pos += 1
        try:
            number = self.text[start : self.pos]
            return float(number) if any(c in number for c in ".eE") else int(number)
        except ValueError:
            self.pos = start
            self._fail(f"unexpected {char!r}")

    def _container(self, open_: str, close: str, keyed: bool) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._fail(f"nested deeper than {MAX_DEPTH} levels")
        try:
            return self._items(open_, close, keyed)
        finally:
            self.depth -= 1

    def _items(self, open_: str, close: str, keyed: bool) -> Any:
        self._eat(open_)
        out: Any = {} if keyed else []
        if self._eat(close):
            return out
        while True:
            if keyed:
                key = self._value()
                if not self._eat("=>"):
                    self._fail("expected =>")
                out[str(key)] = self._value()
            else:
                out.append(self._value())
            if self._eat(close):
                return out
            if not self._eat(","):
                self._fail(f"expected , or {close}")

    def _string(self) -> str:
        self.pos += 1
        parts: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(parts)
            if char == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                if nxt == "u" and self.pos + 6 <= len(self.text):
                    try:
                        parts.append(chr(int(self.text[self.pos + 2 : self.pos + 6], 16)))
                        self.pos += 6
                        continue
                    except ValueError:
                        pass
                parts.append(self._ESCAPES.get(nxt, "\\" + nxt))
                self.pos += 2
                continue
            parts.append(char)
            self.pos += 1
        self._fail("unterminated string")
