"""The OpenAI request and response schemas the server speaks, and the chat-to-prompt rendering.

Requests are validated strictly (a string where a number belongs is refused, not coerced); fields the
OpenAI API defines but this server does not use (`user`, `seed`, penalties ...) are ignored, so stock
OpenAI clients work unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ecomgpt.prompts import render_prompt
from ecomgpt.serve.engine import Completion
from ecomgpt.serve.errors import ApiError

MAX_STOP = 4
_Model = TypeVar("_Model", bound=BaseModel)


class StrictRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class StreamOptions(StrictRequest):
    include_usage: bool = Field(default=False, description="send a last chunk with the usage counts")


class SamplingRequest(StrictRequest):
    model: str = Field(description="served model name (see GET /v1/models)")
    max_tokens: int | None = Field(default=None, description="most tokens to generate")
    temperature: float = Field(default=1.0, ge=0, le=2, description="0: greedy decoding")
    top_p: float = Field(default=1.0, gt=0, le=1, description="nucleus sampling mass")
    stop: str | list[str] | None = Field(default=None, description="up to 4 strings that end the answer")
    n: int = Field(default=1, description="completions per prompt; only 1 is supported")
    stream: bool = Field(default=False, description="send server-sent events as tokens are generated")
    stream_options: StreamOptions | None = Field(default=None, description="streaming options")


class CompletionRequest(SamplingRequest):
    prompt: str | list[str] = Field(description="the prompt (a list must hold exactly one string)")


class ChatMessage(StrictRequest):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[dict] = Field(description="text, or a list of {'type': 'text', 'text': ...} parts")


class ChatRequest(SamplingRequest):
    messages: list[ChatMessage] = Field(description="the conversation, oldest first")
    max_completion_tokens: int | None = Field(default=None, description="newer name of max_tokens")


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def load_json(raw: bytes, max_depth: int) -> Any:
    """A request body parsed as JSON; malformed or nested deeper than `max_depth` is a 400."""
    too_deep = ApiError(f"the JSON body nests deeper than {max_depth} levels", code="json_too_deep")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError("We could not parse the JSON body of your request.", code="invalid_json") from None
    except RecursionError:  # the parser's own limit, far above max_depth
        raise too_deep from None
    if json_depth(body) > max_depth:
        raise too_deep
    return body


def validate(model: type[_Model], body: Any) -> _Model:
    """`model` from a parsed JSON body; a validation error becomes a 400 naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(f"{where}: {first['msg']}", param=where) from None


def stop_strings(stop: str | list[str] | None, max_chars: int) -> tuple[str, ...]:
    """The request's stop strings: at most MAX_STOP, each non-empty and at most `max_chars` long (every
    generated token is matched against each of them)."""
    items = [stop] if isinstance(stop, str) else list(stop or [])
    if len(items) > MAX_STOP or any(not s for s in items):
        raise ApiError(f"stop takes up to {MAX_STOP} non-empty strings", param="stop")
    if any(len(s) > max_chars for s in items):
        raise ApiError(f"each stop string must be at most {max_chars} characters long", param="stop")
    return tuple(items)


def check_sampling(req: SamplingRequest, max_tokens: int | None, default: int, limit: int) -> int:
    """The request's max_tokens, checked against the server's limit; n must be 1."""
    if req.n != 1:
        raise ApiError("Only n=1 is supported.", param="n")
    value = default if max_tokens is None else max_tokens
    if not 1 <= value <= limit:
        raise ApiError(f"max_tokens must be between 1 and {limit}, got {value}", param="max_tokens")
    return value


def completion_prompt(req: CompletionRequest) -> str:
    prompt = req.prompt
    if isinstance(prompt, list):
        if len(prompt) != 1:
            raise ApiError("prompt must be a string or a list of exactly one string", param="prompt")
        prompt = prompt[0]
    if not prompt.strip():
        raise ApiError("prompt must not be empty", param="prompt")
    return prompt


def _text(content: str | list[dict], index: int) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if part.get("type") != "text" or not isinstance(part.get("text"), str):
            raise ApiError("only text content parts are supported", param=f"messages.{index}.content")
        parts.append(part["text"])
    return "".join(parts)


# Chat is rendered like the platform's own response-generation task, so a chat reads as the model
# was trained: the turns as "User: ..." / "Agent: ..." lines, then the instruction.
CHAT_DEFINITION = "response generation"
CHAT_INSTRUCTION = "Continue the conversation above with the shop agent's next reply."
_ROLE_NAMES = {"user": "User", "assistant": "Agent"}


def chat_prompt(messages: list[ChatMessage]) -> str:
    """The prompt for a conversation; system (or developer) messages replace the default instruction."""
    if not messages:
        raise ApiError("messages must hold at least one message", param="messages")
    turns, system = [], []
    for i, message in enumerate(messages):
        text = _text(message.content, i)
        if message.role in ("system", "developer"):
            system.append(text)
        else:
            turns.append(f"{_ROLE_NAMES[message.role]}: {text}")
    if messages[-1].role != "user":
        raise ApiError("the last message must come from the user", param="messages")
    if not _text(messages[-1].content, len(messages) - 1).strip():
        raise ApiError("the last user message must not be empty", param="messages")
    instruction = "\n".join(system) if system else CHAT_INSTRUCTION
    return render_prompt(CHAT_DEFINITION, instruction, "\n".join(turns))


def _usage(c: Completion) -> dict:
    return {
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "total_tokens": c.prompt_tokens + c.completion_tokens,
    }


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def completion_response(model: str, c: Completion) -> dict:
    return {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": c.text, "logprobs": None, "finish_reason": c.finish_reason}],
        "usage": _usage(c),
    }


def chat_response(model: str, c: Completion) -> dict:
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": c.text}, "finish_reason": c.finish_reason}
        ],
        "usage": _usage(c),
    }


class ChunkWriter:
    """Server-sent events of one streamed completion or chat completion, in OpenAI's chunk format."""

    def __init__(self, model: str, chat: bool) -> None:
        self.model, self.chat = model, chat
        self.id = new_id("chatcmpl" if chat else "cmpl")
        self.created = int(time.time())

    def _event(self, choices: list[dict], **extra) -> str:
        obj = "chat.completion.chunk" if self.chat else "text_completion"
        body = {"id": self.id, "object": obj, "created": self.created, "model": self.model, "choices": choices}
        return f"data: {json.dumps({**body, **extra}, ensure_ascii=False)}\n\n"

    def _choice(self, text: str | None, finish: str | None) -> dict:
        if self.chat:
            delta = {} if text is None else {"content": text}
            return {"index": 0, "delta": delta, "finish_reason": finish}
        return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}

    def start(self) -> str | None:
        """Chat streams open with the assistant role."""
        if not self.chat:
            return None
        return self._event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])

    def piece(self, text: str) -> str:
        return self._event([self._choice(text, None)])

    def finish(self, c: Completion, include_usage: bool) -> list[str]:
        events = [self._event([self._choice(None, c.finish_reason)])]
        if include_usage:
            events.append(self._event([], usage=_usage(c)))
        return events + ["data: [DONE]\n\n"]

    def error(self, err: ApiError) -> list[str]:
        return [f"data: {json.dumps(err.body(), ensure_ascii=False)}\n\n", "data: [DONE]\n\n"]
