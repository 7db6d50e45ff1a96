"""Answer formats: how an answer is written when examples are generated (`render`) and read back when
answers are scored or returned by the task routes (`parse`). Each format is defined here once.

The formats are the held-out sets' own (DESIGN.md, "Answer formats"):

- label: one label as it is, e.g. `positive`;
- items: labels or spans joined by `, ` (`Food, Service`), in the given order, repeats kept;
- NER lines: one line per type, in the given type order: `Type: a, b` with the type's terms in span
  order, repeats kept, or `Type: None` when it has none (the original EcomGPT code builds its held-out
  references this way);
- text: free text.

Parsing reads what models write: surrounding whitespace is ignored; an item loses one trailing `.` or
`。` and empty items are dropped; a NER line's type may end in a full-width `：`, a line without a type
is ignored, `None` stands for no term, and the terms of a type named on two lines are joined.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LIST_SEP = ", "
NONE = "None"
_TYPE_COLON = re.compile(r"[:：]")


@dataclass(frozen=True)
class WholeFormat:
    """An answer that is one piece: a label or free text, written as it is."""

    def render(self, answer: str) -> str:
        return answer

    def parse(self, text: str) -> str:
        return text.strip()


def _clean_item(item: str) -> str:
    item = item.strip()
    if item.endswith((".", "。")):
        item = item[:-1].strip()
    return item


@dataclass(frozen=True)
class ItemsFormat:
    """Labels or spans joined by `sep`."""

    sep: str = LIST_SEP

    def render(self, items: Iterable[str]) -> str:
        return self.sep.join(items)

    def parse(self, text: str) -> list[str]:
        """The items in answer order, repeats kept."""
        return [item for part in text.split(self.sep) if (item := _clean_item(part))]


@dataclass(frozen=True)
class NerFormat:
    """One `Type: a, b` (or `Type: None`) line per type; terms joined by `sep`."""

    sep: str = LIST_SEP

    def render(self, types: Sequence[str], pairs: Iterable[tuple[str, str]]) -> str:
        """A line for each of `types`; a (type, term) pair of a type not among them is not rendered."""
        terms: dict[str, list[str]] = {etype: [] for etype in types}
        for etype, term in pairs:
            if etype in terms:
                terms[etype].append(term)
        items = ItemsFormat(self.sep)
        return "\n".join(f"{etype}: {items.render(found) if found else NONE}" for etype, found in terms.items())

    def parse(self, text: str) -> dict[str, list[str]]:
        """{type: terms} in answer order; a `Type: None` line gives the type no terms."""
        items = ItemsFormat(self.sep)
        found: dict[str, list[str]] = {}
        for line in text.splitlines():
            parts = _TYPE_COLON.split(line, maxsplit=1)
            etype = parts[0].strip()
            if len(parts) != 2 or not etype:
                continue
            found.setdefault(etype, []).extend(term for term in items.parse(parts[1]) if term != NONE)
        return found


LABEL = WholeFormat()
TEXT = WholeFormat()
ITEMS = ItemsFormat()
NER = NerFormat()
