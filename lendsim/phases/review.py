"""The reviewers' month: people in the loop decide what the queue brings them (HITL only).

The queue holds applications routed to review and appeals filed last month (lendsim.phases.month_end).
The team reviews as many as its capacity allows, first come first served; the rest wait (and may
give up: an application abandoned is decided, and not approved) or fall back to the engine. A
reviewed application or credit appeal is decided on the reviewer's noisy look at hidden quality
(noisier when the month's reviews per reviewer pass a comfortable load, and shifted by the team's
biases: lendsim.underwriting.review), within the same risk appetite as the engine, never where
policy closes the sector or the rate cap rations it; the term may be set to fit cash flow. A
reviewed freeze appeal lifts a freeze that is a false alarm or a score freeze on a sound borrower.
The review stream is drawn in a fixed order: freeze appeals, then applications, then credit
appeals. The month costs each review done and the pay of every reviewer employed, busy or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.accounts import Accounts
from lendsim.phases.account_checks import AccountChanges
from lendsim.phases.decisions import Decisions, Rationing, automated, decided, refused_all
from lendsim.reasons import Freeze, Rejection
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.review import (
    APPLICATION,
    CREDIT_APPEAL,
    DAYS_PER_MONTH,
    FREEZE_APPEAL,
    QueuedApplications,
    ReviewQueue,
    cash_flow_term,
    fatigue,
    reviewer_approves,
)

VERIFIABLE_FREEZES = (Freeze.VELOCITY, Freeze.IDENTITY)  # a person can see they are false alarms


@dataclass(frozen=True)
class Reviewed:
    """Reviewers' decisions on applications or credit appeals, against what the engine would do."""

    decisions: Decisions
    rationing: Rationing
    overturned_rejections: np.ndarray  # the engine would reject, the reviewer approves
    overturned_approvals: np.ndarray  # the engine would approve, the reviewer declines


@dataclass(frozen=True)
class ReviewMonth:
    reviewed: QueuedApplications  # everything the team looked at
    delay_days: np.ndarray  # per reviewed item: days from submission to decision
    cost_by_kind_rmb: np.ndarray  # consumers' and SMEs' reviews done (not the staff's pay)
    cost_per_review_rmb: float
    staff_cost_rmb: float  # the month's pay of the reviewers employed, busy or not
    tiredness: float  # how many times their usual error reviewers made this month (fatigue)
    abandoned: np.ndarray  # gave up waiting
    abandoned_applications: np.ndarray  # of those, new applications: decided, and not approved
    abandoned_requested_rmb: np.ndarray  # what those applications asked for (supply reviewers cost)
    abandoned_decisions: Decisions  # those applications, decided and not approved (no reason code)
    dropped_appeals: np.ndarray  # appeals beyond capacity with fallback overflow
    waiting: np.ndarray  # still in the queue
    first: Reviewed  # applications
    appeals: Reviewed  # appeals against a rejection or refusal
    fallback: Decisions  # applications beyond capacity decided by the engine
    fallback_rationing: Rationing
    changes: AccountChanges  # freezes lifted on appeal

    @property
    def cost_rmb(self) -> float:
        """What the month's review cost: the reviews done, consumers' and SMEs' added in that
        order, then the staff's pay."""
        return float(self.cost_by_kind_rmb.sum()) + self.staff_cost_rmb

    @property
    def parts(self) -> list[Decisions]:
        return [self.first.decisions, self.appeals.decisions, self.fallback]


def decide_reviewed(
    apps: QueuedApplications,
    engine: Engine,
    rng: np.random.Generator,
    on_appeal: bool = False,
    tiredness: float = 1.0,
    bias: np.ndarray | None = None,
) -> Reviewed:
    cfg, b, rows = engine.rules.hitl, engine.borrowers, apps.borrower
    offer = engine.offer(rows, apps.requested_rmb)
    policy = engine.restricted(rows)
    rationed = offer.rationed
    judged_sound = reviewer_approves(engine, rows, rng, tiredness, bias)
    approved = judged_sound & ~policy & ~rationed
    rate_capped = judged_sound & ~policy & rationed
    amount = np.where(
        apps.is_drawdown, np.minimum(apps.requested_rmb, b.line_limit_rmb[rows]), offer.amount_rmb
    )
    term = offer.term_months
    if cfg.match_term_to_cash_flow:
        term = cash_flow_term(
            amount,
            offer.apr,
            b.normal_free_cash_rmb[rows],
            engine.rules.automated_term_months,
            engine.rules.max_term_months,
            cfg.affordability_share,
            engine.rules.repayment == "interest_first",
        )
    reason = np.select(
        [approved, policy, rationed], [0, Rejection.POLICY, Rejection.RATE_CAP], Rejection.REVIEW
    )
    return Reviewed(
        decided(apps, approved, amount, offer.apr, term, reason, on_appeal, reviewed=True),
        # The caps cost supply only where the reviewer lends (loan caps) or would have lent (the
        # rate cap): one it declines anyway was not rationed by the cap, as the engine counts only
        # applicants that pass its cutoff.
        Rationing(
            rows[approved],
            offer.capped_rmb[approved],
            rows[rate_capped],
            offer.amount_rmb[rate_capped],
        ),
        rows[approved & ~offer.approved],
        rows[~approved & offer.approved],
    )


