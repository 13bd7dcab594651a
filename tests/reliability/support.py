"""Shared helpers of the reliability tests: running the CLI, judging its outcome, open defects.

The contract (DESIGN.md, "Command line" and "Run folder"): exit 0 with a complete run folder, or
exit 2 with exactly one line on stderr that starts with "error: " — never a traceback, never a
folder that looks complete but is not. `judge` checks exactly that and returns a short label for
`hypothesis.event`, so `--hypothesis-show-statistics` shows how the generated cases ended.

Defects this suite found are listed in `DEFECTS` with the test that shows each: fixed ones have
regression tests in test_found_defects.py; an open one is a strict xfail there, and the property
tests do not tolerate anything (no signature is excused): every run ends 0 or 2, one line, finite.
"""

from __future__ import annotations

import os
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
DATA_FILES: tuple[str, ...] = (
    "summary.csv",
    "comparison.csv",
    "monthly.parquet",
    "scenario.toml",
    "manifest.json",
)
CONTRACT_FILES: tuple[str, ...] = (*DATA_FILES, "report.html")
TMP_SUFFIX = ".tmp"

TINY_SETS: tuple[str, ...] = (
    "population.consumers.count=150",
    "population.smes.count=30",
    "simulation.default_horizon_months=1",
)
"""Small enough that `lendsim run` of a few months takes a few hundredths of a second in-process;
a default horizon of one month lets a run be as short as two months (months must exceed it)."""

SWEEP_TASK_ARGS: tuple[str, ...] = (
    "--set",
    "population.consumers.count=300",
    "--set",
    "population.smes.count=60",
    "--set",
    "simulation.months=6",
    "--set",
    "simulation.default_horizon_months=3",
)
"""--set options for sweeps and sensitivity runs whose tasks last a few hundredths of a second each,
yet long enough (6 months, horizon 3) to record every seasoned-cohort metric."""

DEFECTS: dict[str, str] = {}
"""Open defects, by key; each has a strict xfail test in test_found_defects.py."""


def defect(key: str) -> str:
    return f"defect: {DEFECTS[key]}"


# --------------------------------------------------------------------------- running the CLI


def invoke(args: Sequence[str]) -> Any:
    """`lendsim ARGS` in this process (typer's CliRunner); stderr is kept apart from stdout."""
    from lendsim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def lendsim_executable() -> list[str]:
    """The console script of this venv (what users run), else `python -m lendsim.cli`."""
    script = Path(sys.executable).parent / "lendsim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lendsim.cli"]


def subprocess_env() -> dict[str, str]:
    """The environment for `lendsim` subprocesses: this checkout first on the path, no debug mode
    (warnings are left on, as a user has them: they must not spoil the one-line messages)."""
    env = {k: v for k, v in os.environ.items() if k != "LENDSIM_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def one_line_error(stderr: str) -> bool:
    lines = stderr.splitlines()
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr


# --------------------------------------------------------------------------- judging outcomes


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def nonfinite_cells(frame: pd.DataFrame) -> dict[str, int]:
    """Column → number of NaN or ±inf cells, for the numeric columns that have any. A monthly value
    not known yet (metrics.unknown_until_known: a cohort younger than the default horizon) is NaN
    on purpose; it may never be inf."""
    from lendsim.metrics import unknown_until_known

    numeric = frame.select_dtypes(include="number")
    values = numeric.to_numpy(dtype=float)
    may_be_unknown = numeric.columns.isin(sorted(unknown_until_known()))
    bad = (np.isinf(values) | (np.isnan(values) & ~may_be_unknown)).sum(axis=0)
    return {name: int(n) for name, n in zip(numeric.columns, bad, strict=True) if n}


def check_run_folder(out: Path, *, report: bool) -> str:
    """A run that exited 0: every contract file, readable, rows for both modes, finite numbers."""
    expected = set(CONTRACT_FILES if report else DATA_FILES)
    present = listing(out)
    assert expected <= present, f"{out}: missing {sorted(expected - present)}"
    stray = {name for name in present - expected if not (name.startswith(".") and name.endswith(TMP_SUFFIX))}
    assert not stray, f"{out}: unexpected files {sorted(stray)}"
    summary = pd.read_csv(out / "summary.csv")
    monthly = pd.read_parquet(out / "monthly.parquet")
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(summary["mode"]) == {"automated", "hitl"}, summary["mode"].tolist()
    assert len(monthly) > 0 and set(monthly["mode"]) == {"automated", "hitl"}
    assert (out / "scenario.toml").read_text(encoding="utf-8").strip()
    assert "seeds" in (out / "manifest.json").read_text(encoding="utf-8")
    if report:
        assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    bad = {
        f"{name}:{column}": n
        for name, frame in (("summary", summary), ("monthly", monthly), ("comparison", comparison))
        for column, n in nonfinite_cells(frame).items()
    }
    assert not bad, f"{out}: NaN or inf in the outputs {bad}"
    return "ran: complete run folder"


def judge(
    result: Any,
    out: Path | None = None,
    *,
    parent_before: set[str] | None = None,
    report: bool = False,
) -> str:
    """Assert the CLI contract for one in-process invocation; return a label for hypothesis.event.

    out: the run folder named by --out (None for commands that write nothing).
    parent_before: the entries of out's parent before the command; a failed command must leave it
    exactly so (no half-written folder, no stray temporary).
    """
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        raise AssertionError(f"an internal error escaped (exit 1 under the console script):\n{text}")
    code, stderr = result.exit_code, result.stderr
    assert code in (0, 2), f"exit {code}; stderr: {stderr!r}"
    assert "Traceback" not in stderr, stderr
    if code == 2:
        assert one_line_error(stderr), f"not one 'error: ' line: {stderr!r}"
        label = f"exit 2: {classify(stderr)}"
        if out is not None and parent_before is not None:
            after = listing(out.parent)
            assert after == parent_before, (
                f"a failed run changed {out.parent}: {sorted(after ^ parent_before)}"
            )
        return label
    if out is None:
        return "exit 0"
    return check_run_folder(out, report=report)


def classify(stderr: str) -> str:
    """A coarse kind of error message, for the statistics of generated cases."""
    message = stderr.lower()
    for words, kind in (
        (("invalid value", "no such option", "requires an argument", "unexpected extra"), "bad option"),
        (("not a setting",), "unknown key"),
        (("not valid toml",), "not TOML"),
        (("utf-8",), "not UTF-8"),
        (("extends",), "extends problem"),
        (("no such file", "is a directory", "not a regular file", "cannot be read"), "unreadable file"),
        (("must be",), "bad value"),
        (("unknown",), "unknown name"),
        (("after the last month",), "outside the horizon"),
        (("--out", "folder", "cannot write"), "bad output folder"),
    ):
        if any(word in message for word in words):
            return kind
    return "other"


def tidy(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


# --------------------------------------------------------------------------- processes (Linux /proc)


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc)."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
