"""Behaviour of the lending market: each mechanism moves the metrics in the direction the domain says."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from lendsim.metrics import unknown_until_known
from lendsim.model import LendingMarket
from lendsim.simulate import simulate
from tests.conftest import tweak

MONEY_TOLERANCE_RMB = 1e-6


def segment(result, name: str) -> pd.Series:
    t = result.monthly
    return t[t["segment"] == name].sum(numeric_only=True)


def test_same_seed_gives_identical_results(tiny_scenario):
    first = simulate(tiny_scenario, "hitl", replication=1)
    second = simulate(tiny_scenario, "hitl", replication=1)
    assert first.summary == second.summary
    pd.testing.assert_frame_equal(first.monthly, second.monthly)


def test_different_replications_differ(tiny_scenario):
    assert simulate(tiny_scenario, "automated", 0).summary != simulate(tiny_scenario, "automated", 1).summary


def test_zero_reviewers_make_hitl_identical_to_automated(tiny_scenario):
    scenario = tweak(tiny_scenario, underwriting__hitl__reviewers=0)
    automated = simulate(scenario, "automated", replication=0)
    hitl = simulate(scenario, "hitl", replication=0)
    assert {k: v for k, v in hitl.summary.items() if k != "mode"} == {
        k: v for k, v in automated.summary.items() if k != "mode"
    }
    pd.testing.assert_frame_equal(hitl.monthly.drop(columns="mode"), automated.monthly.drop(columns="mode"))


def test_modes_share_population_and_macro_path(tiny_scenario):
    """Common random numbers: both modes see the same borrowers and the same economy."""
    automated = LendingMarket(tiny_scenario, "automated", replication=0)
    hitl = LendingMarket(tiny_scenario, "hitl", replication=0)
    np.testing.assert_array_equal(automated.borrowers.quality, hitl.borrowers.quality)
    np.testing.assert_array_equal(automated.borrowers.score, hitl.borrowers.score)
    np.testing.assert_array_equal(automated.economy.base_factor, hitl.economy.base_factor)


def pooled(scenario, mode: str, replications=(0, 1)) -> pd.Series:
    """Totals of the 'all' rows over several replications (rates from pooled counts)."""
    return sum(segment(simulate(scenario, mode, replication=r), "all") for r in replications)


def test_raising_the_cutoff_lowers_approval_and_default(tiny_scenario):
    fixed_rules = tweak(tiny_scenario, underwriting__model__adjust_cutoff=False)
    loose = pooled(tweak(fixed_rules, underwriting__cutoff=560), "automated")
    strict = pooled(tweak(fixed_rules, underwriting__cutoff=700), "automated")
    assert (
        strict["approved"] / strict["applications_decided"]
        < loose["approved"] / loose["applications_decided"]
    )
    assert (
        strict["cohort_defaults"] / strict["cohort_loans"] < loose["cohort_defaults"] / loose["cohort_loans"]
    )


def test_a_negative_macro_shock_raises_defaults(tiny_scenario):
    shock = [{"start_month": 6, "duration_months": 6, "depth": -2.5, "target": "all"}]
    calm = simulate(tiny_scenario, "automated", replication=0)
    hit = simulate(tweak(tiny_scenario, macro__shocks=shock), "automated", replication=0)
    assert segment(hit, "all")["defaults"] > 1.3 * segment(calm, "all")["defaults"]
    shocked_months = hit.monthly[(hit.monthly.segment == "all") & (hit.monthly.shock_active == 1)]
    assert set(shocked_months["month"]) == set(range(6, 12))


def test_noiseless_reviewers_lower_the_false_rejection_rate_of_smes(tiny_scenario):
    scenario = tweak(tiny_scenario, underwriting__hitl__soft_info_noise=0.0, underwriting__hitl__reviewers=5)
    rates = {}
    for mode in ("automated", "hitl"):
        sme = segment(simulate(scenario, mode, replication=0), "sme")
        rates[mode] = sme["false_rejections"] / sme["rejections_tracked"]
    assert rates["hitl"] < rates["automated"]


def test_noiseless_review_closes_part_of_the_sme_funding_gap(tiny_scenario):
    # What the information is worth, apart from what the team costs: five reviewers' pay (RMB 80k a
    # month) would exhaust the tiny platform's capital and stop its lending.
    scenario = tweak(
        tiny_scenario,
        underwriting__hitl__soft_info_noise=0.0,
        underwriting__hitl__reviewers=5,
        underwriting__hitl__cost_per_reviewer_month_rmb=0.0,
    )
    automated = simulate(scenario, "automated", replication=0).summary
    hitl = simulate(scenario, "hitl", replication=0).summary
    assert hitl["sme_funding_gap"] < automated["sme_funding_gap"]
    assert hitl["review_cost"] > 0 == automated["review_cost"]


def test_review_capacity_bounds_reviews_and_overflow_waits(tiny_scenario):
    scenario = tweak(
        tiny_scenario,
        underwriting__hitl__reviewers=1,
        underwriting__hitl__reviews_per_reviewer_month=10,
        underwriting__hitl__overflow="wait",
    )
    monthly = simulate(scenario, "hitl", replication=0).monthly
    everyone = monthly[monthly.segment == "all"]
    # Real reviews: a simulated case takes as many as its borrower stands for, and what is left of a
    # month's capacity but too small for the next case carries over while work waits — so the
    # team never does more than its capacity on average, nor more than one case beyond it a month.
    heaviest = max(tiny_scenario.population.consumers.weight, tiny_scenario.population.smes.weight)
    assert everyone["reviews_done"].max() <= 10 + heaviest
    assert everyone["reviews_done"].sum() <= 10 * len(everyone) + 1e-9
    assert everyone["reviews_done"].sum() >= 10 * len(everyone) - 2 * heaviest
    assert everyone["review_queue"].max() > 0
    assert everyone["review_abandoned"].sum() > 0
    assert everyone.loc[everyone.reviews_done > 0, "review_delay_days"].max() > 30


def test_fallback_overflow_decides_everything_in_the_month(tiny_scenario):
    scenario = tweak(
        tiny_scenario,
        underwriting__hitl__reviewers=1,
        underwriting__hitl__reviews_per_reviewer_month=10,
        underwriting__hitl__overflow="fallback",
    )
    everyone = simulate(scenario, "hitl", replication=0).monthly.query("segment == 'all'")
    assert (everyone["applications_decided"] == everyone["applications"]).all()
    assert everyone["review_queue"].sum() == 0


def test_cash_flow_matched_terms_lower_missed_payments(tiny_scenario):
    """Where the shortest term's instalment exceeds what cash flow carries, matching the term helps."""
    base = tweak(
        tiny_scenario,
        underwriting__hitl__reviewers=20,
        underwriting__hitl__score_band=400.0,
        population__consumers__request_income_multiple=1.5,
        population__smes__request_revenue_multiple=0.5,
    )
    matched = pooled(tweak(base, underwriting__hitl__match_term_to_cash_flow=True), "hitl")
    shortest = pooled(tweak(base, underwriting__hitl__match_term_to_cash_flow=False), "hitl")
    assert matched["missed_payments"] / matched["payments_due"] < (
        shortest["missed_payments"] / shortest["payments_due"]
    )


