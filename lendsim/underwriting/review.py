"""People in the loop: the review queue and the reviewer's decision.

In HITL mode, applications near the cutoff (± `score_band`) and SMEs with thin online files are
routed to reviewers instead of the engine. Reviewers are few: `reviewers × reviews_per_reviewer_month`
reviews a month, first come first served. Work beyond capacity waits for next month (applicants give
up after `max_wait_months`) or falls back to the automated decision. A reviewer sees the hidden
quality with noise, decides with the platform's own risk appetite (lendsim.underwriting.scoring),
and may set a longer term so the instalment fits the borrower's cash flow. Every review costs money
and days. With zero reviewers nothing is routed, so HITL decides exactly like the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.loans import instalment
from lendsim.scenario.schema import HumanReview
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.scoring import belief_after_review, belief_from_score

DAYS_PER_MONTH = 30.0


APPLICATION, CREDIT_APPEAL, FREEZE_APPEAL = 0, 1, 2


@dataclass
class QueuedApplications:
    """Work for reviewers: applications near the cutoff, and (with appeals) appeals against a
    rejection, a refused drawdown or a freeze. `kind` says which."""

    borrower: np.ndarray
    requested_rmb: np.ndarray
    submitted_month: np.ndarray
    kind: np.ndarray
    is_drawdown: np.ndarray

    @classmethod
    def of(
        cls,
        borrower: np.ndarray,
        requested_rmb: np.ndarray,
        month: int | np.ndarray,
        kind: int,
        is_drawdown: np.ndarray | bool = False,
    ) -> QueuedApplications:
        n = borrower.size
        return cls(
            borrower,
            requested_rmb,
            np.broadcast_to(np.asarray(month, dtype=np.int32), (n,)).copy(),
            np.full(n, kind, dtype=np.int8),
            np.broadcast_to(np.asarray(is_drawdown, dtype=bool), (n,)).copy(),
        )

    @classmethod
    def empty(cls) -> QueuedApplications:
        return cls.of(np.zeros(0, dtype=np.int64), np.zeros(0), 0, APPLICATION)

    def __len__(self) -> int:
        return int(self.borrower.size)

    def subset(self, mask_or_index: np.ndarray) -> QueuedApplications:
        return QueuedApplications(*(getattr(self, name)[mask_or_index] for name in self.__dataclass_fields__))

    def extend(self, other: QueuedApplications) -> QueuedApplications:
        return QueuedApplications(
            *(np.concatenate([getattr(self, n), getattr(other, n)]) for n in self.__dataclass_fields__)
        )


@dataclass(frozen=True)
class QueueOutcome:
    """What the review team does with the queue this month."""

    reviewed: QueuedApplications
    fallback: QueuedApplications  # decided by the engine instead (overflow = "fallback")
    abandoned: QueuedApplications  # gave up waiting (overflow = "wait")


class ReviewQueue:
    """FIFO queue with a monthly capacity; the only state that carries HITL work across months."""

    def __init__(self, cfg: HumanReview) -> None:
        self.cfg = cfg
        self.waiting = QueuedApplications.empty()

    @property
    def capacity(self) -> int:
        return self.cfg.reviewers * self.cfg.reviews_per_reviewer_month

    def __len__(self) -> int:
        return len(self.waiting)

    def file(self, appeals: QueuedApplications) -> None:
        """Appeals filed this month join the back of the queue for next month."""
        self.waiting = self.waiting.extend(appeals)

    def process(self, new: QueuedApplications, month: int) -> QueueOutcome:
        queue = self.waiting.extend(new)
        taken = np.arange(len(queue)) < self.capacity
        rest = queue.subset(~taken)
        if self.cfg.overflow == "fallback":
            self.waiting = QueuedApplications.empty()
            return QueueOutcome(queue.subset(taken), rest, QueuedApplications.empty())
        gives_up = (month - rest.submitted_month) >= self.cfg.max_wait_months
        self.waiting = rest.subset(~gives_up)
        return QueueOutcome(queue.subset(taken), QueuedApplications.empty(), rest.subset(gives_up))


def cash_flow_term(
    amount_rmb: np.ndarray,
    apr: np.ndarray,
    free_cash_rmb: np.ndarray,
    shortest: int,
    longest: int,
    affordability_share: float,
    interest_first: bool,
) -> np.ndarray:
    """The shortest term whose instalment fits `affordability_share` of free cash flow (else the longest)."""
    terms = np.arange(shortest, longest + 1)
    payments = instalment(amount_rmb[:, None], apr[:, None], terms[None, :], interest_first)
    fits = payments <= affordability_share * np.maximum(free_cash_rmb, 0.0)[:, None]
    first_fit = np.where(fits.any(axis=1), fits.argmax(axis=1), terms.size - 1)
    return terms[first_fit].astype(np.int16)


def reviewer_approves(
    engine: Engine, rows: np.ndarray, rng: np.random.Generator, noise_sd: float
) -> np.ndarray:
    """The platform's risk appetite applied to a belief informed by the reviewer's noisy look."""
    b = engine.borrowers
    score, _ = engine.seen(rows)
    prior = belief_from_score(score, b.signal_corr[rows])
    observed = b.quality[rows] + noise_sd * rng.standard_normal(rows.size)
    posterior = belief_after_review(prior, observed, noise_sd)
    return engine.risk_model.expected_pd(rows, posterior) <= engine.risk_model.appetite(rows)
