"""Real-world scale (issue 13): the number of simulated agents is precision, not the size of the world.

A scenario says how many real consumers and SMEs its agents stand for (`represents`); every
capacity and balance is a real-world total, applied to the agents through their weight. So at a
fixed `represents` a run with four times the agents must tell the same story — every rate and every
real-world total equal within the paired interval (paired by seed: the macro path does not depend
on the agent count) — in the baseline and where reviewers, processing capacity and capital all
bind. Before weights, reviewers and capital were absolute while demand grew with the agents, and
the counts and RMB reported were the agents' own: this test fails on that code at every count.

The one loop that learns from the agents themselves, the risk model's re-estimation, is as noisy as
the agents are few; its effect on profit shrinks as agents are added (README, "Real-world scale").
"""

from __future__ import annotations

import numpy as np
import pytest

from lendsim.errors import ScenarioError
from lendsim.metrics import headline_metrics
from lendsim.scenario import Scenario, load_scenario, with_overrides
from lendsim.simulate import simulate
from lendsim.statistics import holm, paired_p_value
from tests.conftest import BASELINE

SEEDS = range(6)
AGENTS = (4_000, 16_000)  # consumers; SMEs a fifth of that; the baseline's 20,000 + 4,000 real
FAMILYWISE = 0.01
"""No headline metric may differ at this familywise level (Holm over every metric and both modes)."""

BINDING = {
    "platform.capital_rmb": 24_000.0,  # RMB 1 per real borrower, a 20 % minimum capital ratio
    "regulation.min_capital_ratio": 0.2,
    "capacity.requests_per_month": 1_200.0,  # 50 per 1,000 real borrowers: below demand
    "underwriting.hitl.reviews_per_reviewer_month": 50,  # 100 reviews a month for 24,000 borrowers
}


@pytest.fixture(scope="module")
def market() -> Scenario:
    return load_scenario(BASELINE, ["simulation.months=24", "simulation.default_horizon_months=6"])


def at(scenario: Scenario, consumers: int) -> Scenario:
    return with_overrides(
        scenario, {"population.consumers.count": consumers, "population.smes.count": consumers // 5}
    )


def headline_by_seed(scenario: Scenario, mode: str) -> list[dict[str, float]]:
    return [headline_metrics(simulate(scenario, mode, seed).monthly) for seed in SEEDS]


def differences(scenario: Scenario) -> dict[tuple[str, str], float]:
    """Paired p-value of fewer vs more agents, per (mode, headline metric) that varies at all."""
    p_values = {}
    for mode in ("automated", "hitl"):
        few, many = (headline_by_seed(at(scenario, n), mode) for n in AGENTS)
        for name in few[0]:
            a, b = np.array([h[name] for h in few]), np.array([h[name] for h in many])
            if np.ptp(b - a) > 0:
                p_values[(mode, name)] = paired_p_value(a, b)
            else:
                assert np.allclose(a, b), (mode, name, a, b)
    return p_values


@pytest.mark.parametrize("setting", [{}, BINDING], ids=["baseline", "reviewers_capacity_capital_bind"])
def test_four_times_the_agents_tell_the_same_story(market, setting):
    scenario = with_overrides(market, setting)
    p_values = differences(scenario)
    adjusted = dict(zip(p_values, holm(list(p_values.values())), strict=True))
    differ = {key: round(p, 4) for key, p in adjusted.items() if p < FAMILYWISE}
    assert not differ, f"metrics that change with the number of agents: {differ}"
    if setting:  # the identities were checked where the constraints really bind
        summary = simulate(at(scenario, AGENTS[0]), "hitl", 0).summary
        for constraint in ("reviewer_capacity", "processing_capacity", "capital"):
            assert summary[f"binding_months_{constraint}"] > 0, constraint


def test_an_agent_stands_for_at_least_one_real_borrower(market):
    with pytest.raises(ScenarioError, match="represents = 100 is fewer than count = 4000"):
        with_overrides(market, {"population.smes.represents": 100})
    older = with_overrides(market, {"population.consumers.represents": None})  # an older file
    assert older.population.consumers.weight == 1.0
    assert with_overrides(market, {"population.smes.count": 400}).population.smes.weight == 10.0


def test_validate_prints_the_weights_and_the_real_world_totals():
    """Before a long run an analyst sees what the scenario means in the real world."""
    from typer.testing import CliRunner

    from lendsim.cli import app

    result = CliRunner().invoke(app, ["validate", str(BASELINE), "--set", "population.consumers.count=2000"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "# consumers: 2,000 agents stand for 20,000 real consumers (weight 10)" in lines
    assert "# real borrowers: 24,000" in lines
    assert any(line.startswith("# reviewers: 2 people × ") for line in lines)
    assert "# capital: RMB 720,000 (RMB 30 per real borrower)" in lines
