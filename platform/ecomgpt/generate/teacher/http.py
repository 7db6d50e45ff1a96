"""A minimal OpenAI-compatible client for teachers behind HTTP: one labelling prompt, one answer.

Policy, per request:
- 429, 408, any 5xx, a refused or dropped connection and a timeout are retried, up to `max_retries` times,
  after `backoff_s * 2**attempt` seconds (at most `max_backoff_s`, with up to 25 % jitter), or after the
  server's `Retry-After` when it gives one (also capped);
- any other 4xx is not retried: the request fails with `http_<status>`. 401, 403 and 404 mean the key,
  the account or the model is wrong for every request, so they are *fatal*: the labeller stops asking;
- a 2xx whose body is not an OpenAI response fails with `bad_response`.
A request that still fails is a `RequestFailed(reason)`; the stage counts it and decides (`max_failed`).
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ecomgpt.generate.teacher.config import HttpTeacher
from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.runner import apply_stop
from ecomgpt.tasks.pseudo.registry import prompt_messages

FATAL = (401, 403, 404)
# No answer at all: refused, reset or dropped connections, broken responses, timeouts.
NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError)
_BODY_EXCERPT = 200


class RequestFailed(Exception):
    def __init__(self, reason: str, detail: str = "", fatal: bool = False) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.fatal = fatal


def retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


def backoff(cfg: HttpTeacher, attempt: int, retry_after: str | None, rand: Callable[[], float]) -> float:
    """Seconds to wait before retry `attempt` (0-based)."""
    if retry_after is not None:
        try:
            return min(max(0.0, float(retry_after)), cfg.max_backoff_s)
        except ValueError:
            pass  # an HTTP date: fall back to our own schedule
    delay = min(cfg.backoff_s * 2**attempt, cfg.max_backoff_s)
    return delay * (1 + 0.25 * rand())


def request_body(cfg: HttpTeacher, prompt: str, max_tokens: int, temperature: float) -> dict:
    """The request of one labelling prompt: for `api: chat` the prompt is a `chat` request's messages (JSON,
    `tasks.pseudo.registry.teacher_prompt`), for `completions` the platform prompt text."""
    body = {"model": cfg.model, "max_tokens": max_tokens, "temperature": temperature, "stop": [RESPONSE_STOP]}
    if cfg.api == "chat":
        body["messages"] = prompt_messages(prompt)
    else:
        body["prompt"] = prompt
    return body


def answer_text(cfg: HttpTeacher, payload: Any) -> str:
    """The answer of an OpenAI response body; `bad_response` when the body has none."""
    try:
        choice = payload["choices"][0]
        text = choice["message"]["content"] if cfg.api == "chat" else choice["text"]
    except (KeyError, IndexError, TypeError):
        raise RequestFailed("bad_response", f"no choices[0] answer in {str(payload)[:_BODY_EXCERPT]!r}") from None
    if not isinstance(text, str):
        raise RequestFailed("bad_response", f"answer is {type(text).__name__}, not text")
    return apply_stop(text, (RESPONSE_STOP,))[0].strip()


class OpenAIClient:
    def __init__(self, cfg: HttpTeacher, api_key: str | None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self.url = f"{cfg.base_url}/{'chat/completions' if cfg.api == 'chat' else 'completions'}"
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.sleep = sleep
        self.rand = random.Random(0).random
        self.retries = 0  # retries made, over all requests (requests run in threads)
        self._lock = threading.Lock()

    def answer(self, prompt: str, max_tokens: int, temperature: float) -> str:
        data = json.dumps(request_body(self.cfg, prompt, max_tokens, temperature)).encode()
        for attempt in range(self.cfg.max_retries + 1):
            last = attempt == self.cfg.max_retries
            try:
                return answer_text(self.cfg, self._post(data))
            except urllib.error.HTTPError as err:
                status = err.code
                detail = err.read()[:_BODY_EXCERPT].decode("utf-8", "replace")
                if not retryable(status) or last:
                    raise RequestFailed(f"http_{status}", detail, fatal=status in FATAL) from None
                delay = backoff(self.cfg, attempt, err.headers.get("Retry-After"), self.rand)
            except NETWORK_ERRORS as err:
                if last:
                    raise RequestFailed("connection_error", str(getattr(err, "reason", err))) from None
                delay = backoff(self.cfg, attempt, None, self.rand)
            with self._lock:
                self.retries += 1
            self.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _post(self, data: bytes) -> object:
        request = urllib.request.Request(self.url, data=data, headers=self.headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.cfg.timeout_s) as response:
            body = response.read()
        try:
            return json.loads(body)
        except ValueError:
            raise RequestFailed("bad_response", f"not JSON: {body[:_BODY_EXCERPT]!r}") from None
