"""LoRA adapters served over one base model: a mixed batch answers every row with its own adapter (as PEFT
does for that adapter alone, and as the same requests one by one), one base copy per replica, adapters
listed with their base, unknown adapters 404, and an adapter that does not fit its base refused at start-up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import torch

from ecomgpt import models
from ecomgpt.config import ConfigError
from ecomgpt.serve.app import build_from_config
from ecomgpt.serve.config import AppConfig
from ecomgpt.serve.engine import GenRequest, TransformersModel
from ecomgpt.serve.placement import place
from ecomgpt.train.tiny import build_tiny_checkpoint
from tests.conftest import make_adapter
from tests.serve.conftest import TEXTS, replica_counters, running_app

TIMEOUT = 60
LINEAR = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]
PROMPTS = ["red running shoes", "User: hello\nAgent:", "color: red; material: cotton", "Query: shoes\nDoc:"]


@pytest.fixture(scope="module")
def adapters(checkpoints, tmp_path_factory) -> dict[str, str]:
    """Three adapters of the tiny-a checkpoint, on every linear layer and large enough to change its answers
    (a random 2-block model mostly repeats the prompt's last word)."""
    root = tmp_path_factory.mktemp("adapters")
    return {
        f"ad-{i}": make_adapter(checkpoints["tiny-a"], root / f"ad-{i}", seed=i, scale=8.0, targets=LINEAR)
        for i in (1, 2, 3)
    }


def _peft_greedy(base: str, adapter: str | None, prompt: str, max_new_tokens: int) -> list[int]:
    """What PEFT itself answers with one adapter loaded (or the base model alone)."""
    tokenizer = models.load_tokenizer(base)
    model = models.load_causal_lm(adapter or base, torch.float32).eval()
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
    return new[: new.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in new else new


def test_a_mixed_adapter_batch_answers_each_row_with_its_own_adapter(checkpoints, adapters):
    base = checkpoints["tiny-a"]
    # float32, as the PEFT reference below runs
    model = TransformersModel("g", base, dtype="float32", use_gpu=False, max_context=256, adapters=adapters)
    rows = [(p, a) for p in PROMPTS for a in (None, *adapters)]
    reqs = [GenRequest(p, 8, adapter=a) for p, a in rows]
    ids = [model.encode(r.prompt, r.max_tokens) for r in reqs]
    mixed = model.generate(ids, reqs)
    assert mixed == [model.generate([i], [r])[0] for i, r in zip(ids, reqs)]
    for (prompt, adapter), completion in zip(rows, mixed):
        reference = _peft_greedy(base, adapters.get(adapter), prompt, 8)
        assert model.runner.decode(reference) == completion.text, (prompt, adapter)
    answers = {prompt: {c.text for (p, _), c in zip(rows, mixed) if p == prompt} for prompt in PROMPTS}
    assert all(len(texts) > 1 for texts in answers.values())  # the adapters do change the answers


def test_adapters_of_one_base_form_one_group(checkpoints, adapters):
    placement = place({"tiny-a": checkpoints["tiny-a"], "tiny-b": checkpoints["tiny-b"], **adapters})
    assert sorted(placement.groups) == ["ad-1", "tiny-b"]  # the group's id is its first served name
    group = placement.groups["ad-1"]
    assert group.base == checkpoints["tiny-a"] and dict(group.adapters) == adapters
    assert placement.served["tiny-a"].adapter is None and placement.served["ad-2"].adapter == "ad-2"
    assert placement.served["ad-2"].base == "tiny-a"  # the base's served name
    alone = place(adapters)
    assert alone.served["ad-1"].base == checkpoints["tiny-a"]  # the base as the adapter names it


def test_an_adapter_that_does_not_fit_its_base_is_refused_at_start_up(checkpoints, tmp_path):
    narrow = build_tiny_checkpoint(TEXTS, tmp_path / "narrow", vocab_size=300, hidden_size=32, n_head=4)
    adapter = make_adapter(narrow, tmp_path / "for-narrow", seed=0)
    config = tmp_path / "for-narrow" / "adapter_config.json"
    config.write_text(config.read_text().replace(str(narrow), checkpoints["tiny-a"]))  # names another base
    with pytest.raises(ConfigError) as caught:
        build_from_config(AppConfig(models={"tiny-a": checkpoints["tiny-a"], "bad": adapter}))
    message = str(caught.value)
    assert "model 'bad'" in message and "does not fit its base model" in message
    assert "query_key_value" in message and "64 in" in message
    missing = tmp_path / "orphan"
    make_adapter(narrow, missing, seed=0)
    config = missing / "adapter_config.json"
    config.write_text(config.read_text().replace(str(narrow), str(tmp_path / "gone")))
    with pytest.raises(ConfigError, match=f"model 'orphan'.*base model {tmp_path / 'gone'}: no such directory"):
        build_from_config(AppConfig(models={"orphan": str(missing)}))


@pytest.fixture(scope="module")
def app(ray_local, checkpoints, adapters):
    cfg = AppConfig(
        models={"tiny-a": checkpoints["tiny-a"], "tiny-b": checkpoints["tiny-b"], **adapters},
        model={
            "num_cpus": 1,
            "max_models_per_replica": 2,
            "batching": {"max_batch_size": 16, "batch_wait_timeout_s": 0.2},
        },
        gateway={"num_cpus": 0.1},
        limits={"max_tokens": 16, "default_max_tokens": 6, "max_context_tokens": 256},
    )
    with running_app(cfg, "ecomgpt-lora") as url:
        yield url


def _complete(url: str, model: str, prompt: str) -> requests.Response:
    body = {"model": model, "prompt": prompt, "max_tokens": 6, "temperature": 0}
    return requests.post(url + "/v1/completions", json=body, timeout=TIMEOUT)


def _counters() -> dict:
    return replica_counters("ecomgpt-lora", TIMEOUT)


@pytest.mark.slow
def test_served_adapters_share_one_base_and_answer_a_mixed_batch_as_one_by_one(app, adapters):
    listed = {m["id"]: m for m in requests.get(app + "/v1/models", timeout=TIMEOUT).json()["data"]}
    assert sorted(listed) == ["ad-1", "ad-2", "ad-3", "tiny-a", "tiny-b"]
    assert all(listed[name]["base"] == "tiny-a" for name in adapters) and "base" not in listed["tiny-a"]
    names = ["tiny-a", *adapters]
    one_by_one = {}
    for prompt in PROMPTS:
        for name in names:
            response = _complete(app, name, prompt)
            assert response.status_code == 200, response.text
            one_by_one[name, prompt] = response.json()["choices"][0]["text"]
    before = _counters()
    jobs = [(name, prompt) for prompt in PROMPTS for name in names]
    with ThreadPoolExecutor(len(jobs)) as pool:
        together = list(pool.map(lambda job: _complete(app, *job), jobs))
    assert all(r.status_code == 200 for r in together)
    assert {job: r.json()["choices"][0]["text"] for job, r in zip(jobs, together)} == one_by_one
    after = _counters()
    assert after["largest_batch"] > 1 and after["batches"] - before["batches"] < len(jobs)
    assert after["models_loaded"] == 1  # tiny-a and its three adapters: one base model on the replica
    assert _complete(app, "tiny-b", PROMPTS[0]).status_code == 200
    assert _counters()["models_loaded"] == 2


@pytest.mark.slow
def test_an_unknown_adapter_is_404_like_an_unknown_model(app):
    response = _complete(app, "ad-9", PROMPTS[0])
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found" and "'ad-9'" in error["message"] and "ad-1" in error["message"]
