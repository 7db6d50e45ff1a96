"""Shared fixtures: one local Ray per test session, paths to the shared real data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
HELDOUT = SHARED / "heldout"
RAW = SHARED / "raw"


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
        start_local_ray(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def generated_data(tmp_path_factory, ray_local) -> Path:
    """A real `generate` run on synthetic records: held_in/ (22 tasks) and held_out/ (the 4 default tasks)."""
    from ecomgpt.data.config import GenerateConfig
    from ecomgpt.data.pipeline import plan_generate, run_generate
    from ecomgpt.records.synth import write_synthetic

    root = tmp_path_factory.mktemp("generated")
    write_synthetic(3_000, 0, str(root / "records"), "jsonl", 3_000)
    run_generate(plan_generate(GenerateConfig(inputs=[str(root / "records")], samples_per_task=40), str(root / "data")))
    return root / "data"


@pytest.fixture(scope="session")
def offline_backbone(tmp_path_factory) -> Path:
    """The offline pretrained backbone converted from its wheel's GGUF file into a fresh cache, once."""
    from ecomgpt import models

    return models.offline_dir(models.DEFAULT_OFFLINE, root=tmp_path_factory.mktemp("model-cache"))
