"""The month's end at the platform: score freezes, appeals, the risk model's re-estimation.

After scores move, accounts whose score fell below the floor are frozen and recovered ones lifted
(lendsim.accounts). In HITL mode with appeals, some of the month's rejected applicants, refused
drawdowns and newly frozen accounts appeal (each with the scenario's appeal rate, on a keyed
uniform); appeals join the reviewers' queue for next month, and their outcome counts in the month of
the decision appealed. Then the risk model re-estimates its default rates if one is due.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.phases.account_checks import AccountChanges
from lendsim.phases.decisions import Decisions
from lendsim.population import BorrowerTable
from lendsim.reasons import Freeze, Refusal, Rejection
from lendsim.scenario.schema import HumanReview
from lendsim.streams import KeyedUniforms
from lendsim.underwriting.review import CREDIT_APPEAL, FREEZE_APPEAL, QueuedApplications, ReviewQueue

APPEAL = 302  # KeyedUniforms purpose
APPEALABLE_REJECTIONS = (Rejection.SCORE, Rejection.REVIEW)
APPEALABLE_REFUSALS = (Refusal.CONCENTRATION, Refusal.ANOMALY, Refusal.SCORE, Refusal.TIGHTENING)
APPEALABLE_FREEZES = (Freeze.SCORE, Freeze.VELOCITY, Freeze.IDENTITY)


@dataclass(frozen=True)
class MonthEnd:
    changes: AccountChanges  # score freezes and their lifting
    appeals_filed: np.ndarray  # borrowers: credit appeals, then freeze appeals
    default_estimate: tuple[float, float]  # the risk model's default rates: consumers, SMEs
    frozen_stock: np.ndarray  # accounts frozen at month end


def file_appeals(
    decisions: Decisions,
    new_freezes: np.ndarray,
    b: BorrowerTable,
    queue: ReviewQueue,
    events: KeyedUniforms,
    cfg: HumanReview,
    month: int,
) -> np.ndarray:
    """Rejected, refused and newly frozen borrowers who appeal; return who filed."""
    d = decisions
    turned_down = ~d.approved & ~d.on_appeal
    credit = turned_down & np.isin(d.reason, APPEALABLE_REJECTIONS) & ~d.is_drawdown
    credit |= turned_down & d.is_drawdown & np.isin(d.reason, APPEALABLE_REFUSALS)
    candidates = d.subset(credit)
    c = candidates.subset(events.uniform(APPEAL, month, candidates.borrower) < cfg.appeal_rate)
    frozen = new_freezes[np.isin(b.frozen_cause[new_freezes], APPEALABLE_FREEZES)]
    frozen = frozen[events.uniform(APPEAL, month, frozen, attempt=1) < cfg.appeal_rate]
    queue.file(QueuedApplications.of(c.borrower, c.requested_rmb, month, CREDIT_APPEAL, c.is_drawdown))
    queue.file(QueuedApplications.of(frozen, np.zeros(frozen.size), month, FREEZE_APPEAL))
    b.awaiting_decision[c.borrower] = True
    return np.concatenate([c.borrower, frozen])
