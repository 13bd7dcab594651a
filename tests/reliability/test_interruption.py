"""An interrupted `lendsim run` leaves its complete run folder or none, and a rerun gives the same result;
an interrupted sweep or sensitivity analysis stops within seconds, says truly how many tasks it
saved, and resumes to the same bytes.

Real processes are interrupted with SIGINT (Ctrl-C) and SIGKILL at random moments, and at each
dangerous point of writing the run folder (tests/reliability/killpoint.py). Afterwards the output
folder either does not exist or holds every data file, byte-identical to an uninterrupted run;
anything else left behind is a hidden `.<name>.….tmp` that lendsim.store names as temporary and
that nothing mistakes for a result; a rerun of the same command succeeds with the same summary.csv.
Ctrl-C ends with exit 130 and one line that says what was saved, and it is true.
Disk-full and permission errors while writing end in one `error:` line and exit 2.
Sweeps are interrupted as their tasks land — right after a task file is saved, and inside the
process pool as a result arrives, where an interrupt once left a lock held and the process hanging
forever — and sensitivity analyses before their indices are written: the folder has no manifest
then, so it does not look finished. tests/experiment has more sweep interruption tests.
"""

from __future__ import annotations

import errno
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.reliability.killpoint import KILL_POINTS, STAMP_ENV
from tests.reliability.support import (
    BASELINE,
    CONTRACT_FILES,
    DATA_FILES,
    SWEEP_TASK_ARGS,
    TMP_SUFFIX,
    alive,
    cmdline,
    descendants,
    invoke,
    lendsim_executable,
    listing,
    one_line_error,
    subprocess_env,
)

TINY_RUN = (
    "--seeds",
    "2",
    "--months",
    "6",
    "--workers",
    "1",
    "--quiet",
    "--set",
    "population.consumers.count=150",
    "--set",
    "population.smes.count=30",
    "--set",
    "simulation.default_horizon_months=3",
)
"""For kills at chosen points: the simulation is short, the writing is what matters."""
TIMED_RUN = (
    "--seeds",
    "2",
    "--months",
    "12",
    "--workers",
    "1",
    "--quiet",
    "--set",
    "population.consumers.count=2000",
    "--set",
    "population.smes.count=400",
    "--set",
    "simulation.default_horizon_months=6",
)
"""For kills at random moments: ≈ 3 s with the report — start-up, simulation, writing, report."""


def run_command(out: Path, options: tuple[str, ...], report: bool) -> list[str]:
    return ["run", str(BASELINE), "--out", str(out), *options, *([] if report else ["--no-report"])]


def reference_summary(tmp: Path, options: tuple[str, ...]) -> bytes:
    """summary.csv of an uninterrupted run, in this process."""
    result = invoke(run_command(tmp / "reference", options, report=False))
    assert result.exit_code == 0, result.stderr
    return (tmp / "reference" / "summary.csv").read_bytes()


@pytest.fixture(scope="module")
def tiny_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """(a complete run folder, its summary.csv) for the tiny run."""
    here = tmp_path_factory.mktemp("tiny_reference")
    summary = reference_summary(here, TINY_RUN)
    return here / "reference", summary


def state_after_interruption(out: Path, expected_summary: bytes, files: tuple[str, ...]) -> str:
    """Assert the output folder is absent or complete — exactly `files`, the summary of an
    uninterrupted run — and that everything else left behind is a named, hidden temporary."""
    parent = out.parent
    for name in listing(parent) - {out.name}:
        assert name.startswith(f".{out.name}.") and name.endswith(TMP_SUFFIX), f"stray {name} in {parent}"
    if not out.exists():
        return "no folder"
    present = listing(out)
    visible = {name for name in present if not name.startswith(".")}
    hidden = present - visible
    assert all(name.endswith(TMP_SUFFIX) for name in hidden), f"stray hidden files in {out}: {hidden}"
    assert visible == set(files), f"{out} looks complete but is not: {sorted(visible)}"
    same = (out / "summary.csv").read_bytes() == expected_summary
    assert same, "an interrupted run left a summary that differs from an uninterrupted run"
    pd.read_parquet(out / "monthly.parquet")  # readable, not truncated
    if "report.html" in files:
        assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    return "complete folder"


