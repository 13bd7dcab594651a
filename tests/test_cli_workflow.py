"""What a user hits on day one: bundled scenario names, --version, validate --diff, calibrate's
verdict, export to CSV, and the answer in the terminal (only on a terminal)."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import lendsim
from lendsim.scenario.bundled import SCENARIO_DIR, bundled_names, resolve_scenario

TINY_RUN = [
    "--set",
    "population.consumers.count=150",
    "--set",
    "population.smes.count=30",
    "--set",
    "simulation.default_horizon_months=2",
    "--months",
    "4",
    "--seeds",
    "2",
    "--workers",
    "1",
    "--no-report",
]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def invoke(*args: object):
    from lendsim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("workflow") / "base"
    done = invoke("run", "baseline", *TINY_RUN, "--out", out)  # a bundled scenario by name
    assert done.exit_code == 0, (done.stderr, done.exception)
    return out


# --------------------------------------------------------------------------- bundled names


def test_a_bundled_name_reads_the_bundled_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    by_name = invoke("validate", "rate_cap")
    assert by_name.exit_code == 0, by_name.stderr
    assert by_name.stdout == invoke("validate", SCENARIO_DIR / "rate_cap.toml").stdout
    assert invoke("validate", "rate_cap.toml").stdout == by_name.stdout
    assert "rate_cap" in bundled_names() and "baseline" in bundled_names()


def test_a_path_that_exists_wins_over_a_bundled_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    Path("baseline.toml").write_text('[meta]\nname = "my own"\n', encoding="utf-8")
    assert resolve_scenario("baseline.toml") == Path("baseline.toml")
    assert 'name = "my own"' in invoke("validate", "baseline.toml").stdout
    assert resolve_scenario("baseline") == SCENARIO_DIR / "baseline.toml"  # no file named `baseline`


def test_an_unknown_name_lists_the_bundled_ones(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for command in (["validate"], ["run", "--no-report"], ["sweep", "--grid", "underwriting.cutoff=600"]):
        line = one_error_line(invoke(command[0], "baseline_typo", *command[1:]))
        assert "baseline_typo: no such file" in line and "bundled scenarios: baseline," in line
    assert not (tmp_path / "results").exists()


def test_sweep_and_sensitivity_take_names_too():
    from lendsim.cli_experiment import load_base

    assert load_base(Path("recession"), ["simulation.months=36"], 2).meta.name == "recession"


def test_run_by_name_writes_to_results_named_after_it(run_folder):
    assert (run_folder / "summary.csv").is_file()


# --------------------------------------------------------------------------- --version, validate --diff


def test_version_prints_the_package_version():
    done = invoke("--version")
    assert done.exit_code == 0
    assert done.stdout.startswith(f"lendsim {lendsim.__version__}") and len(done.stdout.splitlines()) == 1


def test_validate_diff_shows_only_what_the_file_changes_against_its_parent():
    done = invoke("validate", "rate_cap", "--diff")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("# ") and "baseline.toml" in lines[0]
    changed = tomllib.loads(done.stdout)  # the lines are TOML: key = new  # parent: old
    assert changed["regulation"]["apr_cap"] == pytest.approx(0.154)
    assert "population" not in changed and "simulation" not in changed
    apr = next(line for line in lines if line.startswith("regulation.apr_cap"))
    assert "# " in apr and "baseline.toml: 0.24" in apr
    with_set = invoke("validate", "rate_cap", "--diff", "--set", "underwriting.cutoff=640")
    assert tomllib.loads(with_set.stdout)["underwriting"]["cutoff"] == 640


def test_validate_diff_of_a_file_without_parent_is_against_the_defaults(tmp_path):
    scenario = tmp_path / "mine.toml"
    scenario.write_text("[simulation]\nseeds = 7\n", encoding="utf-8")
    done = invoke("validate", scenario, "--diff")
    assert done.exit_code == 0, done.stderr
    assert "defaults" in done.stdout.splitlines()[0]
    assert tomllib.loads(done.stdout) == {"simulation": {"seeds": 7}}


# --------------------------------------------------------------------------- calibrate


def fake_calibration(measured: dict[str, float]):
    def calibrate(scenario, seeds=3, step=None):
        for _ in range(seeds):
            if step is not None:
                step()
        return {"population.consumers.annual_distress_pd": 0.05}, measured

    return calibrate


HITS = {"consumer_dpd90": 0.011, "consumer_dpd30": 0.015, "sme_dpd90": 0.02, "own_funded_share": 0.02}


def test_calibrate_exits_0_when_every_target_is_met(monkeypatch):
    monkeypatch.setattr("lendsim.calibration.calibrate", fake_calibration(HITS))
    done = invoke("calibrate", "baseline", "--seeds", "1")
    assert done.exit_code == 0, done.stderr
    assert "population.consumers.annual_distress_pd = 0.05" in done.stdout and "MISSED" not in done.stdout


def test_calibrate_exits_1_naming_the_targets_it_missed(monkeypatch):
    missed = {**HITS, "consumer_dpd30": 0.031, "sme_dpd90": 0.002}
    monkeypatch.setattr("lendsim.calibration.calibrate", fake_calibration(missed))
    done = invoke("calibrate", "baseline", "--seeds", "1")
    assert done.exit_code == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: calibration missed 2 of 4 targets")
    assert "consumer_dpd30" in lines[0] and "sme_dpd90" in lines[0] and "consumer_dpd90" not in lines[0]
    assert "# settings" in done.stdout  # the closest settings are still printed


def test_calibration_counts_every_simulation_for_its_progress_bar(monkeypatch):
    from lendsim import calibration

    calls = []
    monkeypatch.setattr(calibration, "simulate", lambda *a: calls.append(a) or _FakeResult())
    monkeypatch.setattr(calibration, "with_overrides", lambda scenario, overrides: scenario)
    steps = []
    calibration.calibrate(object.__new__(_Scenario), seeds=2, step=lambda: steps.append(1))
    assert len(steps) == len(calls) == calibration.simulations(2)


class _Scenario:
    """Stands in for a scenario: the fakes above never look inside it."""


class _FakeResult:
    """A monthly table with the columns the calibration measures read."""

    @property
    def monthly(self) -> pd.DataFrame:
        rows = []
        for segment in ("all", "consumer", "sme"):
            for month in range(1, 16):
                rows.append(
                    {
                        "segment": segment,
                        "month": month,
                        "write_offs_rmb": 1.0,
                        "book_rmb": 100.0,
                        "dpd30_balance_rmb": 2.0,
                        "own_book_rmb": 2.0,
                        "cohort_defaults": 1,
                        "cohort_loans": 50,
                    }
                )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- export


def test_export_writes_the_monthly_table_as_csv_beside_the_run(run_folder):
    done = invoke("export", run_folder)
    assert done.exit_code == 0, done.stderr
    target = run_folder.parent / f"{run_folder.name}-monthly.csv"
    exported = pd.read_csv(target)
    monthly = pd.read_parquet(run_folder / "monthly.parquet")
    assert list(exported.columns) == list(monthly.columns) and len(exported) == len(monthly)
    assert done.stdout.strip().endswith(str(target))
    target.unlink()


def test_export_never_replaces_a_file_without_force(run_folder, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("my spreadsheet\n")
    line = one_error_line(invoke("export", run_folder, "--out", mine))
    assert str(mine) in line and "--force" in line
    assert mine.read_text() == "my spreadsheet\n"
    forced = invoke("export", run_folder, "--out", mine, "--force", "--quiet")
    assert forced.exit_code == 0 and forced.stdout == ""
    assert mine.read_text().startswith("mode,seed,month,segment")


def test_export_refuses_what_is_not_a_run_and_the_runs_own_files(run_folder, tmp_path):
    line = one_error_line(invoke("export", tmp_path))
    assert "not a lendsim run folder" in line
    line = one_error_line(invoke("export", run_folder, "--out", run_folder / "summary.csv", "--force"))
    assert "one of the run's own files" in line
    assert (run_folder / "summary.csv").read_text().startswith("mode,seed")


# --------------------------------------------------------------------------- the answer in the terminal


def test_run_prints_one_line_when_stdout_is_not_a_terminal(run_folder, tmp_path):
    done = invoke("run", "baseline", *TINY_RUN, "--out", tmp_path / "again")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("run: ") and lines[0].endswith(str(tmp_path / "again"))


def test_the_run_table_shows_the_key_metrics_by_priority(run_folder):
    from lendsim import terminal
    from lendsim.metrics import REGISTRY

    comparison = pd.read_csv(run_folder / "comparison.csv")
    summary = pd.read_csv(run_folder / "summary.csv")
    screen = Terminal()
    assert terminal.show(terminal.run_table(comparison, summary), stream=screen)
    text = screen.getvalue()
    first = REGISTRY.by_priority()[0]
    assert terminal.label(first.name) in text and "Review cost" in text and "95 % CI" in text
    assert terminal.key_metrics()[:2] == [m.name for m in REGISTRY.by_priority()[:2]]


def test_the_sweep_table_lists_points_and_one_or_two_metrics():
    from lendsim import terminal

    rows = []
    for point, cutoff in enumerate((560, 640)):
        for mode in ("automated", "hitl", "difference"):
            rows.append(
                {
                    "point": point,
                    "underwriting.cutoff": cutoff,
                    "mode": mode,
                    "approval_rate_mean": 0.5 + point / 10,
                    "approval_rate_ci_low": 0.4,
                    "approval_rate_ci_high": 0.7,
                }
            )
    screen = Terminal()
    terminal.show(terminal.sweep_table(pd.DataFrame(rows)), stream=screen)
    text = screen.getvalue()
    assert "underwriting.cutoff" in text and "560" in text and "640" in text and "Approval rate" in text


def test_names_too_long_for_the_file_system_are_one_line_errors(run_folder, tmp_path):
    long = tmp_path / ("x" * 300)
    for args in (
        ["compare", long, run_folder],
        ["compare", run_folder, run_folder, "--out", long],
        ["export", run_folder, "--out", long],
        ["report", long],
        ["run", "baseline", "--out", long],
    ):
        assert "file name too long" in one_error_line(invoke(*args))
