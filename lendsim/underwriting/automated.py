"""The automated engine: score → approve or reject, limit, price and term, with no human.

Fixed rules, as on the platforms the sources describe: approve when the score reaches the cutoff;
the limit is a multiple of income (consumers) or revenue (SMEs) that halves every
`limit_doubling_points` below 750 and doubles as many above, capped by the platform and by the
regulator's loan-size rules; the APR is the base rate plus a premium on the expected loss the
model sees (PD × LGD), and where that price would exceed the interest-rate ceiling the applicant is
rationed (rejected), not priced; the term is the shortest on offer. The score, cutoff and PD passed
in are what the platform sees now (possibly stale data, a cutoff moved by re-estimation;
lendsim.underwriting.model_risk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.population import BorrowerTable
from lendsim.reasons import Rejection
from lendsim.regulation import RulesInForce
from lendsim.scenario.schema import Underwriting

LIMIT_ANCHOR_SCORE = 750.0
MONTHS_PER_YEAR = 12.0


@dataclass(frozen=True)
class Offer:
    """Terms for a set of requests (aligned with the request arrays)."""

    approved: np.ndarray
    reason: np.ndarray  # Rejection code where not approved
    amount_rmb: np.ndarray
    apr: np.ndarray
    term_months: np.ndarray
    capped_rmb: np.ndarray  # supply the regulator's loan-size caps removed
    rationed: np.ndarray  # the risk price would exceed the rate cap


MAX_DOUBLINGS = 64.0
"""2^64 ≈ 1.8e19 times any income multiple lies far above every cap the schema allows (so the cap
binds) and far below float overflow; scores 200 points from the anchor reach it only when a limit
doubles every ≈ 3 points."""
MIN_DOUBLINGS = -MAX_DOUBLINGS


def platform_limit(
    rules: Underwriting, borrowers: BorrowerTable, rows: np.ndarray, score: np.ndarray
) -> np.ndarray:
    """Limit = income (or revenue) multiple × 2^((score − anchor) / doubling points), within the cap.

    The exponent is held within float range: a doubling distance near zero (valid, if odd) sends it
    to ±inf, where the limit is simply the cap or nothing — not an overflow warning.
    """
    is_sme = borrowers.is_sme[rows]
    with np.errstate(over="ignore"):  # ±inf is clipped on the next line
        doublings = (score - LIMIT_ANCHOR_SCORE) / rules.limit_doubling_points
    scale = 2.0 ** np.clip(doublings, MIN_DOUBLINGS, MAX_DOUBLINGS)
    multiple = np.where(is_sme, rules.sme_limit_revenue_multiple, rules.consumer_limit_income_multiple)
    cap = np.where(is_sme, rules.sme_limit_cap_rmb, rules.consumer_limit_cap_rmb)
    return np.minimum(multiple * borrowers.base_cash_rmb[rows] * scale, cap)


def regulatory_cap(law: RulesInForce, borrowers: BorrowerTable, rows: np.ndarray) -> np.ndarray:
    """Loan-size rules: RMB caps per person and business; optionally a share of annual income."""
    is_sme = borrowers.is_sme[rows]
    consumer = np.full(rows.size, law.consumer_loan_cap_rmb)
    if law.consumer_income_share_cap > 0:
        annual_income = MONTHS_PER_YEAR * borrowers.base_cash_rmb[rows]
        consumer = np.minimum(consumer, law.consumer_income_share_cap * annual_income)
    return np.where(is_sme, law.sme_loan_cap_rmb, consumer)


def credit_limit(
    rules: Underwriting, law: RulesInForce, borrowers: BorrowerTable, rows: np.ndarray, score: np.ndarray
) -> np.ndarray:
    return np.minimum(platform_limit(rules, borrowers, rows, score), regulatory_cap(law, borrowers, rows))


def risk_price(rules: Underwriting, expected_pd: np.ndarray, lgd: float) -> np.ndarray:
    return rules.base_apr + rules.risk_premium * expected_pd * lgd


def automated_offer(
    rules: Underwriting,
    law: RulesInForce,
    borrowers: BorrowerTable,
    rows: np.ndarray,
    requested_rmb: np.ndarray,
    score: np.ndarray,
    cutoff: np.ndarray,
    expected_pd: np.ndarray,
    lgd: float,
) -> Offer:
    wanted = np.minimum(requested_rmb, platform_limit(rules, borrowers, rows, score))
    amount = np.minimum(wanted, regulatory_cap(law, borrowers, rows))
    apr = risk_price(rules, expected_pd, lgd)
    passes = score >= cutoff
    priced = apr <= law.apr_cap
    reason = np.where(~passes, Rejection.SCORE, np.where(~priced, Rejection.RATE_CAP, 0))
    return Offer(
        approved=passes & priced,
        reason=reason.astype(np.int8),
        amount_rmb=amount,
        apr=np.minimum(apr, law.apr_cap),
        term_months=np.full(rows.size, rules.automated_term_months, dtype=np.int16),
        capped_rmb=wanted - amount,
        rationed=~priced,
    )
