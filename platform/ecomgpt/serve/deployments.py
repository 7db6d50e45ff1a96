"""The two Serve deployments: `ModelServer` (multiplexed checkpoints, dynamic batching) and `Gateway` (HTTP).

A multiplexed model id is a group of `ecomgpt.serve.placement`: a checkpoint, or a base model with its
LoRA adapters, loaded once per replica and answered together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from ray import serve

from ecomgpt.serve.api import build_api
from ecomgpt.serve.config import AppConfig
from ecomgpt.serve.engine import Completion, GenRequest, TransformersModel
from ecomgpt.serve.errors import ApiError, unknown_model
from ecomgpt.serve.placement import Placement

# Serve writes this logger's records into the replica's log file.
logger = logging.getLogger("ray.serve")


@dataclass(frozen=True)
class Job:
    model: TransformersModel
    prompt: list[int]
    request: GenRequest


def groups(jobs: list[Job]) -> dict[int, list[int]]:
    """Indices of the jobs one `generate` call serves together: those of one loaded model (a checkpoint, or
    a base model with its adapters). Sampling settings, stop strings and adapters apply per row, so a batch
    makes at most one call per loaded model (`max_models_per_replica`), whatever its requests ask for."""
    by_model: dict[int, list[int]] = {}
    for i, job in enumerate(jobs):
        by_model.setdefault(id(job.model), []).append(i)
    return by_model


def load_model(name: str, cfg: AppConfig, placement: Placement) -> TransformersModel:
    """The group `name` (a served model's group id), loaded on this replica: its base model and adapters.

    A failure is logged here in full; the client gets a message that names only the served model, never
    the checkpoint's path, cache directory or bucket.
    """
    if name not in placement.groups:
        raise unknown_model(name, list(cfg.models))
    group, m = placement.groups[name], cfg.model
    try:
        return TransformersModel(
            name,
            group.base,
            dtype=m.dtype,
            use_gpu=m.num_gpus > 0,
            max_context=cfg.limits.max_context_tokens,
            kv_cache_gb=m.kv_cache_gb,
            adapters=dict(group.adapters),
        )
    except Exception:  # whatever the cause, logged with its traceback and answered with a 503
        logger.exception(
            "model %r could not be loaded from %s with adapters %s", name, group.base, dict(group.adapters)
        )
        raise ApiError(
            f"model {name!r} could not be loaded; the server log has the details",
            503,
            "server_error",
            "model_load_failed",
        ) from None


@serve.deployment
class ModelServer:
    """Serves every configured checkpoint; a replica keeps the most recently used ones loaded.

    The request's `multiplexed_model_id` (the served model's group) picks the checkpoint, so Serve routes a
    model's requests to replicas that already hold it; the request's `adapter` picks the adapter within the
    group. Concurrent requests wait up to `batch_wait_timeout_s` to share one `generate` call.
    """

    def __init__(self, cfg: AppConfig, placement: Placement) -> None:
        import torch

        self.cfg, self.placement = cfg, placement
        self.counters = {
            "requests": 0,
            "batches": 0,
            "largest_batch": 0,
            "ready_checks": 0,
            "streams": 0,
            "most_streams": 0,
            "models_loaded": 0,
        }
        # One replica owns num_cpus cores; more torch threads would only contend with its neighbours.
        torch.set_num_threads(max(1, int(cfg.model.num_cpus)))
        batching = cfg.model.batching
        # Each stream runs its own generate: a bounded number at once, the others wait their turn.
        self._stream_slots = asyncio.Semaphore(batching.max_concurrent_streams)
        self._streaming = 0

        async def load_checkpoint(model_id: str) -> TransformersModel:
            return await self._load(model_id)

        async def run_batch(jobs: list[Job]) -> list[Completion]:
            return await self._run(jobs)

        # Decorated here rather than on the class so the cache size and batch size come from the config.
        self._model = serve.multiplexed(max_num_models_per_replica=cfg.model.max_models_per_replica)(load_checkpoint)
        self._batch = serve.batch(
            max_batch_size=batching.max_batch_size,
            batch_wait_timeout_s=batching.batch_wait_timeout_s,
            max_concurrent_batches=batching.max_concurrent_batches,
        )(run_batch)

    async def _load(self, model_id: str) -> TransformersModel:
        model = await asyncio.to_thread(load_model, model_id, self.cfg, self.placement)
        self.counters["models_loaded"] += 1
        return model

    async def _run(self, jobs: list[Job]) -> list[Completion]:
        c = self.counters
        c["requests"] += len(jobs)
        c["batches"] += 1
        c["largest_batch"] = max(c["largest_batch"], len(jobs))
        results: list[Completion | None] = [None] * len(jobs)
        for indices in groups(jobs).values():
            group = [jobs[i] for i in indices]
            prompts, requests = [j.prompt for j in group], [j.request for j in group]
            if self.cfg.model.num_gpus > 0:
                # The GPU computes while this thread waits: requests keep arriving meanwhile.
                done = await asyncio.to_thread(group[0].model.generate, prompts, requests)
            else:
                # On CPU generation holds the interpreter most of the time; from a thread it would starve
                # the replica's request intake and keep batches small. Run in the loop instead: requests
                # that arrive meanwhile queue and join the next batch together.
                done = group[0].model.generate(prompts, requests)
            for i, completion in zip(indices, done):
                results[i] = completion
        return cast("list[Completion]", results)  # every job is in one group

    async def batching(self) -> dict:
        """This replica's counters: requests and batches served, the largest batch, readiness checks
        answered, streams served and the most that ran at once, and the models (groups) it loaded."""
        return dict(self.counters)

    async def ready(self) -> bool:
        """The gateway's readiness probe: this replica is up and its event loop answers."""
        self.counters["ready_checks"] += 1
        return True

    async def generate(self, request: GenRequest) -> Completion:
        model = await self._model(serve.get_multiplexed_model_id())
        prompt = model.encode(request.prompt, request.max_tokens)
        return await self._batch(Job(model, prompt, request))

    async def stream(self, request: GenRequest) -> AsyncIterator[int | str | Completion]:
        """The prompt's token count once the checks passed, then text pieces, then the Completion."""
        model = await self._model(serve.get_multiplexed_model_id())
        prompt = model.encode(request.prompt, request.max_tokens)
        yield len(prompt)
        async with self._stream_slots:
            c = self.counters
            self._streaming += 1
            c["streams"] += 1
            c["most_streams"] = max(c["most_streams"], self._streaming)
            try:
                async for item in model.stream(prompt, request):
                    yield item
            finally:
                self._streaming -= 1


@serve.deployment
@serve.ingress()
class Gateway:
    """The HTTP ingress: validates requests, renders prompts, and calls `ModelServer`."""

    def __init__(self, model_server, cfg: AppConfig, api_key_hash: str | None, placement: Placement) -> None:
        self.model_server, self.cfg, self.api_key_hash, self.placement = model_server, cfg, api_key_hash, placement

    def __serve_build_asgi_app__(self):
        return build_api(self.cfg, self.model_server, self.api_key_hash, self.placement)
