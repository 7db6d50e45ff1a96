"""Synthetic records: schema-valid, deterministic, labels true by construction, shards and round trips."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecomgpt.config import ConfigError
from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.schema import MODELS, RECORD_ADAPTER
from ecomgpt.records.sources import input_source
from ecomgpt.records.synth import (
    PARQUET_SCHEMAS,
    SOURCE,
    iter_synthetic,
    synthetic_record,
    write_synthetic,
)
from ecomgpt.records.synth.vocabulary import EN, WORDS, ZH, load_vocabulary
from ecomgpt.records.units import plan_units

N = 2000
TYPES = ("product", "review", "query", "dialogue")
SHARD_NAMES = {
    "jsonl": lambda i: [f"records-{i:05d}.jsonl"],
    "parquet": lambda i: [f"records-{i:05d}-{t}.parquet" for t in TYPES],
}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(iter_synthetic(N, seed=11))


def _by_type(records: list[dict], data_type: str) -> list[dict]:
    return [r for r in records if r["data_type"] == data_type]


def test_every_record_validates_with_exactly_the_schema_fields(records):
    ids = set()
    for record in records:
        model = RECORD_ADAPTER.validate_python(record)
        # all fields present, and nothing changed by validation (no whitespace stripped, no coercion)
        assert set(record) == set(MODELS[record["data_type"]].model_fields), record["data_type"]
        assert model.model_dump() == record
        assert record["source"] == "synthetic"
        ids.add(record["record_id"])
    assert len(ids) == N
    assert records[0]["record_id"] == "syn-11-0"
    json.dumps(records, ensure_ascii=False)


def test_mix_of_types_and_languages(records):
    counts = Counter((r["data_type"], r["lang"]) for r in records)
    assert {(t, lang) for t in ("product", "review", "query", "dialogue") for lang in ("en", "zh")} == set(counts)
    share = Counter(r["data_type"] for r in records)
    assert 0.30 < share["product"] / N < 0.40 and 0.30 < share["review"] / N < 0.40
    assert 0.11 < share["query"] / N < 0.19 and 0.11 < share["dialogue"] / N < 0.19
    assert 0.45 < sum(r["lang"] == "en" for r in records) / N < 0.55


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_languages_are_written_in_their_own_script(records):
    for r in _by_type(records, "product"):
        assert _has_cjk(r["title"]) == (r["lang"] == "zh"), r["title"]
    for r in _by_type(records, "review"):
        assert _has_cjk(r["text"]) == (r["lang"] == "zh"), r["text"]


def test_products_attribute_values_are_title_spans(records):
    for r in _by_type(records, "product"):
        assert len(r["category"]) == 2 and r["brand"] in r["title"]
        assert 2 <= len(r["attributes"]) <= 4
        assert len({a["name"] for a in r["attributes"]}) == len(r["attributes"])
        for attribute in r["attributes"]:
            assert r["title"].count(attribute["value"]) == 1, (attribute, r["title"])
            assert attribute["value"] in r["description"]
        assert r["price"] > 0


def test_reviews_terms_in_text_and_labels_agree(records):
    ratings = {"positive": {4, 5}, "negative": {1, 2}, "neutral": {3}}
    for r in _by_type(records, "review"):
        assert r["rating"] in ratings[r["sentiment"]]
        assert 1 <= len(r["aspects"]) <= 3
        sentiments = {a["sentiment"] for a in r["aspects"]}
        if r["sentiment"] == "positive":
            assert "positive" in sentiments and "negative" not in sentiments
        elif r["sentiment"] == "negative":
            assert "negative" in sentiments and "positive" not in sentiments
        else:
            assert sentiments == {"neutral"} or {"positive", "negative"} <= sentiments
        for aspect in r["aspects"]:
            assert aspect["term"] in r["text"], (aspect, r["text"])
        assert r["product_id"] and r["product_title"] and " > " in r["product_category"]


def test_queries_have_one_exact_candidate(records):
    for r in _by_type(records, "query"):
        relevance = Counter(item["relevance"] for item in r["items"])
        assert relevance["exact"] == 1 and 3 <= len(r["items"]) <= 5
        assert len({item["item_id"] for item in r["items"]}) == len(r["items"])
        for item in r["items"]:
            same = item["category"] == r["category"]
            assert same == (item["relevance"] in ("exact", "substitute")), (r["query"], item)


def test_dialogue_turns_alternate_and_slots_are_spans(records):
    for r in _by_type(records, "dialogue"):
        turns = r["turns"]
        assert 3 <= len(turns) <= 6
        assert [t["role"] for t in turns] == ["user", "agent"] * (len(turns) // 2) + ["user"] * (len(turns) % 2)
        for turn in turns:
            if turn["role"] == "user":
                assert turn["intents"]
                for slot in turn["slots"]:
                    assert slot["value"] in turn["text"], (slot, turn["text"])
            else:
                assert not turn["intents"] and not turn["slots"]
        assert r["domain"]


def test_start_offsets_reproduce_a_full_run(records):
    assert list(iter_synthetic(300, seed=11, start=700)) == records[700:1000]
    assert synthetic_record(11, 1234) == records[1234]
    assert list(iter_synthetic(0, seed=11)) == []
    with pytest.raises(ValueError):
        iter_synthetic(5, seed=11, start=-1)


def test_seed_changes_the_records(records):
    other = list(iter_synthetic(200, seed=12))
    assert [r["record_id"] for r in other][:2] == ["syn-12-0", "syn-12-1"]
    strip = lambda r: {k: v for k, v in r.items() if k != "record_id"}
    assert sum(strip(a) == strip(b) for a, b in zip(other, records)) == 0


def test_duplicate_titles_below_one_percent():
    titles = [r["title"] for r in iter_synthetic(20_000, seed=3) if r["data_type"] == "product"]
    assert len(titles) > 6000
    assert 1 - len(set(titles)) / len(titles) < 0.01


def test_attribute_values_never_hide_inside_other_title_words():
    vocab = load_vocabulary()
    for key, category in vocab.catalog.categories.items():
        brands = vocab.catalog.departments[category.department].brands
        for lang in (EN, ZH):
            groups = [[v[lang] for v in vocab.attributes[name].values] for name in category.attributes]
            others = [w[lang] for w in category.title_nouns + brands + vocab.titles.marketing_words]
            for i, group in enumerate(groups):
                rest = [w for j, g in enumerate(groups) if j != i for w in g] + others
                for value in group:
                    clash = [w for w in rest if value in w]
                    assert not clash, (key, value, clash)


def test_records_stay_what_version_1_generates(tmp_path: Path):
    # the JSON lines of seed 0 as version 1 wrote them; a change here needs a new VERSION
    paths = write_synthetic(2000, seed=0, out=str(tmp_path), shard_records=700)
    digest = hashlib.sha256(b"".join(Path(p).read_bytes() for p in paths)).hexdigest()
    assert digest == "93e71468673d1d35ac0b0b8ae3db1afd239049d0c7c4229af18f077cecd167c7"


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "attributes.yaml",
            "  place: pre\n",
            "  place: pre\n  plase: post\n",
            r"attributes.yaml: invalid configuration\n  - unknown key 'color.plase'",
        ),
        (
            "catalog.yaml",
            "[color, fabric, dress_style",
            "[colour, fabric, dress_style",
            r"catalog.yaml: categories.dress.attributes: unknown \['colour'\]",
        ),
        (
            "catalog.yaml",
            "complements: [handbag, sandals]",
            "complements: [handbags]",
            r"catalog.yaml: categories.dress.complements: unknown \['handbags'\]",
        ),
        ("dialogues.yaml", "  thank:", "  thanks:", r"dialogues.yaml: intents: missing \['thank'\]"),
    ],
)
def test_word_list_errors_name_the_file_and_the_key(tmp_path: Path, name, old, new, message):
    words = tmp_path / "words"
    shutil.copytree(WORDS, words)
    text = (words / name).read_text(encoding="utf-8")
    assert old in text
    (words / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_vocabulary(words)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_write_is_byte_identical_per_seed(tmp_path: Path, fmt):
    a = write_synthetic(700, seed=5, out=str(tmp_path / "a"), fmt=fmt, shard_records=300)
    b = write_synthetic(700, seed=5, out=str(tmp_path / "b"), fmt=fmt, shard_records=300)
    c = write_synthetic(700, seed=6, out=str(tmp_path / "c"), fmt=fmt, shard_records=300)
    assert [Path(p).name for p in a] == [name for i in range(3) for name in SHARD_NAMES[fmt](i)]
    for x, y, z in zip(a, b, c):
        assert Path(x).read_bytes() == Path(y).read_bytes()
        assert Path(x).read_bytes() != Path(z).read_bytes()


def test_jsonl_round_trip_and_manifest(tmp_path: Path):
    out = tmp_path / "jsonl"
    started = time.perf_counter()
    paths = write_synthetic(1050, seed=2, out=str(out), shard_records=400)
    wall_s = time.perf_counter() - started
    assert len(paths) == math.ceil(1050 / 400)
    back = [json.loads(line) for p in paths for line in Path(p).read_text(encoding="utf-8").splitlines()]
    assert back == list(iter_synthetic(1050, seed=2))
    for record in back:
        RECORD_ADAPTER.validate_python(record)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["n"] == 1050 and manifest["seed"] == 2 and manifest["format"] == "jsonl"
    assert manifest["shards"] == [Path(p).name for p in paths]
    assert sum(manifest["counts"]["data_type"].values()) == 1050 == sum(manifest["counts"]["lang"].values())
    assert manifest["counts"]["data_type"] == dict(sorted(Counter(r["data_type"] for r in back).items()))
    assert manifest["version"]
    # The writing's own time: more than nothing, never more than the call took (elapsed_s is rounded to the ms).
    assert 0 < manifest["elapsed_s"] <= wall_s + 0.0005


def test_parquet_files_hold_the_records_of_their_type(tmp_path: Path):
    paths = write_synthetic(900, seed=4, out=str(tmp_path / "pq"), fmt="parquet", shard_records=500)
    assert [Path(p).name for p in paths] == SHARD_NAMES["parquet"](0) + SHARD_NAMES["parquet"](1)
    expected = list(iter_synthetic(900, seed=4))
    for data_type in TYPES:
        rows = []
        for path in paths[TYPES.index(data_type) :: 4]:
            table = pq.read_table(path)
            assert table.schema.equals(PARQUET_SCHEMAS[data_type])
            rows.extend(table.to_pylist())
        assert rows == _by_type(expected, data_type)  # a row is its record, field for field


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_generate_reads_every_record_back_exactly(tmp_path: Path, fmt):
    out = tmp_path / fmt
    write_synthetic(1200, seed=4, out=str(out), fmt=fmt, shard_records=500)
    items = [item for unit in plan_units([input_source(str(out))], 4) for item in iter_unit(unit)]
    assert not [item for item in items if isinstance(item, Reject)]
    # the reader names the source after its directory; every other field is the record's own
    back = {item.record_id: {**item.model_dump(), "source": SOURCE} for item in items}
    expected = list(iter_synthetic(1200, seed=4))
    assert len(items) == len(back) == len(expected)
    for record in expected:
        assert back[record["record_id"]] == record


def test_uri_output_and_rerun_replaces_shards(tmp_path: Path):
    uri = (tmp_path / "uri").as_uri()
    first = write_synthetic(500, seed=1, out=uri, shard_records=100)
    assert len(first) == 5 and all(p.startswith("file://") for p in first)
    second = write_synthetic(150, seed=1, out=uri, shard_records=100)
    assert sorted(p.name for p in (tmp_path / "uri").iterdir()) == [
        "manifest.json",
        "records-00000.jsonl",
        "records-00001.jsonl",
    ]
    assert len(second) == 2


def test_memory_stays_flat_as_n_grows(tmp_path: Path):
    def peak(n: int) -> int:
        tracemalloc.start()
        write_synthetic(n, seed=9, out=str(tmp_path / f"m{n}"), fmt="parquet", shard_records=100)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(300), peak(1200)
    assert large < small * 1.5, (small, large)


def test_bad_arguments_raise(tmp_path: Path):
    with pytest.raises(ValueError, match="format"):
        write_synthetic(10, seed=0, out=str(tmp_path), fmt="csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shard_records"):
        write_synthetic(10, seed=0, out=str(tmp_path), shard_records=0)
