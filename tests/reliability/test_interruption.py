"""An interrupted `lendsim run` leaves its complete run folder or none, and a rerun gives the same result.

Real processes are interrupted with SIGINT (Ctrl-C) and SIGKILL at random moments, and at each
dangerous point of writing the run folder (tests/reliability/killpoint.py). Afterwards the output
folder either does not exist or holds every data file, byte-identical to an uninterrupted run;
anything else left behind is a hidden `.<name>.….tmp` that lendsim.store names as temporary and
that nothing mistakes for a result; a rerun of the same command succeeds with the same summary.csv.
Disk-full and permission errors while writing end in one `error:` line and exit 2.
Sweeps have their own interruption tests in tests/experiment.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.reliability.killpoint import KILL_POINTS
from tests.reliability.support import (
    BASELINE,
    CONTRACT_FILES,
    DATA_FILES,
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
    if sig == "SIGINT":
        assert done.stderr.strip() == "interrupted", done.stderr
    files = CONTRACT_FILES if point == "report-written" else DATA_FILES  # the previous run: DATA_FILES
    state = state_after_interruption(out, summary, files)
    # mid-swap: Ctrl-C puts the previous folder back, SIGKILL leaves it aside as a hidden temporary;
    # everywhere else (the report is part of the unit too) nothing is published
    expected = "complete folder" if (point, sig) == ("mid-swap", "SIGINT") else "no folder"
    assert state == expected, (point, sig, state)
    if sig == "SIGINT":  # Ctrl-C cleans up after itself: no temporary anywhere
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
        if process.returncode == 130:
            assert stderr.strip() == "interrupted", context
        state = state_after_interruption(out, summary, CONTRACT_FILES)
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
        assert stderr.strip() == "interrupted", stderr
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
