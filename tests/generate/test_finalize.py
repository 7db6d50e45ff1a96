import pyarrow as pa

from ecomgpt.generate.finalize import OutputDigest, candidates_table, dedup_and_cap
from ecomgpt.generate.process import _TaskBucket
from ecomgpt.generate.sampling import pair_key, record_hash, task_salt
from ecomgpt.tasks.examples import EXAMPLE_COLUMNS, example_id


def _row(task: str, n: int, record_id: str, seed: int = 0) -> dict:
    prompt, output = f"prompt {n}", f"output {n}"
    eid = example_id(task, prompt, output)
    row = {name: "" for name in EXAMPLE_COLUMNS}
    row.update(
        id=eid,
        task=task,
        paradigm="CLS",
        data_type="review",
        lang="en",
        atomic=True,
        label_kind="golden",
        definition="d",
        instruction="i",
        input=f"input {n}",
        output=output,
        prompt=prompt,
        template_id="en0",
        source="s",
        record_id=record_id,
    )
    row["_key"] = pair_key(record_hash(seed, "s", record_id), task_salt(seed, task))
    return row


def test_dedup_keeps_one_row_per_id_with_the_smallest_lineage():
    rows = [_row("review.sentiment", 1, "r9"), _row("review.sentiment", 1, "r2"), _row("review.sentiment", 2, "r3")]
    out = dedup_and_cap(candidates_table(rows), None, frozenset())
    assert out.num_rows == 2
    kept = {r["id"]: r["record_id"] for r in out.to_pylist()}
    assert kept[rows[0]["id"]] == "r2"
    assert out.schema.names == [*EXAMPLE_COLUMNS, "_key"]


def test_cap_keeps_the_smallest_keys_and_sets_the_split():
    rows = [_row("query.query_item_matching", n, f"r{n}") for n in range(50)]
    out = dedup_and_cap(candidates_table(rows), 10, frozenset({"query.query_item_matching"}))
    expected = sorted(rows, key=lambda r: r["_key"])[:10]
    assert [r["id"] for r in out.to_pylist()] == [r["id"] for r in expected]
    assert set(out.column("split").to_pylist()) == {"held_out"}


def test_cap_selection_changes_with_the_seed():
    picks = []
    for seed in (0, 1):
        rows = [_row("t", n, f"r{n}", seed) for n in range(100)]
        picks.append({r["id"] for r in dedup_and_cap(candidates_table(rows), 10, frozenset()).to_pylist()})
    assert picks[0] != picks[1]


def test_precap_then_global_cap_equals_a_single_global_cap():
    rows = [_row("t", n % 70, f"r{n:03d}") for n in range(200)]  # many duplicates
    whole = dedup_and_cap(candidates_table(rows), 15, frozenset())
    for parts in (2, 3, 7):
        kept = []
        for p in range(parts):
            bucket = _TaskBucket(15)
            for row in rows[p::parts]:
                bucket.add(dict(row))
            kept += bucket.finish()
        split = dedup_and_cap(candidates_table(kept), 15, frozenset())
        assert split.to_pylist() == whole.to_pylist()


def test_precap_breaks_key_ties_by_id_like_the_global_cap():
    # one record can give a task several examples, which share the record's key
    rows = sorted((_row("t", n, "r1") for n in range(6)), key=lambda row: row["id"], reverse=True)
    whole = dedup_and_cap(candidates_table(rows), 2, frozenset())
    bucket = _TaskBucket(2)
    for row in rows:
        bucket.add(dict(row))
    assert sorted(row["id"] for row in bucket.finish()) == sorted(row["id"] for row in whole.to_pylist())


def test_digest_is_independent_of_row_order():
    rows = [_row("t", n, f"r{n}") for n in range(20)]
    table = dedup_and_cap(candidates_table(rows), None, frozenset())
    digests = []
    for order in (range(20), reversed(range(20))):
        d = OutputDigest()
        part = table.take(pa.array(list(order))).to_pydict()
        d.add(part)
        digests.append(d.content_hash())
    assert digests[0] == digests[1]
    assert d.counts_dict() == {"t": {"en": {"held_in": 20}}}
