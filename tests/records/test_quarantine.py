"""Validation and quarantine: one reject reason per bad record, exact counts, neighbours untouched."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomgpt.records.ingest import REJECT_REASONS, Reject
from ecomgpt.records.schema import Review
from ecomgpt.records.sources import SourceError

from .helpers import config, read_all

# `title` has a default: a sparse key, so planning does not require it in the first rows.
REVIEW_MAPPING = {"text": "body", "rating": "stars", "title": {"column": "title", "default": None}}


def _jsonl(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _reviews(path: str, **extra):
    return config(path=path, format="jsonl", data_type="review", lang="en", mapping=REVIEW_MAPPING, **extra)


def _reasons(rejects: list[Reject]) -> Counter:
    return Counter(reject.reason for reject in rejects)


@pytest.mark.parametrize(
    "bad_line, reason, field",
    [
        ('{"body": "ok", "stars": 4', "unparsable", ""),
        ('{"body": 5, "stars": 4}', "wrong_type", "text"),
        ('{"body": "fine", "stars": "abc"}', "wrong_type", "rating"),
        ('{"body": ["a", "b"], "stars": 4}', "wrong_type", "text"),
        ('["not", "an", "object"]', "wrong_type", ""),
        ('{"stars": 4}', "missing_field", "text"),
        ('{"body": null, "stars": 4}', "missing_field", "text"),
        ('{"body": "   ", "stars": 4}', "empty_text", "text"),
        ('{"body": "great", "stars": 9}', "invalid_value", "rating"),
        ('{"body": "' + "x" * 101 + '", "stars": 4}', "field_too_long", "text"),
    ],
)
def test_each_reason_rejects_one_line_and_keeps_its_neighbours(write, bad_line, reason, field):
    lines = ['{"body": "first", "stars": 5}', bad_line, '{"body": "third", "stars": 1, "title": "t"}']
    path = write("reviews.jsonl", _jsonl(lines))
    from ecomgpt.records.ingest import iter_unit
    from ecomgpt.records.units import plan_units

    (unit,) = plan_units([_reviews(path)], 1)
    items = list(iter_unit(unit, max_field_chars=100))
    assert len(items) == 3  # records_in == accepted + rejected
    first, middle, last = items
    assert isinstance(first, Review) and first.text == "first" and first.record_id == "reviews.jsonl:1"
    assert isinstance(last, Review) and last.text == "third" and last.record_id == "reviews.jsonl:3"
    assert isinstance(middle, Reject)
    assert (middle.reason, middle.location) == (reason, "line 2")
    assert (middle.source, middle.file) == ("test_source", path)
    assert field in middle.detail
    assert middle.raw == bad_line
    assert middle.reason in REJECT_REASONS


def test_bad_encoding_rejects_only_its_line(write):
    good = b'{"body": "caf\xc3\xa9", "stars": 5}\n'
    bad = b'{"body": "caf\xe9", "stars": 5}\n'
    path = write("latin.jsonl", good + bad + good)
    records, rejects = read_all([_reviews(path)])
    assert [r.text for r in records] == ["café", "café"]
    assert [(r.reason, r.location) for r in rejects] == [("bad_encoding", "line 2")]
    assert "caf" in rejects[0].raw


def test_mixed_file_counts_are_exact(write):
    lines = [
        '{"body": "a", "stars": 5}',
        "",  # blank lines are not records
        "{broken",
        '{"body": "", "stars": 3}',
        '{"stars": 3}',
        '{"body": "b", "stars": 0}',
        "   ",
        '{"body": "c", "stars": 2.0}',
        '{"body": "d", "stars": 2.5}',
        '{"body": "e", "stars": "4"}',
    ]
    path = write("mixed.jsonl", _jsonl(lines))
    records, rejects = read_all([_reviews(path)])
    assert len(records) + len(rejects) == 8
    assert [r.text for r in records] == ["a", "c", "e"]
    assert [r.rating for r in records] == [5, 2, 4]
    assert _reasons(rejects) == {
        "unparsable": 1,
        "empty_text": 1,
        "missing_field": 1,
        "invalid_value": 1,
        "wrong_type": 1,
    }
    assert [r.location for r in rejects] == ["line 3", "line 4", "line 5", "line 6", "line 9"]


def test_python_literal_lines_need_the_option(write):
    lines = ['{"body": "it\\\'s fine", "stars": 4}', "{'body': 'single quotes', 'stars': 3}"]
    path = write("literals.jsonl", _jsonl(lines))
    with pytest.raises(SourceError, match="allow_python_literals"):  # nothing parses: fail fast
        read_all([_reviews(path)])
    write("literals.jsonl", _jsonl(['{"body": "json", "stars": 1}', *lines]))
    records, rejects = read_all([_reviews(path)])
    assert len(records) == 1 and _reasons(rejects) == {"unparsable": 2}
    records, rejects = read_all([_reviews(path, allow_python_literals=True)])
    assert [r.text for r in records] == ["json", "it's fine", "single quotes"] and not rejects


def test_bom_is_stripped_from_texts(write):
    path = write("bom.jsonl", '\ufeff{"body": "\ufeffhello", "stars": 5}\n')
    records, rejects = read_all([_reviews(path)])
    assert [r.text for r in records] == ["hello"] and not rejects


def test_csv_reasons_and_counts(write):
    text = (
        "\ufeffid,review,stars\n"
        "1,good,5\n"
        "2,bad,abc\n"  # wrong_type
        "3,too,many,fields\n"  # unparsable
        ",,\n"  # an empty row: missing_field
        '5,"multi\nline",4\n'  # a quoted field over two lines is one record
        "\n"  # blank: not a record
        "6,  ,2\n"  # empty_text
        "7,fine,6\n"  # invalid_value
    )
    path = write("reviews.csv", text.encode("utf-8") + b"8,caf\xe9,5\n")  # bad_encoding
    source = config(
        path=path,
        format="csv",
        data_type="review",
        lang="en",
        mapping={"record_id": "id", "text": "review", "rating": "stars"},
    )
    records, rejects = read_all([source])
    assert len(records) + len(rejects) == 8
    assert [(r.record_id, r.text) for r in records] == [("1", "good"), ("5", "multi\nline")]
    assert [(r.location, r.reason) for r in rejects] == [
        ("row 2 (line 3)", "wrong_type"),
        ("row 3 (line 4)", "unparsable"),
        ("row 4 (line 5)", "missing_field"),
        ("row 6 (line 9)", "empty_text"),
        ("row 7 (line 10)", "invalid_value"),
        ("row 8 (line 11)", "bad_encoding"),
    ]
    assert "column 'stars'" in rejects[0].detail
    assert rejects[1].raw == "3,too,many,fields\n"


def test_json_array_rows(write):
    rows = [{"body": "a", "stars": 5}, "not an object", {"body": "b", "stars": 7}, {"body": "c"}]
    path = write("reviews.json", json.dumps(rows))
    source = config(path=path, format="json", data_type="review", lang="en", mapping=REVIEW_MAPPING)
    records, rejects = read_all([source])
    assert [r.text for r in records] == ["a", "c"]
    assert [(r.location, r.reason) for r in rejects] == [("row 2", "wrong_type"), ("row 3", "invalid_value")]


def test_parquet_rows(write, tmp_path):
    table = pa.table({"body": ["a", None, "c", "x" * 50], "stars": [5, 4, 11, 3]})
    path = str(tmp_path / "reviews.parquet")
    pq.write_table(table, path)
    source = config(path=path, format="parquet", data_type="review", lang="en", mapping=REVIEW_MAPPING)
    from ecomgpt.records.ingest import iter_unit
    from ecomgpt.records.units import plan_units

    items = [item for unit in plan_units([source], 1) for item in iter_unit(unit, max_field_chars=20)]
    assert [type(i).__name__ for i in items] == ["Review", "Reject", "Reject", "Reject"]
    assert [(i.location, i.reason) for i in items[1:]] == [
        ("row 2", "missing_field"),
        ("row 3", "invalid_value"),
        ("row 4", "field_too_long"),
    ]


def test_bio_malformed_line_rejects_its_sentence_only(write):
    text = "a B-X\r\nb I-X\r\nc O\r\n\r\nd B-Y\r\nbroken\r\ne O\r\n\r\nf B-X\r\ng I-X\r\n"
    path = write("ner.txt", text.encode("utf-8") + b"\r\n\xff O\r\n")
    source = config(path=path, format="bio", lang="en", bio={"dataset": "toy"})
    records, rejects = read_all([source])
    assert [r.text for r in records] == ["abc", "fg"]
    assert [(s.term, s.type) for s in records[0].spans] == [("ab", "X")]
    assert [(r.reason, r.location) for r in rejects] == [
        ("unparsable", "sentence 2 (line 6)"),
        ("bad_encoding", "sentence 4 (line 12)"),
    ]


def test_mapping_value_not_in_values_map(write):
    path = write("s.jsonl", _jsonl(['{"t": "a", "l": 1}', '{"t": "b", "l": 7}', '{"t": "c", "l": "0"}']))
    sentiment = {"column": "l", "values": {1: "positive", 0: "negative"}}
    source = config(
        path=path, format="jsonl", data_type="review", lang="zh", mapping={"text": "t", "sentiment": sentiment}
    )
    records, rejects = read_all([source])
    assert [(r.text, r.sentiment) for r in records] == [("a", "positive"), ("c", "negative")]
    assert [r.reason for r in rejects] == ["invalid_value"] and "column 'l'" in rejects[0].detail


def test_canonical_rows_keep_their_ids_and_take_the_source_name(write):
    rows = [
        {"data_type": "review", "record_id": "r1", "source": "synthetic", "lang": "en", "text": "x"},
        {"data_type": "query", "record_id": "q1", "lang": "en", "query": "shoes", "items": []},
        {"data_type": "nonsense", "record_id": "n1", "lang": "en"},
        {"record_id": "n2", "lang": "en", "text": "no type"},
        {"data_type": "product", "lang": "en", "title": "Pen", "price": None},
    ]
    path = write("records-00000.jsonl", _jsonl([json.dumps(row) for row in rows]))
    records, rejects = read_all([config(path=path, format="jsonl")])
    assert [(r.record_id, r.source) for r in records] == [
        ("r1", "test_source"),
        ("records-00000.jsonl:5", "test_source"),
    ]
    assert [r.reason for r in rejects] == ["missing_field", "invalid_value", "missing_field"]
