"""Fabricated run and sweep folders, shaped exactly like CONTRACT.md says, without the model.

The report tests (and benchmarks/report_bench.py) need folders of any size on demand, while the
model is still being written. The numbers are plausible — HITL approves a little more, defaults a
little less, and costs money — but they are only noise around fixed levels.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from lendsim.metrics import CONSTRAINTS, HEADLINE_METRICS, headline_metrics, headline_names

MODES = ("automated", "hitl")
SYNTHETIC_DEFAULT_HORIZON_MONTHS = 3
"""Short, so that even the short fabricated runs have cohorts followed over the whole horizon."""
BASIC_SEGMENTS = ("all", "consumer", "sme")
EXTRA_SEGMENTS = (
    "band:350-600",
    "band:600-700",
    "band:700-950",
    "sector:retail",
    "sector:manufacturing",
    "sector:services",
    "region:east",
    "region:west",
    "region:central",
)
PREFIXED_COLUMNS = (
    "frozen_score_drop",
    "frozen_velocity",
    "frozen_identity_mismatch",
    "frozen_maintenance",
    "rejected_low_score",
    "rejected_sector_restriction",
    "rejected_stale_data",
    "refused_concentration",
    "refused_abnormal_behaviour",
    "failed_overload",
    "failed_downtime",
    "supply_lost_capital",
    "supply_lost_leverage",
    "supply_lost_own_share",
)
SCENARIO_TOML = """\
# Synthetic scenario for report tests — <b>not</b> escaped would be bold
[meta]
name = "Synthetic baseline"
description = "Fabricated data & nothing else"

[simulation]
months = {months}
seeds = {seeds}
seed = 20240601

[underwriting]
cutoff = 600  # score < cutoff is rejected

