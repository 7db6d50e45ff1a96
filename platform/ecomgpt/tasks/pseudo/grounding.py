"""Grounding: a teacher's answer read with the task's answer format (`ecomgpt.answers`) and kept only when it
is grounded in the record — labels from the task's label set, extracted spans occurring in the input.

Each function returns the canonical output (rendered by the same format) or raises `Rejected` with one of:

- `empty`: nothing in the answer (or only `None` terms);
- `unparsable`: the answer does not have the format's shape (e.g. no `Type: terms` line);
- `label_not_in_set`: a label that is not one of the task's labels;
- `type_not_in_set`: an entity or attribute type that is not one of the task's types;
- `span_not_in_input`: an extracted span that does not occur in the input;
- `repeated_label`: the same label twice where labels are a set.
"""

from __future__ import annotations

from typing import Sequence

from ecomgpt.answers import ITEMS, LABEL, NER
from ecomgpt.tasks.library._common import norm
from ecomgpt.tasks.pseudo.registry import Ask, Rejected


def _canonical(label: str, labels: Sequence[str], reason: str) -> str:
    """The label of `labels` that `label` names, up to case and punctuation."""
    if label in labels:
        return label
    key = norm(label)
    for candidate in labels:
        if norm(candidate) == key:
            return candidate
    raise Rejected(reason, label)


def ground_label(answer: str, ask: Ask) -> str:
    """One label of the set (LABEL format; one trailing full stop is ignored, as ITEMS parses)."""
    text = LABEL.parse(answer)
    items = ITEMS.parse(text)
    if not items:
        raise Rejected("empty")
    if len(items) != 1:
        raise Rejected("unparsable", f"{len(items)} labels where one is asked")
    return LABEL.render(_canonical(items[0], ask.labels, "label_not_in_set"))


def ground_labels(answer: str, ask: Ask) -> str:
    """One or more labels of the set (ITEMS format), in the set's order."""
    items = ITEMS.parse(answer)
    if not items:
        raise Rejected("empty")
    found = [_canonical(item, ask.labels, "label_not_in_set") for item in items]
    if len(set(found)) != len(found):
        raise Rejected("repeated_label", answer)
    return ITEMS.render(label for label in ask.labels if label in found)


def _spans_in_order(text: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(key, term) pairs in the order the terms occur in `text`; a term absent from it is a reject."""
    located = []
    for key, term in pairs:
        position = text.find(term)
        if position < 0:
            raise Rejected("span_not_in_input", term)
        located.append((position, key, term))
    located.sort()
    return list(dict.fromkeys((key, term) for _, key, term in located))


def _ner_lines(answer: str) -> dict[str, list[str]]:
    if not answer.strip():
        raise Rejected("empty")
    found = NER.parse(answer)
    if not found:
        raise Rejected("unparsable", "no `Type: terms` line")
    return found


def ground_typed_spans(answer: str, ask: Ask) -> str:
    """NER lines over the task's types: every type of the set, terms occurring in the input, in text order."""
    found = _ner_lines(answer)
    pairs = [(_canonical(etype, ask.labels, "type_not_in_set"), term) for etype, terms in found.items() for term in terms]
    if not pairs:
        raise Rejected("empty")
    return NER.render(ask.labels, _spans_in_order(ask.input, pairs))


def ground_pairs(answer: str, ask: Ask) -> str:
    """`aspect: opinion, opinion` lines (the NER line format with open keys): the aspect and every opinion
    occur in the input; aspects in text order."""
    found = _ner_lines(answer)
    aspects = [aspect for aspect, opinions in found.items() if opinions]
    if not aspects:
        raise Rejected("empty")
    order = [aspect for _, aspect in _spans_in_order(ask.input, [(a, a) for a in aspects])]
    pairs = _spans_in_order(ask.input, [(aspect, term) for aspect in order for term in found[aspect]])
    return NER.render(order, pairs)
