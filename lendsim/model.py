"""LendingMarket: one simulated lending market, month by month (a mesa.Model).

`step()` is one month, as its phases in order (lendsim.phases): macro update → borrowers' cash flow
and debt elsewhere → the rules in force and account upkeep → credit demand → intake → account
checks → routing, drawdowns and review → origination → collection, shadow book, P&L → credit-score
update → freezes, appeals and model re-estimation → regulator inspection. Each phase returns its
outcome; `step()` hands it to the phases that need it and to the monthly records, in one place.
Mesa's step counter is the month (`month` reads `steps`). The model does no I/O: lendsim.simulate
runs it and returns its records, and `monthly_table()` gives them to a Mesa user as a tidy table.
"""

from __future__ import annotations

from typing import TypeVar

import mesa
import numpy as np
import pandas as pd

from lendsim import MODES, mesa_compat
from lendsim.agents.borrowers import Consumers, SMEs, borrow_elsewhere
from lendsim.agents.platform import Platform
from lendsim.agents.regulator import Regulator
from lendsim.economy import Economy
from lendsim.loans import Settlement
from lendsim.metrics import monthly_table
from lendsim.phases.demand import credit_demand
from lendsim.phases.records import MonthlyRecords
from lendsim.phases.scores import update_scores, visible_debt_points
from lendsim.population import BorrowerTable, BorrowerView, MonthlyDraws, build_consumers, build_smes
from lendsim.scenario import Scenario
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN
from lendsim.streams import Streams, replication_entropy

mesa_compat.install()

Outcome = TypeVar("Outcome")


class LendingMarket(mesa.Model):
    """Consumers, SMEs, the platform and the regulator under one scenario and one underwriting mode."""

    def __init__(self, scenario: Scenario, mode: str, replication: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        root = scenario.simulation.seed
        super().__init__(seed=replication_entropy(root, replication))
        self.scenario = scenario
        self.mode = mode
        self.replication = replication
        self.streams = Streams.for_replication(root, replication)
        consumer_table = build_consumers(scenario, self.streams.population, self.streams.scoring)
        sme_table = build_smes(scenario, self.streams.population, self.streams.scoring)
        self.borrowers = BorrowerTable.concatenate([consumer_table, sme_table])
        debt_points = visible_debt_points(self.borrowers, scenario.population.external_debt)
        self.borrowers.score = np.clip(self.borrowers.initial_score - debt_points, SCORE_MIN, SCORE_MAX)
        n_consumers = consumer_table.size
        self.economy = Economy(scenario, self.streams.macro)
        self.records = MonthlyRecords(scenario, self.borrowers)
        self.recorder = self.records.recorder
        self.consumers = Consumers(self, self.borrowers, slice(0, n_consumers))
        self.smes = SMEs(self, self.borrowers, slice(n_consumers, self.borrowers.size))
        self.platform = Platform(
            self, scenario, self.borrowers, mode == "hitl", self.streams.review, self.streams.events
        )
        self.regulator = Regulator(self, scenario)

    @property
    def month(self) -> int:
        """The month being (or last) simulated: Mesa's step counter, 0 before the first step."""
        return self.steps

    def record(self, outcome: Outcome) -> Outcome:
        """Add a phase's outcome to the monthly records and pass it on."""
        self.records.add(outcome, self.month)
        return outcome

    def step(self) -> None:
        """One month. Each phase's outcome goes to the records as it happens and on to the phases
        that need it; Mesa has already advanced `steps`, so `month` is this month."""
        month, economy, platform, record = self.month, self.economy, self.platform, self.record
        economy.advance(month)
        draws = MonthlyDraws.draw(self.streams.behaviour, self.borrowers.size)
        self.consumers.live(economy, draws)
        self.smes.live(economy, draws)
        borrow_elsewhere(self.borrowers, self.scenario, draws)
        ruling = record(self.regulator.rule(month))
        record(platform.begin_month(ruling, economy.funding_cost_shift, month))
        frozen_before = self.borrowers.frozen_cause > 0
        populations = [self.consumers, self.smes]
        demand = record(credit_demand(populations, self.borrowers, economy, draws, platform.book.is_open))
        requests = record(platform.take_requests(demand.asking, economy))
        checks = record(platform.check_accounts(requests))
        routing = record(platform.route(requests, checks))
        drawdowns = platform.draw_down(requests, checks, economy)
        reviewed = record(platform.review())
        decided = record(platform.decide(requests, checks, routing, drawdowns, reviewed))
        record(platform.originate(decided.decisions, reviewed))
        collection = record(platform.collect())
        record(platform.collect_shadow())
        record(platform.book_profit(collection, reviewed))
        record(platform.position(collection.settled))
        self.update_scores(collection.settled)
        record(platform.end_of_month(decided.decisions, frozen_before))
        record(self.regulator.inspect(platform))
        record(economy)

    def update_scores(self, settled: Settlement) -> None:
        """Missed instalments cost score points, clean months give them back (lendsim.phases.scores)."""
        s = self.scenario
        update_scores(self.borrowers, s.underwriting, s.population.external_debt, settled)

    def borrower(self, row: int) -> BorrowerView:
        """Borrower `row` of the table (consumers first, then SMEs), as a plain view for inspection."""
        if not 0 <= row < self.borrowers.size:
            raise IndexError(f"borrower {row} — the table has {self.borrowers.size} rows")
        return BorrowerView(self.borrowers, row)

    def run(self) -> LendingMarket:
        for _ in range(self.scenario.simulation.months):
            self.step()
        return self

    def monthly_table(self) -> pd.DataFrame:
        """The tidy monthly table of the months run so far — what Mesa's DataCollector gives in
        other models: one row per (month, segment), raw flows then rates (lendsim.metrics)."""
        table = monthly_table(self.recorder, self.mode, self.replication)
        return table[table["month"] <= self.steps].reset_index(drop=True)
