"""Writing and reading run and sweep folders, so that nothing half-written ever looks finished and
nothing lendsim did not write is ever deleted.

Every file is written under a temporary name in its final folder, flushed to disk and renamed into
place (`os.replace` is atomic on one file system); a run folder is built whole in a temporary
sibling folder and renamed. A process killed at any moment therefore leaves either the previous
complete file or the new complete file, plus at most a stray `.*.tmp` that the next write cleans up.
Disk-full and permission errors become `RunFolderError` with the path in the message.

`--out` is the user's folder before it is ours. A run folder carries a lendsim mark in its
manifest, and a previous run folder is replaced only when it holds nothing but the files lendsim
writes there; anything else is refused before the simulation starts, and nothing is deleted. A
staging folder carries the pid of its writer, so a later run removes it only once that process is
gone. Each sweep task file carries its own key, the hash of its scenario and the code version, so
a resumed sweep can tell a task it may reuse from one that is truncated, misplaced or foreign.

The manifest records what is needed to reproduce a result: seeds, versions, git commit, times.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import lendsim
from lendsim import MODES
from lendsim.contract import (
    COMPARISON_FILE,
    DESIGN_FILE,
    FOLDER_MARK,
    MANIFEST_FILE,
    MONTHLY_FILE,
    REJECTED_DIR,
    RUN,
    RUN_FILES,
    SCENARIO_FILE,
    SENSITIVITY,
    SENSITIVITY_FILE,
    SUMMARY_FILE,
    SWEEP_FILE,
    SWEEP_MARKERS,
    SWEEP_SUMMARY_FILE,
    TASK_ERROR_SUFFIX,
    TASK_NAME,
    TASK_REASON_SUFFIX,
    TASK_SUFFIX,
    TASKS_DIR,
)
from lendsim.contract import task_key as task_key  # where experiment and sweep have always found it
from lendsim.errors import RunFolderError

if TYPE_CHECKING:
    from lendsim.scenario import Scenario

MANIFEST_PACKAGES: tuple[str, ...] = (
    "lendsim",
    "mesa",
    "numpy",
    "pandas",
    "scipy",
    "pydantic",
    "pyarrow",
    "plotly",
    "SALib",
    "dask",
    "distributed",
)
TMP_SUFFIX = ".tmp"
RUN_OWNED: tuple[str, ...] = RUN.files
"""Every file lendsim writes into a run folder: a folder holding anything else is not ours to replace."""
SWEEP_OWNED: tuple[str, ...] = SENSITIVITY.files
"""Every file lendsim writes into a sweep folder; a sensitivity folder is one with its indices added."""
STAGING_MARK = ".lendsim-writer.tmp"
"""File in a staging folder naming the process that writes it; hidden and .tmp, like any temporary."""


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
FILE_MODE = 0o666 & ~_UMASK
"""tempfile creates private (0600/0700) entries; results get the usual permissions instead."""
DIR_MODE = 0o777 & ~_UMASK


# --------------------------------------------------------------------------- Ctrl-C


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with one line saying what was saved; the command line prints it and exits 130."""


class InterruptHold:
    """What `deferred_interrupt` saw: `received` is True once Ctrl-C arrived inside the block."""

    def __init__(self) -> None:
        self.received = False


