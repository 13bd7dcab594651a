"""Calibrating a scenario to published delinquency figures — by a procedure, not by eye.

The figures and their sources are listed in docs/calibration.md, which also explains this procedure.

Targets (automated mode, the platform as it is today, averaged over months 13+ and several seeds):
- consumer 90+ dpd ratio 0.7 %–1.5 % (Huabei + Jiebei year-end 2017–2019: 0.68 %–1.05 %),
- consumer 30+ dpd ratio 1.0 %–2.0 % (1.08 %–1.56 %),
- SME 90+ dpd ratio 1 %–3 % (MYbank: default rate ≈ 1 %),
- own-funded share of the book ≈ 2 % (Ant prospectus: ≈ 98 % funded by partners or securitised).

Ratios are measured the way the prospectus reports them: balances past due over the book at
month end. lendsim writes a loan off when it reaches 90 dpd; a lender keeps it in the 90+ bucket
until charge-off at 180 dpd, so the 90+ balance of a month is what reached 90 dpd in the last
three months (the charge-off pipeline), and the 30+ balance includes that pipeline too.

Procedure: bisection (on a log scale) of the consumers' and then the SMEs' yearly distress PD until
the 90+ ratio hits the middle of its band; then the risk model's initial default rates are set to
the realised loan default rates, so the model starts calibrated. Two passes (model frozen, then
re-estimated as configured) make the model's starting point and the delinquency consistent.
`lendsim calibrate` runs it, shows its progress (one step per simulation, `simulations`), prints
the settings to put in the scenario file and the measures they give, and fails (exit 1) naming
the targets the measures miss (`missed_targets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lendsim.scenario import Scenario, with_overrides
from lendsim.simulate import simulate

BURN_IN_MONTHS = 12
CHARGE_OFF_PIPELINE_MONTHS = 3  # 90 → 180 dpd
BISECTION_STEPS = 9


@dataclass(frozen=True)
class Target:
    low: float
    high: float
    source: str

    @property
    def middle(self) -> float:
        return 0.5 * (self.low + self.high)

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


TARGETS: dict[str, Target] = {
    "consumer_dpd90": Target(
        0.007, 0.015, "Ant Group prospectus (Aug 2020): Huabei+Jiebei 90+ dpd 0.68 %–1.05 % (2017–2019)"
    ),
    "consumer_dpd30": Target(
        0.010, 0.020, "Ant Group prospectus (Aug 2020): Huabei+Jiebei 30+ dpd 1.08 %–1.56 % (2017–2019)"
    ),
    "sme_dpd90": Target(
        0.010, 0.030, "MYbank, as reported with the Ant Group prospectus: default rate ≈ 1 %"
    ),
    "own_funded_share": Target(
        0.015, 0.025, "Ant Group prospectus (Aug 2020): ≈ 2 % on the platform's own balance sheet"
    ),
}


def delinquency_ratios(monthly: pd.DataFrame, segment: str) -> tuple[float, float]:
    """Mean month-end 30+ and 90+ dpd balance ratios of one segment (after the burn-in)."""
    t = monthly[monthly["segment"] == segment].sort_values("month")
    pipeline = t["write_offs_rmb"].rolling(CHARGE_OFF_PIPELINE_MONTHS, min_periods=1).sum()
    exposure = t["book_rmb"] + pipeline
    late30 = t["dpd30_balance_rmb"] - t["write_offs_rmb"] + pipeline
    keep = (t["month"] > BURN_IN_MONTHS) & (exposure > 0)
    return float((late30 / exposure)[keep].mean()), float((pipeline / exposure)[keep].mean())


Step = Callable[[], object] | None
"""Called once after each simulation (a progress bar's advance); None: nothing is called."""


def simulations(seeds: int) -> int:
    """How many simulations `calibrate` runs: per pass two bisections and one measure, then one
    measure of the result — each measure `seeds` simulations."""
    per_pass = 2 * BISECTION_STEPS + 1
    return seeds * (2 * per_pass + 1)


def missed_targets(measured: dict[str, float]) -> list[str]:
    """'consumer_dpd30 = 2.31 % (target 1.00 %–2.00 %)' for every target the measures miss."""
    return [
        f"{key} = {measured[key]:.2%} (target {target.low:.2%}–{target.high:.2%})"
        for key, target in TARGETS.items()
        if key in measured and not target.holds(measured[key])
    ]


def measure(scenario: Scenario, seeds: int, step: Step = None) -> dict[str, float]:
    """The calibration measures, averaged over `seeds` replications of the automated platform."""
    rows = []
    for replication in range(seeds):
        t = simulate(scenario, "automated", replication).monthly
        if step is not None:
            step()
        consumer30, consumer90 = delinquency_ratios(t, "consumer")
        _, sme90 = delinquency_ratios(t, "sme")
        everyone = t[t["segment"] == "all"]
        total = t.groupby("segment")[["cohort_defaults", "cohort_loans"]].sum()
        rows.append(
            {
                "consumer_dpd30": consumer30,
                "consumer_dpd90": consumer90,
                "sme_dpd90": sme90,
                "own_funded_share": float(
                    everyone["own_book_rmb"].sum() / max(everyone["book_rmb"].sum(), 1e-9)
                ),
                "consumer_loan_default_rate": float(
                    total.loc["consumer", "cohort_defaults"] / total.loc["consumer", "cohort_loans"]
                ),
                "sme_loan_default_rate": float(
                    total.loc["sme", "cohort_defaults"] / max(total.loc["sme", "cohort_loans"], 1)
                ),
            }
        )
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}


