"""What each phase's outcome adds to the monthly records: the one place the month meets the recorder.

`LendingMarket.step()` hands every outcome here as soon as its phase has run (`MonthlyRecords.add`),
so each is recorded with the segments borrowers are in at that moment. Segments are the borrower
kind (always columns 0, 1), the score band, the SME sector and the region; the score band of a
borrower is updated when it next needs credit (from the demand phase's outcome). Nothing here
changes the model, and no phase reads what is recorded.
"""

from __future__ import annotations

from functools import singledispatchmethod

import numpy as np

from lendsim.economy import Economy
from lendsim.phases.account_checks import AccountChanges, AccountChecks
from lendsim.phases.collection import BookPosition, Collection
from lendsim.phases.decisions import MonthDecisions, Rationing
from lendsim.phases.demand import Demand
from lendsim.phases.intake import Requests
from lendsim.phases.month_end import MonthEnd
from lendsim.phases.origination import Origination
from lendsim.phases.profit import ProfitAndLoss
from lendsim.phases.review import Reviewed, ReviewMonth
from lendsim.phases.routing import Routing
from lendsim.phases.shadow import ShadowSettlement
from lendsim.phases.supervision import Inspection, Ruling
from lendsim.population import BorrowerTable
from lendsim.reasons import Failure, Refusal, Rejection, column
from lendsim.recorder import Recorder, Segmentation
from lendsim.scenario import Scenario
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN
from lendsim.underwriting.review import APPLICATION

SCORE_BAND_EDGES = (SCORE_MIN, 550, 600, 650, 700, 750, SCORE_MAX + 1)
SCORE_BANDS = tuple(
    f"band:{lo}-{hi - 1}" for lo, hi in zip(SCORE_BAND_EDGES[:-1], SCORE_BAND_EDGES[1:], strict=True)
)


def score_band(score: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(SCORE_BAND_EDGES[1:-1], dtype=float), score, side="right").astype(
        np.intp
    )


