"""The Transformers backend: load a checkpoint, generate for a batch, stream one request.

Plain Python and PyTorch, no Ray: the Serve deployment wraps these calls, and they run alone in tests.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Sequence

from ecomgpt import models, storage
from ecomgpt.config import ConfigError
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


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (EOS or a stop string) or "length"


def apply_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """`text` cut before the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def releasable(text: str, stop: Sequence[str]) -> int:
    """How much of `text` a stream may send: all but a tail that could still grow into a stop string."""
    hold = 0
    for s in stop:
        for n in range(min(len(s) - 1, len(text)), hold, -1):
            if text.endswith(s[:n]):
                hold = n
                break
    return len(text) - hold


def check_checkpoint(name: str, path: str) -> None:
    """A clear error, before anything starts, for a local checkpoint that cannot be served."""
    if models.is_offline(path):
        models.check(path, f"model {name!r}")  # converted here once, before any replica loads it
        return
    if not storage.is_local(path):
        return  # remote checkpoints are checked where they are loaded
    local = Path(storage.local_dir(path))
    missing = [f for f in ("config.json", "model.safetensors") if not (local / f).is_file()]
    if not local.is_dir() or missing:
        what = "is not a directory" if not local.is_dir() else f"lacks {', '.join(missing)}"
        raise ConfigError(f"model {name!r}: checkpoint {path} {what} (a Hugging Face directory with safetensors)")


def context_length(model_config, tokenizer, limit: int) -> int:
    """The smallest context the checkpoint declares, capped by the configured limit."""
    values = [limit]
    values += [v for k in _CONTEXT_KEYS if isinstance(v := getattr(model_config, k, None), int) and v > 0]
    if 0 < tokenizer.model_max_length < _NO_LIMIT:
        values.append(int(tokenizer.model_max_length))
    return min(values)


class TransformersModel:
    """One checkpoint on one device: tokenizer + causal LM, loaded from safetensors, no remote code."""

    def __init__(self, name: str, path: str, *, dtype: str, use_gpu: bool, max_context: int) -> None:
        import torch

        self.name = name
        self.tokenizer = models.load_tokenizer(path, padding_side="left")
        self.model = models.load_causal_lm(path, getattr(torch, dtype))
        self.device = torch.device("cuda" if use_gpu and torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.eos_id = self.tokenizer.eos_token_id
        # Batches are padded on the left so every row's answer starts at the same column.
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_id
        self.context = context_length(self.model.config, self.tokenizer, max_context)

    def encode(self, prompt: str, max_tokens: int) -> list[int]:
        """Prompt token ids, refused when prompt + completion would not fit the context."""
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if not ids:
            raise ApiError("The prompt encodes to no tokens.", param="prompt")
        if len(ids) + max_tokens > self.context:
            raise context_exceeded(len(ids), max_tokens, self.context)
        return ids

    def _inputs(self, rows: Sequence[Sequence[int]]):
        import torch

        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row) :] = 1
        return ids.to(self.device), mask.to(self.device)

    def _sampling(self, temperature: float, top_p: float) -> dict:
        if temperature <= 0:
            return {"do_sample": False}
        return {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}

    def generate(self, prompts: Sequence[Sequence[int]], requests: Sequence[GenRequest]) -> list[Completion]:
        """One `generate` call for requests that share temperature and top_p (the caller groups them)."""
        import torch

        ids, mask = self._inputs(prompts)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=max(r.max_tokens for r in requests),
                pad_token_id=self.pad_id,
                eos_token_id=self.eos_id,
                **self._sampling(requests[0].temperature, requests[0].top_p),
            )
        new = out[:, ids.shape[1] :].tolist()
        return [self._finish(row, prompt, req) for row, prompt, req in zip(new, prompts, requests)]

    def _finish(self, row: list[int], prompt: Sequence[int], req: GenRequest) -> Completion:
        tokens = row[: req.max_tokens]
        ended = self.eos_id in tokens
        if ended:
            tokens = tokens[: tokens.index(self.eos_id)]
        text, stopped = apply_stop(self.tokenizer.decode(tokens, skip_special_tokens=True), req.stop)
        reason = "stop" if ended or stopped else "length"
        return Completion(text, len(prompt), self._count(text, tokens, stopped), reason)

    def _count(self, text: str, tokens: list[int], stopped: bool) -> int:
        """Completion tokens: those generated, or, for an answer cut at a stop string, those of its text."""
        if not stopped:
            return len(tokens)
        # Re-encoding may split bytes differently from generation; never report more than was generated.
        return min(len(tokens), len(self.tokenizer(text, add_special_tokens=False)["input_ids"])) if text else 0

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
                    text, stopped = apply_stop(self.tokenizer.decode(tokens, skip_special_tokens=True), req.stop)
                    if len(text) > len(sent):
                        yield text[len(sent) :]
                    sent = text
                    break
                tokens.extend(item)
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
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
        from transformers.generation import BaseStreamer, StoppingCriteria, StoppingCriteriaList

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

        ids, mask = self._inputs([prompt])
        try:
            with torch.inference_mode():
                self.model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    max_new_tokens=req.max_tokens,
                    pad_token_id=self.pad_id,
                    eos_token_id=self.eos_id,
                    streamer=Forward(),
                    stopping_criteria=StoppingCriteriaList([Halt()]),
                    **self._sampling(req.temperature, req.top_p),
                )
        except Exception as err:  # handed to the consumer, which raises it
            loop.call_soon_threadsafe(queue.put_nowait, err)
        loop.call_soon_threadsafe(queue.put_nowait, None)