@contextlib.contextmanager
def deferred_interrupt(*, reraise: bool = True) -> Iterator[InterruptHold]:
    """Hold Ctrl-C until the block is done, then raise KeyboardInterrupt (unless `reraise=False`:
    then the caller looks at `hold.received` and decides when to stop).

    Some steps must not be cut in half: moving the previous run folder aside and the new one in, or
    the internals of concurrent.futures, which hold a lock on a future while they look at it — an
    interrupt there leaves the lock held, the pool's manager thread waits for it forever and so does
    the interpreter at exit. Blocks held this way must be short or poll with a timeout. Only the main
    thread receives signals; elsewhere, and where Ctrl-C is ignored, this changes nothing.
    """
    hold = InterruptHold()
    if threading.current_thread() is not threading.main_thread():
        yield hold
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):  # None: a handler not installed from Python
        yield hold
        return

    def remember(signum: int, frame: object) -> None:
        hold.received = True

    signal.signal(signal.SIGINT, remember)
    try:
        yield hold
    finally:
        signal.signal(signal.SIGINT, previous)
        if hold.received and reraise:
            if callable(previous):
                previous(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt
            else:  # SIG_DFL: the process would have ended
                raise KeyboardInterrupt


# --------------------------------------------------------------------------- atomic files


def _describe(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return error.strerror or str(error)


@contextlib.contextmanager
def _folder_errors(path: Path, doing: str) -> Iterator[None]:
    """Turn OSError (disk full, permission, …) into a one-line RunFolderError naming the path."""
    try:
        yield
    except OSError as error:
        raise RunFolderError(f"{path}: cannot {doing} — {_describe(error)}") from error


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries, so a rename survives a power cut (not possible everywhere)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_atomic(
    path: Path, write: Callable[[Path], object], *, fsync: bool = True, doing: str = "write"
) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it to `path`.

    The one way lendsim puts a file on disk (data, manifests, task files, the report). An OSError
    becomes a one-line RunFolderError: "<path>: cannot <doing> — <reason>".
    """
    path = Path(path)
    with _folder_errors(path, doing):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
        os.close(handle)
        tmp = Path(tmp_name)
        try:
            os.chmod(tmp, FILE_MODE)
            write(tmp)
            if fsync:
                _fsync(tmp)
            os.replace(tmp, path)
            if fsync:
                _fsync_folder(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def write_text_atomic(path: Path, text: str, *, doing: str = "write") -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), doing=doing)


def write_json_atomic(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_parquet_atomic(path: Path, frame: pd.DataFrame, *, fsync: bool = True) -> Path:
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"), fsync=fsync)


_TASK_FILE_KINDS = tuple(
    suffix.split(".")[1] for suffix in (TASK_SUFFIX, TASK_ERROR_SUFFIX, TASK_REASON_SUFFIX)
)
"""'parquet', 'error', 'reason': what follows the key in a task file's name."""

def is_lendsim_temporary(name: str, owned: Sequence[str] = (), *, tasks: bool = False) -> bool:
    """Whether `name` is a temporary that `write_atomic` made for one of the `owned` file names
    (or, with `tasks`, for a task file): `.<name>.<random>.tmp`."""
    if not (name.startswith(".") and name.endswith(TMP_SUFFIX)):
        return False
    if any(name.startswith(f".{own}.") for own in owned):
        return True
    parts = name[1:].split(".", 2)  # p0001-r0002, parquet | error | reason, <rest>.tmp
    return tasks and len(parts) == 3 and bool(TASK_NAME.fullmatch(parts[0])) and parts[1] in _TASK_FILE_KINDS


def remove_stale_temporaries(folder: Path, owned: Sequence[str] = (), *, tasks: bool = False) -> None:
    """Delete the temporaries of lendsim's own files (`is_lendsim_temporary`) that a process killed
    while writing left behind; any other hidden file is the user's and stays."""
    if folder.is_dir():
        for stale in folder.glob(f".*{TMP_SUFFIX}"):
            ours = is_lendsim_temporary(stale.name, owned, tasks=tasks)
            if ours and stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)


# --------------------------------------------------------------------------- manifest


def package_versions(names: Sequence[str] = MANIFEST_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package, None where it is not installed."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name.lower()] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name.lower()] = None
    return versions


LOCK_FILE = Path(lendsim.__file__).resolve().parent.parent / "requirements.lock"
"""The pinned versions CI and `make setup` install (absent when lendsim is installed as a wheel)."""


def lock_record(lock_file: Path = LOCK_FILE) -> dict[str, Any] | None:
    """sha256 of requirements.lock and the locked packages whose installed version differs.

    Bit-identical results are promised only for the same machine and the same locked versions, so
    the manifest says which lock a result was computed with and whether the environment kept to it.
    None when there is no lock file beside the source (lendsim installed from a wheel).
    """
    import hashlib
    import re

    try:
        data = lock_file.read_bytes()
    except OSError:
        return None
    pins = dict(re.findall(rb"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", data, flags=re.MULTILINE))
    differing = []
    for name, version in sorted(pins.items()):
        try:
            installed = metadata.version(name.decode())
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version.decode():
            differing.append(f"{name.decode()}=={version.decode()} (installed: {installed})")
    return {"file": lock_file.name, "sha256": hashlib.sha256(data).hexdigest(), "not_as_locked": differing}


def git_commit() -> str | None:
    """The commit of the lendsim source tree (`git rev-parse HEAD`), or None outside a repository."""
    source = Path(lendsim.__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


CodeVersion = tuple[str | None, str | None]
"""(lendsim version, git commit): what computed a result."""


def code_version() -> CodeVersion:
    """The version of the code running now; tasks computed by another are not mixed in silently."""
    return (lendsim.__version__, git_commit())


def describe_code(code: CodeVersion | None) -> str:
    """'lendsim 0.1.0 at commit 1a2b3c4d5e6f' — or what is known of it."""
    if code is None:
        return "an older lendsim that did not stamp its tasks"
    version, commit = code
    return f"lendsim {version or '(unknown version)'}" + (f" at commit {commit[:12]}" if commit else "")


def _timestamp(moment: datetime | float) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(moment, tz=UTC)


def provenance() -> dict[str, Any]:
    """What computed a folder's numbers — lendsim and Python versions, platform, packages, git commit
    and lock file — the first keys of every manifest lendsim writes."""
    return {
        "lendsim_version": lendsim.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_commit": git_commit(),
        "lock": lock_record(),
    }


def build_manifest(
    scenario: Scenario,
    *,
    started_at: datetime | float,
    finished_at: datetime | float,
    command: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The manifest.json of a run or sweep folder (lendsim.contract.MANIFEST_KEYS, then `extra`).

    `started_at`/`finished_at` are datetimes or `time.time()` floats; `seeds` defaults to the
    replication indices 0..simulation.seeds-1; `command` defaults to sys.argv.
    """
    import sys

    start, finish = _timestamp(started_at), _timestamp(finished_at)
    meta = getattr(scenario, "meta", None)
    manifest: dict[str, Any] = {
        **provenance(),
        "root_seed": int(scenario.simulation.seed),
        "seeds": [int(s) for s in (seeds if seeds is not None else range(scenario.simulation.seeds))],
        "modes": list(MODES),
        "started_at": start.isoformat(timespec="seconds"),
        "finished_at": finish.isoformat(timespec="seconds"),
        "wall_time_s": round((finish - start).total_seconds(), 3),
        "command": list(command if command is not None else sys.argv),
        "scenario_name": getattr(meta, "name", None),
        "scenario_purpose": getattr(meta, "description", None),
    }
    manifest.update(extra)
    return manifest


# --------------------------------------------------------------------------- output paths


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor or ".")


def _probe_writable(folder: Path, out: Path) -> None:
    """Create and remove an empty hidden folder in `folder`.

    This is the one test of writability that gives the true reason everywhere: os.access says yes
    to root where mkdir still fails (/proc, some network file systems). Ctrl-C is held for the two
    calls, so the probe is never left behind.
    """
    with deferred_interrupt():
        try:
            probe = tempfile.mkdtemp(prefix=".lendsim-probe.", suffix=TMP_SUFFIX, dir=folder)
        except OSError as error:
            raise RunFolderError(
                f"{out}: cannot write in {folder} — {_describe(error)}; choose another --out"
            ) from error
        with contextlib.suppress(OSError):
            os.rmdir(probe)


def check_out_path(out: Path, *, whole: bool = False) -> None:
    """Refuse at once, with the true reason, an --out that can never be written.

    Called before any simulation starts, so a typo costs a second, not the whole run: a path
    through a file (`somefile/x`), an existing file, a folder without write permission. `whole`:
    the folder is replaced as a whole (`lendsim run`), so its parent must be writable and it may
    not be a symbolic link (replacing the link would move the user's folder, not ours).
    """
    out = Path(out)
    if out.is_symlink() and not out.exists():
        raise RunFolderError(f"{out}: is a broken symbolic link — choose another --out")
    if whole and out.is_symlink():
        raise RunFolderError(
            f"{out}: is a symbolic link — give the folder it points to, {out.resolve()}, as --out"
        )
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out}: exists and is not a folder — choose another --out")
    base = _nearest_existing(out)
    if not base.is_dir():
        raise RunFolderError(f"{out}: cannot be made — {base} is a file, not a folder; choose another --out")
    if base != out:
        _probe_writable(base, out)
        return
    if not os.access(out, os.W_OK | os.X_OK):
        raise RunFolderError(f"{out}: cannot write — permission denied; choose another --out")
    if whole:
        _probe_writable(out.parent, out)


# --------------------------------------------------------------------------- run folder


def _some(names: Sequence[str], shown: int = 3) -> str:
    listed = ", ".join(names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def foreign_entries(folder: Path, owned: Sequence[str]) -> list[str]:
    """Names in `folder` that are not lendsim's own: not a regular file named in `owned`, nor one
    of their temporaries, nor a writer mark. Sub-folders and symbolic links are never ours."""
    foreign = []
    for entry in sorted(Path(folder).iterdir()):
        regular = entry.is_file() and not entry.is_symlink()
        name = entry.name
        if not (regular and (name in owned or name == STAGING_MARK or is_lendsim_temporary(name, owned))):
            foreign.append(name)
    return foreign


def folder_mark(folder: Path) -> dict[str, Any] | None:
    """The lendsim mark in `folder/manifest.json` (kind, files, id), or None if there is none."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested beyond what Python parses
        return None
    mark = manifest.get(FOLDER_MARK) if isinstance(manifest, dict) else None
    return mark if isinstance(mark, dict) and mark.get("written_by") == "lendsim" else None


def is_run_folder(folder: Path) -> bool:
    """A folder `lendsim run` made and may replace: it holds nothing but lendsim's run files, and
    its manifest carries lendsim's run mark — or, written by a lendsim before the mark, it holds
    every run data file (and the report) and nothing else."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        names = {entry.name for entry in folder.iterdir()}
        if not names or foreign_entries(folder, RUN_OWNED):
            return False
    except OSError:
        return False
    mark = folder_mark(folder)
    if mark is not None:
        return mark.get("kind") == "run"
    return set(RUN_FILES) <= names


def check_run_destination(out_dir: Path) -> None:
    """Refuse an --out that `lendsim run` may not replace or cannot write; change nothing.

    Called before the simulation and again just before the new folder replaces the old one, in
    case files were added to it in between.
    """
    out_dir = Path(out_dir)
    check_out_path(out_dir, whole=True)
    if not out_dir.is_dir():
        return
    with _folder_errors(out_dir, "read the folder"):
        if not any(out_dir.iterdir()) or is_run_folder(out_dir):
            return
        foreign = foreign_entries(out_dir, RUN_OWNED)
    if foreign:
        raise RunFolderError(
            f"{out_dir}: not a lendsim run folder — it holds {_some(foreign)}, which lendsim run does not "
            "write; nothing was changed — choose another --out, or move those out of it"
        )
    raise RunFolderError(
        f"{out_dir}: not a lendsim run folder — it lacks run files and lendsim's mark; nothing was changed "
        "— choose another --out, or empty it"
    )


def _process_start(pid: int) -> str | None:
    """Start time of a process (Linux /proc), to tell a reused pid from the process that had it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _process_alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True
    if state == "Z":
        return False
    return started is None or _process_start(pid) in (None, started)


def _mark_writer(folder: Path) -> None:
    """Name this process in `folder`, so a later run can tell whether its writer is gone."""
    mark = {"pid": os.getpid(), "host": socket.gethostname(), "started": _process_start(os.getpid())}
    (folder / STAGING_MARK).write_text(json.dumps(mark) + "\n", encoding="utf-8")


def _writer_gone(folder: Path) -> bool:
    """True only if `folder` carries our writer mark and that process no longer runs on this host."""
    try:
        mark = json.loads((folder / STAGING_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(mark, dict) or mark.get("host") != socket.gethostname():
        return False
    pid = mark.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    started = mark.get("started")
    return not _process_alive(pid, started if isinstance(started, str) else None)


def _remove_owned(folder: Path, owned: Sequence[str]) -> bool:
    """Delete `folder` if it holds nothing but lendsim's own files (`owned`, their temporaries, the
    writer mark); a folder holding anything else is left exactly as it is."""
    try:
        if foreign_entries(folder, owned):
            return False
        for entry in folder.iterdir():  # by name again: a file added meanwhile is not deleted
            ours = entry.name in owned or is_lendsim_temporary(entry.name, owned)
            if ours and entry.is_file() and not entry.is_symlink():
                entry.unlink(missing_ok=True)
        if foreign_entries(folder, owned):
            return False
        (folder / STAGING_MARK).unlink(missing_ok=True)  # last: until it is gone, the folder is ours
        folder.rmdir()
    except OSError:
        return False
    return True


def remove_stale_staging(parent: Path) -> list[Path]:
    """Remove the hidden `.NAME.*.tmp` folders a killed `lendsim run` left in `parent`.

    Only folders whose writer mark names a process of this host that no longer runs: a folder
    without the mark is not known to be ours, and a live writer is still building its own.
    """
    try:
        candidates = [p for p in Path(parent).glob(f".*{TMP_SUFFIX}") if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    return [c for c in sorted(candidates) if _writer_gone(c) and _remove_owned(c, RUN_OWNED)]


def _new_staging(out_dir: Path) -> Path:
    with deferred_interrupt():  # created and marked as one step, so a Ctrl-C never leaves it unmarked
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=TMP_SUFFIX, dir=out_dir.parent))
        try:
            os.chmod(staging, DIR_MODE)
            _mark_writer(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return staging


def new_run_id() -> str:
    """An id for one `lendsim run`, kept in its manifest mark: after Ctrl-C it tells whether the
    folder at --out is this run's."""
    return uuid.uuid4().hex


def write_run_folder(
    out_dir: Path,
    scenario: Scenario,
    summary_df: pd.DataFrame,
    monthly_df: pd.DataFrame,
    comparison_df: pd.DataFrame,
    manifest: dict[str, Any],
    finish: Callable[[Path], object] | None = None,
    *,
    run_id: str | None = None,
) -> Path:
    """Write summary.csv, comparison.csv, monthly.parquet, scenario.toml, manifest.json as one unit.

    Everything is written into a temporary sibling folder which then replaces `out_dir`, so an
    interrupted run never leaves a folder that looks complete. A previous run folder there is
    replaced only if lendsim made it and it holds nothing but lendsim's files (`is_run_folder`);
    anything else is a RunFolderError and nothing is deleted. The manifest gets lendsim's mark
    (`FOLDER_MARK`: kind, the files lendsim writes here, `run_id`). `finish(staging)` adds what is
    built from those files (the report) before the folder is published. Staging folders that a
    killed run left in the same parent are removed first (`remove_stale_staging`).
    """
    from lendsim.scenario import scenario_to_toml

    out_dir = Path(out_dir)
    check_run_destination(out_dir)
    toml_text = scenario_to_toml(scenario)
    mark = {"written_by": "lendsim", "kind": "run", "files": list(RUN_OWNED), "id": run_id or new_run_id()}
    manifest = {**manifest, FOLDER_MARK: mark}
    with _folder_errors(out_dir, "write the run folder"):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out_dir.parent)
        staging = _new_staging(out_dir)
        try:
            summary_df.to_csv(staging / SUMMARY_FILE, index=False)
            comparison_df.to_csv(staging / COMPARISON_FILE, index=False)
            monthly_df.to_parquet(staging / MONTHLY_FILE, index=False, engine="pyarrow")
            (staging / SCENARIO_FILE).write_text(toml_text, encoding="utf-8")
            (staging / MANIFEST_FILE).write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            for name in RUN_FILES:
                _fsync(staging / name)
            if finish is not None:  # e.g. the report: part of the unit, built before it is published
                finish(staging)
            _swap_into_place(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # our own staging folder, nothing else
            raise
        _fsync_folder(out_dir.parent)
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename `staging` to `out_dir`. A previous run folder there is moved aside first (marked as
    ours, so a later run can clean it up if this process is killed), put back if the rename fails,
    and otherwise emptied of lendsim's files and removed — anything else found in it stays."""
    if not out_dir.exists() and not out_dir.is_symlink():
        os.replace(staging, out_dir)
        (out_dir / STAGING_MARK).unlink(missing_ok=True)
        return
    check_run_destination(out_dir)  # again: files may have been added while the simulation ran
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", suffix=TMP_SUFFIX, dir=out_dir.parent))
    retired.rmdir()
    try:
        os.replace(out_dir, retired)
        _mark_writer(retired)
        os.replace(staging, out_dir)
    except BaseException:
        if retired.exists() and not out_dir.exists():  # the previous folder is aside: put it back
            (retired / STAGING_MARK).unlink(missing_ok=True)
            os.replace(retired, out_dir)
        raise
    (out_dir / STAGING_MARK).unlink(missing_ok=True)
    _remove_owned(retired, RUN_OWNED)


def describe_interrupted_run(out_dir: Path, run_id: str) -> str:
    """One line for Ctrl-C during `lendsim run`: whether this run's folder was saved, judged by
    the id in the mark of the folder now at `out_dir` (the disk, not a flag that may lag behind)."""
    mark = folder_mark(out_dir) if Path(out_dir).is_dir() else None
    if mark is not None and mark.get("id") == run_id:
        return f"interrupted: the run was already saved, complete, in {out_dir}"
    if is_run_folder(out_dir):
        return f"interrupted: nothing saved — {out_dir} still holds the previous run"
    return f"interrupted: nothing saved — {out_dir} was not written"


# --------------------------------------------------------------------------- sweep folder


STAMP_KEYS = {
    "key": b"lendsim.task_key",
    "scenario_sha256": b"lendsim.scenario_sha256",
    "lendsim_version": b"lendsim.version",
    "git_commit": b"lendsim.git_commit",
}
CONTENT_KEY = b"lendsim.content_sha256"


@dataclass(frozen=True)
class TaskStamp:
    """What a task file says about itself, in its Parquet key-value metadata: which task, for
    which scenario (sha256 of the point's resolved scenario TOML), computed by which code."""

    key: str
    scenario_sha256: str
    lendsim_version: str | None
    git_commit: str | None

    @property
    def code(self) -> CodeVersion:
        return (self.lendsim_version, self.git_commit)

    def metadata(self) -> dict[bytes, bytes]:
        return {STAMP_KEYS[name]: (getattr(self, name) or "").encode() for name in STAMP_KEYS}

    @classmethod
    def from_metadata(cls, metadata: Mapping[bytes, bytes]) -> TaskStamp | None:
        if STAMP_KEYS["key"] not in metadata:
            return None
        values = {name: metadata.get(raw, b"").decode("utf-8", "replace") for name, raw in STAMP_KEYS.items()}
        return cls(
            key=values["key"],
            scenario_sha256=values["scenario_sha256"],
            lendsim_version=values["lendsim_version"] or None,
            git_commit=values["git_commit"] or None,
        )


def frame_sha256(frame: pd.DataFrame) -> str:
    """A checksum of a task's rows (their CSV text, which round-trips floats exactly): Parquet
    notices a truncated file, not a damaged number."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


@dataclass
class TaskFile:
    """A finished task as found on disk: its rows and stamp, or why they cannot be used."""

    key: str
    frame: pd.DataFrame | None = None
    stamp: TaskStamp | None = None
    problem: str | None = None


def _first_line(error: BaseException) -> str:
    """The error's first line, without the file's path (the message names it already)."""
    text = re.sub(r"Could not open Parquet input source '[^']*': ", "", str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class SweepFolder:
    """The files of a sweep (or sensitivity) folder: design.json, tasks/<key>.parquet (+ .error.txt),
    tasks/rejected/ (task files set aside, with their reason), and the final files — written by
    lendsim.sweep and read by the report through the same paths (names from lendsim.contract)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tasks_dir = self.path / TASKS_DIR
        self.rejected_dir = self.tasks_dir / REJECTED_DIR
        self.design_path = self.path / DESIGN_FILE
        self.sweep_path = self.path / SWEEP_FILE
        self.summary_path = self.path / SWEEP_SUMMARY_FILE
        self.sensitivity_path = self.path / SENSITIVITY_FILE
        self.manifest_path = self.path / MANIFEST_FILE
        self.scenario_path = self.path / SCENARIO_FILE

    def task_path(self, key: str) -> Path:
        return self.tasks_dir / f"{key}{TASK_SUFFIX}"

    def error_path(self, key: str) -> Path:
        return self.tasks_dir / f"{key}{TASK_ERROR_SUFFIX}"

    def is_sweep(self) -> bool:
        """Whether the folder holds a sweep's results (a summary or the rows behind it)."""
        return any((self.path / name).exists() for name in SWEEP_MARKERS)

    def exists_nonempty(self) -> bool:
        return self.path.is_dir() and any(self.path.iterdir())

    def read_design(self) -> dict[str, Any] | None:
        """The saved design document, None if there is none."""
        if not self.design_path.is_file():
            return None
        try:
            return json.loads(self.design_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise RunFolderError(f"{self.design_path}: unreadable sweep design ({error})") from error

    def write_design(self, design: dict[str, Any]) -> None:
        write_json_atomic(self.design_path, design)

    def finished_keys(self) -> set[str]:
        """Keys of the task files present (not yet checked: see `inspect_task`)."""
        if not self.tasks_dir.is_dir():
            return set()
        with _folder_errors(self.tasks_dir, "list finished tasks"):
            return {
                p.name.removesuffix(TASK_SUFFIX)
                for p in self.tasks_dir.glob(f"p*{TASK_SUFFIX}")
                if TASK_NAME.fullmatch(p.name.removesuffix(TASK_SUFFIX)) and p.is_file()
            }

    def write_task(self, key: str, frame: pd.DataFrame, stamp: TaskStamp) -> None:
        """Save a finished task durably: flushed to disk before it is renamed into place (a power
        cut must not leave a task that looks finished but is empty), stamped with `stamp` and a
        checksum of its rows so a resume can tell whether to trust it."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        metadata = {**(table.schema.metadata or {}), **stamp.metadata()}
        table = table.replace_schema_metadata({**metadata, CONTENT_KEY: frame_sha256(frame).encode()})
        write_atomic(self.task_path(key), lambda tmp: pq.write_table(table, tmp))
        self.error_path(key).unlink(missing_ok=True)

    def write_task_error(self, key: str, text: str) -> None:
        write_text_atomic(self.error_path(key), text)

    def inspect_task(self, key: str) -> TaskFile:
        """Read one task file and check it against its own checksum; never raises."""
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(self.task_path(key))
            frame = table.to_pandas()
        except Exception as error:  # noqa: BLE001 - any failure to read means the file cannot be used
            return TaskFile(key, problem=f"unreadable ({_first_line(error)})")
        metadata = table.schema.metadata or {}
        stamp = TaskStamp.from_metadata(metadata)
        checksum = metadata.get(CONTENT_KEY)
        if checksum is not None and checksum.decode("utf-8", "replace") != frame_sha256(frame):
            return TaskFile(key, frame, stamp, problem="corrupt (its rows do not match their checksum)")
        return TaskFile(key, frame, stamp)

    def set_aside(self, key: str, reason: str) -> Path:
        """Move a task file that cannot be used to tasks/rejected/ (never delete it: it may be the
        only copy of something), with a .reason.txt beside it; return where it went."""
        with _folder_errors(self.tasks_dir, "set a task file aside"):
            self.rejected_dir.mkdir(exist_ok=True)
            target = self.rejected_dir / f"{key}{TASK_SUFFIX}"
            number = 1
            while target.exists() or target.with_suffix(TASK_REASON_SUFFIX).exists():
                target = self.rejected_dir / f"{key}.{number}{TASK_SUFFIX}"
                number += 1
            os.replace(self.task_path(key), target)
            stamp = datetime.now(tz=UTC).isoformat(timespec="seconds")
            reason_text = f"{key}: {reason}\nset aside at {stamp}\n"
            write_text_atomic(target.with_suffix(TASK_REASON_SUFFIX), reason_text)
        return target

    def read_tasks(self, keys: Sequence[str]) -> pd.DataFrame:
        """The finished tasks' rows, concatenated in the order of `keys`."""
        with _folder_errors(self.tasks_dir, "read finished tasks"):
            frames = [pd.read_parquet(self.task_path(key)) for key in keys]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def prepare(self) -> None:
        """Make the folder and tasks/ ready. Deletes nothing but the temporaries of lendsim's own
        files that a killed process left: finished tasks are kept (a sweep that would redo them is
        refused before this), and the final files stay until new ones replace them."""
        with _folder_errors(self.path, "prepare the sweep folder"):
            self.path.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.path, SWEEP_OWNED)
            self.tasks_dir.mkdir(exist_ok=True)
            remove_stale_temporaries(self.tasks_dir, tasks=True)
            if self.rejected_dir.is_dir():
                remove_stale_temporaries(self.rejected_dir, tasks=True)
