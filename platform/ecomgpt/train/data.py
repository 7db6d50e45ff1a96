"""The training data on the driver: check the Parquet, plan the mixture, build the tokenized Ray Dataset."""

from __future__ import annotations

import functools
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.train.config import DataConfig
from ecomgpt.train.mixture import cap_thresholds, keep_example, sample_key, select_tasks

REQUIRED = {"id": pa.string(), "task": pa.string(), "prompt": pa.string(), "output": pa.string()}
COLUMNS = list(REQUIRED)


class DataError(UserError, ValueError):
    """Training data that is missing, empty or of the wrong schema."""


@dataclass
class MixturePlan:
    """The training rows: Parquet files, chosen tasks, per-task key thresholds and counts."""

    files: list[str]
    filesystem: pafs.FileSystem = field(repr=False)
    tasks: list[str]
    thresholds: dict[str, int | None]
    seed: int
    rows_in: int
    counts: dict[str, int]
    atomic: bool | None = None  # only rows whose `atomic` column has this value (None: every row)
    kinds: dict[str, int] = field(default_factory=dict)  # kept rows: atomic, original (unknown: no column)
    label_kind: str | None = None  # only rows whose `label_kind` column has this value (None: every row)
    label_kinds: dict[str, int] = field(default_factory=dict)  # kept rows: golden, pseudo (unknown: no column)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def parquet_files(data_dir: str, split: str) -> tuple[pafs.FileSystem, list[str]]:
    """The Parquet files of `<data_dir>/<split>/`, or a DataError naming the directory."""
    where = storage.join(data_dir, split)
    fs, path = storage.resolve(where)
    info = fs.get_file_info(path)
    if info.type != pafs.FileType.Directory:
        raise DataError(f"{where}: no such directory (expected the output of `ecomgpt generate`)")
    files = sorted(
        item.path
        for item in fs.get_file_info(pafs.FileSelector(path, recursive=True))
        if item.type == pafs.FileType.File and item.path.endswith(".parquet")
    )
    if not files:
        raise DataError(f"{where}: no Parquet files")
    return fs, files


def check_generated(data_dir: str) -> None:
    """Only a finished `generate` run is trained on: its manifest.json is written last, so a directory
    without it is a run that died half-way (or no instruction data at all)."""
    if storage.manifest_stage(data_dir) != "generate":
        raise DataError(
            f"{data_dir}: no {storage.MANIFEST_FILE} of `ecomgpt generate` (an unfinished or foreign directory); "
            "train on the output of a finished generate run"
        )


def check_schema(schema: pa.Schema, where: str) -> None:
    problems = []
    for name, kind in REQUIRED.items():
        if name not in schema.names:
            problems.append(f"missing column {name!r}")
        elif not (schema.field(name).type == kind or schema.field(name).type == pa.large_string()):
            problems.append(f"column {name!r} is {schema.field(name).type}, expected {kind}")
    if problems:
        raise DataError(f"{where}: not instruction data ({'; '.join(problems)})")


def _select(table: pa.Table, column: str, value, where: str, names: list[str], what: str) -> pa.Table:
    """The rows whose `column` is `value` (all rows for None); an error naming the key when none is left."""
    if value is None:
        return table
    if column not in names:
        raise DataError(f"{where}: no `{column}` column, which mixture.{column} = {value} selects on")
    table = table.filter(pads.field(column) == value)
    if table.num_rows == 0:
        raise DataError(f"{where}: no {what} rows for mixture.{column} = {value}")
    return table


def plan_mixture(data_dir: str, cfg: DataConfig) -> MixturePlan:
    """Check the data and choose its rows: reads only the `id`, `task` and (where present) `atomic` and
    `label_kind` columns."""
    fs, files = parquet_files(data_dir, cfg.split)
    check_generated(data_dir)
    dataset = pads.dataset(files, filesystem=fs, format="parquet")
    where = storage.join(data_dir, cfg.split)
    check_schema(dataset.schema, where)
    mix = cfg.mixture
    names = dataset.schema.names
    extra = [name for name in ("atomic", "label_kind") if name in names]
    table = dataset.to_table(columns=["id", "task", *extra])
    if table.num_rows == 0:
        raise DataError(f"{where}: the dataset is empty")
    rows_in = table.num_rows
    atomic_rows = "atomic" if mix.atomic else "original-task (atomic = false)"
    table = _select(table, "atomic", mix.atomic, where, names, atomic_rows)
    table = _select(table, "label_kind", mix.label_kind, where, names, f"{mix.label_kind}-label")
    ids, tasks = table.column("id").to_pylist(), table.column("task").to_pylist()
    kinds = table.column("atomic").to_pylist() if "atomic" in names else [None] * len(ids)
    labels = table.column("label_kind").to_pylist() if "label_kind" in names else [None] * len(ids)
    chosen = select_tasks(set(tasks), tasks=mix.tasks, n_tasks=mix.n_tasks, seed=mix.seed)
    chosen_set = set(chosen)
    row_keys = [
        sample_key(example_id, mix.seed) if task in chosen_set else None for example_id, task in zip(ids, tasks)
    ]
    keys: dict[str, list[int]] = defaultdict(list)
    for task, key in zip(tasks, row_keys):
        if key is not None:
            keys[task].append(key)
    thresholds = cap_thresholds(keys, mix.samples_per_task)
    counts: Counter = Counter()
    by_kind: Counter = Counter()
    by_label: Counter = Counter()
    for task, key, kind, label in zip(tasks, row_keys, kinds, labels):
        if key is not None and keep_example(task, key, chosen_set, thresholds):
            counts[task] += 1
            by_kind[_KIND_NAMES[kind]] += 1
            by_label[label or "unknown"] += 1
    return MixturePlan(
        files,
        fs,
        chosen,
        thresholds,
        mix.seed,
        rows_in,
        dict(sorted(counts.items())),
        mix.atomic,
        dict(sorted(by_kind.items())),
        mix.label_kind,
        dict(sorted(by_label.items())),
    )


