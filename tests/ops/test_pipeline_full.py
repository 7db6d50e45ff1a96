"""The pipeline end to end on a tiny config, into a file:// URI: every stage, skip on re-run, partial re-runs.

The sweep stage's end-to-end run is left to the sweep tests (a trial costs another training run).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest
import yaml

from ecomgpt.config import ConfigError, parse_model
from ecomgpt.pipeline import run_pipeline, serve_commands
from ecomgpt.pipeline_config import PipelineConfig, ServeStageConfig
from ecomgpt.pipeline_stages import Stages, stage_key

from .conftest import tiny_pipeline

STAGES = ("synth", "generate", "train", "evaluate", "evaluate_base")


def _run(cfg: PipelineConfig) -> tuple[dict, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = run_pipeline(cfg)
    return result, out.getvalue()


@pytest.fixture(scope="module")
def runs(ray_local, tmp_path_factory):
    """One tiny run, its unchanged re-run, and a re-run with another evaluation limit."""
    root = tmp_path_factory.mktemp("pipeline")
    data = tiny_pipeline(f"file://{root / 'run'}")
    data["evaluate"]["base"] = True
    cfg = parse_model(PipelineConfig, data, "test")
    first = _run(cfg)
    again = _run(cfg)
    data["evaluate"]["limit"] = 3
    changed = _run(parse_model(PipelineConfig, data, "test"))
    return root / "run", first, again, changed


@pytest.mark.slow
def test_every_stage_writes_its_manifest_into_one_run_directory(runs):
    run, (result, printed), _, _ = runs
    for stage, folder in zip(STAGES, ("records", "data", "train", "eval", "eval-base")):
        manifest = json.loads((run / folder / "manifest.json").read_text())
        assert stage == "synth" or manifest["stage"] == stage.split("_")[0]
    record = json.loads((run / "pipeline.json").read_text())["stages"]
    assert set(record) == set(STAGES) and {e["status"] for e in record.values()} == {"done"}
    assert (run / "train" / "model" / "model.safetensors").is_file()
    assert result["train"]["steps"] == 4
    assert {m["n"] for m in result["evaluate"]["tasks"].values()} == {2}
    assert "| task | n | Rouge-L base | Rouge-L tuned |" in printed and "**average**" in printed
    comparison = result["comparison"]
    assert comparison["base_model"] == f"file://{run}/train/init"
    assert set(comparison["tasks"]) == set(result["evaluate"]["tasks"])
    for task, row in comparison["tasks"].items():
        assert row["tuned"] == result["evaluate"]["tasks"][task]
        assert row["base"] == result["evaluate_base"]["tasks"][task]
    assert "fine-tuned / base, average: Rouge-L" in (run / "comparison.md").read_text()
    assert f"ecomgpt serve --model ecomgpt-tiny=file://{run}/train/model" in printed
    assert "curl -s http://127.0.0.1:8000/v1/tasks/review_sentiment" in printed


@pytest.mark.slow
def test_an_unchanged_rerun_skips_every_stage(runs):
    _, (first, _), (again, printed), _ = runs
    for stage in STAGES:
        assert f"[{stage}] up to date" in printed
    assert {status for status, _ in again["walls"].values()} == {"skipped"}
    assert (
        again["evaluate"] == first["evaluate"]
        and again["generate"]["content_hash"] == first["generate"]["content_hash"]
    )


@pytest.mark.slow
def test_a_changed_stage_reruns_alone(runs):
    _, _, _, (changed, _printed) = runs
    walls = changed["walls"]
    assert walls["evaluate"][0] == "ran" and walls["evaluate_base"][0] == "ran"
    # The run directory's comparison is the latest run's.
    assert json.loads((runs[0] / "comparison.json").read_text())["tasks"] == changed["comparison"]["tasks"]
    assert all(walls[stage][0] == "skipped" for stage in ("synth", "generate", "train"))
    assert {m["n"] for m in changed["evaluate"]["tasks"].values()} == {3}


def test_an_interrupted_stage_resumes_and_a_finished_one_is_skipped(tmp_path):
    cfg = PipelineConfig(output=f"file://{tmp_path / 'run'}")
    seen = []

    def crash(resume: bool) -> None:
        seen.append(resume)
        raise KeyboardInterrupt

    def finish(resume: bool) -> str:
        seen.append(resume)
        (tmp_path / "run" / "train").mkdir(parents=True, exist_ok=True)
        (tmp_path / "run" / "train" / "manifest.json").write_text("{}")
        return "trained"

    with contextlib.redirect_stdout(io.StringIO()), contextlib.ExitStack() as stack:
        with pytest.raises(KeyboardInterrupt):
            Stages(cfg, stack).run("train", "k1", crash, lambda: "loaded")
        assert Stages(cfg, stack).run("train", "k1", finish, lambda: "loaded") == "trained"
        assert Stages(cfg, stack).run("train", "k1", finish, lambda: "loaded") == "loaded"
        assert Stages(cfg, stack).run("train", "k2", finish, lambda: "loaded") == "trained"
    assert seen == [False, True, False]


def test_keys_chain_so_a_changed_upstream_stage_changes_every_key_below():
    synth_a, synth_b = stage_key("synth", {"seed": 0}, []), stage_key("synth", {"seed": 1}, [])
    data_a, data_b = stage_key("generate", {}, [synth_a]), stage_key("generate", {}, [synth_b])
    assert data_a != data_b
    assert stage_key("train", {"max_steps": 4}, [data_a]) != stage_key("train", {"max_steps": 4}, [data_b])
    assert stage_key("train", {"a": 1, "b": 2}, [data_a]) == stage_key("train", {"b": 2, "a": 1}, [data_a])


def test_config_errors_name_the_problem():
    with pytest.raises(ConfigError, match="need.*trained model"):
        parse_model(PipelineConfig, {"evaluate": {"limit": 2}}, "x.yaml")
    with pytest.raises(ConfigError, match="unknown key 'train.overide'"):
        parse_model(PipelineConfig, {"train": {"overide": {}}}, "x.yaml")


def test_serve_commands_are_shell_safe():
    serve, query, completion = serve_commands(ServeStageConfig(name="m", port=8100), "runs/my run/train/model")
    assert serve == "ecomgpt serve --model 'm=runs/my run/train/model' --port 8100"
    assert query.startswith("curl -s http://127.0.0.1:8100/v1/tasks/review_sentiment -d '{")
    assert '"model": "m"' in completion


def test_cli_reports_unknown_keys_of_the_config_and_of_its_train_overrides(tmp_path, capsys):
    from ecomgpt.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("trian: {}\n")
    assert main(["pipeline", "--config", str(bad)]) == 2
    assert "unknown key 'trian'" in capsys.readouterr().err
    # A good config file and an override its training config (tiny.yaml) does not know: refused before any stage.
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(tiny_pipeline(str(tmp_path / "run"))))
    assert main(["pipeline", "--config", str(good), "--set", "train.overrides.max_stepz=3"]) == 2
    assert "train.overrides: Value error, unknown training config key(s): 'max_stepz'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_heldout_feeds_generate_and_evaluate(tmp_path, capsys):
    from ecomgpt.pipeline import apply_heldout

    data = tiny_pipeline(str(tmp_path / "run"))
    data["heldout"] = {"dir": str(tmp_path)}
    cfg = apply_heldout(parse_model(PipelineConfig, data, "test"))
    assert cfg.generate.heldout_dir == str(tmp_path) and cfg.evaluate.heldout_dir == str(tmp_path)

    data["heldout"] = {"dir": str(tmp_path / "absent"), "optional": True}
    cfg = apply_heldout(parse_model(PipelineConfig, data, "test"))
    assert cfg.generate.heldout_dir is None and cfg.evaluate.heldout_dir is None
    assert "no held-out sets at" in capsys.readouterr().out

    data["heldout"] = {"dir": str(tmp_path / "absent")}
    with pytest.raises(ConfigError, match="heldout.dir .*absent: no such directory"):
        apply_heldout(parse_model(PipelineConfig, data, "test"))


def test_heldout_and_a_stage_heldout_dir_together_is_an_error(tmp_path):
    data = tiny_pipeline(str(tmp_path / "run"))
    data["heldout"] = {"dir": str(tmp_path)}
    data["evaluate"]["heldout_dir"] = str(tmp_path)
    with pytest.raises(ConfigError, match="either heldout or evaluate.heldout_dir"):
        parse_model(PipelineConfig, data, "x.yaml")
