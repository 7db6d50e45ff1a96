"""The training dataset built with Ray Data from a real `generate` output (whose files are sorted by task)."""

from __future__ import annotations

import statistics

from ecomgpt.train.data import build_dataset, plan_mixture, read_texts
from ecomgpt.train.tiny import build_tiny_checkpoint
from tests.train.conftest import tiny_config


def test_rows_are_shuffled_across_tasks_into_shards_of_the_same_length_profile(train_data, tmp_path):
    cfg = tiny_config(data={"mixture": {"tasks": None, "n_tasks": None, "samples_per_task": None, "seed": 0}})
    plan = plan_mixture(train_data, cfg.data)
    tokenizer = build_tiny_checkpoint(read_texts(plan, 500), tmp_path / "tok", vocab_size=300, seed=0)
    ds = build_dataset(plan, str(tokenizer), cfg.data, seed=0)

    rows = ds.take_all()
    assert len(rows) == plan.rows
    tasks = [row["task"] for row in rows]
    assert len(set(tasks)) >= 20
    # Every window of 32 consecutive rows mixes many tasks (sorted input would give 1 to 3).
    assert min(len(set(tasks[i : i + 32])) for i in range(0, len(tasks) - 32, 32)) >= 8

    shards = ds.split(2, equal=True)
    means = [statistics.mean(row["length"] for row in shard.take_all()) for shard in shards]
    assert max(means) / min(means) < 1.2, means
