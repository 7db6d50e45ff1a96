"""The teachers as Ray Data callables: a batch of labelling requests in, the same rows with `answer` and
`failure` out. Each answer is cached as soon as it arrives, so a run stopped midway keeps what it paid for.

- `LocalLabeller`: an `ecomgpt.runner.AnswerActor`, as evaluation's actor is: one `ModelRunner` (loaded once
  per actor) answers a batch with one `generate` call per group of rows of one budget and similar length.
  A `chat` prompt is rendered with the tokenizer's chat template (the answer ends with the assistant's
  turn, at EOS); an `ecomgpt` prompt is encoded as it is (the answer ends at the next `### ` section).
- `HttpLabeller`: one actor for the run, holding an OpenAI client; a batch's requests go out on at most
  `concurrency` threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ecomgpt.generate.teacher.cache import AnswerCache, TeacherIdentity
from ecomgpt.generate.teacher.config import HttpTeacher, LocalTeacher
from ecomgpt.generate.teacher.http import OpenAIClient, RequestFailed
from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.runner import AnswerActor, Sampling
from ecomgpt.tasks.pseudo.registry import prompt_messages


def _out(batch: dict[str, np.ndarray], answers: list[str], failures: list[str]) -> dict[str, Any]:
    return {**batch, "answer": np.array(answers, dtype=object), "failure": np.array(failures, dtype=object)}


def chat_text(tokenizer, prompt: str) -> str:
    """A `chat` request's messages as the model's prompt text: its chat template, the assistant's turn opened."""
    return tokenizer.apply_chat_template(prompt_messages(prompt), add_generation_prompt=True, tokenize=False)


class LocalLabeller(AnswerActor):
    def __init__(self, teacher: LocalTeacher, temperature: float, cache_root: str, identity: TeacherIdentity) -> None:
        chat = identity.prompt_format == "chat"
        super().__init__(teacher.model, teacher, Sampling(temperature=temperature), () if chat else (RESPONSE_STOP,))
        self.cache = AnswerCache(cache_root, identity)
        self.chat = chat

    def prompts(self, prompts) -> list[str]:
        return [chat_text(self.runner.tokenizer, str(p)) if self.chat else str(p) for p in prompts]

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        ids, _ = self.prompt_ids(self.prompts(batch["prompt"]))
        answers = [""] * len(ids)
        for i, generated in self.answers(ids, [int(b) for b in batch["max_new_tokens"]]):
            answers[i] = generated.text.strip()
            self.cache.put(str(batch["cache_key"][i]), answers[i], str(batch["task"][i]))
        return _out(batch, answers, [""] * len(answers))


class HttpLabeller:
    def __init__(
        self, teacher: HttpTeacher, temperature: float, cache_root: str, identity: TeacherIdentity, api_key: str | None
    ) -> None:
        self.cfg = teacher
        self.temperature = temperature
        self.client = OpenAIClient(self.cfg, api_key)
        self.cache = AnswerCache(cache_root, identity)
        self.fatal: RequestFailed | None = None  # once the endpoint refuses us for good, stop asking

    def _one(self, prompt: str, budget: int, key: str, task: str) -> tuple[str, str]:
        if self.fatal is not None:
            return "", self.fatal.reason
        try:
            answer = self.client.answer(prompt, budget, self.temperature)
        except RequestFailed as failed:
            if failed.fatal:
                self.fatal = failed
            return "", failed.reason
        self.cache.put(key, answer, task)
        return answer, ""

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        rows = list(zip(batch["prompt"], batch["max_new_tokens"], batch["cache_key"], batch["task"]))
        with ThreadPoolExecutor(max_workers=self.cfg.concurrency) as pool:
            results = list(pool.map(lambda r: self._one(str(r[0]), int(r[1]), str(r[2]), str(r[3])), rows))
        return _out(batch, [a for a, _ in results], [f for _, f in results])

    def __repr__(self) -> str:  # the API key stays out of logs and errors
        return f"HttpLabeller({self.cfg.base_url}, {self.cfg.model})"
