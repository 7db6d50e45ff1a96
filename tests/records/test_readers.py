"""Planning read units (fail fast, split on line starts) and the per-format readers."""

from __future__ import annotations

import itertools
import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomgpt.records.ingest import Reject, iter_unit
from ecomgpt.records.schema import AnnotatedText
from ecomgpt.records.sources import SourceError, input_source
from ecomgpt.records.units import ReadUnit, line_ranges, plan_units

from .helpers import config, read_all

MAPPING = {"text": "body", "rating": "stars"}


def _lines_file(write, n: int = 300, seed: int = 0) -> str:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.08:
            lines.append("")  # blank
        elif kind < 0.14:
            lines.append("{truncated")
        elif kind < 0.18:
            lines.append(json.dumps({"body": "", "stars": 3}))
        else:
            body = "é" * rng.randint(1, 60) + f" review {i}"
            lines.append(json.dumps({"body": body, "stars": rng.randint(1, 5)}, ensure_ascii=False))
    crlf = "\r\n" if seed % 2 else "\n"
    return write(f"reviews{seed}.jsonl", crlf.join(lines) + ("" if seed % 3 == 0 else crlf))


def _outcomes(items):
    return [
        (item.location, item.reason) if isinstance(item, Reject) else (item.record_id, item.text, item.rating)
        for item in items
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("target", [2, 3, 7, 16, 64, 1000])
def test_split_units_read_exactly_what_one_unit_reads(write, seed, target):
    path = _lines_file(write, seed=seed)
    source = config(path=path, format="jsonl", data_type="review", lang="en", mapping=MAPPING)
    (whole,) = plan_units([source], 1)
    assert (whole.start, whole.end, whole.first_line) == (0, -1, 1)
    expected = _outcomes(iter_unit(whole))
    units = plan_units([source], target, min_unit_bytes=1)
    assert len(units) > 1 and len(units) <= min(target, 300)
    assert units[0].start == 0 and units[-1].end == -1
    assert all(a.end == b.start for a, b in itertools.pairwise(units))
    with open(path, "rb") as handle:
        data = handle.read()
    for unit in units:
        assert unit.start == 0 or data[unit.start - 1 : unit.start] == b"\n"
        assert unit.first_line == data.count(b"\n", 0, unit.start) + 1
    assert _outcomes(item for unit in units for item in iter_unit(unit)) == expected


def test_line_ranges_never_cut_inside_a_line(write):
    path = write("long.jsonl", "x" * 1000 + "\n" + "y\n")
    assert line_ranges(path, 10) == [(0, 1001, 1), (1001, -1, 2)]
    assert line_ranges(write("one.jsonl", "z" * 100), 5) == [(0, -1, 1)]
    assert line_ranges(write("empty.jsonl", ""), 5) == [(0, -1, 1)]


def test_units_are_planned_in_sorted_order_across_sources(write):
    b = write("d/b.jsonl", '{"body": "b", "stars": 1}\n')
    a = write("d/a.jsonl", '{"body": "a", "stars": 1}\n')
    write("d/notes.md", "not data")
    csv_path = write("r.csv", "body,stars\nc,2\n")
    sources = [
        config(name="j", path=str(a).rsplit("/", 1)[0], format="jsonl", data_type="review", lang="en", mapping=MAPPING),
        config(name="c", path=csv_path, format="csv", data_type="review", lang="en", mapping=MAPPING),
    ]
    units = plan_units(sources, 8)
    assert [(u.source.name, u.path) for u in units] == [("j", a), ("j", b), ("c", csv_path)]
    records, _ = read_all(sources)
    assert [r.text for r in records] == ["a", "b", "c"]
    assert [ReadUnit.from_row(u.to_row()) for u in units] == units


def test_relative_paths_resolve_against_the_working_directory(write, tmp_path, monkeypatch):
    path = write("sub/r.jsonl", '{"body": "rel", "stars": 2}\n')
    monkeypatch.chdir(tmp_path)
    source = config(path="sub/*.jsonl", format="jsonl", data_type="review", lang="en", mapping=MAPPING)
    (unit,) = plan_units([source], 1)
    assert unit.path == path  # absolute: workers elsewhere read the same file
    file_uri = config(path=f"file://{path}", format="jsonl", data_type="review", lang="en", mapping=MAPPING)
    assert [r.text for r in read_all([file_uri])[0]] == ["rel"]


@pytest.mark.parametrize(
    "path, message",
    [
        ("missing.jsonl", r"source 'test_source': path '.*missing.jsonl': no such file"),
        ("nothing-*.jsonl", r"the glob matches no file"),
        ("emptydir", r"holds no .jsonl"),
    ],
)
def test_fail_fast_on_paths(write, tmp_path, path, message):
    (tmp_path / "emptydir").mkdir()
    source = config(path=str(tmp_path / path), format="jsonl", data_type="review", lang="en", mapping=MAPPING)
    with pytest.raises(SourceError, match=message):
        plan_units([source], 4)


def test_fail_fast_before_any_work_on_a_later_source(write, tmp_path):
    good = config(
        name="good",
        path=write("g.jsonl", '{"body": "x", "stars": 1}\n'),
        format="jsonl",
        data_type="review",
        lang="en",
        mapping=MAPPING,
    )
    bad = config(
        name="bad", path=str(tmp_path / "gone.csv"), format="csv", data_type="review", lang="en", mapping=MAPPING
    )
    with pytest.raises(SourceError, match="source 'bad'"):
        plan_units([good, bad], 4)


def test_fail_fast_on_a_missing_csv_column(write):
    path = write("r.csv", "\ufeffReview Text,Rating\nnice,5\n")
    ok = config(
        path=path, format="csv", data_type="review", lang="en", mapping={"text": "Review Text", "rating": "Rating"}
    )
    assert len(read_all([ok])[0]) == 1  # the BOM does not hide the first column
    bad = config(
        path=path,
        format="csv",
        data_type="review",
        lang="en",
        mapping={"text": "Review Text", "rating": {"column": "Stars", "parse": "int"}},
    )
    message = r"r\.csv: mapping field 'rating' names column 'Stars'.*Rating, Review Text"
    with pytest.raises(SourceError, match=message):
        plan_units([bad], 1)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "parquet"])
