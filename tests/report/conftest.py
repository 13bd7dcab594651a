"""Fabricated run and sweep folders for the report tests (no model needed, see synthetic.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lendsim.report import build_report

from .synthetic import BASIC_SEGMENTS, EXTRA_SEGMENTS, fabricate_run_folder, fabricate_sweep_folder


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """A small run: 3 seeds × 24 months, consumer/SME plus band, sector and region segments."""
    return fabricate_run_folder(
        tmp_path / "run", seeds=3, months=24, segments=BASIC_SEGMENTS + EXTRA_SEGMENTS[:4]
    )


@pytest.fixture
def sweep_folder(tmp_path: Path) -> Path:
    """A 3 × 3 grid over two parameters, with Morris and Sobol sensitivity."""
    return fabricate_sweep_folder(tmp_path / "sweep")


@pytest.fixture(scope="session")
def built_run_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = fabricate_run_folder(
        tmp_path_factory.mktemp("built") / "run", seeds=4, months=36, segments=BASIC_SEGMENTS + EXTRA_SEGMENTS
    )
    return build_report(folder)


@pytest.fixture(scope="session")
def built_sweep_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One sweep report per chart layout: 2-D grid (heatmaps, in Chinese), one parameter, LHS sample."""
    root = tmp_path_factory.mktemp("sweeps")
    grid = fabricate_sweep_folder(root / "grid")
    line = fabricate_sweep_folder(
        root / "line", grid={"underwriting.cutoff": [540, 580, 620, 660]}, sensitivity=()
    )
    sampled = fabricate_sweep_folder(
        root / "lhs",
        design="lhs",
        sensitivity=("morris",),
        grid={
            "underwriting.cutoff": [550.5, 601.2],
            "underwriting.hitl.reviewers": [2, 6],
            "macro.shock_size": [0.1, 0.3],
        },
    )
    return {"grid": build_report(grid, "zh"), "line": build_report(line), "lhs": build_report(sampled)}
