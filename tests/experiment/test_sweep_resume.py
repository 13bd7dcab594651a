"""Interrupted sweeps lose no finished task and resume to byte-identical results; folders are guarded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import HERE, final_bytes, tiny_set_args
from typer.testing import CliRunner

GRID = ["--grid", "underwriting.cutoff=560,620,680", "--seeds", "3"]


def sweep_args(baseline: Path, out: Path, *extra: str) -> list[str]:
    return [
        "sweep",
        str(baseline),
        *tiny_set_args(),
        *GRID,
        "--out",
        str(out),
        "--no-report",
        "--quiet",
        *extra,
    ]


def start_slow_sweep(baseline: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(HERE), "LENDSIM_TEST_SLOW_SECONDS": "0.15"}
    args = sweep_args(baseline, out, "--executor", "serial")
    return subprocess.Popen(
        [sys.executable, str(HERE / "sweep_slowly.py"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_tasks(out: Path, count: int, process: subprocess.Popen, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = len(list((out / "tasks").glob("p*.parquet"))) if (out / "tasks").is_dir() else 0
        if done >= count:
            return done
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the sweep did not get going")


@pytest.fixture
def uninterrupted(cli_app, baseline_path: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "whole"
    result = CliRunner().invoke(cli_app, sweep_args(baseline_path, out, "--executor", "serial"))
    assert result.exit_code == 0, result.output
    return final_bytes(out)


def test_a_killed_sweep_resumes_to_identical_bytes(cli_app, baseline_path, tmp_path, uninterrupted):
    out = tmp_path / "killed"
    process = start_slow_sweep(baseline_path, out)
    try:
        wait_for_tasks(out, 2, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    saved = {p.name: p.read_bytes() for p in (out / "tasks").glob("p*.parquet")}
    assert 2 <= len(saved) < 9
    assert not (out / "sweep.parquet").exists()  # nothing looks finished

    result = CliRunner().invoke(cli_app, sweep_args(baseline_path, out, "--resume", "--workers", "2"))
    assert result.exit_code == 0, result.output
    assert final_bytes(out) == uninterrupted
    assert all((out / "tasks" / name).read_bytes() == data for name, data in saved.items())  # kept, not rerun
    assert not list(out.rglob("*.tmp"))


def test_ctrl_c_keeps_finished_tasks_and_says_how_to_resume(baseline_path, tmp_path):
    out = tmp_path / "interrupted"
    process = start_slow_sweep(baseline_path, out)
    try:
        wait_for_tasks(out, 1, process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "--resume" in stderr and "interrupted" in stderr and "Traceback" not in stderr
    assert list((out / "tasks").glob("p*.parquet"))


def test_resume_refuses_a_different_sweep(cli_app, baseline_path, tmp_path, uninterrupted):
    out = tmp_path / "whole"  # the folder the fixture filled
    other = [a.replace("560,620,680", "560,600") for a in sweep_args(baseline_path, out, "--resume")]
    result = CliRunner().invoke(cli_app, other)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --resume:") and "points differ" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_folder_holding_another_sweep_is_not_overwritten_without_resume(
    cli_app, baseline_path, tmp_path, uninterrupted
):
    out = tmp_path / "whole"
    args = sweep_args(baseline_path, out, "--set", "underwriting.hitl.reviewers=1")
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 2, result.output
    assert "holds a different sweep (scenario differ)" in result.stderr
    assert final_bytes(out) == uninterrupted


def test_a_non_empty_folder_that_is_no_sweep_is_refused(cli_app, baseline_path, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli_app, sweep_args(baseline_path, out))
    assert result.exit_code == 2 and "holds no lendsim sweep" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--grid", "underwriting.cutof=1,2"], "error: --grid: "),
        (["--grid", "underwriting.cutoff=1:2"], "error: "),
        (["--seeds", "0"], "error: --seeds 0"),
        (["--workers", "0"], "error: --workers 0"),
        (["--sample", "lhs:3"], "error: --grid and --sample"),
    ],
)
def test_bad_options_exit_2_with_one_line(cli_app, baseline_path, tmp_path, extra, needle):
    result = CliRunner().invoke(cli_app, [*sweep_args(baseline_path, tmp_path / "x"), *extra])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(needle) and result.stderr.count("\n") == 1, result.stderr


def test_manifest_records_the_design(cli_app, baseline_path, tmp_path, uninterrupted):
    manifest = json.loads((tmp_path / "whole" / "manifest.json").read_text())
    assert manifest["design"] == "grid" and manifest["points"] == 3 and manifest["failed"] == []
    assert manifest["parameters"] == ["underwriting.cutoff"] and manifest["seeds"] == [0, 1, 2]
    for key in (
        "lendsim_version",
        "python",
        "platform",
        "packages",
        "git_commit",
        "root_seed",
        "modes",
        "started_at",
        "finished_at",
        "wall_time_s",
        "command",
        "scenario_name",
        "scenario_purpose",
    ):
        assert key in manifest