def test_fail_fast_on_a_missing_column_of_json_and_parquet(write, tmp_path, fmt):
    rows = [{"body": "x", "stars": 1, "meta": {"asin": "A1"}}] * 3
    if fmt == "parquet":
        path = str(tmp_path / "r.parquet")
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        text = json.dumps(rows) if fmt == "json" else "".join(json.dumps(r) + "\n" for r in rows)
        path = write(f"r.{fmt}", text)
    ok = config(
        path=path, format=fmt, data_type="review", lang="en", mapping={"text": "body", "product_id": "meta.asin"}
    )
    assert [r.product_id for r in read_all([ok])[0]] == ["A1"] * 3
    bad = config(path=path, format=fmt, data_type="review", lang="en", mapping={"text": "bdy"})
    with pytest.raises(SourceError, match="names column 'bdy'"):
        plan_units([bad], 1)


def test_fail_fast_on_a_json_file_that_is_not_an_array(write):
    source = config(
        path=write("r.json", '{"body": "x"}'), format="json", data_type="review", lang="en", mapping=MAPPING
    )
    with pytest.raises(SourceError, match="one JSON array"):
        plan_units([source], 1)


def test_parquet_splits_by_row_group(tmp_path):
    path = str(tmp_path / "r.parquet")
    rows = [{"body": f"r{i}", "stars": 1 + i % 5} for i in range(100)]
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=10)
    source = config(path=path, format="parquet", data_type="review", lang="en", mapping=MAPPING)
    units = plan_units([source], 4, min_unit_bytes=1)
    assert [(u.start, u.end, u.first_line) for u in units] == [(0, 2, 1), (2, 5, 21), (5, 7, 51), (7, 10, 71)]
    items = [item for unit in units for item in iter_unit(unit)]
    assert [i.text for i in items] == [f"r{i}" for i in range(100)]
    assert items[57].record_id == "r.parquet:58"


def test_bio_spans_labels_and_crlf(write):
    text = "\ufeff雄 B-HPPX\r\n争 I-HPPX\r\n霸 O\r\n点 B-HCCX\r\n卡 I-HCCX\r\n\r\n\r\n"
    text += "苹 B-HPPX\r\n果 I-XH\r\n"  # I- of another type starts a new span
    names = {"HPPX": "品牌", "HCCX": "产品", "XH": "型号"}
    bio = {"dataset": "toy", "label_names": names}
    source = config(path=write("ner.txt", text), format="bio", lang="zh", bio=bio)
    records, rejects = read_all([source])
    assert not rejects
    first, second = records
    assert isinstance(first, AnnotatedText) and first.text == "雄争霸点卡"
    spans = [(s.start, s.end, s.type, s.term) for s in first.spans]
    assert spans == [(0, 2, "品牌", "雄争"), (3, 5, "产品", "点卡")]
    assert (first.dataset, first.paradigm, first.definition) == ("toy", "NER", "named entity recognition")
    assert first.label_set == ["品牌", "产品", "型号"] and first.record_id == "ner.txt:1"
    assert [(s.type, s.term) for s in second.spans] == [("品牌", "苹"), ("型号", "果")]
    unknown = config(path=source.path, format="bio", lang="zh", bio={"label_names": {"HPPX": "品牌"}})
    assert [r.reason for r in read_all([unknown])[1]] == ["invalid_value", "invalid_value"]


def test_bio_token_separator(write):
    source = config(
        path=write("en.bio", "Apple B-ORG\niPhone B-PRD\n15 I-PRD\n"), format="bio", lang="en", bio={"token_sep": " "}
    )
    (record,), _ = read_all([source])
    assert record.text == "Apple iPhone 15"
    assert [(s.type, s.term) for s in record.spans] == [("ORG", "Apple"), ("PRD", "iPhone 15")]
    assert record.dataset == "test_source" and record.label_set == ["ORG", "PRD"]


