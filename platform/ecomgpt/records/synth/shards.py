"""Writing the synthetic stream: shards of JSON lines or Parquet, and the run's manifest.

Parquet layout: one table for all record types, the union of their columns, absent fields null, so a
row with its nulls dropped validates as its record. The one column whose type differs between models is
`category` (Product: a list of levels, Query: a string). It holds the Product's list; a Query's category
is left null there, since it always equals its exact candidate's category, and `row_to_record` puts it
back from that candidate.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Literal

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ecomgpt import __version__, storage
from ecomgpt.records.schema import MODELS
from ecomgpt.records.synth.stream import VERSION, iter_synthetic

_WRITE_BATCH = 8192
# json.dumps builds a new encoder per call when given options; one shared encoder writes the same bytes
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

_NAME_VALUE = pa.struct([("name", pa.string()), ("value", pa.string())])
PARQUET_SCHEMA = pa.schema([
    ("record_id", pa.string()), ("source", pa.string()), ("lang", pa.string()), ("data_type", pa.string()),
    ("title", pa.string()), ("category", pa.list_(pa.string())), ("attributes", pa.list_(_NAME_VALUE)),
    ("brand", pa.string()), ("description", pa.string()), ("price", pa.float64()),
    ("text", pa.string()), ("rating", pa.int64()), ("sentiment", pa.string()),
    ("aspects", pa.list_(pa.struct([("category", pa.string()), ("term", pa.string()), ("sentiment", pa.string())]))),
    ("product_id", pa.string()), ("product_title", pa.string()), ("product_category", pa.string()),
    ("query", pa.string()),
    ("items", pa.list_(pa.struct([("title", pa.string()), ("relevance", pa.string()), ("item_id", pa.string()),
                               ("category", pa.string())]))),
    ("turns", pa.list_(pa.struct([("role", pa.string()), ("text", pa.string()), ("intents", pa.list_(pa.string())),
                               ("slots", pa.list_(_NAME_VALUE))]))),
    ("domain", pa.string()),
])


def record_to_row(record: dict) -> dict:
    """A canonical record as a row of PARQUET_SCHEMA (a Query's category is left to its exact item)."""
    if record["data_type"] == "query":
        exact = [item["category"] for item in record["items"] if item["relevance"] == "exact"]
        if exact != [record["category"]]:
            raise ValueError(f"{record['record_id']}: query category is not its exact item's category")
        return {**record, "category": None}
    return record


def row_to_record(row: dict) -> dict:
    """A PARQUET_SCHEMA row back to its canonical record: the columns of its type, a Query's category
    restored from its exact item."""
    record = {name: row.get(name) for name in MODELS[row["data_type"]].model_fields}
    if record["data_type"] == "query" and record["category"] is None:
        exact = [item["category"] for item in record["items"] or () if item["relevance"] == "exact"]
        record["category"] = exact[0] if len(exact) == 1 else None
    return record


_SHARD_RE = re.compile(r"^records-\d{5,}\.(jsonl|parquet)$")
_FORMATS = ("jsonl", "parquet")
_ROW_FORMATS = {
    "jsonl": "one canonical record per line",
    "parquet": "union of the record types' columns, absent fields null; "
    "ecomgpt.records.synth.row_to_record turns a row back into its canonical record",
}


def _clear_previous(out: str) -> None:
    """Remove an earlier run's shards and manifest so a smaller rerun leaves no stale shard behind."""
    fs, path = storage.resolve(out)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return
    for info in fs.get_file_info(pafs.FileSelector(path, recursive=False)):
        if info.type == pafs.FileType.File and (_SHARD_RE.match(info.base_name) or info.base_name == "manifest.json"):
            fs.delete_file(info.path)


def write_shard(seed: int, start: int, count: int, uri: str, fmt: Literal["jsonl", "parquet"]) -> Counter:
    """Write records `start` .. `start + count - 1` to one file; returns counts by (data_type, lang).

    Shards depend on nothing but their arguments, so they can be written by parallel workers.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
    counts: Counter = Counter()
    records = iter_synthetic(count, seed, start)
    fs, path = storage.resolve(uri)
    if fmt == "jsonl":
        with fs.open_output_stream(path) as stream:
            batch: list[str] = []
            for record in records:
                counts[record["data_type"], record["lang"]] += 1
                batch.append(_JSON(record))
                if len(batch) == _WRITE_BATCH:
                    stream.write(("\n".join(batch) + "\n").encode("utf-8"))
                    batch = []
            if batch:
                stream.write(("\n".join(batch) + "\n").encode("utf-8"))
    else:
        with pq.ParquetWriter(path, PARQUET_SCHEMA, filesystem=fs, compression="zstd") as writer:
            rows: list[dict] = []
            for record in records:
                counts[record["data_type"], record["lang"]] += 1
                rows.append(record_to_row(record))
                if len(rows) == _WRITE_BATCH:
                    writer.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA))
                    rows = []
            if rows or count == 0:
                writer.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA))
    return counts


def write_synthetic(
    n: int,
    seed: int,
    out: str,
    fmt: Literal["jsonl", "parquet"] = "jsonl",
    shard_records: int = 100_000,
) -> list[str]:
    """Write n records to `out` (a local path or URI) as shards of `shard_records`, plus manifest.json.

    Shards are generated one at a time, so memory does not grow with n; an earlier run's shards and
    manifest in `out` are replaced. Returns the shard paths.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
    if n < 0 or shard_records < 1:
        raise ValueError(f"need n >= 0 and shard_records >= 1, got n={n}, shard_records={shard_records}")
    started = time.perf_counter()
    storage.make_dirs(out)
    _clear_previous(out)
    names, counts = [], Counter()
    for shard, first in enumerate(range(0, n, shard_records)):
        name = f"records-{shard:05d}.{fmt}"
        counts += write_shard(seed, first, min(shard_records, n - first), storage.join(out, name), fmt)
        names.append(name)
    elapsed = time.perf_counter() - started
    by_type, by_lang = Counter(), Counter()
    for (data_type, lang), count in counts.items():
        by_type[data_type] += count
        by_lang[lang] += count
    storage.write_json(storage.join(out, "manifest.json"), {
        "stage": "synth",
        "generator": "ecomgpt.records.synth",
        "version": VERSION,
        "ecomgpt_version": __version__,
        "n": n,
        "seed": seed,
        "format": fmt,
        "shard_records": shard_records,
        "shards": names,
        "row_format": _ROW_FORMATS[fmt],
        "counts": {
            "data_type": dict(sorted(by_type.items())),
            "lang": dict(sorted(by_lang.items())),
            "data_type_lang": {f"{t}/{lang}": c for (t, lang), c in sorted(counts.items())},
        },
        "elapsed_s": round(elapsed, 3),
        "records_per_s": round(n / elapsed, 1) if elapsed > 0 else None,
    })
    return [storage.join(out, name) for name in names]
