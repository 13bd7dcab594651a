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
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["CONFIDENCE", "half_width", "mean_ci", "paired_ci", "t_multiplier"]

CONFIDENCE = 0.95
"""Two-sided confidence of every interval lendsim reports."""


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
