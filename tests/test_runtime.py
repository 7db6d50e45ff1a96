"""The embedded local Ray serves the state API that Ray Train's placement-group cleaner polls."""

from __future__ import annotations


def test_the_local_ray_answers_state_queries(ray_local):
    from ray.util.state import list_actors

    # Raises RayStateApiException when the local Ray starts without its dashboard.
    assert isinstance(list_actors(limit=1), list)
