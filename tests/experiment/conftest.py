"""Fixtures for the experiment layer: a tiny scenario (real model), a CLI app, byte comparisons."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # helper modules must import in spawned workers too
    sys.path.insert(0, str(HERE))

TINY_SETS: tuple[str, ...] = (
    "population.consumers.count=300",
    "population.smes.count=60",
    "simulation.months=6",
    "simulation.seeds=3",
    "simulation.default_horizon_months=3",
)
"""A population small enough that one simulate() call takes a few hundredths of a second."""


@pytest.fixture(scope="session")
def baseline_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenarios/baseline.toml; until the lead adds it, a file of schema defaults (the baseline)."""
    bundled = REPO / "scenarios" / "baseline.toml"
    if bundled.is_file():
        return bundled
    stand_in = tmp_path_factory.mktemp("scenarios") / "baseline.toml"
    stand_in.write_text('[meta]\nname = "baseline"\n', encoding="utf-8")
    return stand_in


@pytest.fixture(scope="session")
def tiny_scenario(baseline_path: Path):
    from lendsim.scenario import load_scenario

    return load_scenario(baseline_path, list(TINY_SETS))


@pytest.fixture(scope="session")
def cli_app() -> typer.Typer:
    from lendsim.cli_experiment import sensitivity, sweep

    app = typer.Typer(add_completion=False)
    app.command()(sweep)
    app.command()(sensitivity)
    return app


def tiny_set_args() -> list[str]:
    return [arg for item in TINY_SETS for arg in ("--set", item)]


def final_bytes(folder: Path) -> dict[str, bytes]:
    """The result files that must be byte-identical however a sweep was run."""
    return {name: (folder / name).read_bytes() for name in ("sweep.parquet", "sweep_summary.csv")}
