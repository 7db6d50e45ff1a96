"""One override mechanism: YAML -> typed config, then shortcut flags and `--set KEY=VALUE`, validated."""

from __future__ import annotations

import pytest

from ecomgpt.cli import main
from ecomgpt.config import ConfigError, leaves, load_config, override, parse_set
from ecomgpt.evaluate.config import EvaluateConfig
from ecomgpt.pipeline_config import PipelineConfig
from ecomgpt.sweep.config import SweepConfig
from ecomgpt.train.config import TrainConfig
from tests.conftest import REPO

LOCAL = REPO / "configs" / "local.yaml"
TINY = REPO / "configs" / "train" / "tiny.yaml"
SMOKE = REPO / "configs" / "sweep" / "smoke.yaml"


def test_set_values_are_read_as_yaml():
    assert parse_set("train.max_steps=300") == (("train", "max_steps"), 300)
    assert parse_set("optim.learning_rate=0.001") == (("optim", "learning_rate"), 0.001)
    assert parse_set("heldout.dir=../shared/data/heldout") == (("heldout", "dir"), "../shared/data/heldout")
    assert parse_set("evaluate=null") == (("evaluate",), None)
    assert parse_set("tasks=[a, b]") == (("tasks",), ["a", "b"])
    assert parse_set("name=a=b") == (("name",), "a=b")


@pytest.mark.parametrize("text", ["max_steps", "=3", "train..max_steps=3", "x=[unclosed"])
def test_a_malformed_set_is_an_error(text):
    with pytest.raises(ConfigError, match="--set|invalid config key"):
        parse_set(text)


def test_overrides_set_dotted_keys_and_leave_the_input_alone():
    data = {"train": {"config": "t.yaml", "overrides": {"max_steps": 4}}, "evaluate": None}
    out = override(data, [("train.overrides.max_steps", 8), ("evaluate.limit", 2), (("models", "a.b"), "/x")])
    assert out == {
        "train": {"config": "t.yaml", "overrides": {"max_steps": 8}},
        "evaluate": {"limit": 2},
        "models": {"a.b": "/x"},
    }
    assert data["train"]["overrides"] == {"max_steps": 4} and data["evaluate"] is None
    with pytest.raises(ConfigError, match="train.config is 't.yaml', not a mapping"):
        override(data, [("train.config.x", 1)])


def test_nested_overrides_merge_key_by_key():
    base = {"model": {"tiny": {"vocab_size": 2000, "n_layer": 2}}, "max_steps": 100}
    merged = override(base, leaves({"model": {"tiny": {"vocab_size": 400}}, "max_steps": 4}))
    assert merged == {"model": {"tiny": {"vocab_size": 400, "n_layer": 2}}, "max_steps": 4}


def test_shortcut_flags_then_sets_in_order():
    cfg = load_config(TrainConfig, TINY, [("max_steps", 7), ("num_workers", None)], ["max_steps=9", "seed=3"])
    assert (cfg.max_steps, cfg.seed) == (9, 3)
    assert cfg.num_workers == load_config(TrainConfig, TINY).num_workers  # None: the flag was not given
    cfg = load_config(
        EvaluateConfig,
        None,
        [("model", "m"), ("heldout_dir", "h"), ("output", "o"), ("generation.batch_size", 4)],
        ["generation.num_beams=2"],
    )
    assert (cfg.generation.batch_size, cfg.generation.num_beams) == (4, 2)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["train.max_stepz=300"], "unknown key 'train.max_stepz'"),
        (["evaluate.generation.beams=4"], "unknown key 'evaluate.generation.beams'"),
        (["train.overrides.max_stepz=300"], "unknown training config key(s): 'max_stepz'"),
        (["train.overrides.optim.learning_rate=0.1"], "'optim.learning_rate'"),
        (["evaluate.limit=many"], "evaluate.limit: Input should be a valid integer"),
    ],
)
def test_set_errors_name_the_key(sets, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        load_config(PipelineConfig, LOCAL, (), sets)
    assert f"with --set {sets[0]}" in str(err.value)


def test_training_overrides_in_a_sweep_config_are_checked_when_it_loads():
    message = r"train_overrides: .*unknown training config key\(s\): 'optim.learning_rate'"
    with pytest.raises(ConfigError, match=message):
        load_config(SweepConfig, SMOKE, (), ["train_overrides.optim.learning_rate=0.1"])
    assert load_config(SweepConfig, SMOKE, (), ["train_overrides.max_steps=3"]).train_overrides["max_steps"] == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--config", str(TINY), "--output", "{tmp}/o", "--set", "max_stepz=3"], "unknown key 'max_stepz'"),
        (["pipeline", "--config", str(LOCAL), "--set", "train.max_stepz=3"], "unknown key 'train.max_stepz'"),
        (["generate", "--output", "{tmp}/o", "--set", "samples_per_tsak=3"], "unknown key 'samples_per_tsak'"),
        (
            ["evaluate", "--model", "m", "--heldout-dir", "h", "--output", "o", "--set", "generation.beam=2"],
            "unknown key 'generation.beam'",
        ),
        (
            ["sweep", "--config", str(SMOKE), "--data", "d", "--output", "o", "--set", "grid.sizes=[1]"],
            "unknown key 'grid.sizes'",
        ),
        (["serve", "--model", "m=/x", "--set", "limits.max_tokenz=3"], "unknown key 'limits.max_tokenz'"),
        (["synth", "--records", "5", "--out", "{tmp}/o", "--set", "format=xml"], "format: Input should be"),
    ],
)
def test_every_command_takes_set_and_names_a_bad_key_before_any_work(argv, message, tmp_path, capsys):
    assert main([arg.format(tmp=tmp_path) for arg in argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_pipeline_output_flag_is_a_shortcut_for_set(tmp_path):
    by_flag = load_config(PipelineConfig, LOCAL, [("output", str(tmp_path)), ("address", None)])
    by_set = load_config(PipelineConfig, LOCAL, (), [f"output={tmp_path}"])
    assert by_flag == by_set and by_flag.output == str(tmp_path)
