"""Shared fixtures: one local Ray per test session, paths to the shared real data; the `heavy` mark."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
HELDOUT = SHARED / "heldout"
RAW = SHARED / "raw"


# What makes a test heavy: a fixture that starts Ray (the session's local Ray, or a Ray head of its own) or the
# S3 server. Every fixture that runs a pipeline stage (synth -> generate on Ray, train, evaluate, serve) gets
# its Ray from `ray_local`, so a test that uses one of these, directly or through other fixtures, is marked
# `heavy`, and so is every `slow` test; a test that starts such a thing itself is marked by hand.
# `make test-fast` runs the rest (`pytest -m "not heavy"`).
HEAVY_FIXTURES = frozenset({"ray_local", "ray_head", "s3_server"})

# Serve keeps an ingress replica draining for 30 s after it is told to stop, so that an external load balancer
# can deregister it; no load balancer fronts a test's Serve, and the wait made every Serve teardown take over
# 30 s. Set before any Ray starts here (the session's Ray, a head, a CLI command), so each inherits it.
os.environ.setdefault("RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S", "1")


def pytest_collection_modifyitems(config, items) -> None:
    rank: dict[Path, int] = {}
    for item in items:
        # `fixturenames` is the closure: the fixtures a test names and every fixture they depend on.
        if item.get_closest_marker("slow") or HEAVY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.heavy)
        file_rank = 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("heavy") else 2
        rank[item.path] = min(rank.get(item.path, 2), file_rank)
    # Files with slow tests first, then the other heavy ones, each file's tests in their order: run in parallel
    # (`pytest -n`, a file to a worker), the longest work starts first and the short files fill the gaps.
    items.sort(key=lambda item: rank[item.path])


def needs_shared(path: Path):
    """Skip a test when a shared dataset is absent (a clone without ../shared)."""
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent")


def stop_serve(timeout_s: float = 60) -> None:
    """`serve.shutdown()`, then wait until the controller's name is released: a `serve.start` right
    after (here or in another process) would otherwise find the dead controller and fail."""
    import time

    import ray
    from ray import serve

    serve.shutdown()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            ray.get_actor("SERVE_CONTROLLER_ACTOR", namespace="serve")
        except ValueError:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the Serve controller was still registered {timeout_s}s after serve.shutdown()")


@pytest.fixture(scope="session")
def ray_local():
    import ray

    from ecomgpt.runtime import start_local_ray

    if not ray.is_initialized():
        start_local_ray(num_cpus=2, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server on loopback (SeaweedFS, from the test extra) with generated credentials, reachable
    through the standard AWS variables, which are set in this process for the session (and so inherited by
    the commands and Ray processes the tests start)."""
    from ecomgpt.s3local import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3-server")).start()
    saved = {key: os.environ.get(key) for key in server.env()}
    os.environ.update(server.env())
    yield server
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def run_root(tmp_path_factory) -> Path:
    """This test run's temporary directory: the parallel workers' common parent under `pytest -n`."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """`run_root/name`, built by `build` once per test run: under `pytest -n` the first worker that needs it
    builds it while the others wait, then all use it (read-only, like any session fixture's data)."""
    root = run_root(tmp_path_factory)
    path = root / name
    with open(root / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f".{name}.built").exists():
            if path.exists():  # never reused blindly: the worker that built it failed (its own error says why)
                raise RuntimeError(f"{path} was left half-built by another test worker whose build failed")
            path.mkdir()
            build(path)
            (root / f".{name}.built").touch()
    return path


def _generate(root: Path) -> None:
    from ecomgpt.generate.config import GenerateConfig
    from ecomgpt.generate.plan import plan_generate
    from ecomgpt.generate.run import run_generate
    from ecomgpt.records.synth import write_synthetic

    write_synthetic(3_000, 0, str(root / "records"), "jsonl", 3_000)
    run_generate(plan_generate(GenerateConfig(inputs=[str(root / "records")], samples_per_task=40), str(root / "data")))


@pytest.fixture(scope="session")
def generated_data(tmp_path_factory, ray_local) -> Path:
    """A real `generate` run on synthetic records: held_in/ (22 tasks) and held_out/ (the 4 default tasks);
    one per test run."""
    return built_once(tmp_path_factory, "generated", _generate) / "data"


@pytest.fixture(scope="session")
def offline_backbone(tmp_path_factory) -> Path:
    """The offline pretrained backbone converted from its wheel's GGUF file into a fresh cache, once per test
    run (`offline_dir` converts under its own lock)."""
    from ecomgpt import models

    cache = run_root(tmp_path_factory) / "model-cache"
    cache.mkdir(exist_ok=True)
    return models.offline_dir(models.DEFAULT_OFFLINE, root=cache)


SECTION_ANSWER = "positive"
SECTION_REQUEST = {"model": "m", "text": "Fits well, fast shipping"}  # to the review_sentiment task route


@pytest.fixture(scope="session")
def section_writer(tmp_path_factory) -> tuple[str, str]:
    """(prompt, checkpoint): a tiny BLOOM that answers the review_sentiment task route's prompt for
    SECTION_REQUEST with SECTION_ANSWER and then writes on into the next `### ` section, as a base model
    that never learnt to stop does; trained here on that one text until greedy decoding repeats it."""
    import torch

    from ecomgpt import models
    from ecomgpt.serve.tasks import SERVED_TASKS, parse_request, task_prompt
    from ecomgpt.train.tiny import build_tiny_checkpoint

    served = SERVED_TASKS["review_sentiment"]
    prompt = task_prompt(served, parse_request(served, SECTION_REQUEST))
    text = f"{prompt} {SECTION_ANSWER}\n### Instruction:\nthe next task"
    path = str(build_tiny_checkpoint([text] * 8, tmp_path_factory.mktemp("section-writer"), vocab_size=400))
    tokenizer = models.load_tokenizer(path)
    model = models.load_causal_lm(path, torch.float32)
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 2-layer model: more threads only contend
    try:
        for _ in range(300):
            loss = model(input_ids=ids, labels=ids).loss
            if loss.item() < 0.05:
                break
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(path, safe_serialization=True)
    return prompt, path


def make_adapter(
    base: str | Path, out: str | Path, *, seed: int, r: int = 4, targets: list[str] | None = None, scale: float = 1.0
) -> str:
    """A LoRA adapter directory over the checkpoint `base`, with random non-zero weights (so it changes the
    base model's answers; `scale` multiplies its update), written by PEFT as training writes one."""
    import torch
    from peft import LoraConfig, get_peft_model

    from ecomgpt import models

    torch.manual_seed(seed)
    model = models.load_causal_lm(str(base), torch.float32)
    config = LoraConfig(
        r=r, lora_alpha=r * scale, target_modules=targets, init_lora_weights=False, task_type="CAUSAL_LM"
    )
    peft_model = get_peft_model(model, config)
    peft_model.peft_config["default"].base_model_name_or_path = str(base)
    peft_model.save_pretrained(str(out), safe_serialization=True, save_embedding_layers=False)
    return str(out)
