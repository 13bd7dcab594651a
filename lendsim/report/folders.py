"""Reading a run or sweep folder, and nothing else.

The report is its own stage: everything it shows comes from the files the experiment wrote
(DESIGN.md, "Run folder"); their names, columns and manifest keys come from lendsim.contract and a
sweep folder's paths from lendsim.store's SweepFolder, the definitions the writer uses. This module
finds out which kind of folder it was given, loads the files the report needs and checks them once,
here, before any figure is built: the columns the report relies on are there and hold what they
must (numbers, whole numbers, the known modes), a table is not empty, the manifest is a JSON object
whose known keys have the right types. Every way of being unreadable or malformed becomes a
one-line RunFolderError that names the file and the problem, so what the rest of the report
receives is clean: keys typed, metric columns numeric (NaN only where nothing was measured).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import numpy as np
import pandas as pd
import pyarrow

from lendsim import MODES
from lendsim.contract import (
    COMPARISON_COLUMNS,
    COMPARISON_FILE,
    MANIFEST_FILE,
    MANIFEST_REQUIRED,
    MONTHLY_FILE,
    MONTHLY_KEYS,
    RUN,
    SCENARIO_FILE,
    SENSITIVITY_KEYS,
    SUMMARY_FILE,
    SUMMARY_KEYS,
    SWEEP,
    SWEEP_SUMMARY_KEYS,
)
from lendsim.contract import RUN_FILES as RUN_FILES  # re-exported: the report's tests name files from here
from lendsim.errors import RunFolderError
from lendsim.store import SweepFolder

COMPARISON_NUMBERS = COMPARISON_COLUMNS[1:-1]
WHOLE_MARKET = "all"
"""The segment of the whole market: the report's time series are drawn from its rows."""
SWEEP_MODES = (*MODES, "difference")
SWEEP_STATISTICS = ("_mean", "_ci_low", "_ci_high")
SENSITIVITY_NUMBERS = ("mu_star", "mu_star_conf", "sigma", "S1", "S1_conf", "ST", "ST_conf", "seed_noise_sd")
MAX_SHOWN_CHARS = 40
"""A value quoted in a message is cut to this length."""


@dataclass(frozen=True)
class RunContents:
    """What the report shows of one run folder, checked (summary.csv is checked, not shown)."""

    path: Path
    comparison: pd.DataFrame
    monthly: pd.DataFrame
    manifest: dict
    scenario_toml: str
    summary: pd.DataFrame


@dataclass(frozen=True)
class SweepContents:
    """What the report shows of one sweep folder, checked; sensitivity and scenario are optional."""

    path: Path
    summary: pd.DataFrame
    manifest: dict
    parameters: list[str]
    sensitivity: pd.DataFrame | None
    scenario_toml: str | None
    scenario_source: str = SCENARIO_FILE
    """The file the scenario was read from: scenario.toml, or the base scenario a sweep or sensitivity
    analysis saves in design.json."""


