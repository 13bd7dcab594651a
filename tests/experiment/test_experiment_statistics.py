"""Paired statistics: the t interval on per-seed HITL − automated differences, checked against scipy,
and the same interval as lendsim.statistics gives every other reader."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lendsim import MODES
from lendsim.experiment import COMPARISON_COLUMNS, mean_ci, paired_comparison
from lendsim.metrics import HEADLINE_METRICS, REGISTRY
from lendsim.statistics import clip_interval, paired_ci
from lendsim.sweep import sweep_summary


def summary_of(automated: list[float], hitl: list[float]) -> pd.DataFrame:
    rows = []
    for mode, values in zip(MODES, (automated, hitl), strict=True):
        for seed, value in enumerate(values):
            rows.append(
                {"mode": mode, "seed": seed, **{m: value * (i + 1) for i, m in enumerate(HEADLINE_METRICS)}}
            )
    return pd.DataFrame(rows)


def test_paired_interval_matches_scipy_t_interval_on_the_differences():
    automated = [0.61, 0.58, 0.64, 0.60, 0.59]
    hitl = [0.66, 0.60, 0.70, 0.61, 0.65]
    table = paired_comparison(summary_of(automated, hitl)).set_index("metric")
    d = np.subtract(hitl, automated)
    low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    row = table.loc["approval_rate"]
    assert row["difference"] == pytest.approx(d.mean(), abs=1e-12)
    assert row["ci_low"] == pytest.approx(low, abs=1e-12)
    assert row["ci_high"] == pytest.approx(high, abs=1e-12)
    assert row["automated_mean"] == pytest.approx(np.mean(automated))
    assert row["hitl_mean"] == pytest.approx(np.mean(hitl))
    assert row["n_seeds"] == 5


def test_comparison_interval_is_the_statistics_module_paired_interval_bit_for_bit():
    automated = [0.61, 0.58, 0.64, 0.60, 0.59]
    hitl = [0.66, 0.60, 0.70, 0.61, 0.65]
    table = paired_comparison(summary_of(automated, hitl)).set_index("metric")
    for i, metric in enumerate(HEADLINE_METRICS):
        difference, low, high = paired_ci(np.multiply(automated, i + 1), np.multiply(hitl, i + 1))
        low, high = clip_interval(low, high, REGISTRY[metric].difference_range())
        assert tuple(table.loc[metric, ["difference", "ci_low", "ci_high"]]) == (difference, low, high)


def test_comparison_intervals_stay_within_what_a_difference_can_be():
    """A rate's paired interval over 5 seeds may reach past ±1 in t arithmetic; no difference can."""
    table = paired_comparison(summary_of([0.0, 0.0, 0.0, 0.0, 0.9], [1.0, 1.0, 1.0, 1.0, 0.0]))
    row = table.set_index("metric").loc["approval_rate"]
    assert -1.0 <= row["ci_low"] and row["ci_high"] == 1.0


def test_comparison_has_contract_columns_and_metric_order():
    table = paired_comparison(summary_of([1.0, 2.0], [1.5, 2.5]))
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert tuple(table["metric"]) == HEADLINE_METRICS


def test_one_seed_gives_an_interval_equal_to_the_difference():
    row = paired_comparison(summary_of([0.5], [0.7])).iloc[0]
    assert row["difference"] == row["ci_low"] == row["ci_high"] == pytest.approx(0.2)
    assert row["n_seeds"] == 1


def test_pairing_is_by_seed_not_by_row_order():
    ordered = summary_of([0.1, 0.5, 0.9], [0.2, 0.6, 1.0])
    shuffled = ordered.sample(frac=1.0, random_state=3)
    table = paired_comparison(shuffled).set_index("metric")
    assert table.loc["approval_rate", "ci_low"] == pytest.approx(0.1)  # every difference is exactly 0.1
    assert table.loc["approval_rate", "ci_high"] == pytest.approx(0.1)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30))
def test_mean_ci_agrees_with_scipy_and_brackets_the_mean(values):
    mean, low, high = mean_ci(values)
    sample = np.asarray(values)
    assert low <= mean <= high
    if sample.std(ddof=1) > 0:
        expected = stats.t.interval(0.95, len(sample) - 1, loc=sample.mean(), scale=stats.sem(sample))
        assert (low, high) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_sweep_summary_has_both_modes_and_the_paired_difference_per_point():
    frame = summary_of([0.5, 0.6, 0.7], [0.55, 0.62, 0.80])
    sweep_df = pd.concat([frame.assign(point=0, k=1), frame.assign(point=1, k=2)], ignore_index=True)
    summary = sweep_summary(sweep_df, ["k"])
    assert list(summary["mode"]) == ["automated", "hitl", "difference"] * 2
    assert list(summary.columns[:3]) == ["point", "k", "mode"]
    assert len(summary.columns) == 3 + 3 * len(HEADLINE_METRICS)
    difference = summary[(summary["point"] == 0) & (summary["mode"] == "difference")].iloc[0]
    d = np.array([0.05, 0.02, 0.10])
    low, high = stats.t.interval(0.95, 2, loc=d.mean(), scale=stats.sem(d))
    assert difference["approval_rate_mean"] == pytest.approx(d.mean())
    assert (difference["approval_rate_ci_low"], difference["approval_rate_ci_high"]) == pytest.approx(
        (low, high)
    )
    assert not math.isnan(summary["review_cost_ci_high"].iloc[-1])
