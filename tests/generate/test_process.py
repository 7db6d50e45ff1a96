"""`process_records`, the per-unit work of `generate`, called directly on real records: no Ray.

The properties that make `generate` exact whatever Ray does live here: counts that add up, a cap that
keeps the smallest keys, the same output however the records are split into units, and key ranges that
only skip pairs the cap cannot reach.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import chain, islice

import pytest

from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.decontam import Decontaminator
from ecomgpt.generate.process import UnitResult, group_specs, id64, process_records
from ecomgpt.generate.sampling import FULL, pair_key, record_hash, task_salt
from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.sources import load_source_config
from ecomgpt.records.units import plan_units
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.registry import resolve_tasks
from tests.conftest import RAW, REPO, needs_shared
from tests.generate.helpers import digest, final_rows

pytestmark = needs_shared(RAW)

# one source of each data type, English and Chinese, and one with rows that are rejected
SOURCES = (
    "flipkart_products_sample",
    "womens_clothing_reviews",
    "online_shopping_10_cats",
    "esci_shopping_queries_sample",
    "mg_shopdial",
    "cn_ecommerce_ner",
)
PER_SOURCE = 100
HELDOUT_TASKS = frozenset(GenerateConfig().heldout_tasks)
SEED = 3


def _first_items(name: str) -> list:
    config = load_source_config(str(REPO / "configs" / "sources" / f"{name}.yaml"))
    config = config.model_copy(update={"path": str(REPO / config.path)})  # paths are relative to the repo
    units = plan_units([config], 1)
    return list(islice(chain.from_iterable(iter_unit(unit) for unit in units), PER_SOURCE))


@pytest.fixture(scope="module")
def items() -> list:
    return [item for name in SOURCES for item in _first_items(name)]


@pytest.fixture(scope="module")
def specs() -> dict:
    return group_specs(resolve_tasks(None))


def _process(items, specs, cap=None, ranges=None, contaminated=lambda text: False) -> UnitResult:
    return process_records(items, specs, SEED, RenderOptions(), contaminated, cap, ranges)


def _final(candidates: list[dict], cap: int | None) -> dict[str, list[dict]]:
    return final_rows(candidates, cap, HELDOUT_TASKS)


@pytest.fixture(scope="module")
def uncapped(items, specs) -> UnitResult:
    return _process(items, specs)


def test_counts_add_up(items, uncapped):
    stats = uncapped.stats
    rejects = [item for item in items if isinstance(item, Reject)]
    assert rejects and stats.records_in == len(items) == stats.records_accepted + len(rejects)
    assert stats.rejected_by_reason == Counter(reject.reason for reject in rejects)
    assert uncapped.rejects == rejects
    assert set(stats.by_source) == set(SOURCES)
    assert sum(source["accepted"] for source in stats.by_source.values()) == stats.records_accepted
    assert {row["data_type"] for row in uncapped.candidates} == {"product", "review", "query", "dialogue", "annotated"}
    assert {lang for langs in stats.generated.values() for lang in langs} == {"en", "zh"}
    assert not stats.pairs_skipped  # no key range: every pair is generated


def test_uncapped_keeps_every_distinct_example_with_its_pair_key(uncapped):
    candidates = uncapped.candidates
    assert len({row["id"] for row in candidates}) == len(candidates) == len(uncapped.ids) > 0
    assert len(uncapped.contaminated) == 0
    assert sum(sum(langs.values()) for langs in uncapped.stats.generated.values()) >= len(candidates)
    for row in candidates:
        assert row["_key"] == pair_key(record_hash(SEED, row["source"], row["record_id"]), task_salt(SEED, row["task"]))


def test_contaminated_examples_are_counted_and_never_kept(items, specs, uncapped):
    reviews = [row["input"] for row in uncapped.candidates if row["data_type"] == "review"]
    heldout = next(text for text in reviews if len(text) > 40)
    result = _process(items, specs, contaminated=Decontaminator([heldout]).is_contaminated)
    dropped = {row["id"] for row in uncapped.candidates} - {row["id"] for row in result.candidates}
    assert dropped and all(heldout in row["input"] for row in uncapped.candidates if row["id"] in dropped)
    assert set(result.contaminated.tolist()) == {id64(example_id) for example_id in dropped}
    assert set(result.ids.tolist()) == set(uncapped.ids.tolist())  # still counted as generated


def test_cap_keeps_the_examples_of_smallest_key(items, specs, uncapped):
    capped = _process(items, specs, cap=6)
    by_task = defaultdict(list)
    for row in uncapped.candidates:
        by_task[row["task"]].append(row)
    kept = Counter(row["task"] for row in capped.candidates)
    assert max(kept.values()) == 6
    for task, rows in by_task.items():
        smallest = sorted(rows, key=lambda row: (row["_key"], row["source"], row["record_id"]))[:6]
        assert {row["id"] for row in smallest} == {row["id"] for row in capped.candidates if row["task"] == task}


def test_same_output_however_the_records_are_split_into_units(items, specs):
    outputs, generated = [], []
    for parts in (1, 3, 8):
        size = -(-len(items) // parts)
        results = [_process(items[i : i + size], specs, cap=6) for i in range(0, len(items), size)]
        outputs.append(_final([row for result in results for row in result.candidates], 6))
        generated.append(sum((Counter(r.stats.pairs_generated) for r in results), Counter()))
    assert outputs[0] == outputs[1] == outputs[2]
    assert generated[0] == generated[1] == generated[2]
    assert sum(len(rows) for rows in outputs[0].values()) > 100


def test_key_ranges_only_skip_pairs_the_cap_cannot_reach(items, specs, uncapped):
    cap = 6
    full = _final(_process(items, specs, cap=cap).candidates, cap)
    bound = FULL // 3
    tasks = [spec.name for group in specs.values() for spec in group]
    below = _process(items, specs, cap=cap, ranges={task: (0, bound) for task in tasks})
    above = _process(items, specs, cap=cap, ranges={task: (bound, FULL) for task in tasks})
    assert below.stats.pairs_skipped == above.stats.pairs_generated
    assert below.stats.pairs_generated + above.stats.pairs_generated == uncapped.stats.pairs_generated
    # A task that fills its cap below the bound is final as it is: what a completing pass adds lies above.
    below_final = _final(below.candidates, cap)
    filled = [task for task, rows in below_final.items() if len(rows) == cap]
    assert filled and all(below_final[task] == full[task] for task in filled)
    # The completing pass over the pairs above the bound makes the output exactly the full one.
    assert _final(below.candidates + above.candidates, cap) == full
    assert digest(_final(below.candidates + above.candidates, cap)).content_hash() == digest(full).content_hash()
