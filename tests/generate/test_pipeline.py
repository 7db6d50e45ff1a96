"""`generate` end to end on a local Ray: determinism, caps, quarantine, decontamination, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecomgpt.cli import main
from ecomgpt.errors import UserError
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import OutputExistsError, plan_generate
from ecomgpt.generate.process import group_specs, process_records
from ecomgpt.generate.run import run_generate
from ecomgpt.records.ingest import iter_unit
from ecomgpt.records.synth import write_synthetic
from ecomgpt.tasks.examples import EXAMPLE_COLUMNS, RenderOptions
from ecomgpt.tasks.registry import UnknownTaskError, all_tasks, resolve_tasks
from tests.conftest import HELDOUT, RAW, REPO, needs_shared
from tests.generate.helpers import digest, final_rows


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("records")
    write_synthetic(2_000, 7, str(out), "jsonl", 2_000)
    return str(out)


def _generate(ray_local, out: Path, **cfg) -> dict:
    plan = plan_generate(GenerateConfig(**cfg), str(out))
    return run_generate(plan)


def _rows(out: Path) -> list[dict]:
    rows = []
    for split in ("held_in", "held_out"):
        for f in sorted((out / split).glob("*.parquet")):
            rows += pq.read_table(f).to_pylist()
    return rows


def test_num_blocks_sets_the_read_units(records, tmp_path):
    # that the output does not depend on the units is tested on process_records (tests/generate/test_process.py)
    units = [
        len(plan_generate(GenerateConfig(inputs=[records], num_blocks=blocks), str(tmp_path / f"b{blocks}")).units)
        for blocks in (1, 8)
    ]
    assert units[0] == 1 and units[1] >= 3


def test_counts_add_up_and_caps_hold(ray_local, records, tmp_path):
    m = _generate(ray_local, tmp_path / "out", inputs=[records], samples_per_task=25, num_blocks=4)
    assert m["records_in"] == 2_000 == m["records_accepted"] + m["records_rejected"]
    assert m["pairs_sampled_out"] > 0  # the cap's key bounds spared generating pairs
    assert m["examples_generated"] == (
        m["dedup_dropped"] + m["decontaminated_dropped"] + m["capped_dropped"] + m["examples_out"]
    )
    rows = _rows(tmp_path / "out")
    assert len(rows) == m["examples_out"] > 0
    assert list(rows[0]) == list(EXAMPLE_COLUMNS)
    per_task: dict[str, int] = {}
    for r in rows:
        per_task[r["task"]] = per_task.get(r["task"], 0) + 1
    assert max(per_task.values()) == 25
    assert len({r["id"] for r in rows}) == len(rows)  # no duplicate survives
    heldout = set(GenerateConfig().heldout_tasks)
    assert all((r["split"] == "held_out") == (r["task"] in heldout) for r in rows)
    assert m["splits"]["held_in"] > 0 and m["splits"]["held_out"] > 0
    # every registered task that applies to synthetic records produced examples
    assert len(per_task) >= 20


def test_timings_split_the_run_into_stages_and_count_unit_cpu(ray_local, records, tmp_path):
    m = _generate(ray_local, tmp_path / "out", inputs=[records], samples_per_task=25, num_blocks=4)
    t = m["timings"]
    stages = t["plan_s"] + t["teacher_s"] + t["units_s"] + t["finalize_s"] + t["digest_s"]
    # Each figure is rounded to the millisecond on its own, so their sum may pass the total by that much.
    assert 0 < t["units_s"] and stages <= t["read_generate_s"] + 0.003 and t["read_generate_s"] <= t["total_s"]
    assert t["unit_seconds_max"] <= t["unit_seconds_sum"] <= t["passes"] * 4 * t["units_s"]
    assert 0 < t["unit_cpu_seconds_sum"]


def test_uncapped_run_keeps_every_distinct_example(ray_local, records, tmp_path):
    m = _generate(ray_local, tmp_path / "out", inputs=[records], num_blocks=2)
    assert m["capped_dropped"] == 0
    assert m["examples_out"] == m["examples_generated"] - m["dedup_dropped"] - m["decontaminated_dropped"]


def _write_heldout(root: Path, sentences: list[str]) -> Path:
    task = root / "Toy" / "tasks" / "EN-Toy-CLS-review_sentiment"
    task.mkdir(parents=True)
    meta = {
        "task": task.name,
        "defi": "review sentiment",
        "label_key": "default",
        "label_sep": ", ",
        "label_set": {"default": ["positive", "negative"]},
        "test_prompt": {"instruction": "### Instruction:\n{sentences}\nSentiment? {label_set}. \n### Response:"},
    }
    (task / "meta-info.json").write_text(json.dumps(meta))
    lines = [json.dumps({"sentences": s, "labels": {"default": ["positive"]}}) for s in sentences]
    (task / "test.json").write_text("\n".join(lines) + "\n")
    return root


def _review(i: int, text: str) -> dict:
    return {
        "data_type": "review",
        "record_id": f"r{i}",
        "source": "toy",
        "lang": "en",
        "text": text,
        "rating": 5,
        "sentiment": "positive",
    }


def test_decontamination_drops_examples_overlapping_heldout_inputs(ray_local, tmp_path):
    secret = "This blender crushes ice like a dream and cleans up fast."
    heldout = _write_heldout(tmp_path / "heldout", [secret])
    recs = [
        _review(0, f"Honestly: {secret} Would buy again."),
        _review(1, "crushes ice like a dream and"),
        _review(2, "The shoes fell apart after a week of light use."),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    m = _generate(ray_local, tmp_path / "out", inputs=[str(src)], heldout_dir=str(heldout))
    rows = _rows(tmp_path / "out")
    assert m["decontaminated_dropped"] > 0
    assert {r["record_id"] for r in rows if r["input"].startswith(("Honestly", "crushes"))} == set()
    assert any(r["record_id"] == "r2" for r in rows)
    assert m["inputs"]["heldout_texts"] == 1


def test_bad_records_are_quarantined_and_the_run_finishes(ray_local, tmp_path):
    lines = [
        json.dumps(_review(0, "Great kettle, boils fast and looks nice on the counter.")),
        "{not json",
        json.dumps({**_review(2, "x"), "rating": "five"}),
        json.dumps({k: v for k, v in _review(3, "x").items() if k != "text"}),
        json.dumps(_review(4, "   ")),
        json.dumps(_review(5, "y" * 101)),
        json.dumps(_review(6, "Sturdy case, but the zipper broke in a month.")),
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(("\n".join(lines) + "\n").encode() + b'{"text": "\xff\xfe"}\n')
    out_uri = f"file://{tmp_path}/out"  # outputs go through pyarrow filesystems, so URIs work too
    m = run_generate(plan_generate(GenerateConfig(inputs=[str(src)], max_field_chars=100, num_blocks=3), out_uri))
    assert m["records_in"] == 8 and m["records_accepted"] == 2 and m["records_rejected"] == 6
    assert m["rejected_by_reason"] == {
        "bad_encoding": 1,
        "empty_text": 1,
        "field_too_long": 1,
        "missing_field": 1,
        "unparsable": 1,
        "wrong_type": 1,
    }
    rejects = [json.loads(line) for f in sorted((tmp_path / "out" / "rejects").glob("*.jsonl")) for line in f.open()]
    assert sorted(r["location"] for r in rejects) == sorted(f"line {n}" for n in (2, 3, 4, 5, 6, 8))
    assert all(r["file"].endswith("in.jsonl") and r["reason"] and r["detail"] for r in rejects)
    assert {r["record_id"] for r in _rows(tmp_path / "out")} == {"r0", "r6"}


def test_records_built_to_break_readers_are_quarantined_and_the_run_finishes(ray_local, tmp_path):
    lines = [
        json.dumps(_review(0, "Great kettle, boils fast and looks nice on the counter.")),
        '{"data_type": "review", "record_id": "r1", "lang": "en", "text": "x", "rating": ' + "9" * 5000 + "}",
        '{"data_type": "review", "record_id": "r2", "lang": "en", "text": '
        + "[" * 900
        + '"\\ufeffx"'
        + "]" * 900
        + "}",
        json.dumps(_review(3, "Sturdy case, but the zipper broke in a month.")),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = ["id,review,specs", '10,"Warm and soft, true to size.",[]', "11,Cosy," + "[" * 5000, '12,"runs small,[]'] + [
        f"{i},Review {i} of a good scarf that keeps me warm.,[]" for i in range(13, 30)
    ]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "csv.yaml").write_text(
        f"name: scarves\npath: {tmp_path / 'in.csv'}\nformat: csv\ndata_type: review\nlang: en\n"
        "mapping:\n  record_id: id\n  text: review\n  aspects: {column: specs, parse: json}\n",
        encoding="utf-8",
    )
    cfg = GenerateConfig(inputs=[str(tmp_path / "in.jsonl")], sources=[str(tmp_path / "csv.yaml")], num_blocks=3)
    m = run_generate(plan_generate(cfg, str(tmp_path / "out")))
    assert m["records_in"] == 4 + 20 and m["records_in"] == m["records_accepted"] + m["records_rejected"]
    assert m["records_rejected"] == 4 and m["rejected_by_reason"] == {"unparsable": 2, "invalid_value": 2}
    rejects = [json.loads(line) for f in sorted((tmp_path / "out" / "rejects").glob("*.jsonl")) for line in f.open()]
    assert sorted(r["location"] for r in rejects) == ["line 2", "line 3", "row 2 (line 3)", "row 3 (line 4)"]


def test_bad_setups_fail_before_any_work(ray_local, records, tmp_path):
    with pytest.raises(UserError, match="does-not-exist"):
        plan_generate(GenerateConfig(inputs=[str(tmp_path / "does-not-exist")]), str(tmp_path / "o1"))
    with pytest.raises(UnknownTaskError, match="no.such_task"):
        plan_generate(GenerateConfig(inputs=[records], heldout_tasks=["no.such_task"]), str(tmp_path / "o2"))
    with pytest.raises(UnknownTaskError, match="known tasks"):
        plan_generate(GenerateConfig(inputs=[records], tasks=["review.nope"]), str(tmp_path / "o3"))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("another run")
    with pytest.raises(OutputExistsError):
        plan_generate(GenerateConfig(inputs=[records]), str(busy))
    assert (busy / "keep.txt").exists()


def test_cli_generate_prints_the_summary_and_rejects_bad_config(ray_local, records, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["generate", "--input", records, "--output", str(out), "--samples-per-task", "10"]) == 0
    printed = capsys.readouterr().out
    assert "task" in printed and "held_in" in printed and "records: 2,000 in" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["samples_per_task"] == 10 and manifest["seed"] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("samples_per_tsak: 10\n")
    assert main(["generate", "--config", str(bad), "--input", records, "--output", str(tmp_path / "x")]) == 2
    assert "unknown key 'samples_per_tsak'" in capsys.readouterr().err


def test_every_shipped_generate_config_loads():
    from ecomgpt.config import load_model
    from ecomgpt.pipeline_config import PipelineConfig

    for path in sorted((REPO / "configs" / "generate").glob("*.yaml")):
        load_model(GenerateConfig, path)
    load_model(PipelineConfig, REPO / "configs" / "local.yaml")


@needs_shared(RAW)
@needs_shared(HELDOUT)
def test_real_sources_end_to_end(ray_local, tmp_path, monkeypatch):
    from ecomgpt.config import load_model

    monkeypatch.chdir(REPO)
    cfg = load_model(GenerateConfig, REPO / "configs" / "generate" / "real_sources.yaml")
    m = run_generate(plan_generate(cfg.model_copy(update={"samples_per_task": 200}), str(tmp_path / "out")))
    assert m["records_in"] == m["records_accepted"] + m["records_rejected"]
    assert set(m["records_by_source"]) == {Path(p).stem for p in cfg.sources}
    assert m["rejected_by_reason"].get("missing_field", 0) >= 3_995  # Flipkart's empty rows
    assert m["decontaminated_dropped"] >= 0 and m["examples_out"] > 1_000
    assert {lang for t in m["tasks"].values() for lang in t} == {"en", "zh"}
    assert len(all_tasks()) >= 30


def test_completion_pass_gives_the_output_of_generating_everything(ray_local, tmp_path, monkeypatch):
    from ecomgpt.generate import pipeline
    from ecomgpt.generate.sampling import FULL

    write_synthetic(4_000, 3, str(tmp_path / "recs"), "jsonl", 4_000)
    cfg = GenerateConfig(inputs=[str(tmp_path / "recs")], samples_per_task=60, num_blocks=2)

    # Bounds far too tight: every task falls short and is completed in a second pass.
    def tight(units, specs, *args):
        return {s.name: FULL // 1000 for group in specs.values() for s in group}

    monkeypatch.setattr(pipeline, "plan_key_bounds", tight)
    plan = plan_generate(cfg, str(tmp_path / "completed"))
    completed = run_generate(plan)
    assert completed["timings"]["passes"] == 2 and completed["sampling"]["completed_tasks"]
    assert completed["records_in"] == 4_000  # the completing pass does not count records twice
    # every pair generated, on the driver: that key bounds never change the output is tested on
    # process_records (tests/generate/test_process.py)
    everything = process_records(
        (item for unit in plan.units for item in iter_unit(unit)),
        group_specs(resolve_tasks(None)),
        cfg.seed,
        RenderOptions(),
        lambda text: False,
        cfg.samples_per_task,
    )
    expected = digest(final_rows(everything.candidates, cfg.samples_per_task, frozenset(cfg.heldout_tasks)))
    assert completed["content_hash"] == expected.content_hash()
    assert completed["tasks"] == expected.counts_dict()


def test_pipeline_runs_synth_then_generate_and_skips_what_is_done(ray_local, tmp_path, capsys):
    from ecomgpt.pipeline import run_pipeline
    from ecomgpt.pipeline_config import PipelineConfig, SynthConfig

    cfg = PipelineConfig(
        output=str(tmp_path / "run"),
        synth=SynthConfig(records=1_500, seed=1),
        generate=GenerateConfig(samples_per_task=20),
    )
    first = run_pipeline(cfg)["generate"]
    assert first["records_in"] == 1_500 and (tmp_path / "run" / "data" / "held_in").is_dir()
    again = run_pipeline(cfg)["generate"]
    printed = capsys.readouterr().out
    assert "[synth] up to date" in printed and "[generate] up to date" in printed
    assert again["content_hash"] == first["content_hash"]
    changed = run_pipeline(cfg.model_copy(update={"synth": SynthConfig(records=1_500, seed=2)}))["generate"]
    assert changed["content_hash"] != first["content_hash"]


def test_pipeline_never_replaces_a_stage_directory_it_did_not_write(tmp_path):
    from ecomgpt.pipeline import ForeignOutputError, run_pipeline
    from ecomgpt.pipeline_config import PipelineConfig, SynthConfig

    mine = tmp_path / "home" / "records" / "notes.txt"  # e.g. `--output ~` over a user's own records/
    mine.parent.mkdir(parents=True)
    mine.write_text("mine")
    cfg = PipelineConfig(
        output=str(tmp_path / "home"),
        synth=SynthConfig(records=100, seed=1),
        generate=GenerateConfig(samples_per_task=5),
    )
    with pytest.raises(
        ForeignOutputError, match=r"\[synth\] .*records already holds files this pipeline did not write"
    ):
        run_pipeline(cfg)
    assert mine.read_text() == "mine" and sorted(p.name for p in mine.parent.iterdir()) == ["notes.txt"]
