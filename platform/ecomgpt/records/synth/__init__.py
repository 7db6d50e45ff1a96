"""Synthetic canonical records: products, reviews, queries and dialogues in English and Chinese.

Labels are known by construction: attribute values are written into product titles, aspect terms into
review texts, slot values into dialogue turns, and every query has exactly one candidate built to match
it. Record `i` depends only on `(seed, i)`, so any range of records can be generated on its own and
shards can be written in parallel.

    ecomgpt synth --records 1000000 --seed 0 --out s3://bucket/synthetic --format parquet

One module per data type builds its records (`product`, `review`, `query`, `dialogue`) from the word
lists in `words/` (YAML, loaded and checked by `vocabulary`); `stream` draws record i, `shards` writes.
"""

from ecomgpt.records.synth.catalog import SOURCE
from ecomgpt.records.synth.shards import PARQUET_SCHEMAS, shard_files, write_shard, write_synthetic
from ecomgpt.records.synth.stream import VERSION, iter_synthetic, synthetic_record

__all__ = [
    "PARQUET_SCHEMAS",
    "SOURCE",
    "VERSION",
    "iter_synthetic",
    "shard_files",
    "synthetic_record",
    "write_shard",
    "write_synthetic",
]
