"""Read units: the parallel read tasks of ingestion, planned on the driver before any work starts.

`plan_units` resolves every source's paths, checks that each file can be read with its mapping
(missing files, empty globs, columns the mapping names but the file lacks) and fails fast with a
SourceError. It then splits JSON-lines files into byte ranges aligned to line starts, CSV files at
row starts, BIO files at sentence starts and Parquet files into row-group ranges, so that there are
about `target_units` units; JSON arrays and EcomGPT task files give one unit per file. A unit is
a plain row of str/int values, so it travels as a Ray Data row.
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ecomgpt import storage
from ecomgpt.records.csv_records import csv_file_records, record_kind
from ecomgpt.records.decoding import BOM, parse_object_text
from ecomgpt.records.layout import TEST_FILE, read_meta, task_dirs
from ecomgpt.records.mapping import row_columns
from ecomgpt.records.sources import (
    EXTENSIONS,
    SourceConfig,
    SourceError,
    directory_files,
    parse_source_json,
    source_json,
)

SAMPLE_ROWS = 100  # rows whose keys are checked against a JSON source's mapping
_SCAN_BLOCK = 1 << 22
_HEAD_LIMIT = 1 << 25  # bytes of a JSON array read while planning, at most


@dataclass(frozen=True)
class ReadUnit:
    """Byte range [start, end) of one file (end -1: to the end); row groups for Parquet.

    `first_line` is the 1-based line number at `start` (the 1-based row number for Parquet);
    `first_record` the number of the first CSV row or BIO sentence in the range.
    """

    source_json: str
    path: str
    start: int
    end: int
    first_line: int
    first_record: int = 1

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_row(row: dict[str, Any]) -> ReadUnit:
        return ReadUnit(
            source_json=str(row["source_json"]),
            path=str(row["path"]),
            start=int(row["start"]),
            end=int(row["end"]),
            first_line=int(row["first_line"]),
            first_record=int(row["first_record"]),
        )

    @property
    def source(self) -> SourceConfig:
        return _source(self.source_json)


@functools.lru_cache(maxsize=256)
def _source(text: str) -> SourceConfig:
    return parse_source_json(text)


def resolve_files(config: SourceConfig) -> list[str]:
    """The files of a source, sorted; SourceError for a missing path or an empty glob/directory."""
    files: list[str] = []
    for path in config.paths:
        try:
            files += _resolve_path(config, path)
        except OSError as exc:  # unreachable storage, permissions: still one clear message
            raise SourceError(f"source {config.name!r}: path {path!r}: {type(exc).__name__}: {exc}") from None
    return sorted(dict.fromkeys(files))


def _resolve_path(config: SourceConfig, path: str) -> list[str]:
    where = f"source {config.name!r}: path {path!r}"
    if config.format == "ecomgpt":
        if not storage.exists(path) or not storage.is_dir(path):
            raise SourceError(f"{where}: no such directory (format 'ecomgpt' reads a task folder tree)")
        tasks = task_dirs(path)
        if not tasks:
            raise SourceError(f"{where}: no EcomGPT task folders (<Dataset>/tasks/<task>/test.json)")
        return [storage.join(task, TEST_FILE) for task in tasks]
    if storage.has_glob(path):
        found = storage.glob(path)
        if not found:
            raise SourceError(f"{where}: the glob matches no file")
        return found
    if not storage.exists(path):
        raise SourceError(f"{where}: no such file or directory (relative paths resolve against {_cwd()})")
    if storage.is_dir(path):
        found = directory_files(path, config.format)
        if not found:
            raise SourceError(f"{where}: the directory holds no {'/'.join(EXTENSIONS[config.format])} files")
        return found
    return [storage.normalize(path)]


def _cwd() -> str:
    return storage.normalize(".")


def check_file(config: SourceConfig, file: str) -> None:
    """Fail fast on a file that cannot serve the source: unreadable header, missing mapped columns."""
    where = f"source {config.name!r}: file {file}"
    if config.format == "ecomgpt":
        if not storage.exists(file):
            raise SourceError(f"{where}: missing")
        try:
            read_meta(storage.parent(file))
        except (ValueError, OSError) as exc:
            raise SourceError(f"source {config.name!r}: {exc}") from None
        return
    if config.mapping is None or config.format == "bio":
        return
    columns = _columns(config, file, where)
    if columns is None:
        return
    for column, field in row_columns(config.mapping).items():
        if column not in columns and column.split(".", 1)[0] not in columns:
            shown = ", ".join(sorted(columns)[:40])
            raise SourceError(
                f"{where}: mapping field {field!r} names column {column!r}, which the file does not have "
                f"(columns: {shown})"
            )


def _columns(config: SourceConfig, file: str, where: str) -> set[str] | None:
    """Column names of a file (None: an empty file, nothing to check)."""
    if config.format == "parquet":
        with storage.open_random_access(file) as handle:
            return set(pq.ParquetFile(handle).schema_arrow.names)
    if config.format == "csv":
        with storage.open_binary(file) as handle:
            head = handle.readline()
            while head.count(b'"') % 2 and (more := handle.readline()):  # a quoted newline in the header
                head += more
        try:
            header = next(csv.reader([head.decode("utf-8")], delimiter=config.delimiter), None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SourceError(f"{where}: unreadable CSV header: {exc}") from None
        return None if header is None else {column.strip().lstrip(BOM) for column in header}
    rows = _sample_rows(config, file, where)
    if rows is None:
        return None
    return set().union(*(row.keys() for row in rows))


def _sample_rows(config: SourceConfig, file: str, where: str) -> list[dict] | None:
    if config.format == "json":
        rows = [row for row in json_array_head(file, where, SAMPLE_ROWS) if isinstance(row, dict)]
        return rows or None
    rows, seen = [], 0
    with storage.open_binary(file) as handle:
        for line in handle:
            if not line.strip():
                continue
            seen += 1
            text = line.decode("utf-8", "replace").lstrip(BOM)
            value, _ = parse_object_text(text, config.allow_python_literals)
            if isinstance(value, dict):
                rows.append(value)
            if len(rows) >= SAMPLE_ROWS or seen >= 10 * SAMPLE_ROWS:
                break
    if seen and not rows:
        hint = "" if config.allow_python_literals else " (allow_python_literals reads Python literals)"
        raise SourceError(f"{where}: none of the first {seen} lines is a JSON object{hint}")
    return rows or None


def json_array_head(file: str, where: str, count: int) -> list:
    """The first `count` elements of a JSON array file, read from its head only (at most
    `_HEAD_LIMIT` bytes: planning never holds a whole array); SourceError if it is not an array."""
    decoder = json.JSONDecoder()
    elements: list = []
    with storage.open_binary(file) as handle:
        data = handle.read(_SCAN_BLOCK)
        at_end = len(data) < _SCAN_BLOCK
        text = data.decode("utf-8", "replace").lstrip(BOM + " \t\r\n")
        if not text.startswith("["):
            shown = type(parse_object_text(text, False)[0]).__name__ if at_end else repr(text[:20])
            raise SourceError(f"{where}: format 'json' needs one JSON array, the file holds {shown}")
        position = 1
        while len(elements) < count:
            while position < len(text) and text[position] in " \t\r\n,":
                position += 1
            if text.startswith("]", position):
                break
            try:
                element, position = decoder.raw_decode(text, position)
            except (ValueError, RecursionError) as exc:
                if at_end or len(data) >= _HEAD_LIMIT:  # a broken array is the reader's reject
                    if not elements and at_end:
                        raise SourceError(f"{where}: format 'json' needs one JSON array: {exc}") from None
                    break
                more = handle.read(_SCAN_BLOCK)
                at_end = len(more) < _SCAN_BLOCK
                data += more
                text = data.decode("utf-8", "replace").lstrip(BOM + " \t\r\n")
                continue
            elements.append(element)
    return elements


def line_ranges(file: str, pieces: int) -> list[tuple[int, int, int]]:
    """Up to `pieces` (start, end, first_line) ranges of a file, each starting at a line start."""
    size = storage.file_size(file)
    if pieces <= 1 or size == 0:
        return [(0, -1, 1)]
    targets = [size * k // pieces for k in range(1, pieces)]
    starts = [(0, 1)]
    position, newlines, pending = 0, 0, 0
    with storage.open_binary(file) as handle:
        while pending < len(targets):
            block = handle.read(_SCAN_BLOCK)
            if not block:
                break
            while pending < len(targets) and targets[pending] - 1 < position + len(block):
                local = block.find(b"\n", max(targets[pending] - 1 - position, 0))
                if local < 0:
                    break
                boundary = position + local + 1
                if starts[-1][0] < boundary < size:
                    starts.append((boundary, newlines + block.count(b"\n", 0, local + 1) + 1))
                while pending < len(targets) and targets[pending] <= boundary:
                    pending += 1
            newlines += block.count(b"\n")
            position += len(block)
    ends = [start for start, _ in starts[1:]] + [-1]
    return [(start, end, first) for (start, first), end in zip(starts, ends)]


def _cut(
    starts: Generator[tuple[int, int, int], None, None], size: int, pieces: int
) -> list[tuple[int, int, int, int]]:
    """(start, end, first_line, first_record) ranges: cut at the first record start at or after each
    of `pieces - 1` evenly spaced offsets; `starts` gives (offset, line, record number) in order."""
    targets = [size * k // pieces for k in range(1, pieces)]
    chosen = [(0, 1, 1)]
    try:
        for offset, line, record in starts:
            if offset >= targets[0] and offset > chosen[-1][0]:
                chosen.append((offset, line, record))
                targets = [target for target in targets if target > offset]
                if not targets:
                    break
    finally:
        starts.close()
    ends = [start for start, _, _ in chosen[1:]] + [-1]
    return [(start, end, line, record) for (start, line, record), end in zip(chosen, ends)]


def csv_ranges(config: SourceConfig, file: str, pieces: int) -> list[tuple[int, int, int, int]]:
    """Ranges of a CSV file cut at row starts, found by reading it as the reader does, so a quoted
    newline is never a cut and every row keeps its number (and id) whatever the split."""
    size = storage.file_size(file)
    if pieces <= 1 or size == 0:
        return [(0, -1, 1, 1)]
    return _cut(_csv_starts(config, file), size, pieces)


def _csv_starts(config: SourceConfig, file: str) -> Generator[tuple[int, int, int], None, None]:
    have_header, rows = False, 0
    records = csv_file_records(file, config)
    try:
        for record in records:
            kind = record_kind(record, have_header)
            if have_header:
                yield record.offset, record.first_line, rows + 1
            have_header = have_header or kind == "header"
            rows += kind == "row"
    finally:
        records.close()


def bio_ranges(file: str, pieces: int) -> list[tuple[int, int, int, int]]:
    """Ranges of a BIO file cut at sentence starts (a line after a blank line)."""
    size = storage.file_size(file)
    if pieces <= 1 or size == 0:
        return [(0, -1, 1, 1)]
    return _cut(_bio_starts(file), size, pieces)


def _bio_starts(file: str) -> Generator[tuple[int, int, int], None, None]:
    sentences, blank_before, offset = 0, True, 0
    with storage.open_binary(file) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                blank_before = True
            elif blank_before:
                sentences, blank_before = sentences + 1, False
                yield offset, number, sentences
            offset += len(line)


_SPLITTERS = {
    "jsonl": lambda config, file, pieces: [(*r, 1) for r in line_ranges(file, pieces)],
    "parquet": lambda config, file, pieces: [(*r, 1) for r in row_group_ranges(file, pieces)],
    "csv": csv_ranges,
    "bio": lambda config, file, pieces: bio_ranges(file, pieces),
}


def row_group_ranges(file: str, pieces: int) -> list[tuple[int, int, int]]:
    with storage.open_random_access(file) as handle:
        meta = pq.ParquetFile(handle).metadata
    groups = meta.num_row_groups
    pieces = max(1, min(pieces, groups))
    if pieces == 1:
        return [(0, -1, 1)]
    cuts = [groups * k // pieces for k in range(pieces + 1)]
    rows_before = [0]
    for group in range(groups):
        rows_before.append(rows_before[-1] + meta.row_group(group).num_rows)
    return [(cuts[i], cuts[i + 1], rows_before[cuts[i]] + 1) for i in range(pieces)]


def plan_units(sources: list[SourceConfig], target_units: int, *, min_unit_bytes: int = 64 * 1024) -> list[ReadUnit]:
    """Check every source, then split its files into about `target_units` units, in a fixed order.

    Units come source by source, files in sorted order, ranges in file order. Splittable files
    (JSON lines, CSV, BIO, Parquet) share the units left after one unit per other file, in proportion to their size; a
    range is never smaller than `min_unit_bytes` (so tiny files stay whole) nor than one line/row group.
    """
    planned: list[tuple[SourceConfig, str, list[str]]] = []
    for config in sources:
        files = resolve_files(config)
        for file in files:
            try:
                check_file(config, file)
            except SourceError:
                raise
            except (OSError, ValueError, pa.ArrowException) as exc:  # e.g. a corrupt Parquet footer
                where = f"source {config.name!r}: file {file}"
                raise SourceError(f"{where}: {type(exc).__name__}: {exc}") from None
        planned.append((config, source_json(config), files))
    splittable = [
        (file, storage.file_size(file)) for config, _, files in planned if config.format in _SPLITTERS for file in files
    ]
    fixed = sum(len(files) for config, _, files in planned if config.format not in _SPLITTERS)
    budget = max(target_units - fixed, len(splittable))
    total = sum(size for _, size in splittable) or 1
    sizes = dict(splittable)
    units = []
    for config, text, files in planned:
        for file in files:
            if config.format in _SPLITTERS:
                pieces = max(1, round(budget * sizes[file] / total))
                pieces = min(pieces, max(1, sizes[file] // max(min_unit_bytes, 1)))
                ranges = _SPLITTERS[config.format](config, file, pieces)
            else:
                ranges = [(0, -1, 1, 1)]
            units += [ReadUnit(text, file, *bounds) for bounds in ranges]
    return units
