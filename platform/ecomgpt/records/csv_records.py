"""CSV records from physical lines, with bounded size and resynchronisation after a broken record.

A quoted field may span lines, so one unmatched quote can swallow the rest of a file into one field.
A record here may span at most `max_lines` physical lines and `max_bytes` bytes, and a record that
spans several lines must be well quoted (`strict` csv: a closing quote is followed by a delimiter or
the line's end). A record that breaks a rule, or is still open at the end of the file, is reported
as broken with its first line only, and reading starts again at the line after that one: the lines
it would have swallowed are read as records of their own. Memory stays within one record's limits.
`csv_file_records` reads a file's records with its source's delimiter and limits.
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO

from ecomgpt import storage
from ecomgpt.records.sources import SourceConfig

# The csv module's own limit (128 KiB per field) would abort the whole file; records are bounded
# by `max_bytes` here and field length is checked per record (field_too_long).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
_SKIP_BLOCK = 1 << 20
_HEAD_BYTES = 2000


class Overlong(bytes):
    """The first bytes of a physical line over the size limit (the rest was skipped, never held)."""


@dataclass(frozen=True)
class CsvRecord:
    """One CSV record: its first and last physical line, raw text, and fields or why it is broken."""

    offset: int  # byte offset of the first line in the file
    first_line: int
    last_line: int
    raw: str
    fields: list[str] | None
    error: str = ""


Line = tuple[int, int, bytes]  # (line number, byte offset, line with its newline)


def bounded_lines(handle: IO[bytes], max_bytes: int, first_line: int = 1, offset: int = 0) -> Iterator[Line]:
    """Every physical line from the handle's position (`offset`, line `first_line`); an `Overlong`
    head for a line over `max_bytes`, whose rest is skipped without being held in memory."""
    number = first_line
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        length = len(line)
        if length > max_bytes and not line.endswith(b"\n"):
            while rest := handle.readline(_SKIP_BLOCK):
                length += len(rest)
                if rest.endswith(b"\n"):
                    break
            yield number, offset, Overlong(line[:_HEAD_BYTES])
        else:
            yield number, offset, line
        number += 1
        offset += length


class _TooBig(Exception):
    pass


class _Feed:
    """Lines for one record: counts them and stops the record when it outgrows the limits."""

    def __init__(self, lines: Iterator[Line], pending: deque, max_lines: int, max_bytes: int) -> None:
        self.lines, self.pending = lines, pending
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self.taken: list[tuple[int, int, str]] = []
        self.size = 0
        self.ran_out = False
        self.overlong = False  # the record's first line was over the size limit

    def next_line(self) -> Line | None:
        return self.pending.popleft() if self.pending else next(self.lines, None)

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= self.max_lines:
            raise _TooBig
        item = self.next_line()
        if item is None:
            self.ran_out = bool(self.taken)  # the record is still open at the end of the lines
            raise StopIteration
        number, offset, data = item
        overlong = isinstance(data, Overlong)
        if self.taken and (overlong or self.size + len(data) > self.max_bytes):
            self.pending.appendleft(item)  # not part of this record: read again after it
            raise _TooBig
        if overlong:
            self.overlong = True
            self.taken.append((number, offset, data.decode("utf-8", "surrogateescape") + "…"))
            raise _TooBig
        text = data.decode("utf-8", "surrogateescape")
        self.taken.append((number, offset, text))
        self.size += len(data)
        return text


def csv_records(lines: Iterator[Line], delimiter: str, max_lines: int, max_bytes: int) -> Iterator[CsvRecord]:
    """Every record of the lines, header included, in order; blank lines give `fields == []`."""
    pending: deque = deque()
    while True:
        feed = _Feed(lines, pending, max_lines, max_bytes)
        try:
            fields = next(csv.reader(feed, delimiter=delimiter))
            error = ""
        except StopIteration:
            return
        except _TooBig:
            fields = None
            error = (
                f"the line is longer than {max_bytes:,} bytes"
                if feed.overlong
                else f"the record runs over {max_lines} lines or {max_bytes:,} bytes (an unmatched quote?)"
            )
        except csv.Error as exc:
            fields, error = None, f"CSV error: {exc}"
        if feed.ran_out:
            fields, error = None, "a quoted field is still open at the end of the lines (an unmatched quote?)"
        elif fields is not None and len(feed.taken) > 1:
            error = _strict_error(feed.taken, delimiter)
            fields = None if error else fields
        if fields is None and len(feed.taken) > 1:
            again = [(n, at, text.encode("utf-8", "surrogateescape")) for n, at, text in feed.taken[1:]]
            pending.extendleft(reversed(again))
            feed.taken = feed.taken[:1]
        (first, offset, _), last = feed.taken[0], feed.taken[-1][0]
        yield CsvRecord(offset, first, last, "".join(text for *_, text in feed.taken), fields, error)


def csv_file_records(
    path: str, config: SourceConfig, start: int = 0, first_line: int = 1
) -> Generator[CsvRecord, None, None]:
    """The CSV records of a file from byte `start` (a record start) to its end."""
    with storage.open_binary(path) as handle:
        handle.seek(start)
        lines = bounded_lines(handle, config.max_record_bytes, first_line, start)
        yield from csv_records(lines, config.delimiter, config.max_record_lines, config.max_record_bytes)


def record_kind(record: CsvRecord, have_header: bool) -> str:
    """ "header" (the first readable record), "blank" (not a record) or "row"."""
    if record.fields is not None and not have_header:
        return "header"
    if record.fields == [] or (record.fields is None and not record.raw.strip()):
        return "blank"
    return "row"


def _strict_error(taken: list[tuple[int, int, str]], delimiter: str) -> str:
    try:
        next(csv.reader((text for *_, text in taken), delimiter=delimiter, strict=True))
        return ""
    except csv.Error as exc:
        first, last = taken[0][0], taken[-1][0]
        return f"a quoted field runs over lines {first}-{last} and is malformed ({exc}): an unmatched quote?"
