"""Experiments: which simulations to run, how to run them, and how to compare the two modes.

A *task* is one (parameter point, replication) of one scenario. It runs the automated and the HITL
mode back to back with the same seed — common random numbers — so the paired difference
HITL − automated measures underwriting, not luck. A task is a pure function of its fields, hence
the same numbers from any executor. This module also holds the paired comparison (comparison.csv:
per headline metric of the registry, the t interval of lendsim.statistics on per-seed differences),
`run_replications` behind `lendsim run`, and `evaluate`, the model as a plain picklable function for
outside drivers (EMA Workbench, Mesa's batch_run, a notebook).

`mean_ci` and `CONFIDENCE` live in lendsim.statistics and are re-exported here for the code that
has always imported them from this module.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lendsim import MODES, metrics
from lendsim.contract import COMPARISON_COLUMNS
from lendsim.executors import Executor, Outcome, SerialExecutor
from lendsim.metrics import headline_names
from lendsim.statistics import CONFIDENCE, clip_interval, mean_ci, paired_ci
from lendsim.store import build_manifest, task_key, write_run_folder

if TYPE_CHECKING:
    from lendsim.scenario import Scenario

__all__ = [
    "CONFIDENCE",
    "Simulator",
    "Task",
    "TaskResult",
    "build_manifest",
    "evaluate",
    "mean_ci",
    "paired_comparison",
    "run_replications",
    "run_task",
    "summary_frame",
    "write_run_folder",
]


Simulator = Callable[..., Any]
"""`simulate(scenario, mode, replication) -> SimulationResult` or a stand-in with its shape."""


def _default_simulator() -> Simulator:
    from lendsim.simulate import simulate

    return simulate


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """One (point, replication): both modes on `scenario` with common random numbers.

    `simulator` is a module-level function (so it pickles); None means `lendsim.simulate.simulate`.
    """

    point: int
    replication: int
    scenario: Scenario
    keep_monthly: bool = False
    simulator: Simulator | None = None

    @property
    def key(self) -> str:
        return task_key(self.point, self.replication)


@dataclass
class TaskResult:
    """Both modes' headline metrics (rows: point, mode, seed, metrics) and optionally monthly tables."""

    point: int
    replication: int
    summary: pd.DataFrame
    monthly: dict[str, pd.DataFrame] = field(default_factory=dict)
    simulate_s: float = 0.0


def summary_row(summary: Mapping[str, Any], mode: str, replication: int) -> dict[str, Any]:
    """mode, seed and the headline metrics (as floats) from one simulate() summary."""
    names = headline_names()
    missing = [m for m in names if m not in summary]
    if missing:
        raise KeyError(f"simulate() summary lacks headline metrics: {', '.join(missing)}")
    return {"mode": mode, "seed": int(replication), **{m: float(summary[m]) for m in names}}


def run_task(task: Task) -> TaskResult:
    """Run both modes of one task. Module-level and pure, so any executor can ship it anywhere."""
    simulate = task.simulator or _default_simulator()
    rows: list[dict[str, Any]] = []
    monthly: dict[str, pd.DataFrame] = {}
    simulate_s = 0.0
    for mode in MODES:
        started = time.perf_counter()
        result = simulate(task.scenario, mode, task.replication)
        simulate_s += time.perf_counter() - started
        rows.append({"point": task.point, **summary_row(result.summary, mode, task.replication)})
        if task.keep_monthly:
            monthly[mode] = result.monthly
    return TaskResult(task.point, task.replication, summary_frame(rows), monthly, simulate_s)


def summary_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of (point?, mode, seed, metrics) as a frame with fixed dtypes (int ids, float metrics)."""
    frame = pd.DataFrame(list(rows))
    for column in ("point", "seed"):
        if column in frame:
            frame[column] = frame[column].astype("int64")
    for metric in headline_names():
        if metric in frame:
            frame[metric] = frame[metric].astype("float64")
    return frame


def run_tasks(
    tasks: Sequence[Task], executor: Executor | None
) -> Generator[tuple[Task, Outcome], None, None]:
    """Yield each task's outcome as it finishes (in this process when `executor` is None). What is
    shown meanwhile is the caller's: the command line wraps its executor in a progress bar."""
    context = contextlib.nullcontext(executor) if executor is not None else SerialExecutor()
    with context as runner:
        yield from runner.map_unordered(run_task, tasks)


