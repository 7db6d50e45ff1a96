"""Every shipped source config over its whole real dataset in ../shared (skipped when absent).

Expected counts are the ones each dataset's PROVENANCE.md documents: Flipkart's 999 products and
3,995 empty rows, Amazon QA's 3 lines that are neither JSON nor Python literals, the 21 Amazon
reviews without text, the 845 clothing reviews with empty text, 6,000 + 998 + 1,000 NER sentences.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from pathlib import Path

import pytest

from ecomgpt.records.sources import input_source, load_source_config
from ecomgpt.records.units import plan_units

from .helpers import read_all

REPO = Path(__file__).resolve().parents[2]
RAW = REPO.parent / "shared" / "data" / "raw"
HELDOUT = REPO.parent / "shared" / "data" / "heldout"

# name -> (accepted, {reason: rejected})
EXPECTED = {
    "online_shopping_10_cats": (62_773, {"missing_field": 1}),  # one row has an empty review
    "womens_clothing_reviews": (22_641, {"missing_field": 845}),
    "amazon_reviews_2018_5core": (8_424, {"missing_field": 21}),
    "flipkart_products_sample": (999, {"missing_field": 3_995}),
    "esci_shopping_queries_sample": (200, {}),
    "amazon_qa_appliances": (9_008, {"unparsable": 3}),
    "mg_shopdial": (64, {}),
    "cn_ecommerce_ner": (7_998, {}),
}


@pytest.fixture(autouse=True)
def _from_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)  # shipped configs name ../shared/... relative to the repository root


@pytest.fixture(autouse=True, scope="module")
def _release_cached_reads():
    yield
    _read.cache_clear()


@functools.cache  # each dataset is read once per test session
def _read(name: str, target_units: int = 8):
    return read_all([load_source_config(str(REPO / "configs" / "sources" / f"{name}.yaml"))], target_units)


@pytest.mark.skipif(not RAW.exists(), reason=f"{RAW} is absent")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_whole_dataset_counts(name):
    records, rejects = _read(name)
    accepted, reasons = EXPECTED[name]
    assert len(records) == accepted
    assert Counter(reject.reason for reject in rejects) == reasons
    assert all(record.source == name for record in records)
    assert len({record.record_id for record in records}) == accepted  # ids are unique within a source
    for reject in rejects:
        assert reject.source == name and reject.detail and reject.location


@pytest.mark.skipif(not RAW.exists(), reason=f"{RAW} is absent")
def test_dataset_facts_survive_the_mapping():
    records, rejects = _read("amazon_qa_appliances")
    assert [r.location for r in rejects] == ["line 819", "line 1266", "line 8671"]
    intents = Counter(r.turns[0].intents[0] for r in records)
    assert intents == {"yes/no question": 4_692, "open-ended question": 4_316}

    records, _ = _read("flipkart_products_sample")
    top = Counter(r.category[0] for r in records if r.category)
    assert top.most_common(4) == [("Clothing", 415), ("Footwear", 158), ("Jewellery", 128), ("Watches", 84)]
    assert sum(1 for r in records if r.attributes) == 998 and sum(1 for r in records if r.brand) == 421
    first = records[0]
    assert first.title == "Alisha Solid Women's Cycling Shorts" and first.category[-1] == "Alisha Shorts"
    assert ("Fabric", "Cotton Lycra") in [(a.name, a.value) for a in first.attributes]

    records, _ = _read("esci_shopping_queries_sample")
    assert Counter(r.items[0].relevance for r in records) == {
        "exact": 138,
        "substitute": 49,
        "irrelevant": 12,
        "complement": 1,
    }

    records, _ = _read("mg_shopdial")
    assert Counter(t.role for r in records for t in r.turns) == {"user": 1_149, "agent": 1_047}
    assert Counter(r.domain for r in records) == {
        "Cellphones&Accessories": 19,
        "SportsandOutdoors": 17,
        "Books": 14,
        "Officeproducts": 14,
    }

    records, _ = _read("online_shopping_10_cats")
    assert len({r.product_category for r in records}) == 10
    assert Counter(r.sentiment for r in records) == {"positive": 31_727, "negative": 31_046}
    assert not records[0].text.startswith("\ufeff")  # row 1 starts with a stray BOM

    records, _ = _read("cn_ecommerce_ner")
    per_file = Counter(r.record_id.split(":")[0] for r in records)
    assert per_file == {"train.txt": 6_000, "dev.txt": 998, "test.txt": 1_000}
    train_types = Counter(s.type for r in records if r.record_id.startswith("train") for s in r.spans)
    assert train_types == {"产品": 20_656, "品牌": 2_803, "型号": 1_616, "其他": 4_322}  # the B- tag counts


@pytest.mark.skipif(not RAW.exists(), reason=f"{RAW} is absent")
def test_split_units_agree_with_whole_files():
    for name in ("amazon_qa_appliances", "amazon_reviews_2018_5core"):
        whole, split = _read(name, 1), _read(name, 32)
        assert [r.record_id for r in whole[0]] == [r.record_id for r in split[0]]
        assert [r.location for r in whole[1]] == [r.location for r in split[1]]


@pytest.mark.skipif(not HELDOUT.exists(), reason=f"{HELDOUT} is absent")
def test_heldout_tasks_read_as_annotated_text():
    source = input_source(str(HELDOUT))
    assert source.format == "ecomgpt"
    records, rejects = read_all([source], 8)
    assert not rejects
    per_task = Counter(r.record_id.split(":")[0] for r in records)
    assert len(per_task) == 8 and set(per_task.values()) == {500}
    assert all(r.data_type == "annotated" and r.instruction for r in records)
    by_paradigm = Counter(r.paradigm for r in records)
    assert by_paradigm == {"CLS": 2_000, "NER": 500, "Condition_Extract": 500, "Extract": 500, "Generate": 500}
    for record in records:
        if record.paradigm == "CLS":
            assert record.labels and set(record.labels) <= set(record.label_set)
        else:
            assert record.spans
    assert os.path.basename(str(HELDOUT)) == source.name


@pytest.mark.skipif(not RAW.exists(), reason=f"{RAW} is absent")
@pytest.mark.parametrize("name", ["flipkart_products_sample", "womens_clothing_reviews", "cn_ecommerce_ner"])
def test_csv_and_bio_files_spread_over_units_and_read_as_whole_files(name):
    config = load_source_config(str(REPO / "configs" / "sources" / f"{name}.yaml"))
    units = plan_units([config], 32, min_unit_bytes=1)
    assert len(units) > 2 * len({unit.path for unit in units})  # one file is read by several workers
    whole, split = _read(name, 1), _read(name, 32)
    assert [(r.record_id, r.model_dump()) for r in whole[0]] == [(r.record_id, r.model_dump()) for r in split[0]]
    assert [(r.location, r.reason) for r in whole[1]] == [(r.location, r.reason) for r in split[1]]
