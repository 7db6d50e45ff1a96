"""Intervals, power and verdict rules of `ecomgpt findings` on hand-made per-instance scores, against figures
worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecomgpt.findings import stats

T1_975 = 12.706204736174704  # Student's t, 1 degree of freedom, 97.5 %
T199_975 = 1.971956544249395  # 199 degrees of freedom


def _scores(value: float, tasks=("t1", "t2"), n=6) -> dict[str, list[float]]:
    return {task: [value] * n for task in tasks}


def test_t_quantiles_match_the_tables():
    assert stats.t_quantile(0.975, 1) == pytest.approx(T1_975, rel=1e-10)
    assert stats.t_quantile(0.975, 4) == pytest.approx(2.7764451051977987, rel=1e-10)
    assert stats.t_quantile(0.8, 1) == pytest.approx(1.3763819204711736, rel=1e-10)
    assert stats.t_quantile(0.025, 10) == pytest.approx(-2.2281388519649385, rel=1e-10)
    assert stats.t_quantile(0.975, math.inf) == pytest.approx(1.959963984540054, rel=1e-12)


def test_the_figure_averages_tasks_not_instances():
    scores = {"one": [1.0, 1.0], "many": [0.0] * 8}
    assert stats.point_estimate([scores]) == 0.5
    assert stats.point_estimate([scores, _scores(1.0, ("one", "many"))]) == 0.75
    assert stats.contrast({"a": [scores]}, {"a": 1.0}, 0.95).value == 0.5


def test_identical_arms_differ_by_exactly_zero():
    rng = np.random.default_rng(1)
    scores = {"t1": list(rng.random(9)), "t2": list(rng.random(4))}
    estimate = stats.contrast({"a": [scores], "b": [dict(scores)]}, {"a": 1.0, "b": -1.0}, 0.95)
    assert estimate.bounds == (0.0, 0.0)  # paired: the same instances in both arms
    assert stats.sign_verdict(*estimate.bounds) == stats.INCONCLUSIVE


def test_a_clear_difference_is_reproduced_and_its_reverse_is_not():
    arms = {"up": [_scores(0.8)], "down": [_scores(0.2)]}
    low, high = stats.contrast(arms, {"up": 1.0, "down": -1.0}, 0.95).bounds
    assert math.isclose(low, 0.6) and math.isclose(high, 0.6)
    assert stats.sign_verdict(low, high) == stats.REPRODUCED
    assert stats.sign_verdict(-high, -low) == stats.NOT_REPRODUCED


def test_two_seeds_give_a_t_interval_with_one_degree_of_freedom():
    """Seed figures 0 and 1, no instance noise: 0.5 ± t(1)·s/√2, s = 1/√2 — not [min, max] of the two."""
    arms = {"two_seeds": [_scores(0.0), _scores(1.0)]}
    estimate = stats.contrast(arms, {"two_seeds": 1.0}, 0.95)
    assert estimate.value == 0.5 and estimate.seeds == 2
    assert estimate.bounds == pytest.approx((0.5 - T1_975 / 2, 0.5 + T1_975 / 2), rel=1e-9)


def test_one_seed_gives_the_t_interval_of_its_instances():
    """A single task and seed: the classic t interval, mean ± t(n − 1)·s/√n (the unbiased s, not the
    bootstrap's (n − 1)/n of it)."""
    values = list(np.random.default_rng(0).random(200))
    estimate = stats.contrast({"a": [{"t": values}]}, {"a": 1.0}, 0.95)
    half = T199_975 * np.std(values, ddof=1) / math.sqrt(200)
    assert estimate.bounds == pytest.approx((np.mean(values) - half, np.mean(values) + half), rel=1e-9)
    assert estimate.seed_var == 0 and estimate.seeds == 1


def test_unequal_tasks_weigh_equally_in_the_estimate_and_its_variance():
    """Var of a macro average over fixed tasks: Σ_t s_t² / (n_t · T²), whatever the task sizes."""
    small, big = [0.0, 1.0], list(np.linspace(0.2, 0.4, 30))
    estimate = stats.contrast({"a": [{"small": small, "big": big}]}, {"a": 1.0}, 0.95)
    assert estimate.value == pytest.approx((0.5 + 0.3) / 2)
    variance = (np.var(small, ddof=1) / 2 + np.var(big, ddof=1) / 30) / 4
    assert estimate.se == pytest.approx(math.sqrt(variance), rel=1e-12)
    # the small task dominates the variance, so its single degree of freedom sets the width
    assert estimate.half_width > 6 * estimate.se


def test_seeds_are_paired_across_arms_and_tasks():
    """Seed s moves both arms alike on every task: their difference has no seed noise at all, while each
    arm's own figure carries the seed spread."""
    shift = {0: 0.0, 1: 0.3, 2: -0.2}
    base = {"t1": [0.2, 0.4, 0.6], "t2": [0.5, 0.1]}
    arm_a = [{t: [v + shift[s] for v in values] for t, values in base.items()} for s in shift]
    arm_b = [{t: [v + 0.1 for v in values] for t, values in scores.items()} for scores in arm_a]
    arms = {"a": arm_a, "b": arm_b}
    difference = stats.contrast(arms, {"b": 1.0, "a": -1.0}, 0.95)
    assert difference.bounds == pytest.approx((0.1, 0.1), abs=1e-12)
    alone = stats.contrast(arms, {"a": 1.0}, 0.95)
    assert alone.seed_var == pytest.approx(np.var(list(shift.values()), ddof=1) / 3)


def test_a_fixed_run_pairs_with_every_seed():
    """The base model's single run against a two-seed arm: the seed part is the arm's seed spread."""
    arms = {"base": [_scores(0.1)], "tuned": [_scores(0.4), _scores(0.6)]}
    estimate = stats.contrast(arms, {"tuned": 1.0, "base": -1.0}, 0.95)
    assert estimate.value == pytest.approx(0.4)
    assert estimate.bounds == pytest.approx((0.4 - T1_975 * 0.1, 0.4 + T1_975 * 0.1), rel=1e-9)


def test_seed_and_instance_noise_add_without_counting_their_interaction_twice():
    """2 seeds × 2 tasks × 4 instances with every part of the variance known: the estimator gives the
    ANOVA figure, Var(seed figures)/S + Σ_t (MS_instances − MS_residual)/(S·n·T²)."""
    rng = np.random.default_rng(3)
    runs = [{t: list(rng.normal(0.5, 0.2, 4)) for t in ("t1", "t2")} for _ in range(2)]
    estimate = stats.contrast({"a": runs}, {"a": 1.0}, 0.95)
    tables = [np.asarray([run[t] for run in runs]) for t in ("t1", "t2")]
    figures = np.mean([table.mean(axis=1) for table in tables], axis=0)
    instances = 0.0
    for table in tables:
        ms_instances = 2 * np.var(table.mean(axis=0), ddof=1)
        residual = table - table.mean(axis=1, keepdims=True) - table.mean(axis=0) + table.mean()
        ms_residual = (residual**2).sum() / 3
        instances += (ms_instances - ms_residual) / (2 * 4 * 4)
    assert estimate.seed_var == pytest.approx(np.var(figures, ddof=1) / 2, rel=1e-12)
    assert estimate.se**2 == pytest.approx(np.var(figures, ddof=1) / 2 + max(instances, 0.0), rel=1e-12)


def test_the_multiplier_runs_from_the_instances_t_to_the_seeds_t():
    seeds_only = stats.Estimate(
        value=0.0, seed_var=1.0, instance_var=0.0, instance_df=math.inf, seeds=2, confidence=0.95
    )
    assert seeds_only.critical(0.975) == pytest.approx(T1_975)
    instances_only = stats.Estimate(
        value=0.0, seed_var=0.0, instance_var=1.0, instance_df=math.inf, seeds=2, confidence=0.95
    )
    assert instances_only.critical(0.975) == pytest.approx(1.959963984540054)
    half = stats.Estimate(value=0.0, seed_var=1.0, instance_var=1.0, instance_df=math.inf, seeds=2, confidence=0.95)
    z2 = 1.959963984540054**2
    assert half.critical(0.975) ** 2 == pytest.approx(z2 + 0.25 * (T1_975**2 - z2))


def test_slope_weights_recover_a_log_trend():
    xs = [2, 4, 8, 16]
    weights = stats.slope_weights(xs)
    assert sum(w * (1 + 3 * math.log(x)) for w, x in zip(weights, xs)) == pytest.approx(3.0)
    assert sum(w * (5 - 0.5 * math.log(x)) for w, x in zip(weights, xs)) == pytest.approx(-0.5)
    with pytest.raises(stats.StatsError, match="two distinct x"):
        stats.slope_weights([4, 4])


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


def test_arms_that_cannot_be_compared_are_refused():
    with pytest.raises(stats.StatsError, match="arm 'b'"):
        stats.contrast({"a": [_scores(0.5, n=6)], "b": [_scores(0.5, n=5)]}, {"a": 1.0, "b": -1.0}, 0.95)
    with pytest.raises(stats.StatsError, match="at least one seed"):
        stats.contrast({"a": []}, {"a": 1.0}, 0.95)
    with pytest.raises(stats.StatsError, match="arm 'b' has 2 seeds and another arm 3"):
        stats.contrast({"a": [_scores(0.5)] * 3, "b": [_scores(0.5)] * 2}, {"a": 1.0, "b": -1.0}, 0.95)
    with pytest.raises(stats.StatsError, match="task 't2': one instance"):
        stats.contrast({"a": [{"t1": [0.1, 0.2], "t2": [0.3]}]}, {"a": 1.0}, 0.95)
    with pytest.raises(stats.StatsError, match="without scores: c"):
        stats.contrast({"a": [_scores(0.5)]}, {"c": 1.0}, 0.95)
