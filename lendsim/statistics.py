"""Confidence intervals across seeds: one Student-t interval for every number that has one.

A run has few seeds (often 3 to 10), so the mean of a metric across them is known only roughly and
its spread is itself estimated from those few values. The normal approximation (mean ± 1.96·sd/√n)
ignores the second uncertainty and is too narrow at these sizes — with 5 seeds by a factor of
t(0.975, 4) / 1.96 ≈ 1.42. Every interval lendsim writes or draws therefore comes from here, with
Student's t for the number of seeds actually measured:

- comparison.csv and sweep_summary.csv: the *paired* interval, the t interval of the per-seed
  differences HITL − automated (both modes share each seed's borrowers and macro path);
- the report's bands and whiskers: the *unpaired* interval of one mode's mean across seeds, month
  by month or segment by segment, each with its own count of seeds.

Both are `mean ± t(0.5 + confidence/2, n − 1) · sd / √n` (`half_width`); they differ only in the
sample they are given. One value has no spread to estimate: its interval is the value itself.

Three more habits keep the uncertainty honest. An interval never leaves the range its metric can
take (`clip_interval`, with the range the metric registry declares: a rate in [0, 1], a difference
of rates in [−1, 1], a count ≥ 0) — a t interval is symmetric, the truth it brackets is not always.
A difference is called significant only after the Holm–Bonferroni correction across the metrics
tested together (`holm`, on the paired t test's p-values, `paired_p_value`): with 14 headline
metrics, one p < 0.05 in 14 happens by chance about half the time. And fewer than `MIN_SEEDS`
seeds earn a warning (`few_seeds_warning`): with 3 seeds t(0.975, 2) = 4.3, and the sample sd
itself is a rough guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "CONFIDENCE",
    "MIN_SEEDS",
    "clip_interval",
    "few_seeds_warning",
    "half_width",
    "holm",
    "mean_ci",
    "paired_ci",
    "paired_p_value",
    "t_multiplier",
    "wilson_interval",
]

CONFIDENCE = 0.95
"""Two-sided confidence of every interval lendsim reports."""

ALPHA = 1.0 - CONFIDENCE
"""Family-wise error rate of the significance calls (after the Holm correction)."""

MIN_SEEDS = 5
"""Fewer seeds than this earn a warning: their intervals are wide and their spread a rough guess."""


def t_multiplier(n: np.ndarray | float, confidence: float = CONFIDENCE) -> np.ndarray:
    """Student's t quantile for the mean of `n` values (n − 1 degrees of freedom); NaN where n < 2.

    Element-wise, so a table of bands with a different number of measured seeds per cell gets the
    right multiplier in every cell.
    """
    from scipy import stats  # imported here: worker processes never need it, and it is slow to import

    seeds = np.asarray(n, dtype="float64")
    return stats.t.ppf(0.5 + confidence / 2, np.where(seeds >= 2, seeds - 1, np.nan))


def half_width(sd: np.ndarray | float, n: np.ndarray | float, confidence: float = CONFIDENCE) -> np.ndarray:
    """Half-width t·sd/√n of the interval of a mean of `n` values with sample standard deviation
    `sd` (ddof=1); 0 where n < 2, because a single value has no spread to estimate.

    The one formula behind comparison.csv, sweep_summary.csv and the report: the same numbers give
    the same interval wherever they are shown.
    """
    seeds = np.asarray(n, dtype="float64")
    spread = np.asarray(sd, dtype="float64")
    measured = seeds >= 2
    safe_n = np.where(measured, seeds, 1.0)
    return np.where(measured, t_multiplier(safe_n, confidence) * spread / np.sqrt(safe_n), 0.0)


def mean_ci(
    values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and two-sided t interval of the mean. One value: the interval is that value.

    Applied to per-seed differences HITL − automated this is the paired t interval (`paired_ci`).
    """
    sample = np.asarray(values, dtype="float64")
    n = sample.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(sample.mean())
    if n == 1:
        return mean, mean, mean
    half = float(half_width(float(sample.std(ddof=1)), n, confidence))
    return mean, mean - half, mean + half


def paired_ci(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean difference after − before and its paired t interval; `before[i]` and `after[i]` share a
    seed. Pairing removes the seed-to-seed variation both modes share, so the interval is narrower
    than comparing the two means unpaired."""
    return mean_ci(np.asarray(after, dtype="float64") - np.asarray(before, dtype="float64"), confidence)


def clip_interval(
    low: np.ndarray | float, high: np.ndarray | float, value_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The interval (low, high) kept inside `value_range` = (lowest, highest), ±inf where open.

    A rate's t interval across 5 seeds can reach below 0 or above 1; no seed, and no mean, can.
    NaN (nothing measured) stays NaN.
    """
    lowest, highest = value_range
    return np.clip(np.asarray(low, dtype="float64"), lowest, highest), np.clip(
        np.asarray(high, dtype="float64"), lowest, highest
    )


def paired_p_value(before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value of the paired t test of after − before = 0 (the one-sample t test on the
    per-seed differences, as scipy.stats.ttest_rel) — the test whose interval is `paired_ci`.

    NaN when there is nothing to test: fewer than two pairs, or every difference 0. Differences
    that are all equal and not 0 have no spread and a certain sign: p = 0.
    """
    from scipy import stats

    differences = np.asarray(after, dtype="float64") - np.asarray(before, dtype="float64")
    differences = differences[~np.isnan(differences)]
    n = differences.size
    if n < 2 or not np.any(differences != 0):
        return math.nan
    sd = float(differences.std(ddof=1))
    mean = float(differences.mean())
    if sd == 0.0:
        return 0.0
    t = mean / (sd / math.sqrt(n))
    return float(2.0 * stats.t.sf(abs(t), n - 1))


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values: a finding is significant at family-wise level α when its
    adjusted p-value is below α. NaN p-values (nothing tested) stay NaN and do not count in the
    family.

    Sorted ascending, the i-th smallest of m p-values is multiplied by m − i (i from 0), kept at
    least as large as the one before it, and capped at 1 (Holm 1979). Uniformly more powerful than
    Bonferroni (every p × m), and valid whatever the dependence between the metrics.
    """
    p = np.asarray(p_values, dtype="float64")
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    steps = p[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return adjusted


def few_seeds_warning(n_seeds: int) -> str | None:
    """One line for stderr when a run has fewer than MIN_SEEDS seeds, else None.

    For the command line (`lendsim run` prints it); the report shows the same warning in both
    languages.
    """
    if n_seeds >= MIN_SEEDS:
        return None
    return (
        f"warning: only {n_seeds} seed{'s' if n_seeds != 1 else ''} — confidence intervals from fewer "
        f"than {MIN_SEEDS} seeds are wide and their spread is itself a rough guess; "
        f"run with --seeds {MIN_SEEDS} or more before drawing conclusions"
    )


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided Wilson score interval of a share: `successes` out of `trials` draws.

    For the share of sampled plausible worlds in which a finding holds (lendsim.robustness). Unlike
    the normal approximation it stays inside [0, 1] and is not a single point at 0 or n successes,
    where a finding that held in every sample would otherwise look certain (Wilson 1927). A Latin
    hypercube spreads its samples more evenly than independent draws, so for it the interval is on
    the wide side. (NaN, NaN) when there were no trials.
    """
    from scipy import stats

    if trials <= 0:
        return math.nan, math.nan
    if not 0 <= successes <= trials:
        raise ValueError(f"successes = {successes} must lie from 0 to trials = {trials}")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not 1 − 1e-16
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high
