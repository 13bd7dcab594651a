"""Credit decisions as columns: what the deciding phases return, and what borrowers learn.

Account checks, routing, drawdowns and review each return `Decisions` for their share of the month's
requests; `conclude` puts them together in a fixed order (the order is part of the results: money
is summed in it) and tells borrowers the outcome — the last rejection's reason, which actionable
reasons make them wait, and whether they were turned down this month, which sends some to borrow
elsewhere. Where the engine priced a request, `Rationing` keeps the supply the caps cost.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from lendsim.population import BorrowerTable
from lendsim.reasons import Rejection
from lendsim.underwriting.automated import Offer
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.review import QueuedApplications


@dataclass(frozen=True)
class Decisions:
    """Credit decisions of this month: applications, drawdowns and appeals against either."""

    borrower: np.ndarray
    requested_rmb: np.ndarray
    application_month: np.ndarray
    approved: np.ndarray
    amount_rmb: np.ndarray
    apr: np.ndarray
    term_months: np.ndarray
    reason: np.ndarray  # Rejection (applications) or Refusal (drawdowns) code; 0 if approved
    is_drawdown: np.ndarray
    on_appeal: np.ndarray
    reviewed: np.ndarray
    reapplication: np.ndarray  # a fresh application from a borrower rejected before (set by conclude)

    @classmethod
    def concatenate(cls, parts: list[Decisions]) -> Decisions:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def subset(self, mask: np.ndarray) -> Decisions:
        return Decisions(*(getattr(self, f.name)[mask] for f in fields(self)))


def decided(
    apps: QueuedApplications,
    approved: np.ndarray,
    amount: np.ndarray,
    apr: np.ndarray,
    term: np.ndarray,
    reason: np.ndarray,
    on_appeal: bool = False,
    reviewed: bool = False,
) -> Decisions:
    """Decisions on `apps`, aligned with them."""
    n = len(apps)
    return Decisions(
        apps.borrower,
        apps.requested_rmb,
        apps.submitted_month,
        approved,
        amount,
        apr,
        term.astype(np.int16),
        reason.astype(np.int8),
        apps.is_drawdown.copy(),
        np.full(n, on_appeal),
        np.full(n, reviewed),
        np.zeros(n, dtype=bool),
    )


def refused_all(apps: QueuedApplications, reason: np.ndarray) -> Decisions:
    """Every request in `apps` turned down with `reason`, nothing offered."""
    zeros = np.zeros(len(apps))
    return decided(apps, np.zeros(len(apps), dtype=bool), zeros, zeros, zeros, reason)


@dataclass(frozen=True)
class Rationing:
    """Supply lost to the loan-size caps (on what the engine would lend) and to the rate cap (on
    who is rationed rather than priced)."""

    capped_borrower: np.ndarray
    capped_rmb: np.ndarray
    rationed_borrower: np.ndarray
    rationed_rmb: np.ndarray

    @classmethod
    def of(cls, apps: QueuedApplications, offer: Offer, rationed: np.ndarray) -> Rationing:
        lent = offer.approved
        return cls(
            apps.borrower[lent], offer.capped_rmb[lent], apps.borrower[rationed], offer.amount_rmb[rationed]
        )


def automated(apps: QueuedApplications, engine: Engine) -> tuple[Decisions, Rationing]:
    """The engine decides alone: its offer, or its reason to reject."""
    offer = engine.offer(apps.borrower, apps.requested_rmb)
    rationing = Rationing.of(apps, offer, offer.reason == Rejection.RATE_CAP)
    return decided(
        apps, offer.approved, offer.amount_rmb, offer.apr, offer.term_months, offer.reason
    ), rationing


@dataclass(frozen=True)
class MonthDecisions:
    """All of the month's decisions, with those that answer a reapplication after a rejection flagged."""

    decisions: Decisions

    @property
    def reapplication(self) -> np.ndarray:
        """Mask: a fresh application from a borrower rejected before."""
        return self.decisions.reapplication


def conclude(
    parts: list[Decisions], reapplied: np.ndarray, borrowers: BorrowerTable, month: int
) -> MonthDecisions:
    """Put the month's decisions together and let borrowers learn their outcome."""
    d = Decisions.concatenate(parts)
    rows, b = d.borrower, borrowers
    apps = ~d.on_appeal & ~d.is_drawdown
    b.rejected_last_month[:] = False
    b.rejected_last_month[rows[~d.approved]] = True
    b.last_rejection[rows[apps & ~d.approved]] = d.reason[apps & ~d.approved]
    b.last_rejection[rows[d.approved & ~d.is_drawdown]] = 0
    fresh = (d.application_month == month) & ~d.is_drawdown & ~d.on_appeal
    # Carried by each decision so that origination can tell which reapplications got credit.
    return MonthDecisions(replace(d, reapplication=fresh & np.isin(d.borrower, reapplied)))
