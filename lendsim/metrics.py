"""Every metric's name and definition (DOMAIN.md, "Metrics"), as plain functions of recorded state.

The model records raw monthly flows and stocks (counts and RMB) per segment; this module turns
them into the rates of the tidy monthly table and into the headline metrics of one run. Keeping the
definitions here, and only here, is what makes the automated and HITL numbers comparable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lendsim.reasons import (
    FAILURE_COLUMNS,
    FREEZE_COLUMNS,
    REFUSAL_COLUMNS,
    REJECTION_COLUMNS,
    SUPPLY_CONSTRAINTS,
)
from lendsim.recorder import Recorder

HEADLINE_METRICS: tuple[str, ...] = (
    "approval_rate",
    "default_rate",
    "false_rejection_rate",
    "sme_funding_gap",
    "sme_funding_gap_share",
    "drawdown_refusal_rate",
    "system_failure_rate",
    "frozen_accounts",
    "loans_originated",
    "volume_originated",
    "credit_losses",
    "platform_profit",
    "min_capital_ratio",
    "review_cost",
)
"""Contract names (DESIGN.md): rates are fractions in [0, 1], money is RMB."""


RAW_FLOWS: tuple[str, ...] = (
    "requests",
    "applications",
    "applications_decided",
    "approved",
    "rejected",
    "system_failures",
    "failed_attempts",
    "loans_originated",
    "volume_originated",
    "book_rmb",
    "open_loans",
    "principal_repaid_rmb",
    "interest_income_rmb",
    "write_offs_rmb",
    "credit_losses",
    "defaults",
    "missed_payments",
    "payments_due",
    "dpd30_balance_rmb",
    "dpd90_balance_rmb",
    "cohort_loans",
    "cohort_defaults",
    "predicted_defaults",
    "rejections_tracked",
    "false_rejections",
    "refusals_tracked",
    "false_refusals",
    "sme_viable_demand_rmb",
    "sme_viable_supplied_rmb",
    "drawdowns_attempted",
    "drawdowns_refused",
    "frozen_accounts",
    "frozen_stock",
    "unfrozen_expiry",
    "unfrozen_data_update",
    "unfrozen_clean_months",
    "unfrozen_appeal",
    "reapplications",
    "reapplications_approved",
    "approved_on_appeal",
    "refusals_overturned",
    "appeals_filed",
    "appeals_reviewed",
    "appeals_dropped",
    "reviews_done",
    "review_queue",
    "review_delay_days_total",
    "review_cost",
    "review_abandoned",
    "review_overturned_rejections",
    "review_overturned_approvals",
    "own_book_rmb",
    *(f"supply_lost_{constraint}" for constraint in SUPPLY_CONSTRAINTS),
    *REJECTION_COLUMNS,
    *REFUSAL_COLUMNS,
    *FAILURE_COLUMNS,
    *FREEZE_COLUMNS,
)
"""Flows every run records, so every column exists even when a mechanism never fired."""

PLATFORM_VALUES: tuple[str, ...] = (
    "macro_factor",
    "capital_rmb",
    "capital_ratio",
    "required_capital_ratio",
    "leverage",
    "max_leverage",
    "platform_profit",
    "regulator_action",
    "shock_active",
    "peak_month",
    "maintenance",
    "model_default_estimate_consumer",
    "model_default_estimate_sme",
)

KEY_COLUMNS: tuple[str, ...] = ("mode", "seed", "month", "segment")


def ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """numerator / denominator, and 0 where the denominator is 0 (no NaN, no inf in any output)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