_KIND_NAMES = {True: "atomic", False: "original", None: "unknown"}


class KeepMixture:
    """Ray Data `map_batches` function: keep the rows of the mixture (pyarrow in, pyarrow out)."""

    def __init__(
        self,
        tasks: list[str],
        thresholds: dict[str, int | None],
        seed: int,
        atomic: bool | None = None,
        label_kind: str | None = None,
    ):
        self.tasks = frozenset(tasks)
        self.thresholds = thresholds
        self.seed = seed
        self.atomic = atomic
        self.label_kind = label_kind

    @property
    def columns(self) -> list[str]:
        """The columns to read: the training columns, and `atomic`, `label_kind` when the mixture selects on them."""
        return [
            *COLUMNS,
            *(["atomic"] if self.atomic is not None else []),
            *(["label_kind"] if self.label_kind is not None else []),
        ]

    def __call__(self, batch: pa.Table) -> pa.Table:
        """The batch's mixture rows, with the training columns only."""
        kinds = batch.column("atomic").to_pylist() if self.atomic is not None else [None] * batch.num_rows
        labels = batch.column("label_kind").to_pylist() if self.label_kind is not None else [None] * batch.num_rows
        mask = [
            (self.atomic is None or kind == self.atomic)
            and (self.label_kind is None or label == self.label_kind)
            and keep_example(task, sample_key(example_id, self.seed), self.tasks, self.thresholds)
            for example_id, task, kind, label in zip(
                batch.column("id").to_pylist(), batch.column("task").to_pylist(), kinds, labels
            )
        ]
        return batch.filter(pa.array(mask, type=pa.bool_())).select(COLUMNS)


class ReadMixture:
    """Ray Data `map_batches` function: Parquet file paths in, the mixture's rows of those files out."""

    def __init__(self, plan: MixturePlan):
        self.filesystem = plan.filesystem
        self.keep = KeepMixture(plan.tasks, plan.thresholds, plan.seed, plan.atomic, plan.label_kind)

    def __call__(self, batch: dict) -> pa.Table:
        tables = [
            self.keep(
                pads.dataset(path, filesystem=self.filesystem, format="parquet").to_table(columns=self.keep.columns)
            )
            for path in batch["path"]
        ]
        return pa.concat_tables(tables)


def read_texts(plan: MixturePlan, limit: int) -> list[str]:
    """Up to `limit` prompts and answers of the mixture (to train the tiny model's tokenizer)."""
    keep = KeepMixture(plan.tasks, plan.thresholds, plan.seed, plan.atomic, plan.label_kind)
    texts: list[str] = []
    dataset = pads.dataset(plan.files, filesystem=plan.filesystem, format="parquet")
    for batch in dataset.to_batches(columns=keep.columns):
        kept = keep(pa.Table.from_batches([batch]))
        for prompt, output in zip(kept.column("prompt").to_pylist(), kept.column("output").to_pylist()):
            texts.extend((prompt, output))
        if len(texts) >= 2 * limit:
            break
    return texts[: 2 * limit]


def build_dataset(plan: MixturePlan, tokenizer_dir: str, cfg: DataConfig, seed: int):
    """Ray Dataset of tokenized mixture rows: files -> read + keep mixture -> tokenize -> shuffle.

    One read task per Parquet file (`generate` writes moderate shards), each reserving
    `cfg.cpus_per_task` CPUs, so reading fits beside the training workers on a small machine; tokenization
    runs as tasks too (`tokenize_batch`: one tokenizer per worker process).
    """
    import ray.data

    from ecomgpt.train.tokenize import tokenize_batch

    files = ray.data.from_items([{"path": path} for path in plan.files], override_num_blocks=len(plan.files))
    ds = files.map_batches(ReadMixture(plan), batch_size=1, batch_format="numpy", num_cpus=cfg.cpus_per_task)
    ds = ds.map_batches(
        functools.partial(
            tokenize_batch,
            tokenizer_dir=tokenizer_dir,
            max_len=cfg.max_seq_len,
            content=json.dumps(storage.fingerprint(tokenizer_dir)),
        ),
        batch_format="numpy",
        batch_size=256,
        num_cpus=cfg.cpus_per_task,
    )
    # `generate` writes rows sorted by task: a row-level shuffle mixes tasks in every window and gives the
    # workers' shards the same length profile, so none waits on longer batches at the all-reduce.
    ds = ds.random_shuffle(seed=seed)
    return ds.materialize() if cfg.materialize else ds
