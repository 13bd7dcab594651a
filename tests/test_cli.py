"""The command line end to end: the run folder of the contract, reproducibility, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lendsim.metrics import HEADLINE_METRICS
from tests.conftest import BASELINE, ROOT

SMALL = [
    "--set",
    "population.consumers.count=1500",
    "--set",
    "population.smes.count=400",
    "--set",
    "underwriting.hitl.reviewers=1",
    "--set",
    "simulation.default_horizon_months=6",
    "--months",
    "12",
]
RUN_FILES = (
    "summary.csv",
    "comparison.csv",
    "monthly.parquet",
    "scenario.toml",
    "manifest.json",
    "report.html",
)


def lendsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lendsim.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    done = lendsim("run", str(BASELINE), *SMALL, "--seeds", "3", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_every_file_of_the_contract(run_folder):
    assert sorted(p.name for p in run_folder.iterdir()) == sorted(RUN_FILES)
    summary = pd.read_csv(run_folder / "summary.csv")
    assert list(summary.columns) == ["mode", "seed", *HEADLINE_METRICS]
    assert sorted(zip(summary["mode"], summary["seed"], strict=True)) == [
        (m, s) for m in ("automated", "hitl") for s in range(3)
    ]
    comparison = pd.read_csv(run_folder / "comparison.csv")
    assert list(comparison.columns) == [
        "metric",
        "automated_mean",
        "hitl_mean",
        "difference",
        "ci_low",
        "ci_high",
        "n_seeds",
    ]
    assert list(comparison["metric"]) == list(HEADLINE_METRICS)
    assert (comparison["ci_low"] <= comparison["difference"]).all()
    assert (comparison["difference"] <= comparison["ci_high"]).all()
    monthly = pd.read_parquet(run_folder / "monthly.parquet")
    assert list(monthly.columns[:4]) == ["mode", "seed", "month", "segment"]
    assert not monthly.duplicated(["mode", "seed", "month", "segment"]).any()
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["seeds"] == [0, 1, 2] and manifest["modes"] == ["automated", "hitl"]
    assert manifest["packages"]["mesa"].startswith("3.3")
    assert "plotly" in (run_folder / "report.html").read_text(encoding="utf-8")[:2_000_000].lower()


def test_the_paired_difference_is_hitl_minus_automated(run_folder):
    summary = pd.read_csv(run_folder / "summary.csv")
    comparison = pd.read_csv(run_folder / "comparison.csv").set_index("metric")
    pivot = summary.pivot(index="seed", columns="mode", values="approval_rate")
    assert comparison.loc["approval_rate", "difference"] == pytest.approx(
        (pivot["hitl"] - pivot["automated"]).mean()
    )


def test_the_saved_scenario_reruns_to_the_same_results(run_folder, tmp_path):
    again = tmp_path / "again"
    done = lendsim("run", str(run_folder / "scenario.toml"), "--out", str(again), "--quiet", "--no-report")
    assert done.returncode == 0, done.stderr
    assert (again / "summary.csv").read_bytes() == (run_folder / "summary.csv").read_bytes()


def test_the_same_seed_gives_identical_files_whatever_the_worker_count(run_folder, tmp_path):
    one = tmp_path / "one"
    done = lendsim(
        "run", str(BASELINE), *SMALL, "--seeds", "3", "--out", str(one), "--quiet", "--workers", "1"
    )
    assert done.returncode == 0, done.stderr
    for name in ("summary.csv", "comparison.csv"):
        assert (one / name).read_bytes() == (run_folder / name).read_bytes(), name
    pd.testing.assert_frame_equal(
        pd.read_parquet(one / "monthly.parquet"), pd.read_parquet(run_folder / "monthly.parquet")
    )


def test_report_rebuilds_from_the_folder_alone(run_folder, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in RUN_FILES[:-1]:
        (copy / name).write_bytes((run_folder / name).read_bytes())
    done = lendsim("report", str(copy), "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert (copy / "report.html").stat().st_size > 100_000


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "scenarios/nope.toml"], "nope.toml"),
        (["run", str(BASELINE), "--set", "underwriting.hitl.reviewrs=3"], "did you mean"),
        (["run", str(BASELINE), "--set", "simulation.months=-5"], "simulation.months"),
        (["run", str(BASELINE), "--set", "underwriting.cutoff=nan"], "underwriting.cutoff"),
        (["run", str(BASELINE), "--lang", "fr"], "--lang"),
        (
            [
                "validate",
                str(BASELINE),
                "--set",
                "macro.shocks=[{start_month=1, depth=-1, sectors=['mining']}]",
            ],
            "mining",
        ),
        (["report", "/nonexistent/folder"], "folder"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(args, needle):
    done = lendsim(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert needle in lines[0]
    assert "Traceback" not in done.stderr


def test_validate_prints_a_resolved_scenario_that_loads_again(tmp_path):
    done = lendsim("validate", "scenarios/recession.toml")
    assert done.returncode == 0, done.stderr
    assert "extends =" not in done.stdout and "[[macro.shocks]]" in done.stdout
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(done.stdout, encoding="utf-8")
    assert lendsim("validate", str(resolved)).stdout == done.stdout


def test_scenarios_lists_the_library_one_line_each():
    done = lendsim("scenarios")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
