"""The `lendsim robustness` command: parse options, delegate to lendsim.robustness, report.

A robustness analysis is a sweep over a Latin hypercube of the scenario's [uncertainties], so this
command takes the sweep's options and its exit status (0 done, 1 some tasks failed, 2 bad input,
130 interrupted — finished tasks are kept for `--resume`) from lendsim.cli_experiment; it adds the
check that the EMA Workbench is installed (before anything runs) and builds its own report.
`lendsim.cli` registers it; `python -m lendsim.cli_robustness SCENARIO ...` runs it on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lendsim.cli_experiment import (
    DaskLocalOpt,
    ExecutorOpt,
    NoReportOpt,
    QuietOpt,
    ResumeAnyVersionOpt,
    ResumeOpt,
    ScenarioArg,
    SchedulerOpt,
    SeedsOpt,
    SetOpt,
    WorkersOpt,
    default_out,
    execute,
    finish,
    handle_errors,
    load_base,
    one_line,
    warn,
)
from lendsim.contract import REPORT_FILE
from lendsim.executors import Executor
from lendsim.store import check_out_path
from lendsim.sweep import SweepInterrupted, SweepOutcome, check_count

if TYPE_CHECKING:
    from lendsim.robustness import RobustnessPlan
    from lendsim.scenario import Scenario


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def check_budget(
    base: Scenario,
    plan: RobustnessPlan,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
) -> None:
    """Refuse a design with too many tasks or too much memory, as a sweep's is refused."""
    from lendsim.budget import _check_design

    points = len(plan.design.points)
    extremes = {
        setting: max(point[j] for point in plan.design.points)
        for j, setting in enumerate(plan.design.parameters)
    }
    what = f"--samples {plan.samples} (+ the central run) gives {points} point(s)"
    _check_design(base, points, what, extremes, executor, workers, scheduler, dask_local)


def build_robustness_report_safely(outcome: SweepOutcome, enabled: bool) -> None:
    """Build report.html; a failure is a warning, not lost results (they are all written)."""
    if not enabled:
        return
    if outcome.failed:
        typer.echo(f"note: {REPORT_FILE} not built — some tasks failed; rerun with --resume", err=True)
        return
    from lendsim.report.robustness import build_robustness_report

    try:
        build_robustness_report(outcome.folder)
    except Exception as error:  # noqa: BLE001 - the results are written; say why the report is not
        typer.echo(
            f"warning: {REPORT_FILE} not built ({type(error).__name__}: {one_line(str(error))})", err=True
        )


@handle_errors
def robustness(
    scenario: ScenarioArg,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            help="Latin-hypercube samples of the scenario's declared uncertainties (default 100); "
            "the scenario's own values are run too, as the central run.",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Sample only this declared uncertainty (its key); the others keep the scenario's "
            "values. Repeatable.",
        ),
    ] = None,
    seeds: SeedsOpt = None,
    months: Annotated[
        int | None, typer.Option("--months", help="Simulated months (overrides simulation.months).")
    ] = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder (default: results/<scenario>-robustness).")
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
    """How robust is each HITL − automated finding across the scenario's declared uncertainties?

    Share of plausible worlds where each finding holds, where it flips (PRIM), what drives it.
    """
    from lendsim.robustness import DEFAULT_SAMPLES, require_ema, robustness_plan, run_robustness

    require_ema()  # before anything: without it the analysis cannot be written
    check_count("--samples", samples)
    check_count("--months", months)
    sets = list(set_ or ()) + ([f"simulation.months={months}"] if months is not None else [])
    base = load_base(scenario, sets, seeds)
    plan = robustness_plan(base, samples if samples is not None else DEFAULT_SAMPLES, only)
    check_budget(base, plan, executor, workers, scheduler, dask_local)
    out = out or default_out(scenario, "robustness")
    check_out_path(out)  # before any worker or cluster starts

    def run(runner: Executor) -> SweepOutcome:
        return run_robustness(
            base,
            plan,
            out=out,
            executor=runner,
            resume=resume,
            resume_any_version=resume_any_version,
            command=sys.argv,
            notify=warn,
        )

    outcome = execute(run, executor, workers, scheduler, dask_local, report=False, progress=_progress(quiet))
    try:
        build_robustness_report_safely(outcome, not no_report)
    except KeyboardInterrupt:
        done = outcome.n_tasks - len(outcome.failed)
        raise SweepInterrupted(
            outcome.folder, done, outcome.n_tasks, finals_written=True, report_pending=not no_report
        ) from None
    if not outcome.failed:
        show_robustness_table(outcome.folder, quiet)
    finish(outcome, quiet, "robustness")


def main() -> None:  # pragma: no cover - thin entry point
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.command()(robustness)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


def show_robustness_table(folder: Path, quiet: bool) -> None:
    """On a terminal, each key finding and the share of plausible worlds where it holds."""
    from lendsim import terminal
    from lendsim.contract import ROBUSTNESS_SUMMARY_FILE

    summary = folder / ROBUSTNESS_SUMMARY_FILE
    if terminal.wanted(quiet) and summary.exists():
        import pandas as pd

        terminal.show(terminal.robustness_table(pd.read_csv(summary)), quiet=quiet)

