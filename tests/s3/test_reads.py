"""Reading from a real S3 server (SeaweedFS on loopback): every raw format gives the same records and rejects as
the local copy, split over several units, in a handful of requests per file, never one per line."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomgpt import storage
from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.readers import iter_lines
from ecomgpt.records.sources import SourceConfig
from ecomgpt.records.units import line_ranges, plan_units

REVIEW = {"text": "body", "rating": "stars"}


def _jsonl(n: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.05:
            lines.append("{truncated")
        elif roll < 0.08:
            lines.append(json.dumps({"body": "", "stars": 2}))
        else:
            lines.append(
                json.dumps(
                    {"body": f"review {i} " + "é" * rng.randint(1, 40), "stars": rng.randint(1, 5)}, ensure_ascii=False
                )
            )
    return "\n".join(lines) + "\n"


def _csv(n: int) -> str:
    rows = ["body,stars"]
    for i in range(n):
        if i % 17 == 5:
            rows.append(f'"a review over\ntwo lines, {i}",4')  # a quoted field with a newline: one record
        elif i % 29 == 7:
            rows.append(f'"unterminated {i},3')  # rejected alone
        else:
            rows.append(f"plain review {i},{1 + i % 5}")
    return "\n".join(rows) + "\n"


def _bio(n: int) -> str:
    sentences = []
    for i in range(n):
        sentences.append(f"苹 B-HPPX\n果 I-HPPX\n手 O\n机 O\n{i % 10} O\n")
    return "\n".join(sentences)


def _files(root: Path) -> dict[str, dict]:
    """One local file per raw format, with bad records in the line formats, and its source fields."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "reviews.jsonl").write_text(_jsonl(3_000, 0), encoding="utf-8")
    array = [{"body": f"array review {i}", "stars": 1 + i % 5} for i in range(200)] + [["not an object"]]
    (root / "reviews.json").write_text(json.dumps(array), encoding="utf-8")
    (root / "reviews.csv").write_text(_csv(2_000), encoding="utf-8")
    (root / "ner.txt").write_text(_bio(1_500), encoding="utf-8")
    rows = [{"body": f"parquet review {i}", "stars": 1 + i % 5} for i in range(3_000)]
    pq.write_table(pa.Table.from_pylist(rows), root / "reviews.parquet", row_group_size=250)
    review = {"data_type": "review", "lang": "en", "mapping": REVIEW}
    return {
        "reviews.jsonl": {"format": "jsonl", **review},
        "reviews.json": {"format": "json", **review},
        "reviews.csv": {"format": "csv", **review},
        "ner.txt": {"format": "bio", "lang": "zh", "bio": {"label_names": {"HPPX": "品牌"}}},
        "reviews.parquet": {"format": "parquet", **review},
    }


def _read(path: str, fields: dict) -> tuple[int, list, list]:
    source = SourceConfig.model_validate({"name": "reviews", "path": path, **fields})
    units = plan_units([source], 6, min_unit_bytes=1)
    records, rejects = [], []
    for unit in units:
        for item in iter_unit(unit):
            if isinstance(item, Reject):
                rejects.append({**item.to_dict(), "file": storage.basename(item.file)})
            else:
                records.append(item.model_dump())
    return len(units), records, rejects


@pytest.fixture(scope="module")
def raw_files(s3_server, tmp_path_factory) -> tuple[Path, str, dict[str, dict]]:
    local = tmp_path_factory.mktemp("raw-formats")
    formats = _files(local)
    remote = s3_server.uri("raw-formats")
    storage.upload_dir(str(local), remote)
    return local, remote, formats


@pytest.mark.parametrize("name", ["reviews.jsonl", "reviews.json", "reviews.csv", "ner.txt", "reviews.parquet"])
def test_every_format_reads_from_s3_as_from_disk(raw_files, name):
    local, remote, formats = raw_files
    units, records, rejects = _read(str(local / name), formats[name])
    s3_units, s3_records, s3_rejects = _read(storage.join(remote, name), formats[name])
    assert records and (s3_units, s3_records, s3_rejects) == (units, records, rejects)
    assert units > 1 or name == "reviews.json"  # a JSON array is one unit; the others split
    if name in ("reviews.jsonl", "reviews.csv", "reviews.json"):
        assert rejects, "the bad records are quarantined from S3 as from disk"


def test_lines_come_in_blocks_not_one_request_per_line(s3_server):
    text = "".join(json.dumps({"body": f"line {i}", "stars": 3}) + "\n" for i in range(150_000))  # 4.6 MB
    location = s3_server.uri("blocks", "lines.jsonl")
    storage.write_text(location, text)
    before = s3_server.request_counts().get("GET", 0)
    reader = iter_lines(location, 0, -1, 1)
    lines = list(itertools.islice(reader, 20))
    assert s3_server.request_counts().get("GET", 0) - before <= 3, "a request per line"
    lines += list(reader)
    whole = s3_server.request_counts().get("GET", 0) - before
    assert len(lines) == 150_000 and lines[-1] == (150_000, b'{"body": "line 149999", "stars": 3}')
    assert whole <= 3  # the object's size, then one block

    before = s3_server.request_counts().get("GET", 0)
    ranges = line_ranges(location, 8)
    middle = list(iter_lines(location, ranges[3][0], ranges[3][1], ranges[3][2]))
    planned = s3_server.request_counts().get("GET", 0) - before
    assert len(ranges) == 8 and middle[0][1] == text.splitlines()[middle[0][0] - 1].encode()
    assert planned <= 6

    before = s3_server.request_counts().get("GET", 0)
    assert storage.read_text(location) == text
    assert s3_server.request_counts().get("GET", 0) - before <= 2


def test_a_refused_key_is_one_error_naming_the_location_not_the_secret(s3_server, monkeypatch):
    canary = "Canary-Secret-0123456789abcdef"
    location = s3_server.uri("raw-formats", "reviews.jsonl")
    storage.write_text(location, "{}\n")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", canary)
    with pytest.raises(storage.StorageError) as caught:
        storage.file_size(location)
    message = str(caught.value)
    assert message.startswith(location) and "ACCESS_DENIED" in message and "AWS_SECRET_ACCESS_KEY" in message
    assert canary not in message and s3_server.secret_key not in message
    with pytest.raises(storage.StorageError, match="ACCESS_DENIED"):
        storage.write_text(s3_server.uri("refused", "x.json"), "{}")