def _task(root, folder: str, meta: dict, lines: list[str]) -> None:
    task = root / folder.split("-")[1] / "tasks" / folder
    task.mkdir(parents=True)
    (task / "meta-info.json").write_text(json.dumps(meta), encoding="utf-8")
    (task / "test.json").write_text("\n".join(lines), encoding="utf-8")


def test_ecomgpt_layout(tmp_path):
    prompt = "### Instruction:\n{sentences}\nPick one of: {label_set}. \n### Response:"
    _task(
        tmp_path,
        "EN-Toy-CLS-topic",
        {"defi": "topic", "test_prompt": {"instruction": prompt}, "label_set": {"en": ["a", "b"]}, "label_key": "en"},
        [json.dumps({"sentences": "one", "labels": {"en": ["a"], "zh": ["甲"]}}), "{bad", ""],
    )
    spans = [{"start": 0, "end": 3, "type": "", "term": "two"}, {"start": 0, "end": 0, "term": "gen"}]
    meta = {"defi": "extractive QA", "test_prompt": {"instruction": "{sentences}\nExtract. \n### Response:"}}
    _task(
        tmp_path,
        "EN-Toy-Extract-qa",
        meta,
        [json.dumps({"sentences": "Context: one two", "label_set": [""], "spans": spans})],
    )
    source = input_source(str(tmp_path))
    records, rejects = read_all([source])
    assert [(r.location, r.reason) for r in rejects] == [("line 2", "unparsable")]
    cls, extract = records
    assert (cls.dataset, cls.paradigm, cls.lang) == ("Toy", "CLS", "en")
    assert (cls.labels, cls.label_set) == (["a"], ["a", "b"])
    assert cls.instruction == "Pick one of: {label_set}." and cls.definition == "topic"
    assert cls.record_id == "EN-Toy-CLS-topic:1" and cls.source == tmp_path.name
    # offsets that miss the term are re-anchored; an unanchored target stays (0, 0)
    assert [(s.start, s.end, s.term) for s in extract.spans] == [(13, 16, "two"), (0, 0, "gen")]
    assert extract.label_set == [] and extract.instruction == "Extract."


def test_ecomgpt_line_without_the_label_key_is_rejected(tmp_path):
    prompt = "### Instruction:\n{sentences}\nPick one of: {label_set}. \n### Response:"
    _task(
        tmp_path,
        "EN-Toy-CLS-topic",
        {"defi": "topic", "test_prompt": {"instruction": prompt}, "label_set": {"en": ["a", "b"]}, "label_key": "en"},
        [
            json.dumps({"sentences": "one", "labels": {"en": ["a"]}}),
            json.dumps({"sentences": "two", "labels": {"zh": ["甲"]}}),
        ],
    )
    records, rejects = read_all([input_source(str(tmp_path))])
    assert [r.labels for r in records] == [["a"]]
    assert [(r.location, r.reason) for r in rejects] == [("line 2", "invalid_value")]
    assert "label_key 'en' is not a key of labels (zh)" in rejects[0].detail


def test_ecomgpt_bad_folder_name_fails_fast(tmp_path):
    task = tmp_path / "X" / "tasks" / "EN-Toy-Classify-x"
    task.mkdir(parents=True)
    (task / "meta-info.json").write_text("{}", encoding="utf-8")
    (task / "test.json").write_text("", encoding="utf-8")
    with pytest.raises(SourceError, match="LANG-Dataset-TYPE-name"):
        plan_units([input_source(str(tmp_path))], 1)


def test_fsspec_uris_are_read_through_their_filesystem():
    import fsspec

    memory = fsspec.filesystem("memory")
    memory.pipe("/ecomgpt-test/r-1.jsonl", b'{"body": "one", "stars": 1}\n{"body": "two", "stars": 2}\n')
    memory.pipe("/ecomgpt-test/r-2.jsonl", b'{"body": "three", "stars": 3}\n')
    try:
        source = config(
            path="memory://ecomgpt-test/r-*.jsonl", format="jsonl", data_type="review", lang="en", mapping=MAPPING
        )
        units = plan_units([source], 4, min_unit_bytes=1)
        assert next(u.path for u in units).startswith("memory://")
        records, _ = read_all([source], 4)
        assert [r.text for r in records] == ["one", "two", "three"]
        assert records[2].record_id == "r-2.jsonl:1"
    finally:
        memory.rm("/ecomgpt-test", recursive=True)


def test_fail_fast_on_a_corrupt_parquet_file(write):
    source = config(
        path=write("bad.parquet", b"PAR1 not really"), format="parquet", data_type="review", lang="en", mapping=MAPPING
    )
    with pytest.raises(SourceError, match=r"source 'test_source': file .*bad\.parquet"):
        plan_units([source], 1)