def leftovers_are_not_results(out: Path) -> None:
    """A temporary folder left by a killed run is not taken for the run: `lendsim report` on the
    output path fails cleanly while the folder is missing, and the temporaries are hidden."""
    if not out.exists():
        result = invoke(["report", str(out)])
        assert result.exit_code == 2 and one_line_error(result.stderr), result.stderr
    for name in listing(out.parent) - {out.name}:
        assert name.startswith(".") and name.endswith(TMP_SUFFIX)


def run_interruption_is_told_truly(stderr: str, state: str) -> str:
    """Ctrl-C ends `lendsim run` with one line that says what was saved, and it matches the disk:
    'interrupted: nothing saved — … was not written' with no folder, '… still holds the previous
    run' or '… already saved, complete' with a complete one. A bare 'interrupted' is a Ctrl-C
    before the command started (while Python imports lendsim). Returns the line."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted"), stderr
    line = lines[0]
    if "was not written" in line:
        assert state == "no folder", (line, state)
    elif "still holds the previous run" in line or "already saved" in line:
        assert state == "complete folder", (line, state)
    else:
        assert line == "interrupted", line
    return line


def rerun_gives_the_same_summary(out: Path, options: tuple[str, ...], expected: bytes) -> None:
    result = invoke(run_command(out, options, report=False))
    assert result.exit_code == 0, result.stderr
    assert (out / "summary.csv").read_bytes() == expected, "the rerun differs from an uninterrupted run"
    assert set(DATA_FILES) <= listing(out)


# --------------------------------------------------------------------------- chosen points


def killpoint(point: str, sig: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.reliability.killpoint", point, sig, "--", *args],
        cwd=Path(__file__).resolve().parents[2],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("point", "sig"),
    [(point, "SIGKILL") for point in KILL_POINTS]
    # Ctrl-C: one point inside the staging folder (the others take the same clean-up path), the swap
    # and the report
    + [("before-rename", "SIGINT"), ("mid-swap", "SIGINT"), ("report-written", "SIGINT")],
)
def test_a_run_interrupted_while_writing_leaves_its_folder_complete_or_absent(
    tmp_path, tiny_reference, point, sig
):
    reference_folder, summary = tiny_reference
    out = tmp_path / "run"
    if point == "mid-swap":  # a previous run is being replaced
        shutil.copytree(reference_folder, out)
    done = killpoint(point, sig, run_command(out, TINY_RUN, report=point == "report-written"), tmp_path)
    assert done.returncode == (-9 if sig == "SIGKILL" else 130), (done.returncode, done.stderr[-500:])
    assert "Traceback" not in done.stderr, done.stderr
    files = CONTRACT_FILES if point == "report-written" else DATA_FILES  # the previous run: DATA_FILES
    state = state_after_interruption(out, summary, files)
    # mid-swap: Ctrl-C puts the previous folder back, SIGKILL leaves it aside as a hidden temporary;
    # everywhere else (the report is part of the unit too) nothing is published
    expected = "complete folder" if (point, sig) == ("mid-swap", "SIGINT") else "no folder"
    assert state == expected, (point, sig, state)
    if sig == "SIGINT":  # Ctrl-C says what was saved, and cleans up after itself: no temporary anywhere
        line = run_interruption_is_told_truly(done.stderr, state)
        assert "nothing saved" in line, line
        assert listing(tmp_path) - {"run"} == set(), listing(tmp_path)
        assert all(not name.startswith(".") for name in listing(out)), listing(out)
    leftovers_are_not_results(out)
    rerun_gives_the_same_summary(out, TINY_RUN, summary)


# --------------------------------------------------------------------------- random moments


@pytest.fixture(scope="module")
def timed_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[float, bytes]:
    """(seconds an uninterrupted `lendsim run` process takes, its summary.csv)."""
    here = tmp_path_factory.mktemp("timed_reference")
    started = time.monotonic()
    done = subprocess.run(
        [*lendsim_executable(), *run_command(here / "run", TIMED_RUN, report=True)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert listing(here / "run") == set(CONTRACT_FILES)
    return duration, (here / "run" / "summary.csv").read_bytes()


def test_a_run_killed_at_random_moments_leaves_a_complete_folder_or_none(tmp_path, timed_reference):
    """Two Ctrl-C and two SIGKILL at random moments of one run, into the same --out (so later
    kills may also hit the replacement of a folder an earlier attempt completed); then a rerun."""
    duration, summary = timed_reference
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    out = tmp_path / "run"
    outcomes = []
    for sig in rng.sample([signal.SIGINT, signal.SIGINT, signal.SIGKILL, signal.SIGKILL], 4):
        delay = rng.uniform(0.3, 1.0) * duration
        process = subprocess.Popen(
            [*lendsim_executable(), *run_command(out, TIMED_RUN, report=True)],
            env=subprocess_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(sig)
        try:
            _, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"lendsim run did not stop within 60 s of {sig.name} (random seed {seed})")
        context = f"{sig.name} after {delay:.2f} s (random seed {seed}): exit {process.returncode}"
        context += f", stderr {stderr[-300:]!r}"
        assert process.returncode in (0, 130, -sig), context
        state = state_after_interruption(out, summary, CONTRACT_FILES)
        if process.returncode == 130:
            run_interruption_is_told_truly(stderr, state)
        outcomes.append(f"{sig.name} at {delay:.1f} s: {state}")
        leftovers_are_not_results(out)
    rerun_gives_the_same_summary(out, TIMED_RUN, summary)
    print(outcomes)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_a_multi_seed_run_and_its_worker_processes(tmp_path):
    out = tmp_path / "run"
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
        str(out),
        "--set",
        "population.consumers.count=20000",
        "--set",
        "population.smes.count=4000",
    ]
    process = subprocess.Popen(
        command, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    everything: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            everything |= descendants(process.pid)
            if sum("spawn_main" in cmdline(pid) for pid in everything) >= 2:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        everything |= descendants(process.pid)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 130, (process.returncode, stderr)
        assert stderr.strip() == f"interrupted: nothing saved — {out} was not written", stderr
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in everything):
            time.sleep(0.2)
        assert not [pid for pid in everything if alive(pid)], "worker processes outlived Ctrl-C"
        assert not out.exists()
        assert listing(tmp_path) == set()
    finally:
        if process.poll() is None:
            process.kill()
        for pid in everything:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- sweeps and sensitivity

SWEEP_TINY = ("--seeds", "2", "--no-report", "--quiet", *SWEEP_TASK_ARGS)
GRID = ("--grid", "underwriting.cutoff=560,640")  # 2 points × 2 seeds = 4 tasks
MORRIS = ("--range", "underwriting.cutoff=560:680", "--method", "morris", "--samples", "2")
MORRIS += ("--metric", "approval_rate")  # 2 trajectories of 2 points × 2 seeds = 8 tasks
FINAL_FILES = ("sweep.parquet", "sweep_summary.csv")
INTERRUPTED = re.compile(r"interrupted: (\d+) of (\d+) tasks finished and saved in (.+?)( — |, )")
STOPS_WITHIN_S = 15
"""Ctrl-C must end a sweep within seconds: the pool is polled every 0.1 s and stopped in ≤ 5 s."""


def sweep_command(command: str, out: Path, *extra: str) -> list[str]:
    design = GRID if command == "sweep" else MORRIS
    return [command, str(BASELINE), *design, *SWEEP_TINY, "--out", str(out), *extra]


@pytest.fixture(scope="module")
def whole_sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The final files of the tiny sweep, uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("whole_sweep") / "sweep"
    result = invoke(sweep_command("sweep", out, "--executor", "serial"))
    assert result.exit_code == 0, result.stderr
    return {name: (out / name).read_bytes() for name in FINAL_FILES}


def signalled(
    point: str, sig: str, args: list[str], tmp_path: Path
) -> tuple[subprocess.CompletedProcess, float]:
    """Run `lendsim ARGS` signalled at `point`; (the process, seconds from the signal to its end)."""
    stamp = tmp_path / "signalled-at"
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.killpoint", point, sig, "--", *args],
        cwd=Path(__file__).resolve().parents[2],
        env={**subprocess_env(), STAMP_ENV: str(stamp)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    ended = time.time()
    assert stamp.exists(), f"the kill point {point} was never reached: {done.stderr[-500:]}"
    return done, ended - float(stamp.read_text())


def saved_tasks(out: Path) -> set[str]:
    return {p.name for p in (out / "tasks").glob("p*.parquet")} if (out / "tasks").is_dir() else set()


def sweep_interruption_is_told_truly(stderr: str, out: Path, total: int) -> int:
    """One line: 'interrupted: N of TOTAL tasks finished and saved in OUT …' with N the task files
    on disk; returns N."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    match = INTERRUPTED.match(lines[0])
    assert match, lines[0]
    assert int(match.group(1)) == len(saved_tasks(out)), (lines[0], sorted(saved_tasks(out)))
    assert int(match.group(2)) == total and match.group(3) == str(out), lines[0]
    return int(match.group(1))


