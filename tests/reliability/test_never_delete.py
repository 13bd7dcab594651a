"""Never delete what lendsim did not write; never mix in a saved task that cannot be trusted.

`--out` names a folder that belongs to the user until lendsim has shown it is its own: a previous
run folder is replaced only if lendsim made it (the mark in its manifest) and it holds nothing but
lendsim's files; a sweep folder with finished tasks is continued only with `--resume`; an output
path that can never be written fails before anything is simulated. Every refusal is exit 2 with
one line naming the folder and what to do, and leaves everything as it was.

A resumed sweep checks each saved task: a truncated, corrupt, misplaced or foreign task file is
moved to tasks/rejected/ (never deleted), reported in one line and computed again; tasks of
another code version are refused unless `--resume-any-version` is given. The final files are
replaced only by complete new ones. Hidden staging folders that a killed run left are removed by
the next run — only those lendsim marked, and only once their writer is gone.

Each test drives the real command line in this process (or, to be killed, as a subprocess) with a
tiny population, so it takes a few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.reliability.support import (
    BASELINE,
    DATA_FILES,
    SWEEP_TASK_ARGS,
    invoke,
    listing,
    one_line_error,
    subprocess_env,
)

TINY = SWEEP_TASK_ARGS
SWEEP_DESIGN = ("--grid", "underwriting.cutoff=560,640", "--seeds", "2")
FINAL_FILES = ("sweep.parquet", "sweep_summary.csv")
DAMAGED = "p0000-r0001"


def run_into(out: Path) -> list[str]:
    return [
        "run",
        str(BASELINE),
        "--seeds",
        "1",
        "--workers",
        "1",
        "--no-report",
        "--quiet",
        *TINY,
        "--out",
        str(out),
    ]


def sweep_into(out: Path, *extra: str) -> list[str]:
    common = ("--executor", "serial", "--no-report", "--quiet", "--out", str(out))
    return ["sweep", str(BASELINE), *SWEEP_DESIGN, *TINY, *common, *extra]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry below `folder`: relative path → bytes (None for a folder)."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def assert_refused(result, *words: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert one_line_error(result.stderr), result.stderr
    assert all(word in result.stderr for word in words), (words, result.stderr)


def final_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FINAL_FILES}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder `lendsim run` wrote (tests copy it)."""
    out = tmp_path_factory.mktemp("run_folder") / "run"
    result = invoke(run_into(out))
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep folder of 2 points × 2 seeds (tests copy it)."""
    out = tmp_path_factory.mktemp("finished_sweep") / "sweep"
    result = invoke(sweep_into(out))
    assert result.exit_code == 0, result.stderr
    return out


# --------------------------------------------------------------------------- lendsim run --out


def test_run_refuses_a_folder_that_only_looks_like_a_run_folder_and_deletes_nothing(tmp_path, run_folder):
    out = tmp_path / "project"
    out.mkdir()
    shutil.copy(run_folder / "manifest.json", out)
    shutil.copy(run_folder / "summary.csv", out)
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "src").mkdir()
    (out / "src" / "model.py").write_text("precious = True\n")
    before, parent_before = snapshot(out), listing(tmp_path)
    assert_refused(invoke(run_into(out)), str(out), ".git", "src", "--out")
    assert snapshot(out) == before and listing(tmp_path) == parent_before


def test_rerunning_onto_a_run_folder_keeps_the_users_file_in_it(tmp_path, run_folder):
    out = tmp_path / "run"
    shutil.copytree(run_folder, out)
    (out / "notes.txt").write_text("what I saw in this run")
    before = snapshot(out)
    assert_refused(invoke(run_into(out)), str(out), "notes.txt", "--out")
    assert snapshot(out) == before


def test_a_run_folder_lendsim_made_is_replaced_whole(tmp_path, run_folder):
    out = tmp_path / "run"
    shutil.copytree(run_folder, out)
    (out / "report.html").write_text("an old report")  # a file lendsim writes there: it may go
    mark = json.loads((out / "manifest.json").read_text())["lendsim_folder"]
    assert mark["written_by"] == "lendsim" and mark["kind"] == "run"
    assert set(DATA_FILES) <= set(mark["files"])
    result = invoke(run_into(out))
    assert result.exit_code == 0, result.stderr
    assert listing(out) == set(DATA_FILES) and listing(tmp_path) == {"run"}
    assert json.loads((out / "manifest.json").read_text())["lendsim_folder"]["id"] != mark["id"]


def test_an_unmarked_run_folder_is_replaced_only_if_it_holds_exactly_lendsims_files(tmp_path, run_folder):
    older = tmp_path / "older"  # as an older lendsim wrote it: every run file, no mark
    shutil.copytree(run_folder, older)
    manifest = json.loads((older / "manifest.json").read_text())
    del manifest["lendsim_folder"]
    (older / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(run_into(older))
    assert result.exit_code == 0, result.stderr
    assert listing(older) == set(DATA_FILES)

    partial = tmp_path / "partial"  # only some of those names, no mark: not known to be ours
    partial.mkdir()
    (partial / "manifest.json").write_text(json.dumps(manifest))
    (partial / "summary.csv").write_text("mode,seed\n")
    before = snapshot(partial)
    assert_refused(invoke(run_into(partial)), str(partial), "--out")
    assert snapshot(partial) == before


# --------------------------------------------------------------------------- output paths


def unwritable_place(tmp_path: Path) -> Path:
    """A folder this process cannot write in: read-only for a user; for root, /sys (EPERM)."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return locked
    return Path("/sys")