def read_folder(folder: Path) -> RunContents | SweepContents:
    """Load and check a run or a sweep folder, whichever `folder` is."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: no such folder — give the folder of a run or a sweep")
    if is_sweep_folder(folder):
        return read_sweep_folder(folder)
    return read_run_folder(folder)


def is_sweep_folder(folder: Path) -> bool:
    """A sweep folder has a sweep summary (or sweep results); anything else is treated as a run."""
    return SweepFolder(folder).is_sweep()


def read_run_folder(folder: Path) -> RunContents:
    _require(folder, RUN.required, f"a {RUN.name} folder")
    manifest = _read_manifest(folder / MANIFEST_FILE)
    summary_path = folder / SUMMARY_FILE
    summary = _checked_summary(_read_csv(summary_path, SUMMARY_KEYS), summary_path)
    comparison_path = folder / COMPARISON_FILE
    comparison = _checked_comparison(_read_csv(comparison_path, COMPARISON_COLUMNS), comparison_path)
    monthly_path = folder / MONTHLY_FILE
    monthly = _checked_monthly(_read_parquet(monthly_path, MONTHLY_KEYS), monthly_path)
    return RunContents(
        path=folder,
        comparison=comparison,
        monthly=monthly,
        manifest=manifest,
        scenario_toml=_read_text(folder / SCENARIO_FILE),
        summary=summary,
    )


def read_sweep_folder(folder: Path) -> SweepContents:
    files = SweepFolder(folder)
    _require(folder, SWEEP.required, f"a {SWEEP.name} folder")
    manifest = _read_manifest(files.manifest_path)
    summary = _checked_sweep_summary(_read_csv(files.summary_path, SWEEP_SUMMARY_KEYS), files.summary_path)
    sensitivity = files.sensitivity_path
    return SweepContents(
        path=folder,
        summary=summary,
        manifest=manifest,
        parameters=_sweep_parameters(files, summary, manifest),
        sensitivity=_checked_sensitivity(_read_csv(sensitivity, SENSITIVITY_KEYS), sensitivity)
        if sensitivity.exists()
        else None,
        **_sweep_scenario(files),
    )


def _sweep_scenario(files: SweepFolder) -> dict:
    """The sweep's scenario: its scenario.toml if it has one, else the base scenario its design.json
    records (every sweep and sensitivity analysis writes one); None when neither is readable."""
    if files.scenario_path.exists():
        return {"scenario_toml": _read_text(files.scenario_path), "scenario_source": SCENARIO_FILE}
    try:
        design = files.read_design()
    except (RunFolderError, RecursionError):
        design = None
    scenario = design.get("scenario") if isinstance(design, dict) else None
    if isinstance(scenario, str) and scenario.strip():
        return {"scenario_toml": scenario, "scenario_source": files.design_path.name}
    return {"scenario_toml": None, "scenario_source": files.design_path.name}


def _sweep_parameters(files: SweepFolder, summary: pd.DataFrame, manifest: dict) -> list[str]:
    """Parameter columns: the manifest's list, else the columns between `point` and `mode`."""
    listed = manifest.get("parameters")
    if listed is None:
        columns = list(summary.columns)
        start, end = columns.index("point") + 1, columns.index("mode")
        listed = columns[start:end] if start < end else []
    if not listed:
        raise RunFolderError(f"{files.manifest_path}: parameters is empty — a sweep varies at least one")
    missing = [name for name in listed if name not in summary.columns]
    if missing:
        raise RunFolderError(
            f"{files.summary_path}: parameter column {_shown(missing[0])} is missing — "
            f"{MANIFEST_FILE} lists it in 'parameters'"
        )
    return list(listed)


# --------------------------------------------------------------------------- reading files


def _require(folder: Path, names: tuple[str, ...], kind: str) -> None:
    for name in names:
        if not (folder / name).is_file():
            raise RunFolderError(f"{folder}: {name} is missing — {kind} holds {', '.join(names)}")


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, encoding="utf-8-sig")  # a spreadsheet's byte-order mark is no column name
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise RunFolderError(f"{path}: cannot be read as CSV — {_first_line(error)}") from error
    return _with_columns(table, path, required)


def _read_parquet(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError, NotImplementedError, pyarrow.ArrowException) as error:
        raise RunFolderError(f"{path}: cannot be read as Parquet — {_first_line(error)}") from error
    return _with_columns(table, path, required)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: cannot be read — {_first_line(error)}") from error


