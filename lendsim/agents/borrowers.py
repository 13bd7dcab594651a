"""Borrowers as columns: consumers and SMEs share one table, each population owns its slice.

Every borrower has a true creditworthiness (`quality`, N(0, 1)) that sets its yearly distress PD,
and an online score (350–950) that sees that quality only through a noisy signal. For an SME the
true quality is part online, part offline (order book, management, local reputation): the score
sees the online part alone, so creditworthy SMEs with thin online files are rejected and some weak
ones pass. Cash flow each month comes from income (consumers) or seasonal revenue (SMEs), moved by
the systematic factor, idiosyncratic shocks and distress spells; repayment is paid out of it.

Index layout: consumers are rows [0, n_consumers), SMEs rows [n_consumers, n). The monthly hot path
works on whole columns; a single borrower is inspectable through `BorrowerView`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import mesa
import numpy as np
from scipy.special import ndtr, ndtri

from lendsim.capital import vasicek_conditional_pd
from lendsim.economy import Economy
from lendsim.scenario import Scenario
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN

SCORE_CENTRE = 650.0
SCORE_SCALE = 100.0


def annual_pd(quality: np.ndarray, mean_pd: float, slope: float) -> np.ndarray:
    """Yearly distress PD = N(a − slope · quality), with `a` set so the population mean is `mean_pd`."""
    intercept = ndtri(mean_pd) * np.sqrt(1.0 + slope**2)
    return ndtr(intercept - slope * quality)


def monthly_hazard(yearly_pd: np.ndarray) -> np.ndarray:
    return 1.0 - (1.0 - yearly_pd) ** (1.0 / 12.0)


@dataclass
class BorrowerTable:
    """Columns for all borrowers. Static columns are set once; the rest is monthly state."""

    is_sme: np.ndarray
    sector: np.ndarray  # −1 for consumers
    quality: np.ndarray  # true creditworthiness, N(0, 1)
    yearly_pd: np.ndarray  # true yearly distress PD (from quality)
    hazard: np.ndarray  # unconditional monthly distress hazard
    signal_corr: np.ndarray  # correlation of the score signal with true quality
    thin_file: np.ndarray
    viable: np.ndarray  # SMEs only: true fundamentals make it a sound borrower
    base_cash_rmb: np.ndarray  # monthly income (consumers) or revenue (SMEs) in a normal month
    normal_free_cash_rmb: np.ndarray  # what a normal month leaves for debt service
    initial_score: np.ndarray
    score: np.ndarray
    savings_rmb: np.ndarray
    savings_cap_rmb: np.ndarray
    distress_months_left: np.ndarray
    free_cash_rmb: np.ndarray  # this month's cash flow after living or operating costs
    awaiting_decision: np.ndarray  # an application sits in the review queue

    @property
    def size(self) -> int:
        return int(self.is_sme.size)

    @classmethod
    def concatenate(cls, parts: list[BorrowerTable]) -> BorrowerTable:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})


def _score_from_signal(signal: np.ndarray) -> np.ndarray:
    return np.clip(SCORE_CENTRE + SCORE_SCALE * signal, SCORE_MIN, SCORE_MAX)


def _buffer_spread(quality: np.ndarray, corr: float, rng: np.random.Generator) -> np.ndarray:
    """Lognormal spread of liquid buffers (log s.d. 0.8), correlated with true quality: sounder
    borrowers tend to hold more savings, which is part of why they are sounder."""
    z = corr * quality + np.sqrt(1.0 - corr**2) * rng.standard_normal(quality.size)
    return np.exp(0.8 * z)


def _empty_state(n: int) -> dict[str, np.ndarray]:
    return {
        "distress_months_left": np.zeros(n, dtype=np.int32),
        "free_cash_rmb": np.zeros(n),
        "awaiting_decision": np.zeros(n, dtype=bool),
    }


def build_consumers(
    scenario: Scenario, population_rng: np.random.Generator, scoring_rng: np.random.Generator
) -> BorrowerTable:
    """Draw the consumer population: income, savings, latent quality and the score that sees it."""
    cfg = scenario.population.consumers
    n = cfg.count
    income = cfg.income_median_rmb * np.exp(cfg.income_dispersion * population_rng.standard_normal(n))
    quality = population_rng.standard_normal(n)
    savings = cfg.savings_months * income * _buffer_spread(quality, cfg.savings_quality_corr, population_rng)
    discrimination = scenario.underwriting.consumer_score_discrimination
    noise = scoring_rng.standard_normal(n)
    signal = discrimination * quality + np.sqrt(1.0 - discrimination**2) * noise
    score = _score_from_signal(signal)
    yearly = annual_pd(quality, cfg.annual_distress_pd, cfg.quality_dispersion)
    return BorrowerTable(
        is_sme=np.zeros(n, dtype=bool),
        sector=np.full(n, -1, dtype=np.int16),
        quality=quality,
        yearly_pd=yearly,
        hazard=monthly_hazard(yearly),
        signal_corr=np.full(n, discrimination),
        thin_file=np.zeros(n, dtype=bool),
        viable=np.zeros(n, dtype=bool),
        base_cash_rmb=income,
        normal_free_cash_rmb=(1.0 - cfg.expense_share) * income,
        initial_score=score,
        score=score.copy(),
        savings_rmb=savings,
        savings_cap_rmb=np.maximum(2.0 * savings, 0.5 * income),
        **_empty_state(n),
    )


def build_smes(
    scenario: Scenario, population_rng: np.random.Generator, scoring_rng: np.random.Generator
) -> BorrowerTable:
    """Draw the SMEs: sector, revenue, online and offline quality, and the score of the online part."""
    cfg = scenario.population.smes
    n = cfg.count
    shares = np.array([s.share for s in cfg.sectors])
    sector = population_rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int16)
    revenue = cfg.revenue_median_rmb * np.exp(cfg.revenue_dispersion * population_rng.standard_normal(n))
    online = population_rng.standard_normal(n)
    offline = population_rng.standard_normal(n)
    quality = np.sqrt(cfg.offline_weight) * offline + np.sqrt(1.0 - cfg.offline_weight) * online
    thin = population_rng.random(n) < cfg.thin_file_share
    savings = (
        cfg.savings_months
        * cfg.margin
        * revenue
        * _buffer_spread(quality, cfg.savings_quality_corr, population_rng)
    )
    uw = scenario.underwriting
    file_corr = np.where(thin, uw.thin_file_discrimination, uw.sme_score_discrimination)
    noise = scoring_rng.standard_normal(n)
    signal = file_corr * online + np.sqrt(1.0 - file_corr**2) * noise
    score = _score_from_signal(signal)
    yearly = annual_pd(quality, cfg.annual_distress_pd, cfg.quality_dispersion)
    return BorrowerTable(
        is_sme=np.ones(n, dtype=bool),
        sector=sector,
        quality=quality,
        yearly_pd=yearly,
        hazard=monthly_hazard(yearly),
        signal_corr=file_corr * np.sqrt(1.0 - cfg.offline_weight),
        thin_file=thin,
        viable=yearly <= cfg.viable_max_annual_pd,
        base_cash_rmb=revenue,
        normal_free_cash_rmb=cfg.margin * revenue,
        initial_score=score,
        score=score.copy(),
        savings_rmb=savings,
        savings_cap_rmb=np.maximum(2.0 * savings, 0.5 * cfg.margin * revenue),
        **_empty_state(n),
    )


@dataclass(frozen=True)
class MonthlyDraws:
    """The behaviour stream's draws for one month: one number per borrower, whatever the state."""

    distress_onset: np.ndarray
    distress_exit: np.ndarray
    cash_shock: np.ndarray
    apply: np.ndarray
    request_size: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> MonthlyDraws:
        return cls(
            distress_onset=rng.random(n),
            distress_exit=rng.random(n),
            cash_shock=rng.standard_normal(n),
            apply=rng.random(n),
            request_size=rng.standard_normal(n),
        )


