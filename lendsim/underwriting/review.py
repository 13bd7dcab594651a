"""People in the loop: the review queue and the reviewer's decision.

In HITL mode, applications near the cutoff (± `score_band`) and SMEs with thin online files are
routed to reviewers instead of the engine. Reviewers are few: `reviewers × reviews_per_reviewer_month`
reviews a month, first come first served. Work beyond capacity waits for next month (applicants give
up after `max_wait_months`) or falls back to the automated decision. A reviewer sees the hidden
quality with noise, decides with the platform's own risk appetite (lendsim.underwriting.scoring),
and may set a longer term so the instalment fits the borrower's cash flow. Every review costs money
and days, and the team costs its pay every month. With zero reviewers nothing is routed, so HITL
decides exactly like the engine.

Reviewers as studied (docs/reviewers.md): the look errs more on SMEs than on consumers, more on
riskier cases and when a reviewer is worked beyond a comfortable load, and the reviewer weighs it
as if it erred only by its usual amount; without the engine's score a reviewer reads the file's
hard information noisily and takes that reading for the score; a bias shifts the belief about some
borrowers whatever their quality. `review_discrimination` measures what all this leaves: the AUC of
the score alone, of score plus review and of humans alone, on a population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lendsim.loans import instalment
from lendsim.population import SCORE_CENTRE, SCORE_SCALE, BorrowerTable
from lendsim.scenario.schema import HumanReview, Scenario
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.scoring import PDCurve, QualityBelief, auc, belief_after_review, belief_from_score

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

    def __init__(
        self, cfg: HumanReview, weight: np.ndarray | None = None, bias: np.ndarray | None = None
    ) -> None:
        self.cfg = cfg
        self.weight = weight  # real cases each borrower's item stands for (None: one each)
        self.bias = bias  # per borrower: the team's shift of belief (reviewer_bias; None: none)
        self.waiting = QueuedApplications.empty()
        self.carried = 0.0  # capacity smaller than the next item, kept while work waits

    @property
    def capacity(self) -> int:
        """Real reviews the team does a month."""
        return self.cfg.reviewers * self.cfg.reviews_per_reviewer_month

    def __len__(self) -> int:
        return len(self.waiting)

    def file(self, appeals: QueuedApplications) -> None:
        """Appeals filed this month join the back of the queue for next month."""
        self.waiting = self.waiting.extend(appeals)

    def process(self, new: QueuedApplications, month: int) -> QueueOutcome:
        queue = self.waiting.extend(new)
        # Each simulated item stands for `weight` real cases and takes that many real reviews, first
        # come first served. What is left of the month's capacity but too small for the next item
        # carries over while work waits, so that the real throughput is right on average.
        work = np.ones(len(queue)) if self.weight is None else self.weight[queue.borrower]
        available = self.capacity + self.carried
        done = np.cumsum(work)
        taken = done <= available * (1.0 + 1e-12)
        rest = queue.subset(~taken)
        used = float(done[taken][-1]) if taken.any() else 0.0
        self.carried = max(available - used, 0.0) if len(rest) else 0.0
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


def reviewer_bias(scenario: Scenario, borrowers: BorrowerTable) -> np.ndarray | None:
    """Per borrower, the shift in quality units the reviewers' biases add to their belief (None
    without biases): each `underwriting.hitl.bias` entry applies where all its conditions hold."""
    entries = scenario.underwriting.hitl.bias
    if not entries:
        return None
    sectors = [s.name for s in scenario.population.smes.sectors]
    regions = [r.name for r in scenario.population.regions]
    shift = np.zeros(borrowers.size)
    for entry in entries:
        applies = np.ones(borrowers.size, dtype=bool)
        if entry.sectors:
            applies &= np.isin(borrowers.sector, [sectors.index(name) for name in entry.sectors])
        if entry.regions:
            applies &= np.isin(borrowers.region, [regions.index(name) for name in entry.regions])
        if entry.thin_file is not None:
            applies &= borrowers.is_sme & (borrowers.thin_file == entry.thin_file)
        shift[applies] += entry.shift
    return shift


def fatigue(cfg: HumanReview, reviews_per_reviewer: float) -> float:
    """How many times their usual error reviewers make after `reviews_per_reviewer` real reviews
    in a month: 1 up to a comfortable load, then growing by `fatigue_noise_slope` per comfortable
    load's worth of extra work."""
    extra = max(reviews_per_reviewer / cfg.comfortable_reviews_per_reviewer_month - 1.0, 0.0)
    return 1.0 + cfg.fatigue_noise_slope * extra


