"""The HTTP API: OpenAI-compatible routes, task routes and health, as a FastAPI app.

`build_api` takes the model deployment's handle and the config; the Serve ingress deployment calls it on
each replica. Every refusal is an `ApiError` rendered as an OpenAI-style JSON error body.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from ray.serve.exceptions import BackPressureError
from starlette.exceptions import HTTPException

from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.serve import protocol as proto
from ecomgpt.serve.config import AppConfig, LimitsConfig
from ecomgpt.serve.engine import Completion, GenRequest
from ecomgpt.serve.errors import ApiError, error_body, unknown_model
from ecomgpt.serve.placement import Placement
from ecomgpt.serve.tasks import SERVED_TASKS, parse_request, served_task, task_prompt

OPEN_PATHS = ("/healthz",)  # load balancers probe without a key; it names no model
logger = logging.getLogger("ray.serve")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413, whether or not it declares its length."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    def _too_large(self) -> ApiError:
        return ApiError(f"request body is over the {self.max_bytes}-byte limit", 413, code="body_too_large")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            err = self._too_large() if declared.isdigit() else ApiError("invalid Content-Length header")
            await JSONResponse(err.body(), err.status)(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server enforces the declared length
            return
        # No declared length (chunked): read up to the limit here, then hand the body on.
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                err = self._too_large()
                await JSONResponse(err.body(), err.status)(scope, receive, send)
                return
            more = message.get("more_body", False)
        pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay():
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


async def _json_body(request: Request, limits: LimitsConfig) -> Any:
    """Every route's body goes through the one depth-limited parser (a FastAPI body model would not)."""
    return proto.load_json(await request.body(), limits.max_json_depth)


class Backend:
    """Calls into the model deployment, with the server's timeout, by served model name: the request goes
    to the name's group (the multiplexed model id) and carries the name's adapter in that group."""

    def __init__(self, handle, cfg: AppConfig, placement: Placement) -> None:
        self.handle, self.cfg, self.placement = handle, cfg, placement

    def check_model(self, name: str) -> None:
        if name not in self.cfg.models:
            raise unknown_model(name, list(self.cfg.models))

    def _routed(self, model: str, req: GenRequest) -> tuple[str, GenRequest]:
        self.check_model(model)
        served = self.placement.served[model]
        return served.group, dataclasses.replace(req, adapter=served.adapter)

    def _timeout(self) -> ApiError:
        return ApiError(
            f"the request did not finish within {self.cfg.limits.request_timeout_s}s", 504, "timeout", "timeout"
        )

    async def ready(self) -> bool:
        """Whether a model replica answers within `limits.health_timeout_s`; why not is logged."""
        response = self.handle.ready.remote()
        try:
            return await asyncio.wait_for(_awaited(response), self.cfg.limits.health_timeout_s)
        except asyncio.TimeoutError:
            response.cancel()
            logger.warning("health check: no model replica answered within %ss", self.cfg.limits.health_timeout_s)
        except Exception:  # any failure to reach a replica means "not ready"; the log says which
            logger.exception("health check: the model deployment could not be reached")
        return False

    async def complete(self, model: str, req: GenRequest) -> Completion:
        group, req = self._routed(model, req)
        response = self.handle.options(multiplexed_model_id=group).generate.remote(req)
        try:
            return await asyncio.wait_for(_awaited(response), self.cfg.limits.request_timeout_s)
        except asyncio.TimeoutError:
            response.cancel()
            raise self._timeout() from None
        except BackPressureError:
            raise busy() from None

    async def stream(self, model: str, req: GenRequest):
        """The replica's stream, after its first item (the checks) came back: errors before any byte is sent."""
        group, req = self._routed(model, req)
        gen = self.handle.options(multiplexed_model_id=group, stream=True).stream.remote(req)
        try:
            await asyncio.wait_for(gen.__anext__(), self.cfg.limits.request_timeout_s)
        except asyncio.TimeoutError:
            gen.cancel()
            raise self._timeout() from None
        except BackPressureError:
            raise busy() from None
        return gen


def busy() -> ApiError:
    return ApiError("The server is busy; retry shortly.", 503, "server_error", "server_busy")


async def _awaited(response):
    return await response


async def _events(gen, writer: proto.ChunkWriter, include_usage: bool) -> AsyncIterator[str]:
    try:
        start = writer.start()
        if start:
            yield start
        async for item in gen:
            if isinstance(item, Completion):
                for event in writer.finish(item, include_usage):
                    yield event
            elif item:
                yield writer.piece(item)
    except ApiError as err:
        for event in writer.error(err):
            yield event
    finally:
        gen.cancel()  # a client that left stops the generation on the replica


