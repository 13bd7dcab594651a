"""Common random numbers across sweep points and scenarios (the seed of replication r is
SeedSequence([root, r]), whatever the point): differences between points measure what changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lendsim.metrics import HEADLINE_METRICS
from lendsim.scenario import load_scenario, with_overrides
from lendsim.statistics import mean_ci
from lendsim.sweep import grid_design, parse_grid, run_sweep

SMALL = [
    "population.consumers.count=1500",
    "population.smes.count=300",
    "simulation.months=18",
    "simulation.seeds=4",
]


def _sweep(baseline_path: Path, tmp_path: Path, grid: str) -> pd.DataFrame:
    scenario = load_scenario(baseline_path, SMALL)
    return run_sweep(scenario, grid_design([parse_grid(grid)]), out=tmp_path / "sweep").sweep_df


def test_a_hitl_only_setting_leaves_every_automated_number_identical_at_every_point(
    baseline_path: Path, tmp_path: Path
):
    table = _sweep(baseline_path, tmp_path, "underwriting.hitl.reviewers=0,2,8")
    automated = table[table["mode"] == "automated"]
    per_point = [group.set_index("seed")[list(HEADLINE_METRICS)] for _, group in automated.groupby("point")]
    for other in per_point[1:]:
        pd.testing.assert_frame_equal(other, per_point[0], check_exact=True)
    hitl = table[table["mode"] == "hitl"].groupby("point")["review_cost"].mean()
    assert hitl.iloc[0] == 0 < hitl.iloc[2]  # the setting did act, on the HITL mode only


def test_raising_the_cutoff_gives_a_monotone_approval_curve_with_tight_steps(
    baseline_path: Path, tmp_path: Path
):
    table = _sweep(baseline_path, tmp_path, "underwriting.cutoff=560:680:40")
    rates = table[table["mode"] == "automated"]
    automated = rates.pivot(index="seed", columns="point", values="approval_rate")
    assert (np.diff(automated.mean().to_numpy()) < 0).all(), f"approval by cutoff, per seed:\n{automated}"
    # Same borrowers and luck at every point: a step between two cutoffs varies far less across
    # seeds than the approval rate itself does, so four seeds already show the whole climb.
    steps = np.diff(automated.to_numpy(), axis=1)
    assert steps.std(axis=0, ddof=1).max() < automated.std(axis=0, ddof=1).min()
    _, _, high = mean_ci(automated[3] - automated[0])
    assert high < 0


def test_two_scenarios_sharing_a_population_see_the_same_borrowers(baseline_path: Path):
    from lendsim.model import LendingMarket

    base = load_scenario(baseline_path, SMALL)
    policy = with_overrides(base, {"underwriting.cutoff": 680, "regulation.apr_cap": 0.154})
    first, second = (LendingMarket(s, "automated", replication=2) for s in (base, policy))
    for column in ("quality", "initial_score", "base_cash_rmb", "region", "sector", "prober"):
        np.testing.assert_array_equal(getattr(first.borrowers, column), getattr(second.borrowers, column))
    other_seed = LendingMarket(base, "automated", replication=3)
    assert not np.array_equal(first.borrowers.quality, other_seed.borrowers.quality)
