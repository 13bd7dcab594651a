"""Credit scores after the month's repayments: history and visible debt elsewhere move them.

A missed instalment costs score points; each clean month gives some back, up to the score the
borrower started with. Debt on other platforms lowers the score too, in proportion to its service
over normal free cash flow — but only where the platform's data can see it.
"""

from __future__ import annotations

import numpy as np

from lendsim.loans import Settlement
from lendsim.population import BorrowerTable
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN, ExternalDebt, Underwriting


def visible_debt_points(b: BorrowerTable, debt: ExternalDebt) -> np.ndarray:
    """Score points lost to debt elsewhere that the platform's data can see (debt-service ratio)."""
    ratio = np.divide(
        b.external_service_rmb, b.normal_free_cash_rmb, out=np.zeros(b.size), where=b.normal_free_cash_rmb > 0
    )
    return debt.score_points_per_debt_ratio * ratio * b.debt_visible


def update_scores(b: BorrowerTable, rules: Underwriting, debt: ExternalDebt, settled: Settlement) -> None:
    """Missed instalments cost score points, clean months slowly give them back; debt elsewhere
    that the platform's data can see lowers the score too."""
    b.clean_months = np.where(settled.missed, 0, b.clean_months + 1)
    recovered = np.minimum(b.history_points + rules.score_recovery_per_clean_month, 0.0)
    b.history_points = np.where(
        settled.missed, b.history_points - rules.score_penalty_per_missed_payment, recovered
    )
    b.score = np.clip(b.initial_score + b.history_points - visible_debt_points(b, debt), SCORE_MIN, SCORE_MAX)
