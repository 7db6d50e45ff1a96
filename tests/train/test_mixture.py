import pytest

from ecomgpt.train.mixture import MixtureError, cap_thresholds, keep_example, sample_key, select_tasks

TASKS = [f"task.{i:02d}" for i in range(30)]


def test_n_tasks_nested_in_n():
    previous: set[str] = set()
    for n in range(1, len(TASKS) + 1):
        chosen = set(select_tasks(TASKS, n_tasks=n, seed=3))
        assert len(chosen) == n and previous <= chosen
        previous = chosen


def test_n_tasks_depends_on_seed_and_not_on_input_order():
    assert select_tasks(TASKS, n_tasks=5, seed=0) == select_tasks(reversed(TASKS), n_tasks=5, seed=0)
    assert select_tasks(TASKS, n_tasks=5, seed=0) != select_tasks(TASKS, n_tasks=5, seed=1)


def test_explicit_tasks_and_all():
    assert select_tasks(TASKS, tasks=["task.03", "task.01"]) == ["task.01", "task.03"]
    assert select_tasks(TASKS) == sorted(TASKS)


def test_bad_mixture_names_the_problem():
    with pytest.raises(MixtureError, match="not in the data"):
        select_tasks(TASKS, tasks=["nope"])
    with pytest.raises(MixtureError, match="only 30 tasks"):
        select_tasks(TASKS, n_tasks=31)


def test_cap_keeps_smallest_keys_nested_in_cap():
    ids = [f"id{i}" for i in range(100)]
    keys = {"t": [sample_key(i, 0) for i in ids]}
    kept = {}
    for cap in (5, 20, 100, 1000):
        thresholds = cap_thresholds(keys, cap)
        kept[cap] = {i for i in ids if keep_example("t", sample_key(i, 0), {"t"}, thresholds)}
        assert len(kept[cap]) == min(cap, 100)
    assert kept[5] <= kept[20] <= kept[100]
    assert cap_thresholds(keys, None) == {"t": None}


def test_keep_example_drops_other_tasks():
    assert not keep_example("u", 0, {"t"}, {"t": None})
    assert keep_example("t", 10, {"t"}, {"t": None})
