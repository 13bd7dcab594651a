"""`lendsim run`'s building blocks: replications, comparison, manifest, atomic run folder, evaluate()."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO, TINY_SETS

from lendsim import MODES
from lendsim.errors import RunFolderError
from lendsim.executors import ProcessExecutor
from lendsim.experiment import evaluate, paired_comparison, run_replications
from lendsim.metrics import HEADLINE_METRICS
from lendsim.scenario import load_scenario
from lendsim.store import build_manifest, write_run_folder

RUN_FILES = {"summary.csv", "comparison.csv", "monthly.parquet", "scenario.toml", "manifest.json"}


@pytest.fixture(scope="module")
def replications(tiny_scenario):
    return run_replications(tiny_scenario)


def test_replications_are_sorted_by_mode_then_seed(replications, tiny_scenario):
    summary, monthly = replications
    seeds = tiny_scenario.simulation.seeds
    assert list(summary.columns) == ["mode", "seed", *HEADLINE_METRICS]
    assert list(summary["mode"]) == [m for m in MODES for _ in range(seeds)]
    assert list(summary["seed"]) == list(range(seeds)) * 2
    keys = monthly[["mode", "seed"]].drop_duplicates()
    assert [tuple(k) for k in keys.itertuples(index=False)] == [(m, s) for m in MODES for s in range(seeds)]


def test_replications_in_worker_processes_are_identical(replications, tiny_scenario):
    with ProcessExecutor(2) as executor:
        summary, monthly = run_replications(tiny_scenario, executor=executor)
    pd.testing.assert_frame_equal(summary, replications[0], check_exact=True)
    pd.testing.assert_frame_equal(monthly, replications[1], check_exact=True)


def test_evaluate_returns_both_modes_and_matches_the_replication(replications, tiny_scenario):
    result = evaluate(tiny_scenario, {}, seed=1)
    assert set(result) == set(MODES) and list(result["hitl"]) == list(HEADLINE_METRICS)
    summary = replications[0].set_index(["mode", "seed"])
    assert result["hitl"]["approval_rate"] == summary.loc[("hitl", 1), "approval_rate"]
    assert pickle.loads(pickle.dumps(evaluate)) is evaluate


def test_evaluate_accepts_a_path_and_overrides(baseline_path):
    overrides = dict(item.split("=") for item in TINY_SETS)
    loose = evaluate(baseline_path, {**overrides, "underwriting.cutoff": 560}, seed=0)
    strict = evaluate(str(baseline_path), {**overrides, "underwriting.cutoff": 680}, seed=0)
    assert strict["automated"]["approval_rate"] < loose["automated"]["approval_rate"]


def test_write_run_folder_writes_every_file_and_replaces_a_previous_run(
    replications, tiny_scenario, tmp_path
):
    summary, monthly = replications
    comparison = paired_comparison(summary)
    manifest = build_manifest(tiny_scenario, started_at=0.0, finished_at=2.5, command=["lendsim", "run"])
    out = tmp_path / "run"
    write_run_folder(out, tiny_scenario, summary, monthly, comparison, manifest)
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert load_scenario(out / "scenario.toml") == tiny_scenario
    pd.testing.assert_frame_equal(pd.read_parquet(out / "monthly.parquet"), monthly)
    assert list(pd.read_csv(out / "comparison.csv")["metric"]) == list(HEADLINE_METRICS)
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["wall_time_s"] == 2.5 and saved["seeds"] == [0, 1, 2] and saved["modes"] == list(MODES)
    assert set(saved["packages"]) >= {
        "lendsim",
        "mesa",
        "numpy",
        "pandas",
        "scipy",
        "pydantic",
        "pyarrow",
        "plotly",
    }
    assert oct((out / "summary.csv").stat().st_mode & 0o777) != oct(0o600)

    (out / "report.html").write_text("old report")
    write_run_folder(out, tiny_scenario, summary.head(2), monthly, comparison, manifest)
    assert {p.name for p in out.iterdir()} == RUN_FILES  # the old folder was replaced whole
    assert len(pd.read_csv(out / "summary.csv")) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folders left


def test_write_run_folder_refuses_a_file_or_a_foreign_folder(replications, tiny_scenario, tmp_path):
    summary, monthly = replications
    args = (tiny_scenario, summary, monthly, paired_comparison(summary), {})
    (tmp_path / "afile").write_text("x")
    with pytest.raises(RunFolderError, match="is not a folder"):
        write_run_folder(tmp_path / "afile", *args)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(RunFolderError, match="not a lendsim run folder"):
        write_run_folder(tmp_path / "mine", *args)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_a_full_disk_becomes_a_run_folder_error(replications, tiny_scenario, tmp_path, monkeypatch):
    summary, monthly = replications

    def no_space(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    with pytest.raises(RunFolderError, match="no space left"):
        write_run_folder(tmp_path / "run", tiny_scenario, summary, monthly, paired_comparison(summary), {})
    assert list(tmp_path.iterdir()) == []  # the half-built folder is gone


def test_manifest_has_the_contract_keys(tiny_scenario):
    manifest = build_manifest(tiny_scenario, started_at=10.0, finished_at=12.0)
    assert list(manifest) == [
        "lendsim_version",
        "python",
        "platform",
        "packages",
        "git_commit",
        "lock",
        "root_seed",
        "seeds",
        "modes",
        "started_at",
        "finished_at",
        "wall_time_s",
        "command",
        "scenario_name",
        "scenario_purpose",
    ]
    assert manifest["root_seed"] == tiny_scenario.simulation.seed
    assert manifest["git_commit"] is None or len(manifest["git_commit"]) == 40


def test_the_evaluate_example_runs():
    example = REPO / "examples" / "evaluate_example.py"
    sets = [arg for item in TINY_SETS for arg in ("--set", item)]
    done = subprocess.run(
        [sys.executable, str(example), "--workers", "1", *sets],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "reproducible: yes" in done.stdout