[underwriting.hitl]
reviewers = 8
"""


def fabricate_run_folder(
    folder: Path,
    *,
    seeds: int = 3,
    months: int = 24,
    segments: tuple[str, ...] = BASIC_SEGMENTS,
    prefixed: bool = True,
    drop: tuple[str, ...] = (),
    rng_seed: int = 7,
    scenario_extra: str = "",
    meta_extra: str = "",
) -> Path:
    """Write summary.csv, comparison.csv, monthly.parquet, scenario.toml and manifest.json.

    `drop` removes monthly columns (the headline metrics are computed before they go);
    `scenario_extra` is appended to scenario.toml (e.g. a [[regulation.schedule]] table) and
    `meta_extra` added to its [meta] table (e.g. title_zh = "…").
    """
    folder.mkdir(parents=True, exist_ok=True)
    monthly = fabricate_monthly(seeds, months, segments, prefixed, np.random.default_rng(rng_seed))
    summary = _summary(monthly)
    monthly.drop(columns=list(drop)).to_parquet(folder / "monthly.parquet", index=False)
    summary.to_csv(folder / "summary.csv", index=False)
    _paired_comparison(summary).to_csv(folder / "comparison.csv", index=False)
    scenario = SCENARIO_TOML.format(months=months, seeds=seeds).replace(
        'description = "Fabricated data & nothing else"\n',
        'description = "Fabricated data & nothing else"\n' + meta_extra,
    )
    (folder / "scenario.toml").write_text(scenario + scenario_extra, encoding="utf-8")
    _write_manifest(folder, list(range(seeds)))
    return folder


def fabricate_monthly(
    seeds: int, months: int, segments: tuple[str, ...], prefixed: bool, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per (mode, seed, month, segment) with every contract column."""
    keys = pd.DataFrame(
        list(itertools.product(MODES, range(seeds), range(1, months + 1), segments)),
        columns=["mode", "seed", "month", "segment"],
    )
    n = len(keys)
    hitl = (keys["mode"] == "hitl").to_numpy()
    month = keys["month"].to_numpy()
    is_sme = keys["segment"].str.startswith(("sme", "sector:")).to_numpy()
    scale = np.where(keys["segment"] == "all", 1.0, np.where(keys["segment"].isin(["consumer"]), 0.8, 0.2))
    shock = ((month >= months // 3) & (month < months // 3 + 6)).astype(int)
    peak = np.isin(month % 12, (6, 11)).astype(int)
    maintenance = (month % 6 == 3).astype(int)

    def noisy(level, spread=0.05):
        return np.clip(level * (1 + spread * rng.standard_normal(n)), 0, None)

    table = keys.copy()
    table["applications"] = np.round(noisy(10_000 * scale * (1 + 0.5 * peak))).astype(int)
    table["system_failure_rate"] = np.clip(noisy(0.01 + 0.04 * peak), 0, 1)
    table["system_failures"] = np.round(table["applications"] * table["system_failure_rate"]).astype(int)
    table["applications_decided"] = table["applications"] - table["system_failures"]
    table["approval_rate"] = np.clip(noisy(np.where(hitl, 0.60, 0.55) - 0.08 * shock), 0, 1)
    table["approved"] = np.round(table["applications_decided"] * table["approval_rate"]).astype(int)
    table["approved_unfunded"] = 0
    table["abandoned_applications"] = np.where(hitl, np.round(noisy(15 * scale)), 0).astype(int)
    table["rejected"] = table["applications_decided"] - table["approved"] - table["abandoned_applications"]
    table["approved_on_appeal"] = 0
    table["requests"] = table["applications"]
    table["loans_originated"] = table["approved"]
    table["volume_originated"] = table["approved"] * noisy(np.where(is_sme, 80_000, 12_000))
    table["requested_rmb"] = table["applications"] * noisy(np.where(is_sme, 90_000, 14_000))
    table["book_rmb"] = table.groupby(["mode", "seed", "segment"])["volume_originated"].cumsum() * 0.3
    table["principal_repaid_rmb"] = noisy(table["book_rmb"] * 0.1)
    table["interest_income_rmb"] = noisy(table["book_rmb"] * 0.012)
    table["cohort_loans"] = table["approved"]
    table["cohort_default_rate"] = np.clip(noisy(np.where(hitl, 0.045, 0.06) + 0.03 * shock, 0.15), 0, 1)
    table["cohort_defaults"] = np.round(table["cohort_loans"] * table["cohort_default_rate"]).astype(int)
    table["defaults"] = table["cohort_defaults"]
    table["write_offs_rmb"] = noisy(table["book_rmb"] * 0.004 * (1 + shock))
    table["credit_losses"] = table["write_offs_rmb"]
    table["dpd30_rate"] = np.clip(noisy(0.05 + 0.03 * shock), 0, 1)
    table["dpd90_rate"] = np.clip(noisy(0.02 + 0.02 * shock), 0, 1)
    table["rejections_tracked"] = table["rejected"]
    table["false_rejection_rate"] = np.clip(noisy(np.where(hitl, 0.18, 0.26), 0.1), 0, 1)
    table["false_rejections"] = np.round(table["rejected"] * table["false_rejection_rate"]).astype(int)
    table["approvals_tracked"] = table["approved"]
    table["approvals_repaid"] = table["approved"] - table["cohort_defaults"]
    table["applicants_would_repay"] = table["false_rejections"] + table["approvals_repaid"]
    # Cohorts younger than the default horizon are not known yet: gaps in the cohort default rate.
    seasoned = month <= months - min(SYNTHETIC_DEFAULT_HORIZON_MONTHS, months - 1)
    table["cohort_seasoned"] = seasoned.astype(float)
    table["seasoned_loans"] = np.where(seasoned, table["cohort_loans"], 0)
    table["seasoned_defaults"] = np.where(seasoned, table["cohort_defaults"], 0)
    table["cohort_default_rate"] = table["cohort_default_rate"].where(seasoned)
    viable = np.where(is_sme | (keys["segment"] == "all"), noisy(40e6 * scale), 0.0)
    table["sme_viable_demand_rmb"] = viable
    table["sme_funding_gap_share"] = np.where(
        viable > 0, np.clip(noisy(np.where(hitl, 0.28, 0.35)), 0, 1), 0.0
    )
    table["sme_funding_gap"] = viable * table["sme_funding_gap_share"]
    table["sme_viable_supplied_rmb"] = viable - table["sme_funding_gap"]
    table["drawdowns_attempted"] = np.round(noisy(3_000 * scale)).astype(int)
    table["drawdown_refusal_rate"] = np.clip(noisy(np.where(hitl, 0.07, 0.09) + 0.05 * peak), 0, 1)
    table["drawdowns_refused"] = np.round(
        table["drawdowns_attempted"] * table["drawdown_refusal_rate"]
    ).astype(int)
    table["frozen_accounts"] = np.round(noisy(120 * scale * (1 + maintenance))).astype(int)
    table["frozen_stock"] = table.groupby(["mode", "seed", "segment"])["frozen_accounts"].cumsum()
    table["failed_attempts"] = table["system_failures"] * 2
    table["reviews_done"] = np.where(hitl, np.round(noisy(800 * scale)), 0).astype(int)
    table["review_queue"] = np.where(hitl, np.round(noisy(150 * scale * (1 + 2 * peak))), 0).astype(int)
    table["review_delay_days"] = np.where(hitl, noisy(1.5 + 2.0 * peak), 0.0)
    table["review_cost"] = table["reviews_done"] * 60.0
    table["platform_credit_losses_rmb"] = table["credit_losses"] * 0.02  # the own-funded share
    table["appeal_refreezes"] = np.where(hitl, np.round(noisy(5 * scale)), 0).astype(int)
    table["appeal_refreezes_prevented"] = np.where(hitl, np.round(noisy(6 * scale)), 0).astype(int)
    table["refused_score"] = np.round(table["drawdowns_refused"] * 0.5).astype(int)
    table["funding_cost_rmb"] = noisy(table["book_rmb"] * 0.0005)
    table["partner_funding_cost_rmb"] = noisy(table["book_rmb"] * 0.002)
    table["operating_cost_rmb"] = noisy(table["book_rmb"] * 0.0008)
    _add_platform_columns(table, rng, hitl, month, shock, peak, maintenance)
    if prefixed:
        _add_prefixed_columns(table, rng, maintenance)
    return table


def _add_platform_columns(table, rng, hitl, month, shock, peak, maintenance) -> None:
    """Platform-level columns: one value per (mode, seed, month), repeated on every segment row."""
    platform = table[["mode", "seed", "month"]].drop_duplicates().reset_index(drop=True)
    p_hitl = (platform["mode"] == "hitl").to_numpy()
    p_month = platform["month"].to_numpy()
    size = len(platform)
    p_shock = ((p_month >= p_month.max() // 3) & (p_month < p_month.max() // 3 + 6)).astype(int)
    platform["macro_factor"] = 1 - 0.1 * p_shock + 0.01 * rng.standard_normal(size)
    platform["capital_rmb"] = 5e8 * (1 + 0.002 * p_month)
    platform["capital_ratio"] = (
        np.where(p_hitl, 0.135, 0.125) - 0.02 * p_shock + 0.004 * rng.standard_normal(size)
    )
    platform["rwa_rmb"] = platform["capital_rmb"] / platform["capital_ratio"]
    platform["required_capital_ratio"] = np.where(p_month > p_month.max() // 2, 0.10, 0.08)
    platform["leverage"] = np.where(p_hitl, 7.2, 7.8) + 1.2 * p_shock + 0.2 * rng.standard_normal(size)
    platform["max_leverage"] = 10.0
    platform["platform_profit"] = 4e6 * (1 - 2 * p_shock) + 5e5 * rng.standard_normal(size) - p_hitl * 4e5
    action = (p_shock == 1) & (rng.random(size) < np.where(p_hitl, 0.2, 0.5))
    platform["regulator_action"] = np.where(action, rng.integers(1, 3, size), 0)
    platform["shock_active"] = p_shock
    platform["peak_month"] = np.isin(p_month % 12, (6, 11)).astype(int)
    platform["maintenance"] = (p_month % 6 == 3).astype(int)
    merged = table[["mode", "seed", "month"]].merge(platform, on=["mode", "seed", "month"], how="left")
    for column in platform.columns.drop(["mode", "seed", "month"]):
        table[column] = merged[column].to_numpy()


def _add_prefixed_columns(table, rng, maintenance) -> None:
    n = len(table)
    for column in PREFIXED_COLUMNS:
        if column == "supply_lost_own_share":
            table[column] = 0.0  # a constraint that never binds: its panel must be left out
        elif column == "frozen_maintenance":
            table[column] = np.round(60 * maintenance * rng.random(n)).astype(int)
        elif column.startswith("supply_lost_"):
            table[column] = np.clip(2e6 * rng.standard_normal(n) + 3e6, 0, None)
        else:
            table[column] = rng.poisson(30, n)


CONSTRAINT_INPUTS = tuple(
    dict.fromkeys(
        column
        for c in CONSTRAINTS
        for column in (*c.bound_when, f"supply_lost_{c.name}", getattr(c, "measured_against", "requests"))
    )
)
"""Columns the constraint metrics read (lendsim.metrics.CONSTRAINTS); one that a fabricated table
lacks never happened in it: 0 in the summary, still absent from monthly.parquet."""


def _summary(monthly: pd.DataFrame) -> pd.DataFrame:
    """Headline metrics per (mode, seed), from the 'all' rows, by the registry's own definitions
    (lendsim.metrics.headline_metrics is a function of the table, not of the model)."""
    complete = monthly.assign(**{c: 0.0 for c in CONSTRAINT_INPUTS if c not in monthly.columns})
    return pd.DataFrame(
        [
            {"mode": mode, "seed": seed, **headline_metrics(group)}
            for (mode, seed), group in complete.groupby(["mode", "seed"], sort=True)
        ]
    )


def _paired_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    automated = summary[summary["mode"] == "automated"].set_index("seed")
    hitl = summary[summary["mode"] == "hitl"].set_index("seed")
    rows = []
    for metric in headline_names():
        rows.append(comparison_row(metric, automated[metric].to_numpy(), hitl[metric].to_numpy()))
    return pd.DataFrame(rows)


def comparison_row(metric: str, automated: np.ndarray, hitl: np.ndarray) -> dict:
    """A comparison.csv row: paired t interval of HITL − automated (CI = difference for one seed)."""
    difference = hitl - automated
    mean = float(difference.mean())
    n = len(difference)
    half = float(stats.t.ppf(0.975, n - 1) * difference.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    return {
        "metric": metric,
        "automated_mean": float(automated.mean()),
        "hitl_mean": float(hitl.mean()),
        "difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "n_seeds": n,
    }


def _write_manifest(folder: Path, seeds: list[int], **extra) -> None:
    manifest = {
        "lendsim_version": "0.1.0",
        "python": "3.11.2",
        "platform": "Linux-x86_64",
        "packages": {"mesa": "3.3.0", "numpy": "2.1.0", "pandas": "2.2.3", "plotly": "6.0.0"},
        "git_commit": None,
        "root_seed": 20240601,
        "seeds": seeds,
        "modes": list(MODES),
        "started_at": "2025-01-01T09:00:00+08:00",
        "finished_at": "2025-01-01T09:01:30+08:00",
        "wall_time_s": 90.0,
        "command": ["lendsim", "run", "scenarios/baseline.toml"],
        "scenario_name": "Synthetic baseline",
        "scenario_purpose": "Fabricated data to exercise the report <without> the model & its numbers.",
        **extra,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def fabricate_sweep_folder(
    folder: Path,
    *,
    grid: dict[str, list] | None = None,
    seeds: int = 3,
    design: str = "grid",
    sensitivity: tuple[str, ...] = ("morris", "sobol"),
    rng_seed: int = 11,
) -> Path:
    """Write sweep.parquet, sweep_summary.csv, manifest.json and (optionally) sensitivity.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    grid = grid or {"underwriting.cutoff": [560, 600, 640], "underwriting.hitl.reviewers": [0, 4, 8]}
    rng = np.random.default_rng(rng_seed)
    points = pd.DataFrame(list(itertools.product(*grid.values())), columns=list(grid))
    points.insert(0, "point", range(len(points)))
    results = _sweep_results(points, list(grid), seeds, rng)
    results.to_parquet(folder / "sweep.parquet", index=False)
    _sweep_summary(results, list(grid)).to_csv(folder / "sweep_summary.csv", index=False)
    if sensitivity:
        _sensitivity(list(grid), sensitivity, rng).to_csv(folder / "sensitivity.csv", index=False)
    _write_manifest(
        folder, list(range(seeds)), parameters=list(grid), design=design, points=len(points), failed=[]
    )
    return folder


def _sweep_results(points: pd.DataFrame, parameters: list[str], seeds: int, rng) -> pd.DataFrame:
    rows = points.merge(pd.DataFrame({"mode": MODES}), how="cross").merge(
        pd.DataFrame({"seed": range(seeds)}), how="cross"
    )
    n = len(rows)
    hitl = (rows["mode"] == "hitl").to_numpy()
    first = rows[parameters[0]].to_numpy(dtype=float)
    lever = rows[parameters[-1]].to_numpy(dtype=float) if len(parameters) > 1 else np.ones(n)
    centred = (first - first.mean()) / (first.std() or 1)
    for metric in HEADLINE_METRICS:
        base = 0.5 if metric.endswith(("_rate", "_share", "_ratio")) else 1e6
        effect = np.where(hitl, 0.05 * lever / (lever.max() or 1), 0.0)
        rows[metric] = base * (1 - 0.1 * centred + effect + 0.02 * rng.standard_normal(n))
    rows["review_cost"] = np.where(hitl, rows["review_cost"] * lever, 0.0)
    rows["frozen_accounts"] = 0.0  # a metric that stays zero: its chart must be left out
    return rows


def _sweep_summary(results: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    frames = []
    for (point, *values), group in results.groupby(["point", *parameters]):
        automated = group[group["mode"] == "automated"].sort_values("seed")
        hitl = group[group["mode"] == "hitl"].sort_values("seed")
        for mode in ("automated", "hitl", "difference"):
            row = {"point": point, **dict(zip(parameters, values, strict=True)), "mode": mode}
            for metric in HEADLINE_METRICS:
                paired = comparison_row(metric, automated[metric].to_numpy(), hitl[metric].to_numpy())
                mean = {
                    "automated": paired["automated_mean"],
                    "hitl": paired["hitl_mean"],
                    "difference": paired["difference"],
                }[mode]
                half = (paired["ci_high"] - paired["ci_low"]) / 2
                row |= {
                    f"{metric}_mean": mean,
                    f"{metric}_ci_low": mean - half,
                    f"{metric}_ci_high": mean + half,
                }
            frames.append(row)
    return pd.DataFrame(frames)


def _sensitivity(parameters: list[str], methods: tuple[str, ...], rng) -> pd.DataFrame:
    """Morris per mode (automated, hitl), Sobol of the paired difference, as the sweep layer writes them."""
    rows = []
    for method in methods:
        modes = ("automated", "hitl") if method == "morris" else ("difference",)
        for metric, mode, parameter in itertools.product(
            ("approval_rate", "default_rate"), modes, parameters
        ):
            row = {
                "method": method,
                "metric": metric,
                "mode": mode,
                "parameter": parameter,
                "seed_noise_sd": 0.004,
            }
            if method == "morris":
                mu_star = abs(rng.normal(0.02, 0.01))
                row |= {"mu_star": mu_star, "mu_star_conf": mu_star * 0.2, "sigma": mu_star * 0.5}
            else:
                first_order = rng.uniform(0.1, 0.6)
                row |= {"S1": first_order, "S1_conf": 0.05, "ST": first_order + 0.1, "ST_conf": 0.06}
            rows.append(row | {"n_seeds": 3})
    return pd.DataFrame(rows)


def fabricate_sensitivity_folder(
    folder: Path,
    *,
    method: str = "morris",
    metric: str = "sme_funding_gap",
    seeds: int = 3,
    rng_seed: int = 13,
) -> Path:
    """A folder shaped like `lendsim sensitivity … --difference` writes it: the sampled points as a
    sweep (sweep.parquet, sweep_summary.csv), sensitivity.csv of `metric`'s HITL − automated
    difference, design.json holding the base scenario, a manifest that says what was analysed — and,
    as the real command, no scenario.toml.

    The first parameter has a clear effect, the second one within the seed noise, the third none.
    """
    grid = {
        "underwriting.cutoff": [560, 600, 640, 680],
        "underwriting.hitl.reviewers": [0, 4, 8],
        "underwriting.hitl.soft_info_noise": [0.5, 1.0],
    }
    fabricate_sweep_folder(folder, grid=grid, seeds=seeds, design=method, sensitivity=(), rng_seed=rng_seed)
    rows = []
    for parameter, size in zip(grid, (2e6, 3e4, 0.0), strict=True):
        row = {"method": method, "metric": metric, "mode": "difference", "parameter": parameter}
        if method == "morris":
            row |= {"mu_star": size, "mu_star_conf": size * 0.2, "sigma": size * 0.4}
        else:
            share = size / 2e6
            row |= {"S1": share * 0.8, "S1_conf": 0.05, "ST": share, "ST_conf": 0.05}
        rows.append(row | {"seed_noise_sd": 5e4 if method == "morris" else 0.03, "n_seeds": seeds})
    pd.DataFrame(rows).to_csv(folder / "sensitivity.csv", index=False)
    scenario = SCENARIO_TOML.format(months=24, seeds=seeds)
    design = {
        "format": 1,
        "design": method,
        "parameters": list(grid),
        "points": [list(point) for point in itertools.product(*grid.values())],
        "seeds": seeds,
        "scenario": scenario,
        "samples": 4,
    }
    (folder / "design.json").write_text(json.dumps(design, indent=2), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["sensitivity"] = {"method": method, "metric": metric, "difference": True}
    manifest["command"] = ["lendsim", "sensitivity", "scenarios/baseline.toml", "--method", method]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
