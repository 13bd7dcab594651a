"""What does a policy do? Two runs of the same world, one rule apart, compared seed by seed.

`lendsim compare A B` takes two run folders — say the baseline and the same scenario with a rate
cap — and answers for each underwriting mode: what the change from A to B does to every headline
metric (B − A), and whether human review changes that effect (the difference in differences,
(B − A) under HITL minus (B − A) under automated underwriting).

Seeds make this precise. Replication r of any scenario draws its borrowers, macro path and
behaviour from `SeedSequence([root, r])`, whatever the rules (common random numbers), so seed r of A
and seed r of B differ only by the policy. The effect is therefore the paired difference over seeds,
with lendsim.statistics' paired t interval clipped to what the metric allows and a paired t test,
Holm-corrected across the headline metrics of one question (the effect under automated, under HITL,
and the difference between them are three families). That pairing holds only if the two runs share
their root seed, their replication seeds, their population and their horizon: runs that do not are
refused with one line naming what differs, before anything is written.

Run folders are read here, checked as a comparison needs them (summary.csv, manifest.json,
scenario.toml); the comparison folder is written with lendsim.store's atomic writes and lendsim's
mark, and an --out holding anything lendsim compare did not write is refused, never overwritten.
"""

from __future__ import annotations

import errno
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendsim import MODES, metrics
from lendsim.contract import (
    COMPARE,
    COMPARE_COLUMNS,
    COMPARE_FILE,
    FOLDER_MARK,
    MANIFEST_FILE,
    REPORT_FILE,
    RUN,
    RUN_FILES,
    SCENARIO_FILE,
    SUMMARY_FILE,
    SUMMARY_KEYS,
)
from lendsim.errors import RunFolderError
from lendsim.metrics import headline_names
from lendsim.statistics import ALPHA, clip_interval, holm, paired_ci, paired_p_value
from lendsim.store import (
    SweepFolder,
    check_out_path,
    folder_mark,
    foreign_entries,
    provenance,
    remove_stale_temporaries,
    write_csv_atomic,
    write_json_atomic,
)

DIFFERENCE = "difference"
"""The `mode` of compare.csv's rows that compare the modes: HITL − automated, A and B, and B − A of
it (the difference in differences) — the name sweep_summary.csv gives HITL − automated."""
ROWS = (*MODES, DIFFERENCE)
POPULATION_KEYS = (("consumers", "population.consumers"), ("smes", "population.smes"))
MAX_SHOWN = 60


# --------------------------------------------------------------------------- reading run folders


@dataclass(frozen=True)
class RunFolder:
    """What a comparison needs of one run folder, checked."""

    path: Path
    summary: pd.DataFrame
    """summary.csv: mode, seed, headline metrics (float), one row per (mode, seed)."""
    manifest: dict[str, Any]
    scenario: dict[str, Any]
    """scenario.toml as plain data: the resolved scenario of the run."""

    @property
    def name(self) -> str:
        return self.path.resolve().name or str(self.path)

    @property
    def seeds(self) -> list[int]:
        return sorted(int(s) for s in self.summary["seed"].unique())

    @property
    def root_seed(self) -> int | None:
        root = self.manifest.get("root_seed", self.setting("simulation.seed"))
        return int(root) if isinstance(root, int) and not isinstance(root, bool) else None

    @property
    def metrics(self) -> list[str]:
        return [m for m in headline_names() if m in self.summary.columns]

    def setting(self, key: str, default: Any = None) -> Any:
        """A setting of the resolved scenario by dotted key (`simulation.months`)."""
        node: Any = self.scenario
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def scenario_name(self) -> str:
        name = self.manifest.get("scenario_name") or self.setting("meta.name")
        return str(name) if name else self.name