def reviewer_belief(
    cfg: HumanReview,
    borrowers: BorrowerTable,
    rows: np.ndarray,
    score: np.ndarray,
    rng: np.random.Generator,
    tiredness: float = 1.0,
    bias: np.ndarray | None = None,
) -> QualityBelief:
    """What a reviewer believes of `rows`' quality after a look, `score` being the engine's.

    The look errs by the reviewer's usual error (`soft_info_noise`, × `sme_noise_factor` for an
    SME), more on riskier cases (`risk_noise_slope` per 100 points below 650) and times
    `tiredness`; the reviewer weighs it by the usual error alone. Shown the score, the reviewer
    starts from the score's view; otherwise from their own reading of the hard information, which
    errs by `hard_info_noise` (grown the same way) and is taken for the score. `bias` (per
    borrower) is added to the belief. Draws: one normal per row for the look, then (without the
    score) one per row for the reading.
    """
    b = borrowers
    usual = cfg.soft_info_noise * np.where(b.is_sme[rows], cfg.sme_noise_factor, 1.0)
    below_middle = np.maximum((SCORE_CENTRE - score) / SCORE_SCALE, 0.0)
    worse = (1.0 + cfg.risk_noise_slope * below_middle) * tiredness
    observed = b.quality[rows] + usual * worse * rng.standard_normal(rows.size)
    if not cfg.reviewers_see_score:
        score = score + SCORE_SCALE * cfg.hard_info_noise * worse * rng.standard_normal(rows.size)
    belief = belief_after_review(belief_from_score(score, b.signal_corr[rows]), observed, usual)
    if bias is None:
        return belief
    return QualityBelief(mean=belief.mean + bias[rows], variance=belief.variance)


def reviewer_approves(
    engine: Engine,
    rows: np.ndarray,
    rng: np.random.Generator,
    tiredness: float = 1.0,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """The platform's risk appetite applied to the reviewer's belief after a look."""
    score, _ = engine.seen(rows)
    belief = reviewer_belief(engine.rules.hitl, engine.borrowers, rows, score, rng, tiredness, bias)
    return engine.risk_model.expected_pd(rows, belief) <= engine.risk_model.appetite(rows)


# --------------------------------------------------------------------------- what a review adds

SEGMENTS = ("consumers", "SMEs with online files", "thin-file SMEs")

DISCRIMINATION_TARGETS = {
    "consumer_gain": (0.05, 0.30),
    "thin_file_sme_with_review": (0.65, 0.75),
    "humans_alone_default_ratio": (1.03, 1.12),
}
"""Where the published evidence puts what a review adds (docs/reviewers.md), as
`review_discrimination` measures it.

consumer_gain: consumers' (AUC − 0.5) with review over the score's, less one — a real gain, below
the 45 % peer lenders achieved over the exact credit score, which they did not see (Iyer et al.
2016), as the gain is smallest for long credit histories (BIS WP 834).
thin_file_sme_with_review: the AUC of score plus review for thin-file SMEs — the gain is largest
there (Costello, Down & Mehta 2020), up to about what a good online score achieves on consumers
(AUC 0.65–0.75) and not beyond a full file's (peer lenders reach ≈ 87 % of what all the data give,
Iyer et al.).
humans_alone_default_ratio: the default rate of consumers approved by reviewers without the score
over the engine's, at the engine's approval rate — machine underwriting had 6.8 % fewer defaults
than human underwriters (Jansen, Nguyen & Shams, approx.: a ratio ≈ 1.07)."""


def _segments(borrowers: BorrowerTable) -> dict[str, np.ndarray]:
    b = borrowers
    return dict(zip(SEGMENTS, (~b.is_sme, b.is_sme & ~b.thin_file, b.is_sme & b.thin_file), strict=True))


def review_discrimination(
    scenario: Scenario, borrowers: BorrowerTable, rng: np.random.Generator, tiredness: float = 1.0
) -> pd.DataFrame:
    """What a review adds, by segment (consumers, SMEs with online files, thin-file SMEs): one row
    each, with the AUC of the score alone (`score`), of the reviewer's belief shown the score
    (`with_review`) and without it (`humans_alone`), against each borrower's true yearly PD
    (`lendsim.underwriting.scoring.auc`), every borrower reviewed as the scenario's reviewers
    would, biases included (`tiredness` 1: at a comfortable load). `humans_alone_default_ratio`
    compares the default rate (mean true yearly PD) of the borrowers humans alone would approve
    with the engine's, approving as many as the engine does at the cutoff.
    """
    cfg, b = scenario.underwriting.hitl, borrowers
    rows = np.arange(b.size)
    pop = scenario.population
    curves = (
        PDCurve(pop.consumers.annual_distress_pd, pop.consumers.quality_dispersion),
        PDCurve(pop.smes.annual_distress_pd, pop.smes.quality_dispersion),
    )

    def expected_pd(belief: QualityBelief) -> np.ndarray:
        return np.where(b.is_sme, curves[1].expected_pd(belief), curves[0].expected_pd(belief))

    shown = cfg.model_copy(update={"reviewers_see_score": True})
    alone = cfg.model_copy(update={"reviewers_see_score": False})
    bias = reviewer_bias(scenario, b)
    risk = {
        "score": expected_pd(belief_from_score(b.score, b.signal_corr)),
        "with_review": expected_pd(reviewer_belief(shown, b, rows, b.score, rng, tiredness, bias)),
        "humans_alone": expected_pd(reviewer_belief(alone, b, rows, b.score, rng, tiredness, bias)),
    }
    out = []
    for name, members in _segments(b).items():
        pd_true = b.yearly_pd[members]
        row: dict[str, float | str] = {"segment": name}
        row.update({view: auc(values[members], pd_true) for view, values in risk.items()})
        by_engine = b.score[members] >= scenario.underwriting.cutoff
        by_humans = np.argsort(risk["humans_alone"][members], kind="stable")[: int(by_engine.sum())]
        ratio = pd_true[by_humans].mean() / pd_true[by_engine].mean() if by_engine.any() else 1.0
        row["humans_alone_default_ratio"] = float(ratio)
        out.append(row)
    return pd.DataFrame(out)
