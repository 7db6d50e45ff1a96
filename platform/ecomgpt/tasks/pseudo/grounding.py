"""Grounding: a teacher's answer read with the task's answer format (`ecomgpt.answers`) and kept only when it
is grounded in the record — labels from the task's label set, extracted spans occurring in the input.

Each function returns the canonical output (rendered by the same format) or raises `Rejected` with one of:

- `empty`: nothing in the answer (or only `None` terms);
- `unparsable`: the answer does not have the format's shape (e.g. no `Type: terms` line, or a list of labels
  that ends in a separator: cut off before its end);
- `label_not_in_set`: a label that is not one of the task's labels;
- `type_not_in_set`: an entity or attribute type that is not one of the task's types;
- `span_not_in_input`: an extracted span that does not occur in the input;
- `repeated_label`: the same label twice where labels are a set.

Near-misses whose meaning is unambiguous are read as meant, never more: a label or type is matched up to case,
spaces and punctuation (so surrounding quotes, `**` or a trailing full stop do not matter); a leading
`Answer:` / `答案：` is dropped (label and typed-span answers); a label answer may be followed by an explanation
on later lines, as long as no later line is itself an answer of labels from the set; an extracted span may
differ from the input in case or carry surrounding quotes, and is then written as the input spells it. A label
outside the set, a type outside the set and a span absent from the input are still rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ecomgpt.answers import ITEMS, LABEL, NER
from ecomgpt.tasks.labelling import Ask, Rejected
from ecomgpt.tasks.library._common import norm
from ecomgpt.tasks.pseudo.registry import ANSWER_WORD

_ANSWER_PREFIX = re.compile(rf"^\s*(?:{'|'.join(map(re.escape, ANSWER_WORD.values()))})\s*[:：]\s*", re.IGNORECASE)
_QUOTES = {'"': '"', "'": "'", "`": "`", "“": "”", "‘": "’", "「": "」", "『": "』", "《": "》"}


def strip_answer_prefix(answer: str) -> str:
    """The answer without a leading `Answer:` / `答案：` (either colon, any case)."""
    return _ANSWER_PREFIX.sub("", answer, count=1)


def _canonical(label: str, labels: Sequence[str], reason: str) -> str:
    """The label of `labels` that `label` names, up to case and punctuation."""
    if label in labels:
        return label
    key = norm(label)
    for candidate in labels:
        if norm(candidate) == key:
            return candidate
    raise Rejected(reason, label)


def _first_line_then_explanation(answer: str, read: Callable[[str], str]) -> str:
    """`read` (the grounding of a label answer) applied to the whole answer, or, when that fails and the answer
    has several lines, to its first line alone (whose reject is then the answer's): the later lines are an
    explanation, unless one of them is itself a different answer from the label set (then which line answers
    is ambiguous: `unparsable`)."""
    text = strip_answer_prefix(answer)
    try:
        return read(text)
    except Rejected:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        if len(lines) < 2:
            raise
    found = read(lines[0])  # its reject is the answer's
    for line in lines[1:]:
        try:
            other = read(strip_answer_prefix(line))
        except Rejected:
            continue
        if other != found:
            raise Rejected("unparsable", f"two answers: {lines[0]!r} and {line!r}")
    return found


def _one_label(text: str, ask: Ask) -> str:
    items = ITEMS.parse(LABEL.parse(text))
    if not items:
        raise Rejected("empty")
    if len(items) != 1:
        raise Rejected("unparsable", f"{len(items)} labels where one is asked")
    return LABEL.render(_canonical(items[0], ask.labels, "label_not_in_set"))


def _label_set(text: str, ask: Ask) -> str:
    items = ITEMS.parse(text)
    if not items:
        raise Rejected("empty")
    if text.rstrip().endswith((",", "，")):  # cut off (at the answer budget) before its last label
        raise Rejected("unparsable", f"an unfinished list: {text.strip()[-40:]!r}")
    found = [_canonical(item, ask.labels, "label_not_in_set") for item in items]
    if len(set(found)) != len(found):
        raise Rejected("repeated_label", text)
    return ITEMS.render(label for label in ask.labels if label in found)


def ground_label(answer: str, ask: Ask) -> str:
    """One label of the set (LABEL format; one trailing full stop is ignored, as ITEMS parses)."""
    return _first_line_then_explanation(answer, lambda text: _one_label(text, ask))


def ground_labels(answer: str, ask: Ask) -> str:
    """One or more labels of the set (ITEMS format), in the set's order."""
    return _first_line_then_explanation(answer, lambda text: _label_set(text, ask))


def locate_span(text: str, term: str) -> tuple[int, str] | None:
    """Where `term` occurs in `text` and as what: as it is, else without surrounding quotes, else up to case
    (then as `text` spells it); None when it does not occur."""
    candidates = [term]
    if len(term) > 2 and _QUOTES.get(term[0]) == term[-1]:
        candidates.append(term[1:-1].strip())
    for candidate in filter(None, candidates):
        position = text.find(candidate)
        if position >= 0:
            return position, candidate
    for candidate in filter(None, candidates):
        found = re.search(re.escape(candidate), text, re.IGNORECASE)
        if found:
            return found.start(), found.group()
    return None


def _spans_in_order(text: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(key, term) pairs in the order the terms occur in `text`, each term as `text` spells it (`locate_span`);
    a term absent from it is a reject."""
    located = []
    for key, term in pairs:
        found = locate_span(text, term)
        if found is None:
            raise Rejected("span_not_in_input", term)
        located.append((found[0], key, found[1]))
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
    found = _ner_lines(strip_answer_prefix(answer))
    pairs = [
        (_canonical(etype, ask.labels, "type_not_in_set"), term) for etype, terms in found.items() for term in terms
    ]
    if not pairs:
        raise Rejected("empty")
    return NER.render(ask.labels, _spans_in_order(ask.input, pairs))


def ground_pairs(answer: str, ask: Ask) -> str:
    """`aspect: opinion, opinion` lines (the NER line format with open keys): the aspect and every opinion
    occur in the input; aspects in text order. (No `Answer:` prefix is dropped: an aspect may be called so.)"""
    found = _ner_lines(answer)
    aspects = [aspect for aspect, opinions in found.items() if opinions]
    if not aspects:
        raise Rejected("empty")
    spelled = {aspect: _spans_in_order(ask.input, [(aspect, aspect)])[0][1] for aspect in aspects}
    order = [term for _, term in _spans_in_order(ask.input, [(a, a) for a in aspects])]
    pairs = _spans_in_order(ask.input, [(spelled[a], term) for a in aspects for term in found[a]])
    return NER.render(list(dict.fromkeys(order)), pairs)
