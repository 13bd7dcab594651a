"""The borrower population as columns: one table for consumers and SMEs, drawn once per replication.

Every borrower has a true creditworthiness (`quality`, N(0, 1)) that sets its yearly distress PD,
and an online score (350–950) that sees that quality only through a noisy signal. For an SME the
true quality is part online, part offline (order book, management, local reputation): the score
sees the online part alone, so creditworthy SMEs with thin online files are rejected and some weak
ones pass. This module holds the table, how it is drawn, the month's behavioural draws and the
requests borrowers make; it imports nothing of the model, so every phase and agent can use it.

Index layout: consumers are rows [0, n_consumers), SMEs rows [n_consumers, n). The monthly hot path
works on whole columns; a single borrower is inspectable through `BorrowerView`, a plain read-only
object (not a Mesa agent: making one registers nothing with the model).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import ndtr, ndtri

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
    weight: np.ndarray  # real borrowers this simulated one stands for (scenario `represents`)
    sector: np.ndarray  # −1 for consumers
    region: np.ndarray
    quality: np.ndarray  # true creditworthiness, N(0, 1)
    yearly_pd: np.ndarray  # true yearly distress PD (from quality)
    hazard: np.ndarray  # unconditional monthly distress hazard
    hazard_probit: np.ndarray  # its probit, G(hazard), for the Vasicek conditional hazard
    signal_corr: np.ndarray  # correlation of the score signal with true quality
    thin_file: np.ndarray
    viable: np.ndarray  # SMEs only: true fundamentals make it a sound borrower
    prober: np.ndarray  # probes the system with repeated requests
    debt_visible: np.ndarray  # the platform's data see this borrower's debt elsewhere
    base_cash_rmb: np.ndarray  # monthly income (consumers) or revenue (SMEs) in a normal month
    normal_free_cash_rmb: np.ndarray  # what a normal month leaves for debt service
    initial_score: np.ndarray  # the online score before any history
    score: np.ndarray  # the online score now (history and visible debt included)
    history_points: np.ndarray  # score points gained or lost through repayment history (≤ 0)
    savings_rmb: np.ndarray
    savings_cap_rmb: np.ndarray
    external_service_rmb: np.ndarray  # monthly debt service owed on other platforms
    distress_months_left: np.ndarray
    free_cash_rmb: np.ndarray  # this month's cash flow after living or operating costs
    awaiting_decision: np.ndarray  # an application sits in the review queue
    identity_stale: np.ndarray  # phone/ID data no longer match
    frozen_cause: np.ndarray  # 0 = not frozen, else lendsim.reasons.Freeze
    frozen_until: np.ndarray  # month a time-limited freeze ends (velocity, regulator, maintenance)
    clean_months: np.ndarray  # consecutive months without a missed payment
    line_limit_rmb: np.ndarray  # credit line on show (0 = none)
    line_expires: np.ndarray  # last month the line is on show
    reviewed_line: np.ndarray  # the line was granted by a reviewer
    last_rejection: np.ndarray  # reason code of the last rejection (0 = none)
    rejected_last_month: np.ndarray

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


def _common_columns(
    scenario: Scenario, rng: np.random.Generator, quality: np.ndarray, normal_free_cash: np.ndarray
) -> dict[str, np.ndarray]:
    """Columns drawn the same way for consumers and SMEs: region, habits, debt elsewhere, state."""
    n = quality.size
    regions = scenario.population.regions
    shares = np.array([r.share for r in regions])
    debt = scenario.population.external_debt
    holder = rng.random(n) < (debt.holder_share if debt.enabled else 0.0)
    weaker = np.exp(-0.3 * quality)  # weaker borrowers carry more debt elsewhere
    service = holder * debt.service_share * normal_free_cash * weaker * np.exp(0.5 * rng.standard_normal(n))
    return {
        "region": rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int16),
        "prober": rng.random(n) < scenario.population.behaviour.prober_share,
        "debt_visible": rng.random(n) < debt.visible_share,
        "external_service_rmb": service,
        "distress_months_left": np.zeros(n, dtype=np.int32),
        "free_cash_rmb": np.zeros(n),
        "awaiting_decision": np.zeros(n, dtype=bool),
        "identity_stale": np.zeros(n, dtype=bool),
        "frozen_cause": np.zeros(n, dtype=np.int8),
        "frozen_until": np.zeros(n, dtype=np.int32),
        "clean_months": np.zeros(n, dtype=np.int32),
        "line_limit_rmb": np.zeros(n),
        "line_expires": np.zeros(n, dtype=np.int32),
        "reviewed_line": np.zeros(n, dtype=bool),
        "last_rejection": np.zeros(n, dtype=np.int8),
        "rejected_last_month": np.zeros(n, dtype=bool),
        "history_points": np.zeros(n),
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
    normal_free_cash = (1.0 - cfg.expense_share) * income
    return BorrowerTable(
        is_sme=np.zeros(n, dtype=bool),
        weight=np.full(n, cfg.weight),
        sector=np.full(n, -1, dtype=np.int16),
        quality=quality,
        yearly_pd=yearly,
        hazard=monthly_hazard(yearly),
        hazard_probit=ndtri(np.clip(monthly_hazard(yearly), 1e-6, 1 - 1e-6)),
        signal_corr=np.full(n, discrimination),
        thin_file=np.zeros(n, dtype=bool),
        viable=np.zeros(n, dtype=bool),
        base_cash_rmb=income,
        normal_free_cash_rmb=normal_free_cash,
        initial_score=score,
        score=score.copy(),
        savings_rmb=savings,
        savings_cap_rmb=np.maximum(2.0 * savings, 0.5 * income),
        **_common_columns(scenario, population_rng, quality, normal_free_cash),
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
    normal_free_cash = cfg.margin * revenue
    return BorrowerTable(
        is_sme=np.ones(n, dtype=bool),
        weight=np.full(n, cfg.weight),
        sector=sector,
        quality=quality,
        yearly_pd=yearly,
        hazard=monthly_hazard(yearly),
        hazard_probit=ndtri(np.clip(monthly_hazard(yearly), 1e-6, 1 - 1e-6)),
        signal_corr=file_corr * np.sqrt(1.0 - cfg.offline_weight),
        thin_file=thin,
        viable=yearly <= cfg.viable_max_annual_pd,
        base_cash_rmb=revenue,
        normal_free_cash_rmb=normal_free_cash,
        initial_score=score,
        score=score.copy(),
        savings_rmb=savings,
        savings_cap_rmb=np.maximum(2.0 * savings, 0.5 * cfg.margin * revenue),
        **_common_columns(scenario, population_rng, quality, normal_free_cash),
    )


@dataclass(frozen=True)
class MonthlyDraws:
    """The behaviour stream's draws for one month: one number per borrower, whatever the state."""

    distress_onset: np.ndarray
    distress_exit: np.ndarray
    cash_shock: np.ndarray
    apply: np.ndarray
    request_size: np.ndarray
    debt_event: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> MonthlyDraws:
        return cls(
            distress_onset=rng.random(n),
            distress_exit=rng.random(n),
            cash_shock=rng.standard_normal(n),
            apply=rng.random(n),
            request_size=rng.standard_normal(n),
            debt_event=rng.random(n),
        )


