"""Executors give bit-identical results; failures are recorded, not fatal; a dead worker is survived."""

from __future__ import annotations

from pathlib import Path

import exp_helpers
import pandas as pd
import pytest
from conftest import final_bytes, tiny_set_args
from typer.testing import CliRunner

from lendsim.errors import OptionError
from lendsim.executors import ProcessExecutor, SerialExecutor, WorkerDied, make_executor
from lendsim.sweep import grid_design, parse_grid, run_sweep


def small_design():
    return grid_design([parse_grid("underwriting.cutoff=560,640")])


def test_serial_and_one_or_two_processes_give_identical_bytes(tiny_scenario, tmp_path: Path):
    folders = {}
    for name, executor in {
        "serial": SerialExecutor(),
        "processes1": ProcessExecutor(1),
        "processes2": ProcessExecutor(2),
    }.items():
        with executor:
            outcome = run_sweep(tiny_scenario, small_design(), out=tmp_path / name, executor=executor)
        assert outcome.failed == [] and outcome.n_tasks == 2 * 3
        folders[name] = final_bytes(outcome.folder)
    assert folders["serial"] == folders["processes1"] == folders["processes2"]


def test_sweep_table_holds_every_point_mode_and_seed(tiny_scenario, tmp_path: Path):
    outcome = run_sweep(tiny_scenario, small_design(), out=tmp_path / "s")
    table = outcome.sweep_df
    assert list(table.columns[:4]) == ["point", "underwriting.cutoff", "mode", "seed"]
    assert len(table) == 2 * 2 * 3
    assert list(table["mode"][:6]) == ["automated"] * 3 + ["hitl"] * 3
    assert table.groupby("point")["underwriting.cutoff"].first().tolist() == [560, 640]
    strict, loose = (table[(table["point"] == p)]["approval_rate"].mean() for p in (1, 0))
    assert strict < loose  # raising the cutoff lowers approval


def test_a_failing_task_is_recorded_and_the_cli_exits_1(
    cli_app, baseline_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import lendsim.experiment

    monkeypatch.setattr(lendsim.experiment, "_default_simulator", lambda: exp_helpers.failing_simulate)
    out = tmp_path / "failing"
    args = [
        "sweep",
        str(baseline_path),
        *tiny_set_args(),
        "--grid",
        "underwriting.cutoff=560,640",
        "--seeds",
        "2",
        "--executor",
        "serial",
        "--out",
        str(out),
        "--no-report",
        "--quiet",
    ]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 1, result.output
    assert "1 of 4 tasks failed" in result.stderr
    assert "deliberate failure" in (out / "tasks" / "p0001-r0000.error.txt").read_text()
    import json

    assert json.loads((out / "manifest.json").read_text())["failed"] == ["p0001-r0000"]
    assert sorted(p.name for p in (out / "tasks").glob("*.parquet")) == [
        "p0000-r0000.parquet",
        "p0000-r0001.parquet",
        "p0001-r0001.parquet",
    ]
    # the retry (now with a healthy model) completes the sweep and clears the error file
    monkeypatch.undo()
    result = CliRunner().invoke(cli_app, [*args, "--resume"])
    assert result.exit_code == 0, result.output
    assert not (out / "tasks" / "p0001-r0000.error.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["failed"] == []


def test_killed_workers_are_replaced_and_only_the_task_that_kills_them_fails(
    tiny_scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(exp_helpers.CRASH_MARKER_ENV, str(tmp_path / "crashed-once"))
    with ProcessExecutor(2) as executor:
        crashed = run_sweep(
            tiny_scenario,
            small_design(),
            out=tmp_path / "crash",
            executor=executor,
            simulator=exp_helpers.crashing_simulate,
        )
    assert (tmp_path / "crashed-once").exists()
    assert crashed.failed == ["p0000-r0000"]  # it kills every worker it runs on; its neighbours are rerun
    assert WorkerDied.__name__ in (crashed.folder / "tasks" / "p0000-r0000.error.txt").read_text()
    clean = run_sweep(tiny_scenario, small_design(), out=tmp_path / "clean").sweep_df
    survivors = clean[(clean["point"] != 0) | (clean["seed"] != 0)].reset_index(drop=True)
    pd.testing.assert_frame_equal(crashed.sweep_df, survivors, check_exact=True)


def test_executor_options_that_make_no_sense_are_refused():
    for kwargs, needle in [
        ({"kind": "threads"}, "--executor"),
        ({"workers": 0}, "--workers"),
        ({"kind": "serial", "scheduler": "tcp://127.0.0.1:1"}, "--scheduler"),
        ({"scheduler": "tcp://127.0.0.1:1", "dask_local": 2}, "exclude"),
        ({"scheduler": "127.0.0.1:1"}, "tcp://HOST:PORT"),
    ]:
        with pytest.raises(OptionError, match=needle):
            make_executor(**kwargs)
    assert make_executor().name == "processes"
    assert make_executor("serial").name == "serial"


class _Recording(SerialExecutor):
    """A serial executor that remembers being closed."""

    closed = False

    def close(self) -> None:
        self.closed = True


def _square(value: int) -> int:
    if value == 2:
        raise ValueError("two")
    return value * value


def _results(executor) -> list[tuple[int, int | None, str]]:
    finished = executor.map_unordered(_square, [1, 2, 3])
    return [(task, outcome.value, str(outcome.error)) for task, outcome in finished]


def test_the_progress_bar_counts_every_outcome_and_changes_none(monkeypatch: pytest.MonkeyPatch):
    """The bar is the command line's: it wraps an executor, passes its outcomes through unchanged
    (failures too), draws N/N on a terminal and closes what it wraps; executors import no display."""
    import ast
    import io

    import rich.console

    import lendsim.executors
    from lendsim import progress

    screen = io.StringIO()
    terminal = rich.console.Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(progress, "Console", lambda stderr: terminal)
    inner = _Recording()
    with progress.ShowingProgress(inner, "sweep", enabled=True) as runner:
        shown = _results(runner)
    assert shown == _results(SerialExecutor()) == [(1, 1, "None"), (2, None, "two"), (3, 9, "None")]
    assert "3/3" in screen.getvalue() and inner.closed
    assert (runner.name, runner.workers) == ("serial", 1)
    source = ast.parse(Path(lendsim.executors.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(source) if isinstance(node, ast.ImportFrom)}
    assert not any(str(module).startswith("rich") for module in imported)