@pytest.mark.parametrize(
    ("point", "executor"),
    [
        ("task-saved:4", "serial"),  # Ctrl-C just after the last task file is saved
        ("pool-wait:4", "processes"),  # … as the last result lands inside the process pool
        ("pool-wait:1", "processes"),  # … as the first lands, the others still computing
    ],
)
def test_ctrl_c_as_sweep_tasks_land_stops_at_once_with_a_true_count(tmp_path, whole_sweep, point, executor):
    out = tmp_path / "sweep"
    workers = ["--workers", "2"] if executor == "processes" else []
    args = sweep_command("sweep", out, "--executor", executor, *workers)
    done, stopped_after_s = signalled(point, "SIGINT", args, tmp_path)
    assert done.returncode == 130, (done.returncode, done.stderr[-500:])
    assert stopped_after_s < STOPS_WITHIN_S, f"took {stopped_after_s:.1f} s to stop after Ctrl-C"
    saved = sweep_interruption_is_told_truly(done.stderr, out, total=4)
    assert saved >= int(point.split(":")[1])  # what had landed was saved, not dropped
    assert "--resume" in done.stderr
    assert not (out / "manifest.json").exists()  # not finished, and nothing says it is
    resumed = invoke([*args, "--resume"])
    assert resumed.exit_code == 0, resumed.stderr
    assert {name: (out / name).read_bytes() for name in FINAL_FILES} == whole_sweep


