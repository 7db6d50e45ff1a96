"""Per-record readers: one `RawItem` per raw record of a read unit, in file order.

A reader never lets one bad record touch its neighbours: each line (JSON lines), row (CSV, JSON
array, Parquet) or sentence (BIO) is decoded and parsed on its own, and a failure becomes a
RawItem carrying the reject reason. Blank lines (and blank CSV lines) are not records. A CSV
record is bounded in lines and bytes (`records.csv_records`): a broken one is rejected alone.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq

from ecomgpt import storage
from ecomgpt.records.csv_records import csv_file_records, record_kind
from ecomgpt.records.decoding import BOM, decode, parse_object_text
from ecomgpt.records.sources import SourceConfig
from ecomgpt.records.units import ReadUnit

RAW_CHARS = 2000


@dataclass
class RawItem:
    """One raw record: its parsed row, or the reason it could not be read."""

    location: str
    default_id: str
    raw: str | Callable[[], str]  # the raw text, or a function that builds it (only a reject needs it)
    row: Any = None
    reason: str | None = None
    detail: str = ""
    # Set when the row was parsed from one text: no string in the row is longer than that text, and
    # a row whose text has no BOM (raw or escaped) has no BOM in any string either.
    text_len: int | None = None
    bom_free: bool = False

    def raw_text(self) -> str:
        return self.raw if isinstance(self.raw, str) else self.raw()


def clip(text: str) -> str:
    return text if len(text) <= RAW_CHARS else text[:RAW_CHARS] + "…"


def iter_lines(path: str, start: int, end: int, first_line: int) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its newline) for the lines that start in [start, end)."""
    with storage.open_binary(path) as handle:
        handle.seek(start)
        position, number = start, first_line
        for line in handle:
            if 0 <= end <= position:
                break
            position += len(line)
            yield number, line.rstrip(b"\r\n") if line.endswith(b"\n") else line
            number += 1


def json_object_lines(unit: ReadUnit, id_prefix: str, allow_python_literals: bool) -> Iterator[RawItem]:
    """One item per non-blank line of the unit: the parsed JSON object, or why the line is not one."""
    for number, line in iter_lines(unit.path, unit.start, unit.end, unit.first_line):
        if not line.strip():
            continue
        location, default_id = f"line {number}", f"{id_prefix}:{number}"
        try:
            text = decode(line)
        except UnicodeDecodeError as exc:
            raw = clip(line.decode("utf-8", "replace"))
            yield RawItem(location, default_id, raw, reason="bad_encoding", detail=f"invalid UTF-8: {exc}")
            continue
        if not text.strip():
            continue
        value, error = parse_object_text(text, allow_python_literals)
        if error:
            yield RawItem(location, default_id, clip(text), reason="unparsable", detail=error)
        elif not isinstance(value, dict):
            detail = f"expected an object, got {type(value).__name__}"
            yield RawItem(location, default_id, clip(text), reason="wrong_type", detail=detail)
        else:
            bom_free = BOM not in text and "\\ufeff" not in text.lower()
            yield RawItem(location, default_id, clip(text), row=value, text_len=len(text), bom_free=bom_free)


def read_json_lines(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    yield from json_object_lines(unit, storage.basename(unit.path), config.allow_python_literals)


def read_json_array(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    name = storage.basename(unit.path)
    with storage.open_binary(unit.path) as handle:
        data = handle.read()
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        yield RawItem(
            "file",
            f"{name}:file",
            clip(data.decode("utf-8", "replace")),
            reason="bad_encoding",
            detail=f"invalid UTF-8: {exc}",
        )
        return
    value, error = parse_object_text(text, allow_python_literals=False)
    if error or not isinstance(value, list):
        detail = error or f"expected a JSON array, got {type(value).__name__}"
        yield RawItem("file", f"{name}:file", clip(text), reason="unparsable", detail=detail)
        return
    for index, element in enumerate(value, start=1):
        raw = clip(json.dumps(element, ensure_ascii=False))
        if isinstance(element, dict):
            yield RawItem(f"row {index}", f"{name}:{index}", raw, row=element)
        else:
            yield RawItem(
                f"row {index}",
                f"{name}:{index}",
                raw,
                reason="wrong_type",
                detail=f"expected an object, got {type(element).__name__}",
            )


def _visible(text: str) -> str:
    return clip(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def _has_surrogates(fields: list[str]) -> bool:
    try:
        "".join(fields).encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def csv_header(path: str, config: SourceConfig) -> list[str] | None:
    """The header of a CSV file: its first readable record, stripped (and without a BOM)."""
    records = csv_file_records(path, config)
    try:
        for record in records:
            if record_kind(record, have_header=False) == "header":
                header = [field.strip() for field in record.fields or ()]
                return [header[0].lstrip(BOM), *header[1:]] if header else header
        return None
    finally:
        records.close()


def read_csv(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    """The rows whose first line starts in the unit's range; the last may run past its end, as it
    does when the file is read whole (the planner cuts ranges at record starts)."""
    name = storage.basename(unit.path)
    header = csv_header(unit.path, config) if unit.start > 0 else None
    row_number = unit.first_record - 1
    records = csv_file_records(unit.path, config, unit.start, unit.first_line)
    for record in records:
        if 0 <= unit.end <= record.offset:
            records.close()
            return
        kind = record_kind(record, header is not None)
        if kind == "header":
            header = [field.strip() for field in record.fields or ()]
            if header:
                header[0] = header[0].lstrip(BOM)
            continue
        if kind == "blank":
            continue
        fields = record.fields
        row_number += 1
        location, default_id = f"row {row_number} (line {record.first_line})", f"{name}:{row_number}"
        visible = functools.partial(_visible, record.raw)
        if fields is None:
            yield RawItem(location, default_id, visible, reason="unparsable", detail=record.error)
        elif _has_surrogates(fields):
            yield RawItem(location, default_id, visible, reason="bad_encoding", detail="invalid UTF-8 in the row")
        elif len(fields) != len(header or ()):
            detail = f"row has {len(fields)} fields, the header has {len(header or ())}"
            yield RawItem(location, default_id, visible, reason="unparsable", detail=detail)
        else:
            assert header is not None  # a row with fields comes after the header (the first such record)
            # CSV has no null: an empty cell is a missing value.
            row = {column: (value if value != "" else None) for column, value in zip(header, fields)}
            yield RawItem(location, default_id, visible, row=row)


def read_parquet(unit: ReadUnit, config: SourceConfig) -> Iterator[RawItem]:
    name = storage.basename(unit.path)
    with storage.open_random_access(unit.path) as handle:
        parquet = pq.ParquetFile(handle)
        stop = parquet.num_row_groups if unit.end < 0 else unit.end
        number = unit.first_line
        for group in range(unit.start, stop):
            for row in parquet.read_row_group(group).to_pylist():
                raw = clip(json.dumps(row, ensure_ascii=False, default=str))
                yield RawItem(f"row {number}", f"{name}:{number}", raw, row=row)
                number += 1
