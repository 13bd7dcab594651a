"""Defects the reliability suite found in code it does not own, each with the test that showed it.

Fixed in 301a783 ("Reliability fixes"), these stay as regression tests:

* nan/inf literals and absurd magnitudes were accepted by the schema (NaN/inf results, exit 0);
* supply_lost_<constraint> columns existed only in runs where the constraint bound (NaN cells in a
  stacked monthly.parquet);
* report write errors (disk full, permission) were internal errors (exit 1);
* the report was built after the run folder was published (an interruption left it without one);
* click's usage errors were a multi-line box; a new line in a name split a message in two;
* SIGKILL of a multi-seed run orphaned its worker processes forever;
* Ctrl-C during start-up printed a traceback;
* a whole-scenario error (unknown sector, shock after the horizon) named the last override given,
  not the one that caused it (fixed after 301a783: with several candidates none is named).

New defects get a strict xfail here with their description in support.DEFECTS.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.reliability.support import (
    BASELINE,
    CONTRACT_FILES,
    TINY_SETS,
    alive,
    cmdline,
    descendants,
    invoke,
    lendsim_executable,
    listing,
    nonfinite_cells,
    one_line_error,
    subprocess_env,
)


def sets(*items: str) -> list[str]:
    return [x for item in (*TINY_SETS, *items) for x in ("--set", item)]


def run_args(out: Path, *items: str, seeds: int = 1, months: int = 3, report: bool = False) -> list[str]:
    return [
        "run",
        str(BASELINE),
        "--seeds",
        str(seeds),
        "--months",
        str(months),
        "--out",
        str(out),
        "--quiet",
        "--workers",
        "1",
        *([] if report else ["--no-report"]),
        *sets(*items),
    ]


# --------------------------------------------------------------------------- scenario values


@pytest.mark.parametrize(
    "setting",
    [
        "macro.shocks=[{start_month=1, depth=nan}]",
        "macro.shocks=[{start_month=1, depth=-inf}]",
        "platform.capital_rmb=inf",
        "population.consumers.income_median_rmb=inf",
        "underwriting.hitl.score_band=inf",
        "regulation.nonstandard_leverage_cap=inf",
    ],
)
def test_nan_and_inf_literals_are_refused_with_one_line(setting):
    result = invoke(["validate", str(BASELINE), "--set", setting])
    assert result.exit_code == 2 and one_line_error(result.stderr), (result.exit_code, result.stderr)


def test_a_nan_shock_depth_does_not_produce_nan_results(tmp_path):
    out = tmp_path / "run"
    result = invoke(run_args(out, "macro.shocks=[{start_month=1, depth=nan}]"))
    if result.exit_code == 0:
        assert not nonfinite_cells(pd.read_parquet(out / "monthly.parquet"))
    else:
        assert result.exit_code == 2 and one_line_error(result.stderr)


@pytest.mark.parametrize(
    "items",
    [
        ("platform.capital_rmb=1e308",),
        ("underwriting.hitl.cost_per_review_rmb=1e308", "underwriting.hitl.reviewers=5"),
    ],
    ids=["capital", "review-cost"],
)
def test_huge_finite_money_settings_give_finite_results_or_exit_2(tmp_path, items):
    out = tmp_path / "run"
    result = invoke(run_args(out, *items))
    if result.exit_code == 2:
        assert one_line_error(result.stderr)
        return
    assert result.exit_code == 0, result.stderr
    for name in ("monthly.parquet",):
        assert not nonfinite_cells(pd.read_parquet(out / name)), name
    assert not nonfinite_cells(pd.read_csv(out / "summary.csv"))


# --------------------------------------------------------------------------- run folder


TIGHT_CAPITAL = (
    "population.consumers.count=400",
    "population.smes.count=80",
    "regulation.min_capital_ratio=0.9",
    "platform.capital_rmb=72000",
)
"""A regulator that suspends lending in some runs and not in others (seed 0–1, both modes)."""


def test_every_run_has_the_same_monthly_columns_whatever_happened():
    from lendsim.scenario import load_scenario
    from lendsim.simulate import simulate

    scenario = load_scenario(BASELINE, [*TINY_SETS, *TIGHT_CAPITAL, "simulation.months=12"])
    columns = {
        (mode, seed): tuple(simulate(scenario, mode, seed).monthly.columns)
        for mode in ("automated", "hitl")
        for seed in (0, 1)
    }
    assert len(set(columns.values())) == 1, {k: len(v) for k, v in columns.items()}


def test_monthly_parquet_has_no_nan_when_a_constraint_binds_in_only_some_runs(tmp_path):
    out = tmp_path / "run"
    result = invoke(run_args(out, *TIGHT_CAPITAL, seeds=2, months=12))
    assert result.exit_code == 0, result.stderr
    assert not nonfinite_cells(pd.read_parquet(out / "monthly.parquet"))


def _raise(error: BaseException):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), PermissionError(errno.EACCES, "Permission denied")],
    ids=["disk-full", "permission"],
)
def test_a_report_that_cannot_be_written_is_exit_2_with_one_line(tmp_path, monkeypatch, error):
    import lendsim.store as store

    monkeypatch.setattr(store.os, "replace", _raise(error))  # the report's rename: store.write_atomic
    result = invoke(run_args(tmp_path / "run", report=True))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and one_line_error(result.stderr), result.stderr


def test_an_interruption_while_the_report_is_built_leaves_all_six_files_or_none(tmp_path, monkeypatch):
    import lendsim.report

    monkeypatch.setattr(lendsim.report, "build_report", _raise(KeyboardInterrupt()))
    out = tmp_path / "run"
    result = invoke(run_args(out, report=True))
    assert result.exit_code == 130
    present = {name for name in listing(out) if not name.startswith(".")}
    assert present in (set(), set(CONTRACT_FILES)), sorted(present)


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize("args", [["--months", "abc"], ["--bogus"]], ids=["months-abc", "unknown-option"])
def test_option_type_errors_are_one_line(tmp_path, args):
    done = subprocess.run(
        [*lendsim_executable(), "run", str(BASELINE), "--out", str(tmp_path / "run"), *args],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert one_line_error(done.stderr), done.stderr


@pytest.mark.parametrize("what", ["out-file-name", "lang"])
def test_a_new_line_in_an_argument_does_not_split_the_message(tmp_path, what):
    if what == "out-file-name":
        target = tmp_path / "two\nlines"
        target.write_text("a file, not a folder", encoding="utf-8")
        args = run_args(target)
    else:
        args = [*run_args(tmp_path / "run"), "--lang", "x\ny"]
    result = invoke(args)
    assert result.exit_code == 2
    assert one_line_error(result.stderr), result.stderr


def test_an_unknown_sector_error_does_not_blame_an_unrelated_override(tmp_path):
    result = invoke(
        run_args(tmp_path / "run", "macro.shocks=[{start_month=1, depth=-1.0, sectors=['nope']}]")
    )
    assert result.exit_code == 2 and one_line_error(result.stderr)
    assert "simulation.months" not in result.stderr, result.stderr


# --------------------------------------------------------------------------- processes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_a_multi_seed_run_leaves_no_worker_processes(tmp_path):
    command = [
        *lendsim_executable(),
        "run",
        str(BASELINE),
        "--seeds",
        "2",
        "--workers",
        "2",
        "--months",
        "24",
        "--no-report",
        "--quiet",
        "--out",
        str(tmp_path / "run"),
        "--set",
        "population.consumers.count=20000",
        "--set",
        "population.smes.count=4000",
    ]
    process = subprocess.Popen(
        command, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    workers: set[int] = set()
    everything: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2 and process.poll() is None:
            workers = {pid for pid in descendants(process.pid) if "spawn_main" in cmdline(pid)}
            time.sleep(0.1)
        assert len(workers) >= 2, "the run did not start its worker processes"
        everything = descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(alive(pid) for pid in everything):
            time.sleep(0.2)
        survivors = sorted(pid for pid in everything if alive(pid))
        assert not survivors, f"worker processes outlived the killed run: {survivors}"
    finally:
        if process.poll() is None:
            process.kill()
        for pid in everything | workers:  # the orphans this test made: by pid, nothing else
            if alive(pid):
                _kill_quietly(pid)


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


INTERRUPT_IMPORT = """\
import builtins, sys
_real_import = builtins.__import__
def _interrupting_import(name, *args, **kwargs):
    if name == "pandas" and "pandas" not in sys.modules:
        builtins.__import__ = _real_import
        raise KeyboardInterrupt  # as if Ctrl-C arrived while pandas was loading
    return _real_import(name, *args, **kwargs)
builtins.__import__ = _interrupting_import
"""


def test_ctrl_c_during_start_up_prints_no_traceback(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(INTERRUPT_IMPORT, encoding="utf-8")
    env = subprocess_env()
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    done = subprocess.run(
        [*lendsim_executable(), "validate", str(BASELINE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr[-400:]
    assert done.returncode == 130 and done.stderr.strip() == "interrupted", (done.returncode, done.stderr)