def check_usable_path(path: Path, what: str) -> None:
    """RunFolderError (one line) for a path the system cannot even look at — a name too long, a
    loop of symbolic links, no permission on a folder on the way; a path that is simply absent is
    fine here (the caller decides what that means)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as error:
        if isinstance(error, OSError) and error.errno == errno.ENOTDIR:
            return
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise RunFolderError(
            f"{shortened(str(path), 80)}: cannot be used as {what} — {reason.lower()}"
        ) from None


def check_run_folder(folder: Path, role: str = "RUN") -> None:
    """Refuse, in one line, a path that is not the folder of a `lendsim run`."""
    folder = Path(folder)
    check_usable_path(folder, role)
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "no such folder"
        raise RunFolderError(
            f"{folder}: {what} — {role} must be the folder of a lendsim run (lendsim run --out)"
        )
    if SweepFolder(folder).is_sweep():
        raise RunFolderError(
            f"{folder}: is a sweep folder, not a run folder — {role} must be the folder of a lendsim run"
        )
    mark = folder_mark(folder)
    kind = mark.get("kind") if mark else None
    if kind not in (None, RUN.name):
        raise RunFolderError(
            f"{folder}: is a lendsim {kind} folder, not a run folder — "
            f"{role} must be the folder of a lendsim run"
        )
    if mark is None and not all((folder / name).is_file() for name in RUN_FILES):
        raise RunFolderError(
            f"{folder}: not a lendsim run folder — it has no {MANIFEST_FILE} with lendsim's mark; "
            f"{role} must be the folder of a lendsim run (lendsim run --out)"
        )


def read_run_folder(folder: Path, role: str = "RUN") -> RunFolder:
    """The summary, manifest and resolved scenario of a run folder, checked for a comparison."""
    folder = Path(folder)
    check_run_folder(folder, role)
    for name in (SUMMARY_FILE, MANIFEST_FILE, SCENARIO_FILE):
        if not (folder / name).is_file():
            raise RunFolderError(f"{folder}: {name} is missing — a run folder holds {', '.join(RUN_FILES)}")
    return RunFolder(
        path=folder,
        summary=_read_summary(folder / SUMMARY_FILE),
        manifest=_read_json(folder / MANIFEST_FILE),
        scenario=_read_toml(folder / SCENARIO_FILE),
    )


def _read_summary(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise RunFolderError(f"{path}: cannot be read as CSV — {_first_line(error)}") from error
    missing = [name for name in SUMMARY_KEYS if name not in table.columns]
    if missing:
        raise RunFolderError(f"{path}: column {missing[0]} is missing — it needs {', '.join(SUMMARY_KEYS)}")
    modes = set(table["mode"].astype(str))
    if modes != set(MODES):
        raise RunFolderError(
            f"{path}: column mode holds {', '.join(sorted(_shown(m) for m in modes)) or 'nothing'} — "
            f"a run has rows for {' and '.join(MODES)}"
        )
    seeds = pd.to_numeric(table["seed"], errors="coerce")
    if seeds.isna().any() or not (seeds == np.floor(seeds)).all() or (seeds < 0).any():
        raise RunFolderError(f"{path}: column seed must hold whole numbers ≥ 0")
    table = table.assign(mode=table["mode"].astype(str), seed=seeds.astype("int64"))
    if table.duplicated(list(SUMMARY_KEYS)).any():
        raise RunFolderError(f"{path}: a (mode, seed) appears more than once — each must appear once")
    per_mode = table.groupby("mode")["seed"].apply(frozenset)
    if per_mode.nunique() != 1:
        raise RunFolderError(f"{path}: the modes have different seeds — each seed needs a row for both modes")
    present = [m for m in headline_names() if m in table.columns]
    if not present:
        raise RunFolderError(f"{path}: no headline metric column — it needs mode, seed, then the metrics")
    for metric in present:
        values = pd.to_numeric(table[metric], errors="coerce")
        if not np.isfinite(values.to_numpy(dtype="float64")).all():
            raise RunFolderError(f"{path}: column {metric} holds something that is not a finite number")
        table[metric] = values.astype("float64")
    return table[[*SUMMARY_KEYS, *present]]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RunFolderError(f"{path}: cannot be read as JSON — {_first_line(error)}") from error
    if not isinstance(content, dict):
        raise RunFolderError(f"{path}: must hold a JSON object (key: value pairs)")
    return content


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
        raise RunFolderError(f"{path}: cannot be read as TOML — {_first_line(error)}") from error


# --------------------------------------------------------------------------- pairing


def pairing_problems(a: RunFolder, b: RunFolder) -> list[str]:
    """What keeps seed r of A from being paired with seed r of B: root seed, replication seeds,
    population (simulated agents and the borrowers they stand for), months. Empty if they pair."""
    problems = []
    if a.root_seed != b.root_seed:
        problems.append(f"root seed differs (A: {a.root_seed}, B: {b.root_seed})")
    if a.seeds != b.seeds:
        problems.append(f"seeds differ (A: {seed_list(a.seeds)}, B: {seed_list(b.seeds)})")
    for _, key in POPULATION_KEYS:
        count_a, count_b = a.setting(f"{key}.count"), b.setting(f"{key}.count")
        if count_a != count_b:
            problems.append(f"{key}.count differs (A: {count_a}, B: {count_b})")
            continue
        real_a = a.setting(f"{key}.represents", count_a)
        real_b = b.setting(f"{key}.represents", count_b)
        if real_a != real_b:
            problems.append(f"{key}.represents differs (A: {real_a}, B: {real_b})")
    months_a, months_b = a.setting("simulation.months"), b.setting("simulation.months")
    if months_a != months_b:
        problems.append(f"simulation.months differs (A: {months_a}, B: {months_b})")
    return problems


def check_pairing(a: RunFolder, b: RunFolder) -> None:
    """RunFolderError (one line, everything that does not pair) unless A and B pair seed by seed."""
    problems = pairing_problems(a, b)
    if problems:
        raise RunFolderError(
            f"{a.path} and {b.path} do not pair: {'; '.join(problems)} — compare two runs with the "
            "same seeds, population and months (rerun one with the other's --seeds, --months and "
            "population settings)"
        )
    if not shared_metrics(a, b):
        raise RunFolderError(f"{a.path} and {b.path} have no headline metric in common to compare")


def shared_metrics(a: RunFolder, b: RunFolder) -> list[str]:
    """Headline metrics both summaries hold, in contract order."""
    return [m for m in a.metrics if m in set(b.metrics)]


def seed_list(seeds: Sequence[int]) -> str:
    """[0, 1, 2] → '0–2'; anything irregular listed (cut short)."""
    seeds = sorted(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    shown = ", ".join(map(str, seeds[:6]))
    return shown + (f", … ({len(seeds)})" if len(seeds) > 6 else "")


# --------------------------------------------------------------------------- the comparison


def _by_seed(summary: pd.DataFrame, mode: str, metric: str) -> np.ndarray:
    rows = summary[summary["mode"] == mode].sort_values("seed")
    return rows[metric].to_numpy(dtype="float64")


def compare_runs(a: RunFolder, b: RunFolder) -> pd.DataFrame:
    """compare.csv: per shared headline metric (contract order), one row per mode with the means in
    A and B and the paired difference B − A, and a `difference` row with A's and B's HITL − automated
    and B − A of it (the difference in differences); CIs clipped to what the difference can be,
    p-values of the paired t test, Holm-adjusted within each mode across the metrics."""
    rows: list[dict[str, Any]] = []
    for metric in shared_metrics(a, b):
        definition = metrics.REGISTRY.get(metric)
        limits = definition.difference_range() if definition else (-math.inf, math.inf)
        series = {
            (run, mode): _by_seed(summary, mode, metric)
            for run, summary in (("a", a.summary), ("b", b.summary))
            for mode in MODES
        }
        series.update(
            {(run, DIFFERENCE): series[(run, MODES[1])] - series[(run, MODES[0])] for run in ("a", "b")}
        )
        for mode in ROWS:
            before, after = series[("a", mode)], series[("b", mode)]
            difference, low, high = paired_ci(before, after)
            # B − A of a level lies within the metric's difference range; of a difference, twice it
            width = 2.0 if mode == DIFFERENCE else 1.0
            clipped_low, clipped_high = clip_interval(low, high, (width * limits[0], width * limits[1]))
            rows.append(
                {
                    "metric": metric,
                    "mode": mode,
                    "a_mean": float(before.mean()),
                    "b_mean": float(after.mean()),
                    "difference": float(difference),
                    "ci_low": float(clipped_low),
                    "ci_high": float(clipped_high),
                    "n_seeds": int(before.size),
                    "p_value": paired_p_value(before, after),
                }
            )
    table = pd.DataFrame(rows, columns=[c for c in COMPARE_COLUMNS if c not in ("p_holm", "significant")])
    table["p_holm"] = np.nan
    for mode in ROWS:
        family = table["mode"] == mode
        table.loc[family, "p_holm"] = holm(table.loc[family, "p_value"].to_numpy(dtype="float64"))
    table["significant"] = (table["n_seeds"] >= 2) & (table["p_holm"] < ALPHA)
    return table[list(COMPARE_COLUMNS)]


# --------------------------------------------------------------------------- settings that differ


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables → {dotted key: value}; arrays (of values or of tables) are single values, as
    `extends` treats them (an array replaces, it does not merge)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def setting_differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(dotted key, value before, value after) for every setting that differs, in `after`'s order
    (then keys only `before` has); a setting absent on one side is None there."""
    old, new = flatten(before), flatten(after)
    keys = [*new, *(key for key in old if key not in new)]
    return [(key, old.get(key), new.get(key)) for key in keys if _plain(old.get(key)) != _plain(new.get(key))]


