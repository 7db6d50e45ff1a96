"""Intervals, power and verdict rules of `ecomgpt findings` (pure functions over per-instance scores).

A figure is the average over held-out tasks of the mean per-instance score, averaged over seeds. Every
statistic the findings report (an arm's figure, a difference of arms, a curve's slope, a difference of
slopes) is a contrast: a weighted sum of arms' figures. Its interval comes from the design's variance
components, not from resampling:

    y[arm, seed, task, i] scores instance i of a task for the model an arm trained with a seed. The held-out
    tasks are fixed (the interval is about these tasks, not about tasks in general); the instances of a task
    are a sample of that task's instances; the seeds are a sample of training seeds. Every arm is scored on
    the same instances and seed s of one arm is paired with seed s of every other arm (the same mixture
    seed and training seed), so a contrast is computed per seed and per instance first:
    z[seed, task, i] = Σ_arm w_arm · y[arm, seed, task, i].

    Var(estimate) = Var(seed figures) / S                                 (seeds, seed×task, seed×instance)
                  + Σ_t (MS_instances,t − MS_residual,t) / (S · n_t · T²) (instances, seed×instance removed)

where the seed figures are the S per-seed macro averages of z, and MS_instances,t and MS_residual,t are the
instance and residual mean squares of task t's S × n_t table (two-way ANOVA without replication). Each
term is unbiased for its part, so the seed×instance noise, which lands in both the seed figures and the
instance means, is counted once. The interval is estimate ± k · SE with the first-order Welch–Satterthwaite
multiplier k² = z² + r_s²·(t²(S − 1) − z²) + r_i²·(t²(ν) − z²), r_s and r_i the two parts' shares of SE² and
ν the instance part's Satterthwaite degrees of freedom: with 2 seeds and seed noise dominating k → 12.7, as
honest as two runs allow; with instance noise dominating k → 1.96. (Student's t with the estimated ν itself
undercovers with 2 seeds: ν grows exactly when the seed variance is drawn small.) An arm with a single run
(the untrained base model) is fixed: it is paired with every seed of the other arms. With one seed in all
arms nothing about seed noise can be known: the interval holds instance noise only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np

Scores = Mapping[str, Sequence[float]]  # task -> per-instance scores, in instance order
# An arm is named by any hashable key: a name, or a point such as (n_tasks, samples_per_task).
Arms = Mapping[Any, Sequence[Scores]]  # arm -> its runs' scores, in seed order
Weights = Mapping[Any, float]  # arm -> its weight in a contrast

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
POWER = 0.8  # the power the minimum detectable effect is stated at


class StatsError(ValueError):
    """Arms that do not score the same instances, or seeds that cannot be paired, cannot be compared."""


def _check(arms: Arms) -> list[str]:
    if not arms or any(not seeds for seeds in arms.values()):
        raise StatsError("every arm needs the scores of at least one seed")
    first = next(iter(next(iter(arms.values()))))
    tasks = sorted(first)
    for name, seeds in arms.items():
        for scores in seeds:
            if sorted(scores) != tasks or any(len(scores[t]) != len(first[t]) for t in tasks):
                raise StatsError(f"arm {name!r}: scores another set of held-out instances than the others")
    if any(len(first[t]) == 0 for t in tasks):
        raise StatsError("a held-out task with no instance has no score")
    return tasks


def point_estimate(seeds: Sequence[Scores]) -> float:
    """The figure itself: the mean over seeds of the average over tasks of the mean instance score."""
    return float(np.mean([np.mean([np.mean(s[t]) for t in sorted(s)]) for s in seeds]))


# Student's t without scipy: the regularized incomplete beta function by its continued fraction.
def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return fraction


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0 or x >= 1.0:
        return min(max(x, 0.0), 1.0)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(x: float, df: float) -> float:
    """P(T ≤ x) for Student's t with `df` (real, > 0) degrees of freedom; the normal for infinite df."""
    if math.isinf(df):
        return NormalDist().cdf(x)
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + x * x))
    return 1.0 - tail if x > 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` (real, > 0) degrees of freedom: Newton's method on `t_cdf` from
    the Cornish–Fisher start (the cdf is concave above 0, so from the first step on it stays below the root)."""
    if not 0.0 < p < 1.0 or not df > 0:
        raise StatsError(f"t quantile: needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    z = NormalDist().inv_cdf(p)
    if math.isinf(df) or df > 1e7:
        return z
    x = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(200):
        density = math.exp(log_norm - (df + 1) / 2 * math.log1p(x * x / df))
        step = (p - t_cdf(x, df)) / density
        x += step
        if abs(step) < 1e-12 * max(1.0, x):
            break
    return x


@dataclass(frozen=True)
class Estimate:
    """A contrast's estimate, the seeds' and the instances' parts of its variance, and what they imply."""

    value: float
    seed_var: float  # Var(seed figures) / S: seed and seed×instance noise (0 with one seed: unknown), S − 1 df
    instance_var: float  # the instances' part, `instance_df` degrees of freedom (Satterthwaite over tasks)
    instance_df: float
    seeds: int  # paired seeds the contrast was computed over
    confidence: float

    @property
    def se(self) -> float:
        return math.sqrt(self.seed_var + self.instance_var)

    @property
    def seed_share(self) -> float:
        total = self.seed_var + self.instance_var
        return self.seed_var / total if total > 0 else 0.0

    def critical(self, p: float) -> float:
        """The multiplier k of SE for the p-quantile, first-order Welch–Satterthwaite:
        k² = z² + r_seeds²·(t²(S − 1) − z²) + r_instances²·(t²(ν_instances) − z²), r a part's share of the variance."""
        total = self.seed_var + self.instance_var
        normal = NormalDist().inv_cdf(p) ** 2
        square = normal
        for part, df in ((self.seed_var, self.seeds - 1), (self.instance_var, self.instance_df)):
            if part > 0:
                square += (part / total) ** 2 * (t_quantile(p, df) ** 2 - normal)
        return math.sqrt(square)

    @cached_property
    def half_width(self) -> float:
        return self.critical(0.5 + self.confidence / 2) * self.se if self.se > 0 else 0.0

    @property
    def bounds(self) -> tuple[float, float]:
        return self.value - self.half_width, self.value + self.half_width

    def mde(self, power: float = POWER) -> float:
        """The smallest true effect that this design puts above 0 with probability `power`:
        (k(1 − α/2) + k(power)) · SE, with this estimate's SE and multipliers (a planning figure)."""
        if self.se == 0:
            return 0.0
        return (self.critical(0.5 + self.confidence / 2) + self.critical(power)) * self.se


def _paired_table(arms: Arms, weights: Weights, tasks: list[str]) -> np.ndarray:
    """The S × (all instances, task by task) table of z = Σ w · y: row s holds seed s of every arm (a one-run
    arm in every row)."""
    unknown = sorted(set(weights) - set(arms))
    if unknown:
        raise StatsError(f"contrast names arms without scores: {', '.join(map(str, unknown))}")
    used = {name: runs for name, runs in arms.items() if weights.get(name, 0.0) != 0.0}
    if not used:
        raise StatsError("a contrast needs a non-zero weight on at least one arm")
    seeds = max(len(runs) for runs in used.values())
    for name, runs in used.items():
        if len(runs) not in (1, seeds):
            raise StatsError(
                f"arm {name!r} has {len(runs)} seeds and another arm {seeds}: seeds pair by index, "
                "so arms need the same seeds (or a single fixed run, like the base model)"
            )
    table: np.ndarray = sum(  # type: ignore[assignment]  # never the start value 0: `used` is not empty
        weights[name]
        * np.asarray([np.concatenate([np.asarray(scores[t], dtype=float) for t in tasks]) for scores in runs])
        for name, runs in used.items()
    )
    return np.broadcast_to(table, (seeds, table.shape[1]))


def contrast(arms: Arms, weights: Weights, confidence: float) -> Estimate:
    """The estimate, SE and t interval of Σ weights[arm] · figure(arm) (see the module's docstring).
    `arms` maps an arm to its runs' scores in seed order: run s of every arm was trained with the same seed."""
    tasks = _check(arms)
    first = next(iter(arms.values()))[0]
    sizes = np.asarray([len(first[t]) for t in tasks])
    if sizes.min() < 2:
        task = tasks[int(sizes.argmin())]
        raise StatsError(f"held-out task {task!r}: one instance gives no estimate of instance noise")
    table = _paired_table(arms, weights, tasks)
    seeds, n_tasks = table.shape[0], len(tasks)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    task_of = np.repeat(np.arange(n_tasks), sizes)

    def per_task(values: np.ndarray) -> np.ndarray:  # sums over each task's instances (the last axis)
        return np.add.reduceat(values, starts, axis=-1)

    row_means = per_task(table) / sizes  # S × T
    per_seed = row_means.mean(axis=1)
    instance_means = table.mean(axis=0)
    task_means = row_means.mean(axis=0)
    weight = 1.0 / (seeds * sizes * n_tasks**2)  # a task's mean square -> its part of Var(estimate)
    # instance means hold instance and seed×instance noise over S; residuals seed×instance noise alone
    means = weight * seeds * per_task((instance_means - task_means[task_of]) ** 2) / (sizes - 1)
    parts = [(means, sizes - 1)]
    if seeds > 1:
        residual = table - row_means[:, task_of] - instance_means + task_means[task_of]
        df = (seeds - 1) * (sizes - 1)
        parts.append((-weight * per_task(residual**2).sum(axis=0) / df, df))
    # the seed figures hold seed and seed×instance noise: Var = seed figures / S + (instance means − residuals)
    seed_var = float(np.var(per_seed, ddof=1)) / seeds if seeds > 1 else 0.0
    instance_var = float(sum(values.sum() for values, _ in parts))
    terms = float(sum((values**2 / df).sum() for values, df in parts))
    instance_df = max(1.0, instance_var**2 / terms) if instance_var > 0 else math.inf
    return Estimate(
        value=float(per_seed.mean()),
        seed_var=seed_var,
        instance_var=max(instance_var, 0.0),
        instance_df=instance_df,
        seeds=seeds,
        confidence=confidence,
    )


def slope_weights(xs: Sequence[float]) -> list[float]:
    """Weights c with Σ c·y the least-squares slope b of y ≈ a + b·ln(x) over the points xs."""
    logs = np.log(np.asarray(xs, dtype=float))
    centred = logs - logs.mean()
    denominator = float((centred**2).sum())
    if denominator == 0:
        raise StatsError("a slope needs at least two distinct x values")
    return [float(c) for c in centred / denominator]


def sign_verdict(low: float, high: float) -> str:
    """A claim that a difference is positive: reproduced when its whole interval is above 0, not
    reproduced when the whole interval is below 0, inconclusive when the interval holds 0."""
    if low > 0:
        return REPRODUCED
    if high < 0:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def curve_verdict(task_slope: tuple[float, float], slope_difference: tuple[float, float]) -> str:
    """(c): the score rises with the task count (slope interval above 0) and rises more than with samples
    per task (interval of slope(tasks) − slope(samples) above 0); not reproduced when either interval lies
    below 0; inconclusive otherwise."""
    if task_slope[0] > 0 and slope_difference[0] > 0:
        return REPRODUCED
    if task_slope[1] < 0 or slope_difference[1] < 0:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def false_reproduced_bound(verdicts: int, confidence: float) -> float:
    """The chance of at least one `reproduced` among `verdicts` claims that are all false: each is at most
    (1 − confidence)/2 (its interval's upper tail), so at most verdicts · (1 − confidence)/2 in any case."""
    return min(1.0, verdicts * (1 - confidence) / 2)


def summary(estimate: Estimate) -> dict[str, float | list[float]]:
    """A figure with its interval as findings.json holds it (×100, like the paper's tables)."""
    low, high = estimate.bounds
    return {
        "value": round(100 * estimate.value, 2),
        "ci": [round(100 * low, 2), round(100 * high, 2)],
        "half_width": round(100 * estimate.half_width, 2),
        "se": round(100 * estimate.se, 3),
    }


def power(estimate: Estimate) -> dict[str, float | int]:
    """The power figures of a verdict's contrast (×100): half-width, minimum detectable effect at POWER,
    the seeds' share of the variance and the seeds it was estimated from."""
    return {
        "half_width": round(100 * estimate.half_width, 2),
        "mde": round(100 * estimate.mde(), 2),
        "power": POWER,
        "seed_share": round(estimate.seed_share, 2),
        "seeds": estimate.seeds,
    }
