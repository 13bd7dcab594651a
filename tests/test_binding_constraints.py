"""What limited lending: the months each constraint bound and the credit supply it cost.

Every constraint of lendsim.metrics.CONSTRAINTS gets two headline metrics, generated from that one
list: `binding_months_<name>` (months of the run in which it bound) and `supply_lost_<name>` (RMB
over the horizon). The tests check that a constraint made tight binds more often and costs more
supply (paired by seed), that the baseline's capital never binds and its capital ratio is reported
uncapped, and that the headline numbers are exactly the monthly records they summarise. There is no
recorded "total supply lost" to reconcile the parts with: each supply_lost_<name> is recorded on its
own, by the phase where the constraint acts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendsim import metrics
from lendsim.metrics import BINDING_SHARE, CONSTRAINTS, REGISTRY, headline_names, ratio
from lendsim.reasons import SUPPLY_CONSTRAINTS
from lendsim.scenario import Scenario, with_overrides
from lendsim.simulate import simulate
from lendsim.statistics import paired_ci

SEEDS = range(4)


def summaries(scenario: Scenario, mode: str = "automated", seeds: range = SEEDS) -> pd.DataFrame:
    return pd.DataFrame([simulate(scenario, mode, seed).summary for seed in seeds])


@pytest.fixture(scope="module")
def strict_regulator(tiny_scenario: Scenario) -> Scenario:
    """A 20 % minimum capital ratio: for SME loans (risk weight 100 %) the capital rule is then
    tighter than the leverage cap of 6, so thin capital shows as capital, not leverage, binding."""
    return with_overrides(tiny_scenario, {"regulation.min_capital_ratio": 0.2})


def test_every_constraint_has_its_two_headline_metrics_from_one_list():
    generated = {f"{prefix}{c.name}" for c in CONSTRAINTS for prefix in ("binding_months_", "supply_lost_")}
    declared = {m.name for m in REGISTRY if m.name.startswith(("binding_months_", "supply_lost_"))}
    assert declared == generated
    assert generated <= set(headline_names())
    assert {f"supply_lost_{c.name}" for c in CONSTRAINTS} <= set(metrics.RAW_FLOWS)
    assert set(SUPPLY_CONSTRAINTS) <= {c.name for c in CONSTRAINTS}  # every constraint origination names
    assert {m.kind for m in REGISTRY if m.name.startswith("binding_months_")} == {metrics.COUNT}
    assert {m.over_months for m in REGISTRY if m.name.startswith("binding_months_")} == {metrics.MONTHS}


def test_thin_capital_binds_capital_in_more_months_and_costs_supply(strict_regulator):
    capital = 2.0 * strict_regulator.population.real_borrowers
    thin = with_overrides(strict_regulator, {"platform.capital_rmb": capital})
    ample, scarce = summaries(strict_regulator), summaries(thin)

    months, months_low, _ = paired_ci(ample["binding_months_capital"], scarce["binding_months_capital"])
    lost, lost_low, _ = paired_ci(ample["supply_lost_capital"], scarce["supply_lost_capital"])
    assert months_low > 0, f"capital binds {months:.1f} more months, but the CI reaches {months_low:.2f}"
    assert lost_low > 0, f"capital costs RMB {lost:,.0f} more, but the CI reaches {lost_low:,.0f}"
    assert (scarce["min_capital_ratio"] < ample["min_capital_ratio"]).all()


def test_in_the_baseline_capital_never_binds_and_its_ratio_is_not_capped(tiny_scenario):
    baseline = summaries(tiny_scenario)

    assert (baseline["binding_months_capital"] == 0).all()
    assert (baseline["supply_lost_capital"] == 0).all()
    required = tiny_scenario.regulation.min_capital_ratio
    # far above the minimum — and above 100 %, where the ratio used to be capped
    assert (baseline["min_capital_ratio"] > 10 * required).all()
    assert (baseline["min_capital_ratio"] > 1).all()


def test_thin_processing_capacity_loses_requests_and_the_supply_they_asked_for(tiny_scenario):
    per_month = 50.0 * tiny_scenario.population.real_borrowers / 1000
    overloaded = with_overrides(tiny_scenario, {"capacity.requests_per_month": per_month})
    ample, thin = summaries(tiny_scenario), summaries(overloaded)

    assert (ample["binding_months_processing_capacity"] == 0).all()
    _, months_low, _ = paired_ci(
        ample["binding_months_processing_capacity"], thin["binding_months_processing_capacity"]
    )
    _, lost_low, _ = paired_ci(
        ample["supply_lost_processing_capacity"], thin["supply_lost_processing_capacity"]
    )
    assert months_low > 0 and lost_low > 0


@pytest.mark.parametrize(
    "overflow",
    [
        {"underwriting.hitl.overflow": "wait", "underwriting.hitl.max_wait_months": 1},  # give up
        {"underwriting.hitl.overflow": "fallback"},  # the engine decides instead
    ],
    ids=["wait", "fallback"],
)
def test_few_reviewers_bind_in_hitl_only_and_cost_supply(tiny_scenario, overflow):
    """Six seeds: what the queue costs varies a lot from seed to seed (it is all in HITL's tail)."""
    slow = with_overrides(tiny_scenario, {"underwriting.hitl.reviews_per_reviewer_month": 20, **overflow})
    automated, hitl = summaries(slow, "automated", range(6)), summaries(slow, "hitl", range(6))

    assert (automated["binding_months_reviewer_capacity"] == 0).all()
    assert (automated["supply_lost_reviewer_capacity"] == 0).all()
    _, months_low, _ = paired_ci(
        automated["binding_months_reviewer_capacity"], hitl["binding_months_reviewer_capacity"]
    )
    _, lost_low, _ = paired_ci(
        automated["supply_lost_reviewer_capacity"], hitl["supply_lost_reviewer_capacity"]
    )
    assert months_low > 0 and lost_low > 0


@pytest.mark.parametrize("mode", ["automated", "hitl"])
def test_headline_constraint_numbers_are_the_monthly_records_they_summarise(strict_regulator, mode):
    thin = with_overrides(
        strict_regulator,
        {
            "platform.capital_rmb": 1.0 * strict_regulator.population.real_borrowers,
            "capacity.requests_per_month": 50.0 * strict_regulator.population.real_borrowers / 1000,
            "underwriting.hitl.reviews_per_reviewer_month": 50,
        },
    )
    result = simulate(thin, mode, 0)
    monthly, summary = result.monthly, result.summary
    rows = monthly[monthly["segment"] == "all"].sort_values("month")
    consumer = monthly[monthly["segment"] == "consumer"].sort_values("month")
    sme = monthly[monthly["segment"] == "sme"].sort_values("month")
    bound_somewhere = 0
    for constraint in CONSTRAINTS:
        lost = f"supply_lost_{constraint.name}"
        monthly_lost = rows[lost].to_numpy()
        assert summary[lost] == pytest.approx(monthly_lost.sum(), rel=1e-12, abs=1e-9)
        assert np.allclose(monthly_lost, consumer[lost].to_numpy() + sme[lost].to_numpy(), rtol=1e-12)
        signal = sum(rows[column].to_numpy() for column in constraint.bound_when)
        material = signal >= BINDING_SHARE * rows[constraint.measured_against].to_numpy()
        assert summary[f"binding_months_{constraint.name}"] == np.count_nonzero((signal > 0) & material)
        assert summary[f"binding_months_{constraint.name}"] <= thin.simulation.months
        bound_somewhere += summary[f"binding_months_{constraint.name}"] > 0
    assert bound_somewhere >= 2  # the identities were checked on numbers that are not all zero

    # the capital ratio is capital over the risk-weighted own book, uncapped, month by month
    with_book = rows["rwa_rmb"].to_numpy() > 0
    expected = ratio(rows["capital_rmb"], rows["rwa_rmb"])
    assert np.array_equal(rows["capital_ratio"].to_numpy(), expected)
    assert summary["min_capital_ratio"] == expected[with_book].min()


def test_the_rate_cap_costs_supply_only_where_the_reviewer_would_have_lent(tiny_scenario):
    """A reviewer declines an unsound applicant whatever the price: the cap did not ration it. Only
    the sound one, whom the reviewer would lend to at a price above the cap, is supply the cap cost —
    as the engine counts only applicants that pass its cutoff."""
    from lendsim.phases.review import decide_reviewed
    from tests.model.test_phases import engine, queued, table

    scenario = with_overrides(
        tiny_scenario,
        {
            "population.consumers.count": 6,
            "population.smes.count": 4,
            "underwriting.risk_premium": 0.0,
            "underwriting.hitl.soft_info_noise": 0.0,
            "regulation.apr_cap": 0.05,  # below the base APR of 0.073: every price exceeds it
        },
    )
    t = table(scenario)
    t.score[[0, 1]] = scenario.underwriting.cutoff - 30.0
    t.quality[0], t.quality[1] = 3.0, -3.0  # sound, unsound

    reviewed = decide_reviewed(queued([0, 1], 8_000.0), engine(scenario, t), np.random.default_rng(0))

    assert not reviewed.decisions.approved.any()
    assert reviewed.rationing.rationed_borrower.tolist() == [0]
    assert reviewed.rationing.capped_borrower.tolist() == []  # nothing lent, nothing capped
