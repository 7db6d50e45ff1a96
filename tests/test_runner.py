"""The one model runner: evaluation's actor, the local teacher's and the Serve engine answer alike, stop at the
section marker, and every stage checks a checkpoint the same way."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecomgpt import models
from ecomgpt.config import ConfigError
from ecomgpt.evaluate.config import EvaluateConfig, GenerationConfig
from ecomgpt.evaluate.generation import AnswerGenerator
from ecomgpt.evaluate.run import run_evaluate
from ecomgpt.generate.teacher.cache import AnswerCache, TeacherIdentity
from ecomgpt.generate.teacher.config import LocalTeacher
from ecomgpt.generate.teacher.labellers import LocalLabeller
from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.runner import AnswerActor, ModelRunner, generate_calls, torch_dtype
from ecomgpt.serve.app import build_from_config
from ecomgpt.serve.config import AppConfig, ModelDeploymentConfig
from ecomgpt.serve.engine import GenRequest, TransformersModel
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.run import check_model_source
from tests.conftest import SECTION_ANSWER

BUDGET = 32


def test_generation_ends_at_a_stop_string_and_is_cut_before_it(section_writer):
    prompt, writer = section_writer
    runner = ModelRunner(writer)
    ids = runner.encode([prompt])
    (plain,) = runner.generate(ids, [BUDGET])
    assert plain.decoded.startswith(f" {SECTION_ANSWER}\n### Instruction") and not plain.stopped
    (stopped,) = runner.generate(ids, [BUDGET], stop=(RESPONSE_STOP,))
    assert stopped.text.strip() == SECTION_ANSWER and stopped.cut and stopped.stopped
    assert len(stopped.tokens) < len(plain.tokens) == BUDGET  # generation ended there, not only the text


def test_evaluation_and_serving_give_the_same_answer(section_writer):
    prompt, writer = section_writer
    batch = {"prompt": np.array([prompt], dtype=object), "max_new_tokens": np.array([BUDGET])}
    evaluated = AnswerGenerator(writer, GenerationConfig(num_cpus=1))(batch)
    served = TransformersModel("w", writer, dtype="auto", use_gpu=False, max_context=512)
    request = GenRequest(prompt, BUDGET, stop=(RESPONSE_STOP,))
    (completion,) = served.generate([served.encode(prompt, BUDGET)], [request])
    assert evaluated["prediction"][0] == completion.text.strip() == SECTION_ANSWER
    assert evaluated["new_tokens"][0] < BUDGET and completion.finish_reason == "stop"


def test_evaluation_and_the_local_teacher_share_one_answer_actor(section_writer, tmp_path):
    prompt, writer = section_writer
    batch = {"prompt": np.array([prompt], dtype=object), "max_new_tokens": np.array([BUDGET])}
    evaluator = AnswerGenerator(writer, GenerationConfig(num_cpus=1))
    identity = TeacherIdentity("local", writer, 0.0, "ecomgpt", dtype="auto")
    cache = str(tmp_path / "cache")
    labeller = LocalLabeller(LocalTeacher(model=writer, prompt_format="ecomgpt"), 0.0, cache, identity)
    assert isinstance(evaluator, AnswerActor) and isinstance(labeller, AnswerActor)
    keys = {"cache_key": np.array(["ab12"], dtype=object), "task": np.array(["t"], dtype=object)}
    labelled = labeller({**batch, **keys})
    assert labelled["answer"][0] == evaluator(batch)["prediction"][0] == SECTION_ANSWER
    assert AnswerCache(cache, identity).get("ab12") == SECTION_ANSWER  # cached as it arrived


def test_one_dtype_policy_for_evaluation_and_serving():
    assert torch_dtype("auto", on_gpu=False, native=False) == torch.float32
    assert torch_dtype("auto", on_gpu=False, native=True) == torch.bfloat16
    assert torch_dtype("auto", on_gpu=True, native=True) == torch.bfloat16
    assert torch_dtype("auto", on_gpu=True, native=False) == torch.float32
    assert torch_dtype("float16", on_gpu=False) == torch.float16
    assert torch_dtype("float32", on_gpu=False, native=True) == torch.float32
    assert GenerationConfig().dtype == ModelDeploymentConfig().dtype == "auto"


@pytest.fixture
def pickled_checkpoint(tmp_path) -> str:
    """A Hugging Face directory whose weights are pickled, not safetensors."""
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    return str(tmp_path)


def test_every_stage_checks_a_checkpoint_the_same_way(pickled_checkpoint, tmp_path):
    with pytest.raises(models.ModelError, match="no safetensors weights"):
        models.check(pickled_checkpoint)
    with pytest.raises(ConfigError, match="no safetensors weights"):
        build_from_config(AppConfig(models={"m": pickled_checkpoint}))
    # (the command's message for it: tests/evaluate/test_run.py)
    evaluate = EvaluateConfig(model=pickled_checkpoint, heldout_dir=str(tmp_path), output=str(tmp_path / "out"))
    with pytest.raises(models.ModelError, match="no safetensors weights"):
        run_evaluate(evaluate)
    assert not (tmp_path / "out").exists()
    with pytest.raises(models.ModelError, match="no safetensors weights"):
        check_model_source(TrainConfig(model={"name_or_path": pickled_checkpoint}))
    (tmp_path / "model.safetensors.index.json").write_text("{}")  # a sharded checkpoint's index is enough
    models.check(pickled_checkpoint)


def test_generate_calls_group_by_budget_and_fit_the_token_cap():
    lengths = [100, 900, 120, 500, 110, 3000, 80]
    budgets = [16, 16, 16, 16, 64, 16, 64]
    calls = generate_calls(lengths, budgets, 1000)
    assert sorted(i for rows, _ in calls for i in rows) == list(range(7))
    assert [budgets[i] for rows, budget in calls for i in rows] == [budget for rows, budget in calls for _ in rows]
    for rows, _ in calls:
        assert len(rows) == 1 or len(rows) * max(lengths[i] for i in rows) <= 1000
    assert ([0, 2], 16) in calls and ([5], 16) in calls and ([6, 4], 64) in calls
