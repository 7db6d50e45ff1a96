"""`Counts`: what a pass counts adds up over units and passes exactly as over the records at once."""

from __future__ import annotations

from collections import Counter
from itertools import chain, islice

import numpy as np
import pyarrow as pa

from ecomgpt.generate.counts import Counts, LabelCounts, PassResult, counts_of, result_table
from ecomgpt.generate.process import group_specs, process_records
from ecomgpt.generate.sampling import FULL
from ecomgpt.records.ingest import iter_unit
from ecomgpt.records.sources import load_source_config
from ecomgpt.records.units import plan_units
from ecomgpt.tasks.examples import RenderOptions
from ecomgpt.tasks.registry import resolve_tasks
from tests.conftest import RAW, REPO, needs_shared

pytestmark = needs_shared(RAW)


def _items() -> list:
    items = []
    names = ("womens_clothing_reviews", "online_shopping_10_cats", "esci_shopping_queries_sample", "cn_ecommerce_ner")
    for name in names:
        config = load_source_config(str(REPO / "configs" / "sources" / f"{name}.yaml"))
        config = config.model_copy(update={"path": str(REPO / config.path)})
        items += islice(chain.from_iterable(iter_unit(unit) for unit in plan_units([config], 1)), 100)
    return items


def _process(items, ranges=None) -> Counts:
    specs = group_specs(resolve_tasks(None))
    return process_records(items, specs, 0, RenderOptions(), lambda text: False, None, ranges).stats


def test_units_add_up_to_the_whole():
    items = _items()
    whole = _process(items)
    parts = [_process(items[i : i + 50]) for i in range(0, len(items), 50)]
    total = sum(parts, Counts())
    assert total.records_in == whole.records_in == len(items)
    assert total.records_accepted == whole.records_accepted
    assert total.rejected_by_reason == whole.rejected_by_reason and total.rejected_by_reason
    assert total.by_source_dict() == whole.by_source_dict()
    assert total.generated_dict() == whole.generated_dict() and total.generated_total > 0
    assert total.pairs_generated == whole.pairs_generated


def test_a_completing_pass_adds_its_examples_and_unskips_its_pairs():
    items = _items()
    half = FULL // 2
    tasks = [spec.name for spec in resolve_tasks(None)]
    first = _process(items, {task: (0, half) for task in tasks})
    second = _process(items, {task: (half, FULL) for task in tasks})
    whole = _process(items)
    combined = first + second.completing()
    assert combined.records_in == first.records_in == len(items)
    assert combined.by_source_dict() == whole.by_source_dict()
    assert combined.generated_dict() == whole.generated_dict()
    assert sum(first.pairs_skipped.values()) > 0 and sum(combined.pairs_skipped.values()) == 0


def test_result_rows_carry_counts_and_label_counts():
    counts = Counts(records_in=3, teacher={"t": LabelCounts(pairs=2, failed=Counter(http_503=1))})
    counts.generated["t"]["en"] += 2
    empty = pa.table({"id": pa.array([], pa.string())})
    table = result_table([PassResult(0, counts, np.array([1, 2], dtype=np.uint64), np.array([], np.uint64), empty)] * 2)
    total = counts_of(table.column("counts").to_pylist())
    assert total.records_in == 6 and total.generated_dict() == {"t": {"en": 4}}
    assert total.teacher_dict()["t"]["failed_by_reason"] == {"http_503": 2} and total.teacher["t"].pairs == 4
