"""The catalog parsers (kv, money, regex) and `module:function` parsers, in source configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomgpt.records.decoding import ParseFailure
from ecomgpt.records.parsers import apply_parser, check_parser
from ecomgpt.records.sources import SourceError, load_source_config

from .helpers import read_all


@pytest.mark.parametrize(
    "chain, value, expected",
    [
        (
            ["split:|", "kv::"],
            "Weight: 10 pounds|ASIN: B07K",
            [{"name": "Weight", "value": "10 pounds"}, {"name": "ASIN", "value": "B07K"}],
        ),
        (["kv::"], "Size: 7.0 oz: travel", [{"name": "Size", "value": "7.0 oz: travel"}]),
        (
            ["kv:="],
            ["a = 1", "no separator", " = 2", "b =", "c=3"],
            [{"name": "a", "value": "1"}, {"name": "c", "value": "3"}],
        ),
        (["money"], "$1,234.50", 1234.5),
        (["money"], "₹ 999", 999.0),
        (["money"], "1.234,50 €", 1234.5),
        (["money"], "USD 12", 12.0),
        (["money"], "12,50", 12.5),
        (["money"], "0.999", 0.999),
        (["money"], "1,234,567", 1234567.0),
        (["money"], 42, 42.0),
        (["regex:(\\d+) ?GB"], "Phone 128 GB blue", "128"),
        (["regex:\\d+"], "size 42 EU", "42"),
        (["regex:(\\d+) ?GB"], "no storage given", None),
    ],
)
def test_catalog_parsers(chain, value, expected):
    for spec in chain:
        check_parser(spec)
        value = apply_parser(spec, value)
    assert value == expected


@pytest.mark.parametrize("spec, value", [("money", "free"), ("money", "10 - 20"), ("kv::", 5), ("regex:x", [1])])
def test_catalog_parser_failures(spec, value):
    with pytest.raises(ParseFailure):
        apply_parser(spec, value)


def test_a_bad_regex_fails_when_the_config_loads():
    with pytest.raises(ValueError, match="not a regular expression"):
        check_parser("regex:(unclosed")


def _source(tmp_path: Path, parse: str, module: str | None = None) -> str:
    (tmp_path / "products.csv").write_text("name,price\nPen,2 EUR\nCup,n/a\nMug,\n", encoding="utf-8")
    if module is not None:
        (tmp_path / "catalog_parsers.py").write_text(module, encoding="utf-8")
    path = tmp_path / "products.yaml"
    path.write_text(
        f"name: shop\npath: {tmp_path / 'products.csv'}\nformat: csv\ndata_type: product\nlang: en\n"
        f"mapping:\n  title: name\n  price: {{column: price, parse: '{parse}'}}\n",
        encoding="utf-8",
    )
    return str(path)


def test_module_function_parsers_are_imported_from_the_config_directory(tmp_path):
    module = "def euros(value):\n    return float(value.split()[0])\n"
    source = load_source_config(_source(tmp_path, "catalog_parsers:euros", module))
    records, rejects = read_all([source])
    assert [(r.title, r.price) for r in records] == [("Pen", 2.0), ("Mug", None)]
    assert [(r.location, r.reason) for r in rejects] == [("row 2 (line 3)", "invalid_value")]
    assert "price (column 'price', parser 'catalog_parsers:euros'): ValueError" in rejects[0].detail


def test_module_function_parsers_come_from_the_python_path(tmp_path):
    (tmp_path / "products.csv").write_text("name\nPen &amp; Ink\n", encoding="utf-8")
    path = tmp_path / "products.yaml"
    path.write_text(
        f"name: shop\npath: {tmp_path / 'products.csv'}\nformat: csv\ndata_type: product\n"
        "lang: en\nmapping:\n  title: {column: name, parse: 'html:unescape'}\n",
        encoding="utf-8",
    )
    records, rejects = read_all([load_source_config(str(path))])
    assert [r.title for r in records] == ["Pen & Ink"] and not rejects


@pytest.mark.parametrize(
    "parse, module, message",
    [
        ("no_such_module:f", None, r"column 'price'.*cannot import module 'no_such_module'"),
        ("catalog_parsers:missing", "def euros(value):\n    return 1\n", r"column 'price'.*has no function 'missing'"),
        ("catalog_parsers:euros", "def euros(value:\n", r"column 'price'.*importing .*catalog_parsers\.py failed"),
    ],
)
def test_module_function_errors_name_the_source_and_column(tmp_path, parse, module, message):
    path = _source(tmp_path, parse, module)
    with pytest.raises(SourceError, match=message) as info:
        load_source_config(path)
    assert str(info.value).startswith(path)
