"""Parameter sweeps: designs (grid, Latin hypercube, SALib samples), resumable execution, summaries.

A sweep asks "how do the two modes respond as these settings move?". Its design is a list of
parameter points; every point runs `seeds` replications of both modes. Each finished task is saved
at once (tasks/<key>.parquet, flushed to disk and stamped with its key, its scenario's hash and the
code version), so an interrupted sweep loses nothing and `--resume` continues it; design.json holds
what was asked, so a resume of a different sweep is refused. On resume every saved task is checked:
one that is truncated, corrupt, misplaced or for another scenario is moved to tasks/rejected/ and
computed again — never mixed in, never fatal — and tasks of another code version are refused unless
the user asks for them. A sweep without `--resume` never redoes (or deletes) finished tasks: it is
refused. The final files are assembled from the saved tasks in key order, which makes them
byte-identical however the work was scheduled, split or interrupted, and each replaces the previous
one only once it is complete; the manifest comes last, so a folder without one is not finished.

Sensitivity analysis (Morris, Sobol via SALib) is a sweep over SALib's sample whose indices are
computed separately for every seed, so seed noise is reported next to each index instead of being
averaged away first.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import itertools
import json
import math
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lendsim import MODES
from lendsim.errors import OptionError, RunFolderError, ScenarioError
from lendsim.executors import Executor, Outcome
from lendsim.experiment import Simulator, Task, TaskResult, mean_ci, run_tasks
from lendsim.metrics import HEADLINE_METRICS
from lendsim.scenario.loader import parse_value
from lendsim.store import (
    CodeVersion,
    Interrupted,
    SweepFolder,
    TaskFile,
    TaskStamp,
    build_manifest,
    check_out_path,
    code_version,
    describe_code,
    task_key,
    write_csv_atomic,
    write_json_atomic,
    write_parquet_atomic,
)

if TYPE_CHECKING:
    from lendsim.scenario import Scenario

DESIGN_FORMAT = 1
DIFFERENCE = "difference"
SUMMARY_MODES: tuple[str, ...] = (*MODES, DIFFERENCE)
LHS_STREAM = 0x1A5
"""Tag mixed with the root seed for design sampling, so it never collides with a simulation seed."""
SENSITIVITY_METHODS: tuple[str, ...] = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}


# --------------------------------------------------------------------------- option parsing


def _split_key(option: str, spec: str) -> tuple[str, str]:
    key, sep, rest = spec.partition("=")
    key = key.strip()
    if not sep or not key or not rest.strip():
        raise OptionError(f"{option} {spec} — expected KEY=VALUES, e.g. underwriting.cutoff=560,600,640")
    return key, rest.strip()


def _split_list(text: str) -> list[str]:
    """Split on commas that are not inside brackets, braces or quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _number(option: str, spec: str, text: str) -> int | float:
    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{option} {spec} — {text!r} is not a number")
    return value


def _decimals(text: str) -> int:
    match = re.fullmatch(r"[+-]?\d*\.(\d+)", text.strip())
    return len(match.group(1)) if match else 0


def _range_values(option: str, spec: str, text: str) -> list[int | float]:
    """START:STOP:STEP → START, START+STEP, … up to STOP (inclusive when STOP lands on the grid)."""
    start_s, stop_s, step_s = text.split(":")
    start, stop, step = (_number(option, spec, t) for t in (start_s, stop_s, step_s))
    if step == 0 or (stop - start) * step < 0:
        raise OptionError(f"{option} {spec} — STEP must be non-zero and lead from START towards STOP")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > 100_000:
        raise OptionError(f"{option} {spec} — {count} values is too many (at most 100000)")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return [start + i * step for i in range(count)]
    places = max(_decimals(t) for t in (start_s, stop_s, step_s))
    return [round(start + i * step, places) for i in range(count)]


@dataclass(frozen=True)
class GridAxis:
    """One --grid option: a setting and the values it takes."""

    key: str
    values: tuple[Any, ...]


def parse_grid(spec: str, option: str = "--grid") -> GridAxis:
    """`KEY=V1,V2,...` (TOML literals) or `KEY=START:STOP:STEP` (numbers, stop inclusive if on grid)."""
    key, rest = _split_key(option, spec)
    if rest.count(":") == 2 and "," not in rest and not rest.startswith(("[", '"', "'")):
        values: list[Any] = _range_values(option, spec, rest)
    else:
        values = [parse_value(v) for v in _split_list(rest)]
        if any(v == "" for v in values):
            raise OptionError(f"{option} {spec} — empty value in the list")
    if len(set(map(repr, values))) != len(values):
        raise OptionError(f"{option} {spec} — values repeat")
    return GridAxis(key, tuple(values))


