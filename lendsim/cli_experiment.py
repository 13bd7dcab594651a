"""The `lendsim sweep` and `lendsim sensitivity` commands: parse options, delegate, report.

These functions only turn options into a scenario, a design and an executor, call
`lendsim.sweep`, and turn the outcome into messages and exit status (0 done, 1 some tasks failed
or an internal error, 2 bad input, 130 interrupted — finished tasks are kept for `--resume`, and
the message says how many). The output folder is checked before any executor starts.
`lendsim.cli` registers them with `app.command()(sweep)` and `app.command()(sensitivity)`; run
this module directly (`python -m lendsim.cli_experiment sweep ...`) to use them on their own.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from lendsim.budget import check_sensitivity, check_sweep
from lendsim.compare import check_usable_path
from lendsim.contract import REPORT_FILE, TASK_ERROR_SUFFIX
from lendsim.errors import LendsimError, OptionError
from lendsim.executors import EXECUTORS, Executor, make_executor
from lendsim.metrics import HEADLINE_METRICS
from lendsim.progress import ShowingProgress
from lendsim.store import Interrupted, SweepFolder, check_out_path
from lendsim.sweep import (
    DEFAULT_SAMPLES,
    SENSITIVITY_METHODS,
    Design,
    SweepInterrupted,
    SweepOutcome,
    check_count,
    check_metric,
    grid_design,
    lhs_design,
    parse_grid,
    parse_range,
    parse_sample,
    run_sweep,
    sensitivity_plan,
    sensitivity_table,
    write_sensitivity,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED_TASKS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _ignore_ctrl_c_while_exiting() -> None:
    """Ignore a Ctrl-C that comes while the interpreter shuts down, after the command has finished.

    Python gives SIGINT back its default action as it finalizes (after the atexit callbacks, before
    freeing modules, which takes a while with the scientific stack loaded), so a Ctrl-C then killed
    lendsim silently (status -2, no message) although everything was saved. An ignored signal is
    left ignored, so the process ends with the status and message its command already chose.
    """
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)


atexit.register(_ignore_ctrl_c_while_exiting)


def one_line(text: str) -> str:
    """A message on one line: new lines and other control characters shown escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


def handle_errors(command: F) -> F:
    """LendsimError → "error: <message>" on stderr, exit 2; Ctrl-C → what was saved (and how to go
    on, e.g. --resume), exit 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LendsimError as error:
            typer.echo(f"error: {one_line(str(error))}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Interrupted as interrupted:  # SweepInterrupted too: it counts the saved tasks
            typer.echo(one_line(str(interrupted)), err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- shared options

ScenarioArg = Annotated[
    Path,
    typer.Argument(
        help="Scenario TOML file (e.g. scenarios/baseline.toml) or a bundled scenario's name (e.g. baseline)."
    ),
]
SeedsOpt = Annotated[
    int | None, typer.Option("--seeds", help="Replications per point (default: simulation.seeds).")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting for every point: KEY=VALUE (TOML literal). Repeatable."),
]
RangeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--range", help="KEY=LO:HI sampled range; whole-number bounds sample whole numbers. Repeatable."
    ),
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", help="Local worker processes (default: number of cores).")
]
SchedulerOpt = Annotated[
    str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")
]
DaskLocalOpt = Annotated[
    int | None, typer.Option("--dask-local", help="Start a local Dask cluster with N worker processes.")
]
ExecutorOpt = Annotated[
    str | None,
    typer.Option("--executor", help=f"One of {', '.join(EXECUTORS)} (default: processes, or dask)."),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the sweep in --out: reuse its finished tasks (each is checked; a damaged or "
        "foreign task file is moved to tasks/rejected/ and recomputed) and run the rest. Without it, "
        "a folder with finished tasks is refused, never overwritten.",
    ),
]
ResumeAnyVersionOpt = Annotated[
    bool,
    typer.Option(
        "--resume-any-version",
        help="Like --resume, and also reuse finished tasks computed by another lendsim version or git "
        "commit, mixing them with new ones (the manifest lists the versions). Without it, such a "
        "resume is refused.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")]
NoReportOpt = Annotated[bool, typer.Option("--no-report", help=f"Do not build {REPORT_FILE}.")]


def load_base(scenario: Path, sets: Sequence[str] | None, seeds: int | None) -> Any:
    """The scenario file (or bundled scenario) with --set overrides and --seeds applied."""
    from lendsim.scenario import with_overrides
    from lendsim.scenario.bundled import load_named_scenario

    check_count("--seeds", seeds)
    base = load_named_scenario(scenario, list(sets or ()))
    if seeds is not None:
        base = with_overrides(base, {"simulation.seeds": seeds}, source="--seeds")
    return base


def default_out(scenario: Path, suffix: str) -> Path:
    return Path("results") / f"{Path(scenario).stem}-{suffix}"


def open_executor(
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    *,
    progress: bool = False,
) -> Executor:
    """The executor the options ask for, drawing a progress bar of the sweep's tasks if `progress`."""
    runner = make_executor(executor, workers=workers, scheduler=scheduler, dask_local=dask_local)
    return ShowingProgress(runner, "sweep", enabled=progress)


