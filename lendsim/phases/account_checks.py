"""Account checks: the upkeep of accounts at the start of the month and the checks on requests.

At the start of the month data go stale, borrowers update data, time-limited freezes end and
regulator orders freeze accounts (lendsim.accounts). A request then passes the account checks
before anyone decides on it: an account that met the system down is shown closed until the window
ends; too many requests in 30 days (retries and probes count) freeze the account; so do identity
data that no longer match. A request stopped by a freeze is turned down with the freeze's reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.accounts import AccountChange, Accounts
from lendsim.phases.decisions import Decisions, refused_all
from lendsim.phases.intake import Requests
from lendsim.reasons import Failure, Refusal, Rejection
from lendsim.underwriting.review import QueuedApplications


@dataclass(frozen=True)
class AccountChanges:
    """Accounts frozen and lifted by one phase, in the order it happened."""

    changes: tuple[AccountChange, ...]


def upkeep(accounts: Accounts, month: int) -> AccountChanges:
    """Stale data, data updates, expiring freezes and regulator orders, before any request."""
    accounts.start_of_month(month)
    return AccountChanges(accounts.take_changes())


@dataclass(frozen=True)
class AccountChecks:
    """What the checks did to this month's requests (masks aligned with the requests)."""

    decide: np.ndarray  # through the system and the checks: goes on to a decision
    blocked: Decisions  # stopped by a freeze made now, turned down with its reason
    changes: AccountChanges


def check_accounts(accounts: Accounts, requests: Requests, month: int) -> AccountChecks:
    """Maintenance, velocity and identity checks on this month's requests, in that order."""
    rows, processed = requests.borrower, requests.processed
    accounts.maintenance(rows[processed.lost_cause == Failure.DOWNTIME], month)
    through = processed.through
    tripped = np.zeros(rows.size, dtype=bool)
    tripped[through] = accounts.check_velocity(rows[through], processed.requests[through], month)
    stale = np.zeros(rows.size, dtype=bool)
    open_now = through & ~tripped
    stale[open_now] = accounts.check_identity(rows[open_now], month)
    blocked = through & (tripped | stale)
    return AccountChecks(
        decide=through & ~(tripped | stale),
        blocked=blocked_by_freeze(requests.apps.subset(blocked), tripped[blocked]),
        changes=AccountChanges(accounts.take_changes()),
    )


def blocked_by_freeze(apps: QueuedApplications, velocity: np.ndarray) -> Decisions:
    """Requests stopped by a freeze this month: rejected (or refused) with the freeze's reason."""
    app_reason = np.where(velocity, Rejection.VELOCITY, Rejection.IDENTITY)
    draw_reason = np.where(velocity, Refusal.VELOCITY, Refusal.IDENTITY)
    return refused_all(apps, np.where(apps.is_drawdown, draw_reason, app_reason))
