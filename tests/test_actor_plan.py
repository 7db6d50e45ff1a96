"""How many model-holding actors evaluation or a local teacher starts, and how many CPUs (torch threads) each has."""

from __future__ import annotations

import pytest

from ecomgpt.runner import actor_plan, torch_threads


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
