"""The sweep command end to end: LHS designs, default folder, the report step and its guard."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import tiny_set_args
from typer.testing import CliRunner


def test_lhs_sweep_into_the_default_folder(cli_app, baseline_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [
        "sweep",
        str(baseline_path),
        *tiny_set_args(),
        "--sample",
        "lhs:3",
        "--range",
        "underwriting.cutoff=560:680",
        "--range",
        "underwriting.hitl.soft_info_noise=0.1:0.9",
        "--seeds",
        "2",
        "--executor",
        "serial",
        "--no-report",
    ]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    out = tmp_path / "results" / "baseline-sweep"
    table = pd.read_parquet(out / "sweep.parquet")
    assert list(table.columns[:5]) == [
        "point",
        "underwriting.cutoff",
        "underwriting.hitl.soft_info_noise",
        "mode",
        "seed",
    ]
    assert table["point"].nunique() == 3 and len(table) == 3 * 2 * 2
    assert table["underwriting.cutoff"].between(560, 680).all()
    assert str(table["underwriting.cutoff"].dtype) == "int64"
    assert json.loads((out / "manifest.json").read_text())["design"] == "lhs"


def test_the_report_is_built_and_a_failing_report_only_warns(cli_app, baseline_path, tmp_path, monkeypatch):
    report = pytest.importorskip("lendsim.report")
    args = [
        "sweep",
        str(baseline_path),
        *tiny_set_args(),
        "--grid",
        "underwriting.cutoff=560,640",
        "--seeds",
        "2",
        "--executor",
        "serial",
        "--quiet",
    ]
    built = CliRunner().invoke(cli_app, [*args, "--out", str(tmp_path / "ok")])
    assert built.exit_code == 0, built.output
    assert (tmp_path / "ok" / "report.html").exists()

    def broken(folder, lang="en"):
        raise ValueError("no figures today")

    monkeypatch.setattr(report, "build_report", broken)
    warned = CliRunner().invoke(cli_app, [*args, "--out", str(tmp_path / "warn")])
    assert warned.exit_code == 0
    assert "warning: report.html not built (ValueError: no figures today)" in warned.stderr
    assert (tmp_path / "warn" / "sweep.parquet").exists()