@pytest.mark.parametrize("mode", ["automated", "hitl"])
def test_the_book_reconciles_every_month(tiny_scenario, mode):
    """Book change = originations − principal repaid − write-offs; capital moves by profit."""
    everyone = simulate(tiny_scenario, mode, replication=0).monthly.query("segment == 'all'")
    book = everyone["book_rmb"].to_numpy()
    change = np.diff(np.concatenate([[0.0], book]))
    flows = (
        everyone["volume_originated"] - everyone["principal_repaid_rmb"] - everyone["write_offs_rmb"]
    ).to_numpy()
    np.testing.assert_allclose(change, flows, atol=MONEY_TOLERANCE_RMB * max(book.max(), 1.0))
    capital = everyone["capital_rmb"].to_numpy()
    initial = tiny_scenario.platform.capital_rmb
    np.testing.assert_allclose(
        np.diff(np.concatenate([[initial], capital])), everyone["platform_profit"], rtol=1e-9, atol=1e-6
    )


def test_segments_add_up_to_all(tiny_scenario):
    t = simulate(tiny_scenario, "hitl", replication=0).monthly
    counts = ["applications", "approved", "rejected", "loans_originated", "defaults", "reviews_done"]
    by = t.groupby("segment")[counts].sum()
    pd.testing.assert_series_equal(by.loc["all"], by.loc["consumer"] + by.loc["sme"], check_names=False)


def test_monthly_table_is_finite_but_for_unseasoned_cohorts_and_rates_are_fractions(tiny_scenario):
    """A cohort's default rate is a gap (NaN) until the default horizon has passed, and only then."""
    t = simulate(tiny_scenario, "hitl", replication=0).monthly
    unknown = sorted(unknown_until_known())
    numeric = t.select_dtypes("number")
    assert np.isfinite(numeric.drop(columns=unknown).to_numpy()).all()
    for column in unknown:
        assert (t[column].isna() == (t["cohort_seasoned"] == 0)).all(), column
    for column in [c for c in t.columns if c.endswith("_rate") or c.endswith("_share")]:
        assert t[column].dropna().between(0.0, 1.0).all(), column


def test_capital_bounds_the_book(tiny_scenario):
    poor = tweak(tiny_scenario, platform__capital_rmb=0.5 * tiny_scenario.population.real_borrowers)
    everyone = simulate(poor, "automated", replication=0).monthly.query("segment == 'all'")
    assert (everyone["supply_lost_capital"] + everyone["supply_lost_leverage"]).sum() > 0
    rich = simulate(tiny_scenario, "automated", replication=0).summary
    assert simulate(poor, "automated", replication=0).summary["volume_originated"] < rich["volume_originated"]


def test_a_single_borrower_is_inspectable_as_a_plain_view(tiny_scenario):
    model = LendingMarket(tiny_scenario, "automated", replication=0)
    model.step()
    sme = model.smes.view(0)
    assert not isinstance(sme, mesa.Agent) and sme.is_sme
    assert sme.score == model.borrowers.score[tiny_scenario.population.consumers.count]
    assert model.borrower(3).as_dict()["quality"] == model.borrowers.quality[3]
    assert {type(a).__name__ for a in model.agents} == {"Consumers", "SMEs", "Platform", "Regulator"}


def test_inspecting_borrowers_registers_no_agents(tiny_scenario):
    model = LendingMarket(tiny_scenario, "hitl", replication=0)
    before = len(model.agents)
    views = [model.borrower(row) for row in range(100)] + [model.consumers.view(i) for i in range(10)]
    assert len(views) == 110 and len(model.agents) == before == 4


def test_mesas_step_counter_is_the_month(tiny_scenario):
    model = LendingMarket(tiny_scenario, "automated", replication=0)
    assert model.month == model.steps == 0
    model.step()
    model.step()
    assert model.month == model.steps == 2
    assert model.monthly_table()["month"].unique().tolist() == [1, 2]
    with pytest.raises(AttributeError):
        model.month = 5  # read-only: Mesa counts the months


def test_the_models_monthly_table_is_what_simulate_returns(tiny_scenario):
    model = LendingMarket(tiny_scenario, "hitl", replication=1).run()
    pd.testing.assert_frame_equal(model.monthly_table(), simulate(tiny_scenario, "hitl", 1).monthly)
