"""The platform's balance sheet, co-lending and the regulator (issue: funding, pricing, regulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendsim.calibration import TARGETS, measure
from lendsim.funding import Funding
from lendsim.loans import LoanBook
from lendsim.regulation import RulesInForce
from lendsim.scenario import load_scenario
from lendsim.simulate import simulate
from lendsim.streams import KeyedUniforms
from tests.conftest import ROOT, tweak


def everyone(scenario, mode: str = "automated", replication: int = 0) -> pd.DataFrame:
    t = simulate(scenario, mode, replication).monthly
    return t[t["segment"] == "all"].set_index("month")


def test_raising_the_own_funding_share_with_fixed_capital_shrinks_the_maximum_book_in_proportion(
    tiny_scenario,
):
    funding = Funding(tiny_scenario, events=KeyedUniforms(1))
    book = LoanBook(1_000, interest_first=False)
    capital = 1_000_000.0
    huge = np.full(1_000, 1e9)
    weights = np.full(1_000, 0.75)
    largest = {}
    for share in (0.1, 0.3):
        rules = RulesInForce.at(tweak(tiny_scenario, regulation__min_own_funding_share=share).regulation, 1)
        capacity = funding.capacity(book, capital, rules, huge, weights)
        largest[share] = min(capacity.capital, capacity.leverage) * huge.sum()
    assert largest[0.1] / largest[0.3] == pytest.approx(3.0)


def test_the_own_book_never_exceeds_what_capital_and_leverage_allow(tiny_scenario):
    real = tiny_scenario.population.real_borrowers
    tight = tweak(tiny_scenario, regulation__min_own_funding_share=0.3, platform__capital_rmb=10.0 * real)
    t = everyone(tight)
    assert (t["supply_lost_leverage"] + t["supply_lost_capital"]).sum() > 0
    # Lending stops at the limit; the month's own profit or loss moves capital after that.
    assert t["leverage"].max() > 0.9 * t["max_leverage"].iloc[0]
    assert (t["leverage"] <= 1.05 * t["max_leverage"]).all()
    assert (t["capital_ratio"] >= 0.95 * t["required_capital_ratio"]).all()
    np.testing.assert_allclose(t["own_book_rmb"], 0.3 * t["book_rmb"], rtol=1e-9)


def test_a_dated_rule_change_applies_from_its_month(tiny_scenario):
    change = [{"from_month": 10, "min_own_funding_share": 0.3}]
    t = everyone(tweak(tiny_scenario, regulation__schedule=change))
    assert (t.loc[:9, "own_funding_share"] == tiny_scenario.platform.own_funding_share).all()
    assert (t.loc[10:, "own_funding_share"] == 0.3).all()
    assert t.loc[20, "own_book_rmb"] / t.loc[20, "book_rmb"] > 0.25


def test_partner_banks_stay_within_their_concentration_limits(tiny_scenario):
    tier1 = 600.0 * tiny_scenario.population.real_borrowers
    lean = tweak(tiny_scenario, platform__partners=[{"name": "only", "tier1_capital_rmb": tier1}])
    t = everyone(lean)
    limit = tier1 * 0.25
    assert (t["partner_balance_only_rmb"] <= limit * (1 + 1e-9)).all()
    assert t["supply_lost_partners"].sum() > 0


def _band_approval(scenario, band: str) -> float:
    rates = []
    for replication in (0, 1):
        t = simulate(scenario, "automated", replication).monthly
        b = t[t["segment"] == band].sum(numeric_only=True)
        rates.append(b["approved"] / b["applications_decided"])
    return float(np.mean(rates))


def test_a_binding_rate_cap_lowers_approval_of_the_riskiest_band(tiny_scenario):
    capped = tweak(tiny_scenario, regulation__apr_cap=0.154)
    assert _band_approval(capped, "band:600-649") < _band_approval(tiny_scenario, "band:600-649")
    assert _band_approval(capped, "band:750-950") == pytest.approx(
        _band_approval(tiny_scenario, "band:750-950"), abs=0.02
    )
    assert everyone(capped)["rejected_rate_cap"].sum() > 0


def test_a_suspension_stops_originations_exactly_in_its_months(tiny_scenario):
    order = [{"start_month": 10, "duration_months": 3, "action": "suspension"}]
    for mode in ("automated", "hitl"):
        t = everyone(tweak(tiny_scenario, regulation__actions=order), mode)
        assert (t.loc[10:12, "loans_originated"] == 0).all()
        assert t.loc[9, "loans_originated"] > 0 and t.loc[13, "loans_originated"] > 0
        assert (t.loc[10:12, "regulator_action"] == 3).all()
        assert t.loc[10:12, "supply_lost_suspension"].sum() > 0


def test_a_persistent_breach_escalates_warning_growth_cap_then_suspension(tiny_scenario):
    fragile = tweak(
        tiny_scenario,
        platform__capital_rmb=20.0 * tiny_scenario.population.real_borrowers,
        platform__operating_cost_apr=1.0,  # costs that burn capital month after month
        regulation__cure_months=2,
    )
    t = everyone(fragile)
    breach = t["regulator_breach"].to_numpy().astype(bool)
    action = t["regulator_action"].to_numpy()
    first = int(np.argmax(breach))
    assert breach[first : first + 6].all(), "the scenario must breach for a while"
    # The action in force in a month follows the breaches counted up to the month before.
    assert list(action[first + 1 : first + 6]) == [1, 1, 2, 2, 3]
    assert (t["loans_originated"].to_numpy()[first + 5 :][action[first + 5 :] == 3] == 0).all()


def test_irb_risk_weights_change_the_capital_ratio(tiny_scenario):
    standard = everyone(tweak(tiny_scenario, platform__own_funding_share=0.3))
    irb = everyone(tweak(tiny_scenario, platform__own_funding_share=0.3, regulation__risk_weights="irb"))
    assert not np.allclose(standard["capital_ratio"], irb["capital_ratio"])


def test_a_funding_cost_shock_raises_funding_costs(tiny_scenario):
    capital = 50.0 * tiny_scenario.population.real_borrowers
    base = tweak(tiny_scenario, platform__own_funding_share=0.5, platform__capital_rmb=capital)
    shock = [{"start_month": 5, "duration_months": 6, "depth": 0.0, "funding_cost_shift": 0.05}]
    calm, dear = everyone(base), everyone(tweak(base, macro__shocks=shock))
    assert dear.loc[5:10, "funding_cost_rmb"].sum() > calm.loc[5:10, "funding_cost_rmb"].sum()
    pd.testing.assert_series_equal(dear.loc[:4, "funding_cost_rmb"], calm.loc[:4, "funding_cost_rmb"])


def test_profit_is_income_less_costs_and_moves_capital(tiny_scenario):
    t = everyone(tiny_scenario, "hitl")
    parts = (
        t["own_interest_rmb"]
        + t["service_fees_rmb"]
        - t["own_credit_losses_rmb"]
        - t["funding_cost_rmb"]
        - t["operating_cost_rmb"]
        - t["review_cost"]
    )
    np.testing.assert_allclose(t["platform_profit"], parts, rtol=1e-9, atol=1e-6)


@pytest.mark.slow
def test_the_baseline_is_calibrated_to_the_reference_delinquency():
    """REFERENCE.md bands (lendsim.calibration.TARGETS), over three seeds of the baseline."""
    measured = measure(load_scenario(ROOT / "scenarios" / "baseline.toml"), seeds=3)
    for name, target in TARGETS.items():
        assert target.holds(measured[name]), (
            f"{name} = {measured[name]:.4f} outside {target.low}–{target.high}"
        )


def test_every_bundled_scenario_loads_and_says_what_it_is():
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    names = {f.stem for f in files}
    assert {
        "baseline",
        "recession",
        "sector_shock",
        "peak_overload",
        "colending_30pct",
        "rate_cap",
        "lending_suspension",
        "hitl_staffing",
    } <= names
    for path in files:
        scenario = load_scenario(path)
        assert scenario.meta.name == path.stem
        assert scenario.meta.description
        assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name} explains itself in comments"
