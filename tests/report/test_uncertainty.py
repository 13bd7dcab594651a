"""Honest uncertainty: intervals that stay in range, a paired band per chart, a warning for few
seeds, and significance only after the Holm correction across the headline metrics.

A run has few seeds and many headline metrics. A t interval is symmetric, so across 3–5 seeds a
rate's interval can reach below 0 % or above 100 %: it is clipped to what the metric can take, as
the metric registry declares it. Looking at 14 or more metrics at once, one of them has a 95 % CI
that excludes zero about half the time by chance alone: a finding is significant only when its
paired t test survives the Holm–Bonferroni correction across all of them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from lendsim.metrics import HEADLINE_METRICS, REGISTRY
from lendsim.report import figures
from lendsim.report.aggregate import SeedBands
from lendsim.report.figures import Panel, compact
from lendsim.report.findings import adjusted_p_values, clipped_comparison, run_findings
from lendsim.report.i18n import text
from lendsim.report.run import summary_section
from lendsim.statistics import (
    MIN_SEEDS,
    few_seeds_warning,
    holm,
    mean_ci,
    paired_ci,
    paired_p_value,
)
from lendsim.sweep import sweep_summary
from tests.conftest import BASELINE

COMPARISON_COLUMNS = ["metric", "automated_mean", "hitl_mean", "difference", "ci_low", "ci_high", "n_seeds"]


def comparison_row(metric: str, p: float, n: int = 5, se: float = 0.01, level: float = 0.5) -> dict:
    """A comparison.csv row whose paired t test has two-sided p-value `p` (n seeds, standard error se)."""
    difference = float(stats.t.isf(p / 2, n - 1)) * se
    half = float(stats.t.ppf(0.975, n - 1)) * se
    return {
        "metric": metric,
        "automated_mean": level,
        "hitl_mean": level + difference,
        "difference": difference,
        "ci_low": difference - half,
        "ci_high": difference + half,
        "n_seeds": n,
    }


def fourteen_metrics(first_p: float) -> pd.DataFrame:
    """The 14 contract headline metrics: the approval rate with p = first_p, the others p = 0.5."""
    rates = {"approval_rate", "default_rate", "false_rejection_rate", "sme_funding_gap_share"}
    rows = [
        comparison_row(
            metric,
            first_p if metric == "approval_rate" else 0.5,
            se=0.01 if metric in rates else 100.0,
            level=0.5 if metric in rates else 10_000.0,
        )
        for metric in HEADLINE_METRICS[:14]
    ]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


# --------------------------------------------------------------------------- Holm


def test_holm_leaves_a_raw_p_of_003_among_14_metrics_not_significant():
    adjusted = holm([0.03] + [0.5] * 13)

    assert adjusted[0] == pytest.approx(14 * 0.03)
    assert adjusted[0] > 0.05
    assert holm([0.03])[0] == pytest.approx(0.03)  # alone, it would be significant


def test_holm_steps_down_and_keeps_the_order_as_by_hand():
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → kept monotone: 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.9, 0.4]) == pytest.approx([0.9, 0.8])  # 0.4·2, then kept monotone: max(0.8, 0.9)
    assert holm([0.9, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    adjusted = holm([0.01, math.nan, 0.04])  # nothing tested: not in the family
    assert math.isnan(adjusted[1]) and adjusted[[0, 2]] == pytest.approx([0.02, 0.04])


def test_the_p_value_is_the_paired_t_test_of_scipy():
    rng = np.random.default_rng(3)
    automated = rng.normal(0.5, 0.05, 6)
    hitl = automated + rng.normal(0.02, 0.02, 6)

    assert paired_p_value(automated, hitl) == pytest.approx(
        stats.ttest_rel(hitl, automated).pvalue, rel=1e-12
    )
    assert math.isnan(paired_p_value(automated, automated))  # no difference: nothing to test
    assert paired_p_value([1.0, 2.0], [2.0, 3.0]) == 0.0  # the same difference in every seed


def test_a_finding_significant_at_raw_p_003_among_14_metrics_is_not_significant_after_holm():
    comparison = fourteen_metrics(first_p=0.03)
    row = comparison.set_index("metric").loc["approval_rate"]
    assert row["ci_low"] > 0  # its own 95 % CI excludes zero

    finding = {f.metric: f for f in run_findings(comparison)}["approval_rate"]
    assert not finding.significant and finding.excludes_zero
    assert "Holm" in finding.text["en"] and "Holm" in finding.text["zh"]
    assert adjusted_p_values(comparison)["approval_rate"] == pytest.approx(14 * 0.03, rel=1e-6)

    alone = run_findings(comparison[comparison["metric"] == "approval_rate"])[0]
    assert alone.significant


def test_a_strong_finding_survives_holm_among_14_metrics():
    finding = {f.metric: f for f in run_findings(fourteen_metrics(first_p=0.001))}["approval_rate"]

    assert finding.significant and "Holm" not in finding.text["en"]


def test_with_the_summary_the_p_values_are_the_paired_t_tests_holm_adjusted():
    rng = np.random.default_rng(5)
    seeds = range(5)
    automated = {"approval_rate": rng.normal(0.5, 0.02, 5), "loans_originated": rng.normal(1e4, 50, 5)}
    hitl = {
        "approval_rate": automated["approval_rate"] + rng.normal(0.03, 0.01, 5),
        "loans_originated": automated["loans_originated"] + rng.normal(0, 50, 5),
    }
    summary = pd.DataFrame(
        [{"mode": "automated", "seed": s, **{m: v[s] for m, v in automated.items()}} for s in seeds]
        + [{"mode": "hitl", "seed": s, **{m: v[s] for m, v in hitl.items()}} for s in seeds]
    )
    comparison = pd.DataFrame(
        [comparison_row("approval_rate", 0.2), comparison_row("loans_originated", 0.2)],
        columns=COMPARISON_COLUMNS,
    )
    raw = [stats.ttest_rel(hitl[m], automated[m]).pvalue for m in ("approval_rate", "loans_originated")]

    adjusted = adjusted_p_values(comparison, summary)
    assert [adjusted["approval_rate"], adjusted["loans_originated"]] == pytest.approx(holm(raw), rel=1e-9)


def test_the_report_says_significance_is_holm_corrected():
    html = summary_section(fourteen_metrics(first_p=0.03))

    assert "Holm–Bonferroni" in html and "14 metrics tested together" in html
    assert "1 of them have a 95 % CI that excludes zero" in html
    assert "Holm–Bonferroni 多重比较校正" in html


# --------------------------------------------------------------------------- clipping


def sweep_rows(values: dict[str, tuple[list[float], list[float]]]) -> pd.DataFrame:
    """One sweep point, 3 seeds: per metric (automated values, HITL values); other metrics 1.0."""
    rows = []
    for mode_index, mode in enumerate(("automated", "hitl")):
        for seed in range(3):
            row = {"point": 0, "underwriting.cutoff": 600, "mode": mode, "seed": seed}
            row |= dict.fromkeys(HEADLINE_METRICS, 1.0)
            row |= {metric: pair[mode_index][seed] for metric, pair in values.items()}
            rows.append(row)
    return pd.DataFrame(rows)


def test_sweep_intervals_stay_within_what_each_metric_can_take():
    approval = ([0.0, 0.9, 0.95], [1.0, 0.0, 0.05])
    capital = ([2.0, 2.5, 3.5], [2.0, 2.4, 3.3])
    loans = ([0.0, 0.0, 300.0], [0.0, 10.0, 350.0])
    summary = sweep_summary(
        sweep_rows({"approval_rate": approval, "min_capital_ratio": capital, "loans_originated": loans}),
        ["underwriting.cutoff"],
    ).set_index("mode")

    # unclipped, the t intervals leave the range: an approval rate of −54 % … 178 %
    _, low, high = mean_ci(approval[0])
    assert low < 0 and high > 1
    assert summary.at["automated", "approval_rate_ci_low"] == 0.0
    assert summary.at["automated", "approval_rate_ci_high"] == 1.0
    _, low, high = mean_ci(np.subtract(approval[1], approval[0]))
    assert low < -1 and high > 1
    assert summary.at["difference", "approval_rate_ci_low"] == -1.0
    assert summary.at["difference", "approval_rate_ci_high"] == 1.0
    # a count is never below zero; a capital ratio is not capped at 100 %
    assert mean_ci(loans[0])[1] < 0 and summary.at["automated", "loans_originated_ci_low"] == 0.0
    assert summary.at["automated", "min_capital_ratio_ci_high"] > 3.0
    # inside the range the interval is the Student-t one (t(0.975, 2) = 4.30), not z = 1.96
    half = stats.t.ppf(0.975, 2) * np.std(capital[0], ddof=1) / math.sqrt(3)
    assert summary.at["automated", "min_capital_ratio_ci_high"] == pytest.approx(np.mean(capital[0]) + half)


def test_the_registry_knows_each_metrics_range():
    assert REGISTRY["approval_rate"].value_range() == (0.0, 1.0)
    assert REGISTRY["approval_rate"].difference_range() == (-1.0, 1.0)
    assert REGISTRY["loans_originated"].value_range() == (0.0, math.inf)
    assert REGISTRY["platform_profit"].value_range() == (-math.inf, math.inf)
    assert REGISTRY["min_capital_ratio"].value_range() == (-math.inf, math.inf)


def test_report_tables_clip_a_rate_difference_to_plus_minus_100_points_and_leave_profit_signed():
    comparison = pd.DataFrame(
        [
            ("approval_rate", 0.05, 0.95, 0.90, -0.4, 2.2, 3),
            ("platform_profit", 1e6, -2e6, -3e6, -9e6, 3e6, 3),
        ],
        columns=COMPARISON_COLUMNS,
    )
    clipped = clipped_comparison(comparison).set_index("metric")

    assert (clipped.at["approval_rate", "ci_low"], clipped.at["approval_rate", "ci_high"]) == (-0.4, 1.0)
    assert (clipped.at["platform_profit", "ci_low"], clipped.at["platform_profit", "ci_high"]) == (-9e6, 3e6)


def month_table(values: dict[tuple[str, int], list[float]], column: str = "approval_rate") -> pd.DataFrame:
    """A monthly table: per (mode, month) one value per seed, every month measured."""
    rows = [
        {
            "mode": mode,
            "seed": seed,
            "month": month,
            "segment": "all",
            column: value,
            "applications_decided": 100,
        }
        for (mode, month), seed_values in values.items()
        for seed, value in enumerate(seed_values)
    ]
    return pd.DataFrame(rows)


def test_time_series_bands_of_a_rate_stay_in_0_to_1_and_its_difference_in_plus_minus_1():
    table = month_table({("automated", 1): [0.02, 0.9, 0.01], ("hitl", 1): [0.99, 0.05, 1.0]})
    bands = SeedBands.of_segment(table)

    band = bands.band("approval_rate")
    assert band["low"].min() == 0.0 and band["high"].max() == 1.0
    difference = bands.difference_band("approval_rate").iloc[0]
    assert difference["low"] == -1.0 and difference["high"] == 1.0


# --------------------------------------------------------------------------- paired band


@pytest.fixture
def five_seeds() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    automated = {month: rng.uniform(0.4, 0.6, 5) for month in (1, 2, 3)}
    return month_table(
        {
            **{("automated", m): list(v) for m, v in automated.items()},
            **{("hitl", m): list(v + rng.normal(0.05, 0.02, 5)) for m, v in automated.items()},
        }
    )


def test_the_paired_band_of_a_month_is_the_paired_t_interval_of_that_month(five_seeds):
    bands = SeedBands.of_segment(five_seeds)
    month = five_seeds[five_seeds["month"] == 2]
    expected = paired_ci(
        month.loc[month["mode"] == "automated", "approval_rate"],
        month.loc[month["mode"] == "hitl", "approval_rate"],
    )

    row = bands.difference_band("approval_rate").set_index("month").loc[2]
    assert (row["mean"], row["low"], row["high"]) == pytest.approx(expected, rel=1e-12)
    # paired: narrower than the two modes' own bands, which share each seed's luck
    own = bands.band("approval_rate").set_index(["mode", "month"])
    assert row["high"] - row["low"] < own.at[("hitl", 2), "high"] - own.at[("hitl", 2), "low"]


def test_a_time_series_chart_draws_the_paired_band_under_the_modes(five_seeds):
    bands = SeedBands.of_segment(five_seeds)
    difference = bands.difference_band("approval_rate")
    figure = figures.time_series(
        [Panel(bands.band("approval_rate"), difference=difference)], "rate", [], "en", seeds=5
    )

    paired = [trace for trace in figure.data if trace.name == text("mode_difference")["en"]]
    band, inner, line = paired
    assert band.fill == "toself" and inner.fill == "toself" and line.yaxis == "y2"
    assert list(line.y) == compact(difference["mean"])
    assert set(band.y) - {None} == set(compact(difference["low"])) | set(compact(difference["high"]))
    assert set(inner.y) - {None} == set(compact(difference["low50"])) | set(compact(difference["high50"]))


# --------------------------------------------------------------------------- few seeds


def test_fewer_than_five_seeds_earn_a_one_line_warning():
    assert MIN_SEEDS == 5
    warning = few_seeds_warning(3)
    assert warning is not None and "\n" not in warning
    assert "3 seeds" in warning and "--seeds 5" in warning
    assert few_seeds_warning(1).startswith("warning: only 1 seed ")
    assert few_seeds_warning(5) is None and few_seeds_warning(12) is None


def test_the_report_warns_when_the_run_has_fewer_than_five_seeds():
    four = fourteen_metrics(0.5).assign(n_seeds=4)

    assert 'class="warning"' in summary_section(four)
    assert "Only 4 seed(s)" in summary_section(four) and "仅有 4 个随机种子" in summary_section(four)
    assert 'class="warning"' not in summary_section(four.assign(n_seeds=5))


def test_a_run_report_of_two_seeds_shows_the_warning_the_paired_bands_and_what_limited_lending(tmp_path):
    from lendsim.cli import app

    out = tmp_path / "run"
    settings = (
        "population.consumers.count=1000",
        "population.smes.count=200",
        "underwriting.hitl.reviewers=1",
    )
    args = ["run", str(BASELINE), "--out", str(out), "--seeds", "2", "--months", "18", "--quiet"]
    result = CliRunner().invoke(app, args + [x for s in settings for x in ("--set", s)])
    assert result.exit_code == 0, result.stderr

    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'class="warning"' in page and "Only 2 seed(s)" in page
    assert "What limited lending" in page and "是什么限制了放贷" in page
    assert page.count("HITL − automated (paired by seed)") >= 3
    assert "Holm–Bonferroni" in page
