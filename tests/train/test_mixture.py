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


def _kinds_data(root, with_kind: bool = True) -> str:
    """A generate-like directory: task a atomic, task b original (atomic = false), task c both."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [("a", True)] * 6 + [("b", False)] * 3 + [("c", True)] * 2 + [("c", False)] * 2
    columns = {
        "id": [f"id{i}" for i in range(len(rows))],
        "task": [task for task, _ in rows],
        "prompt": [f"prompt {i}" for i in range(len(rows))],
        "output": ["answer"] * len(rows),
    }
    if with_kind:
        columns["atomic"] = [kind for _, kind in rows]
    (root / "held_in").mkdir(parents=True)
    pq.write_table(pa.table(columns), root / "held_in" / "part-0.parquet")
    (root / "manifest.json").write_text(json.dumps({"stage": "generate"}))
    return str(root)


@pytest.mark.parametrize(
    ("atomic", "tasks", "counts", "kinds"),
    [
        (None, ["a", "b", "c"], {"a": 6, "b": 3, "c": 4}, {"atomic": 8, "original": 5}),
        (False, ["b", "c"], {"b": 3, "c": 2}, {"original": 5}),
        (True, ["a", "c"], {"a": 6, "c": 2}, {"atomic": 8}),
    ],
)
def test_the_atomic_selector_keeps_one_kind_of_row(tmp_path, atomic, tasks, counts, kinds):
    from ecomgpt.train.config import DataConfig
    from ecomgpt.train.data import KeepMixture, plan_mixture

    data_dir = _kinds_data(tmp_path)
    plan = plan_mixture(data_dir, DataConfig(mixture={"atomic": atomic}))
    assert (plan.tasks, plan.counts, plan.kinds, plan.rows_in) == (tasks, counts, kinds, 13)
    import pyarrow.parquet as pq

    keep = KeepMixture(plan.tasks, plan.thresholds, plan.seed, plan.atomic)
    kept = keep(pq.read_table(f"{data_dir}/held_in/part-0.parquet", columns=keep.columns))
    assert kept.column_names == ["id", "task", "prompt", "output"] and kept.num_rows == sum(counts.values())


def test_the_atomic_selector_needs_the_column_and_rows_of_its_kind(tmp_path):
    from ecomgpt.train.config import DataConfig
    from ecomgpt.train.data import DataError, plan_mixture

    no_column = _kinds_data(tmp_path / "old", with_kind=False)
    with pytest.raises(DataError, match="no `atomic` column"):
        plan_mixture(no_column, DataConfig(mixture={"atomic": False}))
    assert plan_mixture(no_column, DataConfig()).kinds == {"unknown": 13}
    only_atomic = tmp_path / "only"
    _kinds_data(only_atomic)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = only_atomic / "held_in" / "part-0.parquet"
    table = pq.read_table(path)
    pq.write_table(table.filter(pc.field("atomic")), path)
    with pytest.raises(DataError, match=r"no original-task \(atomic = false\) rows"):
        plan_mixture(str(only_atomic), DataConfig(mixture={"atomic": False}))


def _labelled_data(root) -> str:
    """A generate-like directory: task a golden atomic, b golden original, p pseudo atomic, m both kinds."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [("a", True, "golden")] * 4 + [("b", False, "golden")] * 3 + [("p", True, "pseudo")] * 5
    rows += [("m", True, "golden")] * 2 + [("m", True, "pseudo")] * 3
    columns = {
        "id": [f"id{i}" for i in range(len(rows))],
        "task": [t for t, _, _ in rows],
        "prompt": [f"prompt {i}" for i in range(len(rows))],
        "output": ["answer"] * len(rows),
        "atomic": [a for _, a, _ in rows],
        "label_kind": [k for _, _, k in rows],
    }
    (root / "held_in").mkdir(parents=True)
    pq.write_table(pa.table(columns), root / "held_in" / "part-0.parquet")
    (root / "manifest.json").write_text(json.dumps({"stage": "generate"}))
    return str(root)


@pytest.mark.parametrize(
    ("atomic", "label_kind", "counts", "labels"),
    [
        (None, None, {"a": 4, "b": 3, "m": 5, "p": 5}, {"golden": 9, "pseudo": 8}),
        (True, "golden", {"a": 4, "m": 2}, {"golden": 6}),
        (True, "pseudo", {"m": 3, "p": 5}, {"pseudo": 8}),
        (True, None, {"a": 4, "m": 5, "p": 5}, {"golden": 6, "pseudo": 8}),
    ],
)
def test_the_label_kind_selector(tmp_path, atomic, label_kind, counts, labels):
    import pyarrow.parquet as pq

    from ecomgpt.train.config import DataConfig
    from ecomgpt.train.data import KeepMixture, plan_mixture

    data_dir = _labelled_data(tmp_path)
    plan = plan_mixture(data_dir, DataConfig(mixture={"atomic": atomic, "label_kind": label_kind}))
    assert (plan.counts, plan.label_kinds, plan.label_kind) == (counts, labels, label_kind)
    keep = KeepMixture(plan.tasks, plan.thresholds, plan.seed, plan.atomic, plan.label_kind)
    kept = keep(pq.read_table(f"{data_dir}/held_in/part-0.parquet", columns=keep.columns))
    assert sorted(set(kept.column("task").to_pylist())) == sorted(counts) and kept.num_rows == sum(counts.values())


def test_the_label_kind_selector_needs_rows_of_its_kind(tmp_path):
    from ecomgpt.config import ConfigError, parse_model
    from ecomgpt.train.config import DataConfig
    from ecomgpt.train.data import DataError, plan_mixture

    golden_only = _kinds_data(tmp_path / "old")  # no label_kind column
    with pytest.raises(DataError, match="no `label_kind` column, which mixture.label_kind = pseudo selects on"):
        plan_mixture(golden_only, DataConfig(mixture={"label_kind": "pseudo"}))
    data_dir = _labelled_data(tmp_path / "new")
    with pytest.raises(DataError, match="no pseudo-label rows for mixture.label_kind = pseudo"):
        plan_mixture(data_dir, DataConfig(mixture={"atomic": False, "label_kind": "pseudo"}))
    with pytest.raises(ConfigError, match="mixture.label_kind"):
        parse_model(DataConfig, {"mixture": {"label_kind": "silver"}}, "train.yaml")