@dataclass(frozen=True)
class RangeSpec:
    """One --range option: a setting sampled between lo and hi (whole numbers if both are)."""

    key: str
    lo: float
    hi: float
    integer: bool

    def scale(self, unit: np.ndarray) -> list[Any]:
        """Map samples already in [lo, hi] to the setting's type."""
        if self.integer:
            return [int(v) for v in np.clip(np.rint(unit), self.lo, self.hi)]
        return [float(v) for v in unit]


def parse_range(spec: str, option: str = "--range") -> RangeSpec:
    """`KEY=LO:HI` with LO < HI; `600:700` samples whole numbers, `0.1:0.5` real ones."""
    key, rest = _split_key(option, spec)
    bounds = rest.split(":")
    if len(bounds) != 2:
        raise OptionError(f"{option} {spec} — expected KEY=LO:HI, e.g. underwriting.cutoff=560:680")
    lo, hi = (_number(option, spec, b) for b in bounds)
    if not lo < hi:
        raise OptionError(f"{option} {spec} — LO must be smaller than HI")
    return RangeSpec(key, float(lo), float(hi), isinstance(lo, int) and isinstance(hi, int))


def parse_sample(spec: str) -> int:
    """`lhs:N` → N (≥ 1)."""
    kind, _, count = spec.partition(":")
    if kind.strip().lower() != "lhs" or not count.strip().isdigit() or int(count) < 1:
        raise OptionError(f"--sample {spec} — expected lhs:N with N ≥ 1, e.g. lhs:40")
    return int(count)


def check_metric(metric: str | None) -> str:
    """A headline metric name, or OptionError naming the closest one."""
    if metric in HEADLINE_METRICS:
        return metric
    if metric is None:
        raise OptionError(f"--metric is required — one of: {', '.join(HEADLINE_METRICS)}")
    close = difflib.get_close_matches(metric, HEADLINE_METRICS, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(HEADLINE_METRICS)}"
    raise OptionError(f"--metric {metric} is not a headline metric — {hint}")


