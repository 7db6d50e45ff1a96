"""The one model runner: load a checkpoint, left-pad prompts, generate, cut at EOS and stop strings, decode.

The Serve deployment's engine (`serve/engine.py`) wraps a `ModelRunner`, and so does `AnswerActor`, the body
of the Ray Data actors that answer batches of prompts (evaluation's `evaluate/generation.py`, the local
teacher's `generate/teacher/labellers.py`), so a prompt gets the same answer from any of them. Callers pass the
stop strings: evaluation and the task routes stop at the prompt format's next section marker (`### `), a
completion request at the client's `stop`; generation ends for a row as soon as one appears in its new text.

dtype policy, for every stage that generates: `auto` (the default) is bfloat16 weights where the device
computes bf16 natively (a CPU with avx512_bf16 or amx_bf16, a GPU with bf16 support; `ecomgpt.precision`
decides) and float32 elsewhere (PyTorch emulates bf16 on other CPUs, slower than float32); a config may name
a dtype instead. `ModelRunner.dtype` is the one that runs, for the stages' manifests.

Prompts are encoded as training encodes them: no special tokens added.

LoRA adapters: a runner of an adapter directory holds its base model with the adapter active; a runner
given `adapters` holds one base model and several adapters of it, and each row of a `generate` call names
its own (PEFT's mixed-adapter batches: every row is computed with its adapter's LoRA weights, `None` rows
with the base model alone), so requests for different adapters share one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from ecomgpt import models, precision

Dtype = Literal["auto", "float32", "bfloat16", "float16"]
DTYPE_POLICY = (
    "auto: bfloat16 where the CPU (avx512_bf16 or amx_bf16) or the GPU computes it natively, float32 elsewhere"
)
_STOP_CACHE = 16  # stop-string criteria kept per runner (each one indexes the vocabulary once)


def resolve_dtype(name: Dtype, on_gpu: bool, native: bool | None = None) -> Dtype:
    """The dtype name a config's `dtype` runs as on this device (`native`: see `precision.resolve`)."""
    if name != "auto":
        return name
    return cast(Dtype, precision.TORCH_NAMES[precision.resolve("auto", on_gpu, native)])


def torch_dtype(name: Dtype, on_gpu: bool, native: bool | None = None):
    """The torch dtype of a config's `dtype` on this device."""
    import torch

    return getattr(torch, resolve_dtype(name, on_gpu, native))


def pick_device(use_gpu: bool) -> str:
    """`cuda` when a GPU is asked for and present, else `cpu`."""
    import torch

    return "cuda" if use_gpu and torch.cuda.is_available() else "cpu"


def generate_calls(lengths: list[int], budgets: list[int], max_tokens: int) -> list[tuple[list[int], int]]:
    """The rows of one batch grouped into `generate` calls: (row indices, answer budget).

    A call holds rows of one budget (none decodes past its own) and of similar length, as many as fit
    `max_tokens` padded prompt tokens (at least one row): prompts of very different lengths in one call
    would pad the short ones to the longest.
    """
    calls: list[tuple[list[int], int]] = []
    for budget in sorted(set(budgets)):
        rows = sorted((i for i, b in enumerate(budgets) if b == budget), key=lambda i: lengths[i])
        current: list[int] = []
        for i in rows:
            if current and (len(current) + 1) * lengths[i] > max_tokens:
                calls.append((current, budget))
                current = []
            current.append(i)
        calls.append((current, budget))
    return calls


def encode_prompts(tokenizer, prompts: Sequence[str]) -> list[list[int]]:
    """Prompt token ids as training sees them (no special tokens added)."""
    return tokenizer(list(prompts), add_special_tokens=False)["input_ids"]


def apply_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """`text` cut before the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


@dataclass(frozen=True)
class Sampling:
    """Decoding settings one `generate` call shares: greedy (temperature 0) or beam search, or sampling."""

    temperature: float = 0.0
    top_p: float = 1.0
    num_beams: int = 1

    def generate_kwargs(self) -> dict:
        if self.temperature <= 0:
            return {"do_sample": False, "num_beams": self.num_beams}
        return {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p, "top_k": 0}


GREEDY = Sampling()


@dataclass(frozen=True)
class Generated:
    """One row's answer."""

    tokens: list[int]  # new token ids within the row's budget, cut before EOS
    decoded: str  # those tokens decoded (special tokens skipped)
    text: str  # `decoded` cut before the earliest stop string
    eos: bool  # the model wrote EOS within the budget
    cut: bool  # a stop string was found (and `text` ends before it)

    @property
    def stopped(self) -> bool:
        """EOS or a stop string ended the answer, not the budget."""
        return self.eos or self.cut


