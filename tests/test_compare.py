"""`lendsim compare A B`: the policy effect B − A per mode, paired by seed, and the difference in
differences — on two tiny runs of the baseline that differ only in the score cutoff."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from lendsim import compare as comparing
from lendsim.contract import COMPARE_COLUMNS, FOLDER_MARK

TINY = [
    "--set",
    "population.consumers.count=150",
    "--set",
    "population.smes.count=30",
    "--set",
    "simulation.default_horizon_months=2",
    "--months",
    "4",
    "--workers",
    "1",
    "--quiet",
    "--no-report",
]
"""A run of a few hundredths of a second per simulation; months must exceed the default horizon."""
LOOSE, STRICT = 560, 680


def invoke(*args: object):
    from lendsim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def tiny_run(out: Path, cutoff: int, *extra: str) -> Path:
    done = invoke(
        "run",
        "baseline",
        *TINY,
        "--seeds",
        "3",
        "--set",
        f"underwriting.cutoff={cutoff}",
        *extra,
        "--out",
        out,
    )
    assert done.exit_code == 0, (done.stderr, done.exception)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    here = tmp_path_factory.mktemp("compare")
    return tiny_run(here / "loose", LOOSE), tiny_run(here / "strict", STRICT)


@pytest.fixture(scope="module")
def compared(runs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compared") / "cmp"
    done = invoke("compare", *runs, "--out", out)
    assert done.exit_code == 0, (done.stderr, done.exception)
    return out


def table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "compare.csv")


def per_seed(run: Path, metric: str) -> pd.DataFrame:
    return pd.read_csv(run / "summary.csv").pivot(index="seed", columns="mode", values=metric)


def test_a_stricter_cutoff_lowers_approval_in_every_seed_and_both_modes(runs, compared):
    loose, strict = (per_seed(run, "approval_rate") for run in runs)
    assert (strict < loose).all().all()  # common random numbers: seed by seed, both modes
    effects = table(compared).set_index(["metric", "mode"])
    for mode in ("automated", "hitl"):
        row = effects.loc[("approval_rate", mode)]
        assert row["b_mean"] < row["a_mean"] and row["difference"] < 0
        assert row["difference"] == pytest.approx((strict[mode] - loose[mode]).mean())
        assert row["ci_low"] <= row["difference"] <= row["ci_high"] <= 0 or row["ci_high"] > 0
        assert row["n_seeds"] == 3


def test_the_difference_in_differences_is_the_difference_of_the_mode_effects(compared):
    effects = table(compared).set_index(["metric", "mode"])
    for metric in effects.index.get_level_values("metric").unique():
        automated, hitl, did = (effects.loc[(metric, mode)] for mode in ("automated", "hitl", "difference"))
        assert did["difference"] == pytest.approx(
            hitl["difference"] - automated["difference"], rel=1e-9, abs=1e-9
        )
        assert did["a_mean"] == pytest.approx(hitl["a_mean"] - automated["a_mean"], rel=1e-9, abs=1e-9)
        assert did["b_mean"] == pytest.approx(hitl["b_mean"] - automated["b_mean"], rel=1e-9, abs=1e-9)


def test_the_comparison_folder_holds_the_table_a_marked_manifest_and_the_report(runs, compared):
    assert sorted(p.name for p in compared.iterdir()) == ["compare.csv", "manifest.json", "report.html"]
    effects = table(compared)
    assert tuple(effects.columns) == COMPARE_COLUMNS
    assert list(effects["mode"][:3]) == ["automated", "hitl", "difference"]
    assert (effects["ci_low"] <= effects["difference"] + 1e-12).all()
    assert (effects["difference"] <= effects["ci_high"] + 1e-12).all()
    manifest = json.loads((compared / "manifest.json").read_text())
    assert manifest[FOLDER_MARK]["kind"] == "compare" and manifest[FOLDER_MARK]["complete"] is True
    assert manifest["seeds"] == [0, 1, 2] and manifest["run_a"]["name"] == runs[0].name
    assert {"key": "underwriting.cutoff", "a": float(LOOSE), "b": float(STRICT)} in manifest["differences"]
    html = (compared / "report.html").read_text(encoding="utf-8")
    assert "Policy comparison" in html and "政策对比" in html and "underwriting.cutoff" in html
    rebuilt = invoke("report", compared, "--lang", "zh")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert '<html lang="zh"' in (compared / "report.html").read_text(encoding="utf-8")


def test_a_non_terminal_gets_one_summary_line(runs, tmp_path):
    done = invoke("compare", *runs, "--out", tmp_path / "cmp", "--no-report")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("compare: ") and lines[0].endswith(str(tmp_path / "cmp"))
    assert not (tmp_path / "cmp" / "report.html").exists()


def test_runs_whose_seeds_differ_are_refused_before_anything_is_written(runs, tmp_path):
    fewer = invoke(
        "run",
        "baseline",
        *TINY,
        "--seeds",
        "2",
        "--set",
        f"underwriting.cutoff={STRICT}",
        "--out",
        tmp_path / "two",
    )
    assert fewer.exit_code == 0, fewer.stderr
    refused = invoke("compare", runs[0], tmp_path / "two", "--out", tmp_path / "cmp")
    line = one_error_line(refused)
    assert "do not pair" in line and "seeds differ (A: 0–2, B: 0–1)" in line
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("simulation.seed", 7, "root seed differs"),
        ("population.consumers.count", 151, "population.consumers.count differs (A: 150, B: 151)"),
        ("population.smes.count", 31, "population.smes.count differs"),
        ("simulation.months", 5, "simulation.months differs (A: 4, B: 5)"),
    ],
)
def test_what_does_not_pair_is_named(runs, key, value, problem):
    a = comparing.read_run_folder(runs[0])
    scenario = json.loads(json.dumps(a.scenario))
    section, *rest = key.split(".")
    node = scenario[section]
    for part in rest[:-1]:
        node = node[part]
    node[rest[-1]] = value
    manifest = {**a.manifest, "root_seed": value} if key == "simulation.seed" else a.manifest
    b = dataclasses.replace(a, scenario=scenario, manifest=manifest)
    assert any(problem in p for p in comparing.pairing_problems(a, b)), comparing.pairing_problems(a, b)
    with pytest.raises(comparing.RunFolderError, match="do not pair"):
        comparing.check_pairing(a, b)


def test_folders_that_are_not_runs_are_refused(runs, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine")
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep_summary.csv").write_text("point,mode\n")
    for folder, needle in (
        (tmp_path / "absent", "no such folder"),
        (notes, "not a lendsim run folder"),
        (sweep, "is a sweep folder"),
    ):
        line = one_error_line(invoke("compare", folder, runs[1], "--out", tmp_path / "cmp"))
        assert str(folder) in line and needle in line
    assert not (tmp_path / "cmp").exists()


def test_out_is_never_a_users_folder_nor_inside_a_run(runs, compared, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    line = one_error_line(invoke("compare", *runs, "--out", mine))
    assert "notes.txt" in line and "not a lendsim comparison folder" in line
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    line = one_error_line(invoke("compare", *runs, "--out", runs[0] / "cmp"))
    assert "inside the run folder" in line and not (runs[0] / "cmp").exists()
    line = one_error_line(invoke("compare", *runs, "--out", runs[1]))
    assert "is the run folder" in line
    again = invoke("compare", *runs, "--out", compared, "--no-report")  # its own folder: replaced
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in compared.iterdir()) == ["compare.csv", "manifest.json"]


def test_the_terminal_table_shows_each_modes_effect_and_the_difference_in_differences(compared):
    from lendsim import terminal

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    assert terminal.show(terminal.compare_table(table(compared), "loose", "strict"), stream=screen)
    text = screen.getvalue()
    assert "strict − loose" in text and "Approval rate" in text and "difference in differences" in text
    assert not terminal.show("anything", stream=io.StringIO())  # not a terminal: quiet
    assert not terminal.show("anything", quiet=True, stream=screen)
    wide = Console(file=io.StringIO(), width=160)
    wide.print(terminal.compare_table(table(compared)))
    assert "−" in wide.file.getvalue()


def test_report_refuses_a_damaged_or_unfinished_comparison(compared, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("compare.csv", "manifest.json"):
        (copy / name).write_bytes((compared / name).read_bytes())
    damaged = table(copy).astype({"a_mean": object})
    damaged.loc[0, "a_mean"] = "lots"
    damaged.to_csv(copy / "compare.csv", index=False)
    assert "column a_mean holds text" in one_error_line(invoke("report", copy))
    table(compared).to_csv(copy / "compare.csv", index=False)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest[FOLDER_MARK]["complete"] = False
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert "not finished" in one_error_line(invoke("report", copy))
    assert not (copy / "report.html").exists()
