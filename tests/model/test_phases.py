"""Each phase of the month on its own: a ten-row borrower table, columns set by hand, no simulation.

Rows 0–5 are consumers, 6–9 SMEs. Every test states one behaviour of one phase (lendsim.phases).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from lendsim.accounts import Accounts
from lendsim.funding import Funding
from lendsim.loans import LoanBook
from lendsim.operations import Operations, Processed
from lendsim.phases.account_checks import check_accounts
from lendsim.phases.collection import collect, month_end_position
from lendsim.phases.decisions import Decisions, conclude, decided, refused_all
from lendsim.phases.demand import Demand, credit_demand
from lendsim.phases.drawdown import draw_down, refusal_reason
from lendsim.phases.intake import Requests, take_requests
from lendsim.phases.month_end import file_appeals
from lendsim.phases.origination import lending_room_share, originate
from lendsim.phases.profit import profit_and_loss
from lendsim.phases.records import MonthlyRecords, score_band
from lendsim.phases.review import review
from lendsim.phases.routing import route
from lendsim.phases.scores import update_scores
from lendsim.phases.shadow import ShadowBook
from lendsim.phases.supervision import escalation, inspect, rule
from lendsim.population import Applications, BorrowerTable, build_consumers, build_smes
from lendsim.reasons import Failure, Freeze, Refusal, Rejection
from lendsim.regulation import GROWTH_CAP, NO_ACTION, SUSPENSION, WARNING, RulesInForce
from lendsim.scenario import Scenario
from lendsim.streams import KeyedUniforms
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.model_risk import RiskModel
from lendsim.underwriting.policy import Restrictions
from lendsim.underwriting.review import (
    APPLICATION,
    CREDIT_APPEAL,
    FREEZE_APPEAL,
    QueuedApplications,
    ReviewQueue,
)
from tests.conftest import tweak

CALM = SimpleNamespace(downtime=0.0, in_peak=False)  # the parts of Economy the intake reads


@pytest.fixture
def small(tiny_scenario: Scenario) -> Scenario:
    """Six consumers and four SMEs, each one real borrower; the engine prices at the base APR (no
    risk premium)."""
    return tweak(
        tiny_scenario,
        population__consumers__count=6,
        population__consumers__represents=6,
        population__smes__count=4,
        population__smes__represents=4,
        underwriting__risk_premium=0.0,
        underwriting__model__data_lag_months=0,
    )


def table(scenario: Scenario) -> BorrowerTable:
    rng = np.random.default_rng(0)
    t = BorrowerTable.concatenate([build_consumers(scenario, rng, rng), build_smes(scenario, rng, rng)])
    t.score[:] = 750.0
    t.prober[:] = False
    return t


def engine(scenario: Scenario, t: BorrowerTable, month: int = 1) -> Engine:
    return Engine(
        scenario.underwriting,
        RulesInForce.at(scenario.regulation, month),
        RiskModel(scenario, t.is_sme, t.signal_corr),
        Restrictions(scenario),
        t,
        scenario.risk.lgd,
        month,
    )


def queued(
    rows: list[int],
    requested_rmb: float = 5_000.0,
    kind: int = APPLICATION,
    drawdown: bool | list[bool] = False,
) -> QueuedApplications:
    borrower = np.asarray(rows, dtype=np.int64)
    requested = np.full(borrower.size, requested_rmb)
    return QueuedApplications.of(borrower, requested, 1, kind, np.asarray(drawdown, dtype=bool))


# --- demand --------------------------------------------------------------------------------------


def test_demand_keeps_viable_sme_demand_apart_and_lets_only_open_accounts_ask(small):
    t = table(small)
    t.viable[:] = False
    t.viable[7] = True
    t.frozen_cause[2] = Freeze.IDENTITY

    class Needs:
        def __init__(self, rows: list[int]) -> None:
            self.rows = np.array(rows)

        def need(self, economy, draws, has_loan) -> Applications:  # noqa: ANN001
            return Applications(self.rows, np.full(self.rows.size, 500.0))

    demand = credit_demand([Needs([1, 2]), Needs([7, 8])], t, CALM, None, np.zeros(t.size, dtype=bool))
    assert demand.needs.borrower.tolist() == [1, 2, 7, 8]
    assert demand.sme_viable.tolist() == [False, False, True, False]
    assert demand.asking.borrower.tolist() == [1, 7, 8]


# --- intake --------------------------------------------------------------------------------------


def test_intake_tells_drawdowns_from_applications_and_defers_a_hopeless_reapplication(small):
    s = tweak(
        small,
        reasons__actionable=True,
        underwriting__drawdown__credit_lines=True,
        capacity__requests_per_month=0.0,  # unlimited: every request gets through
    )
    t = table(s)
    t.line_limit_rmb[0], t.line_expires[0] = 8_000.0, 12  # a line on show
    t.last_rejection[1], t.score[1] = Rejection.SCORE, 400.0  # told "score too low", still below
    t.last_rejection[2] = Rejection.POLICY  # applies again after another rejection
    asking = Applications(np.array([0, 1, 2, 3]), np.full(4, 2_000.0))
    operations = Operations(s.capacity, t.weight, KeyedUniforms(1))
    requests = take_requests(asking, engine(s, t), operations, CALM, True, 0)
    assert requests.borrower.tolist() == [0, 2, 3]
    assert requests.has_line.tolist() == [True, False, False]
    assert requests.reapplied.tolist() == [2]
    assert requests.processed.requests.tolist() == [1, 1, 1]


# --- account checks ------------------------------------------------------------------------------


def test_account_checks_freeze_and_turn_down_requests_with_the_freezes_reason(small):
    s = tweak(
        small, underwriting__accounts__velocity_max_requests=2, underwriting__accounts__identity_checks=True
    )
    t = table(s)
    t.identity_stale[3] = True
    accounts = Accounts(s, t, KeyedUniforms(1))
    processed = Processed(
        through=np.array([True, True, True, False]),
        requests=np.array([1, 3, 1, 2]),
        failed_attempts=np.zeros(4, dtype=np.int32),
        lost_cause=np.array([0, 0, 0, Failure.DOWNTIME], dtype=np.int8),
        overload_share=0.0,
    )
    requests = Requests(queued([1, 2, 3, 4], drawdown=[False, True, False, False]), processed, np.zeros(0))
    checks = check_accounts(accounts, requests, month=1)
    assert checks.decide.tolist() == [True, False, False, False]
    assert checks.blocked.borrower.tolist() == [2, 3]
    assert checks.blocked.reason.tolist() == [Refusal.VELOCITY, Rejection.IDENTITY]
    frozen = [(c.cause, c.rows.tolist()) for c in checks.changes.changes if c.rows.size]
    assert frozen == [(Freeze.MAINTENANCE, [4]), (Freeze.VELOCITY, [2]), (Freeze.IDENTITY, [3])]
    assert accounts.take_changes() == ()  # handed over once


# --- routing -------------------------------------------------------------------------------------


def test_routing_queues_near_cutoff_applications_and_rejects_closed_sectors(small):
    closed = small.population.smes.sectors[0].name
    s = tweak(
        small,
        underwriting__hitl__score_band=20.0,
        underwriting__hitl__review_thin_file_smes=False,
        policy__restrictions=[{"sectors": [closed], "start_month": 1}],
    )
    t = table(s)
    t.score[1] = s.underwriting.cutoff + 5.0
    t.sector[6:] = [0, 1, 1, 1]
    with_people = route(queued([0, 1, 6, 7]), engine(s, t), s.underwriting.hitl)
    assert with_people.routed.borrower.tolist() == [1]
    assert with_people.policy.borrower.tolist() == [6]
    assert with_people.policy.reason.tolist() == [Rejection.POLICY]
    assert with_people.automated.borrower.tolist() == [0, 7]
    engine_only = route(queued([0, 1, 6, 7]), engine(s, t), None)
    assert len(engine_only.routed) == 0
    assert engine_only.automated.borrower.tolist() == [0, 1, 7]


# --- drawdown ------------------------------------------------------------------------------------


def test_the_first_failing_check_in_priority_order_names_the_refusal():
    checks = [(np.array([0, 1, 0, 0], dtype=bool), 5), (np.array([0, 1, 1, 0], dtype=bool), 1)]
    assert refusal_reason(checks, 4).tolist() == [0, 5, 1, 0]


def test_a_line_a_reviewer_granted_keeps_the_reviewers_judgement_on_the_score(small):
    s = tweak(
        small,
        underwriting__drawdown__anomaly_flag_rate=0.0,
        underwriting__drawdown__reviewed_lines_skip_score_check=True,
    )
    t = table(s)
    t.score[[0, 1]] = s.underwriting.cutoff - 50.0
    t.reviewed_line[1] = True
    t.line_limit_rmb[[0, 1]] = 10_000.0
    d = draw_down(queued([0, 1], 20_000.0, drawdown=True), np.ones(2), engine(s, t), KeyedUniforms(3), False)
    assert d.reason.tolist() == [Refusal.SCORE, 0]
    assert d.approved.tolist() == [False, True]
    assert d.amount_rmb.tolist() == [10_000.0, 10_000.0]  # never more than the line


# --- review --------------------------------------------------------------------------------------


@pytest.fixture
def team(small: Scenario) -> Scenario:
    """One noiseless reviewer with two reviews a month; overflow waits."""
    return tweak(
        small,
        underwriting__hitl__reviewers=1,
        underwriting__hitl__reviews_per_reviewer_month=2,
        underwriting__hitl__overflow="wait",
        underwriting__hitl__max_wait_months=3,
        underwriting__hitl__soft_info_noise=0.0,
        underwriting__hitl__cost_per_review_rmb=50.0,
    )


def test_reviewers_take_the_queue_up_to_capacity_and_the_rest_waits(team):
    t = table(team)
    queue = ReviewQueue(team.underwriting.hitl)
    queue.waiting = queued([0, 6, 2])
    month = review(queue, engine(team, t), np.random.default_rng(0), Accounts(team, t, KeyedUniforms(0)))
    assert month.reviewed.borrower.tolist() == [0, 6]
    assert month.waiting.tolist() == [2] and t.awaiting_decision.tolist() == [i == 2 for i in range(10)]
    pay = team.underwriting.hitl.cost_per_reviewer_month_rmb  # one reviewer, paid busy or not
    assert month.cost_by_kind_rmb.tolist() == [50.0, 50.0] and month.staff_cost_rmb == pay
    assert month.cost_rmb == 100.0 + pay
    assert month.first.decisions.reviewed.all()


def test_a_noiseless_reviewer_approves_a_sound_borrower_the_score_would_reject(team):
    t = table(team)
    t.score[0], t.quality[0] = team.underwriting.cutoff - 30.0, 3.0
    queue = ReviewQueue(team.underwriting.hitl)
    queue.waiting = queued([0])
    month = review(queue, engine(team, t), np.random.default_rng(0), Accounts(team, t, KeyedUniforms(0)))
    assert month.first.decisions.approved.tolist() == [True]
    assert month.first.overturned_rejections.tolist() == [0]


def test_a_reviewer_lifts_a_velocity_freeze_on_appeal(team):
    t = table(team)
    t.frozen_cause[3] = Freeze.VELOCITY
    queue = ReviewQueue(team.underwriting.hitl)
    queue.waiting = queued([3], kind=FREEZE_APPEAL)
    month = review(queue, engine(team, t), np.random.default_rng(0), Accounts(team, t, KeyedUniforms(0)))
    assert t.frozen_cause[3] == 0
    assert [(c.path, c.rows.tolist()) for c in month.changes.changes] == [("appeal", [3])]
    assert len(month.first.decisions.borrower) == 0


# --- decisions -----------------------------------------------------------------------------------


def test_borrowers_learn_their_outcome_and_a_reapplication_is_flagged(small):
    t = table(small)
    t.last_rejection[2] = Rejection.SCORE
    rejected = refused_all(queued([1]), np.array([Rejection.SCORE]))
    approved = decided(
        queued([2]), np.array([True]), np.array([5e3]), np.array([0.1]), np.array([3]), np.zeros(1)
    )
    month = conclude([rejected, approved], np.array([2]), t, month=1)
    assert month.decisions.borrower.tolist() == [1, 2]
    assert month.reapplication.tolist() == [False, True]
    assert t.last_rejection[[1, 2]].tolist() == [Rejection.SCORE, 0]
    assert t.rejected_last_month[[1, 2]].tolist() == [True, False]


# --- origination ---------------------------------------------------------------------------------


def approvals(rows: list[int], amounts: list[float]) -> Decisions:
    n = len(rows)
    apps = QueuedApplications.of(np.array(rows), np.array(amounts, dtype=float), 1, APPLICATION)
    return decided(
        apps, np.ones(n, bool), np.array(amounts, float), np.full(n, 0.1), np.full(n, 3), np.zeros(n)
    )


def test_a_suspension_leaves_no_room_and_a_growth_cap_holds_lending_to_its_share_of_the_recent_average(small):
    t = table(small)
    d = approvals([0, 1], [1_000.0, 1_000.0])
    funding, book, rich = Funding(small, KeyedUniforms(0)), LoanBook(t.size, False), 1e12
    room = lending_room_share(d, engine(small, t), funding, book, rich, SUSPENSION, [], 0.5)
    assert room == (0.0, "suspension")
    recent = [1_000.0, 1_000.0, 1_000.0]
    room = lending_room_share(d, engine(small, t), funding, book, rich, GROWTH_CAP, recent, 0.5)
    assert room == (0.25, "growth_cap")


def test_origination_scales_every_amount_alike_and_drops_what_falls_below_the_minimum(small):
    s = tweak(small, underwriting__drawdown__credit_lines=True)
    t = table(s)
    book = LoanBook(t.size, False)
    done = originate(
        approvals([0, 1], [10_000.0, 150.0]),
        (0.5, "capital"),
        engine(s, t),
        Funding(s, KeyedUniforms(0)),
        book,
    )
    assert done.lost_rmb.tolist() == [5_000.0, 75.0]
    assert done.borrower.tolist() == [0] and done.amount_rmb.tolist() == [5_000.0]
    assert book.is_open[[0, 1]].tolist() == [True, False]
    assert t.line_limit_rmb[0] > 0 and t.line_limit_rmb[1] == 0


# --- collection and the shadow book --------------------------------------------------------------


def test_collection_pays_out_of_cash_and_savings_and_keeps_what_is_left(small):
    t = table(small)
    t.free_cash_rmb[:], t.savings_rmb[:], t.savings_cap_rmb[:] = 50.0, 100.0, 1e9
    book = LoanBook(t.size, False)
    book.open(np.array([0]), np.array([1_200.0]), np.array([0.0]), np.array([12]), month=1)
    c = collect(book, t, Funding(small, KeyedUniforms(0)), 0.5, month=2)
    assert c.was_open.tolist() == [0] and c.book_start_rmb == 1_200.0
    assert c.settled.paid_rmb[0] == 100.0
    assert t.savings_rmb[0] == 50.0 and (t.savings_rmb[1:] == 150.0).all()


def test_a_loan_that_reaches_90_dpd_defaults_and_loses_lgd_of_its_balance(small):
    t = table(small)
    t.free_cash_rmb[:], t.savings_rmb[:] = 0.0, 0.0
    book = LoanBook(t.size, False)
    book.open(np.array([4]), np.array([1_200.0]), np.array([0.0]), np.array([12]), month=1)
    book.days_past_due[4] = 60
    funding = Funding(small, KeyedUniforms(0))
    c = collect(book, t, funding, 0.5, month=2)
    assert c.defaulted.tolist() == [4] and c.credit_losses_rmb.tolist() == [600.0]
    position = month_end_position(book, funding, c.settled)
    assert position.open_borrower.size == 0 and position.written_off_rmb.tolist() == [1_200.0]


def test_a_refused_offer_repaid_from_the_borrowers_own_cash_is_a_false_rejection(small):
    t = table(small)
    t.free_cash_rmb[:], t.savings_cap_rmb[:] = 1e6, 1e9
    shadow = ShadowBook(t.size, False)
    shadow.open(refused_all(queued([1, 1, 2], 1_000.0), np.full(3, Rejection.SCORE)), engine(small, t))
    assert shadow.book.is_open.nonzero()[0].tolist() == [1, 2]  # one shadow loan per borrower
    resolved = [shadow.collect(t, month) for month in range(2, 2 + small.underwriting.automated_term_months)]
    last = resolved[-1]
    assert last.borrower.tolist() == [1, 2] and last.repaid.all()
    assert last.cohort_month.tolist() == [1, 1] and not last.is_refusal.any()


# --- P&L -----------------------------------------------------------------------------------------


def test_the_review_cost_reported_by_the_review_phase_comes_off_profit_and_profit_moves_capital(small):
    t = table(small)
    book, funding = LoanBook(t.size, False), Funding(small, KeyedUniforms(0))
    law = RulesInForce.at(small.regulation, 1)
    c = collect(book, t, funding, 0.5, month=1)
    free, paid = (
        profit_and_loss(small.platform, c, cost, book, funding, law, 0.0, 0.5, 1_000.0)
        for cost in (0.0, 120.0)
    )
    assert free.profit_rmb - paid.profit_rmb == 120.0
    assert paid.capital_rmb == 1_000.0 + paid.profit_rmb


# --- scores, month end, supervision --------------------------------------------------------------


def test_a_missed_instalment_costs_points_and_a_clean_month_gives_some_back(small):
    t = table(small)
    t.initial_score[:] = t.score[:] = 700.0
    t.debt_visible[:] = False
    missed = np.zeros(t.size, dtype=bool)
    missed[0] = True
    uw, debt = small.underwriting, small.population.external_debt
    update_scores(t, uw, debt, SimpleNamespace(missed=missed))
    assert t.score[0] == 700.0 - uw.score_penalty_per_missed_payment and t.score[1] == 700.0
    update_scores(t, uw, debt, SimpleNamespace(missed=np.zeros(t.size, dtype=bool)))
    assert t.score[0] == 700.0 - uw.score_penalty_per_missed_payment + uw.score_recovery_per_clean_month


def test_turned_down_borrowers_and_newly_frozen_accounts_appeal(small):
    s = tweak(small, underwriting__hitl__appeal_rate=1.0)
    t = table(s)
    t.frozen_cause[[4, 5]] = [Freeze.VELOCITY, Freeze.REGULATOR]
    d = Decisions.concatenate(
        [
            refused_all(queued([1]), np.array([Rejection.SCORE])),
            refused_all(queued([2]), np.array([Rejection.POLICY])),  # nothing a reviewer can change
            refused_all(queued([3], drawdown=True), np.array([Refusal.ANOMALY])),
        ]
    )
    queue = ReviewQueue(s.underwriting.hitl)
    filed = file_appeals(d, np.array([4, 5]), t, queue, KeyedUniforms(0), s.underwriting.hitl, month=1)
    assert filed.tolist() == [1, 3, 4]
    assert queue.waiting.kind.tolist() == [CREDIT_APPEAL, CREDIT_APPEAL, FREEZE_APPEAL]
    assert t.awaiting_decision[[1, 3, 4]].tolist() == [True, True, False]


def test_a_lasting_breach_escalates_from_warning_to_growth_cap_to_suspension():
    levels = [escalation(months, cure_months=2) for months in range(6)]
    assert levels == [NO_ACTION, WARNING, WARNING, GROWTH_CAP, GROWTH_CAP, SUSPENSION]


def test_inspection_finds_a_breach_when_capital_no_longer_covers_the_book(small):
    law = RulesInForce.at(small.regulation, 1)
    assert not inspect(law, capital_rmb=100.0, rwa_rmb=100.0, own_book_rmb=100.0).breach
    short = inspect(law, capital_rmb=1.0, rwa_rmb=1_000.0, own_book_rmb=100.0)
    assert short.breach and short.capital_ratio == 0.001


def test_the_action_in_force_is_the_stronger_of_escalation_and_schedule(small):
    s = tweak(small, regulation__actions=[{"start_month": 3, "duration_months": 2, "action": "growth_cap"}])
    assert rule(s.regulation, WARNING, 3).action == GROWTH_CAP
    assert rule(s.regulation, SUSPENSION, 4).action == SUSPENSION
    assert rule(s.regulation, NO_ACTION, 5).action == NO_ACTION


# --- records -------------------------------------------------------------------------------------


def test_demand_moves_borrowers_with_a_need_to_their_current_score_band(small):
    t = table(small)
    records = MonthlyRecords(small, t)
    t.score[[1, 2]] = 560.0
    needs = Applications(np.array([1]), np.array([100.0]))
    records.add(Demand(needs, np.array([False]), needs), month=1)
    band = records.score_bands.group_of_row
    assert band[1] == score_band(np.array([560.0]))[0] != band[2]


def test_the_review_cost_in_the_p_and_l_is_the_review_cost_on_record(team):
    t = table(team)
    records = MonthlyRecords(team, t)
    queue = ReviewQueue(team.underwriting.hitl)
    queue.waiting = queued([0, 6])
    month = review(queue, engine(team, t), np.random.default_rng(0), Accounts(team, t, KeyedUniforms(0)))
    records.add(month, month=1)
    pay = team.underwriting.hitl.cost_per_reviewer_month_rmb
    assert records.recorder.flows["review_cost"][1][:2].sum() == month.cost_rmb == 100.0 + pay
    assert records.recorder.platform["review_staff_cost_rmb"][1] == pay


def test_a_frozen_account_still_needs_credit_but_cannot_ask(tiny_scenario):
    """The SME funding gap counts viable demand a frozen account could not ask for."""
    from lendsim.model import LendingMarket
    from lendsim.population import MonthlyDraws

    model = LendingMarket(tiny_scenario, "automated")
    t = model.borrowers
    draws = MonthlyDraws.draw(np.random.default_rng(1), t.size)
    draws.apply[:] = 0.0  # everyone needs credit this month
    t.frozen_cause[model.smes.rows] = Freeze.SCORE
    no_loans = np.zeros(t.size, dtype=bool)
    model.economy.advance(1)
    demand = credit_demand([model.consumers, model.smes], t, model.economy, draws, no_loans)
    smes = np.arange(model.smes.rows.start, model.smes.rows.stop)
    assert set(smes) <= set(demand.needs.borrower.tolist())
    assert not set(smes) & set(demand.asking.borrower.tolist())
    assert demand.sme_viable.sum() == t.viable[smes].sum() > 0
