"""The OpenAI-compatible client against a loopback stub: retries with backoff, fatal statuses, bad bodies."""

from __future__ import annotations

import json
import socket

import pytest

from ecomgpt.generate.teacher.config import HttpTeacher
from ecomgpt.generate.teacher.http import OpenAIClient, RequestFailed, answer_text, backoff
from tests.generate.teacher.stub import StubTeacher


def _cfg(base_url: str, **updates) -> HttpTeacher:
    return HttpTeacher(base_url=base_url, model="stub-teacher", backoff_s=0.5, max_backoff_s=4, **updates)


MESSAGES = [
    {"role": "system", "content": "Answer with one of: a, b."},
    {"role": "user", "content": "Input: x"},
    {"role": "assistant", "content": "a"},
    {"role": "user", "content": "Input: abc"},
]


def test_retries_429_and_5xx_then_answers() -> None:
    slept = []
    with StubTeacher(lambda prompt: f"echo {prompt[-3:]}", failures=[429, 500, 503]) as stub:
        client = OpenAIClient(_cfg(stub.base_url, max_retries=3), "sekret", sleep=slept.append)
        assert client.answer(json.dumps(MESSAGES), 16, 0.0) == "echo abc"
    assert [r["status"] for r in stub.requests] == [429, 500, 503, 200]
    assert client.retries == 3 and slept == [0.0, 0.0, 0.0]  # the stub's Retry-After: 0 is honoured
    body = stub.requests[-1]["body"]
    assert body["model"] == "stub-teacher" and body["temperature"] == 0.0 and body["max_tokens"] == 16
    assert body["messages"] == MESSAGES and body["stop"] == ["### "]  # a chat prompt's turns, as they are
    assert stub.requests[-1]["authorization"] == "Bearer sekret"


def test_completions_api_and_answers_cut_at_the_next_section() -> None:
    with StubTeacher(lambda prompt: " compare prices\n### Instruction: more") as stub:
        client = OpenAIClient(_cfg(stub.base_url, api="completions"), None)
        assert client.answer("p", 8, 0.0) == "compare prices"
    assert stub.requests[0]["path"] == "/v1/completions" and stub.requests[0]["body"]["prompt"] == "p"
    assert stub.requests[0]["authorization"] is None


def test_gives_up_after_its_retries() -> None:
    with StubTeacher(lambda prompt: "never", failures=[500] * 10) as stub:
        client = OpenAIClient(_cfg(stub.base_url, max_retries=2), None, sleep=lambda s: None)
        with pytest.raises(RequestFailed) as err:
            client.answer(json.dumps(MESSAGES), 8, 0.0)
    assert err.value.reason == "http_500" and not err.value.fatal
    assert len(stub.requests) == 3


@pytest.mark.parametrize("status, fatal", [(401, True), (404, True), (400, False)])
def test_client_errors_are_not_retried(status: int, fatal: bool) -> None:
    with StubTeacher(lambda prompt: "never", failures=[status]) as stub:
        client = OpenAIClient(_cfg(stub.base_url, max_retries=3), None, sleep=lambda s: None)
        with pytest.raises(RequestFailed) as err:
            client.answer(json.dumps(MESSAGES), 8, 0.0)
    assert (err.value.reason, err.value.fatal) == (f"http_{status}", fatal)
    assert len(stub.requests) == 1 and "scripted failure" in err.value.detail


def test_a_refused_connection_is_retried_then_fails() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    slept = []
    client = OpenAIClient(_cfg(f"http://127.0.0.1:{port}/v1", max_retries=2), None, sleep=slept.append)
    with pytest.raises(RequestFailed) as err:
        client.answer(json.dumps(MESSAGES), 8, 0.0)
    assert err.value.reason == "connection_error" and len(slept) == 2
    assert 0.5 <= slept[0] <= 0.625 and 1.0 <= slept[1] <= 1.25  # doubling, with up to 25 % jitter


def test_backoff_schedule() -> None:
    cfg = _cfg("http://x")
    assert backoff(cfg, 0, "2", lambda: 0.0) == 2.0
    assert backoff(cfg, 0, "120", lambda: 0.0) == 4.0  # a Retry-After is capped too
    assert backoff(cfg, 5, None, lambda: 1.0) == 5.0  # min(0.5 * 32, 4) * 1.25
    assert backoff(cfg, 1, "Wed, 21 Oct 2015 07:28:00 GMT", lambda: 0.0) == 1.0


@pytest.mark.parametrize("payload", [{}, {"choices": []}, {"choices": [{"message": {"content": None}}]}, []])
def test_bodies_without_an_answer(payload) -> None:
    with pytest.raises(RequestFailed) as err:
        answer_text(_cfg("http://x"), payload)
    assert err.value.reason == "bad_response"


def test_config_checks_the_url() -> None:
    with pytest.raises(ValueError, match="must start with http"):
        HttpTeacher(base_url="localhost:8000/v1", model="m")
