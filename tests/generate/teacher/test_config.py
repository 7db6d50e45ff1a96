"""Bad teacher configs fail before any work starts, naming the key."""

from __future__ import annotations

import pytest

from ecomgpt.config import ConfigError, load_config
from ecomgpt.errors import UserError
from ecomgpt.generate.config import GenerateConfig
from ecomgpt.generate.plan import plan_generate
from ecomgpt.models import ModelError
from tests.conftest import REPO

HTTP = {"kind": "http", "base_url": "http://127.0.0.1:9/v1", "model": "m"}


def _load(*sets: str) -> GenerateConfig:
    return load_config(GenerateConfig, None, [], ["inputs=[x]", *sets])


@pytest.mark.parametrize(
    "sets, message",
    [
        (
            ["teacher.model.kind=http", "teacher.model.model=m", "teacher.model.base_url=x"],
            "teacher.model.http.base_url",
        ),
        (
            ["teacher.model.kind=local", "teacher.model.model=m", "teacher.model.bach_size=4"],
            "unknown key 'teacher.model.local.bach_size'",
        ),
        (["teacher.model.kind=local", "teacher.model.model=m", "teacher.modle=x"], "unknown key 'teacher.modle'"),
        (["teacher.model.kind=grpc", "teacher.model.model=m"], "teacher.model"),
        (
            ["teacher.model.kind=local", "teacher.model.model=m", "teacher.tasks=[product.nope]"],
            "unknown pseudo-label tasks ['product.nope']",
        ),
        (["teacher.model.kind=local", "teacher.model.model=m", "teacher.temperature=-1"], "teacher.temperature"),
        (
            [
                "teacher.model.kind=http",
                "teacher.model.model=m",
                "teacher.model.base_url=http://h/v1",
                "teacher.model.concurrency=0",
            ],
            "teacher.model.http.concurrency",
        ),
    ],
)
def test_bad_keys_are_named(sets: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(*sets)
    assert message in str(err.value)


def test_off_by_default_and_the_shipped_example_loads() -> None:
    assert GenerateConfig().teacher is None
    from ecomgpt.config import load_model

    cfg = load_model(GenerateConfig, REPO / "configs" / "generate" / "teacher.yaml")
    assert cfg.teacher.model.kind == "local" and cfg.teacher.model.model == "smollm2-135m-instruct"
    assert cfg.teacher.temperature == 0.0


def test_plan_checks(tmp_path, monkeypatch) -> None:
    (tmp_path / "in.jsonl").write_text(
        '{"data_type": "review", "record_id": "1", "source": "s", "lang": "en", "text": "ok"}\n'
    )
    base = {"inputs": [str(tmp_path / "in.jsonl")], "num_blocks": 1}
    out = str(tmp_path / "out")

    monkeypatch.delenv("TEACHER_KEY", raising=False)
    cfg = GenerateConfig.model_validate({**base, "teacher": {"model": {**HTTP, "api_key_env": "TEACHER_KEY"}}})
    with pytest.raises(UserError, match="environment variable TEACHER_KEY is not set"):
        plan_generate(cfg, out)
    monkeypatch.setenv("TEACHER_KEY", "sk-secret-123")
    plan = plan_generate(cfg, out)
    assert plan.teacher.api_key == "sk-secret-123" and "sk-secret-123" not in repr(plan.teacher)
    assert plan.teacher.cache_dir == out + ".teacher-cache"

    inside = GenerateConfig.model_validate({**base, "teacher": {"model": HTTP, "cache_dir": f"{out}/cache"}})
    with pytest.raises(UserError, match="lies inside the output"):
        plan_generate(inside, out)
    missing = GenerateConfig.model_validate(
        {**base, "teacher": {"model": {"kind": "local", "model": str(tmp_path / "nope")}}}
    )
    with pytest.raises(ModelError, match="teacher.model.model .*nope: no such directory"):
        plan_generate(missing, out)
    named = GenerateConfig.model_validate({**base, "tasks": ["query.intent_classification"]})
    with pytest.raises(
        UserError, match=r"pseudo-label tasks \['query.intent_classification'\]: list them under teacher.tasks"
    ):
        plan_generate(named, out)


def test_the_tasks_command_lists_pseudo_tasks_with_their_kind(capsys) -> None:
    from ecomgpt.cli import main

    main(["tasks"])
    lines = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()}
    assert lines["query.intent_classification"] == "pseudo" and lines["review.sentiment_classification"] == "golden"
    assert sum(kind == "pseudo" for kind in lines.values()) == 5
