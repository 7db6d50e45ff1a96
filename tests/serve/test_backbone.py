"""The offline pretrained backbone (a Llama) served next to a tiny BLOOM: one application, multiplexed by
the request's model; greedy completions equal plain Transformers generation; the task routes answer."""

from __future__ import annotations

import pytest
import requests
import torch

from ecomgpt import models
from ecomgpt.serve.config import AppConfig
from tests.serve.conftest import running_app
from tests.serve.test_app import TASK_BODIES

TIMEOUT = 120
PROMPT = ("Below is an instruction that describes the review sentiment classification task. Write a response that "
          "appropriately completes the request.\n### Instruction:\nFits well, fast shipping.\n"
          "Is the review positive or negative?\n### Response:\n")


@pytest.fixture(scope="module")
def base(ray_local, checkpoints, offline_backbone):
    cfg = AppConfig(
        models={"smollm2": str(offline_backbone), "tiny-a": checkpoints["tiny-a"]},
        model={"num_cpus": 1, "max_models_per_replica": 2,
               "batching": {"max_batch_size": 4, "batch_wait_timeout_s": 0.05}},
        gateway={"num_cpus": 0.1},
        limits={"max_tokens": 16, "default_max_tokens": 6},
    )
    with running_app(cfg, "ecomgpt-backbone") as url:
        yield url


def _greedy(path: str, prompt: str, max_new_tokens: int) -> str:
    tokenizer = models.load_tokenizer(path)
    model = models.load_causal_lm(path, torch.float32).eval()
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    new = out[0, ids["input_ids"].shape[1]:].tolist()
    if tokenizer.eos_token_id in new:
        new = new[: new.index(tokenizer.eos_token_id)]
    return tokenizer.decode(new, skip_special_tokens=True)


@pytest.mark.slow
def test_both_models_are_listed_and_answer_by_name(base, offline_backbone):
    listed = requests.get(base + "/v1/models", timeout=TIMEOUT).json()["data"]
    assert sorted(m["id"] for m in listed) == ["smollm2", "tiny-a"]
    body = {"model": "smollm2", "prompt": PROMPT, "max_tokens": 8, "temperature": 0}
    served = requests.post(base + "/v1/completions", json=body, timeout=TIMEOUT).json()
    assert served["choices"][0]["text"] == _greedy(str(offline_backbone), PROMPT, 8)
    tokenizer = models.load_tokenizer(str(offline_backbone))
    assert served["usage"]["prompt_tokens"] == len(tokenizer(PROMPT, add_special_tokens=False)["input_ids"])
    tiny = requests.post(base + "/v1/completions", json={**body, "model": "tiny-a"}, timeout=TIMEOUT)
    assert tiny.status_code == 200 and tiny.json()["model"] == "tiny-a"


@pytest.mark.slow
@pytest.mark.parametrize("task", ["review_sentiment", "attribute_extraction"])
def test_task_routes_answer_with_the_backbone(base, task):
    fields, keys = TASK_BODIES[task]
    response = requests.post(base + f"/v1/tasks/{task}", json={"model": "smollm2", **fields}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["answer"]) == keys and isinstance(body["text"], str)
    assert 0 < body["usage"]["completion_tokens"] <= 6
