"""The loan book and repayment out of cash flow.

One slot per borrower (a borrower holds at most one loan on the platform). Each month every open
loan asks for its scheduled instalment plus any arrears; the borrower pays what its cash allows,
interest first. An instalment left unpaid moves the loan one bucket along 30 → 60 → 90 days past
due; paying off all arrears cures it. At 90+ dpd the loan defaults and its balance is written off;
the scenario's LGD decides how much of it is lost. Nothing here knows which underwriting mode runs.

The same book type also serves as the counterfactual ("shadow") book of rejected applicants: the
offer they were refused, repaid out of their own cash flow, tells whether they would have repaid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOLERANCE_RMB = 0.01
DEFAULT_DPD = 90


def instalment(
    principal: np.ndarray, apr: np.ndarray, term_months: np.ndarray, interest_first: bool
) -> np.ndarray:
    """The scheduled monthly payment: annuity (equal instalments) or interest only."""
    r = apr / 12.0
    if interest_first:
        return principal * r
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = principal * r / (1.0 - (1.0 + r) ** (-term_months))
    return np.where(r > 0, annuity, principal / term_months)


@dataclass
class Settlement:
    """What one month of repayment did, per borrower slot (zeros where no loan was open)."""

    paid_rmb: np.ndarray
    interest_paid_rmb: np.ndarray
    principal_paid_rmb: np.ndarray
    missed: np.ndarray  # an open loan did not pay all that was due
    clean: np.ndarray  # an open loan paid all that was due
    defaulted: np.ndarray  # reached 90+ dpd this month
    written_off_rmb: np.ndarray  # balance removed from the book at default
    repaid: np.ndarray  # closed this month fully repaid
    origination_month: np.ndarray  # cohort of each slot's loan (valid where defaulted or repaid)
    from_application: np.ndarray  # each slot's loan answers a first decision on an application


class LoanBook:
    """Columnar loans, one slot per borrower; `settle` is the repayment phase."""

    def __init__(self, n_borrowers: int, interest_first: bool, weight: np.ndarray | None = None) -> None:
        self.interest_first = interest_first
        # Real loans each slot stands for (its borrower's weight): book totals are real-world RMB.
        self.weight = np.ones(n_borrowers) if weight is None else weight
        self.is_open = np.zeros(n_borrowers, dtype=bool)
        self.balance_rmb = np.zeros(n_borrowers)
        self.apr = np.zeros(n_borrowers)
        self.instalment_rmb = np.zeros(n_borrowers)
        self.months_left = np.zeros(n_borrowers, dtype=np.int16)
        self.interest_arrears_rmb = np.zeros(n_borrowers)
        self.principal_arrears_rmb = np.zeros(n_borrowers)
        self.days_past_due = np.zeros(n_borrowers, dtype=np.int16)
        self.origination_month = np.zeros(n_borrowers, dtype=np.int32)
        self.application_month = np.zeros(n_borrowers, dtype=np.int32)
        self.principal_rmb = np.zeros(n_borrowers)
        self.own_share = np.ones(n_borrowers)  # share the platform funds itself
        self.partner = np.full(n_borrowers, -1, dtype=np.int8)  # co-lending partner (−1: none)
        self.risk_weight = np.zeros(n_borrowers)  # regulatory risk weight fixed at origination
        # Opened on the first decision on a new application (not a drawdown, not an appeal): its
        # outcome tells whether an approved applicant repaid (lendsim.metrics, false rejection rate).
        self.from_application = np.zeros(n_borrowers, dtype=bool)
        self.version = 0  # changes whenever balances change (lets readers cache sums)

    def total_rmb(self, per_slot_rmb: np.ndarray, slots: np.ndarray | None = None) -> float:
        """Real-world total of an amount per slot (each slot stands for `weight` real loans): over
        every slot, or over `slots` when `per_slot_rmb` is aligned with them."""
        weight = self.weight if slots is None else self.weight[slots]
        return float((weight * per_slot_rmb).sum())

    @property
    def outstanding_rmb(self) -> float:
        return self.total_rmb(self.balance_rmb)

    def open(
        self,
        rows: np.ndarray,
        principal: np.ndarray,
        apr: np.ndarray,
        term_months: np.ndarray,
        month: int,
        application_month: np.ndarray | int | None = None,
        own_share: float = 1.0,
        partner: np.ndarray | int = -1,
        risk_weight: np.ndarray | float = 0.0,
        from_application: np.ndarray | bool = False,
    ) -> None:
        """Open new loans in free slots (the caller guarantees the slots are free)."""
        self.version += 1
        self.from_application[rows] = from_application
        self.own_share[rows] = own_share
        self.partner[rows] = partner
        self.risk_weight[rows] = risk_weight
        self.is_open[rows] = True
        self.balance_rmb[rows] = principal
        self.principal_rmb[rows] = principal
        self.apr[rows] = apr
        self.months_left[rows] = term_months
        self.instalment_rmb[rows] = instalment(principal, apr, term_months, self.interest_first)
        self.interest_arrears_rmb[rows] = 0.0
        self.principal_arrears_rmb[rows] = 0.0
        self.days_past_due[rows] = 0
        self.origination_month[rows] = month
        self.application_month[rows] = month if application_month is None else application_month

    def settle(self, available_rmb: np.ndarray, month: int) -> Settlement:
        """Collect this month's instalments out of `available_rmb`; age missed ones; default at 90+.

        Loans originated this month pay their first instalment next month.
        """
        self.version += 1
        is_open = self.is_open & (self.origination_month < month)
        r = self.apr / 12.0
        interest_due = np.where(is_open, self.balance_rmb * r + self.interest_arrears_rmb, 0.0)
        scheduled = self._scheduled_principal(r)
        principal_due = np.where(is_open, scheduled + self.principal_arrears_rmb, 0.0)
        due = interest_due + principal_due
        paid = np.minimum(due, np.maximum(available_rmb, 0.0))
        interest_paid = np.minimum(paid, interest_due)
        principal_paid = paid - interest_paid

        self.interest_arrears_rmb = interest_due - interest_paid
        self.principal_arrears_rmb = principal_due - principal_paid
        self.balance_rmb = self.balance_rmb - principal_paid
        self.months_left = np.where(is_open & (self.months_left > 0), self.months_left - 1, self.months_left)
        self.months_left = self.months_left.astype(np.int16)

        arrears = self.interest_arrears_rmb + self.principal_arrears_rmb
        missed = is_open & (arrears > TOLERANCE_RMB)
        clean = is_open & ~missed
        self.days_past_due = np.where(
            missed, self.days_past_due + 30, np.where(is_open, 0, self.days_past_due)
        ).astype(np.int16)
        defaulted = missed & (self.days_past_due >= DEFAULT_DPD)
        written_off = np.where(defaulted, self.balance_rmb, 0.0)
        repaid = clean & (self.balance_rmb <= TOLERANCE_RMB)
        # Dust below the tolerance on a repaid loan counts as principal paid, so the book reconciles.
        principal_paid = principal_paid + np.where(repaid, self.balance_rmb, 0.0)
        closing = defaulted | repaid
        self._close(closing)
        return Settlement(
            paid_rmb=paid,
            interest_paid_rmb=interest_paid,
            principal_paid_rmb=principal_paid,
            missed=missed,
            clean=clean,
            defaulted=defaulted,
            written_off_rmb=written_off,
            repaid=repaid,
            origination_month=self.origination_month.copy(),
            from_application=self.from_application.copy(),
        )

    def _scheduled_principal(self, monthly_rate: np.ndarray) -> np.ndarray:
        """Principal scheduled this month, before arrears: the rest of the balance in the last month."""
        not_yet_due = self.balance_rmb - self.principal_arrears_rmb
        last = self.months_left <= 1
        if self.interest_first:
            regular = np.zeros_like(self.balance_rmb)
        else:
            regular = np.maximum(self.instalment_rmb - self.balance_rmb * monthly_rate, 0.0)
        return np.clip(np.where(last, not_yet_due, regular), 0.0, np.maximum(not_yet_due, 0.0))

    def _close(self, rows: np.ndarray) -> None:
        self.is_open[rows] = False
        self.balance_rmb[rows] = 0.0
        self.interest_arrears_rmb[rows] = 0.0
        self.principal_arrears_rmb[rows] = 0.0
        self.days_past_due[rows] = 0
        self.months_left[rows] = 0
