"""Intake: this month's requests meet the platform's systems.

A request is a new application or, where a credit line is on show, a drawdown on it. Before anything
is decided the request must get through a system of limited capacity, down in maintenance windows,
that borrowers retry when it fails (lendsim.operations) — so overload at peak turns into lost
requests and into extra requests that the velocity rule counts. With actionable reasons, a borrower
told "score too low" does not ask again until the score is back above the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.economy import Economy
from lendsim.operations import Operations, Processed
from lendsim.population import Applications
from lendsim.reasons import Rejection
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.review import APPLICATION, QueuedApplications


@dataclass(frozen=True)
class Requests:
    """This month's requests (`apps.is_drawdown`: on a line on show) and what the system did."""

    apps: QueuedApplications
    processed: Processed  # aligned with `apps`
    reapplied: np.ndarray  # borrowers applying again after a rejection

    @property
    def borrower(self) -> np.ndarray:
        return self.apps.borrower

    @property
    def has_line(self) -> np.ndarray:
        return self.apps.is_drawdown


def defer_hopeless(asking: Applications, engine: Engine) -> Applications:
    """A borrower told 'score too low' waits until the score is back above the cutoff instead of
    reapplying blindly (only with actionable reasons)."""
    b, rows = engine.borrowers, asking.borrower
    told_score = b.last_rejection[rows] == Rejection.SCORE
    below = b.score[rows] < engine.risk_model.effective_cutoff(rows)
    return asking.subset(~(told_score & below))


def take_requests(
    asking: Applications,
    engine: Engine,
    operations: Operations,
    economy: Economy,
    actionable_reasons: bool,
    probe_requests: int,
) -> Requests:
    """Who asks, for a new line or a drawdown, and which requests get through the system."""
    if actionable_reasons:
        asking = defer_hopeless(asking, engine)
    b, rows, month = engine.borrowers, asking.borrower, engine.month
    lines = engine.rules.drawdown.credit_lines
    has_line = lines & (b.line_limit_rmb[rows] > 0) & (b.line_expires[rows] >= month)
    reapplied = rows[~has_line & (b.last_rejection[rows] > 0)]
    extra = np.where(b.prober[rows], probe_requests, 0)
    processed = operations.process(rows, extra, month, economy.downtime, economy.in_peak)
    apps = QueuedApplications.of(rows, asking.requested_rmb, month, APPLICATION, has_line)
    return Requests(apps, processed, reapplied)