def test_a_sweep_interrupted_at_random_moments_stops_at_once_and_resumes_to_the_same_bytes(
    tmp_path, whole_sweep
):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    out = tmp_path / "sweep"
    args = [*lendsim_executable(), *sweep_command("sweep", out, "--workers", "2", "--resume")]
    for attempt in range(2):
        delay = rng.uniform(1.0, 6.0)
        process = subprocess.Popen(
            args, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        signalled_at = time.monotonic()
        try:
            _, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"the sweep did not stop within 60 s of Ctrl-C (attempt {attempt}, seed {seed})")
        stopped_after_s = time.monotonic() - signalled_at
        stderr = err.decode()
        context = f"attempt {attempt}, Ctrl-C after {delay:.2f} s (seed {seed}): exit {process.returncode}"
        assert process.returncode in (0, 130), f"{context}: {stderr[-500:]}"
        assert stopped_after_s < STOPS_WITHIN_S, f"{context}: took {stopped_after_s:.1f} s"
        if process.returncode == 130 and stderr.strip() != "interrupted":  # bare: still starting up
            sweep_interruption_is_told_truly(stderr, out, total=4)
    resumed = invoke(sweep_command("sweep", out, "--resume", "--executor", "serial"))
    assert resumed.exit_code == 0, resumed.stderr
    assert {name: (out / name).read_bytes() for name in FINAL_FILES} == whole_sweep


