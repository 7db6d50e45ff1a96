"""Writing the synthetic stream: shards of JSON lines or Parquet, and the run's manifest.

Shard `k` of a JSON-lines run is `records-0000k.jsonl`, one canonical record per line. Shard `k` of a
Parquet run is one file per record type, `records-0000k-<data_type>.parquet`, whose columns are exactly
that type's fields (records/schema.py): a row is its record, field for field, as the JSON line would be,
and any reader of canonical Parquet (`ecomgpt generate --input`) reads it back unchanged. One table for
all types cannot be lossless: `category` is a list of levels in a Product and a string in a Query.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from typing import Literal

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ecomgpt import __version__, storage
from ecomgpt.manifests import write_manifest
from ecomgpt.records.synth.stream import VERSION, iter_synthetic

DATA_TYPES = ("product", "review", "query", "dialogue")
_WRITE_BATCH = 8192
# json.dumps builds a new encoder per call when given options; one shared encoder writes the same bytes
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

_STRING = pa.string()
_NAME_VALUE = pa.struct([("name", _STRING), ("value", _STRING)])
_RECORD = [("record_id", _STRING), ("source", _STRING), ("lang", _STRING), ("data_type", _STRING)]
PARQUET_SCHEMAS = {
    "product": pa.schema(
        _RECORD
        + [
            ("title", _STRING),
            ("category", pa.list_(_STRING)),
            ("attributes", pa.list_(_NAME_VALUE)),
            ("brand", _STRING),
            ("description", _STRING),
            ("price", pa.float64()),
        ]
    ),
    "review": pa.schema(
        _RECORD
        + [
            ("text", _STRING),
            ("title", _STRING),
            ("rating", pa.int64()),
            ("sentiment", _STRING),
            ("aspects", pa.list_(pa.struct([("category", _STRING), ("term", _STRING), ("sentiment", _STRING)]))),
            ("product_id", _STRING),
            ("product_title", _STRING),
            ("product_category", _STRING),
        ]
    ),
    "query": pa.schema(
        _RECORD
        + [
            ("query", _STRING),
            (
                "items",
                pa.list_(
                    pa.struct([("title", _STRING), ("relevance", _STRING), ("item_id", _STRING), ("category", _STRING)])
                ),
            ),
            ("category", _STRING),
        ]
    ),
    "dialogue": pa.schema(
        _RECORD
        + [
            (
                "turns",
                pa.list_(
                    pa.struct(
                        [
                            ("role", _STRING),
                            ("text", _STRING),
                            ("intents", pa.list_(_STRING)),
                            ("slots", pa.list_(_NAME_VALUE)),
                        ]
                    )
                ),
            ),
            ("domain", _STRING),
        ]
    ),
}

_SHARD_RE = re.compile(r"^records-\d{5,}(-[a-z]+)?\.(jsonl|parquet)$")
_FORMATS = ("jsonl", "parquet")
_ROW_FORMATS = {
    "jsonl": "one canonical record per line",
    "parquet": "one file per record type and shard; its columns are the type's fields and a row is its record",
}


def shard_files(shard: int, fmt: Literal["jsonl", "parquet"]) -> list[str]:
    """The file names of shard number `shard`."""
    if fmt == "jsonl":
        return [f"records-{shard:05d}.jsonl"]
    return [f"records-{shard:05d}-{data_type}.parquet" for data_type in DATA_TYPES]


def _clear_previous(out: str) -> None:
    """Remove an earlier run's shards and manifest so a smaller rerun leaves no stale shard behind."""
    fs, path = storage.resolve(out)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return
    for info in fs.get_file_info(pafs.FileSelector(path, recursive=False)):
        if info.type == pafs.FileType.File and (
            _SHARD_RE.match(info.base_name) or info.base_name == storage.MANIFEST_FILE
        ):
            fs.delete_file(info.path)


def _write_jsonl(records: Iterable[dict], counts: Counter, fs: pafs.FileSystem, path: str) -> None:
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


def _write_parquet(records: Iterable[dict], counts: Counter, fs: pafs.FileSystem, paths: dict[str, str]) -> None:
    with ExitStack() as stack:
        writers = {
            data_type: stack.enter_context(
                pq.ParquetWriter(path, PARQUET_SCHEMAS[data_type], filesystem=fs, compression="zstd")
            )
            for data_type, path in paths.items()
        }
        batches: dict[str, list[dict]] = {data_type: [] for data_type in paths}
        for record in records:
            data_type = record["data_type"]
            counts[data_type, record["lang"]] += 1
            batch = batches[data_type]
            batch.append(record)
            if len(batch) == _WRITE_BATCH:
                writers[data_type].write_table(pa.Table.from_pylist(batch, schema=PARQUET_SCHEMAS[data_type]))
                batch.clear()
        for data_type, batch in batches.items():
            if batch:  # a file no record went to keeps its schema, with no row group
                writers[data_type].write_table(pa.Table.from_pylist(batch, schema=PARQUET_SCHEMAS[data_type]))


def write_shard(seed: int, start: int, count: int, out: str, shard: int, fmt: Literal["jsonl", "parquet"]) -> Counter:
    """Write records `start` .. `start + count - 1` as shard number `shard` of `out` (its files are
    `shard_files(shard, fmt)`); returns counts by (data_type, lang).

    Shards depend on nothing but their arguments, so they can be written by parallel workers.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
    counts: Counter = Counter()
    records = iter_synthetic(count, seed, start)
    fs, _ = storage.resolve(out)
    paths = [storage.resolve(storage.join(out, name))[1] for name in shard_files(shard, fmt)]
    if fmt == "jsonl":
        _write_jsonl(records, counts, fs, paths[0])
    else:
        _write_parquet(records, counts, fs, dict(zip(DATA_TYPES, paths)))
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
    manifest in `out` are replaced. Returns the paths of the shards' files.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format must be 'jsonl' or 'parquet', got {fmt!r}")
    if n < 0 or shard_records < 1:
        raise ValueError(f"need n >= 0 and shard_records >= 1, got n={n}, shard_records={shard_records}")
    started = time.perf_counter()
    storage.make_dirs(out)
    _clear_previous(out)
    names: list[str] = []
    counts: Counter = Counter()
    for shard, first in enumerate(range(0, n, shard_records)):
        counts += write_shard(seed, first, min(shard_records, n - first), out, shard, fmt)
        names += shard_files(shard, fmt)
    elapsed = time.perf_counter() - started
    write_manifest(
        out,
        {
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
            "counts": _manifest_counts(counts),
            "elapsed_s": round(elapsed, 3),
            "records_per_s": round(n / elapsed, 1) if elapsed > 0 else None,
        },
    )
    return [storage.join(out, name) for name in names]


def _manifest_counts(counts: Counter) -> dict:
    by_type: Counter = Counter()
    by_lang: Counter = Counter()
    for (data_type, lang), count in counts.items():
        by_type[data_type] += count
        by_lang[lang] += count
    return {
        "data_type": dict(sorted(by_type.items())),
        "lang": dict(sorted(by_lang.items())),
        "data_type_lang": {f"{t}/{lang}": c for (t, lang), c in sorted(counts.items())},
    }