def check_count(option: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise OptionError(f"{option} {value} — must be a whole number ≥ 1")


# --------------------------------------------------------------------------- designs


@dataclass(frozen=True)
class Design:
    """Parameter points of a sweep: `points[i][j]` is the value of `parameters[j]` at point i."""

    kind: str
    parameters: tuple[str, ...]
    points: tuple[tuple[Any, ...], ...]
    option: str = "--grid"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def overrides(self, index: int) -> dict[str, Any]:
        return dict(zip(self.parameters, self.points[index], strict=True))

    def frame(self) -> pd.DataFrame:
        """One row per point: point, then one column per parameter (dotted key)."""
        frame = pd.DataFrame(list(self.points), columns=list(self.parameters))
        frame.insert(0, "point", np.arange(len(self.points), dtype="int64"))
        return frame


def _check_distinct(option: str, keys: Sequence[str]) -> None:
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise OptionError(f"{option} {repeated[0]} is given more than once")


def grid_design(axes: Sequence[GridAxis]) -> Design:
    """The product of the axes; the first axis varies slowest."""
    if not axes:
        raise OptionError("--grid: give at least one KEY=VALUES")
    keys = [axis.key for axis in axes]
    _check_distinct("--grid", keys)
    points = tuple(itertools.product(*(axis.values for axis in axes)))
    return Design("grid", tuple(keys), points, option="--grid")


def design_rng(root_seed: int, *tags: int) -> np.random.Generator:
    """The generator of design sampling: derived from the root seed, apart from simulation seeds."""
    return np.random.default_rng(np.random.SeedSequence([int(root_seed), LHS_STREAM, *tags]))


def lhs_design(ranges: Sequence[RangeSpec], n: int, root_seed: int) -> Design:
    """n Latin-hypercube points over the ranges (scipy.stats.qmc), seeded from the root seed."""
    from scipy.stats import qmc

    if not ranges:
        raise OptionError("--sample lhs:N needs at least one --range KEY=LO:HI")
    _check_distinct("--range", [r.key for r in ranges])
    try:
        sampler = qmc.LatinHypercube(d=len(ranges), rng=design_rng(root_seed))
    except TypeError:  # SciPy < 1.15 calls it seed
        sampler = qmc.LatinHypercube(d=len(ranges), seed=design_rng(root_seed))
    unit = sampler.random(n)
    scaled = qmc.scale(unit, [r.lo for r in ranges], [r.hi for r in ranges])
    columns = [spec.scale(scaled[:, j]) for j, spec in enumerate(ranges)]
    return Design("lhs", tuple(r.key for r in ranges), tuple(zip(*columns, strict=True)), option="--range")


# --------------------------------------------------------------------------- running a sweep


def point_scenarios(base: Scenario, design: Design) -> list[Scenario]:
    """The scenario at every point; a bad key or value fails before anything runs."""
    from lendsim.scenario import with_overrides

    scenarios = []
    for index in range(len(design.points)):
        try:
            scenarios.append(with_overrides(base, design.overrides(index)))
        except ScenarioError as error:
            raise type(error)(f"{design.option}: {error}") from error
    return scenarios


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def design_document(base: Scenario, design: Design, seeds: int) -> dict[str, Any]:
    """What identifies a sweep; a resume must ask for exactly this again."""
    from lendsim.scenario import scenario_to_toml

    return _jsonable(
        {
            "format": DESIGN_FORMAT,
            "design": design.kind,
            "parameters": list(design.parameters),
            "points": [list(p) for p in design.points],
            "seeds": seeds,
            "scenario": scenario_to_toml(base, comments=False),
            **design.extra,
        }
    )


def scenario_sha256(scenario: Scenario) -> str:
    """sha256 of a point's resolved scenario TOML: what a task file must have been computed for."""
    from lendsim.scenario import scenario_to_toml

    return hashlib.sha256(scenario_to_toml(scenario, comments=False).encode("utf-8")).hexdigest()


def check_folder(folder: SweepFolder, document: dict[str, Any], resume: bool) -> None:
    """Refuse an out folder that this sweep may not use; change nothing.

    A folder holding something other than a lendsim sweep, or another sweep, is refused; so is one
    with finished tasks of this very sweep when `--resume` is not given: starting over would
    throw that work away, and which one the user meant is theirs to say.
    """
    check_out_path(folder.path)
    saved = folder.read_design()
    if saved is None and folder.exists_nonempty():
        raise RunFolderError(
            f"{folder.path}: folder is not empty and holds no lendsim sweep — use another --out or empty it"
        )
    if saved is not None and saved != document:
        differing = ", ".join(k for k in document if saved.get(k) != document[k]) or "format"
        if resume:
            raise OptionError(
                f"--resume: {folder.path} holds a different sweep ({differing} differ) — "
                "give the same scenario and options, or another --out"
            )
        raise RunFolderError(
            f"{folder.path}: holds a different sweep ({differing} differ) — choose another --out, "
            "or remove the folder"
        )
    if saved is not None and not resume:
        finished = len(folder.finished_keys())
        if finished:
            raise RunFolderError(
                f"{folder.path}: holds {finished} finished task(s) of this sweep — add --resume to "
                "continue it, or choose another --out; nothing was changed"
            )


def prepare_folder(folder: SweepFolder, document: dict[str, Any], resume: bool) -> None:
    """Check the out folder against the requested sweep, then make it ready to (re)start."""
    check_folder(folder, document, resume)
    folder.prepare()
    folder.write_design(document)


def _rows_problem(frame: pd.DataFrame, task: Task) -> str | None:
    """Why a task file's rows are not those of `task`, or None."""
    missing = [c for c in ("point", "mode", "seed", *HEADLINE_METRICS) if c not in frame.columns]
    if missing:
        return f"its rows lack {', '.join(missing[:3])}"
    if len(frame) != len(MODES) or sorted(map(str, frame["mode"])) != sorted(MODES):
        return "it does not hold one row per mode"
    points, seeds = sorted(set(frame["point"].tolist())), sorted(set(frame["seed"].tolist()))
    if points != [task.point] or seeds != [task.replication]:
        return f"it holds rows of point {points}, seed {seeds}, not of task {task.key}"
    return None


def judge_task(found: TaskFile, task: Task, scenario_hash: str) -> str | None:
    """Why a readable task file must not be reused for `task` (None: it may be)."""
    stamp = found.stamp
    if found.problem is not None:
        return found.problem
    if stamp is not None and stamp.key != task.key:
        return f"it holds task {stamp.key}, not {task.key} (copied or renamed?)"
    if stamp is not None and stamp.scenario_sha256 != scenario_hash:
        return f"it was computed for another scenario than point {task.point} of this sweep"
    assert found.frame is not None
    return _rows_problem(found.frame, task)


@dataclass
class Vetting:
    """The finished tasks found on resume: accepted ones by code version, and those set aside."""

    versions: Counter[CodeVersion | None] = field(default_factory=Counter)
    set_aside: list[str] = field(default_factory=list)


def vet_finished_tasks(
    folder: SweepFolder,
    tasks: Sequence[Task],
    hashes: Sequence[str],
    *,
    current: CodeVersion,
    any_version: bool,
    notify: Callable[[str], None],
) -> Vetting:
    """Check every saved task of this sweep before it is reused.

    Tasks of another code version are refused as a whole (OptionError, nothing changed) unless
    `any_version`: results of different code are not to be mixed without the user saying so. Then
    each file that cannot be used — unreadable, corrupt, another task's, another scenario's — is
    moved to tasks/rejected/ with its reason, reported through `notify` in one line, and left to be
    computed again.
    """
    by_key = {task.key: task for task in tasks}
    found = [folder.inspect_task(key) for key in sorted(folder.finished_keys() & by_key.keys())]
    verdicts = [(item, judge_task(item, by_key[item.key], hashes[by_key[item.key].point])) for item in found]
    vetting = Vetting()
    for item, problem in verdicts:
        if problem is None:
            vetting.versions[item.stamp.code if item.stamp is not None else None] += 1
    others = [code for code in vetting.versions if code != current]
    if others and not any_version:
        count = sum(vetting.versions[code] for code in others)
        raise OptionError(
            f"--resume: {count} finished task(s) in {folder.tasks_dir} were computed by "
            f"{describe_code(others[0])}, this is {describe_code(current)} — add --resume-any-version "
            "to mix them, or sweep into another --out"
        )
    for item, problem in verdicts:
        if problem is not None:
            where = folder.set_aside(item.key, problem)
            vetting.set_aside.append(item.key)
            notify(
                f"warning: {folder.task_path(item.key)}: {problem} — moved to {where}; "
                "the task is computed again"
            )
    return vetting


@dataclass
class SweepOutcome:
    """What a sweep produced: the folder, its tables, which tasks failed, timings."""

    folder: Path
    n_tasks: int
    n_run: int
    failed: list[str]
    sweep_df: pd.DataFrame
    summary_df: pd.DataFrame
    wall_time_s: float
    simulate_s: float
    set_aside: list[str] = field(default_factory=list)


class SweepInterrupted(Interrupted):
    """Ctrl-C during a sweep: says how many tasks are saved (counted on disk) and how to go on."""

    def __init__(
        self,
        folder: Path,
        finished: int,
        total: int,
        *,
        finals_written: bool = False,
        report_pending: bool = False,
    ) -> None:
        if finals_written:
            message = (
                f"interrupted: {finished} of {total} tasks finished and saved in {folder}, "
                "final files written"
            )
            if report_pending:
                message += f"; report.html not built — run: lendsim report {folder}"
        else:
            message = (
                f"interrupted: {finished} of {total} tasks finished and saved in {folder} — rerun the "
                "same command with --resume to continue"
            )
        super().__init__(message)
        self.folder, self.finished, self.total = folder, finished, total


def saved_count(folder: SweepFolder, tasks: Sequence[Task]) -> int:
    """How many of `tasks` have a task file on disk: the count a user can rely on after Ctrl-C."""
    with contextlib.suppress(Exception):
        return len(folder.finished_keys() & {task.key for task in tasks})
    return 0


def sweep_tasks(scenarios: Sequence[Scenario], seeds: int, simulator: Simulator | None) -> list[Task]:
    return [
        Task(point, replication, scenario, simulator=simulator)
        for point, scenario in enumerate(scenarios)
        for replication in range(seeds)
    ]


def _record(folder: SweepFolder, task: Task, outcome: Outcome, stamp: TaskStamp) -> float:
    """Save one finished task (or its error); return its simulate() time."""
    if outcome.error is not None:
        folder.write_task_error(
            task.key,
            f"task {task.key} (point {task.point}, replication {task.replication}) failed\n\n"
            + outcome.error_text(),
        )
        return 0.0
    result: TaskResult = outcome.value
    folder.write_task(task.key, result.summary, stamp)
    return result.simulate_s


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr)