class ModelRunner:
    """A causal LM and its tokenizer on one device, loaded through `ecomgpt.models`."""

    def __init__(
        self,
        name_or_path: str,
        *,
        dtype: Dtype = "auto",
        use_gpu: bool = False,
        adapters: Mapping[str, str] | None = None,
    ) -> None:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # one bar per actor or replica would interleave on the console
        self.device = pick_device(use_gpu)
        # Left padding: every row's answer starts at the same column.
        self.tokenizer = models.load_tokenizer(name_or_path, padding_side="left")
        self.dtype = resolve_dtype(dtype, self.device == "cuda")  # what runs, `auto` resolved
        self.model = models.load_causal_lm(name_or_path, torch_dtype(self.dtype, self.device == "cuda"), adapters)
        self.adapters = tuple(adapters or ())
        self.model.to(self.device).eval()
        self.eos_id = self.tokenizer.eos_token_id
        self.pad_id = self.tokenizer.pad_token_id  # load_tokenizer gives every tokenizer one
        self._stops: dict[tuple[str, ...], object] = {}

    def encode(self, prompts: Sequence[str]) -> list[list[int]]:
        return encode_prompts(self.tokenizer, prompts)

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        budgets: Sequence[int],
        *,
        sampling: Sampling = GREEDY,
        stop: Sequence[str] = (),
    ) -> list[Generated]:
        """One `generate` call for these rows; each decodes at most its own budget of new tokens."""
        stop = tuple(s for s in stop if s)
        criteria = [self._stop_criteria(stop)] if stop else []
        rows = self.generate_ids(prompts, max(budgets), sampling, criteria)
        return [self._finish(row[:budget], stop) for row, budget in zip(rows, budgets)]

    def generate_rows(
        self,
        prompts: Sequence[Sequence[int]],
        budgets: Sequence[int],
        samplings: Sequence[Sampling],
        stops: Sequence[Sequence[str]],
        adapters: Sequence[str | None] | None = None,
    ) -> list[Generated]:
        """One `generate` call for rows that each keep their own sampling, stop strings and adapter.

        Rows sharing one setting decode exactly as `generate` would; mixed settings are applied per row
        (a greedy row keeps only its most likely token, a sampled row gets its own temperature and top_p),
        so distinct request settings never split a batch into several calls. `adapters` names each row's
        adapter (one of the runner's `adapters`, None: the base model).
        """
        row_stops = [tuple(s for s in stop if s) for stop in stops]
        rows_of: dict[tuple[str, ...], list[int]] = {}
        for i, stop in enumerate(row_stops):
            if stop:
                rows_of.setdefault(stop, []).append(i)
        criteria = [_RowStops([(self._stop_criteria(stop), rows) for stop, rows in rows_of.items()])] if rows_of else []
        shared = samplings[0] if len(set(samplings)) == 1 else None
        processors = [] if shared else [_row_sampling(samplings)]
        rows = self.generate_ids(
            prompts, max(budgets), shared or _PER_ROW, criteria, processors=processors, adapters=adapters
        )
        return [self._finish(row[:budget], stop) for row, budget, stop in zip(rows, budgets, row_stops)]

    def generate_ids(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        sampling: Sampling,
        criteria: Sequence = (),
        streamer=None,
        processors: Sequence = (),
        adapters: Sequence[str | None] | None = None,
    ) -> list[list[int]]:
        """New token ids of each row, after EOS padded: the one place the model's `generate` is called.

        A stopping criterion sees only the new tokens, so a stop string cannot begin inside the prompt.
        `adapters` (a runner holding `adapters` only) names each row's adapter, None for the base model.
        """
        import torch
        from transformers.generation import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

        ids, mask = self._inputs(prompts)
        start = ids.shape[1]

        class NewTokens(StoppingCriteria):
            def __init__(self, inner) -> None:
                self.inner = inner

            def __call__(self, input_ids, scores, **kwargs):
                return self.inner(input_ids[:, start:], scores, **kwargs)

        extra = self._adapter_names(adapters, len(prompts))
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=max_new_tokens,
                eos_token_id=self.eos_id,
                pad_token_id=self.pad_id,
                stopping_criteria=StoppingCriteriaList([NewTokens(c) for c in criteria]),
                logits_processor=LogitsProcessorList(processors),
                streamer=streamer,
                **extra,
                **sampling.generate_kwargs(),
            )
        return out[:, start:].tolist()

    def _adapter_names(self, adapters: Sequence[str | None] | None, rows: int) -> dict:
        """`generate`'s per-row adapter argument (PEFT's `adapter_names`), checked against what is loaded."""
        if not self.adapters:
            if adapters is not None and any(a is not None for a in adapters):
                raise ValueError(f"adapters {sorted({a for a in adapters if a})}: this runner holds none")
            return {}
        names = list(adapters) if adapters is not None else [None] * rows
        unknown = sorted({a for a in names if a is not None and a not in self.adapters})
        if unknown or len(names) != rows:
            raise ValueError(
                f"adapters {unknown or names}: expected one per row of {rows}, each None or one "
                f"of {list(self.adapters)}"
            )
        return {"adapter_names": [_BASE_MODEL if a is None else a for a in names]}

    def _inputs(self, rows: Sequence[Sequence[int]]):
        """Left-padded input ids and attention mask on the model's device."""
        import torch

        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row) :] = 1
        return ids.to(self.device), mask.to(self.device)

    def _stop_criteria(self, stop: tuple[str, ...]):
        from transformers.generation import StopStringCriteria

        if stop not in self._stops:
            if len(self._stops) >= _STOP_CACHE:
                self._stops.clear()
            self._stops[stop] = StopStringCriteria(self.tokenizer, list(stop))
        return self._stops[stop]

    def _finish(self, tokens: list[int], stop: tuple[str, ...]) -> Generated:
        eos = self.eos_id in tokens
        if eos:
            tokens = tokens[: tokens.index(self.eos_id)]
        decoded = self.decode(tokens)
        text, cut = apply_stop(decoded, stop)
        return Generated(tokens, decoded, text, eos, cut)

    def decode(self, tokens: Sequence[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)


class ActorSettings(Protocol):
    """What an `AnswerActor` reads from its stage's config (evaluation's `GenerationConfig`, a local teacher's
    `LocalTeacher`)."""

    @property
    def dtype(self) -> Dtype: ...

    @property
    def num_cpus(self) -> float: ...

    @property
    def num_gpus(self) -> float: ...

    @property
    def max_input_tokens(self) -> int: ...

    @property
    def max_batch_tokens(self) -> int: ...


class AnswerActor:
    """The body of a Ray Data actor that answers prompts: one `ModelRunner`, loaded once per actor (on a CPU
    with a torch thread per CPU the actor holds). Prompts are cut from the left to `max_input_tokens`; a
    batch's rows are answered by one `generate` call per group of one budget and similar length
    (`generate_calls`), each answer ending at EOS or at one of the `stop` strings."""

    def __init__(self, model: str, settings: ActorSettings, sampling: Sampling, stop: Sequence[str]) -> None:
        import torch

        from ecomgpt.runtime import torch_threads  # here: runtime imports Ray, which this module's importers need not

        use_gpu = settings.num_gpus > 0
        if pick_device(use_gpu) == "cpu":
            torch.set_num_threads(torch_threads(settings.num_cpus))
        self.runner = ModelRunner(model, dtype=settings.dtype, use_gpu=use_gpu)
        self.max_input_tokens = settings.max_input_tokens
        self.max_batch_tokens = settings.max_batch_tokens
        self.sampling = sampling
        self.stop = tuple(stop)

    def prompt_ids(self, prompts: Sequence[str]) -> tuple[list[list[int]], list[bool]]:
        """Each prompt's token ids, cut from the left to `max_input_tokens`, and whether it was cut."""
        ids = self.runner.encode(prompts)
        limit = self.max_input_tokens
        return [row[-limit:] for row in ids], [len(row) > limit for row in ids]

    def answers(self, ids: Sequence[Sequence[int]], budgets: Sequence[int]) -> Iterator[tuple[int, Generated]]:
        """(row, answer) for every row, each `generate` call's rows as soon as the call returns."""
        for rows, budget in generate_calls([len(row) for row in ids], list(budgets), self.max_batch_tokens):
            done = self.runner.generate(
                [ids[i] for i in rows], [budget] * len(rows), sampling=self.sampling, stop=self.stop
            )
            yield from zip(rows, done)


# PEFT's name for "no adapter" in a mixed-adapter batch.
_BASE_MODEL = "__base__"

# Sampling with no warper of its own: the per-row processor does the work.
_PER_ROW = Sampling(temperature=1.0, top_p=1.0)


def _row_sampling(samplings: Sequence[Sampling]):
    """A logits processor applying each row's own decoding: greedy rows keep only their argmax (sampling
    from that is the greedy choice), sampled rows their temperature and top_p (as Transformers' warpers do)."""
    import torch
    from transformers.generation import LogitsProcessor

    greedy = torch.tensor([s.temperature <= 0 for s in samplings])
    temperature = torch.tensor([s.temperature if s.temperature > 0 else 1.0 for s in samplings])
    top_p = torch.tensor([s.top_p if s.temperature > 0 else 1.0 for s in samplings])

    class RowSampling(LogitsProcessor):
        def __call__(self, input_ids, scores):
            device = scores.device
            scaled = scores / temperature.to(device, scores.dtype)[:, None]
            ascending, order = torch.sort(scaled, dim=-1)
            cumulative = ascending.softmax(dim=-1).cumsum(dim=-1)
            drop = cumulative <= (1 - top_p.to(device, cumulative.dtype))[:, None]
            drop[:, -1] = False  # the most likely token always stays
            scaled = scaled.masked_fill(drop.scatter(1, order, drop), float("-inf"))
            only_best = torch.full_like(scores, float("-inf")).scatter(1, scores.argmax(dim=-1, keepdim=True), 0.0)
            return torch.where(greedy.to(device)[:, None], only_best, scaled)

    return RowSampling()


class _RowStops:
    """Per-row stop strings for one `generate` call: each group of rows is checked against its own."""

    def __init__(self, groups: list[tuple[Callable[..., Any], list[int]]]) -> None:
        self.groups = groups

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for criterion, rows in self.groups:
            index = torch.tensor(rows, device=input_ids.device)
            done[index] = criterion(input_ids[index], scores[index] if scores is not None else None)
        return done
