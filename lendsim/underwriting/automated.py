"""The automated engine: score → approve or reject, limit, price and term, with no human.

Fixed rules, as on the platforms the sources describe: approve when the score reaches the cutoff;
the limit is a multiple of income (consumers) or revenue (SMEs) that halves every
`limit_doubling_points` below 750 and doubles as many above, capped; the APR falls linearly from
`max_apr` at the cutoff to `base_apr` at the top score; the term is the shortest on offer. The score
and cutoff passed in are what the platform sees now (possibly stale data, possibly a cutoff moved
by re-estimation; lendsim.underwriting.model_risk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.agents.borrowers import BorrowerTable
from lendsim.scenario.schema import SCORE_MAX, Underwriting

LIMIT_ANCHOR_SCORE = 750.0


@dataclass(frozen=True)
class Offer:
    """Terms for a set of requests (aligned with the request arrays)."""

    approved: np.ndarray
    amount_rmb: np.ndarray
    apr: np.ndarray
    term_months: np.ndarray


def credit_limit(
    rules: Underwriting, borrowers: BorrowerTable, rows: np.ndarray, score: np.ndarray
) -> np.ndarray:
    is_sme = borrowers.is_sme[rows]
    scale = 2.0 ** ((score - LIMIT_ANCHOR_SCORE) / rules.limit_doubling_points)
    multiple = np.where(is_sme, rules.sme_limit_revenue_multiple, rules.consumer_limit_income_multiple)
    cap = np.where(is_sme, rules.sme_limit_cap_rmb, rules.consumer_limit_cap_rmb)
    return np.minimum(multiple * borrowers.base_cash_rmb[rows] * scale, cap)


def risk_price(rules: Underwriting, score: np.ndarray) -> np.ndarray:
    span = max(SCORE_MAX - rules.cutoff, 1e-9)
    position = np.clip((SCORE_MAX - score) / span, 0.0, 1.0)
    return rules.base_apr + (rules.max_apr - rules.base_apr) * position


def automated_offer(
    rules: Underwriting,
    borrowers: BorrowerTable,
    rows: np.ndarray,
    requested_rmb: np.ndarray,
    score: np.ndarray,
    cutoff: np.ndarray,
) -> Offer:
    return Offer(
        approved=score >= cutoff,
        amount_rmb=np.minimum(requested_rmb, credit_limit(rules, borrowers, rows, score)),
        apr=risk_price(rules, score),
        term_months=np.full(rows.size, rules.automated_term_months, dtype=np.int16),
    )
