"""The platform (a Jiebei-like lender): underwriting, origination within capital, collection, accounts.

Automated mode decides every application with the engine (score, cutoff, limit, price, shortest
term). HITL mode routes the applications the scenario names to a review queue; everything else is
identical, so the paired difference of the two modes is the effect of review alone. Capital bounds
the book: when new approvals would push the capital ratio below the regulatory minimum or leverage
above its cap, every new limit this month is scaled down by the same factor ("low limits").

Rejected applicants get a shadow loan — the engine's offer they were refused — repaid out of their
own cash flow in a counterfactual book, which is how the false rejection rate is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from lendsim.agents.borrowers import Applications, BorrowerTable
from lendsim.loans import LoanBook, Settlement
from lendsim.recorder import Recorder
from lendsim.scenario import Scenario
from lendsim.underwriting.automated import automated_offer
from lendsim.underwriting.review import DAYS_PER_MONTH, QueuedApplications, ReviewQueue, cash_flow_term
from lendsim.underwriting.scoring import PDCurve, QualityBelief, belief_after_review, belief_from_score


@dataclass(frozen=True)
class Decisions:
    """Applications decided this month (new ones and ones that left the review queue)."""

    borrower: np.ndarray
    requested_rmb: np.ndarray
    application_month: np.ndarray
    approved: np.ndarray
    amount_rmb: np.ndarray
    apr: np.ndarray
    term_months: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[Decisions]) -> Decisions:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


class Platform(mesa.Agent):
    def __init__(
        self,
        model: mesa.Model,
        scenario: Scenario,
        borrowers: BorrowerTable,
        hitl: bool,
        review_rng: np.random.Generator,
        recorder: Recorder,
    ) -> None:
        super().__init__(model)
        self.rules = scenario.underwriting
        self.platform_cfg = scenario.platform
        self.regulation = scenario.regulation
        self.lgd = scenario.risk.lgd
        self.borrowers = borrowers
        self.recorder = recorder
        self.review_rng = review_rng
        self.hitl = hitl and self.rules.hitl.reviewers > 0
        interest_first = self.rules.repayment == "interest_first"
        self.book = LoanBook(borrowers.size, interest_first)
        self.shadow = LoanBook(borrowers.size, interest_first)
        self.shadow_savings_rmb = np.zeros(borrowers.size)
        self.queue = ReviewQueue(self.rules.hitl)
        self.capital_rmb = scenario.platform.capital_per_borrower_rmb * borrowers.size
        self.risk_weight = np.where(
            borrowers.is_sme, self.regulation.corporate_risk_weight, self.regulation.retail_risk_weight
        )
        pop = scenario.population
        self.pd_curves = (
            PDCurve(pop.consumers.annual_distress_pd, pop.consumers.quality_dispersion),
            PDCurve(pop.smes.annual_distress_pd, pop.smes.quality_dispersion),
        )
        self.profit_rmb = 0.0
        self.review_cost_rmb = 0.0

    # --- underwriting ---------------------------------------------------------------------------

    def underwrite(self, applications: Applications, month: int) -> Decisions:
        rec, rows = self.recorder, applications.borrower
        rec.add("applications", month, rows)
        viable = self.borrowers.viable[rows]
        rec.add("sme_viable_demand_rmb", month, rows[viable], applications.requested_rmb[viable])
        new = QueuedApplications(rows, applications.requested_rmb, np.full(rows.size, month, dtype=np.int32))
        routed = self._routed_to_review(rows)
        parts = [self._automated(new.subset(~routed))]
        if self.hitl:
            outcome = self.queue.process(new.subset(routed), month)
            parts += [self._reviewed(outcome.reviewed, month), self._automated(outcome.fallback)]
            rec.add("review_abandoned", month, outcome.abandoned.borrower)
            self.borrowers.awaiting_decision[:] = False
            self.borrowers.awaiting_decision[self.queue.waiting.borrower] = True
            rec.add("review_queue", month, self.queue.waiting.borrower)
        decisions = Decisions.concatenate(parts)
        rec.add("applications_decided", month, decisions.borrower)
        rec.add("approved", month, decisions.borrower[decisions.approved])
        rec.add("rejected", month, decisions.borrower[~decisions.approved])
        return decisions

    def _routed_to_review(self, rows: np.ndarray) -> np.ndarray:
        if not self.hitl:
            return np.zeros(rows.size, dtype=bool)
        cfg, b = self.rules.hitl, self.borrowers
        near_cutoff = np.abs(b.score[rows] - self.rules.cutoff) <= cfg.score_band
        thin_sme = cfg.review_thin_file_smes & b.is_sme[rows] & b.thin_file[rows]
        return near_cutoff | thin_sme

    def _automated(self, apps: QueuedApplications) -> Decisions:
        offer = automated_offer(self.rules, self.borrowers, apps.borrower, apps.requested_rmb)
        return Decisions(
            apps.borrower,
            apps.requested_rmb,
            apps.submitted_month,
            offer.approved,
            offer.amount_rmb,
            offer.apr,
            offer.term_months,
        )

    def _expected_pd(self, rows: np.ndarray, belief: QualityBelief) -> np.ndarray:
        consumer_curve, sme_curve = self.pd_curves
        return np.where(
            self.borrowers.is_sme[rows], sme_curve.expected_pd(belief), consumer_curve.expected_pd(belief)
        )

    def _reviewed(self, apps: QueuedApplications, month: int) -> Decisions:
        """A reviewer's decision: the platform's risk appetite applied to a better-informed belief."""
        cfg, b, rows = self.rules.hitl, self.borrowers, apps.borrower
        offer = automated_offer(self.rules, b, rows, apps.requested_rmb)
        corr = b.signal_corr[rows]
        prior = belief_from_score(b.score[rows], corr)
        observed = b.quality[rows] + cfg.soft_info_noise * self.review_rng.standard_normal(rows.size)
        posterior = belief_after_review(prior, observed, cfg.soft_info_noise)
        appetite = self._expected_pd(rows, belief_from_score(np.full(rows.size, self.rules.cutoff), corr))
        approved = self._expected_pd(rows, posterior) <= appetite
        term = offer.term_months
        if cfg.match_term_to_cash_flow:
            term = cash_flow_term(
                offer.amount_rmb,
                offer.apr,
                b.normal_free_cash_rmb[rows],
                self.rules.automated_term_months,
                self.rules.max_term_months,
                cfg.affordability_share,
                self.book.interest_first,
            )
        rec = self.recorder
        rec.add("reviews_done", month, rows)
        rec.add("review_overturned_rejections", month, rows[approved & ~offer.approved])
        rec.add("review_overturned_approvals", month, rows[~approved & offer.approved])
        delay = cfg.delay_days + DAYS_PER_MONTH * (month - apps.submitted_month)
        rec.add("review_delay_days_total", month, rows, delay)
        cost = cfg.cost_per_review_rmb * rows.size
        rec.add("review_cost", month, rows, np.full(rows.size, cfg.cost_per_review_rmb))
        self.review_cost_rmb += cost
        return Decisions(
            rows, apps.requested_rmb, apps.submitted_month, approved, offer.amount_rmb, offer.apr, term
        )

    # --- origination ----------------------------------------------------------------------------

    def capital_headroom_share(self, new_amount_rmb: np.ndarray, rows: np.ndarray) -> float:
        """Largest share of the new amounts the platform can fund within capital ratio and leverage."""
        own = self.platform_cfg.own_funding_share
        new_rwa = float((self.risk_weight[rows] * own * new_amount_rmb).sum())
        new_own = own * float(new_amount_rmb.sum())
        if new_own <= 0.0:
            return 1.0
        capital = max(self.capital_rmb, 0.0)
        ratio_room = (
            capital / self.regulation.min_capital_ratio - self.rwa_rmb
            if self.regulation.min_capital_ratio > 0
            else np.inf
        )
        leverage_room = capital * self.regulation.max_leverage - own * self.book.outstanding_rmb
        share = min(ratio_room / new_rwa if new_rwa > 0 else np.inf, leverage_room / new_own, 1.0)
        return max(share, 0.0)

    def originate(self, decisions: Decisions, month: int) -> None:
        rec = self.recorder
        approved = decisions.approved
        rows = decisions.borrower[approved]
        amount = decisions.amount_rmb[approved]
        share = self.capital_headroom_share(amount, rows)
        scaled = amount * share
        rec.add("supply_lost_capital", month, rows, amount - scaled)
        funded = scaled >= self.rules.min_loan_rmb
        rows, scaled = rows[funded], scaled[funded]
        self.book.open(
            rows,
            scaled,
            decisions.apr[approved][funded],
            decisions.term_months[approved][funded],
            month,
            decisions.application_month[approved][funded],
        )
        rec.add("loans_originated", month, rows)
        rec.add("volume_originated", month, rows, scaled)
        rec.add_cohort("cohort_loans", np.full(rows.size, month), rows)
        viable = self.borrowers.viable[rows]
        rec.add_cohort(
            "sme_viable_supplied_rmb",
            decisions.application_month[approved][funded][viable],
            rows[viable],
            scaled[viable],
        )
        self._open_shadow_loans(decisions, month)

    def _open_shadow_loans(self, decisions: Decisions, month: int) -> None:
        rejected = ~decisions.approved
        rows = decisions.borrower[rejected]
        free = ~self.shadow.is_open[rows]
        rows = rows[free]
        offer = automated_offer(self.rules, self.borrowers, rows, decisions.requested_rmb[rejected][free])
        self.shadow.open(rows, offer.amount_rmb, offer.apr, offer.term_months, month)
        self.shadow_savings_rmb[rows] = self.borrowers.savings_rmb[rows]

    # --- repayment and accounts -----------------------------------------------------------------

    @property
    def rwa_rmb(self) -> float:
        own = self.platform_cfg.own_funding_share
        return float((self.risk_weight * own * self.book.balance_rmb).sum())

    def collect(self, month: int) -> Settlement:
        """Repayment out of cash flow, for the real book and the rejected applicants' shadow book."""
        b, rec = self.borrowers, self.recorder
        book_start = self.book.outstanding_rmb
        settled = self.book.settle(b.free_cash_rmb + b.savings_rmb, month)
        b.savings_rmb = np.clip(b.savings_rmb + b.free_cash_rmb - settled.paid_rmb, 0.0, b.savings_cap_rmb)
        everyone = np.arange(b.size)
        rec.add("principal_repaid_rmb", month, everyone, settled.principal_paid_rmb)
        rec.add("interest_income_rmb", month, everyone, settled.interest_paid_rmb)
        rec.add("write_offs_rmb", month, everyone, settled.written_off_rmb)
        rec.add("credit_losses", month, everyone, self.lgd * settled.written_off_rmb)
        defaulted = np.flatnonzero(settled.defaulted)
        rec.add("defaults", month, defaulted)
        rec.add_cohort("cohort_defaults", settled.origination_month[defaulted], defaulted)
        rec.add("missed_payments", month, np.flatnonzero(settled.missed))
        rec.add("payments_due", month, np.flatnonzero(settled.missed | settled.clean))
        self._collect_shadow(month)
        self._book_profit(month, settled, book_start)
        self._record_book(month, settled)
        return settled

    def _collect_shadow(self, month: int) -> None:
        b = self.borrowers
        settled = self.shadow.settle(b.free_cash_rmb + self.shadow_savings_rmb, month)
        self.shadow_savings_rmb = np.clip(
            self.shadow_savings_rmb + b.free_cash_rmb - settled.paid_rmb, 0.0, b.savings_cap_rmb
        )
        resolved = np.flatnonzero(settled.defaulted | settled.repaid)
        rejection_month = self.shadow.application_month[resolved]
        self.recorder.add_cohort("rejections_tracked", rejection_month, resolved)
        repaid = resolved[settled.repaid[resolved]]
        self.recorder.add_cohort("false_rejections", self.shadow.application_month[repaid], repaid)

    def _book_profit(self, month: int, settled: Settlement, book_start_rmb: float) -> None:
        cfg = self.platform_cfg
        own = cfg.own_funding_share
        interest = own * float(settled.interest_paid_rmb.sum())
        losses = own * self.lgd * float(settled.written_off_rmb.sum())
        funding = cfg.funding_cost_apr / 12.0 * own * book_start_rmb
        operating = cfg.operating_cost_apr / 12.0 * book_start_rmb
        review = float(self.recorder.flows["review_cost"][month].sum())
        profit = interest - losses - funding - operating - review
        self.capital_rmb += profit
        self.profit_rmb += profit
        self.recorder.set_platform("platform_profit", month, profit)
        self.recorder.set_platform("capital_rmb", month, self.capital_rmb)

    def _record_book(self, month: int, settled: Settlement) -> None:
        rec, book = self.recorder, self.book
        open_rows = np.flatnonzero(book.is_open)
        rec.add("book_rmb", month, open_rows, book.balance_rmb[open_rows])
        rec.add("open_loans", month, open_rows)
        late = open_rows[book.days_past_due[open_rows] >= 30]
        rec.add("dpd30_balance_rmb", month, late, book.balance_rmb[late])
        written = np.flatnonzero(settled.defaulted)
        rec.add("dpd30_balance_rmb", month, written, settled.written_off_rmb[written])
        rec.add("dpd90_balance_rmb", month, written, settled.written_off_rmb[written])