def build_report_safely(folder: Path, enabled: bool) -> None:
    """Build the report if lendsim.report is available; a failure is a warning, not lost results."""
    if not enabled:
        return
    try:
        from lendsim.report import build_report
    except ImportError:
        typer.echo(f"note: {REPORT_FILE} not built — lendsim.report is not available", err=True)
        return
    try:
        build_report(folder)
    except Exception as error:  # noqa: BLE001 - the results are written; say why the report is not
        typer.echo(f"warning: {REPORT_FILE} not built ({type(error).__name__}: {error})", err=True)


def warn(message: str) -> None:
    """One line on stderr (a task file set aside, …)."""
    typer.echo(one_line(message), err=True)


def execute(
    run: Callable[[Executor], SweepOutcome],
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    report: bool,
    progress: bool = False,
) -> SweepOutcome:
    """Open the executor, run, close it, build the report.

    Ctrl-C while the sweep runs is SweepInterrupted from `run_sweep`; after it returned (the pool
    stopping, the report being built) every result is already saved, and the message says so and
    how to get the report.
    """
    outcome: SweepOutcome | None = None
    try:
        with open_executor(executor, workers, scheduler, dask_local, progress=progress) as runner:
            outcome = run(runner)
        build_report_safely(outcome.folder, report)
    except KeyboardInterrupt:
        if outcome is None:
            raise
        done = outcome.n_tasks - len(outcome.failed)
        raise SweepInterrupted(
            outcome.folder, done, outcome.n_tasks, finals_written=True, report_pending=report
        ) from None
    return outcome


def finish(outcome: SweepOutcome, quiet: bool, what: str) -> None:
    """On a terminal, a table of the key metrics per point (a sweep's); the summary line; exit 1
    naming the failed tasks if there are any."""
    if not quiet:
        if what == "sweep" and not outcome.failed and len(outcome.summary_df):
            show_sweep_table(outcome)
        resumed = outcome.n_tasks - outcome.n_run
        typer.echo(
            f"{what}: {outcome.n_tasks} tasks ({outcome.n_run} run, {resumed} already done) "
            f"in {outcome.wall_time_s:.1f} s → {outcome.folder}"
        )
    if outcome.failed:
        shown = ", ".join(outcome.failed[:5]) + (" …" if len(outcome.failed) > 5 else "")
        typer.echo(
            f"error: {len(outcome.failed)} of {outcome.n_tasks} tasks failed ({shown}) — see "
            f"{SweepFolder(outcome.folder).tasks_dir}/*{TASK_ERROR_SUFFIX}; "
            "rerun with --resume to retry them",
            err=True,
        )
        raise typer.Exit(EXIT_FAILED_TASKS)


def show_sweep_table(outcome: SweepOutcome) -> None:
    """The per-point view of one or two key metrics (lendsim.terminal), on a terminal only."""
    from lendsim import terminal

    if terminal.wanted():
        terminal.show(terminal.sweep_table(outcome.summary_df))


def sweep_design(
    grid: Sequence[str] | None, sample: str | None, ranges: Sequence[str] | None, root_seed: int
) -> Design:
    """--grid … (product) or --sample lhs:N with --range …; never both."""
    if grid and (sample or ranges):
        raise OptionError("--grid and --sample/--range exclude each other — give one kind of design")
    if grid:
        return grid_design([parse_grid(spec) for spec in grid])
    if sample is None:
        if ranges:
            raise OptionError("--range needs --sample lhs:N (or use --grid KEY=V1,V2,...)")
        raise OptionError("give a design: --grid KEY=V1,V2,... or --sample lhs:N with --range KEY=LO:HI")
    return lhs_design([parse_range(spec) for spec in ranges or ()], parse_sample(sample), root_seed)


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


# --------------------------------------------------------------------------- commands


