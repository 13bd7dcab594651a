"""The shadow book: the offers refused, repaid (or not) out of the refused borrowers' own cash flow.

Whether a rejection or a refused drawdown was false is known only by what would have happened: each
rejected applicant and refused drawdown gets a shadow loan — the offer refused — in a counterfactual
book, repaid out of the borrower's cash flow and a savings buffer of its own (the real buffer is
spent on real loans). When a shadow loan is repaid in full the refusal was false; when it defaults
it was right. Outcomes count in the cohort of the month the shadow loan was opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.loans import LoanBook
from lendsim.phases.decisions import Decisions
from lendsim.population import BorrowerTable
from lendsim.underwriting.engine import Engine


@dataclass(frozen=True)
class ShadowSettlement:
    """Shadow loans resolved this month (repaid or defaulted)."""

    borrower: np.ndarray
    cohort_month: np.ndarray  # month the shadow loan was opened
    is_refusal: np.ndarray  # a refused drawdown (else a rejected application)
    repaid: np.ndarray  # repaid in full: the refusal was false


class ShadowBook:
    """One shadow loan slot per borrower, with the shadow savings that repay it."""

    def __init__(self, n_borrowers: int, interest_first: bool) -> None:
        self.book = LoanBook(n_borrowers, interest_first)
        self.is_refusal = np.zeros(n_borrowers, dtype=bool)
        self.savings_rmb = np.zeros(n_borrowers)

    def open(self, refused: Decisions, engine: Engine) -> None:
        """The offer each rejected or refused borrower did not get (one per borrower, while free)."""
        b = engine.borrowers
        free = ~self.book.is_open[refused.borrower]
        d = refused.subset(free)
        d = d.subset(np.unique(d.borrower, return_index=True)[1])
        rows = d.borrower
        offer = engine.offer(rows, d.requested_rmb)
        amount = np.where(
            d.is_drawdown, np.minimum(d.requested_rmb, b.line_limit_rmb[rows]), offer.amount_rmb
        )
        keep = amount >= engine.rules.min_loan_rmb
        rows = rows[keep]
        self.book.open(rows, amount[keep], offer.apr[keep], offer.term_months[keep], engine.month)
        self.is_refusal[rows] = d.is_drawdown[keep]
        self.savings_rmb[rows] = b.savings_rmb[rows]

    def collect(self, b: BorrowerTable, month: int) -> ShadowSettlement:
        """Repayment out of this month's cash flow and the shadow savings."""
        settled = self.book.settle(b.free_cash_rmb + self.savings_rmb, month)
        self.savings_rmb = np.clip(
            self.savings_rmb + b.free_cash_rmb - settled.paid_rmb, 0.0, b.savings_cap_rmb
        )
        resolved = np.flatnonzero(settled.defaulted | settled.repaid)
        return ShadowSettlement(
            borrower=resolved,
            cohort_month=self.book.application_month[resolved],
            is_refusal=self.is_refusal[resolved],
            repaid=settled.repaid[resolved],
        )
