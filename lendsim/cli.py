"""The `lendsim` command line: parse arguments, delegate, turn errors into messages and exit codes.

Commands (DESIGN.md, "Command line"): run, sweep, sensitivity, report, validate, scenarios.
Exit status: 0 success; 2 bad input (one line on stderr naming the file, the key and what is
allowed); 1 an unexpected internal error (set LENDSIM_DEBUG=1 to see its traceback).
"""

from __future__ import annotations

import functools
import os
import sys
import time
import tomllib
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from typer import _click as click  # typer vendors click: its exceptions are these classes
from typer.core import TyperGroup

from lendsim.cli_experiment import (
    EXIT_INTERRUPTED,
    NoReportOpt,
    QuietOpt,
    ScenarioArg,
    SeedsOpt,
    SetOpt,
    WorkersOpt,
    handle_errors,
    one_line,
    sensitivity,
    sweep,
)
from lendsim.errors import LendsimError, OptionError
from lendsim.statistics import few_seeds_warning

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
LANGUAGES = ("en", "zh")


class OneLineErrors(TyperGroup):
    """Click's own usage errors (a bad option value, an unknown option) in one line, exit 2 — the
    same shape as every other bad-input message, whether run as a command or in-process.

    Arguments are checked first: bytes that are not UTF-8 (Python hands them over as lone
    surrogates) are refused before anything runs, naming the argument, instead of failing when a
    manifest or report is written at the end."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        given = args[0] if args else kwargs.get("args")
        problem = self._not_utf8(list(sys.argv[1:] if given is None else given))
        try:
            if problem:
                raise OptionError(problem)
            kwargs["standalone_mode"] = False  # `standalone_mode` itself is never in kwargs
            result = super().main(*args, **kwargs)
        except OptionError as error:
            typer.echo(f"error: {one_line(str(error))}", err=True)
            result = 2
        except click.exceptions.NoArgsIsHelpError as error:
            error.show()
            result = error.exit_code
        except click.ClickException as error:
            ctx = getattr(error, "ctx", None)  # set on UsageError and its kind, not on every ClickException
            where = f"{ctx.command_path}: " if ctx else ""
            typer.echo(f"error: {where}{one_line(error.format_message())}", err=True)
            result = error.exit_code
        except typer.Abort:
            typer.echo("interrupted", err=True)
            result = EXIT_INTERRUPTED
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)

    def _not_utf8(self, args: list[Any]) -> str | None:
        """A message naming the first argument that is not UTF-8 text; None if all are."""
        for index, arg in enumerate(args):
            try:
                str(arg).encode("utf-8")
            except UnicodeEncodeError:
                try:
                    name = self._name(args, index)
                except Exception:  # noqa: BLE001 - naming must not fail the message
                    name = f"argument {index + 1} ({_as_bytes_text(str(arg))})"
                return (
                    f"{name}: has bytes that are not UTF-8 text — give file names, "
                    "folders and --set values as UTF-8 (rename the file or folder if need be)"
                )
        return None

    def _name(self, args: list[Any], index: int) -> str:
        """'--out /tmp/\\xff', '--set a.b=\\xff', 'SCENARIO scen\\xff.toml' or 'argument 2 (…)'."""
        texts = [str(arg) for arg in args]
        shown = _as_bytes_text(texts[index])
        command = self.commands.get(texts[0]) if texts else None
        if index == 0 or command is None:
            return f"argument {index + 1} ({shown})"
        options = {
            opt: not getattr(param, "is_flag", False)
            for param in command.params
            for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
            if param.param_type_name == "option"
        }
        positionals = [param.name for param in command.params if param.param_type_name == "argument"]
        position, expects_value, after_double_dash = 0, None, False
        for text in texts[1:index]:
            if expects_value is not None:
                expects_value = None
            elif text == "--" and not after_double_dash:
                after_double_dash = True
            elif text.startswith("-") and not after_double_dash and text != "-":
                if "=" not in text and options.get(text, False):
                    expects_value = text
            else:
                position += 1
        if expects_value is not None:
            return f"{expects_value} {shown}"
        if shown.startswith("-") and "=" in shown and not after_double_dash:
            name, _, value = shown.partition("=")
            return f"{name} {value}"
        if position < len(positionals):
            return f"{str(positionals[position]).upper()} {shown}"
        return f"argument {index + 1} ({shown})"


def _as_bytes_text(text: str) -> str:
    """The argument as the user typed it, undecodable bytes shown as \\xff escapes."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


app = typer.Typer(
    cls=OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="lendsim: an agent-based lending market — fully automated vs human-in-the-loop underwriting.",
)
app.command(help="Sweep parameters over a grid or a Latin hypercube; both modes per point.")(sweep)
app.command(help="Global sensitivity (Morris or Sobol, via SALib) of a metric to parameter ranges.")(
    sensitivity
)


def check_finite(*frames: pd.DataFrame) -> None:
    """No NaN or inf may reach a run folder: if one appears, that is a defect, not a result. The
    one exception is a monthly value not known yet (metrics.unknown_until_known: the default rate of
    a cohort younger than the default horizon), which is NaN on purpose — a gap, not a zero."""
    from lendsim.metrics import unknown_until_known

    for frame in frames:
        numeric = frame.drop(columns=sorted(unknown_until_known()), errors="ignore").select_dtypes("number")
        numeric = numeric.to_numpy(dtype=float)
        if not np.isfinite(numeric).all():
            raise RuntimeError(
                "the results hold NaN or infinite numbers — nothing was written; please report this"
            )


def _progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise OptionError(f"--lang {lang} — must be one of: {', '.join(LANGUAGES)}")
    return lang


