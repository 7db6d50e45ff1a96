"""The embedded local Ray serves the state API that Ray Train's placement-group cleaner polls."""

from __future__ import annotations

import pytest


def test_the_local_ray_answers_state_queries(ray_local):
    from ray.util.state import list_actors

    # Raises RayStateApiException when the local Ray starts without its dashboard.
    assert isinstance(list_actors(limit=1), list)


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
