"""Records built to break a reader: each one is quarantined with a reason and the unit reads on."""

from __future__ import annotations

import json

import pytest

from ecomgpt.records.decoding import MAX_DEPTH, ParseFailure
from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.parsers import apply_parser
from ecomgpt.records.sources import SourceError
from ecomgpt.records.units import plan_units

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


def _reviews_csv(write, rows: list[str]):
    path = write("reviews.csv", "id,review,stars\n" + "".join(row + "\n" for row in rows))
    return config(
        path=path,
        format="csv",
        data_type="review",
        lang="en",
        mapping={"record_id": "id", "text": "review", "rating": "stars"},
    )


def _rows(n: int) -> list[str]:
    return [f"{i},review number {i},{1 + i % 5}" for i in range(1, n + 1)]


def _assert_only_broken(records, rejects, n: int, broken: int) -> None:
    assert len(records) + len(rejects) == n  # one outcome per physical row: nothing merged away
    assert [r.location for r in rejects] == [f"row {broken} (line {broken + 1})"]
    assert rejects[0].reason == "unparsable" and "unmatched quote" in rejects[0].detail
    assert [r.record_id for r in records] == [str(i) for i in range(1, n + 1) if i != broken]


def test_an_unmatched_quote_swallowing_1000_rows_rejects_one_row(write):
    rows = _rows(1200)
    rows[9] = '10,"Great product, fits,5'  # opens a quoted field that ends 1,000 rows later
    rows[1009] = '1010,Laptop 13",4'  # an inch mark closes it, followed by a delimiter: well formed
    records, rejects = read_all([_reviews_csv(write, rows)])
    _assert_only_broken(records, rejects, 1200, 10)
    assert rejects[0].raw == rows[9] + "\n"
    assert records[-1].text == "review number 1200"


def test_a_short_merge_closed_by_a_stray_quote_is_rejected(write):
    rows = _rows(50)
    rows[4] = '5,"Runs small,2'
    rows[7] = '8,"Nice" colour,3'  # closes the field, but text follows the closing quote
    records, rejects = read_all([_reviews_csv(write, rows)])
    assert len(records) + len(rejects) == 50
    assert next((r.location, r.reason) for r in rejects) == ("row 5 (line 6)", "unparsable")
    assert "lines 6-9" in rejects[0].detail
    assert {"4", "6", "7", "9", "50"} <= {r.record_id for r in records}


def test_a_quote_still_open_at_the_end_of_the_file_rejects_one_row(write):
    rows = _rows(30)
    rows[24] = '25,"never closed,1'
    records, rejects = read_all([_reviews_csv(write, rows)])
    _assert_only_broken(records, rejects, 30, 25)


def test_a_line_over_the_record_size_limit_is_rejected_and_skipped(write):
    rows = _rows(5)
    rows[2] = "3," + "x" * (3 << 20) + ",4"
    records, rejects = read_all([_reviews_csv(write, rows)])
    assert [r.record_id for r in records] == ["1", "2", "4", "5"]
    assert [(r.location, r.reason) for r in rejects] == [("row 3 (line 4)", "unparsable")]
    assert "longer than 1,048,576 bytes" in rejects[0].detail and len(rejects[0].raw) < 2100


def test_planning_reads_only_the_head_of_a_json_array(write):
    rows = [{"body": f"review {i}", "stars": 1 + i % 5} for i in range(300)]
    text = json.dumps(rows)
    path = write("reviews.json", text[:-1] + ', {"body": "cut off')  # broken far past the sample
    source = config(path=path, format="json", data_type="review", lang="en", mapping=MAPPING)
    (unit,) = plan_units([source], 4)  # the mapping is checked on the first rows only
    items = list(iter_unit(unit))
    assert [(i.location, i.reason) for i in items] == [("file", "unparsable")]  # the reader quarantines it
    bad = config(path=path, format="json", data_type="review", lang="en", mapping={"text": "bdy"})
    with pytest.raises(SourceError, match="names column 'bdy'"):
        plan_units([bad], 1)


@pytest.mark.parametrize("target", [2, 3, 5, 8, 16, 64])
def test_a_csv_file_splits_at_row_starts_and_reads_as_one_unit_does(write, target):
    rows = _rows(120)
    rows[3] = '4,"a review over\nthree lines, ""quoted""\nand done",4'  # a legitimate multi-line row
    rows[20] = ""  # a blank line
    rows[30] = '31,"never closed,1'  # swallows rows up to the cap, then is rejected alone
    rows[60] = '61,"stray" text,2'  # one line: read as it always was, `stray text`
    rows[90] = "91," + "y" * 5000 + ",3"
    source = _reviews_csv(write, rows).model_copy(update={"max_record_lines": 40, "max_record_bytes": 4000})
    whole = read_all([source], 1)
    units = plan_units([source], target, min_unit_bytes=1)
    assert 1 < len(units) <= target and units[0].start == 0 and units[-1].end == -1
    with open(source.path, "rb") as handle:
        data = handle.read()
    assert all(data[u.start - 1 : u.start] == b"\n" for u in units[1:])
    split = read_all([source], target)
    assert [(r.record_id, r.text) for r in split[0]] == [(r.record_id, r.text) for r in whole[0]]
    assert [(r.location, r.reason) for r in split[1]] == [(r.location, r.reason) for r in whole[1]]
    assert len(whole[0]) + len(whole[1]) == 119  # 120 rows, one of them blank
    assert [(r.location, r.reason) for r in whole[1]] == [
        ("row 30 (line 34)", "unparsable"),
        ("row 90 (line 94)", "unparsable"),
    ]