RATES: dict[str, tuple[tuple[str, ...], str]] = {
    "approval_rate": (("approved", "approved_on_appeal"), "applications_decided"),
    "system_failure_rate": (("system_failures",), "requests"),
    "cohort_default_rate": (("cohort_defaults",), "cohort_loans"),
    "predicted_default_rate": (("predicted_defaults",), "cohort_loans"),
    "false_rejection_rate": (("false_rejections",), "rejections_tracked"),
    "false_refusal_share": (("false_refusals",), "refusals_tracked"),
    "reapplication_approval_rate": (("reapplications_approved",), "reapplications"),
    "drawdown_refusal_rate": (("drawdowns_refused",), "drawdowns_attempted"),
    "missed_payment_rate": (("missed_payments",), "payments_due"),
    "review_delay_days": (("review_delay_days_total",), "reviews_done"),
}
"""Each ratio of the monthly table as (numerator flows, denominator flow). A month whose
denominator is 0 has nothing to measure: the table says 0 (no NaN in any output), and readers that
average over months or seeds — the report — leave such months out (`denominator_of`)."""


def denominator_of(rate: str) -> str | None:
    return RATES[rate][1] if rate in RATES else ("cohort_loans" if rate == "realised_default_rate" else None)


def add_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Rates of the monthly table, from its raw columns (DOMAIN.md definitions)."""
    t = table
    for rate, (numerators, denominator) in RATES.items():
        t[rate] = ratio(sum(t[n] for n in numerators), t[denominator])
    t["realised_default_rate"] = t["cohort_default_rate"]
    t["sme_funding_gap"] = np.maximum(t["sme_viable_demand_rmb"] - t["sme_viable_supplied_rmb"], 0.0)
    t["sme_funding_gap_share"] = ratio(t["sme_funding_gap"], t["sme_viable_demand_rmb"])
    exposure = t["book_rmb"] + t["write_offs_rmb"]
    t["dpd30_rate"] = ratio(t["dpd30_balance_rmb"], exposure)
    t["dpd90_rate"] = ratio(t["dpd90_balance_rmb"], exposure)
    return t


def monthly_table(recorder: Recorder, mode: str, seed: int) -> pd.DataFrame:
    """The tidy monthly table of one run: one row per (month, segment), raw flows then rates."""
    recorder.ensure(*RAW_FLOWS)
    months = np.arange(1, recorder.months + 1)
    names = sorted(recorder.flows)
    by_segment = {name: recorder.flows[name][1:] for name in names}  # (months, segments)
    frames = []
    labels = ("all", *recorder.segment_names)
    for position, label in enumerate(labels):
        columns = {
            name: (values[:, :2].sum(axis=1) if position == 0 else values[:, position - 1])
            for name, values in by_segment.items()
        }
        frame = pd.DataFrame({"month": months, "segment": label, **columns})
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    for name in sorted(set(PLATFORM_VALUES) | set(recorder.platform)):
        table[name] = np.tile(recorder.platform[name][1:], len(labels))
    table.insert(0, "seed", seed)
    table.insert(0, "mode", mode)
    table = add_rates(table)
    return table.sort_values(["month", "segment"], kind="stable").reset_index(drop=True)


def headline_metrics(monthly: pd.DataFrame) -> dict[str, float]:
    """The contract's headline metrics of one run, from the 'all' rows of its monthly table."""
    t = monthly[monthly["segment"] == "all"]
    total = t.sum(numeric_only=True)
    gap = max(float(total["sme_viable_demand_rmb"] - total["sme_viable_supplied_rmb"]), 0.0)
    return {
        "approval_rate": float(
            ratio(total["approved"] + total["approved_on_appeal"], total["applications_decided"])
        ),
        "default_rate": float(ratio(total["cohort_defaults"], total["cohort_loans"])),
        "false_rejection_rate": float(ratio(total["false_rejections"], total["rejections_tracked"])),
        "sme_funding_gap": gap,
        "sme_funding_gap_share": float(ratio(gap, total["sme_viable_demand_rmb"])),
        "drawdown_refusal_rate": float(ratio(total["drawdowns_refused"], total["drawdowns_attempted"])),
        "system_failure_rate": float(ratio(total["system_failures"], total["requests"])),
        "frozen_accounts": float(total["frozen_accounts"]),
        "loans_originated": float(total["loans_originated"]),
        "volume_originated": float(total["volume_originated"]),
        "credit_losses": float(total["credit_losses"]),
        "platform_profit": float(total["platform_profit"]),
        "min_capital_ratio": float(t["capital_ratio"].min()),
        "review_cost": float(total["review_cost"]),
    }
