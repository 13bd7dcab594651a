"""LendingMarket: one simulated lending market, month by month (a mesa.Model).

`step()` is one month, as a short list of named phases: macro update → borrowers' cash flow and
debt elsewhere → account upkeep → credit demand → requests and underwriting → origination →
repayment out of cash flow → credit-score update → freezes, appeals and model re-estimation →
regulator inspection → metrics. The model does no I/O; lendsim.simulate runs it and returns its
records.
"""

from __future__ import annotations

import mesa
import numpy as np

from lendsim import MODES, mesa_compat
from lendsim.agents.borrowers import (
    Applications,
    Borrower,
    BorrowerTable,
    Consumers,
    MonthlyDraws,
    SMEs,
    borrow_elsewhere,
    build_consumers,
    build_smes,
)
from lendsim.agents.platform import Platform
from lendsim.agents.regulator import Regulator
from lendsim.economy import Economy
from lendsim.loans import Settlement
from lendsim.recorder import Recorder, Segmentation
from lendsim.scenario import Scenario
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN, ExternalDebt
from lendsim.streams import Streams, replication_entropy

mesa_compat.install()

SCORE_BAND_EDGES = (SCORE_MIN, 550, 600, 650, 700, 750, SCORE_MAX + 1)
SCORE_BANDS = tuple(
    f"band:{lo}-{hi - 1}" for lo, hi in zip(SCORE_BAND_EDGES[:-1], SCORE_BAND_EDGES[1:], strict=True)
)
BAND_SEGMENTATION = 1  # index of the score-band segmentation in the recorder


def score_band(score: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(SCORE_BAND_EDGES[1:-1], dtype=float), score, side="right").astype(
        np.intp
    )


def segmentations(scenario: Scenario, borrowers: BorrowerTable) -> list[Segmentation]:
    """Kind first (columns 0, 1 = consumer, SME), then score band, sector (SMEs), region."""
    sectors = tuple(f"sector:{s.name}" for s in scenario.population.smes.sectors)
    regions = tuple(f"region:{r.name}" for r in scenario.population.regions)
    return [
        Segmentation(("consumer", "sme"), borrowers.is_sme.astype(np.intp)),
        Segmentation(SCORE_BANDS, score_band(borrowers.score)),
        Segmentation(sectors, borrowers.sector.astype(np.intp)),
        Segmentation(regions, borrowers.region.astype(np.intp)),
    ]


def visible_debt_points(b: BorrowerTable, debt: ExternalDebt) -> np.ndarray:
    """Score points lost to debt elsewhere that the platform's data can see (debt-service ratio)."""
    ratio = np.divide(
        b.external_service_rmb, b.normal_free_cash_rmb, out=np.zeros(b.size), where=b.normal_free_cash_rmb > 0
    )
    return debt.score_points_per_debt_ratio * ratio * b.debt_visible


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
        debt_points = visible_debt_points(self.borrowers, scenario.population.external_debt)
        self.borrowers.score = np.clip(self.borrowers.initial_score - debt_points, SCORE_MIN, SCORE_MAX)
        n_consumers = consumer_table.size
        self.economy = Economy(scenario, self.streams.macro)
        self.recorder = Recorder(scenario.simulation.months, segmentations(scenario, self.borrowers))
        self.consumers = Consumers(self, self.borrowers, slice(0, n_consumers))
        self.smes = SMEs(self, self.borrowers, slice(n_consumers, self.borrowers.size))
        self.platform = Platform(
            self,
            scenario,
            self.borrowers,
            mode == "hitl",
            self.streams.review,
            self.streams.events,
            self.recorder,
        )
        self.regulator = Regulator(self, scenario, self.recorder)

    def step(self) -> None:
        self.month += 1
        self.economy.advance(self.month)
        draws = MonthlyDraws.draw(self.streams.behaviour, self.borrowers.size)
        self.consumers.live(self.economy, draws)
        self.smes.live(self.economy, draws)
        borrow_elsewhere(self.borrowers, self.scenario, draws)
        self.regulator.begin_month(self.platform, self.month)
        self.platform.funding_shift = self.economy.funding_cost_shift
        self.platform.accounts.start_of_month(self.month)
        frozen_before = self.borrowers.frozen_cause > 0
        needs = self.credit_demand(draws)
        decisions = self.platform.underwrite(needs, self.month, self.economy)
        self.platform.originate(decisions, self.month)
        settled = self.platform.collect(self.month)
        self.update_scores(settled)
        self.platform.end_of_month(self.month, decisions, frozen_before)
        self.regulator.inspect(self.platform, self.month)
        self.record_month()

    def credit_demand(self, draws: MonthlyDraws) -> Applications:
        """Who needs credit this month. Viable SME demand counts even when it cannot be asked for
        (a frozen account); only borrowers free to ask go on to the platform."""
        has_loan = self.platform.book.is_open
        needs = Applications.concatenate(
            [
                self.consumers.need(self.economy, draws, has_loan),
                self.smes.need(self.economy, draws, has_loan),
            ]
        )
        self.platform.record_demand(needs, self.month)
        b = self.borrowers
        band = self.recorder.segmentations[BAND_SEGMENTATION].group_of_row
        band[needs.borrower] = score_band(b.score[needs.borrower])
        return needs.subset(b.frozen_cause[needs.borrower] == 0)

    def update_scores(self, settled: Settlement) -> None:
        """Missed instalments cost score points, clean months slowly give them back; debt elsewhere
        that the platform's data can see lowers the score too."""
        rules, b = self.scenario.underwriting, self.borrowers
        debt = self.scenario.population.external_debt
        b.clean_months = np.where(settled.missed, 0, b.clean_months + 1)
        recovered = np.minimum(b.history_points + rules.score_recovery_per_clean_month, 0.0)
        b.history_points = np.where(
            settled.missed, b.history_points - rules.score_penalty_per_missed_payment, recovered
        )
        b.score = np.clip(
            b.initial_score + b.history_points - visible_debt_points(b, debt), SCORE_MIN, SCORE_MAX
        )

    def record_month(self) -> None:
        rec, month, economy = self.recorder, self.month, self.economy
        rec.set_platform("macro_factor", month, economy.factor)
        rec.set_platform("shock_active", month, float(economy.in_shock))
        rec.set_platform("peak_month", month, float(economy.in_peak))
        rec.set_platform("maintenance", month, float(economy.downtime > 0))

    def borrower(self, row: int) -> Borrower:
        """Borrower `row` of the table (consumers first, then SMEs) as an inspectable Mesa agent."""
        if not 0 <= row < self.borrowers.size:
            raise IndexError(f"borrower {row} — the table has {self.borrowers.size} rows")
        return Borrower(self, self.borrowers, row)

    def run(self) -> LendingMarket:
        for _ in range(self.scenario.simulation.months):
            self.step()
        return self
