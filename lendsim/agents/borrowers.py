"""Consumers and SMEs as Mesa agents: each population owns its slice of the borrower table.

Cash flow each month comes from income (consumers) or seasonal revenue (SMEs), moved by the
systematic factor, idiosyncratic shocks and distress spells; repayment is paid out of it. Each
population acts in one vectorised call per phase (`live`, `need`); the table itself, how it is
drawn and the month's draws live in lendsim.population.
"""

from __future__ import annotations

import mesa
import numpy as np
from scipy.special import ndtr

from lendsim.economy import Economy
from lendsim.population import Applications, BorrowerTable, BorrowerView, MonthlyDraws
from lendsim.scenario import Scenario


class Population(mesa.Agent):
    """A population of borrowers (one Mesa agent owning a slice of the columnar table).

    The whole population acts in one vectorised call per phase; `view(i)` gives one borrower.
    """

    def __init__(self, model: mesa.Model, table: BorrowerTable, rows: slice) -> None:
        super().__init__(model)
        self.table = table
        self.rows = rows
        self.rho = model.scenario.macro.asset_correlation

    @property
    def count(self) -> int:
        return self.rows.stop - self.rows.start

    def _factor(self, economy: Economy) -> np.ndarray:
        t, r = self.table, self.rows
        return economy.factor_for(t.is_sme[r], t.sector[r], t.region[r])

    def _distress(self, factor: np.ndarray, draws: MonthlyDraws, mean_months: float) -> np.ndarray:
        """Start and end distress spells; return the distressed mask of this slice. The hazard is
        conditioned on the borrower's systematic factor by the Vasicek formula
        (lendsim.capital.vasicek_conditional_pd), with the probit of the hazard precomputed."""
        t, r = self.table, self.rows
        conditional = ndtr((t.hazard_probit[r] - np.sqrt(self.rho) * factor) / np.sqrt(1.0 - self.rho))
        left = t.distress_months_left[r]
        ongoing = left > 0
        ends = ongoing & (draws.distress_exit[r] < 1.0 / mean_months)
        starts = ~ongoing & (draws.distress_onset[r] < conditional)
        left = np.where(ends, 0, left)
        left = np.where(starts, 1, left)
        t.distress_months_left[r] = left
        return left > 0

    def _need(
        self,
        apply_rate: np.ndarray | float,
        median_request: np.ndarray,
        dispersion: float,
        draws: MonthlyDraws,
        has_loan: np.ndarray,
    ) -> Applications:
        """Who needs credit this month and how much — frozen accounts included: their need is real
        (it counts in the SME funding gap) even though they cannot ask (lendsim.phases.demand)."""
        t, r = self.table, self.rows
        eligible = ~has_loan[r] & ~t.awaiting_decision[r]
        applying = eligible & (draws.apply[r] < apply_rate)
        amount = median_request * np.exp(dispersion * draws.request_size[r])
        idx = np.flatnonzero(applying)
        return Applications(borrower=idx + r.start, requested_rmb=amount[idx])

    def view(self, i: int) -> BorrowerView:
        """The i-th borrower of this population, for inspection (a plain view, not an agent)."""
        if not 0 <= i < self.count:
            raise IndexError(f"borrower {i} — this population has {self.count}")
        return BorrowerView(self.table, self.rows.start + i)


class Consumers(Population):
    """Individuals: income less living costs; distress (job loss, illness) cuts income."""

    def live(self, economy: Economy, draws: MonthlyDraws) -> None:
        cfg = self.model.scenario.population.consumers
        t, r = self.table, self.rows
        factor = self._factor(economy)
        distressed = self._distress(factor, draws, cfg.distress_months)
        beta = self.model.scenario.macro.income_beta
        shock = np.exp(
            beta * factor + cfg.income_shock_sd * draws.cash_shock[r] - 0.5 * cfg.income_shock_sd**2
        )
        income = t.base_cash_rmb[r] * shock * np.where(distressed, 1.0 - cfg.distress_income_loss, 1.0)
        t.free_cash_rmb[r] = income - cfg.expense_share * t.base_cash_rmb[r] - t.external_service_rmb[r]

    def need(self, economy: Economy, draws: MonthlyDraws, has_loan: np.ndarray) -> Applications:
        cfg = self.model.scenario.population.consumers
        median = cfg.request_income_multiple * self.table.base_cash_rmb[self.rows]
        rate = np.minimum(cfg.apply_rate * economy.demand_multiplier, 1.0)
        return self._need(rate, median, cfg.request_dispersion, draws, has_loan)


class SMEs(Population):
    """Small businesses: seasonal revenue by sector less operating costs; working-capital demand."""

    def __init__(self, model: mesa.Model, table: BorrowerTable, rows: slice) -> None:
        super().__init__(model, table, rows)
        sectors = model.scenario.population.smes.sectors
        own = table.sector[rows]
        self.seasonality = np.array([s.seasonality for s in sectors])[own]
        self.peak_month = np.array([s.peak_month for s in sectors])[own]
        self.macro_beta = np.array([s.macro_beta for s in sectors])[own]

    def live(self, economy: Economy, draws: MonthlyDraws) -> None:
        cfg = self.model.scenario.population.smes
        t, r = self.table, self.rows
        factor = self.macro_beta * self._factor(economy)
        distressed = self._distress(factor, draws, cfg.distress_months)
        season = economy.seasonal(self.seasonality, self.peak_month)
        normal_revenue = t.base_cash_rmb[r] * season
        beta = self.model.scenario.macro.income_beta
        shock = np.exp(
            beta * factor + cfg.revenue_shock_sd * draws.cash_shock[r] - 0.5 * cfg.revenue_shock_sd**2
        )
        revenue = normal_revenue * shock * np.where(distressed, 1.0 - cfg.distress_revenue_loss, 1.0)
        t.free_cash_rmb[r] = revenue - (1.0 - cfg.margin) * normal_revenue - t.external_service_rmb[r]

    def need(self, economy: Economy, draws: MonthlyDraws, has_loan: np.ndarray) -> Applications:
        """Working-capital demand rises in the month before the sector's revenue peak."""
        cfg = self.model.scenario.population.smes
        season = economy.seasonal(self.seasonality, self.peak_month, lead_months=1)
        median = cfg.request_revenue_multiple * self.table.base_cash_rmb[self.rows] * season
        rate = np.minimum(cfg.apply_rate * season * economy.demand_multiplier, 1.0)
        return self._need(rate, median, cfg.request_dispersion, draws, has_loan)


def borrow_elsewhere(table: BorrowerTable, scenario: Scenario, draws: MonthlyDraws) -> None:
    """Debt on other platforms: paid off after a while; new debt taken now and then, more often
    right after a rejection or refusal here (multi-platform borrowing)."""
    debt = scenario.population.external_debt
    if not debt.enabled:
        return
    holding = table.external_service_rmb > 0
    u = draws.debt_event
    pays_off = holding & (u < 1.0 / debt.payoff_months)
    rate = np.where(table.rejected_last_month, debt.new_debt_rate_after_rejection, debt.new_debt_rate)
    takes_new = ~holding & (u < rate)
    size = debt.service_share * table.normal_free_cash_rmb * np.exp(-0.3 * table.quality)
    table.external_service_rmb = np.where(
        pays_off, 0.0, np.where(takes_new, size, table.external_service_rmb)
    )