@pytest.mark.parametrize("command", ["run", "sweep", "sensitivity"])
@pytest.mark.parametrize("kind", ["through-a-file", "unwritable"])
def test_an_out_path_that_cannot_be_written_fails_before_anything_runs(tmp_path, monkeypatch, command, kind):
    import lendsim.experiment

    simulated = []
    monkeypatch.setattr(lendsim.experiment, "_default_simulator", lambda: simulated.append(1))
    if kind == "through-a-file":
        (tmp_path / "afile").write_text("not a folder")
        out, words = tmp_path / "afile" / "out", ("afile is a file, not a folder",)
    else:
        out, words = unwritable_place(tmp_path) / "lendsim-never-delete" / "out", ("permission denied",)
    before = listing(tmp_path)
    try:
        if command == "run":
            args = run_into(out)
        elif command == "sweep":
            args = sweep_into(out)
        else:
            design = ("--range", "underwriting.cutoff=560:680", "--metric", "approval_rate", "--samples", "2")
            args = ["sensitivity", str(BASELINE), *design, "--seeds", "2", *TINY, "--out", str(out)]
            args += ["--executor", "serial", "--no-report", "--quiet"]
        assert_refused(invoke(args), str(out), *words)
    finally:
        if kind == "unwritable" and os.geteuid() != 0:
            (tmp_path / "locked").chmod(0o755)
    assert simulated == [], "the simulation started before the output path was checked"
    assert listing(tmp_path) == before


# --------------------------------------------------------------------------- sweep folders


def test_a_sweep_with_finished_tasks_is_refused_without_resume(tmp_path, finished_sweep):
    out = tmp_path / "sweep"
    shutil.copytree(finished_sweep, out)
    before = snapshot(out)
    assert_refused(invoke(sweep_into(out)), str(out), "--resume", "--out")
    assert snapshot(out) == before


def _rewrite(path: Path, change_rows=None, change_metadata=None) -> None:
    """Rewrite a task file keeping its metadata (stamp, checksum) except for what is changed."""
    table = pq.read_table(path)
    metadata = dict(table.schema.metadata)
    frame = table.to_pandas()
    if change_rows is not None:
        frame = change_rows(frame)
    if change_metadata is not None:
        metadata = change_metadata(metadata, frame)
    new = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(new.replace_schema_metadata(metadata), path)


def _restamp_scenario(metadata: dict, frame) -> dict:
    from lendsim.store import CONTENT_KEY, frame_sha256

    return {**metadata, b"lendsim.scenario_sha256": b"0" * 64, CONTENT_KEY: frame_sha256(frame).encode()}


def _damage(tasks: Path, how: str) -> None:
    path = tasks / f"{DAMAGED}.parquet"
    if how == "zero-bytes":  # what a power cut can leave of a file that was never flushed
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "copied-over":  # another task's file under this task's name
        shutil.copyfile(tasks / "p0001-r0000.parquet", path)
    elif how == "corrupt-values":  # readable Parquet, a number changed: only the checksum tells
        _rewrite(path, change_rows=lambda frame: frame.assign(approval_rate=frame["approval_rate"] + 0.01))
    elif how == "other-scenario":  # a well-formed task computed for another scenario
        _rewrite(path, change_metadata=_restamp_scenario)
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("zero-bytes", "unreadable"),
        ("truncated", "unreadable"),
        ("copied-over", "holds task p0001-r0000"),
        ("corrupt-values", "corrupt"),
        ("other-scenario", "another scenario"),
    ],
)
def test_resume_sets_a_damaged_task_aside_and_computes_it_again(tmp_path, finished_sweep, how, reason):
    out = tmp_path / "sweep"
    shutil.copytree(finished_sweep, out)
    _damage(out / "tasks", how)
    damaged = (out / "tasks" / f"{DAMAGED}.parquet").read_bytes()

    result = invoke(sweep_into(out, "--resume"))
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: "), result.stderr
    assert DAMAGED in lines[0] and reason in lines[0] and "rejected" in lines[0], lines[0]
    rejected = out / "tasks" / "rejected"
    assert (rejected / f"{DAMAGED}.parquet").read_bytes() == damaged  # set aside, not deleted
    assert reason in (rejected / f"{DAMAGED}.reason.txt").read_text()
    assert final_bytes(out) == final_bytes(finished_sweep)  # recomputed, never mixed in
    assert json.loads((out / "manifest.json").read_text())["complete"] is True

    again = invoke(sweep_into(out, "--resume"))  # and never fatal on later resumes either
    assert again.exit_code == 0 and again.stderr == "", again.stderr
    assert final_bytes(out) == final_bytes(finished_sweep)


