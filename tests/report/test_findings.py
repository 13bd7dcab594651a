"""Findings are written from the comparison numbers: direction, size, CI and significance."""

from __future__ import annotations

import re

import pandas as pd

from lendsim.report.findings import run_findings, sweep_findings

CJK = re.compile(r"[\u4e00-\u9fff]")


def comparison(*rows: tuple) -> pd.DataFrame:
    columns = ["metric", "automated_mean", "hitl_mean", "difference", "ci_low", "ci_high", "n_seeds"]
    return pd.DataFrame(list(rows), columns=columns)


FUNDING_GAP_CUT = ("sme_funding_gap", 1_000_000.0, 820_000.0, -180_000.0, -240_000.0, -120_000.0, 10)
REVIEW_COST = ("review_cost", 0.0, 350_000.0, 350_000.0, 340_000.0, 360_000.0, 10)
NOISY_DEFAULTS = ("default_rate", 0.060, 0.058, -0.002, -0.006, 0.002, 10)


def by_metric(findings):
    return {finding.metric: finding for finding in findings}


def test_a_significant_cut_is_told_as_a_relative_change_with_its_ci_and_the_review_cost():
    finding = by_metric(run_findings(comparison(FUNDING_GAP_CUT, REVIEW_COST)))["sme_funding_gap"]

    assert finding.significant
    assert finding.text["en"] == (
        "HITL lowered the SME funding gap by 18.0 % (95 % CI 12.0–24.0 %), "
        "from RMB 1.00 m to RMB 820,000, at a review cost of RMB 350,000."
    )


def test_a_difference_whose_ci_crosses_zero_says_it_is_not_significant():
    finding = by_metric(run_findings(comparison(NOISY_DEFAULTS)))["default_rate"]

    assert not finding.significant
    assert "not significant" in finding.text["en"].lower()
    assert "lowered" not in finding.text["en"]
    assert "不显著" in finding.text["zh"]


def test_rates_are_compared_in_percentage_points():
    approval = ("approval_rate", 0.55, 0.60, 0.05, 0.04, 0.06, 5)
    finding = run_findings(comparison(approval))[0]

    assert finding.text["en"] == (
        "HITL raised the approval rate from 55.0 % to 60.0 % (+5.0 pp, 95 % CI +4.0 pp to +6.0 pp)."
    )


def test_zh_findings_are_written_in_chinese():
    for finding in run_findings(comparison(FUNDING_GAP_CUT, REVIEW_COST, NOISY_DEFAULTS)):
        chinese = finding.text["zh"]
        assert len(CJK.findall(chinese)) >= 8, chinese
        assert "HITL" not in chinese and "lowered" not in chinese


def test_zh_finding_names_the_change_and_the_review_cost():
    finding = by_metric(run_findings(comparison(FUNDING_GAP_CUT, REVIEW_COST)))["sme_funding_gap"]

    assert "小微企业融资缺口降低 18.0%" in finding.text["zh"]
    assert "35.0 万元" in finding.text["zh"]


def test_a_single_seed_earns_no_claim_of_significance():
    one_seed = ("approval_rate", 0.55, 0.60, 0.05, 0.05, 0.05, 1)
    finding = run_findings(comparison(one_seed))[0]

    assert not finding.significant
    assert "One seed only" in finding.text["en"]


def test_significant_findings_come_before_the_rest():
    findings = run_findings(comparison(NOISY_DEFAULTS, FUNDING_GAP_CUT))

    assert [f.significant for f in findings] == [True, False]


def test_a_metric_that_is_zero_in_both_modes_has_no_finding():
    assert run_findings(comparison(("frozen_accounts", 0.0, 0.0, 0.0, 0.0, 0.0, 5))) == []


def test_an_identical_result_is_told_as_unchanged():
    same = ("approval_rate", 0.55, 0.55, 0.0, 0.0, 0.0, 5)

    assert "unchanged" in run_findings(comparison(same))[0].text["en"]


def test_findings_follow_the_numbers_when_hitl_raises_a_metric():
    losses_up = ("credit_losses", 2_000_000.0, 2_200_000.0, 200_000.0, 100_000.0, 300_000.0, 8)

    assert run_findings(comparison(losses_up))[0].text["en"].startswith("HITL raised credit losses by 10.0 %")


def test_sweep_findings_count_the_points_where_the_difference_is_significant():
    summary = pd.DataFrame(
        {
            "point": [0, 1, 2],
            "mode": ["difference"] * 3,
            "approval_rate_mean": [0.01, 0.03, 0.05],
            "approval_rate_ci_low": [-0.01, 0.01, 0.04],
            "approval_rate_ci_high": [0.03, 0.05, 0.06],
        }
    )

    [sentence] = sweep_findings(summary, ["approval_rate"])

    assert "from +1.0 pp to +5.0 pp across 3 points" in sentence["en"]
    assert "significant (95 % CI excludes zero) at 2 of them" in sentence["en"]
