"""The offline pretrained backbone (a Llama) served next to a tiny BLOOM and a LoRA adapter of its own: one
application, multiplexed by the request's model; greedy completions equal plain Transformers (and PEFT)
generation, the backbone and its adapter answer a mixed batch as one by one; the task routes answer."""

from __future__ import annotations

import pytest
import requests
import torch

from ecomgpt import models
from ecomgpt.serve.config import AppConfig
from tests.conftest import make_adapter
from tests.serve.conftest import running_app
from tests.serve.test_app import TASK_BODIES

TIMEOUT = 120
PROMPT = (
    "Below is an instruction that describes the review sentiment classification task. Write a response that "
    "appropriately completes the request.\n### Instruction:\nFits well, fast shipping.\n"
    "Is the review positive or negative?\n### Response:\n"
)


@pytest.fixture(scope="module")
def backbone_adapter(offline_backbone, tmp_path_factory) -> str:
    # Large enough to change the backbone's answers.
    return make_adapter(
        offline_backbone,
        tmp_path_factory.mktemp("smollm2-lora"),
        seed=0,
        r=8,
        scale=4.0,
        targets=["q_proj", "k_proj", "v_proj", "o_proj"],
    )


@pytest.fixture(scope="module")
def base(ray_local, checkpoints, offline_backbone, backbone_adapter):
    cfg = AppConfig(
        models={"smollm2": str(offline_backbone), "tiny-a": checkpoints["tiny-a"], "smollm2-lora": backbone_adapter},
        model={
            "num_cpus": 1,
            "max_models_per_replica": 2,
            "batching": {"max_batch_size": 4, "batch_wait_timeout_s": 0.05},
        },
        gateway={"num_cpus": 0.1},
        limits={"max_tokens": 16, "default_max_tokens": 6},
    )
    with running_app(cfg, "ecomgpt-backbone") as url:
        yield url


def _greedy(path: str, prompt: str, max_new_tokens: int) -> str:
    """Plain Transformers generation (PEFT's, with the adapter on its base, for an adapter directory)."""
    tokenizer = models.load_tokenizer(path)
    model = models.load_causal_lm(path, torch.float32).eval()
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(
            **ids,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    new = out[0, ids["input_ids"].shape[1] :].tolist()
    if tokenizer.eos_token_id in new:
        new = new[: new.index(tokenizer.eos_token_id)]
    return tokenizer.decode(new, skip_special_tokens=True)


@pytest.mark.slow
def test_both_models_are_listed_and_answer_by_name(base, offline_backbone):
    listed = requests.get(base + "/v1/models", timeout=TIMEOUT).json()["data"]
    assert sorted(m["id"] for m in listed) == ["smollm2", "smollm2-lora", "tiny-a"]
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


@pytest.mark.slow
def test_the_backbone_and_its_adapter_answer_a_mixed_batch_as_one_by_one(base, offline_backbone, backbone_adapter):
    from concurrent.futures import ThreadPoolExecutor

    listed = {m["id"]: m for m in requests.get(base + "/v1/models", timeout=TIMEOUT).json()["data"]}
    assert listed["smollm2-lora"]["base"] == "smollm2"
    prompts = [PROMPT, PROMPT.replace("Fits well", "Broke after a day")]
    jobs = [(model, prompt) for prompt in prompts for model in ("smollm2", "smollm2-lora")]

    def complete(job):
        body = {"model": job[0], "prompt": job[1], "max_tokens": 6, "temperature": 0}
        response = requests.post(base + "/v1/completions", json=body, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()["choices"][0]["text"]

    one_by_one = [complete(job) for job in jobs]
    with ThreadPoolExecutor(len(jobs)) as pool:
        assert list(pool.map(complete, jobs)) == one_by_one
    assert one_by_one[1] == _greedy(backbone_adapter, prompts[0], 6) != one_by_one[0]
