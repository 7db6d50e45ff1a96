"""The application on a real Ray Serve on the session's local Ray: every route, streaming, two
multiplexed checkpoints, batching under concurrency, auth and every bad-input case.

Serve starts once for the module and shuts down at its end, so other tests find a clean Ray.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ecomgpt.serve.config import AppConfig
from ecomgpt.serve.tasks import SERVED_TASKS, served_task, task_prompt
from tests.conftest import stop_serve
from tests.serve.conftest import free_port, replica_counters

KEY = "test-key-123"
KEY_ENV = "ECOMGPT_TEST_SERVE_KEY"
TIMEOUT = 60  # a hung request fails the test instead of blocking the suite
LIMITS = {"max_body_bytes": 20_000, "max_tokens": 16, "default_max_tokens": 4, "max_context_tokens": 256}


@pytest.fixture(scope="module")
def base(ray_local, checkpoints):
    import os

    from ray import serve

    from ecomgpt.serve.app import build_from_config

    os.environ[KEY_ENV] = KEY
    cfg = AppConfig(
        models=checkpoints,
        auth_env=KEY_ENV,
        model={
            "num_cpus": 1,
            "batching": {"max_batch_size": 8, "batch_wait_timeout_s": 0.05, "max_concurrent_streams": 2},
        },
        gateway={"num_cpus": 0.1},
        limits=LIMITS,
    )
    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(build_from_config(cfg), name="ecomgpt-test", route_prefix="/")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_serve()
        os.environ.pop(KEY_ENV, None)


@pytest.fixture(scope="module")
def http():
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    return session


def post(http, base, path, body, **kwargs):
    return http.post(base + path, json=body, timeout=TIMEOUT, **kwargs)


def completion(http, base, **body):
    body = {"model": "tiny-a", "prompt": "red running shoes", "max_tokens": 4, "temperature": 0, **body}
    response = post(http, base, "/v1/completions", body)
    assert response.status_code == 200, response.text
    return response.json()


def sse(response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return [line[len("data: ") :] for line in response.iter_lines(decode_unicode=True) if line]


def assert_error(response, status: int, code: str | None = None, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["type"]
    if code is not None:
        assert error["code"] == code
    if param is not None:
        assert error["param"] == param
    return error


# ---- health, auth, models ----------------------------------------------------------------------


def test_healthz_needs_no_key_reaches_a_model_replica_and_names_no_model(base):
    before = batching_counters()["ready_checks"]
    response = requests.get(base + "/healthz", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_server": "ready"}
    assert "tiny" not in response.text
    assert batching_counters()["ready_checks"] == before + 1


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", f"Basic {KEY}", "Bearer"])
def test_missing_or_wrong_key_is_401(base, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(base + "/v1/models", headers=headers, timeout=TIMEOUT)
    assert_error(response, 401, code="invalid_api_key")


def test_models_lists_every_checkpoint(http, base):
    body = http.get(base + "/v1/models", timeout=TIMEOUT).json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["tiny-a", "tiny-b"]
    assert all(m["object"] == "model" for m in body["data"])


# ---- completions and chat ------------------------------------------------------------------------


def test_completion_follows_the_openai_schema(http, base):
    body = completion(http, base, max_tokens=3)
    assert body["object"] == "text_completion" and body["model"] == "tiny-a" and body["id"].startswith("cmpl-")
    (choice,) = body["choices"]
    assert choice["index"] == 0 and isinstance(choice["text"], str)
    assert choice["finish_reason"] in ("stop", "length")
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and 0 <= usage["completion_tokens"] <= 3
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_greedy_completion_is_deterministic_and_default_max_tokens_applies(http, base):
    first = completion(http, base, max_tokens=None)
    second = completion(http, base, max_tokens=None)
    assert first["choices"][0]["text"] == second["choices"][0]["text"]
    assert first["usage"]["completion_tokens"] <= LIMITS["default_max_tokens"]


def test_sampling_and_stop_strings_are_accepted(http, base):
    body = completion(http, base, temperature=0.8, top_p=0.9, stop=["\n", "###"], prompt=["one prompt"])
    text = body["choices"][0]["text"]
    assert "\n" not in text and "###" not in text


def test_chat_completion_follows_the_openai_schema(http, base):
    messages = [
        {"role": "system", "content": "Answer as a shop agent."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": [{"type": "text", "text": "do you sell red shoes?"}]},
    ]
    response = post(http, base, "/v1/chat/completions", {"model": "tiny-b", "messages": messages, "max_tokens": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "tiny-b"
    (choice,) = body["choices"]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert body["usage"]["completion_tokens"] <= 3


def test_two_multiplexed_models_answer_with_their_own_checkpoint(http, base):
    a = completion(http, base, model="tiny-a")
    b = completion(http, base, model="tiny-b")
    assert (a["model"], b["model"]) == ("tiny-a", "tiny-b")
    # The two checkpoints have different tokenizers, so the same prompt has different lengths.
    assert a["usage"]["prompt_tokens"] != b["usage"]["prompt_tokens"]


def batching_counters() -> dict:
    return replica_counters("ecomgpt-test", TIMEOUT)


def test_concurrent_requests_are_batched_and_all_answered(http, base):
    before = batching_counters()
    prompts = [f"query {i} red shoes" for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        bodies = list(
            pool.map(lambda p: completion(http, base, prompt=p, model=("tiny-a", "tiny-b")[len(p) % 2]), prompts)
        )
    assert len(bodies) == 12 and all(b["choices"][0]["finish_reason"] in ("stop", "length") for b in bodies)
    after = batching_counters()
    assert after["requests"] - before["requests"] == 12
    assert after["batches"] - before["batches"] < 12  # some requests shared a generate call
    assert after["largest_batch"] > 1


# ---- streaming -------------------------------------------------------------------------------------


def test_streamed_completion_matches_the_plain_one_and_ends_with_done(http, base):
    plain = completion(http, base, max_tokens=6)
    body = {
        "model": "tiny-a",
        "prompt": "red running shoes",
        "max_tokens": 6,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    events = sse(post(http, base, "/v1/completions", body, stream=True))
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "text_completion" and c["model"] == "tiny-a" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    text = "".join(c["choices"][0]["text"] for c in chunks if c["choices"])
    assert text == plain["choices"][0]["text"]
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finish == [plain["choices"][0]["finish_reason"]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == plain["usage"]


def test_streamed_chat_opens_with_the_role_and_ends_with_done(http, base):
    body = {"model": "tiny-b", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 4, "stream": True}
    events = sse(post(http, base, "/v1/chat/completions", body, stream=True))
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    assert "usage" not in chunks[-1]


def test_concurrent_streams_are_bounded_per_replica_and_all_answered(http, base):
    before = batching_counters()
    body = {"model": "tiny-a", "prompt": "red running shoes", "max_tokens": 8, "temperature": 0, "stream": True}
    with ThreadPoolExecutor(6) as pool:
        runs = list(pool.map(lambda _: sse(post(http, base, "/v1/completions", body, stream=True)), range(6)))
    assert all(events[-1] == "[DONE]" for events in runs)
    after = batching_counters()
    assert after["streams"] - before["streams"] == 6
    assert after["most_streams"] <= 2  # batching.max_concurrent_streams


def test_a_streamed_request_is_refused_before_the_stream_starts(http, base):
    body = {"model": "tiny-a", "prompt": "word " * 400, "max_tokens": 4, "stream": True}
    assert_error(post(http, base, "/v1/completions", body), 400, code="context_length_exceeded")


# ---- task endpoints ---------------------------------------------------------------------------------

TASK_BODIES = {
    "attribute_extraction": ({"title": "Nike red cotton T-Shirt", "attributes": ["color", "material"]}, {"attributes"}),
    "category_classification": (
        {"title": "Nike red cotton T-Shirt", "attributes": {"color": "red"}, "candidates": ["Clothing", "Books"]},
        {"label", "in_candidates"},
    ),
    "review_sentiment": ({"text": "great shoes, fast shipping"}, {"label", "sentiment"}),
    "query_item_matching": (
        {"query": "red running shoes", "item": "Nike Air Zoom running shoe red"},
        {"label", "match"},
    ),
    "title_generation": ({"attributes": {"color": "red", "material": "cotton"}, "brand": "Nike"}, {"title"}),
}


def test_every_served_task_has_a_test_body():
    assert set(TASK_BODIES) == set(SERVED_TASKS)


@pytest.mark.parametrize("task", sorted(TASK_BODIES))
def test_task_returns_the_parsed_answer_next_to_the_raw_text(http, base, task):
    fields, keys = TASK_BODIES[task]
    response = post(http, base, f"/v1/tasks/{task}", {"model": "tiny-a", **fields})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["task"] == task and body["model"] == "tiny-a" and isinstance(body["text"], str)
    assert set(body["answer"]) == keys
    served = served_task(task)
    assert body["prompt"] == task_prompt(served, served.request.model_validate({"model": "tiny-a", **fields}))
    assert body["usage"]["completion_tokens"] <= LIMITS["default_max_tokens"]


def test_attribute_extraction_answers_every_asked_attribute(http, base):
    fields, _ = TASK_BODIES["attribute_extraction"]
    body = post(http, base, "/v1/tasks/attribute_extraction", {"model": "tiny-b", "lang": "zh", **fields}).json()
    assert set(body["answer"]["attributes"]) == {"color", "material"}
    assert "从上述商品标题中抽取" in body["prompt"]


def test_task_list(http, base):
    body = http.get(base + "/v1/tasks", timeout=TIMEOUT).json()
    assert {t["id"] for t in body["data"]} == set(SERVED_TASKS)


@pytest.mark.parametrize(
    "path, body, status, param",
    [
        ("/v1/tasks/no_such_task", {"model": "tiny-a"}, 404, None),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a"}, 400, "text"),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": 5}, 400, "text"),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": "  "}, 400, "text"),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": "ok", "colour": "red"}, 400, "colour"),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": "ok", "template": 7}, 400, "template"),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": "ok", "lang": "fr"}, 400, "lang"),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": "ok", "max_tokens": 0}, 400, "max_tokens"),
        ("/v1/tasks/review_sentiment", {"model": "nope", "text": "ok"}, 404, "model"),
        ("/v1/tasks/review_sentiment", ["not", "an", "object"], 400, None),
        (
            "/v1/tasks/category_classification",
            {"model": "tiny-a", "title": "t", "candidates": ["a"]},
            400,
            "candidates",
        ),
        ("/v1/tasks/review_sentiment", {"model": "tiny-a", "text": "word " * 400}, 400, "prompt"),
    ],
)
def test_bad_task_requests_are_4xx(http, base, path, body, status, param):
    assert_error(post(http, base, path, body), status, param=param)


# ---- bad input on the OpenAI routes --------------------------------------------------------------------

OK = {"model": "tiny-a", "prompt": "red shoes", "max_tokens": 2}
CHAT_OK = {"model": "tiny-a", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


@pytest.mark.parametrize(
    "path, body, status, code, param",
    [
        ("/v1/completions", {**OK, "model": "gpt-4"}, 404, "model_not_found", "model"),
        ("/v1/chat/completions", {**CHAT_OK, "model": "gpt-4"}, 404, "model_not_found", "model"),
        ("/v1/completions", {"prompt": "red shoes"}, 400, None, "model"),
        ("/v1/completions", {"model": "tiny-a"}, 400, None, "prompt"),
        ("/v1/chat/completions", {"model": "tiny-a"}, 400, None, "messages"),
        ("/v1/completions", {**OK, "max_tokens": "2"}, 400, None, "max_tokens"),
        ("/v1/completions", {**OK, "temperature": "hot"}, 400, None, "temperature"),
        ("/v1/completions", {**OK, "prompt": 42}, 400, None, None),
        ("/v1/completions", {**OK, "stream": "yes"}, 400, None, "stream"),
        ("/v1/chat/completions", {**CHAT_OK, "messages": "hi"}, 400, None, "messages"),
        ("/v1/chat/completions", {**CHAT_OK, "messages": [{"role": "robot", "content": "hi"}]}, 400, None, None),
        ("/v1/completions", {**OK, "prompt": ""}, 400, None, "prompt"),
        ("/v1/completions", {**OK, "prompt": "   "}, 400, None, "prompt"),
        ("/v1/completions", {**OK, "prompt": []}, 400, None, "prompt"),
        ("/v1/chat/completions", {**CHAT_OK, "messages": []}, 400, None, "messages"),
        ("/v1/chat/completions", {**CHAT_OK, "messages": [{"role": "user", "content": ""}]}, 400, None, "messages"),
        (
            "/v1/chat/completions",
            {**CHAT_OK, "messages": [{"role": "assistant", "content": "hi"}]},
            400,
            None,
            "messages",
        ),
        ("/v1/completions", {**OK, "prompt": "word " * 400}, 400, "context_length_exceeded", "prompt"),
        (
            "/v1/chat/completions",
            {**CHAT_OK, "messages": [{"role": "user", "content": "word " * 400}]},
            400,
            "context_length_exceeded",
            "prompt",
        ),
        ("/v1/completions", {**OK, "max_tokens": 0}, 400, None, "max_tokens"),
        ("/v1/completions", {**OK, "max_tokens": -1}, 400, None, "max_tokens"),
        ("/v1/completions", {**OK, "max_tokens": 17}, 400, None, "max_tokens"),
        ("/v1/chat/completions", {**CHAT_OK, "max_completion_tokens": 10**9}, 400, None, "max_tokens"),
        ("/v1/completions", {**OK, "temperature": 5}, 400, None, "temperature"),
        ("/v1/completions", {**OK, "top_p": 0}, 400, None, "top_p"),
        ("/v1/completions", {**OK, "n": 2}, 400, None, "n"),
        ("/v1/completions", {**OK, "stop": ["a", "b", "c", "d", "e"]}, 400, None, "stop"),
        ("/v1/completions", {**OK, "stop": ["x" * 5_000]}, 400, None, "stop"),
        ("/v1/chat/completions", {**CHAT_OK, "stop": "x" * 129}, 400, None, "stop"),
        ("/v1/completions", [1, 2, 3], 400, None, None),
    ],
)
def test_bad_requests_are_4xx_with_an_openai_error_body(http, base, path, body, status, code, param):
    assert_error(post(http, base, path, body), status, code=code, param=param)


def test_malformed_json_is_400(http, base):
    for path in ("/v1/completions", "/v1/chat/completions", "/v1/tasks/review_sentiment"):
        response = http.post(
            base + path,
            data=b'{"model": "tiny-a", "prompt": ',
            timeout=TIMEOUT,
            headers={"Content-Type": "application/json"},
        )
        assert_error(response, 400, code="invalid_json")


@pytest.mark.parametrize("path", ["/v1/completions", "/v1/chat/completions", "/v1/tasks/review_sentiment"])
def test_a_body_nested_5000_deep_is_400(http, base, path):
    raw = b'{"model": "tiny-a", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = http.post(base + path, data=raw, timeout=TIMEOUT, headers={"Content-Type": "application/json"})
    assert_error(response, 400, code="json_too_deep")


def test_body_over_the_limit_is_413_with_or_without_a_length(http, base):
    big = {**OK, "prompt": "x" * 30_000}
    assert_error(post(http, base, "/v1/completions", big), 413, code="body_too_large")
    data = json.dumps(big).encode()
    chunks = iter([data[i : i + 4096] for i in range(0, len(data), 4096)])  # no length: chunked encoding
    response = http.post(
        base + "/v1/completions", data=chunks, timeout=TIMEOUT, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, code="body_too_large")


def test_unknown_route_and_method_are_openai_errors(http, base):
    assert_error(http.get(base + "/v1/nothing", timeout=TIMEOUT), 404)
    assert_error(http.get(base + "/v1/completions", timeout=TIMEOUT), 405)


def test_the_server_still_answers_after_the_bad_requests(http, base):
    assert completion(http, base)["choices"][0]["finish_reason"] in ("stop", "length")
