"""The Jiebei-scale scenario (scenarios/jiebei_scale.toml) lands near the platform it stands for.

The reference is docs/calibration.md ("The platform", "Delinquency", "Small-business lending").
Stated factor, as in the scenario's header: the consumer book (≈ RMB 1.7 tn), the SME book
(≈ RMB 0.4 tn) — month-end balances averaged over the last year — and the average SME loan
outstanding (≈ RMB 31k) each within 1.25× of the reference (from 0.8× to 1.25×); the consumer 30+
and 90+ dpd ratios within lendsim.calibration's bands (1–2 % and 0.7–1.5 %; prospectus 2017–2019);
SME write-offs 0.5–2 % of the SME book a year (MYbank default rate ≈ 1 %); the own-funded share of
the book within the calibration's ≈ 2 % band (1.5–2.5 %).

Measured with few agents — 16,000 consumers + 6,400 SMEs, 36 months, 6 seeds, automated mode
(≈ 7 s) — instead of the file's 1 M: each agent then stands for more real borrowers, and scale
invariance (issue 13) makes the run a noisier estimate of the same world, not a smaller world.
Six seeds, and SME write-offs over the two years after the burn-in rather than one, because the
SME figures swing with the macro factor from year to year (one seed's year runs from ≈ 0.2 % to
≈ 3 % of the book). Four disjoint groups of six seeds (replications 0–23) all land well inside:
consumer book 0.94–0.97×, SME book 1.00–1.11×, average SME loan 1.06–1.10× the reference; 30+ dpd
1.6–1.9 %, 90+ dpd 0.85–0.98 %; SME write-offs 0.8–1.1 % a year; own-funded share 2.0 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendsim.calibration import BURN_IN_MONTHS, TARGETS, delinquency_ratios
from lendsim.scenario import Scenario, load_scenario, with_overrides
from lendsim.simulate import simulate
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "jiebei_scale.toml"

FACTOR = 1.25
"""Balances land within this factor of the reference, either way."""

REFERENCE_RMB = {
    "consumer book": 1.7e12,  # Ant Group prospectus: consumer credit ≈ RMB 1.7 tn (June 2020)
    "SME book": 0.4e12,  # SME credit ≈ RMB 0.4 tn
    "average SME loan": 31e3,  # MYbank: average outstanding loan ≈ RMB 31k
}

SME_WRITE_OFF_BAND = (0.005, 0.02)
"""SME write-offs a year as a share of the SME book (MYbank default rate ≈ 1 %)."""

FEW_AGENTS = {
    "population.consumers.count": 16_000,
    "population.smes.count": 6_400,
    "simulation.months": 36,
}
SEEDS = 6
LAST_YEAR = 12


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def measured(scenario: Scenario) -> dict[str, float]:
    """The measures of the module docstring, each the mean over the seeds."""
    few = with_overrides(scenario, FEW_AGENTS)
    rows = [_measures(simulate(few, "automated", replication).monthly) for replication in range(SEEDS)]
    return {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}


def _measures(monthly: pd.DataFrame) -> dict[str, float]:
    last = monthly[monthly["month"] > monthly["month"].max() - LAST_YEAR]
    consumer = last[last["segment"] == "consumer"]
    sme = last[last["segment"] == "sme"]
    after_burn_in = monthly[(monthly["segment"] == "sme") & (monthly["month"] > BURN_IN_MONTHS)]
    years = after_burn_in["month"].nunique() / 12.0
    everyone = monthly[monthly["segment"] == "all"]
    consumer30, consumer90 = delinquency_ratios(monthly, "consumer")
    return {
        "consumer book": float(consumer["book_rmb"].mean()),
        "SME book": float(sme["book_rmb"].mean()),
        "average SME loan": float(sme["book_rmb"].sum() / sme["open_loans"].sum()),
        "consumer_dpd30": consumer30,
        "consumer_dpd90": consumer90,
        "SME write-offs a year": float(
            after_burn_in["write_offs_rmb"].sum() / years / after_burn_in["book_rmb"].mean()
        ),
        "own_funded_share": float(everyone["own_book_rmb"].sum() / everyone["book_rmb"].sum()),
    }


def test_each_agent_stands_for_the_real_borrowers_the_file_says(scenario):
    consumers, smes = scenario.population.consumers, scenario.population.smes
    assert (consumers.count, consumers.represents) == (800_000, 500_000_000)  # ≈ 500 m credit users
    assert (smes.count, smes.represents) == (200_000, 21_000_000)  # ≈ 21 m SMEs served
    assert consumers.weight == consumers.represents / consumers.count == 625
    assert smes.weight == smes.represents / smes.count == 105
    few = with_overrides(scenario, FEW_AGENTS)
    for kind in (few.population.consumers, few.population.smes):
        assert kind.real_count == kind.represents  # fewer agents, the same real borrowers
        assert kind.weight == kind.represents / kind.count >= 1


def test_the_platform_is_funded_and_capitalised_as_the_reference_says(scenario):
    platform = scenario.platform
    assert platform.capital_rmb == 16e9  # RMB 16 bn registered capital
    assert platform.own_funding_share == pytest.approx(0.02)
    limit = sum(p.tier1_capital_rmb * p.max_share_of_tier1 * p.appetite for p in platform.partners)
    # Enough for 98 % of RMB 2.1 tn at month end, when loans are made before the month's repayments.
    assert 0.98 * 2.1e12 <= limit <= FACTOR * 0.98 * 2.1e12


@pytest.mark.parametrize("name", list(REFERENCE_RMB))
def test_balances_land_within_the_stated_factor_of_the_reference(measured, name):
    ratio = measured[name] / REFERENCE_RMB[name]
    assert 1 / FACTOR <= ratio <= FACTOR, (
        f"{name} = RMB {measured[name]:,.0f}, {ratio:.2f}× the reference RMB {REFERENCE_RMB[name]:,.0f}"
    )


@pytest.mark.parametrize("name", ["consumer_dpd30", "consumer_dpd90", "own_funded_share"])
def test_consumer_delinquency_and_own_funding_are_in_the_calibration_bands(measured, name):
    target = TARGETS[name]
    assert target.holds(measured[name]), (
        f"{name} = {measured[name]:.2%} outside {target.low:.2%}–{target.high:.2%} ({target.source})"
    )


def test_sme_write_offs_run_near_mybanks_default_rate(measured):
    low, high = SME_WRITE_OFF_BAND
    rate = measured["SME write-offs a year"]
    assert low <= rate <= high, f"SME write-offs {rate:.2%} of the book a year, outside {low:.1%}–{high:.1%}"
