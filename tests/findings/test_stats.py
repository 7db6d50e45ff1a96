"""Bootstrap intervals and verdict rules of `ecomgpt findings` on hand-made per-instance scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecomgpt.findings import stats


def _scores(value: float, tasks=("t1", "t2"), n=6) -> dict[str, list[float]]:
    return {task: [value] * n for task in tasks}


def test_the_figure_averages_tasks_not_instances():
    scores = {"one": [1.0], "many": [0.0, 0.0, 0.0]}
    assert stats.point_estimate([scores]) == 0.5
    assert stats.point_estimate([scores, _scores(1.0, ("one", "many"))]) == 0.75


def test_identical_arms_differ_by_exactly_zero_in_every_replicate():
    rng = np.random.default_rng(1)
    scores = {"t1": list(rng.random(9)), "t2": list(rng.random(4))}
    reps = stats.replicates({"a": [scores], "b": [dict(scores)]}, 300, 0)
    assert np.array_equal(reps["a"], reps["b"])  # paired: the same instances in both arms
    low, high = stats.interval(reps["a"] - reps["b"], 0.95)
    assert (low, high) == (0.0, 0.0)
    assert stats.sign_verdict(low, high) == stats.INCONCLUSIVE


def test_a_clear_difference_is_reproduced_and_its_reverse_is_not():
    arms = {"up": [_scores(0.8)], "down": [_scores(0.2)]}
    reps = stats.replicates(arms, 200, 0)
    low, high = stats.interval(reps["up"] - reps["down"], 0.95)
    assert math.isclose(low, 0.6) and math.isclose(high, 0.6)
    assert stats.sign_verdict(low, high) == stats.REPRODUCED
    assert stats.sign_verdict(-high, -low) == stats.NOT_REPRODUCED


def test_seeds_are_resampled_so_their_spread_widens_the_interval():
    arms = {"two_seeds": [_scores(0.0), _scores(1.0)]}
    low, high = stats.interval(stats.replicates(arms, 2000, 0)["two_seeds"], 0.95)
    assert (low, high) == (0.0, 1.0)
    assert stats.point_estimate(arms["two_seeds"]) == 0.5


def test_instance_noise_gives_an_interval_around_the_estimate():
    rng = np.random.default_rng(0)
    scores = {"t": list(rng.random(200))}
    reps = stats.replicates({"a": [scores]}, 2000, 3)
    low, high = stats.interval(reps["a"], 0.95)
    estimate = stats.point_estimate([scores])
    assert low < estimate < high
    assert 0.05 < high - low < 0.1  # about 4 standard errors of a uniform mean over 200 instances


def test_slopes_recover_a_log_trend_per_replicate():
    xs = [2, 4, 8, 16]
    ys = np.asarray([[1 + 3 * math.log(x) for x in xs], [5 - 0.5 * math.log(x) for x in xs]])
    assert np.allclose(stats.slopes(xs, ys), [3.0, -0.5])
    with pytest.raises(stats.StatsError, match="two distinct x"):
        stats.slopes([4, 4], np.zeros((1, 2)))


@pytest.mark.parametrize(
    ("task_slope", "difference", "verdict"),
    [
        ((0.1, 0.3), (0.05, 0.2), stats.REPRODUCED),
        ((0.1, 0.3), (-0.1, 0.2), stats.INCONCLUSIVE),
        ((-0.1, 0.3), (0.05, 0.2), stats.INCONCLUSIVE),
        ((0.1, 0.3), (-0.3, -0.1), stats.NOT_REPRODUCED),
        ((-0.3, -0.1), (0.05, 0.2), stats.NOT_REPRODUCED),
    ],
)
def test_the_curve_rule(task_slope, difference, verdict):
    assert stats.curve_verdict(task_slope, difference) == verdict


def test_arms_over_different_instances_are_refused():
    with pytest.raises(stats.StatsError, match="arm 'b'"):
        stats.replicates({"a": [_scores(0.5, n=6)], "b": [_scores(0.5, n=5)]}, 10, 0)
    with pytest.raises(stats.StatsError, match="at least one seed"):
        stats.replicates({"a": []}, 10, 0)
