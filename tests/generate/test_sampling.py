import json

from ecomgpt.generate.sampling import FULL, estimate_records, key_bound, pair_key, record_hash, task_salt
from ecomgpt.records.sources import input_source
from ecomgpt.records.units import plan_units


def test_key_bound_keeps_a_margin_over_the_cap_and_is_full_when_there_is_little_data():
    assert key_bound(100, 200) == FULL
    bound = key_bound(1_000, 1_000_000)
    expected_kept = 1_000_000 * bound / FULL
    assert 1_500 < expected_kept < 2_000


def test_pair_keys_are_uniform_and_differ_between_tasks():
    keys_a = [pair_key(record_hash(0, "s", str(i)), task_salt(0, "a")) for i in range(20_000)]
    keys_b = [pair_key(record_hash(0, "s", str(i)), task_salt(0, "b")) for i in range(20_000)]
    below = sum(k < FULL // 4 for k in keys_a)
    assert 4_500 < below < 5_500
    both = sum(a < FULL // 4 and b < FULL // 4 for a, b in zip(keys_a, keys_b))
    assert 1_000 < both < 1_500  # independent selections: about 1/16 of the records


def test_record_estimate_from_sizes_and_line_length(tmp_path):
    rows = [
        {"data_type": "review", "record_id": str(i), "source": "x", "lang": "en", "text": "t" * (i % 50 + 1)}
        for i in range(3_000)
    ]
    for part in range(3):
        lines = "".join(json.dumps(r) + "\n" for r in rows[part * 1_000 : (part + 1) * 1_000])
        (tmp_path / f"records-{part:05d}.jsonl").write_text(lines)
    estimate = estimate_records(plan_units([input_source(str(tmp_path))], 4))
    assert 2_700 < estimate < 3_300
