"""One t interval everywhere: comparison.csv, the report's bands and its segment whiskers agree.

A run has few seeds, so the interval of a mean across them must use Student's t for the seeds
actually measured; the normal 1.96 would draw the bands of 5 seeds ≈ 29 % too narrow.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lendsim import experiment, statistics
from lendsim.experiment import paired_comparison
from lendsim.metrics import HEADLINE_METRICS
from lendsim.report.aggregate import SeedBands, segment_rates
from lendsim.statistics import half_width, mean_ci, paired_ci, t_multiplier

FIVE_SEEDS = np.array([0.42, 0.47, 0.39, 0.51, 0.45])
Z_95 = 1.96


def one_month(values: np.ndarray, column: str = "approval_rate", **other: object) -> pd.DataFrame:
    """A monthly table of one month, one mode, one value per seed."""
    return pd.DataFrame(
        {"mode": "hitl", "seed": range(len(values)), "month": 1, "segment": "all", column: values, **other}
    )


def test_band_of_five_seeds_is_wider_than_a_z_band_by_t_over_z():
    band = SeedBands.of_segment(one_month(FIVE_SEEDS)).band("approval_rate").iloc[0]

    z_half = Z_95 * FIVE_SEEDS.std(ddof=1) / math.sqrt(5)
    ratio = (band["high"] - band["mean"]) / z_half
    assert ratio == pytest.approx(stats.t.ppf(0.975, 4) / Z_95, rel=1e-12)
    assert ratio == pytest.approx(1.42, abs=0.005)
    assert (band["mean"] - band["low"]) / z_half == pytest.approx(ratio, rel=1e-12)


def test_comparison_and_band_give_the_same_interval_for_the_same_numbers():
    band = SeedBands.of_segment(one_month(FIVE_SEEDS)).band("approval_rate").iloc[0]
    summary = pd.DataFrame(
        [
            {"mode": mode, "seed": seed, **dict.fromkeys(HEADLINE_METRICS, value)}
            for mode, values in (("automated", np.zeros(5)), ("hitl", FIVE_SEEDS))
            for seed, value in enumerate(values)
        ]
    )
    row = paired_comparison(summary).set_index("metric").loc["approval_rate"]

    assert (row["ci_low"], row["difference"], row["ci_high"]) == pytest.approx(
        (band["low"], band["mean"], band["high"]), rel=1e-12
    )
    assert (row["difference"], row["ci_low"], row["ci_high"]) == mean_ci(FIVE_SEEDS)


def test_band_uses_the_seeds_measured_in_that_month():
    """A seed with nothing to measure (denominator 0) is left out of the mean and of the t count."""
    values = np.append(FIVE_SEEDS, 0.0)
    decided = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 0.0])
    table = one_month(values, applications_decided=decided)

    band = SeedBands.of_segment(table).band("approval_rate").iloc[0]

    assert (band["mean"], band["low"], band["high"]) == pytest.approx(mean_ci(FIVE_SEEDS), rel=1e-12)


def test_segment_whiskers_are_the_same_t_interval():
    approved = FIVE_SEEDS * 1000
    table = one_month(
        approved,
        column="approved",
        approved_on_appeal=0.0,
        applications_decided=1000.0,
        segment="consumer",
    )

    bar = segment_rates(table, ["consumer"]).set_index("metric").loc["approval_rate"]

    assert (bar["mean"], bar["low"], bar["high"]) == pytest.approx(mean_ci(FIVE_SEEDS), rel=1e-12)


def test_one_seed_has_no_interval_and_the_multiplier_needs_two():
    assert np.isnan(t_multiplier(1)) and not np.isnan(t_multiplier(2))
    assert half_width(0.3, 1) == 0.0
    assert list(half_width([0.3, 0.3], [1, 5])) == [0.0, pytest.approx(stats.t.ppf(0.975, 4) * 0.3 / 5**0.5)]
    assert mean_ci([0.4]) == (0.4, 0.4, 0.4)
    assert all(math.isnan(v) for v in mean_ci([]))


def test_paired_interval_is_the_interval_of_the_per_seed_differences():
    automated = np.array([0.61, 0.58, 0.64, 0.60, 0.59])
    hitl = np.array([0.66, 0.60, 0.70, 0.61, 0.65])
    d = hitl - automated

    difference, low, high = paired_ci(automated, hitl)

    expected = stats.t.interval(0.95, 4, loc=d.mean(), scale=stats.sem(d))
    assert difference == pytest.approx(d.mean()) and (low, high) == pytest.approx(expected, rel=1e-12)


def test_experiment_still_exports_the_interval_it_always_had():
    """lendsim.sweep (and anyone else) imports mean_ci and CONFIDENCE from lendsim.experiment."""
    assert experiment.mean_ci is statistics.mean_ci
    assert experiment.CONFIDENCE == statistics.CONFIDENCE == 0.95