def test_task_files_carry_their_key_scenario_and_code_version(finished_sweep):
    import lendsim
    from lendsim.store import CONTENT_KEY, frame_sha256, git_commit

    metadata = pq.read_schema(finished_sweep / "tasks" / f"{DAMAGED}.parquet").metadata
    assert metadata[b"lendsim.task_key"] == DAMAGED.encode()
    assert len(metadata[b"lendsim.scenario_sha256"]) == 64
    assert metadata[b"lendsim.version"] == lendsim.__version__.encode()
    assert metadata[b"lendsim.git_commit"] == (git_commit() or "").encode()
    frame = pq.read_table(finished_sweep / "tasks" / f"{DAMAGED}.parquet").to_pandas()
    assert metadata[CONTENT_KEY] == frame_sha256(frame).encode()


def test_tasks_of_another_code_version_are_reused_only_when_asked(tmp_path, monkeypatch, finished_sweep):
    import lendsim.store

    out = tmp_path / "sweep"
    with monkeypatch.context() as other_code:
        other_code.setattr(lendsim.store, "git_commit", lambda: "0" * 40)
        first = invoke(sweep_into(out))
    assert first.exit_code == 0, first.stderr
    (out / "tasks" / f"{DAMAGED}.parquet").unlink()  # a task still to do
    before = snapshot(out)

    refused = invoke(sweep_into(out, "--resume"))
    assert_refused(refused, "--resume-any-version", "commit 000000000000")
    assert snapshot(out) == before

    mixed = invoke(sweep_into(out, "--resume-any-version"))
    assert mixed.exit_code == 0, mixed.stderr
    versions = json.loads((out / "manifest.json").read_text())["task_code_versions"]
    assert len(versions) == 2 and any("000000000000" in v for v in versions), versions
    assert final_bytes(out) == final_bytes(finished_sweep)  # the same model, so the same numbers


def test_final_files_stay_until_complete_new_ones_replace_them(tmp_path, monkeypatch, finished_sweep):
    import pandas as pd

    out = tmp_path / "sweep"
    shutil.copytree(finished_sweep, out)
    before = {name: (out / name).read_bytes() for name in (*FINAL_FILES, "manifest.json")}

    real_to_csv = pd.DataFrame.to_csv

    def to_csv(self, path=None, *args, **kwargs):  # the disk fills up as sweep_summary.csv is written
        if path is not None and Path(path).name.startswith(".sweep_summary.csv."):
            Path(path).write_text("half a tab")
            raise OSError(28, "No space left on device")
        return real_to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    result = invoke(sweep_into(out, "--resume"))
    monkeypatch.undo()
    assert_refused(result, "no space left")
    assert {name: (out / name).read_bytes() for name in before} == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- staging folders


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _staging(parent: Path, name: str, pid: int | None, files: dict[str, str]) -> Path:
    folder = parent / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text)
    if pid is not None:
        mark = {"pid": pid, "host": socket.gethostname(), "started": None}
        (folder / ".lendsim-writer.tmp").write_text(json.dumps(mark))
    return folder


def test_staging_folders_are_removed_only_when_lendsim_made_them_and_their_writer_is_gone(tmp_path):
    dead = _dead_pid()
    run_files = {"summary.csv": "mode,seed\n", "monthly.parquet": "half"}
    stale = _staging(tmp_path, ".run.k2j4.tmp", dead, run_files)
    retired = _staging(tmp_path, ".run.old.x8s1.tmp", dead, {**run_files, "report.html": "<html>"})
    live = _staging(tmp_path, ".run.a9q2.tmp", os.getpid(), run_files)  # a run still writing
    unmarked = _staging(tmp_path, ".run.zz11.tmp", None, run_files)  # not known to be ours
    mixed = _staging(tmp_path, ".notes.r7t7.tmp", dead, {**run_files, "notes.txt": "mine"})
    (tmp_path / ".cache.tmp").write_text("someone else's")
    keep = {p: snapshot(p) for p in (live, unmarked, mixed)}

    result = invoke(run_into(tmp_path / "run"))
    assert result.exit_code == 0, result.stderr
    assert not stale.exists() and not retired.exists()
    assert {p: snapshot(p) for p in keep} == keep
    assert (tmp_path / ".cache.tmp").read_text() == "someone else's"


def test_the_staging_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    killed = subprocess.run(
        [sys.executable, "-m", "tests.reliability.killpoint", "monthly-half-written", "SIGKILL", "--"]
        + run_into(out),
        cwd=Path(__file__).resolve().parents[2],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr[-500:]
    left = listing(tmp_path)
    assert len(left) == 1 and next(iter(left)).startswith(".run."), left
    result = invoke(run_into(out))
    assert result.exit_code == 0, result.stderr
    assert listing(tmp_path) == {"run"}
