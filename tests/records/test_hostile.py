"""Records built to break a reader: each one is quarantined with a reason and the unit reads on."""

from __future__ import annotations

import pytest

from ecomgpt.records.ingest import Reject
from ecomgpt.records.parsers import MAX_DEPTH, ParseFailure, apply_parser

from .helpers import config, read_all

MAPPING = {"text": "body", "rating": "stars"}
GOOD = '{"body": "fits well", "stars": 5}'


def _jsonl(write, *lines: str):
    path = write("reviews.jsonl", "\n".join(lines) + "\n")
    return config(path=path, format="jsonl", data_type="review", lang="en", mapping=MAPPING)


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _summary(records, rejects):
    return [r.text for r in records], [(r.location, r.reason) for r in rejects]


def test_a_number_past_the_integer_digit_limit_is_one_reject(write):
    huge = '{"body": "big", "stars": ' + "7" * 5000 + "}"
    records, rejects = read_all([_jsonl(write, GOOD, huge, GOOD)])
    assert _summary(records, rejects) == (["fits well", "fits well"], [("line 2", "unparsable")])
    assert "digits" in rejects[0].detail


def test_a_number_past_the_digit_limit_is_one_reject_with_python_literals_allowed(write):
    huge = '{"body": "big", "stars": ' + "7" * 5000 + "}"
    source = _jsonl(write, GOOD, huge, GOOD).model_copy(update={"allow_python_literals": True})
    records, rejects = read_all([source])
    assert _summary(records, rejects) == (["fits well", "fits well"], [("line 2", "unparsable")])


@pytest.mark.parametrize(
    "field, parser, good, cell",
    [
        ("category", "json", '["Pens", "Ink"]', "[" * 5000),
        ("attributes", "ruby_kv", '{"key"=>"Ink", "value"=>"blue"}', "[" * 5000),
        ("attributes", "ruby_kv", '{"key"=>"Ink", "value"=>"blue"}', '{"a"=>' * 5000),
    ],
)
def test_a_cell_nested_5000_deep_is_one_reject(write, field, parser, good, cell):
    rows = ["name,specs", "Pen," + _cell(good), "Cup," + _cell(cell), "Mug,"]
    path = write("products.csv", "\n".join(rows) + "\n")
    mapping = {"title": "name", field: {"column": "specs", "parse": parser}}
    source = config(path=path, format="csv", data_type="product", lang="en", mapping=mapping)
    records, rejects = read_all([source])
    assert [r.title for r in records] == ["Pen", "Mug"] and getattr(records[0], field)
    assert [(r.location, r.reason) for r in rejects] == [("row 2 (line 3)", "invalid_value")]
    assert "column 'specs'" in rejects[0].detail and "nested" in rejects[0].detail


def test_ruby_kv_reads_up_to_its_depth_limit():
    inner = '{"key"=>"Fabric", "value"=>"Cotton"}'
    with pytest.raises(ParseFailure, match="expected a hash"):  # read to the end, then refused
        apply_parser("ruby_kv", "[" * (MAX_DEPTH - 1) + inner + "]" * (MAX_DEPTH - 1))
    with pytest.raises(ParseFailure, match="nested deeper than"):
        apply_parser("ruby_kv", "[" * MAX_DEPTH + inner + "]" * MAX_DEPTH)


def test_an_unforeseen_exception_while_building_a_record_is_one_reject(write):
    # 900 levels parse (orjson allows 1,024), then stripping the BOM deep inside recurses too far
    deep = '{"body": ' + "[" * 900 + '"\\ufeffx"' + "]" * 900 + ', "stars": 2}'
    records, rejects = read_all([_jsonl(write, GOOD, deep, GOOD)])
    assert _summary(records, rejects) == (["fits well", "fits well"], [("line 2", "invalid_value")])
    assert "RecursionError" in rejects[0].detail
    assert isinstance(rejects[0], Reject) and rejects[0].raw.startswith('{"body": [[[')
