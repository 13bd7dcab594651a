"""The `lendsim` command line: parse arguments, delegate, turn errors into messages and exit codes.

Commands (DESIGN.md, "Command line"): run, sweep, sensitivity, report, validate, scenarios,
compare, calibrate, export. A SCENARIO is a path or the name of a bundled scenario (`baseline`).
Exit status: 0 success; 2 bad input (one line on stderr naming the file, the key and what is
allowed); 1 an unexpected internal error (set LENDSIM_DEBUG=1 to see its traceback), or a
calibration that missed its targets. On a terminal, run, sweep and compare print a compact table
of the key metrics before the folder (lendsim.terminal); with --quiet or when stdout is not a
terminal, only their one summary line.
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
from lendsim.cli_robustness import robustness
from lendsim.errors import LendsimError, OptionError
from lendsim.scenario.bundled import SCENARIO_DIR, load_named_scenario
from lendsim.statistics import few_seeds_warning

LANGUAGES = ("en", "zh")
EXIT_CALIBRATION_MISSED = 1


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
app.command(help="How robust each finding is across the uncertainties a scenario declares.")(robustness)


def version_line() -> str:
    """'lendsim 0.1.0 (git commit 1a2b3c4d5e6f)' — the commit when the source is a git checkout."""
    import lendsim
    from lendsim.store import git_commit

    commit = git_commit()
    return f"lendsim {lendsim.__version__}" + (f" (git commit {commit[:12]})" if commit else "")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show lendsim's version and git commit."
        ),
    ] = False,
) -> None:
    """lendsim: an agent-based lending market — fully automated vs human-in-the-loop underwriting."""


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


def _show_run_table(comparison: pd.DataFrame, summary: pd.DataFrame, scenario: Any) -> None:
    """On a terminal: the key metrics of the run, before its summary line (lendsim.terminal)."""
    from lendsim import terminal

    if terminal.wanted():
        name = getattr(getattr(scenario, "meta", None), "name", "") or "run"
        seeds, months = scenario.simulation.seeds, scenario.simulation.months
        title = f"{name}: HITL vs automated, {seeds} seed{'s' if seeds != 1 else ''} × {months} months"
        terminal.show(terminal.run_table(comparison, summary, title=title))


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
    from lendsim.compare import check_usable_path
    from lendsim.executors import make_executor
    from lendsim.experiment import paired_comparison, run_replications
    from lendsim.progress import ShowingProgress
    from lendsim.report import build_report
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
    resolved = load_named_scenario(scenario, overrides)
    out_dir = out if out is not None else Path("results") / Path(scenario).stem
    check_usable_path(out_dir, "--out")  # a name too long for the file system: one line, not a traceback
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
        _show_run_table(comparison, summary, resolved)
        typer.echo(
            f"run: {resolved.simulation.seeds} seed(s) × 2 modes in {time.time() - started:.1f} s → {out_dir}"
        )
        warning = few_seeds_warning(resolved.simulation.seeds)
        if warning:
            typer.echo(warning, err=True)


@app.command()
@handle_errors
def report(
    folder: Annotated[Path, typer.Argument(help="A run, sweep or comparison folder.")],
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
) -> None:
    """(Re)build the self-contained HTML report of a run, sweep or comparison folder."""
    from lendsim.compare import check_usable_path, folder_is_complete, is_compare_folder
    from lendsim.report import build_report
    from lendsim.report.compare import build_compare_report

    _check_lang(lang)
    check_usable_path(folder, "FOLDER")
    if Path(folder).is_dir() and is_compare_folder(folder):
        if not folder_is_complete(folder):
            raise OptionError(
                f"{folder}: the comparison in this folder was not finished (interrupted?) — "
                "run lendsim compare again"
            )
        path = build_compare_report(folder, lang=lang)
    else:
        path = build_report(folder, lang=lang)
    typer.echo(f"report: {path}")


@app.command()
@handle_errors
def validate(
    scenario: ScenarioArg,
    set_: SetOpt = None,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print only the settings the file (and --set) changes against its parent — the file "
            "it extends, or the defaults — as KEY = NEW  # parent: OLD.",
        ),
    ] = False,
) -> None:
    """Check a scenario file (with its extends chain and --set overrides); print the resolved scenario."""
    from lendsim.scenario import scenario_to_toml
    from lendsim.scenario.bundled import resolve_scenario
    from lendsim.scenario.scale import real_world_lines

    overrides = list(set_ or ())
    resolved = load_named_scenario(scenario, overrides)
    if not diff:
        # What the scenario means in the real world, as TOML comments (the output stays valid TOML).
        for line in real_world_lines(resolved):
            typer.echo(f"# {line}")
        typer.echo(scenario_to_toml(resolved), nl=False)
        return
    for line in _changes_against_parent(resolve_scenario(scenario), resolved):
        typer.echo(line)


def _changes_against_parent(path: Path, resolved: Any) -> list[str]:
    """`validate --diff`: a header comment, then `key = new  # parent: old` per setting that differs
    from the parent (the file `extends` names, fully resolved; else the schema's defaults) — lines
    that are themselves valid TOML."""
    from lendsim.compare import setting_differences, toml_value
    from lendsim.errors import ScenarioError
    from lendsim.scenario import load_scenario
    from lendsim.scenario.loader import EXTENDS

    extends = tomllib.loads(path.read_text(encoding="utf-8-sig")).get(EXTENDS)
    if isinstance(extends, str):
        parent_label = os.path.normpath(os.path.join(os.path.dirname(os.fspath(path)), extends))
        try:
            parent = load_scenario(parent_label)
        except ScenarioError as error:
            raise ScenarioError(f"--diff compares with the parent as it stands alone, and {error}") from None
        against = f"its parent {parent_label}"
    else:
        parent, parent_label = type(resolved)(), "defaults"
        against = "the defaults (it extends no file)"
    changes = setting_differences(parent.model_dump(mode="json"), resolved.model_dump(mode="json"))
    count = len(changes)
    lines = [f"# {path} changes {count} setting{'s' if count != 1 else ''} of {against}"]
    for key, old, new in changes:
        was = f"{parent_label}: {toml_value(old)}"
        lines.append(f"{key} = {toml_value(new)}  # {was}" if new is not None else f"# {key} unset  # {was}")
    return lines


@app.command()
@handle_errors
def calibrate(
    scenario: ScenarioArg,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Replications per evaluation.")] = 3,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Calibrate distress PDs to the delinquency bands; print the settings to use (exit 1 if a
    target is missed)."""
    from lendsim.calibration import TARGETS, missed_targets, simulations
    from lendsim.calibration import calibrate as run_calibration
    from lendsim.progress import Progress

    resolved = load_named_scenario(scenario, list(set_ or ()))
    with Progress(simulations(seeds), "calibration", enabled=_progress_wanted(quiet)) as bar:
        overrides, measured = run_calibration(resolved, seeds=seeds, step=bar.advance)
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
    missed = missed_targets(measured)
    if missed:
        typer.echo(
            f"error: calibration missed {len(missed)} of {len(TARGETS)} targets: {'; '.join(missed)} — "
            "the settings above are the closest the procedure reached",
            err=True,
        )
        raise typer.Exit(EXIT_CALIBRATION_MISSED)


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


@app.command()
@handle_errors
def compare(
    run_a: Annotated[
        Path, typer.Argument(help="Run folder A: the policy to compare against (e.g. a baseline).")
    ],
    run_b: Annotated[Path, typer.Argument(help="Run folder B: the policy whose effect B − A is measured.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Comparison folder (default: results/compare_<A>_vs_<B>)."),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or zh.")] = "en",
    no_report: NoReportOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Policy effect B − A per mode (automated, HITL), paired by seed, and its difference between
    the modes; writes a comparison folder (compare.csv, manifest, report)."""
    from lendsim import compare as comparing
    from lendsim.report.compare import build_compare_report

    _check_lang(lang)
    started = time.time()
    a = comparing.read_run_folder(run_a, "RUN_A")
    b = comparing.read_run_folder(run_b, "RUN_B")
    comparing.check_pairing(a, b)  # before anything is written: runs that do not pair are refused
    out_dir = out if out is not None else comparing.default_out(a, b)
    comparing.check_compare_destination(out_dir, (a, b))
    table = comparing.compare_runs(a, b)
    manifest = comparing.compare_manifest(a, b, started_at=started, finished_at=time.time(), command=sys.argv)
    comparing.write_compare_folder(
        out_dir,
        table,
        manifest,
        finish=None if no_report else functools.partial(build_compare_report, lang=lang),
        runs=(a, b),
    )
    if quiet:
        return
    from lendsim import terminal

    def value(setting: Any) -> str:
        return comparing.shortened(comparing.toml_value(setting), 30)

    shown = [
        f"{key}: {value(old)} → {value(new)}"
        for key, old, new in comparing.setting_differences(a.scenario, b.scenario)
        if not key.startswith("meta.")
    ]
    terminal.show(
        f"B ({b.path}) differs from A ({a.path}) in: " + ("; ".join(shown[:6]) or "no setting")
        + (f"; … {len(shown) - 6} more" if len(shown) > 6 else ""),
        terminal.compare_table(table, a.name, b.name),
    )
    seeds = len(a.seeds)
    typer.echo(
        f"compare: {b.name} − {a.name}, {seeds} seed(s) paired, both modes, in "
        f"{time.time() - started:.1f} s → {out_dir}"
    )
    for note in (few_seeds_warning(seeds), comparing.version_note(a, b)):
        if note:
            typer.echo(note, err=True)


@app.command()
@handle_errors
def export(
    folder: Annotated[Path, typer.Argument(help="A run folder.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="CSV file to write (default: <run folder>-monthly.csv beside the run folder)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace --out if it exists (without it, an existing file is refused)."),
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a run's monthly table as CSV, for spreadsheets: one row per mode, seed, month and segment."""
    from lendsim.compare import check_run_folder, check_usable_path
    from lendsim.contract import EXPORT_SUFFIX, MONTHLY_FILE, RUN
    from lendsim.errors import RunFolderError
    from lendsim.store import check_out_path, write_csv_atomic

    folder = Path(folder)
    check_run_folder(folder)
    source = folder / MONTHLY_FILE
    if not source.is_file():
        raise RunFolderError(f"{folder}: {MONTHLY_FILE} is missing — it holds the monthly table to export")
    run_path = Path(os.path.realpath(folder))
    target = out if out is not None else run_path.parent / f"{run_path.name}{EXPORT_SUFFIX}"
    check_usable_path(target, "--out")
    if Path(os.path.realpath(target)).parent == run_path and target.name in RUN.files:
        raise OptionError(f"--out {target}: is one of the run's own files — give another file name")
    if target.is_dir():
        raise OptionError(f"--out {target}: is a folder — give a file name, e.g. {target / 'monthly.csv'}")
    if (target.exists() or target.is_symlink()) and not force:
        raise OptionError(
            f"--out {target}: exists — lendsim export does not replace a file it cannot tell it wrote; "
            "give --force to replace it, or another --out"
        )
    check_out_path(target.parent)
    try:
        monthly = pd.read_parquet(source)
    except Exception as error:  # noqa: BLE001 - any failure to read: the file is not a monthly table
        raise RunFolderError(f"{source}: cannot be read as Parquet — {type(error).__name__}") from error
    write_csv_atomic(target, monthly)
    if not quiet:
        typer.echo(f"export: {len(monthly)} rows × {monthly.shape[1]} columns → {target}")


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