@dataclass(frozen=True)
class Applications:
    """Requests for credit this month (row indices into the borrower table): new applications
    for a line, or drawdowns against a line on show."""

    borrower: np.ndarray
    requested_rmb: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[Applications]) -> Applications:
        return cls(
            borrower=np.concatenate([p.borrower for p in parts]),
            requested_rmb=np.concatenate([p.requested_rmb for p in parts]),
        )

    def subset(self, mask: np.ndarray) -> Applications:
        return Applications(self.borrower[mask], self.requested_rmb[mask])


class BorrowerView:
    """One borrower: a live, read-only view on its row of the columnar table.

    Made on demand (`LendingMarket.borrower(row)` or `population.view(i)`) for inspection and
    debugging; the monthly hot path never touches it. Every table column reads as an attribute,
    e.g. `borrower.score`, `borrower.frozen_cause`.
    """

    def __init__(self, table: BorrowerTable, row: int) -> None:
        self.table = table
        self.row = row

    def __getattr__(self, name: str) -> float | bool | int:
        table = self.__dict__.get("table")
        if table is not None and name in COLUMNS:
            return getattr(table, name)[self.row].item()
        raise AttributeError(name)

    def __repr__(self) -> str:
        kind = "SME" if self.is_sme else "consumer"
        return f"BorrowerView(row={self.row}, {kind}, score={self.score:.0f})"

    def as_dict(self) -> dict[str, float | bool | int]:
        return {name: getattr(self.table, name)[self.row].item() for name in COLUMNS}


COLUMNS = tuple(f.name for f in fields(BorrowerTable))
