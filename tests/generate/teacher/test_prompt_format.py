"""How a teacher is prompted: the prompt format a model gets, and the local labeller's rendering of chat prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecomgpt.errors import UserError
from ecomgpt.generate.teacher.cache import TeacherIdentity
from ecomgpt.generate.teacher.config import HttpTeacher, LocalTeacher
from ecomgpt.generate.teacher.labellers import LocalLabeller
from ecomgpt.generate.teacher.plan import prompt_format
from ecomgpt.prompts import RESPONSE_STOP

# A chat template that shows every turn's role and content, and opens the assistant's turn.
TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)
MESSAGES = [
    {"role": "system", "content": "Answer with one of: a, b."},
    {"role": "user", "content": "Input: x"},
    {"role": "assistant", "content": "a"},
    {"role": "user", "content": "Input: y"},
]


def _tiny(path: Path, template: str | None) -> Path:
    from transformers import AutoTokenizer

    from ecomgpt.train.tiny import build_tiny_checkpoint

    model = build_tiny_checkpoint(["Input: x a b", "Answer with one of"] * 4, path, vocab_size=300, seed=0)
    if template is not None:
        tokenizer = AutoTokenizer.from_pretrained(model)
        tokenizer.chat_template = template
        tokenizer.save_pretrained(model)
    return model


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    return _tiny(tmp_path_factory.mktemp("plain"), None)


@pytest.fixture(scope="module")
def chat(tmp_path_factory) -> Path:
    return _tiny(tmp_path_factory.mktemp("chat"), TEMPLATE)


def test_http_follows_its_api() -> None:
    http = HttpTeacher(base_url="http://127.0.0.1:9/v1", model="m")
    assert prompt_format(http) == "chat"
    assert prompt_format(http.model_copy(update={"api": "completions"})) == "ecomgpt"


def test_local_auto_is_chat_only_with_a_chat_template_and_never_for_a_checkpoint_trained_here(plain, tmp_path) -> None:
    local = lambda model, fmt="auto": LocalTeacher(model=str(model), prompt_format=fmt)
    assert prompt_format(local(plain)) == "ecomgpt"
    with pytest.raises(UserError, match=r"prompt_format: chat, but the tokenizer of .* has no chat template"):
        prompt_format(local(plain, "chat"))

    model = _tiny(tmp_path / "model", TEMPLATE)
    assert prompt_format(local(model)) == "chat" and prompt_format(local(model, "ecomgpt")) == "ecomgpt"
    (model / "manifest.json").write_text(json.dumps({"stage": "generate"}))  # not a training run's
    assert prompt_format(local(model)) == "chat"
    (model / "manifest.json").write_text(json.dumps({"stage": "train"}))
    assert prompt_format(local(model)) == "ecomgpt" and prompt_format(local(model, "chat")) == "chat"


def test_bad_prompt_format_is_named() -> None:
    with pytest.raises(ValueError, match="prompt_format"):
        LocalTeacher(model="m", prompt_format="xml")


def _labeller(model: Path, fmt: str, tmp_path: Path) -> LocalLabeller:
    teacher = LocalTeacher(model=str(model), prompt_format=fmt)
    return LocalLabeller(
        teacher,
        0.0,
        str(tmp_path / "cache"),
        TeacherIdentity("local", str(model), 0.0, fmt, dtype="auto"),
    )


def test_local_labeller_renders_chat_prompts_with_the_chat_template(chat, tmp_path) -> None:
    labeller = _labeller(chat, "chat", tmp_path)
    assert labeller.prompts([json.dumps(MESSAGES)]) == [
        "<system>Answer with one of: a, b.\n<user>Input: x\n<assistant>a\n<user>Input: y\n<assistant>"
    ]
    assert labeller.stop == ()  # the assistant's turn ends at EOS

    platform = _labeller(chat, "ecomgpt", tmp_path)
    assert platform.prompts(["### Instruction:\nx\n### Response:"]) == ["### Instruction:\nx\n### Response:"]
    assert platform.stop == (RESPONSE_STOP,)


def test_the_prompt_format_is_part_of_the_teacher_identity_and_the_prompts_hash(chat, tmp_path) -> None:
    from ecomgpt.generate.teacher.cache import teacher_id
    from ecomgpt.generate.teacher.config import TeacherConfig
    from ecomgpt.generate.teacher.plan import plan_teacher

    plans = {
        fmt: plan_teacher(TeacherConfig(model=LocalTeacher(model=str(chat), prompt_format=fmt)), str(tmp_path / "out"))
        for fmt in ("auto", "chat", "ecomgpt")
    }
    assert plans["auto"].identity == plans["chat"].identity and plans["chat"].identity.prompt_format == "chat"
    assert plans["ecomgpt"].identity.prompt_format == "ecomgpt"
    assert teacher_id(plans["chat"].identity) != teacher_id(plans["ecomgpt"].identity)  # separate caches
    assert plans["chat"].prompts_hash != plans["ecomgpt"].prompts_hash