class MonthlyRecords:
    """The recorder of one run, and how each phase outcome is written into it."""

    def __init__(self, scenario: Scenario, borrowers: BorrowerTable) -> None:
        self.borrowers = borrowers
        self.default_horizon_months = scenario.simulation.default_horizon_months
        self.score_bands = Segmentation(SCORE_BANDS, score_band(borrowers.score))
        sectors = tuple(f"sector:{s.name}" for s in scenario.population.smes.sectors)
        regions = tuple(f"region:{r.name}" for r in scenario.population.regions)
        self.recorder = Recorder(
            scenario.simulation.months,
            [
                Segmentation(("consumer", "sme"), borrowers.is_sme.astype(np.intp)),
                self.score_bands,
                Segmentation(sectors, borrowers.sector.astype(np.intp)),
                Segmentation(regions, borrowers.region.astype(np.intp)),
            ],
            row_weight=borrowers.weight,
        )

    @singledispatchmethod
    def add(self, outcome: object, month: int) -> None:
        raise TypeError(f"no monthly records for {type(outcome).__name__}")

    @add.register(type(None))
    def _nothing(self, outcome: None, month: int) -> None:
        """A phase that did not run this month (review in automated mode)."""

    @add.register(Economy)
    def _economy(self, economy: Economy, month: int) -> None:
        rec = self.recorder
        rec.set_platform("macro_factor", month, economy.factor)
        rec.set_platform("shock_active", month, float(economy.in_shock))
        rec.set_platform("peak_month", month, float(economy.in_peak))
        rec.set_platform("maintenance", month, float(economy.downtime > 0))

    @add.register(Ruling)
    def _ruling(self, ruling: Ruling, month: int) -> None:
        self.recorder.set_platform("regulator_action", month, float(ruling.action))
        self.recorder.set_platform("apr_cap", month, ruling.law.apr_cap)

    @add.register(AccountChanges)
    def _account_changes(self, changes: AccountChanges, month: int) -> None:
        for change in changes.changes:
            if change.grace:  # an appeal's grace period at work: a count of its own, not a freeze
                self.recorder.add(change.grace, month, change.rows)
            elif change.cause is not None:
                self.recorder.add(column("frozen", change.cause), month, change.rows)
                self.recorder.add("frozen_accounts", month, change.rows)
            else:
                self.recorder.add(f"unfrozen_{change.path}", month, change.rows)

    @add.register(Demand)
    def _demand(self, demand: Demand, month: int) -> None:
        needs, viable = demand.needs, demand.sme_viable
        self.recorder.add("sme_viable_demand_rmb", month, needs.borrower[viable], needs.requested_rmb[viable])
        rows = needs.borrower
        self.score_bands.group_of_row[rows] = score_band(self.borrowers.score[rows])

    @add.register(Requests)
    def _requests(self, requests: Requests, month: int) -> None:
        rec, rows, processed = self.recorder, requests.borrower, requests.processed
        rec.add("requests", month, rows)
        rec.add("applications", month, rows[~requests.has_line])
        rec.add("system_failures", month, rows[processed.lost_cause > 0])
        rec.add("failed_attempts", month, rows, processed.failed_attempts.astype(float))
        for cause in Failure:
            rec.add(column("failed", cause), month, rows[processed.lost_cause == cause])
        # Processing capacity binds when requests are lost to overload: what they asked for is lost.
        overload = processed.lost_cause == Failure.OVERLOAD
        asked_rmb = requests.apps.requested_rmb
        rec.add("requested_rmb", month, rows, asked_rmb)
        rec.add("supply_lost_processing_capacity", month, rows[overload], asked_rmb[overload])

    @add.register(AccountChecks)
    def _account_checks(self, checks: AccountChecks, month: int) -> None:
        self.add(checks.changes, month)

    def _rationing(self, rationing: Rationing, month: int) -> None:
        r = rationing
        self.recorder.add("supply_lost_loan_cap", month, r.capped_borrower, r.capped_rmb)
        self.recorder.add("supply_lost_rate_cap", month, r.rationed_borrower, r.rationed_rmb)

    @add.register(Routing)
    def _routing(self, routing: Routing, month: int) -> None:
        self._rationing(routing.rationing, month)

    def _reviewed(self, reviewed: Reviewed, month: int) -> None:
        self.recorder.add("review_overturned_rejections", month, reviewed.overturned_rejections)
        self.recorder.add("review_overturned_approvals", month, reviewed.overturned_approvals)
        self._rationing(reviewed.rationing, month)

    @add.register(ReviewMonth)
    def _review(self, review: ReviewMonth, month: int) -> None:
        rec, rows = self.recorder, review.reviewed.borrower
        rec.add("review_abandoned", month, review.abandoned)
        # An application abandoned in the queue is decided this month, and not approved.
        rec.add("abandoned_applications", month, review.abandoned_applications)
        rec.add("applications_decided", month, review.abandoned_applications)
        rec.add("appeals_dropped", month, review.dropped_appeals)
        rec.add("reviews_done", month, rows)
        rec.add("appeals_reviewed", month, rows[review.reviewed.kind != APPLICATION])
        rec.add("review_delay_days_total", month, rows, review.delay_days)
        rec.add("review_cost", month, rows, np.full(rows.size, review.cost_per_review_rmb))
        # The staff's pay has no borrower: it is spread over the month's reviews by the real reviews
        # each took (over every borrower by weight in a month without any), so that review_cost is
        # the whole cost in `all` and its segments still add up; review_staff_cost_rmb shows it apart.
        # (A market without borrowers has no row to carry it: only the P&L and this column show it.)
        rec.set_platform("review_staff_cost_rmb", month, review.staff_cost_rmb)
        weight = self.borrowers.weight
        over = rows if rows.size else np.arange(self.borrowers.size)
        real_cases = float(weight[over].sum())
        if review.staff_cost_rmb and real_cases > 0:
            rec.add("review_cost", month, over, np.full(over.size, review.staff_cost_rmb / real_cases))
        self.add(review.changes, month)
        rec.add("review_queue", month, review.waiting)
        # Reviewer capacity binds when the queue overflows: applications wait, give up or fall back to
        # the engine. It costs what the applications that gave up asked for, and what those that fell
        # back asked for where the engine then rejected them on its own judgement (policy and the
        # rate cap would have turned them down under review too, and count as their own constraints).
        fallback = review.fallback
        rec.add("review_fallback", month, fallback.borrower)
        judged = ~fallback.approved & ~np.isin(fallback.reason, (Rejection.POLICY, Rejection.RATE_CAP))
        lost = "supply_lost_reviewer_capacity"
        rec.add(lost, month, review.abandoned_applications, review.abandoned_requested_rmb)
        rec.add(lost, month, fallback.borrower[judged], fallback.requested_rmb[judged])
        self._reviewed(review.first, month)
        self._reviewed(review.appeals, month)
        self._rationing(review.fallback_rationing, month)

    @add.register(MonthDecisions)
    def _decisions(self, month_decisions: MonthDecisions, month: int) -> None:
        rec, d = self.recorder, month_decisions.decisions
        rows, first = d.borrower, ~d.on_appeal
        apps, draws = first & ~d.is_drawdown, first & d.is_drawdown
        rec.add("applications_decided", month, rows[apps])
        # Approvals count where credit was offered: recorded after origination (_origination).
        rec.add("rejected", month, rows[apps & ~d.approved])
        for rejection in Rejection:
            rec.add(column("rejected", rejection), month, rows[apps & (d.reason == rejection)])
        rec.add("drawdowns_attempted", month, rows[draws])
        rec.add("drawdowns_refused", month, rows[draws & ~d.approved])
        for refusal in Refusal:
            rec.add(column("refused", refusal), month, rows[draws & (d.reason == refusal)])
        # Appeal outcomes count in the month the appealed decision was made (when the appeal was filed).
        overturned = d.on_appeal & d.is_drawdown & d.approved
        rec.add_cohort("refusals_overturned", d.application_month[overturned], rows[overturned])
        rec.add("reapplications", month, rows[month_decisions.reapplication])

    @add.register(Origination)
    def _origination(self, o: Origination, month: int) -> None:
        rec, rows = self.recorder, o.borrower
        rec.set_platform("own_funding_share", month, o.own_funding_share)
        # An approval counts only where credit was offered (a loan of more than 0 opened after every
        # constraint); an approval the lending room scaled below the minimum loan is counted apart.
        a, offered = o.approved, o.offered
        first = ~a.on_appeal & ~a.is_drawdown
        rec.add("approved", month, a.borrower[first & offered])
        rec.add("approved_unfunded", month, a.borrower[first & ~offered])
        upheld = a.on_appeal & ~a.is_drawdown & offered  # in the month of the decision appealed
        rec.add_cohort("approved_on_appeal", a.application_month[upheld], a.borrower[upheld])
        rec.add("reapplications_approved", month, a.borrower[a.reapplication & offered])
        rec.add(f"supply_lost_{o.binding}", month, o.approved_borrower, o.lost_rmb)
        rec.add("loans_originated", month, rows)
        rec.add("volume_originated", month, rows, o.amount_rmb)
        rec.add_cohort("cohort_loans", np.full(rows.size, month), rows)
        rec.add_cohort("predicted_defaults", np.full(rows.size, month), rows, o.predicted_pd)
        viable = o.sme_viable
        rec.add_cohort(
            "sme_viable_supplied_rmb", o.application_month[viable], rows[viable], o.amount_rmb[viable]
        )

    @add.register(Collection)
    def _collection(self, c: Collection, month: int) -> None:
        rec, settled, was_open, defaulted = self.recorder, c.settled, c.was_open, c.defaulted
        rec.add("principal_repaid_rmb", month, was_open, settled.principal_paid_rmb[was_open])
        rec.add("interest_income_rmb", month, was_open, settled.interest_paid_rmb[was_open])
        rec.add("write_offs_rmb", month, defaulted, settled.written_off_rmb[defaulted])
        rec.add("credit_losses", month, defaulted, c.credit_losses_rmb)  # the whole co-lent book's
        rec.add("platform_credit_losses_rmb", month, defaulted, c.own_credit_losses_rmb)  # its own share
        rec.add("defaults", month, defaulted)
        rec.add_cohort("cohort_defaults", settled.origination_month[defaulted], defaulted)
        # Approved applicants' outcome, by the rule the shadow book applies to rejected ones: the
        # loan repaid in full (would repay) or defaulted, counted in the cohort of the decision.
        closed = settled.from_application & (settled.repaid | settled.defaulted)
        resolved = np.flatnonzero(closed)
        repaid = np.flatnonzero(closed & settled.repaid)
        rec.add_cohort("approvals_tracked", settled.origination_month[resolved], resolved)
        rec.add_cohort("approvals_repaid", settled.origination_month[repaid], repaid)
        rec.add_cohort("applicants_would_repay", settled.origination_month[repaid], repaid)
        # The cohort the default horizon has just passed is seasoned: its defaults within the
        # horizon are all known now, and enter the default rate (later ones never do).
        cohort = month - self.default_horizon_months
        if cohort >= 1:
            rec.copy_month("cohort_loans", "seasoned_loans", cohort)
            rec.copy_month("cohort_defaults", "seasoned_defaults", cohort)
            rec.set_platform("cohort_seasoned", cohort, 1.0)
        rec.add("missed_payments", month, np.flatnonzero(settled.missed))
        rec.add("payments_due", month, np.flatnonzero(settled.missed | settled.clean))

    @add.register(ShadowSettlement)
    def _shadow(self, s: ShadowSettlement, month: int) -> None:
        rec, rejection, repaid = self.recorder, ~s.is_refusal, s.repaid
        rec.add_cohort("rejections_tracked", s.cohort_month[rejection], s.borrower[rejection])
        rec.add_cohort("false_rejections", s.cohort_month[rejection & repaid], s.borrower[rejection & repaid])
        would_repay = rejection & repaid
        rec.add_cohort("applicants_would_repay", s.cohort_month[would_repay], s.borrower[would_repay])
        rec.add_cohort("refusals_tracked", s.cohort_month[s.is_refusal], s.borrower[s.is_refusal])
        refusal_repaid = s.is_refusal & repaid
        rec.add_cohort("false_refusals", s.cohort_month[refusal_repaid], s.borrower[refusal_repaid])

    @add.register(ProfitAndLoss)
    def _profit(self, p: ProfitAndLoss, month: int) -> None:
        for name, value in (
            ("platform_profit", p.profit_rmb),
            ("capital_rmb", p.capital_rmb),
            ("own_interest_rmb", p.own_interest_rmb),
            ("service_fees_rmb", p.service_fees_rmb),
            ("own_credit_losses_rmb", p.own_credit_losses_rmb),
            ("funding_cost_rmb", p.funding_cost_rmb),
            ("operating_cost_rmb", p.operating_cost_rmb),
            ("nonstandard_funding_rmb", p.nonstandard_funding_rmb),
            ("abs_funding_rmb", p.abs_funding_rmb),
            ("platform_review_cost_rmb", p.platform_review_cost_rmb),
            ("partner_review_cost_rmb", p.partner_review_cost_rmb),
            ("partner_funding_cost_rmb", p.partner_funding_cost_rmb),
        ):
            self.recorder.set_platform(name, month, value)

    @add.register(BookPosition)
    def _position(self, p: BookPosition, month: int) -> None:
        rec = self.recorder
        rec.add("book_rmb", month, p.open_borrower, p.balance_rmb)
        rec.add("own_book_rmb", month, p.open_borrower, p.own_balance_rmb)
        for name, balance in p.partner_balance_rmb.items():
            rec.set_platform(f"partner_balance_{name}_rmb", month, balance)
        rec.set_platform("partners_stressed", month, p.partners_stressed)
        rec.add("open_loans", month, p.open_borrower)
        rec.add("dpd30_balance_rmb", month, p.late_borrower, p.late_balance_rmb)
        rec.add("dpd30_balance_rmb", month, p.written_borrower, p.written_off_rmb)
        rec.add("dpd90_balance_rmb", month, p.written_borrower, p.written_off_rmb)

    @add.register(MonthEnd)
    def _month_end(self, end: MonthEnd, month: int) -> None:
        self.add(end.changes, month)
        self.recorder.add("appeals_filed", month, end.appeals_filed)
        for kind, name in enumerate(("consumer", "sme")):
            self.recorder.set_platform(f"model_default_estimate_{name}", month, end.default_estimate[kind])
        self.recorder.add("frozen_stock", month, end.frozen_stock)

    @add.register(Inspection)
    def _inspection(self, i: Inspection, month: int) -> None:
        rec = self.recorder
        rec.set_platform("capital_ratio", month, i.capital_ratio)
        rec.set_platform("required_capital_ratio", month, i.required_capital_ratio)
        rec.set_platform("leverage", month, i.leverage)
        rec.set_platform("max_leverage", month, i.max_leverage)
        rec.set_platform("regulator_breach", month, float(i.breach))
        rec.set_platform("rwa_rmb", month, i.rwa_rmb)