def _gen_request(req: proto.SamplingRequest, prompt: str, max_tokens: int | None, cfg: AppConfig) -> GenRequest:
    limits = cfg.limits
    tokens = proto.check_sampling(req, max_tokens, limits.default_max_tokens, limits.max_tokens)
    return GenRequest(prompt, tokens, req.temperature, req.top_p, proto.stop_strings(req.stop, limits.max_stop_chars))


def task_generation(prompt: str, max_tokens: int | None, limits: LimitsConfig) -> GenRequest:
    """A task route's generation: greedy, within the token limits, and ending at the prompt format's next
    `### ` section marker, where evaluation cuts its answers too."""
    tokens = limits.default_max_tokens if max_tokens is None else max_tokens
    if not 1 <= tokens <= limits.max_tokens:
        raise ApiError(f"max_tokens must be between 1 and {limits.max_tokens}, got {tokens}", param="max_tokens")
    return GenRequest(prompt, tokens, stop=(RESPONSE_STOP,))


def build_api(cfg: AppConfig, handle, api_key_hash: str | None, placement: Placement) -> FastAPI:
    app = FastAPI(title="ecomgpt", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, max_bytes=cfg.limits.max_body_bytes)
    backend = Backend(handle, cfg, placement)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError):
        return JSONResponse(err.body(), err.status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, err: HTTPException):
        kind = "not_found_error" if err.status_code == 404 else "invalid_request_error"
        return JSONResponse(error_body(str(err.detail), kind), err.status_code, headers=err.headers)

    @app.middleware("http")
    async def _auth(request: Request, call_next):
        if api_key_hash is None or request.url.path in OPEN_PATHS:
            return await call_next(request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key_hash(token.strip()), api_key_hash):
            err = ApiError("Missing or invalid API key (Authorization: Bearer ...).", 401, code="invalid_api_key")
            return JSONResponse(err.body(), err.status, headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    @app.get("/healthz")
    async def healthz():
        """Readiness: a model replica answered. Open to probes, so it names no model."""
        if await backend.ready():
            return {"status": "ok", "model_server": "ready"}
        err = ApiError("no model replica is answering", 503, "server_error", "not_ready")
        return JSONResponse(err.body(), err.status)

    @app.get("/v1/models")
    async def models():
        """Every served name; an adapter with its base model (the base's served name when it is served)."""
        data = []
        for name in sorted(cfg.models):
            entry = {"id": name, "object": "model", "created": 0, "owned_by": "ecomgpt"}
            base = placement.served[name].base
            if base is not None:
                entry["base"] = base
            data.append(entry)
        return {"object": "list", "data": data}

    @app.post("/v1/completions")
    async def completions(request: Request):
        req = proto.validate(proto.CompletionRequest, await _json_body(request, cfg.limits))
        gen = _gen_request(req, proto.completion_prompt(req), req.max_tokens, cfg)
        return await _answer(req, gen, chat=False)

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        req = proto.validate(proto.ChatRequest, await _json_body(request, cfg.limits))
        tokens = req.max_completion_tokens if req.max_completion_tokens is not None else req.max_tokens
        gen = _gen_request(req, proto.chat_prompt(req.messages), tokens, cfg)
        return await _answer(req, gen, chat=True)

    async def _answer(req: proto.SamplingRequest, gen: GenRequest, chat: bool):
        if req.stream:
            stream = await backend.stream(req.model, gen)
            usage = bool(req.stream_options and req.stream_options.include_usage)
            events = _events(stream, proto.ChunkWriter(req.model, chat), usage)
            return StreamingResponse(events, media_type="text/event-stream")
        done = await backend.complete(req.model, gen)
        return (proto.chat_response if chat else proto.completion_response)(req.model, done)

    @app.get("/v1/tasks")
    async def tasks():
        data = [
            {"id": t.name, "object": "task", "fields": sorted(t.request.model_fields)} for t in SERVED_TASKS.values()
        ]
        return {"object": "list", "data": data}

    @app.post("/v1/tasks/{task}")
    async def run_task(task: str, request: Request):
        served = served_task(task)
        req = parse_request(served, await _json_body(request, cfg.limits))
        backend.check_model(req.model)
        prompt = task_prompt(served, req)
        done = await backend.complete(req.model, task_generation(prompt, req.max_tokens, cfg.limits))
        return {
            "task": served.name,
            "model": req.model,
            "answer": served.parse(done.text, req),
            "text": done.text,
            "prompt": prompt,
            "finish_reason": done.finish_reason,
            "usage": {
                "prompt_tokens": done.prompt_tokens,
                "completion_tokens": done.completion_tokens,
                "total_tokens": done.prompt_tokens + done.completion_tokens,
            },
        }

    return app
