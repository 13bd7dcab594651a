"""Collection: repayment out of cash flow, and the book as it stands at month end.

Each open loan asks for its instalment plus arrears; the borrower pays what this month's cash flow
and savings allow (lendsim.loans); whatever is left tops up savings, up to a cap. Loans at 90+ dpd
default and are written off at the scenario's LGD: the loss falls on the whole co-lent book, the
platform bearing its own-funded share of each loan and the partner bank the rest. After collection
the partner banks review their appetite on the losses of their co-lent book, and the book's
month-end position is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.funding import Funding
from lendsim.loans import LoanBook, Settlement
from lendsim.population import BorrowerTable


@dataclass(frozen=True)
class Collection:
    settled: Settlement
    was_open: np.ndarray  # loans open before collection
    defaulted: np.ndarray  # loans that defaulted this month
    credit_losses_rmb: np.ndarray  # per defaulted loan: write-off × LGD (the whole co-lent loan)
    own_credit_losses_rmb: np.ndarray  # per defaulted loan: the platform's own-funded share of it
    book_start_rmb: float  # outstanding before collection
    own_book_start_rmb: float  # own-funded part of it


def collect(book: LoanBook, b: BorrowerTable, funding: Funding, lgd: float, month: int) -> Collection:
    """Collect this month's instalments from the borrowers' cash flow and savings."""
    book_start, own_start = book.outstanding_rmb, funding.own_book_rmb(book)
    was_open = np.flatnonzero(book.is_open)
    settled = book.settle(b.free_cash_rmb + b.savings_rmb, month)
    b.savings_rmb = np.clip(b.savings_rmb + b.free_cash_rmb - settled.paid_rmb, 0.0, b.savings_cap_rmb)
    defaulted = np.flatnonzero(settled.defaulted)
    return Collection(
        settled=settled,
        was_open=was_open,
        defaulted=defaulted,
        credit_losses_rmb=lgd * settled.written_off_rmb[defaulted],
        own_credit_losses_rmb=lgd * book.own_share[defaulted] * settled.written_off_rmb[defaulted],
        book_start_rmb=book_start,
        own_book_start_rmb=own_start,
    )


@dataclass(frozen=True)
class BookPosition:
    """The book at month end, and what the month wrote off."""

    open_borrower: np.ndarray
    balance_rmb: np.ndarray  # per open loan
    own_balance_rmb: np.ndarray  # per open loan: the platform's own share
    late_borrower: np.ndarray  # open loans 30+ dpd
    late_balance_rmb: np.ndarray
    written_borrower: np.ndarray  # loans written off this month
    written_off_rmb: np.ndarray
    partner_balance_rmb: dict[str, float]
    partners_stressed: float  # how many partners cut appetite


def month_end_position(book: LoanBook, funding: Funding, settled: Settlement) -> BookPosition:
    """Partners review their appetite on this month's losses; then the book at month end."""
    funding.update_stress(book, settled.written_off_rmb)
    open_rows = np.flatnonzero(book.is_open)
    late = open_rows[book.days_past_due[open_rows] >= 30]
    written = np.flatnonzero(settled.defaulted)
    balances = funding.partner_balances_rmb(book)
    return BookPosition(
        open_borrower=open_rows,
        balance_rmb=book.balance_rmb[open_rows],
        own_balance_rmb=(book.own_share * book.balance_rmb)[open_rows],
        late_borrower=late,
        late_balance_rmb=book.balance_rmb[late],
        written_borrower=written,
        written_off_rmb=settled.written_off_rmb[written],
        partner_balance_rmb={
            name: float(balance) for name, balance in zip(funding.partner_names, balances, strict=True)
        },
        partners_stressed=float(funding.stressed.sum()),
    )
