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


@pytest.fixture(scope="session")
def ray_local():
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
