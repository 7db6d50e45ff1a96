"""Readers that build annotated-text records themselves: char-level BIO files and the EcomGPT layout.

BIO: one `token TAG` per line (CRLF tolerated), a blank line between sentences; tags O, B-X, I-X
(E-X, S-X also read). A malformed line rejects its whole sentence, never the next one.

EcomGPT (`records.layout`): each test.json line, with `sentences` and gold `labels[label_key]` or
`spans`, is one record; a line whose labels or label set lack the task's `label_key` is rejected. Span
offsets that do not match the text (Reddit_QA's are relative to the context, without its "Context: "
prefix) are re-anchored to the occurrence of the term nearest the given offset; a term absent from the
text stays unanchored (start = end = 0, as the Generate task's targets are).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from ecomgpt import storage
from ecomgpt.records import layout
from ecomgpt.records.decoding import decode
from ecomgpt.records.layout import LayoutError, TaskMeta
from ecomgpt.records.readers import RawItem, clip, iter_lines, json_object_lines
from ecomgpt.records.sources import SourceConfig
from ecomgpt.records.units import ReadUnit

_PREFIXES = ("B-", "I-", "E-", "S-")


def normalize_text_spans(text: str, spans: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip the text (and a BOM) the way the schema will, keeping span offsets on the same terms."""
    anchored = [_anchor(text, span) for span in spans]
    body = text.removeprefix("\ufeff")
    shift = len(text) - len(body.lstrip())  # characters dropped before the first kept one
    body = body.strip()
    out = []
    for span in anchored:
        start, end, term = span.get("start"), span.get("end"), span.get("term")
        if isinstance(start, int) and isinstance(end, int) and isinstance(term, str) and end > start:
            lead = len(term) - len(term.lstrip())
            start, end = start - shift + lead, start - shift + lead + len(term.strip())
            span = {**span, "start": start, "end": end} if start >= 0 else {**span, "start": 0, "end": 0}
        out.append(span)
    return body, out


def _anchor(text: str, span: Any) -> Any:
    if not isinstance(span, dict):
        return span
    start, end, term = span.get("start"), span.get("end"), span.get("term")
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(term, str) and term.strip()):
        return span
    if end <= start or text[start:end] == term:
        return span
    found, at = [], text.find(term)
    while at >= 0:
        found.append(at)
        at = text.find(term, at + 1)
    if not found:
        return {**span, "start": 0, "end": 0}
    best = min(found, key=lambda position: abs(position - start))
    return {**span, "start": best, "end": best + len(term)}


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def read_bio(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    name = storage.basename(unit.path)
    lines: list[tuple[int, bytes]] = []
    sentence = unit.first_record - 1
    for number, line in iter_lines(unit.path, unit.start, unit.end, unit.first_line):
        if line.strip():
            lines.append((number, line))
            continue
        if lines:
            sentence += 1
            yield _bio_sentence(name, sentence, lines, config)
            lines = []
    if lines:
        yield _bio_sentence(name, sentence + 1, lines, config)


def _bio_sentence(name: str, sentence: int, lines: list[tuple[int, bytes]], config: SourceConfig) -> RawItem:
    first = lines[0][0]
    default_id = f"{name}:{first}"

    def raw() -> str:
        return clip("\n".join(line.decode("utf-8", "replace") for _, line in lines))

    try:  # one decode per sentence; only a failure looks line by line for the culprit
        texts = decode(b"\n".join(line for _, line in lines)).split("\n")
    except UnicodeDecodeError as exc:
        number = next((number for number, line in lines if not _is_utf8(line)), first)
        return RawItem(
            f"sentence {sentence} (line {number})",
            default_id,
            raw(),
            reason="bad_encoding",
            detail=f"line {number}: invalid UTF-8: {exc.reason}",
        )
    tokens, tags = [], []
    for (number, _), text in zip(lines, texts):
        cut = max(text.rfind(" "), text.rfind("\t"))
        tag = text[cut + 1 :]
        if cut <= 0 or not (tag == "O" or (tag[:2] in _PREFIXES and len(tag) > 2)):
            return RawItem(
                f"sentence {sentence} (line {number})",
                default_id,
                raw(),
                reason="unparsable",
                detail=f"line {number}: expected 'token TAG' with TAG O, B-X or I-X, got {text!r}",
            )
        tokens.append(text[:cut])
        tags.append(tag)
    options = config.bio
    label_names = options.label_names if options else {}
    sep = options.token_sep if options else ""
    where = f"sentence {sentence} (line {first})"
    spans: list[dict[str, Any]] = []
    offset, current = 0, None
    for token, tag in zip(tokens, tags):
        prefix, _, kind = tag.partition("-")
        if label_names and kind and kind not in label_names:
            known = ", ".join(label_names)
            return RawItem(
                where,
                default_id,
                raw(),
                reason="invalid_value",
                detail=f"entity type {kind!r} is not in bio.label_names ({known})",
            )
        kind = label_names.get(kind, kind)
        end = offset + len(token)
        if prefix in ("I", "E") and current is not None and current["type"] == kind:
            current["end"] = end
        elif prefix != "O":
            current = {"start": offset, "end": end, "type": kind}
            spans.append(current)
        else:
            current = None
        if prefix in ("E", "S"):
            current = None
        offset = end + len(sep)
    text = sep.join(tokens)
    for span in spans:
        span["term"] = text[span["start"] : span["end"]]
    text, spans = normalize_text_spans(text, spans)
    label_set = list(dict.fromkeys(label_names.values())) or sorted({span["type"] for span in spans})
    row = {
        "record_id": default_id,
        "source": config.name,
        "lang": config.lang,
        "data_type": "annotated",
        "text": text,
        "dataset": (options.dataset if options else None) or config.name,
        "paradigm": "NER",
        "definition": options.definition if options else "named entity recognition",
        "label_set": label_set,
        "spans": spans,
    }
    return RawItem(where, default_id, raw, row=row)


def read_ecomgpt(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    meta = layout.read_meta(storage.parent(unit.path))
    for item in json_object_lines(unit, meta.name, allow_python_literals=False):
        if item.reason is None:
            try:
                row = _task_row(item.row, meta, item.default_id, config, item.location)
            except Exception as exc:  # noqa: BLE001 - whatever breaks on one line is its reject
                detail = str(exc) if isinstance(exc, LayoutError) else f"{type(exc).__name__}: {exc}"
                item = dataclasses.replace(item, reason="invalid_value", detail=detail)
            else:
                # The row gains the task's meta fields, so the line's own length and BOM checks no longer cover it.
                item = dataclasses.replace(item, row=row, text_len=None, bom_free=False)
        yield item


def _task_row(value: dict[str, Any], meta: TaskMeta, record_id: str, config: SourceConfig, where: str) -> dict:
    labels = layout.by_label_key(value.get("labels"), meta.label_key, where, "labels")
    label_set = layout.label_list(value["label_set"], meta.label_key, where) if "label_set" in value else meta.label_set
    text, spans = value.get("sentences"), value.get("spans")
    if isinstance(text, str) and isinstance(spans, list):
        text, spans = normalize_text_spans(text, spans)
    row = {
        "record_id": record_id,
        "source": config.name,
        "lang": meta.lang,
        "data_type": "annotated",
        "text": text,
        "dataset": meta.dataset,
        "paradigm": meta.type,
        "definition": meta.definition,
        "instruction": meta.instruction,
        "label_set": list(label_set) if label_set is not None else None,
        "labels": labels,
        "spans": spans,
    }
    return {field: item for field, item in row.items() if item is not None}
