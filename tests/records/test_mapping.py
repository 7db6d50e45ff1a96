"""Declarative mappings and the named parsers they use."""

from __future__ import annotations

import pytest

from ecomgpt.records.decoding import ParseFailure
from ecomgpt.records.mapping import MappingError, apply_mapping, row_columns
from ecomgpt.records.parsers import apply_parser, check_parser, known_parsers, register_parser
from ecomgpt.records.schema import Dialogue, Product, Query

from .helpers import config


def _mapping(data_type: str, mapping: dict):
    return config(path="x", format="jsonl", data_type=data_type, lang="en", mapping=mapping).mapping


@pytest.mark.parametrize(
    "parser, value, expected",
    [
        ("json", '["a >> b"]', ["a >> b"]),
        ("python_literal", "{'a': 1}", {"a": 1}),
        ("split:>>", "A >> B >>  >> C", ["A", "B", "C"]),
        ("split::", "Books:45:109", ["Books", "45", "109"]),
        ("first", ["a", "b"], "a"),
        ("first", [], None),
        ("last", ["a", "b"], "b"),
        ("drop_last", ["a", "b", "c"], ["a", "b"]),
        ("list", "yes/no", ["yes/no"]),
        ("pluck:0", [["greeting", 4.0], ["elicit", 3.0]], ["greeting", "elicit"]),
        ("pluck:key", [{"key": "a"}, {"other": 1}], ["a", None]),
        ("int", "4", 4),
        ("int", 5.0, 5),
        ("float", "1,299.50", 1299.5),
        (
            "dict_items",
            {"Size:": " 7.0 oz", "Color:": " Blue", "Empty:": " "},
            [{"name": "Size", "value": "7.0 oz"}, {"name": "Color", "value": "Blue"}],
        ),
        ("json", None, None),
    ],
)
def test_parsers(parser, value, expected):
    assert apply_parser(parser, value) == expected


def test_ruby_kv_reads_flipkart_specifications():
    text = (
        '{"product_specification"=>[{"key"=>"Fabric", "value"=>"Cotton Lycra"}, '
        '{"value"=>"Gentle wash"}, {"key"=>"Ideal For", "value"=>"Women\\\'s"}, '
        '{"key"=>"Other Details", "value"=>"a \\"quoted\\" => arrow, nil"}]}'
    )
    assert apply_parser("ruby_kv", text) == [
        {"name": "Fabric", "value": "Cotton Lycra"},
        {"name": "Ideal For", "value": "Women's"},
        {"name": "Other Details", "value": 'a "quoted" => arrow, nil'},
    ]
    single = '{"product_specification"=>{"key"=>"Body Material", "value"=>"leather"}}'
    assert apply_parser("ruby_kv", single) == [{"name": "Body Material", "value": "leather"}]
    assert apply_parser("ruby_kv", "") == []


@pytest.mark.parametrize(
    "parser, value, reason",
    [
        ("int", "abc", "wrong_type"),
        ("int", "4.5", "wrong_type"),
        ("float", [1], "wrong_type"),
        ("json", "{nope", "invalid_value"),
        ("first", "not a list", "wrong_type"),
        ("ruby_kv", '{"a"=>[1, 2}', "invalid_value"),
        ("ruby_kv", '{"a"=>"unterminated}', "invalid_value"),
        ("pluck:0", [5], "wrong_type"),
    ],
)
def test_parser_failures_carry_a_reason(parser, value, reason):
    with pytest.raises(ParseFailure) as info:
        apply_parser(parser, value)
    assert info.value.reason == reason


def test_parser_registry_rejects_unknown_and_duplicate_names():
    with pytest.raises(ValueError, match="known parsers: .*json"):
        check_parser("yaml")
    with pytest.raises(ValueError, match="already registered"):
        register_parser("json")(lambda value, arg: value)
    assert "split:<arg>" in known_parsers()


def test_nested_mapping_builds_dialogue_turns():
    mapping = _mapping(
        "dialogue",
        {
            "record_id": "id",
            "domain": {"column": "id", "parse": ["split::", "first"]},
            "turns": {
                "column": "utterances",
                "each": {
                    "role": {"column": "participant", "values": {"Client": "user", "Wizard": "agent"}},
                    "text": "utterance",
                    "intents": {"column": "intents", "parse": "pluck:0"},
                },
            },
        },
    )
    row = {
        "id": "Books:1:2",
        "utterances": [
            {"participant": "Wizard", "utterance": "Hello", "intents": [["greeting", 4.0]]},
            {"participant": "Client", "utterance": "A book", "intents": []},
        ],
    }
    data = apply_mapping(mapping, row)
    dialogue = Dialogue.model_validate({**data, "source": "s", "lang": "en"})
    assert dialogue.domain == "Books"
    assert [(t.role, t.text, t.intents) for t in dialogue.turns] == [
        ("agent", "Hello", ["greeting"]),
        ("user", "A book", []),
    ]
    assert row_columns(mapping) == {"id": "record_id", "utterances": "turns"}


def test_list_of_mappings_builds_one_candidate_per_row():
    mapping = _mapping(
        "query",
        {
            "query": "q",
            "items": [{"title": "t", "relevance": {"column": "l", "values": {"E": "exact", "I": "irrelevant"}}}],
        },
    )
    data = apply_mapping(mapping, {"q": "red shoes", "t": "Red Shoe", "l": "E"})
    query = Query.model_validate({**data, "record_id": "1", "source": "s", "lang": "en"})
    assert [(c.title, c.relevance) for c in query.items] == [("Red Shoe", "exact")]
    assert set(row_columns(mapping)) == {"q", "t", "l"}


def test_dotted_paths_constants_defaults_and_column_lists():
    mapping = _mapping(
        "product",
        {
            "title": "info.title",
            "brand": {"column": "info.brand", "default": "unknown"},
            "category": ["c1", "c2", "c3"],
            "description": {"const": "from a constant"},
            "attributes": {"column": "style", "parse": "dict_items"},
        },
    )
    row = {"info": {"title": "Pen"}, "c1": "Office", "c2": None, "c3": "Pens", "style": {"Color:": " Blue"}}
    data = apply_mapping(mapping, row)
    product = Product.model_validate({**data, "record_id": "1", "source": "s", "lang": "en"})
    assert (product.title, product.brand, product.category) == ("Pen", "unknown", ["Office", "Pens"])
    assert product.description == "from a constant"
    assert [(a.name, a.value) for a in product.attributes] == [("Color", "Blue")]
    assert "info.brand" not in row_columns(mapping)  # a default marks a column optional


def test_mapping_errors_name_field_and_column():
    mapping = _mapping("product", {"title": "t", "price": {"column": "p", "parse": "float"}})
    with pytest.raises(MappingError) as info:
        apply_mapping(mapping, {"t": "x", "p": "cheap"})
    assert info.value.reason == "wrong_type" and "price" in info.value.detail and "'p'" in info.value.detail
    with pytest.raises(MappingError) as info:
        apply_mapping(_mapping("product", {"title": "a.b"}), {"a": "a string"})
    assert info.value.reason == "wrong_type"
    each = _mapping("dialogue", {"turns": {"column": "u", "each": {"text": "x"}}})
    with pytest.raises(MappingError, match="expected a list"):
        apply_mapping(each, {"u": "not a list"})
