"""Source configs: YAML loading, validation errors that name the key, shipped configs, input_source."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomgpt.records.sources import (
    SourceConfig,
    SourceError,
    input_source,
    load_source_config,
    parse_source_json,
    source_json,
)
from ecomgpt.records.units import ReadUnit

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "configs" / "sources").glob("*.yaml"))
EXPECTED = {
    "amazon_qa_appliances",
    "amazon_reviews_2018_5core",
    "cn_ecommerce_ner",
    "esci_shopping_queries_sample",
    "flipkart_products_sample",
    "mg_shopdial",
    "online_shopping_10_cats",
    "womens_clothing_reviews",
}


def _yaml(tmp_path: Path, text: str) -> str:
    path = tmp_path / "source.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


BASE = "name: s\npath: data.jsonl\nformat: jsonl\ndata_type: review\nlang: en\n"


def test_every_shipped_config_loads_and_round_trips():
    assert {path.stem for path in SHIPPED} == EXPECTED
    for path in SHIPPED:
        config = load_source_config(str(path))
        assert config.name == path.stem
        assert all(p.startswith("../shared/data/raw/") for p in config.paths)
        assert parse_source_json(source_json(config)) == config


def test_unknown_top_level_key_names_file_and_key(tmp_path):
    path = _yaml(tmp_path, BASE + "mapping: {text: body}\ndelimeter: ';'\n")
    with pytest.raises(SourceError, match=r"source\.yaml.*unknown key 'delimeter'"):
        load_source_config(path)


def test_unknown_rule_key_is_named_with_its_field(tmp_path):
    path = _yaml(tmp_path, BASE + "mapping:\n  text: {colum: body}\n")
    with pytest.raises(SourceError, match=r"unknown key 'colum' at mapping\.text"):
        load_source_config(path)


def test_unknown_format_is_a_config_error(tmp_path):
    path = _yaml(tmp_path, BASE.replace("format: jsonl", "format: xlsx"))
    with pytest.raises(SourceError, match=r"format"):
        load_source_config(path)


def test_unknown_parser_lists_known_ones(tmp_path):
    path = _yaml(tmp_path, BASE + "mapping:\n  text: body\n  rating: {column: stars, parse: integer}\n")
    with pytest.raises(SourceError, match=r"unknown parser 'integer'; known parsers: .*dict_items.*ruby_kv"):
        load_source_config(path)


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("{txt: body}", r"'txt' is not a field of Review"),
        ("{text: body, aspects: {column: a, each: {categry: c}}}", r"'categry' is not a field of Aspect"),
        ("{text: {column: body, const: x}}", r"exactly one of 'column' or 'const'"),
        ("{text: {column: body, parse: 'split'}}", r"needs an argument"),
        ("{text: {column: body, parse: 'first:2'}}", r"takes no argument"),
        ("{text: {parse: json}}", r"exactly one of 'column' or 'const'"),
    ],
)
def test_bad_mappings_fail_at_load(tmp_path, mapping, message):
    path = _yaml(tmp_path, BASE + f"mapping: {mapping}\n")
    with pytest.raises(SourceError, match=message):
        load_source_config(path)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"format": "bio", "lang": "zh", "mapping": {"text": "t"}}, "takes no mapping"),
        ({"format": "bio"}, "needs lang"),
        ({"format": "csv", "mapping": {"text": "t"}}, "needs data_type"),
        ({"format": "csv", "allow_python_literals": True}, "jsonl"),
        ({"format": "jsonl", "delimiter": ";"}, "csv"),
        ({"format": "jsonl", "bio": {"dataset": "x"}}, "bio"),
        ({"format": "ecomgpt", "data_type": "review"}, "annotated"),
    ],
)
def test_inconsistent_options(fields, message):
    with pytest.raises(ValueError, match=message):
        SourceConfig.model_validate({"name": "s", "path": "x", **fields})


def test_missing_config_file():
    with pytest.raises(SourceError, match="not found"):
        load_source_config("/nonexistent/source.yaml")


def test_read_unit_round_trips_as_a_plain_row():
    config = load_source_config(str(REPO / "configs" / "sources" / "mg_shopdial.yaml"))
    unit = ReadUnit(source_json(config), "/data/x.json", 10, -1, 3)
    row = unit.to_row()
    assert all(isinstance(value, (str, int)) for value in row.values())
    assert ReadUnit.from_row(dict(row)) == unit
    assert unit.source == config


def _records(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_input_source_for_synth_output(tmp_path):
    out = tmp_path / "synth"
    review = {"data_type": "review", "record_id": "1", "source": "s", "lang": "en", "text": "x"}
    _records(out / "records-00000.jsonl", [review])
    _records(out / "records-00001.jsonl", [])
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    config = input_source(str(out))
    assert (config.format, config.name, config.path) == ("jsonl", "synth", str(out))
    assert config.data_type is None and config.mapping is None
    single = input_source(str(out / "records-00000.jsonl"))
    assert (single.format, single.name) == ("jsonl", "records-00000")
    globbed = input_source(str(out / "records-*.jsonl"))
    assert globbed.format == "jsonl" and len(globbed.paths) == 2


def test_input_source_json_array_and_parquet(tmp_path):
    (tmp_path / "a.json").write_text("[]", encoding="utf-8")
    assert input_source(str(tmp_path / "a.json")).format == "json"
    (tmp_path / "b.json").write_text('{"x": 1}\n', encoding="utf-8")
    assert input_source(str(tmp_path / "b.json")).format == "jsonl"
    (tmp_path / "p").mkdir()
    pq.write_table(pa.table({"x": [1]}), str(tmp_path / "p" / "part-0.parquet"))
    assert input_source(str(tmp_path / "p")).format == "parquet"


def test_input_source_ecomgpt_layout(tmp_path):
    task = tmp_path / "held" / "ABSA" / "tasks" / "EN-ABSA-CLS-topic"
    task.mkdir(parents=True)
    (task / "meta-info.json").write_text("{}", encoding="utf-8")
    (task / "test.json").write_text("", encoding="utf-8")
    for root in (tmp_path / "held", tmp_path / "held" / "ABSA", task):
        assert input_source(str(root)).format == "ecomgpt"


@pytest.mark.parametrize("name", ["missing", "*.jsonl", "notes.txt", "empty_dir"])
def test_input_source_refuses(tmp_path, name):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(SourceError, match="input"):
        input_source(str(tmp_path / name))


def test_input_source_refuses_mixed_formats(tmp_path):
    _records(tmp_path / "a.jsonl", [])
    pq.write_table(pa.table({"x": [1]}), str(tmp_path / "b.parquet"))
    with pytest.raises(SourceError, match="mixes formats"):
        input_source(str(tmp_path))
