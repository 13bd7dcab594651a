"""The platform (a Jiebei-like lender): a Mesa agent that owns the lender's state and runs its phases.

A month at the platform: the rules the regulator set come into force and accounts are kept up;
borrowers' requests meet the system (lendsim.phases.intake) and the account checks
(phases.account_checks); new applications are decided by the engine or, in HITL mode near the
cutoff and for thin-file SMEs, queued for reviewers (phases.routing, phases.review); drawdowns on a
line on show are re-checked (phases.drawdown); approved amounts are lent within the room capital,
leverage, partners and the regulator leave (phases.origination); refused offers go to the shadow
book (phases.shadow); repayment comes out of cash flow (phases.collection) and the month's P&L moves
capital (phases.profit); at the end come score freezes, appeals and re-estimation
(phases.month_end). Each method runs one phase over the platform's own state and returns the
phase's outcome; `LendingMarket.step()` passes outcomes on and to the records.

Automated and HITL differ only in routing work to reviewers (and in appeals, which need
reviewers); with zero reviewers HITL is the automated platform.
"""

from __future__ import annotations

import mesa
import numpy as np

from lendsim.accounts import Accounts
from lendsim.economy import Economy
from lendsim.funding import Funding
from lendsim.loans import LoanBook, Settlement
from lendsim.operations import Operations
from lendsim.phases.account_checks import AccountChanges, AccountChecks, check_accounts, upkeep
from lendsim.phases.collection import BookPosition, Collection, collect, month_end_position
from lendsim.phases.decisions import Decisions, MonthDecisions, conclude
from lendsim.phases.drawdown import draw_down
from lendsim.phases.intake import Requests, take_requests
from lendsim.phases.month_end import MonthEnd, file_appeals
from lendsim.phases.origination import Origination, lending_room_share, originate
from lendsim.phases.profit import ProfitAndLoss, profit_and_loss
from lendsim.phases.review import ReviewMonth, review
from lendsim.phases.routing import Routing, route
from lendsim.phases.shadow import ShadowBook, ShadowSettlement
from lendsim.phases.supervision import Ruling
from lendsim.population import Applications, BorrowerTable
from lendsim.regulation import NO_ACTION, RulesInForce
from lendsim.scenario import Scenario
from lendsim.streams import KeyedUniforms
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.model_risk import RiskModel
from lendsim.underwriting.policy import Restrictions
from lendsim.underwriting.review import ReviewQueue, reviewer_bias


