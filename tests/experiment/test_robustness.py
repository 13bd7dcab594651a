"""`lendsim robustness`: findings tested against the scenario's declared uncertainties.

A robustness analysis is a sweep over a Latin hypercube of the [uncertainties] plus the central run,
so it keeps a sweep's promises (the same bytes whatever the workers, resumable after Ctrl-C,
common random numbers) and adds its analysis: the share of sampled worlds where each finding keeps
its sign — which must be the plain count from robustness.parquet — PRIM boxes and feature scores.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lendsim.cli import app
from lendsim.contract import (
    BOXES_FILE,
    FEATURES_FILE,
    MANIFEST_FILE,
    ROBUSTNESS_FILE,
    ROBUSTNESS_SUMMARY_FILE,
    SWEEP_FILE,
    SWEEP_SUMMARY_FILE,
)

SAMPLES = 3
SEEDS = 2
ONLY_HITL = ("underwriting.hitl.soft_info_noise", "underwriting.hitl.reviews_per_reviewer_month")
"""Two settings that only human review reads: sampling them must leave automated results alone."""
TINY_SETS = (
    "population.consumers.count=300",
    "population.smes.count=60",
    "simulation.default_horizon_months=2",
)
RESULT_FILES = (
    ROBUSTNESS_FILE,
    ROBUSTNESS_SUMMARY_FILE,
    BOXES_FILE,
    FEATURES_FILE,
    SWEEP_FILE,
    SWEEP_SUMMARY_FILE,
)


def robustness_args(scenario: Path, out: Path, *extra: str) -> list[str]:
    sets = [arg for item in TINY_SETS for arg in ("--set", item)]
    only = [arg for key in ONLY_HITL for arg in ("--only", key)]
    return [
        "robustness",
        str(scenario),
        "--samples",
        str(SAMPLES),
        "--seeds",
        str(SEEDS),
        "--months",
        "4",
        *sets,
        *only,
        "--out",
        str(out),
        "--quiet",
        "--no-report",
        *extra,
    ]


def invoke(args: list[str]):
    return CliRunner().invoke(app, args)


def result_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in RESULT_FILES}


@pytest.fixture(scope="module")
def serial_run(baseline_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("robustness") / "serial"
    result = invoke(robustness_args(baseline_path, out, "--executor", "serial"))
    assert result.exit_code == 0, result.output
    return out


def per_sample_mean_differences(rows: pd.DataFrame, metric: str) -> pd.Series:
    wide = rows.pivot_table(index=["sample", "seed"], columns="mode", values=metric, aggfunc="first")
    return (wide["hitl"] - wide["automated"]).groupby(level="sample").mean()


# --------------------------------------------------------------------------- the folder


def test_the_folder_holds_the_analysis_and_one_row_per_sample_seed_and_mode(serial_run: Path):
    rows = pd.read_parquet(serial_run / ROBUSTNESS_FILE)
    assert len(rows) == (SAMPLES + 1) * SEEDS * 2
    assert list(rows.columns[:4]) == ["sample", "central", *ONLY_HITL]
    assert rows.loc[rows["central"], "sample"].unique().tolist() == [0]
    sampled = rows[~rows["central"]]
    assert sampled["underwriting.hitl.soft_info_noise"].between(1.0, 2.0).all()  # the baseline's range
    assert sampled["underwriting.hitl.reviews_per_reviewer_month"].between(200, 600).all()
    assert str(rows["underwriting.hitl.reviews_per_reviewer_month"].dtype) == "int64"
    manifest = json.loads((serial_run / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["design"] == "robustness" and manifest["robustness"]["samples"] == SAMPLES
    boxes = json.loads((serial_run / BOXES_FILE).read_text(encoding="utf-8"))
    assert set(boxes["uncertainties"]) == set(ONLY_HITL)


def test_the_share_is_a_fraction_and_the_count_of_samples_in_robustness_parquet(serial_run: Path):
    rows = pd.read_parquet(serial_run / ROBUSTNESS_FILE)
    summary = pd.read_csv(serial_run / ROBUSTNESS_SUMMARY_FILE).set_index("metric")
    for metric, row in summary.iterrows():
        means = per_sample_mean_differences(rows, str(metric))
        central_sign = int(np.sign(means.loc[0]))
        holds = int((np.sign(means.drop(index=0)) == central_sign).sum())
        assert row["central_sign"] == central_sign, metric
        assert row["n_samples"] == SAMPLES and row["n_holds"] == holds, metric
        assert row["share_holds"] == holds / SAMPLES, metric
        assert 0 <= row["share_ci_low"] <= row["share_holds"] <= row["share_ci_high"] <= 1, metric


def test_automated_results_do_not_move_when_only_hitl_settings_are_sampled(serial_run: Path):
    rows = pd.read_parquet(serial_run / ROBUSTNESS_FILE)
    metrics = list(pd.read_csv(serial_run / ROBUSTNESS_SUMMARY_FILE)["metric"])
    automated = rows[rows["mode"] == "automated"].groupby("seed")[metrics].nunique()
    assert (automated == 1).all().all()  # common random numbers: one value per seed, every sample
    hitl = rows[rows["mode"] == "hitl"].groupby("seed")[metrics].nunique()
    assert (hitl > 1).any().any()  # the samples do change what reviewers do


def test_the_same_seed_gives_the_same_folder_whatever_the_worker_count(
    serial_run: Path, baseline_path, tmp_path
):
    out = tmp_path / "two-workers"
    result = invoke(robustness_args(baseline_path, out, "--workers", "2"))
    assert result.exit_code == 0, result.output
    assert result_bytes(out) == result_bytes(serial_run)


def test_an_interrupted_analysis_resumes_to_the_same_result(serial_run: Path, baseline_path, tmp_path):
    from lendsim.cli_experiment import load_base
    from lendsim.executors import SerialExecutor
    from lendsim.robustness import robustness_plan, run_robustness
    from lendsim.simulate import simulate
    from lendsim.sweep import SweepInterrupted

    calls = []

    def interrupted_after_three_tasks(scenario, mode, replication):
        calls.append(mode)
        if len(calls) > 6:  # two simulations a task
            raise KeyboardInterrupt
        return simulate(scenario, mode, replication)

    total = (SAMPLES + 1) * SEEDS

    base = load_base(baseline_path, [*TINY_SETS, "simulation.months=4"], SEEDS)
    plan = robustness_plan(base, SAMPLES, ONLY_HITL)
    out = tmp_path / "interrupted"
    with pytest.raises(SweepInterrupted, match=f"3 of {total} tasks"):
        run_robustness(
            base, plan, out=out, executor=SerialExecutor(), simulator=interrupted_after_three_tasks
        )
    assert len(list((out / "tasks").glob("p*.parquet"))) == 3
    assert not (out / MANIFEST_FILE).exists() and not (out / ROBUSTNESS_SUMMARY_FILE).exists()

    refused = invoke(robustness_args(baseline_path, out, "--executor", "serial"))
    assert refused.exit_code == 2 and "--resume" in refused.stderr and refused.stderr.count("\n") == 1

    resumed = invoke(robustness_args(baseline_path, out, "--executor", "serial", "--resume"))
    assert resumed.exit_code == 0, resumed.output
    assert result_bytes(out) == result_bytes(serial_run)


def test_the_report_says_how_robust_each_finding_is(serial_run: Path, tmp_path):
    from lendsim.report.robustness import build_robustness_report

    folder = tmp_path / "copy"
    shutil.copytree(serial_run, folder)
    html = build_robustness_report(folder).read_text(encoding="utf-8")
    assert "How robust is each finding?" in html and "每项结论有多稳健？" in html
    assert 'id="figure-robustness-share"' in html
    assert "reviews per reviewer-month" in html  # the declared uncertainties, by their labels


def test_a_run_report_points_to_the_robustness_analysis_of_its_scenario(
    serial_run: Path, baseline_path, tmp_path
):
    """A run beside a robustness folder of the same scenario quotes it in its report (limitations);
    a run of another scenario does not."""
    shutil.copytree(serial_run, tmp_path / "baseline-robustness")
    sets = [arg for item in TINY_SETS for arg in ("--set", item)]
    for name in ("baseline", "other"):
        run = ["run", str(baseline_path), "--out", str(tmp_path / name), "--months", "4", "--seeds", "2"]
        result = invoke([*run, *sets, "--set", f'meta.name="{name}"', "--quiet"])
        assert result.exit_code == 0, result.output
    quoted = (tmp_path / "baseline" / "report.html").read_text(encoding="utf-8")
    assert "A robustness analysis of this scenario is in ../baseline-robustness/report.html" in quoted
    assert "本情景的稳健性分析见 ../baseline-robustness/report.html" in quoted
    other = (tmp_path / "other" / "report.html").read_text(encoding="utf-8")
    assert "A robustness analysis of this scenario" not in other


# --------------------------------------------------------------------------- bad input


BAD_UNCERTAINTIES = [
    (
        '"underwriting.hitl.soft_info_nose"',
        "low = 0.1\nhigh = 1.0",
        "did you mean 'underwriting.hitl.soft_info_noise'",
    ),
    ('"underwriting.hitl.soft_info_noise"', "low = 2.0\nhigh = 1.0", "low = 2 must be below high = 1"),
    ('"risk.lgd"', "low = 0.5\nhigh = 1.5", "risk.lgd must be a number from 0 to 1"),
    ('"underwriting.hitl.reviewers"', "low = 1\nhigh = 8", 'use distribution = "integer"'),
]


@pytest.mark.parametrize(("key", "body", "needle"), BAD_UNCERTAINTIES)
def test_bad_uncertainties_exit_2_with_one_line_naming_file_and_key(
    baseline_path, tmp_path, key, body, needle
):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(
        f'extends = "{baseline_path.as_posix()}"\n\n[uncertainties.{key}]\n{body}\nsource = "test"\n',
        encoding="utf-8",
    )
    result = invoke(robustness_args(scenario, tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {scenario}: uncertainties.{key}")
    assert needle in result.stderr
    assert not (tmp_path / "out").exists()


def test_without_the_ema_workbench_robustness_exits_2_naming_the_extra(baseline_path, tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ema_workbench" else find_spec(name, *a)
    )
    result = invoke(robustness_args(baseline_path, tmp_path / "out"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "lendsim[ema]" in result.stderr and not (tmp_path / "out").exists()


def test_a_range_that_clashes_with_the_scenario_is_refused_before_anything_runs(baseline_path, tmp_path):
    # Valid scenario, valid range — but no own-funded share below 1 works without partner banks.
    clash = ["--set", "platform.own_funding_share=1", "--set", "platform.partners=[]"]
    args = [*robustness_args(baseline_path, tmp_path / "out"), *clash, "--only", "platform.own_funding_share"]
    result = invoke(args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert (
        result.stderr.startswith("error: [uncertainties]: ")
        and "needs at least one partner bank" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_only_names_a_declared_uncertainty(baseline_path, tmp_path):
    result = invoke([*robustness_args(baseline_path, tmp_path / "out"), "--only", "underwriting.cutoff"])
    assert result.exit_code == 2 and "not one of the scenario's uncertainties" in result.stderr


# --------------------------------------------------------------------------- the pieces


def test_the_plan_samples_each_range_and_sets_every_entry_a_wildcard_names(tiny_scenario):
    from lendsim.robustness import robustness_plan

    plan = robustness_plan(tiny_scenario, 30)
    assert plan.values.equals(robustness_plan(tiny_scenario, 30).values)  # seeded from the root seed
    for u in plan.space:
        sampled = plan.values.loc[~plan.values["central"], u.key]
        assert sampled.between(u.spec.low, u.spec.high).all(), u.key
        assert sampled.nunique() == (min(30, int(u.spec.high - u.spec.low) + 1) if u.integer else 30), u.key
    appetite = [i for i, name in enumerate(plan.design.parameters) if name.startswith("platform.partners[")]
    assert len(appetite) == len(tiny_scenario.platform.partners) >= 2
    for point in plan.design.points:
        assert len({point[i] for i in appetite}) == 1  # one draw for all partners
    central = dict(zip(plan.design.parameters, plan.design.points[0], strict=True))
    assert central["risk.lgd"] == tiny_scenario.risk.lgd  # point 0: the scenario's own values


def test_prim_says_where_a_finding_flips():
    from lendsim.robustness import discover_flips

    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.uniform(0, 1, size=(300, 3)), columns=["noise", "appetite", "other"])
    flips = ((x["noise"] > 0.7) & (x["appetite"] < 0.4)).to_numpy()
    boxes = discover_flips(x, flips, {"noise": "soft-information noise", "appetite": "appetite"})
    first = boxes[0]
    limits = {r.uncertainty: r for r in first.restrictions}
    assert set(limits) == {"noise", "appetite"}
    assert limits["noise"].low == pytest.approx(0.7, abs=0.05) and limits["noise"].high is None
    assert limits["appetite"].high == pytest.approx(0.4, abs=0.05) and limits["appetite"].low is None
    assert first.density > 0.8 and first.coverage > 0.8
    assert first.words() == (
        f"soft-information noise ≥ {limits['noise'].low:.2g} and appetite ≤ {limits['appetite'].high:.2g}"
    )


def test_feature_scores_rank_first_what_drives_the_difference():
    from lendsim.robustness import feature_scores

    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(0, 1, size=(80, 3)), columns=["a", "b", "c"])
    y = 3 * x["b"].to_numpy() + 0.1 * rng.standard_normal(80)
    scores = feature_scores(x, y, seed=1)
    assert int(np.argmax(scores)) == 1 and scores.sum() == pytest.approx(1.0)
    assert feature_scores(x, np.zeros(80), seed=1).tolist() == [0.0, 0.0, 0.0]  # nothing moves
