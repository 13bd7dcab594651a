"""Shared fixtures: one tiny scenario (a few thousand borrowers, short horizon, fixed seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lendsim.scenario import Scenario, load_scenario, with_overrides

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

TINY = {
    "population.consumers.count": 2_000,
    "population.smes.count": 600,
    "simulation.months": 24,
    "simulation.seeds": 2,
}
"""The baseline's market (its `represents`, staff, capital and capacities) simulated with a tenth of
the consumers and 15 % of the SMEs as agents: the same world, estimated with more noise."""


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture(scope="session")
def tiny_scenario(baseline: Scenario) -> Scenario:
    return with_overrides(baseline, TINY)


def tweak(scenario: Scenario, **dotted: object) -> Scenario:
    """with_overrides with keyword arguments: tweak(s, underwriting__cutoff=640)."""
    return with_overrides(scenario, {k.replace("__", "."): v for k, v in dotted.items()})