def review_freezes(
    appeals: QueuedApplications,
    engine: Engine,
    rng: np.random.Generator,
    accounts: Accounts,
    tiredness: float = 1.0,
    bias: np.ndarray | None = None,
) -> None:
    """A reviewer lifts a freeze that is a false alarm, or a score freeze on a sound borrower."""
    b, rows = engine.borrowers, appeals.borrower
    cause = b.frozen_cause[rows]
    verifiable = np.isin(cause, VERIFIABLE_FREEZES)
    sound = np.zeros(rows.size, dtype=bool)
    score_frozen = cause == Freeze.SCORE
    sound[score_frozen] = reviewer_approves(engine, rows[score_frozen], rng, tiredness, bias)
    lifted = rows[(cause > 0) & (verifiable | sound)]
    b.identity_stale[lifted] = False
    accounts.lift(lifted, engine.month, "appeal")


def review(queue: ReviewQueue, engine: Engine, rng: np.random.Generator, accounts: Accounts) -> ReviewMonth:
    """The team works through the queue: freeze appeals, then applications, then credit appeals."""
    cfg, b, month = engine.rules.hitl, engine.borrowers, engine.month
    outcome = queue.process(QueuedApplications.empty(), month)
    overflow = outcome.fallback
    reviewed = outcome.reviewed
    delay = cfg.delay_days + DAYS_PER_MONTH * (month - reviewed.submitted_month)
    real_reviews = b.weight[reviewed.borrower]  # real reviews each item stands for
    cost = cfg.cost_per_review_rmb * real_reviews
    cost_by_kind = np.bincount(b.is_sme[reviewed.borrower].astype(np.intp), weights=cost, minlength=2)
    tiredness = fatigue(cfg, float(real_reviews.sum()) / max(cfg.reviewers, 1))
    bias = queue.bias
    credit = reviewed.subset(reviewed.kind != FREEZE_APPEAL)
    freezes = reviewed.subset(reviewed.kind == FREEZE_APPEAL)
    review_freezes(freezes, engine, rng, accounts, tiredness, bias)
    b.awaiting_decision[:] = False
    b.awaiting_decision[queue.waiting.borrower] = True
    first = decide_reviewed(credit.subset(credit.kind == APPLICATION), engine, rng, False, tiredness, bias)
    appeals = decide_reviewed(credit.subset(credit.kind == CREDIT_APPEAL), engine, rng, True, tiredness, bias)
    fallback, fallback_rationing = automated(overflow.subset(overflow.kind == APPLICATION), engine)
    abandoned_apps = outcome.abandoned.subset(outcome.abandoned.kind == APPLICATION)
    return ReviewMonth(
        reviewed=reviewed,
        delay_days=delay.astype(float),
        cost_by_kind_rmb=cost_by_kind,
        cost_per_review_rmb=cfg.cost_per_review_rmb,
        staff_cost_rmb=cfg.reviewers * cfg.cost_per_reviewer_month_rmb,
        tiredness=tiredness,
        abandoned=outcome.abandoned.borrower,
        abandoned_applications=abandoned_apps.borrower,
        abandoned_requested_rmb=abandoned_apps.requested_rmb,
        abandoned_decisions=refused_all(abandoned_apps, np.zeros(len(abandoned_apps), dtype=np.int8)),
        dropped_appeals=overflow.borrower[overflow.kind != APPLICATION],
        waiting=queue.waiting.borrower,
        first=first,
        appeals=appeals,
        fallback=fallback,
        fallback_rationing=fallback_rationing,
        changes=AccountChanges(accounts.take_changes()),
    )
