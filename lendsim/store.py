"""Writing and reading run and sweep folders, so that nothing half-written ever looks finished.

Every file is written under a temporary name in its final folder and renamed into place
(`os.replace` is atomic on one file system); a run folder is built whole in a temporary sibling
folder and renamed. A process killed at any moment therefore leaves either the previous complete
file or the new complete file, plus at most a stray `.*.tmp` that the next write cleans up.
Disk-full and permission errors become `RunFolderError` with the path in the message.

The manifest records what is needed to reproduce a result: seeds, versions, git commit, times.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import lendsim
from lendsim import MODES
from lendsim.errors import RunFolderError

if TYPE_CHECKING:
    from lendsim.scenario import Scenario

RUN_FILES: tuple[str, ...] = (
    "summary.csv",
    "comparison.csv",
    "monthly.parquet",
    "scenario.toml",
    "manifest.json",
)
SWEEP_FILES: tuple[str, ...] = (
    "sweep.parquet",
    "sweep_summary.csv",
    "sensitivity.csv",
    "manifest.json",
    "report.html",
)
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


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
FILE_MODE = 0o666 & ~_UMASK
"""tempfile creates private (0600/0700) entries; results get the usual permissions instead."""
DIR_MODE = 0o777 & ~_UMASK


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


def write_atomic(path: Path, write: Callable[[Path], None], *, fsync: bool = True) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it to `path`."""
    path = Path(path)
    with _folder_errors(path, "write"):
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
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_parquet_atomic(path: Path, frame: pd.DataFrame, *, fsync: bool = True) -> Path:
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"), fsync=fsync)


def remove_stale_temporaries(folder: Path) -> None:
    """Delete `.*.tmp` files left behind by a process that was killed while writing."""
    if folder.is_dir():
        for stale in folder.glob(f".*{TMP_SUFFIX}"):
            if stale.is_file():
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


def _timestamp(moment: datetime | float) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(moment, tz=UTC)


def build_manifest(
    scenario: Scenario,
    *,
    started_at: datetime | float,
    finished_at: datetime | float,
    command: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The manifest.json of a run or sweep folder (keys in CONTRACT.md); `extra` keys are appended.

    `started_at`/`finished_at` are datetimes or `time.time()` floats; `seeds` defaults to the
    replication indices 0..simulation.seeds-1; `command` defaults to sys.argv.
    """
    import sys

    start, finish = _timestamp(started_at), _timestamp(finished_at)
    meta = getattr(scenario, "meta", None)
    manifest: dict[str, Any] = {
        "lendsim_version": lendsim.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_commit": git_commit(),
        "lock": lock_record(),
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


# --------------------------------------------------------------------------- run folder


def is_run_folder(folder: Path) -> bool:
    """A folder lendsim wrote for `lendsim run` (it may be replaced by a new run)."""
    return (folder / "manifest.json").is_file() and (folder / "summary.csv").is_file()


def _check_run_destination(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RunFolderError(f"{out_dir}: exists and is not a folder — choose another --out")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_run_folder(out_dir):
        raise RunFolderError(
            f"{out_dir}: folder is not empty and is not a lendsim run folder — choose another --out "
            "or empty it"
        )
    parent = out_dir.parent
    existing_parent = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing_parent is not None and not os.access(existing_parent, os.W_OK | os.X_OK):
        raise RunFolderError(f"{out_dir}: cannot write — permission denied on {existing_parent}")


def write_run_folder(
    out_dir: Path,
    scenario: Scenario,
    summary_df: pd.DataFrame,
    monthly_df: pd.DataFrame,
    comparison_df: pd.DataFrame,
    manifest: dict[str, Any],
    finish: Callable[[Path], object] | None = None,
) -> Path:
    """Write summary.csv, comparison.csv, monthly.parquet, scenario.toml, manifest.json as one unit.

    Everything is written into a temporary sibling folder which then replaces `out_dir` (a previous
    run folder there is replaced; anything else there is an error), so an interrupted run never
    leaves a folder that looks complete. `finish(staging)` adds what is built from those files (the
    report) before the folder is published.
    """
    from lendsim.scenario import scenario_to_toml

    out_dir = Path(out_dir)
    _check_run_destination(out_dir)
    toml_text = scenario_to_toml(scenario)
    with _folder_errors(out_dir, "write the run folder"):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=TMP_SUFFIX, dir=out_dir.parent))
        try:
            os.chmod(staging, DIR_MODE)
            summary_df.to_csv(staging / "summary.csv", index=False)
            comparison_df.to_csv(staging / "comparison.csv", index=False)
            monthly_df.to_parquet(staging / "monthly.parquet", index=False, engine="pyarrow")
            (staging / "scenario.toml").write_text(toml_text, encoding="utf-8")
            (staging / "manifest.json").write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            for name in RUN_FILES:
                _fsync(staging / name)
            if finish is not None:  # e.g. the report: part of the unit, built before it is published
                finish(staging)
            _swap_into_place(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename `staging` to `out_dir`, moving a previous folder aside first and deleting it after."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", suffix=TMP_SUFFIX, dir=out_dir.parent))
    retired.rmdir()
    os.replace(out_dir, retired)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        os.replace(retired, out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


# --------------------------------------------------------------------------- sweep folder


def task_key(point: int, replication: int) -> str:
    """File-name key of a sweep task, e.g. p0003-r0007."""
    return f"p{point:04d}-r{replication:04d}"


class SweepFolder:
    """The files of a sweep folder: design.json, tasks/<key>.parquet (+ .error.txt), final files."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tasks_dir = self.path / "tasks"
        self.design_path = self.path / "design.json"

    def task_path(self, key: str) -> Path:
        return self.tasks_dir / f"{key}.parquet"

    def error_path(self, key: str) -> Path:
        return self.tasks_dir / f"{key}.error.txt"

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
        if not self.tasks_dir.is_dir():
            return set()
        return {p.name.removesuffix(".parquet") for p in self.tasks_dir.glob("p*.parquet")}

    def write_task(self, key: str, frame: pd.DataFrame) -> None:
        # No fsync per task: a killed process keeps its page cache; only power loss could cost a task.
        write_parquet_atomic(self.task_path(key), frame, fsync=False)
        self.error_path(key).unlink(missing_ok=True)

    def write_task_error(self, key: str, text: str) -> None:
        write_text_atomic(self.error_path(key), text)

    def read_tasks(self, keys: Sequence[str]) -> pd.DataFrame:
        """The finished tasks' rows, concatenated in the order of `keys`."""
        with _folder_errors(self.tasks_dir, "read finished tasks"):
            frames = [pd.read_parquet(self.task_path(key)) for key in keys]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def reset(self, *, keep_tasks: bool) -> None:
        """Remove final files (they are rewritten at the end); drop task files unless resuming."""
        with _folder_errors(self.path, "prepare the sweep folder"):
            self.path.mkdir(parents=True, exist_ok=True)
            for name in SWEEP_FILES:
                (self.path / name).unlink(missing_ok=True)
            remove_stale_temporaries(self.path)
            if not keep_tasks and self.tasks_dir.exists():
                shutil.rmtree(self.tasks_dir)
            self.tasks_dir.mkdir(exist_ok=True)
            remove_stale_temporaries(self.tasks_dir)
