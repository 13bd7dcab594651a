"""Reading a run or sweep folder, and nothing else.

The report is its own stage: everything it shows comes from the files the experiment wrote
(CONTRACT.md, "Run folder" and "Sweep folder"). This module finds out which kind of folder it was
given, loads the files the report needs and turns every way of being unreadable into a one-line
RunFolderError that names the folder and the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lendsim.errors import RunFolderError

RUN_FILES = ("comparison.csv", "monthly.parquet", "manifest.json", "scenario.toml")
SWEEP_FILES = ("sweep_summary.csv", "manifest.json")
COMPARISON_COLUMNS = ("metric", "automated_mean", "hitl_mean", "difference", "ci_low", "ci_high", "n_seeds")
MONTHLY_KEYS = ("mode", "seed", "month", "segment")
SWEEP_SUMMARY_KEYS = ("point", "mode")
SENSITIVITY_KEYS = ("method", "metric", "parameter")


@dataclass(frozen=True)
class RunFolder:
    """The files of one run that the report shows."""

    path: Path
    comparison: pd.DataFrame
    monthly: pd.DataFrame
    manifest: dict
    scenario_toml: str


@dataclass(frozen=True)
class SweepFolder:
    """The files of one sweep that the report shows; sensitivity and scenario are optional."""

    path: Path
    summary: pd.DataFrame
    manifest: dict
    parameters: list[str]
    sensitivity: pd.DataFrame | None
    scenario_toml: str | None


def read_folder(folder: Path) -> RunFolder | SweepFolder:
    """Load a run or a sweep folder, whichever `folder` is."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: no such folder — give the folder of a run or a sweep")
    if is_sweep_folder(folder):
        return read_sweep_folder(folder)
    return read_run_folder(folder)


def is_sweep_folder(folder: Path) -> bool:
    """A sweep folder has a sweep summary (or sweep results); anything else is treated as a run."""
    return (folder / "sweep_summary.csv").exists() or (folder / "sweep.parquet").exists()


def read_run_folder(folder: Path) -> RunFolder:
    _require(folder, RUN_FILES, "a run folder")
    return RunFolder(
        path=folder,
        comparison=_read_csv(folder / "comparison.csv", COMPARISON_COLUMNS),
        monthly=_read_parquet(folder / "monthly.parquet", MONTHLY_KEYS).astype({"mode": str, "segment": str}),
        manifest=_read_json(folder / "manifest.json"),
        scenario_toml=_read_text(folder / "scenario.toml"),
    )


def read_sweep_folder(folder: Path) -> SweepFolder:
    _require(folder, SWEEP_FILES, "a sweep folder")
    summary = _read_csv(folder / "sweep_summary.csv", SWEEP_SUMMARY_KEYS)
    manifest = _read_json(folder / "manifest.json")
    sensitivity_path = folder / "sensitivity.csv"
    scenario_path = folder / "scenario.toml"
    return SweepFolder(
        path=folder,
        summary=summary,
        manifest=manifest,
        parameters=_sweep_parameters(folder, summary, manifest),
        sensitivity=_read_csv(sensitivity_path, SENSITIVITY_KEYS) if sensitivity_path.exists() else None,
        scenario_toml=_read_text(scenario_path) if scenario_path.exists() else None,
    )


def _sweep_parameters(folder: Path, summary: pd.DataFrame, manifest: dict) -> list[str]:
    """Parameter columns: the manifest's list, else the columns between `point` and `mode`."""
    listed = manifest.get("parameters")
    if listed is None:
        columns = list(summary.columns)
        listed = columns[columns.index("point") + 1 : columns.index("mode")]
    if not listed:
        raise RunFolderError(f"{folder / 'manifest.json'}: parameters is empty — a sweep varies at least one")
    missing = [name for name in listed if name not in summary.columns]
    if missing:
        raise RunFolderError(
            f"{folder / 'sweep_summary.csv'}: parameter column {missing[0]} is missing — "
            "manifest.json lists it in 'parameters'"
        )
    return list(listed)


def _require(folder: Path, names: tuple[str, ...], kind: str) -> None:
    for name in names:
        if not (folder / name).is_file():
            raise RunFolderError(f"{folder}: {name} is missing — {kind} holds {', '.join(names)}")


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise RunFolderError(f"{path}: cannot be read as CSV — {_first_line(error)}") from error
    return _with_columns(table, path, required)


def _read_parquet(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path}: cannot be read as Parquet — {_first_line(error)}") from error
    return _with_columns(table, path, required)


def _read_json(path: Path) -> dict:
    try:
        content = json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        raise RunFolderError(f"{path}: not valid JSON — {error.msg} at line {error.lineno}") from error
    if not isinstance(content, dict):
        raise RunFolderError(f"{path}: must hold a JSON object (key: value pairs)")
    return content


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: cannot be read — {_first_line(error)}") from error


def _with_columns(table: pd.DataFrame, path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    missing = [name for name in required if name not in table.columns]
    if missing:
        raise RunFolderError(f"{path}: column {missing[0]} is missing — it needs {', '.join(required)}")
    return table


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