def _plain(value: Any) -> Any:
    """Tuples and lists alike, nested: what TOML and a model dump each make of an array."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def toml_value(value: Any) -> str:
    """A value as a TOML literal, for display (`0.154`, `"rate_cap"`, `[1, 2]`, `{ a = 1 }`)."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return (
            repr(value)
            if math.isfinite(value)
            else ("nan" if value != value else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


def shortened(text: str, limit: int = MAX_SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- the comparison folder


def default_out(a: RunFolder, b: RunFolder) -> Path:
    return Path("results") / f"compare_{a.name}_vs_{b.name}"


def check_compare_destination(out: Path, runs: Sequence[RunFolder] = ()) -> None:
    """Refuse an --out that lendsim compare may not write or cannot: a path through a file, an
    unwritable folder, a folder holding anything lendsim compare did not write (a run folder, a
    user's folder), or a folder inside one of the runs compared (it would no longer be a run folder
    that lendsim run may replace)."""
    out = Path(out)
    check_usable_path(out, "--out")
    check_out_path(out)
    target = _absolute(out)
    for run in runs:
        inside = _absolute(run.path)
        if target == inside or inside in target.parents:
            where = "is the run folder" if target == inside else "is inside the run folder"
            raise RunFolderError(
                f"{out}: {where} {run.path} — write the comparison elsewhere "
                "(default: results/compare_<A>_vs_<B>)"
            )
    if not out.is_dir():
        return
    try:
        if not any(out.iterdir()):
            return
        foreign = foreign_entries(out, COMPARE.files)
    except OSError as error:
        raise RunFolderError(f"{out}: cannot read the folder — {_first_line(error)}") from error
    mark = folder_mark(out)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise RunFolderError(
            f"{out}: not a lendsim comparison folder — it holds {shown}, which lendsim compare does not "
            "write; nothing was changed — choose another --out, or move those out of it"
        )
    if mark is None or mark.get("kind") != COMPARE.name:
        raise RunFolderError(
            f"{out}: not a lendsim comparison folder — it lacks lendsim's mark; nothing was changed — "
            "choose another --out, or empty it"
        )


def _absolute(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def folder_is_complete(folder: Path) -> bool:
    """Whether a comparison folder was finished: its manifest's mark says so (a write that was cut
    short leaves `complete: false`)."""
    mark = folder_mark(folder)
    return bool(mark and mark.get("kind") == COMPARE.name and mark.get("complete", True))


def is_compare_folder(folder: Path) -> bool:
    """A folder lendsim compare wrote (or began to write)."""
    mark = folder_mark(folder)
    return bool(mark and mark.get("kind") == COMPARE.name) or (Path(folder) / COMPARE_FILE).is_file()


def write_compare_folder(
    out: Path,
    table: pd.DataFrame,
    manifest: Mapping[str, Any],
    finish: Callable[[Path], object] | None = None,
    runs: Sequence[RunFolder] = (),
) -> Path:
    """Write compare.csv, then what `finish(out)` builds from the folder (the report), then the
    manifest with lendsim's mark. Every file is replaced atomically; the manifest is written first
    marked incomplete and last marked complete, so a comparison cut short never looks finished and
    its folder stays lendsim's to replace. A previous report is removed when none is built (it
    would describe another comparison); nothing but lendsim compare's own files is touched."""
    out = Path(out)
    check_compare_destination(out, runs)
    mark = {"written_by": "lendsim", "kind": COMPARE.name, "files": list(COMPARE.files)}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunFolderError(f"{out}: cannot make the folder — {_first_line(error)}") from error
    remove_stale_temporaries(out, COMPARE.files)
    write_json_atomic(out / MANIFEST_FILE, {**manifest, FOLDER_MARK: {**mark, "complete": False}})
    write_csv_atomic(out / COMPARE_FILE, table)
    report = out / REPORT_FILE
    if finish is not None:
        finish(out)
    elif report.is_file() and not report.is_symlink():
        report.unlink(missing_ok=True)
    write_json_atomic(out / MANIFEST_FILE, {**manifest, FOLDER_MARK: {**mark, "complete": True}})
    return out


def compare_manifest(
    a: RunFolder, b: RunFolder, *, started_at: float, finished_at: float, command: Sequence[str]
) -> dict[str, Any]:
    """The comparison's manifest: the keys every lendsim manifest holds (lendsim.contract), then
    which runs were compared, what pairs them and which settings differ."""
    start, finish = (datetime.fromtimestamp(t, tz=UTC) for t in (started_at, finished_at))
    return {
        **provenance(),
        "root_seed": a.root_seed,
        "seeds": a.seeds,
        "modes": list(MODES),
        "started_at": start.isoformat(timespec="seconds"),
        "finished_at": finish.isoformat(timespec="seconds"),
        "wall_time_s": round(finished_at - started_at, 3),
        "command": list(command),
        "scenario_name": f"{b.scenario_name()} vs {a.scenario_name()}",
        "scenario_purpose": None,
        "months": a.setting("simulation.months"),
        "population": {key: a.setting(f"{dotted}.count") for key, dotted in POPULATION_KEYS},
        "run_a": _run_record(a),
        "run_b": _run_record(b),
        "differences": [
            {"key": key, "a": _jsonable(old), "b": _jsonable(new)}
            for key, old, new in setting_differences(a.scenario, b.scenario)
        ],
    }


def _run_record(run: RunFolder) -> dict[str, Any]:
    return {
        "folder": str(_absolute(run.path)),
        "name": run.name,
        "scenario_name": run.scenario_name(),
        "scenario_purpose": run.manifest.get("scenario_purpose") or run.setting("meta.description"),
        "lendsim_version": run.manifest.get("lendsim_version"),
        "git_commit": run.manifest.get("git_commit"),
        "finished_at": run.manifest.get("finished_at"),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def version_note(a: RunFolder, b: RunFolder) -> str | None:
    """A note when the runs were made by different lendsim versions: then the same seed may not
    mean the same borrowers, and the effect may mix the policy with the change of code."""
    va, vb = a.manifest.get("lendsim_version"), b.manifest.get("lendsim_version")
    if va and vb and va != vb:
        return (
            f"note: A was made by lendsim {va} and B by lendsim {vb} — common random numbers hold "
            "only within one version; rerun both with one version to be sure the effect is the policy's"
        )
    return None


def iter_effects(table: pd.DataFrame, metric_names: Sequence[str]) -> Iterator[tuple[str, dict[str, dict]]]:
    """(metric, {mode: row}) for the metrics asked that the table holds, in the order asked."""
    by_metric = {metric: group for metric, group in table.groupby("metric", sort=False)}
    for metric in metric_names:
        if metric in by_metric:
            yield metric, {str(r["mode"]): r for r in by_metric[metric].to_dict("records")}


def _shown(value: object) -> str:
    return repr(shortened(str(value), 40))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