@app.command()
@handle_errors
def run(
    scenario: ScenarioArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: results/<scenario name>).")
    ] = None,
    seeds: SeedsOpt = None,
    months: Annotated[
        int | None, typer.Option("--months", help="Simulated months (overrides simulation.months).")
    ] = None,
    set_: SetOpt = None,
    no_report: NoReportOpt = False,
    workers: WorkersOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
    quiet: QuietOpt = False,
) -> None:
    """Run a scenario in both modes (automated, HITL), paired by seed, and write its run folder."""
    from lendsim.budget import check_run
    from lendsim.executors import make_executor
    from lendsim.experiment import paired_comparison, run_replications
    from lendsim.progress import ShowingProgress
    from lendsim.report import build_report
    from lendsim.scenario import load_scenario
    from lendsim.store import (
        Interrupted,
        build_manifest,
        check_run_destination,
        describe_interrupted_run,
        new_run_id,
        write_run_folder,
    )

    _check_lang(lang)
    overrides = list(set_ or ())
    overrides += [f"simulation.seeds={seeds}"] if seeds is not None else []
    overrides += [f"simulation.months={months}"] if months is not None else []
    resolved = load_scenario(scenario, overrides)
    out_dir = out if out is not None else Path("results") / Path(scenario).stem
    if workers is not None and workers < 1:
        raise OptionError(f"--workers {workers} — must be a whole number ≥ 1")
    n_workers = min(workers or os.cpu_count() or 1, resolved.simulation.seeds)
    check_run(resolved, n_workers)  # before anything runs: refuse what cannot fit in memory
    check_run_destination(out_dir)  # before anything runs: a folder we may not replace costs nothing
    run_id = new_run_id()  # in the manifest's mark: after Ctrl-C, is the folder at --out this run's?
    started = time.time()
    try:
        executor = ShowingProgress(
            make_executor("serial" if n_workers == 1 else "processes", workers=n_workers),
            "replications",
            enabled=_progress_wanted(quiet),
        )
        try:
            summary, monthly = run_replications(resolved, executor=executor)
        finally:
            executor.close()
        comparison = paired_comparison(summary)
        manifest = build_manifest(resolved, started_at=started, finished_at=time.time(), command=sys.argv)
        check_finite(summary, monthly)
        write_run_folder(
            out_dir,
            resolved,
            summary,
            monthly,
            comparison,
            manifest,
            finish=None if no_report else functools.partial(build_report, lang=lang),
            run_id=run_id,
        )
    except KeyboardInterrupt:
        raise Interrupted(describe_interrupted_run(out_dir, run_id)) from None
    if not quiet:
        typer.echo(
            f"run: {resolved.simulation.seeds} seed(s) × 2 modes in {time.time() - started:.1f} s → {out_dir}"
        )
        warning = few_seeds_warning(resolved.simulation.seeds)
        if warning:
            typer.echo(warning, err=True)


@app.command()
@handle_errors
def report(
    folder: Annotated[Path, typer.Argument(help="A run or sweep folder.")],
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
) -> None:
    """(Re)build the self-contained HTML report of a run or sweep folder."""
    from lendsim.report import build_report

    path = build_report(folder, lang=_check_lang(lang))
    typer.echo(f"report: {path}")


@app.command()
@handle_errors
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file (with its extends chain and --set overrides); print the resolved scenario."""
    from lendsim.scenario import load_scenario, scenario_to_toml

    typer.echo(scenario_to_toml(load_scenario(scenario, list(set_ or ()))), nl=False)


@app.command()
@handle_errors
def calibrate(
    scenario: ScenarioArg,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Replications per evaluation.")] = 3,
    set_: SetOpt = None,
) -> None:
    """Calibrate distress PDs to REFERENCE.md's delinquency bands; print the settings to use."""
    from lendsim.calibration import TARGETS
    from lendsim.calibration import calibrate as run_calibration
    from lendsim.scenario import load_scenario

    overrides, measured = run_calibration(load_scenario(scenario, list(set_ or ())), seeds=seeds)
    typer.echo("# settings (put them in the scenario file):")
    for key, value in overrides.items():
        typer.echo(f"{key} = {value}")
    typer.echo("# measures with these settings (automated mode):")
    for key, value in measured.items():
        target = TARGETS.get(key)
        band = (
            f"  target {target.low:.2%}–{target.high:.2%} {'ok' if target.holds(value) else 'MISSED'}"
            if target
            else ""
        )
        typer.echo(f"#   {key} = {value:.4%}{band}")


@app.command()
@handle_errors
def scenarios(
    folder: Annotated[Path, typer.Option("--dir", help="Folder of scenario files.")] = SCENARIO_DIR,
) -> None:
    """List the bundled scenarios, one line each."""
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise OptionError(f"{folder}: no scenario files (*.toml) here")
    width = max(len(f.stem) for f in files)
    for path in files:
        typer.echo(f"{path.stem:<{width}}  {_first_line(path)}")


def _first_line(path: Path) -> str:
    """The scenario's meta.description, first sentence; the file's first comment if it has none."""
    try:
        text = path.read_text(encoding="utf-8")
        description = tomllib.loads(text).get("meta", {}).get("description", "")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "(unreadable)"
    if description:
        return description.split(". ")[0].strip().rstrip(".")
    comments = [line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")]
    return next((c for c in comments if c), "")


def main() -> None:
    """Console entry point: internal errors exit 1 with one line (traceback with LENDSIM_DEBUG=1)."""
    try:
        app()
    except LendsimError as error:  # raised outside a command, e.g. while importing options
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if os.environ.get("LENDSIM_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(error).__name__}: {error} (set LENDSIM_DEBUG=1 for details)", err=True
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