@dataclass(frozen=True)
class Applications:
    """This month's new credit applications (row indices into the borrower table)."""

    borrower: np.ndarray
    requested_rmb: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[Applications]) -> Applications:
        return cls(
            borrower=np.concatenate([p.borrower for p in parts]),
            requested_rmb=np.concatenate([p.requested_rmb for p in parts]),
        )


class Population(mesa.Agent):
    """A population of borrowers (one Mesa agent owning a slice of the columnar table).

    The whole population acts in one vectorised call per phase; `view(i)` gives one borrower.
    """

    def __init__(self, model: mesa.Model, table: BorrowerTable, rows: slice) -> None:
        super().__init__(model)
        self.table = table
        self.rows = rows

    @property
    def count(self) -> int:
        return self.rows.stop - self.rows.start

    def _distress(
        self,
        economy_factor: float,
        beta: np.ndarray | float,
        rho: float,
        draws: MonthlyDraws,
        mean_months: float,
    ) -> np.ndarray:
        """Start and end distress spells; return the distressed mask of this slice."""
        t, r = self.table, self.rows
        conditional = vasicek_conditional_pd(t.hazard[r], rho, beta * economy_factor)
        left = t.distress_months_left[r]
        ongoing = left > 0
        ends = ongoing & (draws.distress_exit[r] < 1.0 / mean_months)
        starts = ~ongoing & (draws.distress_onset[r] < conditional)
        left = np.where(ends, 0, left)
        left = np.where(starts, 1, left)
        t.distress_months_left[r] = left
        return left > 0

    def _apply(
        self,
        apply_rate: np.ndarray | float,
        median_request: np.ndarray,
        dispersion: float,
        draws: MonthlyDraws,
        has_loan: np.ndarray,
    ) -> Applications:
        t, r = self.table, self.rows
        eligible = ~has_loan[r] & ~t.awaiting_decision[r]
        applying = eligible & (draws.apply[r] < apply_rate)
        amount = median_request * np.exp(dispersion * draws.request_size[r])
        idx = np.flatnonzero(applying)
        return Applications(borrower=idx + r.start, requested_rmb=amount[idx])

    def view(self, i: int) -> BorrowerView:
        return BorrowerView(self.table, self.rows.start + i)