def _bisect(
    scenario: Scenario,
    key: str,
    measure_key: str,
    target: float,
    seeds: int,
    low: float,
    high: float,
    step: Step = None,
) -> float:
    """Log-scale bisection of `key` so that `measure_key` reaches `target` (it rises with `key`)."""
    for _ in range(BISECTION_STEPS):
        middle = float(np.sqrt(low * high))
        value = measure(with_overrides(scenario, {key: middle}), seeds, step)[measure_key]
        low, high = (middle, high) if value < target else (low, middle)
    return float(np.sqrt(low * high))


def _calibration_pass(scenario: Scenario, seeds: int, step: Step = None) -> dict[str, float]:
    overrides: dict[str, float] = {}
    consumer_pd = _bisect(
        scenario,
        "population.consumers.annual_distress_pd",
        "consumer_dpd90",
        TARGETS["consumer_dpd90"].middle,
        seeds,
        0.005,
        0.5,
        step,
    )
    overrides["population.consumers.annual_distress_pd"] = round(consumer_pd, 4)
    scenario = with_overrides(scenario, overrides)
    sme_pd = _bisect(
        scenario,
        "population.smes.annual_distress_pd",
        "sme_dpd90",
        TARGETS["sme_dpd90"].middle,
        seeds,
        0.005,
        0.5,
        step,
    )
    overrides["population.smes.annual_distress_pd"] = round(sme_pd, 4)
    measured = measure(with_overrides(scenario, overrides), seeds, step)
    overrides["underwriting.model.initial_consumer_default_rate"] = round(
        measured["consumer_loan_default_rate"], 4
    )
    overrides["underwriting.model.initial_sme_default_rate"] = round(measured["sme_loan_default_rate"], 4)
    return overrides


def calibrate(
    scenario: Scenario, seeds: int = 3, step: Step = None
) -> tuple[dict[str, float], dict[str, float]]:
    """Settings that put the scenario's delinquency in the middle of the bands, and the measures.

    Two passes: the first with the risk model frozen at its initial calibration, the second with
    re-estimation as the scenario configures it, starting from the first pass's model calibration.
    `step` is called after each of the `simulations(seeds)` simulations.
    """
    frozen = _calibration_pass(
        with_overrides(scenario, {"underwriting.model.reestimation_months": 0}), seeds, step
    )
    keep = {k: v for k, v in frozen.items() if k.startswith("underwriting.model.")}
    overrides = _calibration_pass(with_overrides(scenario, keep), seeds, step)
    return overrides, measure(with_overrides(scenario, overrides), seeds, step)