# --------------------------------------------------------------------------- comparison


def paired_values(summary_df: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Automated and HITL values of `metric` for the seeds present in both modes, in seed order."""
    by_mode = summary_df.pivot_table(index="seed", columns="mode", values=metric, aggfunc="first")
    paired = by_mode.dropna(subset=[m for m in MODES if m in by_mode]).sort_index()
    if any(m not in paired for m in MODES):
        return np.empty(0), np.empty(0)
    return paired[MODES[0]].to_numpy(), paired[MODES[1]].to_numpy()


def paired_comparison(summary_df: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """comparison.csv: per headline metric, both modes' means and the paired difference with its CI.

    The metrics are the registry's headline metrics, in contract order, read when called; the
    interval is lendsim.statistics' paired t interval — the same formula as the report's bands —
    clipped to what a difference of the metric can be (within ±1 for a rate).
    """
    rows = []
    for metric in headline_names():
        automated, hitl = paired_values(summary_df, metric)
        difference, low, high = paired_ci(automated, hitl, confidence)
        low, high = (float(x) for x in clip_interval(low, high, metrics.REGISTRY[metric].difference_range()))
        rows.append(
            {
                "metric": metric,
                "automated_mean": float(automated.mean()) if automated.size else math.nan,
                "hitl_mean": float(hitl.mean()) if hitl.size else math.nan,
                "difference": difference,
                "ci_low": low,
                "ci_high": high,
                "n_seeds": int(automated.size),
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


# --------------------------------------------------------------------------- lendsim run


def run_replications(
    scenario: Scenario,
    *,
    executor: Executor | None = None,
    simulator: Simulator | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both modes × `simulation.seeds` replications at point 0 → (summary_df, monthly_df).

    summary_df: mode, seed, headline metrics; monthly_df: the simulate() monthly tables stacked.
    Both are sorted by mode (automated, hitl) then seed. The first failing replication's exception
    is raised (a run must be complete). `executor` defaults to in-process serial and is not closed.
    """
    tasks = [
        Task(0, replication, scenario, keep_monthly=True, simulator=simulator)
        for replication in range(scenario.simulation.seeds)
    ]
    results: dict[int, TaskResult] = {}
    for task, outcome in run_tasks(tasks, executor):
        if outcome.error is not None:
            raise outcome.error
        results[task.replication] = outcome.value
    ordered = [results[r] for r in sorted(results)]
    summary = pd.concat([r.summary for r in ordered], ignore_index=True).drop(columns="point")
    mode_order = {mode: i for i, mode in enumerate(MODES)}
    summary = summary.sort_values(
        ["mode", "seed"], key=lambda c: c.map(mode_order) if c.name == "mode" else c
    )
    monthly = pd.concat([r.monthly[mode] for mode in MODES for r in ordered], ignore_index=True)
    return summary.reset_index(drop=True), monthly


# --------------------------------------------------------------------------- the model as a function


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    if isinstance(scenario, str | Path):
        from lendsim.scenario import load_scenario

        return load_scenario(Path(scenario))
    return scenario


def evaluate(
    scenario: Scenario | str | Path,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 0,
    *,
    simulator: Simulator | None = None,
) -> dict[str, dict[str, float]]:
    """Run both modes once and return `{mode: {headline metric: value}}`.

    scenario: a Scenario or the path of a scenario file. overrides: `{dotted key: value}` applied
    with `with_overrides` (ScenarioError on an unknown key or bad value). seed: the replication
    index — together with `simulation.seed` (settable in `overrides`) it fixes all randomness, so
    equal arguments give equal results in any process, and two calls that differ only in a policy
    setting see the same borrowers and the same luck (common random numbers). Module-level and picklable:
    hand it (or `functools.partial` of it) to a process pool, EMA Workbench or a batch runner.
    """
    base = _as_scenario(scenario)
    if overrides:
        from lendsim.scenario import with_overrides

        base = with_overrides(base, dict(overrides))
    result = run_task(Task(0, int(seed), base, simulator=simulator))
    records = result.summary.set_index("mode")
    return {mode: {m: float(records.at[mode, m]) for m in headline_names()} for mode in MODES}
