"""The Transformers backend: a checkpoint's runner, a batch of requests, one streamed request.

Plain Python and PyTorch, no Ray: the Serve deployment wraps these calls, and they run alone in tests.
Loading, padding, generation, the EOS and stop-string cuts and decoding are `ecomgpt.runner`'s.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from ecomgpt.runner import Dtype, ModelRunner, Sampling, apply_stop
from ecomgpt.serve.errors import ApiError, context_exceeded

# Any value above this is a tokenizer's "no limit" placeholder (BLOOM's tokenizer says 1e30).
_NO_LIMIT = 1_000_000
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "seq_length")


@dataclass(frozen=True)
class GenRequest:
    """One generation, already validated by the ingress; crosses the Ray boundary pickled."""

    prompt: str
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    adapter: str | None = None  # the served model's LoRA adapter in its group (None: the base model)


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (EOS or a stop string) or "length"


def releasable(text: str, stop: Sequence[str]) -> int:
    """How much of `text` a stream may send: all but a tail that could still grow into a stop string."""
    hold = 0
    for s in stop:
        for n in range(min(len(s) - 1, len(text)), hold, -1):
            if text.endswith(s[:n]):
                hold = n
                break
    return len(text) - hold


def context_length(model_config, tokenizer, limit: int) -> int:
    """The smallest context the checkpoint declares, capped by the configured limit."""
    values = [limit]
    values += [v for k in _CONTEXT_KEYS if isinstance(v := getattr(model_config, k, None), int) and v > 0]
    if 0 < tokenizer.model_max_length < _NO_LIMIT:
        values.append(int(tokenizer.model_max_length))
    return min(values)


def kv_bytes_per_token(model_config, dtype_bytes: int) -> int:
    """Bytes of attention cache one token of one row holds: keys and values of every layer."""
    get = lambda *keys: next(v for k in keys if isinstance(v := getattr(model_config, k, None), int))
    layers = get("num_hidden_layers", "n_layer")
    hidden = get("hidden_size", "n_embd")
    heads = get("num_attention_heads", "n_head")
    kv_heads = getattr(model_config, "num_key_value_heads", None) or heads
    head_dim = getattr(model_config, "head_dim", None) or hidden // heads
    return 2 * layers * kv_heads * head_dim * dtype_bytes


def rows_per_call(cache_bytes: float, context: int, per_token: int) -> int:
    """The sizing rule: a `generate` call holds at most as many rows as full-context caches fit in
    `cache_bytes` (never fewer than one); a bigger batch is split into calls of that many rows."""
    return max(1, int(cache_bytes // (context * per_token)))


class TransformersModel:
    """One checkpoint on one device (a `ModelRunner`) answering validated requests; with `adapters` (served
    name -> adapter directory), one base model and its LoRA adapters, each request choosing its own."""

    def __init__(
        self,
        name: str,
        path: str,
        *,
        dtype: Dtype,
        use_gpu: bool,
        max_context: int,
        kv_cache_gb: float = 4.0,
        adapters: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.runner = ModelRunner(path, dtype=dtype, use_gpu=use_gpu, adapters=adapters)
        self.eos_id = self.runner.eos_id
        config = self.runner.model.config
        self.context = context_length(config, self.runner.tokenizer, max_context)
        per_token = kv_bytes_per_token(config, self.runner.model.dtype.itemsize)
        self.rows_per_call = rows_per_call(kv_cache_gb * 2**30, self.context, per_token)

    def encode(self, prompt: str, max_tokens: int) -> list[int]:
        """Prompt token ids, refused when prompt + completion would not fit the context."""
        ids = self.runner.encode([prompt])[0]
        if not ids:
            raise ApiError("The prompt encodes to no tokens.", param="prompt")
        if len(ids) + max_tokens > self.context:
            raise context_exceeded(len(ids), max_tokens, self.context)
        return ids

    def generate(self, prompts: Sequence[Sequence[int]], requests: Sequence[GenRequest]) -> list[Completion]:
        """A batch of requests, each with its own sampling, stop strings and adapter: one `generate` call per
        `rows_per_call` rows (one call unless the batch's caches would not fit the memory budget)."""
        done = []
        for at in range(0, len(requests), self.rows_per_call):
            part = requests[at : at + self.rows_per_call]
            done += self.runner.generate_rows(
                prompts[at : at + self.rows_per_call],
                [r.max_tokens for r in part],
                [sampling(r) for r in part],
                [r.stop for r in part],
                self._adapters(part),
            )
        return [
            Completion(g.text, len(prompt), self._count(g.text, g.tokens, g.cut), "stop" if g.stopped else "length")
            for g, prompt in zip(done, prompts)
        ]

    def _adapters(self, requests: Sequence[GenRequest]) -> list[str | None] | None:
        return [r.adapter for r in requests] if self.runner.adapters else None

    def _count(self, text: str, tokens: list[int], stopped: bool) -> int:
        """Completion tokens: those generated, or, for an answer cut at a stop string, those of its text."""
        if not stopped:
            return len(tokens)
        # Re-encoding may split bytes differently from generation; never report more than was generated.
        return min(len(tokens), len(self.runner.encode([text])[0])) if text else 0

    async def stream(self, prompt: Sequence[int], req: GenRequest) -> AsyncIterator[str | Completion]:
        """Text pieces as they are generated, then the Completion (its text is the whole answer).

        `generate` runs in a thread; leaving the iterator early (a client that disconnects) stops it.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        halt = threading.Event()
        thread = threading.Thread(target=self._stream_worker, args=(prompt, req, loop, queue, halt), daemon=True)
        thread.start()
        tokens: list[int] = []
        sent, reason, stopped = "", None, False
        try:
            while reason is None:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                if item is None:
                    reason = "stop" if self.eos_id in tokens or len(tokens) < req.max_tokens else "length"
                    text, stopped = apply_stop(self.runner.decode(tokens), req.stop)
                    if len(text) > len(sent):
                        yield text[len(sent) :]
                    sent = text
                    break
                tokens.extend(item)
                text = self.runner.decode(tokens)
                if text.endswith("\ufffd"):
                    continue  # half of a multi-byte character: wait for the rest
                text, stopped = apply_stop(text, req.stop)
                end = len(text) if stopped else releasable(text, req.stop)
                if end > len(sent):
                    yield text[len(sent) : end]
                    sent = text[:end]
                if stopped:
                    reason = "stop"
        finally:
            halt.set()
        if self.eos_id in tokens:
            tokens = tokens[: tokens.index(self.eos_id)]
        yield Completion(sent, len(prompt), self._count(sent, tokens, stopped), reason)

    def _stream_worker(self, prompt, req: GenRequest, loop, queue: asyncio.Queue, halt: threading.Event) -> None:
        import torch
        from transformers.generation import BaseStreamer, StoppingCriteria

        class Forward(BaseStreamer):
            first = True

            def put(self, value) -> None:
                if self.first:  # generate hands the prompt over first
                    self.first = False
                    return
                loop.call_soon_threadsafe(queue.put_nowait, value.reshape(-1).tolist())

            def end(self) -> None:
                pass

        class Halt(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), halt.is_set(), dtype=torch.bool, device=input_ids.device)

        try:
            self.runner.generate_ids(
                [prompt], req.max_tokens, sampling(req), [Halt()], streamer=Forward(), adapters=self._adapters([req])
            )
        except Exception as err:  # noqa: BLE001 - handed to the consumer, which raises it
            loop.call_soon_threadsafe(queue.put_nowait, err)
        loop.call_soon_threadsafe(queue.put_nowait, None)


def sampling(req: GenRequest) -> Sampling:
    """A request's decoding settings: greedy at temperature 0 (top_p then plays no part)."""
    return Sampling() if req.temperature <= 0 else Sampling(req.temperature, req.top_p)