@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_a_sensitivity_folder_looks_finished_only_once_its_indices_are_written(tmp_path, sig):
    out = tmp_path / "morris"
    args = sweep_command("sensitivity", out, "--executor", "serial")
    done, stopped_after_s = signalled("before-indices", sig, args, tmp_path)
    assert done.returncode == (130 if sig == "SIGINT" else -9), (done.returncode, done.stderr[-500:])
    if sig == "SIGINT":
        assert sweep_interruption_is_told_truly(done.stderr, out, total=8) == 8
        assert stopped_after_s < STOPS_WITHIN_S
    assert (out / "sweep.parquet").exists()  # the tables are written …
    assert not (out / "sensitivity.csv").exists() and not (out / "manifest.json").exists()  # … no more
    report = invoke(["report", str(out)])
    assert report.exit_code == 2 and one_line_error(report.stderr), report.stderr
    resumed = invoke([*args, "--resume"])
    assert resumed.exit_code == 0, resumed.stderr
    assert {"sensitivity.csv", "manifest.json"} <= listing(out)


# --------------------------------------------------------------------------- disk full, permission


def _half_written_then(error: OSError):
    real = pd.DataFrame.to_parquet

    def to_parquet(self, path=None, *args, **kwargs):
        real(self, path, *args, **kwargs)
        os.truncate(path, Path(path).stat().st_size // 2)
        raise error

    return to_parquet


@pytest.mark.parametrize(
    ("where", "error", "words"),
    [
        ("monthly.parquet", OSError(errno.ENOSPC, "No space left on device"), "no space left on the device"),
        ("monthly.parquet", OSError(errno.EDQUOT, "Disk quota exceeded"), "quota"),
        ("staging folder", PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        ("rename", OSError(errno.EROFS, "Read-only file system"), "permission denied"),
        ("rename", OSError(errno.ENOSPC, "No space left on device"), "no space left on the device"),
    ],
    ids=["disk-full", "quota", "permission", "read-only-fs", "disk-full-at-rename"],
)
@pytest.mark.parametrize("previous", [False, True], ids=["new", "replacing"])
def test_write_errors_are_one_line_and_leave_no_partial_folder(
    tmp_path, monkeypatch, tiny_reference, where, error, words, previous
):
    import lendsim.store as store

    reference_folder, summary = tiny_reference
    out = tmp_path / "run"
    if previous:
        shutil.copytree(reference_folder, out)
    if where == "monthly.parquet":
        monkeypatch.setattr(pd.DataFrame, "to_parquet", _half_written_then(error))
    elif where == "staging folder":
        monkeypatch.setattr(store.tempfile, "mkdtemp", lambda *a, **k: (_ for _ in ()).throw(error))
    else:
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(src).name.startswith(f".{out.name}.") and not Path(src).name.startswith(
                f".{out.name}.old."
            ):
                raise error
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "replace", replace)
    result = invoke(run_command(out, TINY_RUN, report=False))
    monkeypatch.undo()
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert one_line_error(result.stderr) and words in result.stderr and str(out) in result.stderr, (
        result.stderr
    )
    if previous:  # the previous run folder is untouched
        assert listing(tmp_path) == {"run"}
        assert (out / "summary.csv").read_bytes() == summary
        assert listing(out) == listing(reference_folder)
    else:
        assert listing(tmp_path) == set(), listing(tmp_path)
