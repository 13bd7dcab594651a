"""LendingMarket: one simulated lending market, month by month (a mesa.Model).

`step()` is one month, as a short list of named phases: macro update → borrowers' cash flow →
credit demand and applications → underwriting → origination → repayment out of cash flow →
credit-score update → regulator inspection → metrics. The model does no I/O; lendsim.simulate runs
it and returns its records.
"""

from __future__ import annotations

import mesa
import numpy as np

from lendsim import MODES
from lendsim.agents.borrowers import (
    Applications,
    BorrowerTable,
    Consumers,
    MonthlyDraws,
    SMEs,
    build_consumers,
    build_smes,
)
from lendsim.agents.platform import Platform
from lendsim.agents.regulator import Regulator
from lendsim.economy import Economy
from lendsim.loans import Settlement
from lendsim.recorder import Recorder
from lendsim.scenario import Scenario
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN
from lendsim.streams import Streams, replication_entropy


class LendingMarket(mesa.Model):
    """Consumers, SMEs, the platform and the regulator under one scenario and one underwriting mode."""

    def __init__(self, scenario: Scenario, mode: str, replication: int = 0, point: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        root = scenario.simulation.seed
        super().__init__(seed=replication_entropy(root, point, replication))
        self.scenario = scenario
        self.mode = mode
        self.month = 0
        self.streams = Streams.for_replication(root, point, replication)
        consumer_table = build_consumers(scenario, self.streams.population, self.streams.scoring)
        sme_table = build_smes(scenario, self.streams.population, self.streams.scoring)
        self.borrowers = BorrowerTable.concatenate([consumer_table, sme_table])
        n_consumers = consumer_table.size
        self.economy = Economy(scenario, self.streams.macro)
        self.recorder = Recorder(
            scenario.simulation.months, self.borrowers.is_sme.astype(np.intp), ("consumer", "sme")
        )
        self.consumers = Consumers(self, self.borrowers, slice(0, n_consumers))
        self.smes = SMEs(self, self.borrowers, slice(n_consumers, self.borrowers.size))
        self.platform = Platform(
            self, scenario, self.borrowers, mode == "hitl", self.streams.review, self.recorder
        )
        self.regulator = Regulator(self, scenario.regulation, self.recorder)

    def step(self) -> None:
        self.month += 1
        self.economy.advance(self.month)
        draws = MonthlyDraws.draw(self.streams.behaviour, self.borrowers.size)
        self.consumers.live(self.economy, draws)
        self.smes.live(self.economy, draws)
        applications = self.apply(draws)
        decisions = self.platform.underwrite(applications, self.month)
        self.platform.originate(decisions, self.month)
        settled = self.platform.collect(self.month)
        self.update_scores(settled)
        self.regulator.inspect(self.platform, self.month)
        self.record_month()

    def apply(self, draws: MonthlyDraws) -> Applications:
        has_loan = self.platform.book.is_open
        return Applications.concatenate(
            [
                self.consumers.apply(draws, has_loan),
                self.smes.apply(self.economy, draws, has_loan),
            ]
        )

    def update_scores(self, settled: Settlement) -> None:
        """Missed instalments cost score points; clean months slowly give them back."""
        rules, b = self.scenario.underwriting, self.borrowers
        penalty = np.where(settled.missed, rules.score_penalty_per_missed_payment, 0.0)
        recovery = np.where(settled.clean, rules.score_recovery_per_clean_month, 0.0)
        recovered = np.minimum(b.score + recovery, np.maximum(b.initial_score, b.score))
        b.score = np.clip(recovered - penalty, SCORE_MIN, SCORE_MAX)

    def record_month(self) -> None:
        rec, month = self.recorder, self.month
        rec.set_platform("macro_factor", month, self.economy.factor)
        rec.set_platform("shock_active", month, float(self.economy.in_shock))

    def run(self) -> LendingMarket:
        for _ in range(self.scenario.simulation.months):
            self.step()
        return self