class Platform(mesa.Agent):
    def __init__(
        self,
        model: mesa.Model,
        scenario: Scenario,
        borrowers: BorrowerTable,
        hitl: bool,
        review_rng: np.random.Generator,
        events: KeyedUniforms,
    ) -> None:
        super().__init__(model)
        self.scenario = scenario
        self.rules = scenario.underwriting
        self.borrowers = borrowers
        self.review_rng = review_rng
        self.events = events
        self.hitl = hitl and self.rules.hitl.reviewers > 0
        interest_first = self.rules.repayment == "interest_first"
        self.book = LoanBook(borrowers.size, interest_first, borrowers.weight)
        self.shadow = ShadowBook(borrowers.size, interest_first)
        self.queue = ReviewQueue(self.rules.hitl, borrowers.weight, reviewer_bias(scenario, borrowers))
        self.accounts = Accounts(scenario, borrowers, events)
        self.operations = Operations(scenario.capacity, borrowers.weight, events)
        self.risk_model = RiskModel(scenario, borrowers.is_sme, borrowers.signal_corr)
        self.policy = Restrictions(scenario)
        self.funding = Funding(scenario, events)
        self.capital_rmb = scenario.platform.capital_rmb
        self.recent_originations_rmb: list[float] = []
        self.law = RulesInForce.at(scenario.regulation, 1)  # set each month by the regulator
        self.action = NO_ACTION  # the regulator's action in force (lendsim.regulation)
        self.funding_shift = 0.0  # added to funding APRs during a funding-cost shock
        self.engine = self._engine(0)

    def _engine(self, month: int) -> Engine:
        lgd = self.scenario.risk.lgd
        return Engine(self.rules, self.law, self.risk_model, self.policy, self.borrowers, lgd, month)

    @property
    def month(self) -> int:
        return self.engine.month

    @property
    def rwa_rmb(self) -> float:
        return self.funding.rwa_rmb(self.book)

    @property
    def own_book_rmb(self) -> float:
        return self.funding.own_book_rmb(self.book)

    def begin_month(self, ruling: Ruling, funding_shift: float, month: int) -> AccountChanges:
        """The rules and the action in force this month; account upkeep before any request."""
        self.law, self.action, self.funding_shift = ruling.law, ruling.action, funding_shift
        self.engine = self._engine(month)
        return upkeep(self.accounts, month)

    def take_requests(self, asking: Applications, economy: Economy) -> Requests:
        """This month's requests through the system (the risk model first sees today's scores)."""
        self.risk_model.observe_scores(self.borrowers.score)
        actionable = self.scenario.reasons.actionable
        probes = self.scenario.population.behaviour.probe_requests
        return take_requests(asking, self.engine, self.operations, economy, actionable, probes)

    def check_accounts(self, requests: Requests) -> AccountChecks:
        """Maintenance, velocity and identity checks on the requests that got through."""
        return check_accounts(self.accounts, requests, self.month)

    def route(self, requests: Requests, checks: AccountChecks) -> Routing:
        """New applications past the checks: policy, the engine, or (HITL) the reviewers' queue."""
        routing = route(
            requests.apps.subset(checks.decide & ~requests.has_line),
            self.engine,
            self.rules.hitl if self.hitl else None,
        )
        if self.hitl:
            self.queue.waiting = self.queue.waiting.extend(routing.routed)
        return routing

    def draw_down(self, requests: Requests, checks: AccountChecks, economy: Economy) -> Decisions:
        """Drawdowns past the checks, re-checked on the line with this month's parameters."""
        drawing = checks.decide & requests.has_line
        in_window = requests.processed.requests[drawing]
        return draw_down(requests.apps.subset(drawing), in_window, self.engine, self.events, economy.in_peak)

    def review(self) -> ReviewMonth | None:
        """The reviewers' month (None without people in the loop)."""
        return review(self.queue, self.engine, self.review_rng, self.accounts) if self.hitl else None

    def decide(
        self,
        requests: Requests,
        checks: AccountChecks,
        routing: Routing,
        drawdowns: Decisions,
        reviewed: ReviewMonth | None,
    ) -> MonthDecisions:
        """All of the month's decisions, in a fixed order; borrowers learn their outcome."""
        parts = [checks.blocked, routing.policy, routing.automated, drawdowns]
        if reviewed is not None:
            parts += reviewed.parts
        return conclude(parts, requests.reapplied, self.borrowers, self.month)

    def originate(self, decisions: Decisions, reviewed: ReviewMonth | None) -> Origination:
        """Lend what the room allows; every application that got no credit goes to the shadow book:
        rejected, approved but scaled to nothing by the lending room, or abandoned in the review
        queue (and every refused drawdown)."""
        approved = decisions.subset(decisions.approved)
        room = lending_room_share(
            approved,
            self.engine,
            self.funding,
            self.book,
            self.capital_rmb,
            self.action,
            self.recent_originations_rmb,
            self.scenario.regulation.growth_cap_share,
        )
        origination = originate(approved, room, self.engine, self.funding, self.book)
        self.recent_originations_rmb.append(self.book.total_rmb(origination.amount_rmb, origination.borrower))
        self.risk_model.observe_originations(origination.borrower, self.month)
        a = origination.approved
        not_offered = [
            decisions.subset(~decisions.approved & ~decisions.on_appeal),
            a.subset(~origination.offered & ~a.on_appeal & ~a.is_drawdown),
        ]
        if reviewed is not None:
            not_offered.append(reviewed.abandoned_decisions)
        self.shadow.open(Decisions.concatenate(not_offered), self.engine)
        return origination

    def collect(self) -> Collection:
        """Repayment on the real book; the risk model sees which cohorts defaulted."""
        collection = collect(self.book, self.borrowers, self.funding, self.scenario.risk.lgd, self.month)
        defaulted = collection.defaulted
        self.risk_model.observe_defaults(defaulted, collection.settled.origination_month[defaulted])
        return collection

    def collect_shadow(self) -> ShadowSettlement:
        """Repayment on the counterfactual book of refused offers."""
        return self.shadow.collect(self.borrowers, self.month)

    def book_profit(self, collection: Collection, reviewed: ReviewMonth | None) -> ProfitAndLoss:
        """The month's P&L; profit moves capital."""
        pnl = profit_and_loss(
            self.scenario.platform,
            collection,
            0.0 if reviewed is None else reviewed.cost_rmb,
            self.book,
            self.funding,
            self.law,
            self.funding_shift,
            self.scenario.risk.lgd,
            self.capital_rmb,
        )
        self.capital_rmb = pnl.capital_rmb
        return pnl

    def position(self, settled: Settlement) -> BookPosition:
        """Partners review their appetite; the book at month end."""
        return month_end_position(self.book, self.funding, settled)

    def end_of_month(self, decisions: Decisions, frozen_before: np.ndarray) -> MonthEnd:
        """Score freezes, appeals against the month's outcomes, re-estimation of the risk model."""
        month = self.month
        self.accounts.after_scores(month)
        changes = AccountChanges(self.accounts.take_changes())
        new_freezes = np.flatnonzero((self.borrowers.frozen_cause > 0) & ~frozen_before)
        filed = np.zeros(0, dtype=np.int64)
        if self.hitl and self.rules.hitl.appeals:
            filed = file_appeals(
                decisions, new_freezes, self.borrowers, self.queue, self.events, self.rules.hitl, month
            )
        self.risk_model.reestimate(month)
        estimate = (float(self.risk_model.estimate[0]), float(self.risk_model.estimate[1]))
        return MonthEnd(changes, filed, estimate, self.accounts.frozen_rows())
