"""The platform (a Jiebei-like lender): requests, underwriting, origination, collection, accounts.

A month at the platform: borrowers' requests meet the system (capacity, downtime, retries); the
account checks run (velocity, identity); new applications are decided by the engine — or, in HITL
mode, near the cutoff and for thin-file SMEs, by reviewers — and approval grants a credit line on
show; later needs draw on the line after re-checks with this month's parameters (concentration,
anomaly flags, score, peak tightening). Capital bounds the book: when new lending would push the
capital ratio below the minimum or leverage above its cap, every new amount this month is scaled
down by the same factor ("low limits"). Every negative outcome carries a reason code.

Automated and HITL differ only in routing work to reviewers (and in appeals, which need
reviewers); with zero reviewers HITL is the automated platform. Rejected applicants and refused
drawdowns get a shadow loan — the offer refused — repaid out of their own cash flow in a
counterfactual book: that is how false rejections and false refusals are known.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import mesa
import numpy as np

from lendsim.accounts import Accounts
from lendsim.agents.borrowers import Applications, BorrowerTable
from lendsim.economy import Economy
from lendsim.funding import Funding
from lendsim.loans import LoanBook, Settlement
from lendsim.operations import Operations
from lendsim.reasons import Failure, Freeze, Refusal, Rejection, column
from lendsim.recorder import Recorder
from lendsim.regulation import RulesInForce
from lendsim.scenario import Scenario
from lendsim.streams import KeyedUniforms
from lendsim.underwriting.automated import Offer, automated_offer, credit_limit
from lendsim.underwriting.model_risk import RiskModel
from lendsim.underwriting.review import (
    APPLICATION,
    CREDIT_APPEAL,
    DAYS_PER_MONTH,
    FREEZE_APPEAL,
    QueuedApplications,
    ReviewQueue,
    cash_flow_term,
)
from lendsim.underwriting.scoring import belief_after_review, belief_from_score

ANOMALY, APPEAL = 301, 302  # KeyedUniforms purposes
GROWTH_CAP, SUSPENSION = 2, 3  # regulator action levels (lendsim.agents.regulator)
APPEALABLE_FREEZES = (Freeze.SCORE, Freeze.VELOCITY, Freeze.IDENTITY)
VERIFIABLE_FREEZES = (Freeze.VELOCITY, Freeze.IDENTITY)  # a person can see they are false alarms


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

    @classmethod
    def concatenate(cls, parts: list[Decisions]) -> Decisions:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def subset(self, mask: np.ndarray) -> Decisions:
        return Decisions(*(getattr(self, f.name)[mask] for f in fields(self)))


def _decisions(
    apps: QueuedApplications,
    approved: np.ndarray,
    amount: np.ndarray,
    apr: np.ndarray,
    term: np.ndarray,
    reason: np.ndarray,
    on_appeal: bool = False,
    reviewed: bool = False,
) -> Decisions:
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
    )


class Platform(mesa.Agent):
    def __init__(
        self,
        model: mesa.Model,
        scenario: Scenario,
        borrowers: BorrowerTable,
        hitl: bool,
        review_rng: np.random.Generator,
        events: KeyedUniforms,
        recorder: Recorder,
    ) -> None:
        super().__init__(model)
        self.scenario = scenario
        self.rules = scenario.underwriting
        self.platform_cfg = scenario.platform
        self.law = RulesInForce.at(scenario.regulation, 1)  # set each month by the regulator
        self.action = 0  # the regulator's action in force (lendsim.agents.regulator)
        self.lgd = scenario.risk.lgd
        self.borrowers = borrowers
        self.recorder = recorder
        self.review_rng = review_rng
        self.events = events
        self.hitl = hitl and self.rules.hitl.reviewers > 0
        interest_first = self.rules.repayment == "interest_first"
        self.book = LoanBook(borrowers.size, interest_first)
        self.shadow = LoanBook(borrowers.size, interest_first)
        self.shadow_is_refusal = np.zeros(borrowers.size, dtype=bool)
        self.shadow_savings_rmb = np.zeros(borrowers.size)
        self.queue = ReviewQueue(self.rules.hitl)
        self.accounts = Accounts(scenario, borrowers, events, recorder)
        self.operations = Operations(scenario.capacity, borrowers.size, events)
        self.risk_model = RiskModel(scenario, borrowers.is_sme, borrowers.signal_corr, recorder)
        self.capital_rmb = scenario.platform.capital_per_borrower_rmb * borrowers.size
        self.funding = Funding(scenario, borrowers.size, events)
        self.funding_shift = 0.0  # added to funding APRs during a funding-cost shock
        self.recent_originations_rmb: list[float] = []
        sectors = [s.name for s in scenario.population.smes.sectors]
        regions = [r.name for r in scenario.population.regions]
        self._restrictions = [
            (
                r.start_month,
                r.end_month or scenario.simulation.months,
                np.array([sectors.index(n) for n in r.sectors], dtype=np.int16),
                np.array([regions.index(n) for n in r.regions], dtype=np.int16),
            )
            for r in scenario.policy.restrictions
        ]

    # --- requests ---------------------------------------------------------------------------------

    def underwrite(self, needs: Applications, month: int, economy: Economy) -> Decisions:
        """From this month's needs to decisions: system, account checks, engine, reviewers."""
        b, rec = self.borrowers, self.recorder
        self.risk_model.observe_scores(b.score)
        needs = self._defer_hopeless(needs)
        rows = needs.borrower
        lines = self.rules.drawdown.credit_lines
        has_line = lines & (b.line_limit_rmb[rows] > 0) & (b.line_expires[rows] >= month)
        rec.add("requests", month, rows)
        rec.add("applications", month, rows[~has_line])
        reapplying = b.last_rejection[rows] > 0
        reapplied = rows[~has_line & reapplying]
        extra = np.where(b.prober[rows], self.scenario.population.behaviour.probe_requests, 0)
        processed = self.operations.process(rows, extra, month, economy.downtime, economy.in_peak)
        self._record_failures(rows, processed.lost_cause, processed.failed_attempts, month)
        through = processed.through
        tripped = np.zeros(rows.size, dtype=bool)
        tripped[through] = self.accounts.check_velocity(rows[through], processed.requests[through], month)
        stale = np.zeros(rows.size, dtype=bool)
        open_now = through & ~tripped
        stale[open_now] = self.accounts.check_identity(rows[open_now], month)
        blocked = tripped | stale
        decide = through & ~blocked
        apps = QueuedApplications.of(rows, needs.requested_rmb, month, APPLICATION, has_line)
        parts = [
            self._blocked(apps.subset(through & blocked), tripped[through & blocked]),
            *self._new_applications(apps.subset(decide & ~has_line), month),
            self._drawdowns(
                apps.subset(decide & has_line), processed.requests[decide & has_line], month, economy.in_peak
            ),
        ]
        if self.hitl:
            parts += self._review_queue(month)
        decisions = Decisions.concatenate(parts)
        self._record_decisions(decisions, month)
        fresh = (decisions.application_month == month) & ~decisions.is_drawdown & ~decisions.on_appeal
        again = fresh & np.isin(decisions.borrower, reapplied)
        rec.add("reapplications", month, decisions.borrower[again])
        rec.add("reapplications_approved", month, decisions.borrower[again & decisions.approved])
        return decisions

    def _defer_hopeless(self, needs: Applications) -> Applications:
        """With actionable reasons, a borrower told 'score too low' waits until the score is back
        above the cutoff instead of reapplying blindly."""
        if not self.scenario.reasons.actionable:
            return needs
        b, rows = self.borrowers, needs.borrower
        told_score = b.last_rejection[rows] == Rejection.SCORE
        below = b.score[rows] < self.risk_model.effective_cutoff(rows)
        return needs.subset(~(told_score & below))

    def _record_failures(
        self, rows: np.ndarray, lost_cause: np.ndarray, failed_attempts: np.ndarray, month: int
    ) -> None:
        rec = self.recorder
        lost = lost_cause > 0
        rec.add("system_failures", month, rows[lost])
        rec.add("failed_attempts", month, rows, failed_attempts.astype(float))
        for cause in Failure:
            rec.add(column("failed", cause), month, rows[lost_cause == cause])
        self.accounts.maintenance(rows[lost_cause == Failure.DOWNTIME], month)

    def _blocked(self, apps: QueuedApplications, velocity: np.ndarray) -> Decisions:
        """Requests stopped by a freeze this month: rejected (or refused) with the freeze's reason."""
        app_reason = np.where(velocity, Rejection.VELOCITY, Rejection.IDENTITY)
        draw_reason = np.where(velocity, Refusal.VELOCITY, Refusal.IDENTITY)
        reason = np.where(apps.is_drawdown, draw_reason, app_reason)
        zeros = np.zeros(len(apps))
        return _decisions(apps, np.zeros(len(apps), dtype=bool), zeros, zeros, zeros, reason)

    # --- applications -----------------------------------------------------------------------------

    def restricted(self, rows: np.ndarray, month: int) -> np.ndarray:
        """Sector/region policy in force this month."""
        out = np.zeros(rows.size, dtype=bool)
        b = self.borrowers
        for start, end, sectors, regions in self._restrictions:
            if start <= month <= end:
                out |= np.isin(b.sector[rows], sectors) | np.isin(b.region[rows], regions)
        return out

    def _seen(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The score the platform sees (maybe stale) and the cutoff it applies now."""
        return self.risk_model.scores(self.borrowers.score)[rows], self.risk_model.effective_cutoff(rows)

    def _offer(self, rows: np.ndarray, requested_rmb: np.ndarray) -> Offer:
        """The engine's offer on what the platform sees now, under the rules in force."""
        score, cutoff = self._seen(rows)
        pd = self.risk_model.expected_pd(rows, belief_from_score(score, self.borrowers.signal_corr[rows]))
        return automated_offer(
            self.rules, self.law, self.borrowers, rows, requested_rmb, score, cutoff, pd, self.lgd
        )

    def _new_applications(self, apps: QueuedApplications, month: int) -> list[Decisions]:
        policy = self.restricted(apps.borrower, month)
        rows = apps.borrower
        score, cutoff = self._seen(rows)
        routed = ~policy & self._routed_to_review(rows, score, cutoff)
        if self.hitl:
            self.queue.waiting = self.queue.waiting.extend(apps.subset(routed))
        zeros = np.zeros(int(policy.sum()))
        return [
            _decisions(
                apps.subset(policy),
                np.zeros(zeros.size, dtype=bool),
                zeros,
                zeros,
                zeros,
                np.full(zeros.size, Rejection.POLICY),
            ),
            self._automated(apps.subset(~policy & ~routed)),
        ]

    def _routed_to_review(self, rows: np.ndarray, score: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
        if not self.hitl:
            return np.zeros(rows.size, dtype=bool)
        cfg, b = self.rules.hitl, self.borrowers
        near_cutoff = np.abs(score - cutoff) <= cfg.score_band
        thin_sme = cfg.review_thin_file_smes & b.is_sme[rows] & b.thin_file[rows]
        return near_cutoff | thin_sme

    def _automated(self, apps: QueuedApplications) -> Decisions:
        offer = self._offer(apps.borrower, apps.requested_rmb)
        self._record_rationing(apps, offer, offer.reason == Rejection.RATE_CAP)
        return _decisions(apps, offer.approved, offer.amount_rmb, offer.apr, offer.term_months, offer.reason)

    def _record_rationing(self, apps: QueuedApplications, offer: Offer, rationed: np.ndarray) -> None:
        """Supply lost to loan-size caps (on what is lent) and to the rate cap (on who is rationed)."""
        month = int(self.model.month)
        lent = offer.approved
        self.recorder.add("supply_lost_loan_cap", month, apps.borrower[lent], offer.capped_rmb[lent])
        self.recorder.add("supply_lost_rate_cap", month, apps.borrower[rationed], offer.amount_rmb[rationed])

    # --- drawdowns --------------------------------------------------------------------------------

    def _drawdowns(
        self, apps: QueuedApplications, requests: np.ndarray, month: int, in_peak: bool
    ) -> Decisions:
        """Re-run the checks on a line on show, with this month's parameters. A line a reviewer
        granted keeps the reviewer's judgement on the score; every other check still runs."""
        cfg, b, rows = self.rules.drawdown, self.borrowers, apps.borrower
        score, cutoff = self._seen(rows)
        offer = self._offer(rows, apps.requested_rmb)
        tilt = cfg.anomaly_quality_tilt
        flag_prob = cfg.anomaly_flag_rate * np.exp(-tilt * b.quality[rows] - 0.5 * tilt**2)
        checks = [
            (self.restricted(rows, month), Refusal.POLICY),
            (
                (cfg.concentration_requests > 0) & (requests >= cfg.concentration_requests),
                Refusal.CONCENTRATION,
            ),
            (self.events.uniform(ANOMALY, month, rows) < flag_prob, Refusal.ANOMALY),
            ((score < cutoff) & ~b.reviewed_line[rows], Refusal.SCORE),
            (
                in_peak & (cfg.peak_tightening_points > 0) & (score < cutoff + cfg.peak_tightening_points),
                Refusal.TIGHTENING,
            ),
            (offer.rationed, Refusal.RATE_CAP),
        ]
        reason = np.zeros(rows.size, dtype=np.int8)
        for failed, code in reversed(checks):  # the first failing check in the list names the refusal
            reason = np.where(failed, code, reason)
        amount = np.minimum(apps.requested_rmb, b.line_limit_rmb[rows])
        term = np.full(rows.size, self.rules.automated_term_months)
        return _decisions(apps, reason == 0, amount, offer.apr, term, reason)

    # --- people in the loop -----------------------------------------------------------------------

    def _review_queue(self, month: int) -> list[Decisions]:
        outcome = self.queue.process(QueuedApplications.empty(), month)
        rec = self.recorder
        rec.add("review_abandoned", month, outcome.abandoned.borrower)
        fallback = outcome.fallback.subset(outcome.fallback.kind == APPLICATION)
        rec.add("appeals_dropped", month, outcome.fallback.borrower[outcome.fallback.kind != APPLICATION])
        reviewed = outcome.reviewed
        self._record_reviews(reviewed, month)
        credit = reviewed.subset(reviewed.kind != FREEZE_APPEAL)
        self._review_freezes(reviewed.subset(reviewed.kind == FREEZE_APPEAL), month)
        b = self.borrowers
        b.awaiting_decision[:] = False
        b.awaiting_decision[self.queue.waiting.borrower] = True
        rec.add("review_queue", month, self.queue.waiting.borrower)
        first = credit.subset(credit.kind == APPLICATION)
        appeals = credit.subset(credit.kind == CREDIT_APPEAL)
        return [
            self._reviewed(first, month),
            self._reviewed(appeals, month, on_appeal=True),
            self._automated(fallback),
        ]

    def _record_reviews(self, reviewed: QueuedApplications, month: int) -> None:
        cfg, rec, rows = self.rules.hitl, self.recorder, reviewed.borrower
        rec.add("reviews_done", month, rows)
        rec.add("appeals_reviewed", month, rows[reviewed.kind != APPLICATION])
        delay = cfg.delay_days + DAYS_PER_MONTH * (month - reviewed.submitted_month)
        rec.add("review_delay_days_total", month, rows, delay.astype(float))
        rec.add("review_cost", month, rows, np.full(rows.size, cfg.cost_per_review_rmb))

    def _reviewer_approves(self, rows: np.ndarray) -> np.ndarray:
        """The platform's risk appetite applied to a belief informed by the reviewer's noisy look."""
        cfg, b = self.rules.hitl, self.borrowers
        score, _ = self._seen(rows)
        prior = belief_from_score(score, b.signal_corr[rows])
        observed = b.quality[rows] + cfg.soft_info_noise * self.review_rng.standard_normal(rows.size)
        posterior = belief_after_review(prior, observed, cfg.soft_info_noise)
        return self.risk_model.expected_pd(rows, posterior) <= self.risk_model.appetite(rows)

    def _reviewed(self, apps: QueuedApplications, month: int, on_appeal: bool = False) -> Decisions:
        cfg, b, rows = self.rules.hitl, self.borrowers, apps.borrower
        offer = self._offer(rows, apps.requested_rmb)
        policy = self.restricted(rows, month)
        rationed = offer.rationed
        approved = self._reviewer_approves(rows) & ~policy & ~rationed
        amount = np.where(
            apps.is_drawdown, np.minimum(apps.requested_rmb, b.line_limit_rmb[rows]), offer.amount_rmb
        )
        term = offer.term_months
        if cfg.match_term_to_cash_flow:
            term = cash_flow_term(
                amount,
                offer.apr,
                b.normal_free_cash_rmb[rows],
                self.rules.automated_term_months,
                self.rules.max_term_months,
                cfg.affordability_share,
                self.book.interest_first,
            )
        rec = self.recorder
        rec.add("review_overturned_rejections", month, rows[approved & ~offer.approved])
        rec.add("review_overturned_approvals", month, rows[~approved & offer.approved])
        reason = np.where(
            approved,
            0,
            np.where(policy, Rejection.POLICY, np.where(rationed, Rejection.RATE_CAP, Rejection.REVIEW)),
        )
        self._record_rationing(apps, offer, rationed & ~policy)
        return _decisions(apps, approved, amount, offer.apr, term, reason, on_appeal, reviewed=True)

    def _review_freezes(self, appeals: QueuedApplications, month: int) -> None:
        """A reviewer lifts a freeze that is a false alarm, or a score freeze on a sound borrower."""
        b, rows = self.borrowers, appeals.borrower
        cause = b.frozen_cause[rows]
        still_frozen = cause > 0
        verifiable = np.isin(cause, VERIFIABLE_FREEZES)
        sound = np.zeros(rows.size, dtype=bool)
        score_frozen = cause == Freeze.SCORE
        sound[score_frozen] = self._reviewer_approves(rows[score_frozen])
        lifted = rows[still_frozen & (verifiable | sound)]
        b.identity_stale[lifted] = False
        self.accounts.lift(lifted, month, "appeal")

    def file_appeals(self, decisions: Decisions, new_freezes: np.ndarray, month: int) -> None:
        """Rejected, refused and frozen borrowers may appeal (HITL with appeals on)."""
        cfg = self.rules.hitl
        if not (self.hitl and cfg.appeals):
            return
        b = self.borrowers
        credit = (
            ~decisions.approved
            & ~decisions.on_appeal
            & np.isin(decisions.reason, (Rejection.SCORE, Rejection.REVIEW))
            & ~decisions.is_drawdown
        )
        credit |= (
            ~decisions.approved
            & ~decisions.on_appeal
            & decisions.is_drawdown
            & np.isin(
                decisions.reason, (Refusal.CONCENTRATION, Refusal.ANOMALY, Refusal.SCORE, Refusal.TIGHTENING)
            )
        )
        candidates = decisions.subset(credit)
        appeal = self.events.uniform(APPEAL, month, candidates.borrower) < cfg.appeal_rate
        c = candidates.subset(appeal)
        frozen = new_freezes[np.isin(b.frozen_cause[new_freezes], APPEALABLE_FREEZES)]
        frozen = frozen[self.events.uniform(APPEAL, month, frozen, attempt=1) < cfg.appeal_rate]
        self.queue.file(
            QueuedApplications.of(c.borrower, c.requested_rmb, month, CREDIT_APPEAL, c.is_drawdown)
        )
        self.queue.file(QueuedApplications.of(frozen, np.zeros(frozen.size), month, FREEZE_APPEAL))
        b.awaiting_decision[c.borrower] = True
        self.recorder.add("appeals_filed", month, np.concatenate([c.borrower, frozen]))

    # --- recording decisions ----------------------------------------------------------------------

    def _record_decisions(self, d: Decisions, month: int) -> None:
        rec, rows = self.recorder, d.borrower
        first = ~d.on_appeal
        apps, draws = first & ~d.is_drawdown, first & d.is_drawdown
        rec.add("applications_decided", month, rows[apps])
        rec.add("approved", month, rows[apps & d.approved])
        rec.add("rejected", month, rows[apps & ~d.approved])
        for code in Rejection:
            rec.add(column("rejected", code), month, rows[apps & (d.reason == code)])
        rec.add("drawdowns_attempted", month, rows[draws])
        rec.add("drawdowns_refused", month, rows[draws & ~d.approved])
        for code in Refusal:
            rec.add(column("refused", code), month, rows[draws & (d.reason == code)])
        # Appeal outcomes count in the month the appealed decision was made (when the appeal was filed).
        upheld = d.on_appeal & ~d.is_drawdown & d.approved
        rec.add_cohort("approved_on_appeal", d.application_month[upheld], rows[upheld])
        overturned = d.on_appeal & d.is_drawdown & d.approved
        rec.add_cohort("refusals_overturned", d.application_month[overturned], rows[overturned])
        b = self.borrowers
        b.rejected_last_month[:] = False
        b.rejected_last_month[rows[~d.approved]] = True
        b.last_rejection[rows[apps & ~d.approved]] = d.reason[apps & ~d.approved]
        b.last_rejection[rows[d.approved & ~d.is_drawdown]] = 0

    # --- origination ------------------------------------------------------------------------------

    def lending_room_share(self, d: Decisions, month: int) -> tuple[float, str]:
        """Share of this month's approved amounts that can be lent, and the constraint that binds."""
        if self.action >= SUSPENSION:
            return 0.0, "suspension"
        weights = self._risk_weights(d.borrower, d.term_months)
        capacity = self.funding.capacity(self.book, self.capital_rmb, self.law, d.amount_rmb, weights)
        name, share = capacity.binding()
        if self.action == GROWTH_CAP and self.recent_originations_rmb:
            allowed = self.scenario.regulation.growth_cap_share * float(
                np.mean(self.recent_originations_rmb[-3:])
            )
            wanted = float(d.amount_rmb.sum())
            growth_share = min(allowed / wanted, 1.0) if wanted > 0 else 1.0
            if growth_share < share:
                name, share = "growth_cap", growth_share
        return share, name

    def _risk_weights(self, rows: np.ndarray, term_months: np.ndarray) -> np.ndarray:
        b = self.borrowers
        score, _ = self._seen(rows)
        pd = self.risk_model.expected_pd(rows, belief_from_score(score, b.signal_corr[rows]))
        return self.funding.loan_risk_weights(
            self.law, b.is_sme[rows], pd, term_months, 12.0 * b.base_cash_rmb[rows]
        )

    def originate(self, decisions: Decisions, month: int) -> None:
        rec, b = self.recorder, self.borrowers
        d = decisions.subset(decisions.approved)
        share, binding = self.lending_room_share(d, month)
        scaled = d.amount_rmb * share
        rec.add(f"supply_lost_{binding}", month, d.borrower, d.amount_rmb - scaled)
        funded = scaled >= self.rules.min_loan_rmb
        f = d.subset(funded)
        rows, amount = f.borrower, scaled[funded]
        self.book.open(
            rows,
            amount,
            f.apr,
            f.term_months,
            month,
            f.application_month,
            own_share=self.funding.own_share(self.law),
            partner=self.funding.assign_partners(self.book, rows, month),
            risk_weight=self._risk_weights(rows, f.term_months),
        )
        self.recent_originations_rmb.append(float(amount.sum()))
        new_lines = rows[~f.is_drawdown]
        if self.rules.drawdown.credit_lines:
            score, _ = self._seen(new_lines)
            b.line_limit_rmb[new_lines] = share * credit_limit(self.rules, self.law, b, new_lines, score)
            b.line_expires[new_lines] = month + self.rules.drawdown.line_validity_months - 1
            b.reviewed_line[new_lines] = f.reviewed[~f.is_drawdown]
        rec.add("loans_originated", month, rows)
        rec.add("volume_originated", month, rows, amount)
        rec.add_cohort("cohort_loans", np.full(rows.size, month), rows)
        self.risk_model.record_predictions(rows, month)
        viable = b.viable[rows]
        rec.add_cohort("sme_viable_supplied_rmb", f.application_month[viable], rows[viable], amount[viable])
        self._open_shadow_loans(decisions.subset(~decisions.approved & ~decisions.on_appeal), month)

    def record_demand(self, needs: Applications, month: int) -> None:
        """Viable SME demand counts in the month it arises, whether or not it can be asked for."""
        viable = self.borrowers.viable[needs.borrower]
        self.recorder.add("sme_viable_demand_rmb", month, needs.borrower[viable], needs.requested_rmb[viable])

    def _open_shadow_loans(self, refused: Decisions, month: int) -> None:
        """The offer each rejected or refused borrower did not get, in the counterfactual book."""
        b = self.borrowers
        free = ~self.shadow.is_open[refused.borrower]
        d = refused.subset(free)
        d = d.subset(np.unique(d.borrower, return_index=True)[1])
        rows = d.borrower
        offer = self._offer(rows, d.requested_rmb)
        amount = np.where(
            d.is_drawdown, np.minimum(d.requested_rmb, b.line_limit_rmb[rows]), offer.amount_rmb
        )
        keep = amount >= self.rules.min_loan_rmb
        rows = rows[keep]
        self.shadow.open(rows, amount[keep], offer.apr[keep], offer.term_months[keep], month)
        self.shadow_is_refusal[rows] = d.is_drawdown[keep]
        self.shadow_savings_rmb[rows] = b.savings_rmb[rows]

    # --- repayment and accounts -------------------------------------------------------------------

    @property
    def rwa_rmb(self) -> float:
        return self.funding.rwa_rmb(self.book)

    @property
    def own_book_rmb(self) -> float:
        return self.funding.own_book_rmb(self.book)

    def collect(self, month: int) -> Settlement:
        """Repayment out of cash flow, for the real book and the counterfactual (shadow) book."""
        b, rec = self.borrowers, self.recorder
        book_start, own_start, capital_start = self.book.outstanding_rmb, self.own_book_rmb, self.capital_rmb
        was_open = np.flatnonzero(self.book.is_open)
        settled = self.book.settle(b.free_cash_rmb + b.savings_rmb, month)
        b.savings_rmb = np.clip(b.savings_rmb + b.free_cash_rmb - settled.paid_rmb, 0.0, b.savings_cap_rmb)
        rec.add("principal_repaid_rmb", month, was_open, settled.principal_paid_rmb[was_open])
        rec.add("interest_income_rmb", month, was_open, settled.interest_paid_rmb[was_open])
        defaulted = np.flatnonzero(settled.defaulted)
        written_off = settled.written_off_rmb[defaulted]
        rec.add("write_offs_rmb", month, defaulted, written_off)
        rec.add("credit_losses", month, defaulted, self.lgd * written_off)
        rec.add("defaults", month, defaulted)
        rec.add_cohort("cohort_defaults", settled.origination_month[defaulted], defaulted)
        rec.add("missed_payments", month, np.flatnonzero(settled.missed))
        rec.add("payments_due", month, np.flatnonzero(settled.missed | settled.clean))
        self._collect_shadow(month)
        self._book_profit(month, settled, book_start, own_start, capital_start)
        self.funding.update_stress(self.book, settled.written_off_rmb)
        self._record_book(month, settled)
        return settled

    def _collect_shadow(self, month: int) -> None:
        b = self.borrowers
        settled = self.shadow.settle(b.free_cash_rmb + self.shadow_savings_rmb, month)
        self.shadow_savings_rmb = np.clip(
            self.shadow_savings_rmb + b.free_cash_rmb - settled.paid_rmb, 0.0, b.savings_cap_rmb
        )
        resolved = np.flatnonzero(settled.defaulted | settled.repaid)
        refusal = self.shadow_is_refusal[resolved]
        cohort = self.shadow.application_month[resolved]
        repaid = settled.repaid[resolved]
        rec = self.recorder
        rec.add_cohort("rejections_tracked", cohort[~refusal], resolved[~refusal])
        rec.add_cohort("false_rejections", cohort[~refusal & repaid], resolved[~refusal & repaid])
        rec.add_cohort("refusals_tracked", cohort[refusal], resolved[refusal])
        rec.add_cohort("false_refusals", cohort[refusal & repaid], resolved[refusal & repaid])

    def _book_profit(
        self,
        month: int,
        settled: Settlement,
        book_start_rmb: float,
        own_start_rmb: float,
        capital_start_rmb: float,
    ) -> None:
        """The month's profit: own interest and fees on partner-funded interest, less funding,
        own credit losses, operating and review costs. Profit moves capital."""
        cfg, book, rec = self.platform_cfg, self.book, self.recorder
        own = book.own_share
        interest = float((own * settled.interest_paid_rmb).sum())
        fees = cfg.service_fee_share * float(((1.0 - own) * settled.interest_paid_rmb).sum())
        losses = self.lgd * float((own * settled.written_off_rmb).sum())
        nonstandard, abs_ = self.funding.funding_mix_rmb(own_start_rmb, capital_start_rmb, self.law)
        funding = (  # a funding-cost shock can lower rates, never below zero
            nonstandard * max(cfg.nonstandard_funding_apr + self.funding_shift, 0.0)
            + abs_ * max(cfg.abs_funding_apr + self.funding_shift, 0.0)
        ) / 12.0
        operating = cfg.operating_cost_apr / 12.0 * book_start_rmb
        review = float(rec.flows["review_cost"][month][:2].sum())
        profit = interest + fees - losses - funding - operating - review
        self.capital_rmb += profit
        for name, value in (
            ("platform_profit", profit),
            ("capital_rmb", self.capital_rmb),
            ("own_interest_rmb", interest),
            ("service_fees_rmb", fees),
            ("own_credit_losses_rmb", losses),
            ("funding_cost_rmb", funding),
            ("operating_cost_rmb", operating),
            ("nonstandard_funding_rmb", nonstandard),
            ("abs_funding_rmb", abs_),
        ):
            rec.set_platform(name, month, value)

    def _record_book(self, month: int, settled: Settlement) -> None:
        rec, book = self.recorder, self.book
        open_rows = np.flatnonzero(book.is_open)
        rec.add("book_rmb", month, open_rows, book.balance_rmb[open_rows])
        rec.add("own_book_rmb", month, open_rows, (book.own_share * book.balance_rmb)[open_rows])
        partner_balances = self.funding.partner_balances_rmb(book)
        for name, balance in zip(self.funding.partner_names, partner_balances, strict=True):
            rec.set_platform(f"partner_balance_{name}_rmb", month, float(balance))
        rec.set_platform("partners_stressed", month, float(self.funding.stressed.sum()))
        rec.add("open_loans", month, open_rows)
        late = open_rows[book.days_past_due[open_rows] >= 30]
        rec.add("dpd30_balance_rmb", month, late, book.balance_rmb[late])
        written = np.flatnonzero(settled.defaulted)
        rec.add("dpd30_balance_rmb", month, written, settled.written_off_rmb[written])
        rec.add("dpd90_balance_rmb", month, written, settled.written_off_rmb[written])

    def end_of_month(self, month: int, decisions: Decisions, frozen_before: np.ndarray) -> None:
        """Score freezes, appeals, re-estimation of the risk model, frozen stock."""
        self.accounts.after_scores(month)
        new_freezes = np.flatnonzero((self.borrowers.frozen_cause > 0) & ~frozen_before)
        self.file_appeals(decisions, new_freezes, month)
        self.risk_model.reestimate(month)
        for kind, name in enumerate(("consumer", "sme")):
            self.recorder.set_platform(
                f"model_default_estimate_{name}", month, float(self.risk_model.estimate[kind])
            )
        self.accounts.record_stock(month)