def _with_columns(table: pd.DataFrame, path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    odd = [name for name in table.columns if not isinstance(name, str)]
    if odd:
        raise RunFolderError(f"{path}: column name {_shown(odd[0])} is not text")
    missing = [name for name in required if name not in table.columns]
    if missing:
        raise RunFolderError(f"{path}: column {missing[0]} is missing — it needs {', '.join(required)}")
    if table.empty:
        raise RunFolderError(f"{path}: holds no rows, only column names — the report needs the data")
    return table


# --------------------------------------------------------------------------- checking tables


def _checked_monthly(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """One row per (mode, seed, month, segment), the known modes, the whole market, numbers."""
    table = _text_column(table, path, "mode", allowed=MODES)
    table = _text_column(table, path, "segment")
    table = _whole_column(table, path, "seed", minimum=0)
    table = _whole_column(table, path, "month", minimum=1)
    metrics = [name for name in table.columns if name not in MONTHLY_KEYS]
    table = _number_columns(table, path, metrics)
    if not metrics or table[metrics].isna().all().all():
        raise RunFolderError(f"{path}: holds no data — every metric column is empty (NaN)")
    repeated = int(table.duplicated(list(MONTHLY_KEYS)).sum())
    if repeated:
        raise RunFolderError(
            f"{path}: {repeated} rows repeat a (mode, seed, month, segment) — each must appear once"
        )
    if not (table["segment"] == WHOLE_MARKET).any():
        raise RunFolderError(
            f"{path}: no rows for segment '{WHOLE_MARKET}' — the report draws the whole market from them"
        )
    return table


def _checked_summary(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    table = _text_column(table, path, "mode", allowed=MODES)
    table = _whole_column(table, path, "seed", minimum=0)
    return _number_columns(table, path, [name for name in table.columns if name not in SUMMARY_KEYS])


def _checked_comparison(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """One row per metric; every number present and finite; at least one seed."""
    table = _text_column(table, path, "metric")
    repeated = table.loc[table["metric"].duplicated(), "metric"]
    if len(repeated):
        raise RunFolderError(f"{path}: metric {_shown(repeated.iloc[0])} appears more than once")
    table = _number_columns(table, path, list(COMPARISON_NUMBERS))
    for column in COMPARISON_NUMBERS:
        bad = table.loc[~np.isfinite(table[column].to_numpy(dtype="float64")), "metric"]
        if len(bad):
            raise RunFolderError(f"{path}: {column} of {_shown(bad.iloc[0])} is not a finite number")
    return _whole_column(table, path, "n_seeds", minimum=1)


def _checked_sweep_summary(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Points and modes typed; the statistics of every metric numeric (NaN where not measured)."""
    table = _whole_column(table, path, "point", minimum=0)
    table = _text_column(table, path, "mode", allowed=SWEEP_MODES)
    statistics = [name for name in table.columns if name.endswith(SWEEP_STATISTICS)]
    return _number_columns(table, path, statistics)


def _checked_sensitivity(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    for column in SENSITIVITY_KEYS + (("mode",) if "mode" in table.columns else ()):
        table = _text_column(table, path, column)
    indices = [name for name in table.columns if name in SENSITIVITY_NUMBERS or name.endswith("_conf")]
    table = _number_columns(table, path, indices)
    return _whole_column(table, path, "n_seeds", minimum=1) if "n_seeds" in table.columns else table


def _text_column(
    table: pd.DataFrame, path: Path, column: str, allowed: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """A column of names: none missing, and (when `allowed` is given) only those."""
    values = table[column]
    if values.isna().any():
        raise RunFolderError(f"{path}: column {column} has empty cells — every row needs a value there")
    names = values.astype(str)
    if allowed is not None:
        unknown = sorted(set(names.unique()) - set(allowed))
        if unknown:
            raise RunFolderError(
                f"{path}: column {column} holds {_listed(unknown)} — allowed are {', '.join(allowed)}"
            )
    return table.assign(**{column: names})


def _whole_column(table: pd.DataFrame, path: Path, column: str, minimum: int) -> pd.DataFrame:
    """A column of whole numbers ≥ `minimum`, none missing; returned as int64."""
    table = _number_columns(table, path, [column])
    values = table[column]
    if values.isna().any():
        raise RunFolderError(f"{path}: column {column} has empty cells — every row needs a value there")
    numbers = values.to_numpy(dtype="float64")
    wrong = values[~(np.isfinite(numbers) & (numbers == np.floor(numbers)) & (numbers >= minimum))]
    if len(wrong):
        shown = _listed(wrong.unique()[:3])
        raise RunFolderError(
            f"{path}: column {column} holds {shown} — it must hold whole numbers ≥ {minimum}"
        )
    return table.assign(**{column: values.astype("int64")})


def _number_columns(table: pd.DataFrame, path: Path, columns: Iterable[str]) -> pd.DataFrame:
    """Columns of numbers: plain float64 or int64 (booleans as 0/1, nullable numbers with NaN)."""
    converted = {}
    for column in columns:
        values = table[column]
        if pd.api.types.is_bool_dtype(values) and not values.isna().any():
            converted[column] = values.astype("int64")
        elif not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            text = values.dropna()
            example = f" (e.g. {_shown(text.iloc[0])})" if len(text) else ""
            raise RunFolderError(f"{path}: column {column} holds text{example} — it must hold numbers")
        elif isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            converted[column] = values.astype("float64")
    return table.assign(**converted) if converted else table


# --------------------------------------------------------------------------- the manifest


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_list_of(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


MANIFEST_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "lendsim_version": (_is_text, "text"),
    "python": (_is_text, "text"),
    "platform": (_is_text, "text"),
    "packages": (
        lambda v: isinstance(v, dict) and all(_is_text(x) for x in v.values()),
        "an object of package: version",
    ),
    "git_commit": (lambda v: v is None or _is_text(v), "text or null"),
    "root_seed": (_is_whole, "a whole number"),
    "seeds": (
        lambda v: isinstance(v, list) and all(_is_whole(x) for x in v) and len(v) > 0,
        "a non-empty list of whole numbers",
    ),
    "modes": (_is_list_of(_is_text), "a list of texts"),
    "started_at": (_is_text, "text (a date and time)"),
    "finished_at": (_is_text, "text (a date and time)"),
    "wall_time_s": (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0,
        "a number of seconds ≥ 0",
    ),
    "command": (lambda v: _is_text(v) or _is_list_of(_is_text)(v), "a list of texts"),
    "scenario_name": (lambda v: v is None or _is_text(v), "text or null"),
    "scenario_purpose": (lambda v: v is None or _is_text(v), "text or null"),
    "design": (_is_text, "text"),
    "parameters": (_is_list_of(_is_text), "a list of column names"),
    "points": (lambda v: _is_whole(v) and v >= 0, "a whole number ≥ 0"),
    "failed": (_is_list_of(_is_text), "a list of task keys"),
}
"""Keys the report reads or shows, with what each must hold; other keys are shown as they are."""


def _read_manifest(path: Path) -> dict:
    content = _read_json(path)
    missing = [key for key in MANIFEST_REQUIRED if key not in content]
    if missing:
        raise RunFolderError(
            f"{path}: key {missing[0]} is missing — a manifest holds {', '.join(MANIFEST_REQUIRED)}"
        )
    for key, (check, expected) in MANIFEST_FIELDS.items():
        if key in content and not check(content[key]):
            raise RunFolderError(f"{path}: {key} is {_shown_json(content[key])} — it must be {expected}")
    return content


def _read_json(path: Path) -> dict:
    try:
        content = json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        raise RunFolderError(f"{path}: not valid JSON — {error.msg} at line {error.lineno}") from error
    except RecursionError as error:
        raise RunFolderError(f"{path}: not a manifest — its JSON is nested too deeply to read") from error
    if not isinstance(content, dict):
        raise RunFolderError(f"{path}: must hold a JSON object (key: value pairs), not {_json_kind(content)}")
    return content


def _json_kind(value: object) -> str:
    kinds = ((list, "a list"), (str, "a string"), (bool, "true/false"), (int | float, "a number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


# --------------------------------------------------------------------------- messages


def _shown(value: object) -> str:
    """A value from the file, quoted and cut short for a one-line message."""
    shown = str(value)
    shown = shown if len(shown) <= MAX_SHOWN_CHARS else shown[: MAX_SHOWN_CHARS - 1] + "…"
    return repr(shown)


def _shown_json(value: object) -> str:
    shown = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return shown if len(shown) <= MAX_SHOWN_CHARS else shown[: MAX_SHOWN_CHARS - 1] + "…"


def _listed(values: Iterable[object]) -> str:
    return ", ".join(_shown(value) for value in values)


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