class Consumers(Population):
    """Individuals: income less living costs; distress (job loss, illness) cuts income."""

    def live(self, economy: Economy, draws: MonthlyDraws) -> None:
        cfg = self.model.scenario.population.consumers
        t, r = self.table, self.rows
        distressed = self._distress(
            economy.consumer_factor,
            1.0,
            self.model.scenario.macro.asset_correlation,
            draws,
            cfg.distress_months,
        )
        beta = self.model.scenario.macro.income_beta
        shock = np.exp(
            beta * economy.consumer_factor
            + cfg.income_shock_sd * draws.cash_shock[r]
            - 0.5 * cfg.income_shock_sd**2
        )
        income = t.base_cash_rmb[r] * shock * np.where(distressed, 1.0 - cfg.distress_income_loss, 1.0)
        t.free_cash_rmb[r] = income - cfg.expense_share * t.base_cash_rmb[r]

    def apply(self, draws: MonthlyDraws, has_loan: np.ndarray) -> Applications:
        cfg = self.model.scenario.population.consumers
        median = cfg.request_income_multiple * self.table.base_cash_rmb[self.rows]
        return self._apply(cfg.apply_rate, median, cfg.request_dispersion, draws, has_loan)


class SMEs(Population):
    """Small businesses: seasonal revenue by sector less operating costs; working-capital demand."""

    def __init__(self, model: mesa.Model, table: BorrowerTable, rows: slice) -> None:
        super().__init__(model, table, rows)
        sectors = model.scenario.population.smes.sectors
        own = table.sector[rows]
        self.seasonality = np.array([s.seasonality for s in sectors])[own] if own.size else np.zeros(0)
        self.peak_month = np.array([s.peak_month for s in sectors])[own] if own.size else np.zeros(0)
        self.macro_beta = np.array([s.macro_beta for s in sectors])[own] if own.size else np.zeros(0)

    def live(self, economy: Economy, draws: MonthlyDraws) -> None:
        cfg = self.model.scenario.population.smes
        t, r = self.table, self.rows
        distressed = self._distress(
            economy.sme_factor,
            self.macro_beta,
            self.model.scenario.macro.asset_correlation,
            draws,
            cfg.distress_months,
        )
        season = economy.seasonal(self.seasonality, self.peak_month)
        normal_revenue = t.base_cash_rmb[r] * season
        beta = self.model.scenario.macro.income_beta * self.macro_beta
        shock = np.exp(
            beta * economy.sme_factor
            + cfg.revenue_shock_sd * draws.cash_shock[r]
            - 0.5 * cfg.revenue_shock_sd**2
        )
        revenue = normal_revenue * shock * np.where(distressed, 1.0 - cfg.distress_revenue_loss, 1.0)
        t.free_cash_rmb[r] = revenue - (1.0 - cfg.margin) * normal_revenue

    def apply(self, economy: Economy, draws: MonthlyDraws, has_loan: np.ndarray) -> Applications:
        """Working-capital demand rises in the month before the sector's revenue peak."""
        cfg = self.model.scenario.population.smes
        season = economy.seasonal(self.seasonality, self.peak_month, lead_months=1)
        median = cfg.request_revenue_multiple * self.table.base_cash_rmb[self.rows] * season
        return self._apply(cfg.apply_rate * season, median, cfg.request_dispersion, draws, has_loan)


@dataclass(frozen=True)
class BorrowerView:
    """One borrower's row, for inspection and debugging (not used in the monthly hot path)."""

    table: BorrowerTable
    row: int

    def as_dict(self) -> dict[str, float | bool | int]:
        return {f.name: getattr(self.table, f.name)[self.row].item() for f in fields(self.table)}