@handle_errors
def sweep(
    scenario: ScenarioArg,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            help="KEY=V1,V2,... or KEY=START:STOP:STEP (stop included when on the grid). "
            "Several --grid options form their product.",
        ),
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option("--sample", help="lhs:N — N Latin-hypercube points over the --range options."),
    ] = None,
    range_: RangeOpt = None,
    seeds: SeedsOpt = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Sweep folder (default: results/<scenario>-sweep).")
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    executor: ExecutorOpt = None,
    resume: ResumeOpt = False,
    resume_any_version: ResumeAnyVersionOpt = False,
    quiet: QuietOpt = False,
    no_report: NoReportOpt = False,
) -> None:
    """Run a scenario over a grid or Latin hypercube of settings; both modes, paired by seed."""
    base = load_base(scenario, set_, seeds)
    check_sweep(  # before the design is built: refuse what cannot fit in memory or in time
        base, grid=grid, sample=sample, ranges=range_, executor=executor, workers=workers,
        scheduler=scheduler, dask_local=dask_local,
    )
    design = sweep_design(grid, sample, range_, base.simulation.seed)
    out = out or default_out(scenario, "sweep")
    check_usable_path(out, "--out")
    check_out_path(out)  # before any worker or cluster starts

    def run(runner: Executor) -> SweepOutcome:
        return run_sweep(
            base,
            design,
            out=out,
            executor=runner,
            resume=resume,
            resume_any_version=resume_any_version,
            command=sys.argv,
            notify=warn,
        )

    outcome = execute(
        run, executor, workers, scheduler, dask_local, report=not no_report, progress=_progress(quiet)
    )
    finish(outcome, quiet, "sweep")


@handle_errors
def sensitivity(
    scenario: ScenarioArg,
    range_: RangeOpt = None,
    method: Annotated[
        str, typer.Option("--method", help="morris (screening) or sobol (variance).")
    ] = "morris",
    metric: Annotated[
        str | None, typer.Option("--metric", help=f"Headline metric, one of: {', '.join(HEADLINE_METRICS)}.")
    ] = None,
    difference: Annotated[
        bool, typer.Option("--difference", help="Analyse HITL − automated of the metric (paired by seed).")
    ] = False,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", help="Morris trajectories (default 10) or Sobol base samples (power of 2, 64)."
        ),
    ] = None,
    seeds: SeedsOpt = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder (default: results/<scenario>-sensitivity).")
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    executor: ExecutorOpt = None,
    resume: ResumeOpt = False,
    resume_any_version: ResumeAnyVersionOpt = False,
    quiet: QuietOpt = False,
    no_report: NoReportOpt = False,
) -> None:
    """Morris or Sobol indices of one headline metric, per seed, with the seed noise of each index."""
    metric = check_metric(metric)
    if method not in SENSITIVITY_METHODS:
        raise OptionError(f"--method {method} — must be one of: {', '.join(SENSITIVITY_METHODS)}")
    base = load_base(scenario, set_, seeds)
    if base.simulation.seeds < 2:
        raise OptionError(
            f"--seeds {base.simulation.seeds} — sensitivity needs ≥ 2 seeds to report seed noise"
        )
    ranges = [parse_range(spec) for spec in range_ or ()]
    n_samples = samples if samples is not None else DEFAULT_SAMPLES[method]
    check_sensitivity(  # before SALib builds the sample: refuse what cannot fit in memory or in time
        base, method=method, samples=n_samples, ranges=ranges, executor=executor, workers=workers,
        scheduler=scheduler, dask_local=dask_local,
    )
    plan = sensitivity_plan(ranges, method, n_samples, base.simulation.seed)
    out = out or default_out(scenario, "sensitivity")
    check_usable_path(out, "--out")
    check_out_path(out)  # before any worker or cluster starts

    def write_indices(outcome: SweepOutcome) -> None:
        """sensitivity.csv, written before the manifest: a folder with a manifest is complete."""
        if not outcome.failed:
            table = sensitivity_table(
                plan, outcome.sweep_df, metric, difference, base.simulation.seeds, base.simulation.seed
            )
            write_sensitivity(outcome.folder, table)

    def run(runner: Executor) -> SweepOutcome:
        return run_sweep(
            base,
            plan.design,
            out=out,
            executor=runner,
            resume=resume,
            resume_any_version=resume_any_version,
            command=sys.argv,
            manifest_extra={"sensitivity": {"method": method, "metric": metric, "difference": difference}},
            finish=write_indices,
            notify=warn,
        )

    outcome = execute(
        run, executor, workers, scheduler, dask_local, report=not no_report, progress=_progress(quiet)
    )
    finish(outcome, quiet, "sensitivity")


def main() -> None:  # pragma: no cover - thin entry point
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.command()(sweep)
    app.command()(sensitivity)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
