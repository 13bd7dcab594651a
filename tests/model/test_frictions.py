"""The frictions borrowers meet (DOMAIN.md, "Phenomena"): each mechanism moves its metrics in the
direction the domain says, and switching it off gives exactly the results of a run without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendsim.model import LendingMarket
from lendsim.simulate import simulate
from tests.conftest import tweak


def totals(scenario, mode: str = "automated", replication: int = 0, segment: str = "all") -> pd.Series:
    t = simulate(scenario, mode, replication).monthly
    return t[t["segment"] == segment].sum(numeric_only=True)


def monthly(scenario, mode: str = "automated", replication: int = 0, segment: str = "all") -> pd.DataFrame:
    t = simulate(scenario, mode, replication).monthly
    return t[t["segment"] == segment].set_index("month")


# --- 1. credit-score dynamics ------------------------------------------------------------------------


def test_missed_payments_lower_the_score_and_clean_months_restore_it(tiny_scenario):
    model = LendingMarket(tiny_scenario, "automated", replication=0)
    b = model.borrowers
    row = 0
    b.initial_score[row] = b.score[row] = 750.0
    b.debt_visible[row] = False
    missed = np.zeros(b.size, dtype=bool)
    missed[row] = True
    settled = type("Settled", (), {"missed": missed, "clean": ~missed})
    for _ in range(3):
        model.update_scores(settled)
    assert b.score[row] == pytest.approx(
        750.0 - 3 * tiny_scenario.underwriting.score_penalty_per_missed_payment
    )
    settled.missed, settled.clean = ~missed & missed, missed | ~missed
    model.update_scores(settled)
    assert b.score[row] == pytest.approx(630.0 + tiny_scenario.underwriting.score_recovery_per_clean_month)


def test_debt_elsewhere_lowers_scores_and_raises_defaults(tiny_scenario):
    without = tweak(tiny_scenario, population__external_debt__enabled=False)
    heavy = tweak(
        tiny_scenario,
        population__external_debt__holder_share=0.8,
        population__external_debt__service_share=0.4,
    )
    m_without = LendingMarket(without, "automated", 0)
    m_heavy = LendingMarket(heavy, "automated", 0)
    assert m_heavy.borrowers.score.mean() < m_without.borrowers.score.mean()
    a, b = totals(without), totals(heavy)
    assert b["missed_payments"] / b["payments_due"] > a["missed_payments"] / a["payments_due"]


# --- 2. account freezes ---------------------------------------------------------------------------------


def test_a_tighter_velocity_rule_freezes_more_accounts(tiny_scenario):
    loose = totals(tweak(tiny_scenario, underwriting__accounts__velocity_max_requests=8))
    tight = totals(tweak(tiny_scenario, underwriting__accounts__velocity_max_requests=2))
    assert tight["frozen_velocity"] > loose["frozen_velocity"]


def test_stale_identity_data_freeze_accounts_and_actionable_reasons_speed_recovery(tiny_scenario):
    stale = tweak(tiny_scenario, population__behaviour__identity_stale_rate=0.3)
    vague = totals(stale)
    told = totals(tweak(stale, reasons__actionable=True))
    assert vague["frozen_identity"] > 0
    assert (
        totals(tweak(tiny_scenario, population__behaviour__identity_stale_rate=0.0))["frozen_identity"] == 0
    )
    assert told["unfrozen_data_update"] / told["frozen_identity"] > (
        vague["unfrozen_data_update"] / vague["frozen_identity"]
    )


def test_a_regulator_order_suspends_the_ordered_share_for_its_months(tiny_scenario):
    order = [{"start_month": 6, "duration_months": 3, "share": 0.25}]
    t = monthly(tweak(tiny_scenario, policy__regulator_orders=order))
    n = tiny_scenario.population.real_borrowers
    assert t.loc[6, "frozen_regulator"] == pytest.approx(0.25 * n, rel=0.1)
    assert t["frozen_regulator"].drop(index=6).sum() == 0
    assert t.loc[9, "unfrozen_expiry"] >= t.loc[6, "frozen_regulator"] * 0.9


def test_score_drops_below_the_floor_freeze_accounts(tiny_scenario):
    assert totals(tweak(tiny_scenario, underwriting__accounts__score_floor=0.0))["frozen_score"] == 0
    assert totals(tweak(tiny_scenario, underwriting__accounts__score_floor=600.0))["frozen_score"] > 0


# --- 3. limit shown, drawdown refused -------------------------------------------------------------------


def test_peak_tightening_refuses_drawdowns_only_in_peak_months(tiny_scenario):
    t = monthly(tweak(tiny_scenario, underwriting__drawdown__peak_tightening_points=80.0))
    assert t["refused_tightening"].sum() > 0
    assert (t.loc[t["peak_month"] == 0, "refused_tightening"] == 0).all()


def test_anomaly_flags_refuse_drawdowns_mostly_of_borrowers_who_would_repay(tiny_scenario):
    quiet = totals(tweak(tiny_scenario, underwriting__drawdown__anomaly_flag_rate=0.0))
    noisy = totals(tweak(tiny_scenario, underwriting__drawdown__anomaly_flag_rate=0.3))
    assert quiet["refused_anomaly"] == 0
    assert noisy["drawdowns_refused"] / noisy["drawdowns_attempted"] > (
        quiet["drawdowns_refused"] / quiet["drawdowns_attempted"]
    )
    assert noisy["false_refusals"] / noisy["refusals_tracked"] > 0.5


# --- 4. capacity, peaks and downtime --------------------------------------------------------------------


def test_capacity_below_demand_raises_failures_and_through_retries_velocity_freezes(tiny_scenario):
    rules = tweak(
        tiny_scenario,
        underwriting__accounts__velocity_max_requests=3,
        capacity__max_attempts=4,
        capacity__retry_rate=0.9,
    )
    ample = totals(rules)
    short = totals(tweak(rules, capacity__requests_per_month=20.0 * rules.population.real_borrowers / 1000))
    assert ample["system_failures"] == 0 and short["system_failures"] > 0
    assert short["failed_overload"] == short["system_failures"]
    assert short["frozen_velocity"] > ample["frozen_velocity"]


def test_more_capacity_at_peak_removes_peak_failures(tiny_scenario):
    per_month = 60.0 * tiny_scenario.population.real_borrowers / 1000
    short = tweak(tiny_scenario, capacity__requests_per_month=per_month)
    plain = monthly(short)
    boosted = monthly(tweak(short, capacity__peak_capacity_multiplier=3.0))
    peaks = plain["peak_month"] == 1
    assert plain.loc[peaks, "system_failures"].sum() > 0
    assert boosted.loc[peaks, "system_failures"].sum() < plain.loc[peaks, "system_failures"].sum()


def test_peak_months_multiply_demand(tiny_scenario):
    t = monthly(
        tweak(
            tiny_scenario,
            calendar__peaks=[{"name": "double_11", "month_of_year": 11, "demand_multiplier": 3.0}],
        )
    )
    november = t.loc[[11, 23], "requests"].mean()
    october = t.loc[[10, 22], "requests"].mean()
    assert november > 1.8 * october


def test_maintenance_windows_fail_requests_and_close_accounts_only_in_the_window(tiny_scenario):
    window = [{"start_month": 5, "duration_months": 2, "downtime_share": 0.5}]
    t = monthly(tweak(tiny_scenario, calendar__maintenance=window))
    assert (t.loc[[5, 6], "failed_downtime"] > 0).all()
    assert t["failed_downtime"].drop(index=[5, 6]).sum() == 0
    assert t.loc[[5, 6], "frozen_maintenance"].sum() > 0
    assert t.loc[[5, 6], "maintenance"].eq(1).all() and t["maintenance"].sum() == 2


# --- 5. models that lag ---------------------------------------------------------------------------------


def _months_to_notice(scenario, shock_start: int) -> int:
    t = monthly(scenario, segment="consumer")
    initial = t["model_default_estimate_consumer"].iloc[0]
    after = t.loc[shock_start:, "model_default_estimate_consumer"]
    noticed = after[after > 1.5 * initial]
    return int(noticed.index[0] - shock_start) if len(noticed) else 10_000


def test_a_longer_reestimation_interval_makes_the_model_trail_a_shock_for_longer(tiny_scenario):
    shock = [{"start_month": 13, "duration_months": 8, "depth": -3.0}]
    base = tweak(
        tiny_scenario,
        simulation__months=36,
        macro__shocks=shock,
        population__consumers__count=8000,
        population__smes__count=0,
    )
    fast = _months_to_notice(tweak(base, underwriting__model__reestimation_months=1), 13)
    slow = _months_to_notice(tweak(base, underwriting__model__reestimation_months=12), 13)
    never = _months_to_notice(tweak(base, underwriting__model__reestimation_months=0), 13)
    assert fast < slow < never


def test_predicted_and_realised_default_rates_are_reported_by_month(tiny_scenario):
    t = monthly(tiny_scenario)
    assert {"predicted_default_rate", "realised_default_rate"} <= set(t.columns)
    assert t["predicted_default_rate"].gt(0).any()


# --- 6. terms and repayment plans -----------------------------------------------------------------------


def test_interest_first_repayment_moves_missed_payments_to_the_end(tiny_scenario):
    equal = totals(tiny_scenario)
    bullet = totals(tweak(tiny_scenario, underwriting__repayment="interest_first"))
    assert bullet["missed_payments"] != equal["missed_payments"]
    assert (
        bullet["cohort_defaults"] / bullet["cohort_loans"] > equal["cohort_defaults"] / equal["cohort_loans"]
    )


# --- 7. sector and region policy ------------------------------------------------------------------------


def test_a_sector_restriction_stops_new_credit_there_exactly_in_its_months(tiny_scenario):
    rule = [{"sectors": ["catering"], "start_month": 7, "end_month": 12, "imposed_by": "regulator"}]
    t = simulate(tweak(tiny_scenario, policy__restrictions=rule), "automated", 0).monthly
    catering = t[t["segment"] == "sector:catering"].set_index("month")
    assert catering.loc[7:12, "loans_originated"].sum() == 0
    assert catering.loc[7:12, "rejected_policy"].sum() > 0
    assert catering.loc[13:, "loans_originated"].sum() > 0
    other = t[t["segment"] == "sector:retail"].set_index("month")
    assert other.loc[7:12, "loans_originated"].sum() > 0


def test_a_regional_shock_raises_defaults_in_that_region(tiny_scenario):
    shock = [{"start_month": 3, "duration_months": 12, "depth": -3.0, "regions": ["west"]}]
    calm = simulate(tiny_scenario, "automated", 0).monthly
    hit = simulate(tweak(tiny_scenario, macro__shocks=shock), "automated", 0).monthly

    def defaults(t, region):
        return t.loc[t["segment"] == f"region:{region}", "defaults"].sum()

    assert defaults(hit, "west") > 1.5 * defaults(calm, "west")
    assert defaults(hit, "east") < 1.3 * defaults(calm, "east")


# --- 8. reason codes and appeals ------------------------------------------------------------------------


def test_actionable_reasons_raise_reapplication_approval(tiny_scenario):
    vague = totals(tiny_scenario)
    told = totals(tweak(tiny_scenario, reasons__actionable=True))
    assert told["reapplications_approved"] / told["reapplications"] > (
        vague["reapplications_approved"] / vague["reapplications"]
    )


def test_every_rejection_refusal_and_freeze_carries_a_reason(tiny_scenario):
    t = monthly(tweak(tiny_scenario, population__behaviour__identity_stale_rate=0.2), mode="hitl")
    rejected = t.filter(regex="^rejected_").sum(axis=1)
    refused = t.filter(regex="^refused_").sum(axis=1)
    frozen = t.filter(regex="^frozen_(score|velocity|identity|regulator|maintenance)$").sum(axis=1)
    failed = t.filter(regex="^failed_(overload|downtime)$").sum(axis=1)
    # Counts of real borrowers (weighted sums): equal up to the order in which they were added.
    np.testing.assert_allclose(rejected, t["rejected"], rtol=1e-12)
    np.testing.assert_allclose(refused, t["drawdowns_refused"], rtol=1e-12)
    np.testing.assert_allclose(frozen, t["frozen_accounts"], rtol=1e-12)
    np.testing.assert_allclose(failed, t["system_failures"], rtol=1e-12)


def test_appeals_share_reviewer_capacity_and_overturn_some_decisions(tiny_scenario):
    scenario = tweak(tiny_scenario, underwriting__hitl__reviewers=4, underwriting__hitl__appeal_rate=0.5)
    with_appeals = totals(scenario, mode="hitl")
    without = totals(tweak(scenario, underwriting__hitl__appeals=False), mode="hitl")
    assert with_appeals["appeals_reviewed"] > 0 and without["appeals_filed"] == 0
    assert with_appeals["approved_on_appeal"] + with_appeals["unfrozen_appeal"] > 0
    assert with_appeals["reviews_done"] > without["reviews_done"]
    automated = totals(scenario, mode="automated")
    assert automated["appeals_filed"] == 0


# --- 9. switching a mechanism off -----------------------------------------------------------------------

OFF_EQUALS_NEUTRAL = {
    "velocity rule": (
        {"underwriting.accounts.velocity_max_requests": 0},
        {"underwriting.accounts.velocity_max_requests": 100},
    ),
    "capacity": (
        {"capacity.requests_per_month": 0.0},
        {"capacity.requests_per_month": 1e9},
    ),
    "peaks": (
        {"calendar.peaks": []},
        {
            "calendar.peaks": [{"name": "x", "month_of_year": 2, "demand_multiplier": 1.0}],
            "underwriting.drawdown.peak_tightening_points": 0.0,
        },
    ),
    "identity checks": (
        {"underwriting.accounts.identity_checks": False},
        {"population.behaviour.identity_stale_rate": 0.0},
    ),
    "debt elsewhere": (
        {"population.external_debt.enabled": False},
        {
            "population.external_debt.holder_share": 0.0,
            "population.external_debt.new_debt_rate": 0.0,
            "population.external_debt.new_debt_rate_after_rejection": 0.0,
        },
    ),
    "regulator orders": (
        {"policy.regulator_orders": []},
        {"policy.regulator_orders": [{"start_month": 3, "share": 0.0}]},
    ),
    "sector policy": (
        {"policy.restrictions": []},
        {"policy.restrictions": [{"sectors": [], "start_month": 2}]},
    ),
    "anomaly flags": (
        {"underwriting.drawdown.anomaly_flag_rate": 0.0},
        {"underwriting.drawdown.anomaly_flag_rate": 0.0, "underwriting.drawdown.anomaly_quality_tilt": 3.0},
    ),
}


@pytest.mark.parametrize("mechanism", sorted(OFF_EQUALS_NEUTRAL))
def test_switching_a_mechanism_off_equals_a_run_where_it_never_acts(tiny_scenario, mechanism):
    off, neutral = OFF_EQUALS_NEUTRAL[mechanism]
    for mode in ("automated", "hitl"):
        a = simulate(tweak(tiny_scenario, **{k.replace(".", "__"): v for k, v in off.items()}), mode, 0)
        b = simulate(tweak(tiny_scenario, **{k.replace(".", "__"): v for k, v in neutral.items()}), mode, 0)
        assert a.summary == b.summary, mechanism
