"""Readers that build annotated-text records themselves: char-level BIO files and the EcomGPT layout.

BIO: one `token TAG` per line (CRLF tolerated), a blank line between sentences; tags O, B-X, I-X
(E-X, S-X also read). A malformed line rejects its whole sentence, never the next one.

EcomGPT: `<Dataset>/tasks/<LANG-Dataset-TYPE-name>/{meta-info.json,test.json}`; test.json is JSON
lines with `sentences` and gold `labels[label_key]` or `spans`. Span offsets that do not match the
text (Reddit_QA's are relative to the context, without its "Context: " prefix) are re-anchored to
the occurrence of the term nearest the given offset; a term absent from the text stays unanchored
(start = end = 0, as the Generate task's targets are).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import TYPE_CHECKING, Any, Iterator

from ecomgpt import storage
from ecomgpt.records.readers import RawItem, clip, decode, iter_lines, json_object_lines

if TYPE_CHECKING:
    from ecomgpt.records.sources import SourceConfig
    from ecomgpt.records.units import ReadUnit

_PREFIXES = ("B-", "I-", "E-", "S-")
TASK_DIR = re.compile(r"(EN|ZH|CN)-(.+?)-(CLS|NER|Condition_Extract|Extract|Generate)-(.+)")
_LANGS = {"EN": "en", "ZH": "zh", "CN": "zh"}


def normalize_text_spans(text: str, spans: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip the text (and a BOM) the way the schema will, keeping span offsets on the same terms."""
    anchored = [_anchor(text, span) for span in spans]
    body = text[1:] if text.startswith("\ufeff") else text
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
    sentence = 0
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
        return RawItem(f"sentence {sentence} (line {number})", default_id, raw(), reason="bad_encoding",
                       detail=f"line {number}: invalid UTF-8: {exc.reason}")
    tokens, tags = [], []
    for (number, _), text in zip(lines, texts):
        cut = max(text.rfind(" "), text.rfind("\t"))
        tag = text[cut + 1 :]
        if cut <= 0 or not (tag == "O" or (tag[:2] in _PREFIXES and len(tag) > 2)):
            return RawItem(f"sentence {sentence} (line {number})", default_id, raw(), reason="unparsable",
                           detail=f"line {number}: expected 'token TAG' with TAG O, B-X or I-X, got {text!r}")
        tokens.append(text[:cut])
        tags.append(tag)
    options = config.bio
    label_names = options.label_names if options else {}
    sep = options.token_sep if options else ""
    where = f"sentence {sentence} (line {first})"
    spans, offset, current = [], 0, None
    for token, tag in zip(tokens, tags):
        prefix, _, kind = tag.partition("-")
        if label_names and kind and kind not in label_names:
            known = ", ".join(label_names)
            return RawItem(where, default_id, raw(), reason="invalid_value",
                           detail=f"entity type {kind!r} is not in bio.label_names ({known})")
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


@functools.lru_cache(maxsize=64)
def task_meta(task_dir: str) -> dict[str, Any]:
    """meta-info.json of an EcomGPT task folder plus what its folder name says."""
    folder = storage.basename(task_dir)
    match = TASK_DIR.fullmatch(folder)
    if match is None:
        raise ValueError(f"{task_dir}: task folder name is not LANG-Dataset-TYPE-name "
                         "(TYPE one of CLS, NER, Condition_Extract, Extract, Generate)")
    with storage.open_binary(storage.join(task_dir, "meta-info.json")) as handle:
        meta = json.loads(decode(handle.read()))
    if not isinstance(meta, dict):
        raise ValueError(f"{task_dir}/meta-info.json: expected a JSON object")
    lang, dataset, paradigm, _ = match.groups()
    prompt = (meta.get("test_prompt") or {}).get("instruction") or ""
    instruction = prompt.split("{sentences}\n", 1)[1] if "{sentences}\n" in prompt else ""
    instruction = instruction.split("\n### Response:", 1)[0].strip()
    return {
        "task": folder,
        "lang": _LANGS[lang],
        "dataset": dataset,
        "paradigm": paradigm,
        "definition": meta.get("defi") or paradigm,
        "instruction": instruction or None,
        "label_key": meta.get("label_key"),
        "label_set": meta.get("label_set"),
    }


def read_ecomgpt(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    meta = task_meta(storage.parent(unit.path))
    for item in json_object_lines(unit, meta["task"], allow_python_literals=False):
        if item.reason is None:
            # The row gains the task's meta fields, so the line's own length and BOM checks no longer cover it.
            row = _task_row(item.row, meta, item.default_id, config)
            item = dataclasses.replace(item, row=row, text_len=None, bom_free=False)
        yield item


def _task_row(value: dict[str, Any], meta: dict[str, Any], record_id: str, config: SourceConfig) -> dict:
    key = meta["label_key"]
    labels = value.get("labels")
    if isinstance(labels, dict):
        if key not in labels and len(labels) == 1:
            key = next(iter(labels))
        labels = labels.get(key)
    label_set = value.get("label_set", meta["label_set"])
    if isinstance(label_set, dict):
        label_set = label_set.get(key)
    if isinstance(label_set, list):
        label_set = [label for label in label_set if label != ""]
    text, spans = value.get("sentences"), value.get("spans")
    if isinstance(text, str) and isinstance(spans, list):
        text, spans = normalize_text_spans(text, spans)
    row = {
        "record_id": record_id,
        "source": config.name,
        "lang": meta["lang"],
        "data_type": "annotated",
        "text": text,
        "dataset": meta["dataset"],
        "paradigm": meta["paradigm"],
        "definition": meta["definition"],
        "instruction": meta["instruction"],
        "label_set": label_set,
        "labels": labels,
        "spans": spans,
    }
    return {field: item for field, item in row.items() if item is not None}
