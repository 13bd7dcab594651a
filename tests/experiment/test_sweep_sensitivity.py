"""Sensitivity indices per seed (Morris, Sobol via SALib), with the seed noise of each index reported."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_set_args
from SALib.analyze import morris
from typer.testing import CliRunner

from lendsim.sweep import parse_range, salib_seed, sensitivity_plan

RANGES = ["--range", "underwriting.cutoff=560:680", "--range", "underwriting.hitl.soft_info_noise=0.1:1.0"]


def run(cli_app, baseline_path, out, *extra):
    args = [
        "sensitivity",
        str(baseline_path),
        *tiny_set_args(),
        *RANGES,
        "--seeds",
        "2",
        "--executor",
        "serial",
        "--no-report",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]
    return CliRunner().invoke(cli_app, args)


def test_morris_indices_are_the_mean_over_seeds_with_their_sd(
    cli_app, baseline_path, tiny_scenario, tmp_path
):
    out = tmp_path / "morris"
    result = run(
        cli_app, baseline_path, out, "--method", "morris", "--metric", "approval_rate", "--samples", "2"
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns) == [
        "method",
        "metric",
        "mode",
        "parameter",
        "mu_star",
        "mu_star_conf",
        "sigma",
        "seed_noise_sd",
        "n_seeds",
    ]
    assert list(table["mode"]) == ["automated", "automated", "hitl", "hitl"]
    assert (out / "sweep.parquet").exists() and (out / "sweep_summary.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["design"] == "morris"

    # recompute independently: one SALib analysis per seed on the saved sweep
    ranges = [parse_range(spec) for spec in RANGES[1::2]]
    plan = sensitivity_plan(ranges, "morris", 2, tiny_scenario.simulation.seed)
    sweep = pd.read_parquet(out / "sweep.parquet")
    mu_star = []
    for seed in (0, 1):
        rows = sweep[(sweep["mode"] == "automated") & (sweep["seed"] == seed)].sort_values("point")
        y = rows["approval_rate"].to_numpy()
        mu_star.append(
            morris.analyze(
                plan.problem,
                plan.sample,
                y,
                num_levels=4,
                seed=salib_seed(tiny_scenario.simulation.seed, 100 + seed),
            )["mu_star"]
        )
    automated = table[table["mode"] == "automated"]
    np.testing.assert_allclose(automated["mu_star"], np.mean(mu_star, axis=0))
    np.testing.assert_allclose(automated["seed_noise_sd"], np.std(mu_star, axis=0, ddof=1))
    cutoff = automated.set_index("parameter").loc["underwriting.cutoff"]
    assert cutoff["mu_star"] > 0  # the cutoff moves approval


def test_sobol_on_the_difference_and_a_resume_for_another_metric_reuses_the_runs(
    cli_app, baseline_path, tmp_path
):
    out = tmp_path / "sobol"
    first = run(
        cli_app,
        baseline_path,
        out,
        "--method",
        "sobol",
        "--metric",
        "approval_rate",
        "--difference",
        "--samples",
        "4",
    )
    assert first.exit_code == 0, first.output
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns[4:]) == ["S1", "S1_conf", "ST", "ST_conf", "seed_noise_sd", "n_seeds"]
    assert set(table["mode"]) == {"difference"} and len(table) == 2
    assert np.isfinite(table[["S1", "ST", "seed_noise_sd"]].to_numpy()).all()

    again = CliRunner().invoke(
        cli_app,
        [
            "sensitivity",
            str(baseline_path),
            *tiny_set_args(),
            *RANGES,
            "--seeds",
            "2",
            "--executor",
            "serial",
            "--no-report",
            "--out",
            str(out),
            "--method",
            "sobol",
            "--metric",
            "default_rate",
            "--samples",
            "4",
            "--resume",
        ],
    )
    assert again.exit_code == 0, again.output
    assert "(0 run, 32 already done)" in again.output
    assert set(pd.read_csv(out / "sensitivity.csv")["metric"]) == {"default_rate"}


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--metric", "aproval_rate"], "did you mean 'approval_rate'"),
        (["--metric", "approval_rate", "--method", "fast"], "--method fast"),
        (["--metric", "approval_rate", "--seeds", "1"], "≥ 2 seeds"),
        (["--metric", "approval_rate", "--method", "sobol", "--samples", "5"], "power of 2"),
        ([], "--metric is required"),
    ],
)
def test_bad_sensitivity_options_exit_2(cli_app, baseline_path, tmp_path, extra, needle):
    result = CliRunner().invoke(
        cli_app, ["sensitivity", str(baseline_path), *RANGES, "--out", str(tmp_path / "x"), *extra]
    )
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and result.stderr.startswith("error: ")
