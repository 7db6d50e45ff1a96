"""The embedded local Ray serves the state API that Ray Train's placement-group cleaner polls; how many
model-holding actors evaluation or a local teacher starts, and how many CPUs (torch threads) each has."""

from __future__ import annotations

import pytest

from ecomgpt.runtime import actor_plan, torch_threads


def test_the_local_ray_answers_state_queries(ray_local):
    from ray.util.state import list_actors

    # Raises RayStateApiException when the local Ray starts without its dashboard. The address is this
    # session's: other local Rays may run beside it (`pytest -n`), and without one the client refuses to guess.
    address = ray_local.get_runtime_context().gcs_address
    assert isinstance(list_actors(address=address, limit=1), list)


@pytest.mark.heavy  # a local Ray of its own, in another process
def test_a_session_without_the_dashboard_starts_none(tmp_path):
    """`generate` trains nothing and starts its local Ray without the dashboard (about 2 s sooner)."""
    import subprocess
    import sys

    script = (
        "import ray\n"
        "from ecomgpt.runtime import ray_session\n"
        "with ray_session(dashboard=False):\n"
        "    print('dashboard:', repr(ray._private.worker.get_dashboard_url()))\n"
    )
    # Its own process: this one already holds the tests' local Ray.
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "dashboard: ''" in out.stdout, out.stdout


@pytest.mark.parametrize(
    ("free_cpus", "actors", "cpus", "threads"),
    [
        (2.0, 2, 1.0, 1),  # the plain evaluation on 2 CPUs: one actor per CPU
        (1.9, 1, 1.9, 2),  # inside a sweep trial that holds 0.1 CPU: one actor on both cores, not one on one
        (8.0, 8, 1.0, 1),
        (0.5, 1, 1.0, 1),  # less than one CPU free: one actor of the configured size
    ],
)
def test_actors_share_the_free_cpus(free_cpus, actors, cpus, threads):
    planned, share = actor_plan(None, 1.0, 0.0, {"CPU": free_cpus})
    assert (planned, share, torch_threads(share)) == (actors, cpus, threads)
    assert planned * share <= max(free_cpus, 1.0)  # never more than can be placed


def test_a_configured_count_or_gpus_keep_the_configured_cpus():
    assert actor_plan(3, 1.0, 0.0, {"CPU": 1.9}) == (3, 1.0)
    assert actor_plan(None, 2.0, 1.0, {"CPU": 7.9, "GPU": 2}) == (2, 2.0)
    assert actor_plan(None, 2.0, 0.0, {"CPU": 3.9}) == (1, 3.9)