def run_sweep(
    base: Scenario,
    design: Design,
    *,
    out: Path,
    executor: Executor | None = None,
    resume: bool = False,
    resume_any_version: bool = False,
    simulator: Simulator | None = None,
    command: Sequence[str] | None = None,
    manifest_extra: Mapping[str, Any] | None = None,
    finish: Callable[[SweepOutcome], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run (or continue) a sweep into `out` and write sweep.parquet, sweep_summary.csv, manifest.json.

    seeds = base.simulation.seeds. Failing tasks are recorded (tasks/<key>.error.txt, manifest
    "failed") and the final files hold the tasks that finished. `resume_any_version` implies
    `resume` and reuses tasks computed by another code version. `finish(outcome)` writes what is
    derived from the final tables (sensitivity.csv) before the manifest, which comes last.
    `notify` gets one line per task file set aside (default: stderr). Ctrl-C raises
    SweepInterrupted with the number of tasks saved on disk.
    """
    started = time.time()
    seeds = int(base.simulation.seeds)
    resume = resume or resume_any_version
    notify = notify or _stderr_line
    scenarios = point_scenarios(base, design)
    hashes = [scenario_sha256(scenario) for scenario in scenarios]
    folder = SweepFolder(Path(out))
    document = design_document(base, design, seeds)
    all_tasks = sweep_tasks(scenarios, seeds, simulator)
    current = code_version()
    try:
        check_folder(folder, document, resume)
        vetting = Vetting()
        if resume:
            vetting = vet_finished_tasks(
                folder, all_tasks, hashes, current=current, any_version=resume_any_version, notify=notify
            )
        prepare_folder(folder, document, resume)
        finished = folder.finished_keys()
        todo = [task for task in all_tasks if task.key not in finished]
        simulate_s = 0.0
        results = run_tasks(todo, executor)
        with contextlib.closing(iter(results)) as landing:  # closed (pool stopped) even on Ctrl-C
            for task, outcome in landing:
                stamp = TaskStamp(task.key, hashes[task.point], *current)
                simulate_s += _record(folder, task, outcome, stamp)
                vetting.versions[current] += outcome.ok
        return finish_sweep(
            folder,
            base,
            design,
            all_tasks,
            started=started,
            simulate_s=simulate_s,
            n_run=len(todo),
            command=command,
            manifest_extra=manifest_extra,
            finish=finish,
            vetting=vetting,
        )
    except KeyboardInterrupt:
        raise SweepInterrupted(folder.path, saved_count(folder, all_tasks), len(all_tasks)) from None


def finish_sweep(
    folder: SweepFolder,
    base: Scenario,
    design: Design,
    all_tasks: Sequence[Task],
    *,
    started: float,
    simulate_s: float,
    n_run: int,
    command: Sequence[str] | None,
    manifest_extra: Mapping[str, Any] | None,
    finish: Callable[[SweepOutcome], None] | None = None,
    vetting: Vetting | None = None,
) -> SweepOutcome:
    """Assemble the final files from the saved task files, in task order; the manifest last.

    Each file replaces the previous one only when it is complete (nothing is deleted first), and
    the manifest is written after everything else, so a folder whose manifest is missing or
    older is recognisably unfinished. `complete` in the manifest is false when tasks failed.
    """
    vetting = vetting or Vetting()
    finished = folder.finished_keys()
    ordered = sorted(all_tasks, key=lambda t: (t.point, t.replication))
    done_keys = [t.key for t in ordered if t.key in finished]
    failed = [t.key for t in ordered if t.key not in finished]
    sweep_df = sweep_table(folder.read_tasks(done_keys), design)
    summary_df = sweep_summary(sweep_df, design.parameters)
    write_parquet_atomic(folder.sweep_path, sweep_df)
    write_csv_atomic(folder.summary_path, summary_df)
    outcome = SweepOutcome(
        folder.path, len(all_tasks), n_run, failed, sweep_df, summary_df, 0.0, simulate_s, vetting.set_aside
    )
    if finish is not None:
        finish(outcome)
    versions = sorted(describe_code(code) for code, n in vetting.versions.items() if n)
    code_versions: dict[str, Any] = {"task_code_versions": versions} if len(versions) > 1 else {}
    manifest = build_manifest(
        base,
        started_at=started,
        finished_at=time.time(),
        command=command,
        parameters=list(design.parameters),
        design=design.kind,
        points=len(design.points),
        failed=failed,
        complete=not failed,
        **code_versions,
        **dict(manifest_extra or {}),
    )
    write_json_atomic(folder.manifest_path, manifest)
    outcome.wall_time_s = manifest["wall_time_s"]
    return outcome


def sweep_table(task_rows: pd.DataFrame, design: Design) -> pd.DataFrame:
    """sweep.parquet: point, parameter columns, mode, seed, headline metrics; sorted by point, mode, seed."""
    columns = ["point", *design.parameters, "mode", "seed", *HEADLINE_METRICS]
    if task_rows.empty:
        return pd.DataFrame(columns=columns)
    table = task_rows.merge(design.frame(), on="point", how="left", validate="many_to_one")
    mode_rank = table["mode"].map({m: i for i, m in enumerate(MODES)})
    table = table.assign(_mode_rank=mode_rank).sort_values(["point", "_mode_rank", "seed"], kind="stable")
    return table[columns].reset_index(drop=True)


def sweep_summary(sweep_df: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """sweep_summary.csv: per point × (automated, hitl, difference) the mean and 95 % CI of each metric.

    The CI is the t interval of lendsim.statistics (paired by seed for the difference), clipped to
    what the metric can take as the registry declares it: an approval rate's band stays in [0, 1],
    a difference of rates in [−1, 1], a count above 0.
    """
    from lendsim.metrics import REGISTRY  # read when called: a registry extended at run time counts
    from lendsim.statistics import clip_interval

    rows = []
    for point, group in sweep_df.groupby("point", sort=True):
        params = {p: group[p].iloc[0] for p in parameters}
        by_mode = {mode: group[group["mode"] == mode].set_index("seed").sort_index() for mode in MODES}
        paired = by_mode[MODES[0]].index.intersection(by_mode[MODES[1]].index)
        for mode in SUMMARY_MODES:
            row: dict[str, Any] = {"point": int(point), **params, "mode": mode}
            for metric in HEADLINE_METRICS:
                if mode == DIFFERENCE:
                    values = by_mode[MODES[1]].loc[paired, metric] - by_mode[MODES[0]].loc[paired, metric]
                else:
                    values = by_mode[mode][metric]
                if len(values) == 0:
                    continue
                mean, low, high = mean_ci(values.to_numpy())
                definition = REGISTRY.get(metric)
                if definition is not None:
                    span = definition.difference_range() if mode == DIFFERENCE else definition.value_range()
                    low, high = (float(end) for end in clip_interval(low, high, span))
                row |= {f"{metric}_mean": mean, f"{metric}_ci_low": low, f"{metric}_ci_high": high}
            rows.append(row)
    columns = ["point", *parameters, "mode"] + [
        f"{metric}_{stat}" for metric in HEADLINE_METRICS for stat in ("mean", "ci_low", "ci_high")
    ]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class SensitivityPlan:
    """A SALib problem, its sample (raw, for the analysis) and the design the model runs."""

    method: str
    problem: dict[str, Any]
    sample: np.ndarray
    design: Design


def salib_seed(root_seed: int, tag: int) -> int:
    """A 32-bit seed for SALib derived from the root seed (SALib takes an int)."""
    return int(np.random.SeedSequence([int(root_seed), LHS_STREAM, tag]).generate_state(1)[0])


def sensitivity_plan(
    ranges: Sequence[RangeSpec], method: str, samples: int, root_seed: int
) -> SensitivityPlan:
    """SALib's Morris trajectories or Saltelli/Sobol sample over the ranges."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in SENSITIVITY_METHODS:
        raise OptionError(f"--method {method} — must be one of: {', '.join(SENSITIVITY_METHODS)}")
    if not ranges:
        raise OptionError("sensitivity needs at least one --range KEY=LO:HI")
    _check_distinct("--range", [r.key for r in ranges])
    check_count("--samples", samples)
    if method == "sobol" and samples & (samples - 1):
        raise OptionError(f"--samples {samples} — sobol needs a power of 2 (e.g. 32, 64, 128)")
    names = [r.key for r in ranges]
    problem = {
        "num_vars": len(ranges),
        "names": names,
        "bounds": [[r.lo, r.hi] for r in ranges],
    }
    if method == "morris":
        sample = morris_sample.sample(problem, samples, num_levels=4, seed=salib_seed(root_seed, 1))
    else:
        sample = sobol_sample.sample(problem, samples, calc_second_order=False, seed=salib_seed(root_seed, 2))
    columns = [spec.scale(sample[:, j]) for j, spec in enumerate(ranges)]
    design = Design(
        method,
        tuple(names),
        tuple(zip(*columns, strict=True)),
        option="--range",
        extra={"samples": samples},
    )
    return SensitivityPlan(method, problem, sample, design)


def _response(sweep_df: pd.DataFrame, metric: str, mode: str, seed: int, n_points: int) -> np.ndarray:
    """The metric (or HITL − automated) at every design point for one seed, in point order."""
    rows = sweep_df[sweep_df["seed"] == seed]
    by_mode = {m: rows[rows["mode"] == m].set_index("point")[metric].sort_index() for m in MODES}
    values = by_mode[MODES[1]] - by_mode[MODES[0]] if mode == DIFFERENCE else by_mode[mode]
    if len(values) != n_points:
        raise RunFolderError(f"seed {seed} has {len(values)} of {n_points} points — cannot compute indices")
    return values.to_numpy(dtype="float64")


INDEX_COLUMNS = {"morris": ("mu_star", "mu_star_conf", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
NOISE_INDEX = {"morris": "mu_star", "sobol": "ST"}


def _indices(plan: SensitivityPlan, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    columns = INDEX_COLUMNS[plan.method]
    n_vars = plan.problem["num_vars"]
    if np.ptp(y) == 0:  # a constant response: no parameter moves it (SALib would divide by zero)
        return {c: np.zeros(n_vars) for c in columns}
    with warnings.catch_warnings():  # a constant block of evaluations gives NaN, reported as 0 below
        warnings.filterwarnings("ignore", message="Constant values encountered", category=UserWarning)
        if plan.method == "morris":
            result = morris_analyze.analyze(plan.problem, plan.sample, y, num_levels=4, seed=seed)
        else:
            result = sobol_analyze.analyze(plan.problem, y, calc_second_order=False, seed=seed)
    return {c: np.nan_to_num(np.asarray(result[c], dtype="float64")) for c in columns}


def sensitivity_table(
    plan: SensitivityPlan, sweep_df: pd.DataFrame, metric: str, difference: bool, seeds: int, root_seed: int
) -> pd.DataFrame:
    """sensitivity.csv: indices per seed, then mean across seeds and seed_noise_sd (sd across seeds)."""
    n_points = len(plan.design.points)
    columns = INDEX_COLUMNS[plan.method]
    noise = NOISE_INDEX[plan.method]
    rows = []
    for mode in (DIFFERENCE,) if difference else MODES:
        per_seed = [
            _indices(
                plan, _response(sweep_df, metric, mode, seed, n_points), salib_seed(root_seed, 100 + seed)
            )
            for seed in range(seeds)
        ]
        for j, name in enumerate(plan.problem["names"]):
            stack = {c: np.array([s[c][j] for s in per_seed]) for c in columns}
            row = {"method": plan.method, "metric": metric, "mode": mode, "parameter": name}
            row |= {c: float(stack[c].mean()) for c in columns}
            row["seed_noise_sd"] = float(stack[noise].std(ddof=1)) if seeds > 1 else 0.0
            row["n_seeds"] = seeds
            rows.append(row)
    return pd.DataFrame(rows)


def write_sensitivity(folder: Path, table: pd.DataFrame) -> Path:
    return write_csv_atomic(SweepFolder(folder).sensitivity_path, table)


__all__ = [
    "Design",
    "GridAxis",
    "RangeSpec",
    "SensitivityPlan",
    "SweepInterrupted",
    "SweepOutcome",
    "check_metric",
    "grid_design",
    "lhs_design",
    "parse_grid",
    "parse_range",
    "parse_sample",
    "prepare_folder",
    "run_sweep",
    "sensitivity_plan",
    "sensitivity_table",
    "sweep_summary",
    "sweep_table",
    "task_key",
    "write_sensitivity",
]
