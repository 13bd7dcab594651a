"""The economy every borrower lives in: the systematic factor, regional cycles, shocks, the calendar.

The national factor Z_t is a stationary AR(1) with unit variance, drawn once per replication from
the macro stream, so its long-run distribution is N(0, 1) as the Vasicek one-factor model assumes.
Each region mixes it with a cycle of its own (same persistence), keeping unit variance. Scheduled
shocks shift the factor down for their targets (consumers/SMEs, sectors, regions). Distress hazards
are conditioned on a borrower's factor with the Vasicek formula (lendsim.capital), so defaults
cluster in bad months while the long-run mean stays at the calibrated level.

The calendar holds the months of peak demand (holidays, shopping festivals) and maintenance windows.
Month 1 is a January.
"""

from __future__ import annotations

import numpy as np

from lendsim.scenario import Scenario

MAX_FACTOR_SD = 50.0
"""A borrower's factor, shocks included, is held within ± this many standard deviations. The schema
lets a shock be up to 1e15 deep; beyond about 50 s.d. a deeper one means nothing more (with any
asset correlation above 1 % every distress hazard is already 0 or 1), while exp(β · factor) in the
borrowers' cash flows (β up to 5 for an SME sector) would overflow to inf and poison the sums."""


def _ar1_paths(rng: np.random.Generator, months: int, count: int, phi: float) -> np.ndarray:
    """`count` stationary AR(1) paths with unit variance, shape (months + 1, count)."""
    innovations = rng.standard_normal((months + 1, count))
    paths = np.empty_like(innovations)
    paths[0] = innovations[0]
    scale = np.sqrt(1.0 - phi**2)
    for t in range(1, months + 1):
        paths[t] = phi * paths[t - 1] + scale * innovations[t]
    return paths


class Economy:
    """Macro path, regional cycles, shocks and calendar, fixed at construction."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        macro, months = scenario.macro, scenario.simulation.months
        sectors = [s.name for s in scenario.population.smes.sectors]
        regions = scenario.population.regions
        region_names = [r.name for r in regions]
        self.months = months
        self.base_factor = _ar1_paths(rng, months, 1, macro.persistence)[:, 0]
        own_cycles = _ar1_paths(rng, months, len(regions), macro.persistence)
        own_weight = np.array([r.own_cycle_weight for r in regions])
        self.region_factor = (
            np.sqrt(1.0 - own_weight) * self.base_factor[:, None] + np.sqrt(own_weight) * own_cycles
        )
        # shift[t, is_sme, sector + 1, region]: sector index −1 (consumers) maps to 0.
        self.shift = np.zeros((months + 1, 2, len(sectors) + 1, len(regions)))
        self.shock_active = np.zeros(months + 1, dtype=bool)
        self.funding_shift = np.zeros(months + 1)
        for shock in macro.shocks:
            window = slice(shock.start_month, min(shock.start_month + shock.duration_months, months + 1))
            self.shock_active[window] = True
            self.funding_shift[window] += shock.funding_cost_shift
            kinds = {"all": [0, 1], "consumers": [0], "smes": [1]}[shock.target]
            sector_idx = [sectors.index(n) + 1 for n in shock.sectors] or list(range(len(sectors) + 1))
            region_idx = [region_names.index(n) for n in shock.regions] or list(range(len(regions)))
            if shock.sectors:
                kinds = [1]  # a sector shock hits SMEs
            for kind in kinds:
                for sector in sector_idx:
                    self.shift[window, kind, sector, region_idx] += shock.depth
        self.peak_multiplier = np.ones(months + 1)
        self.peak_month = np.zeros(months + 1, dtype=bool)
        calendar_months = (np.arange(months + 1) - 1) % 12 + 1
        for peak in scenario.calendar.peaks:
            hit = calendar_months == peak.month_of_year
            hit[0] = False
            self.peak_multiplier[hit] *= peak.demand_multiplier
            self.peak_month |= hit
        self.downtime_share = np.zeros(months + 1)
        for window_cfg in scenario.calendar.maintenance:
            window = slice(
                window_cfg.start_month, min(window_cfg.start_month + window_cfg.duration_months, months + 1)
            )
            self.downtime_share[window] = 1.0 - (1.0 - self.downtime_share[window]) * (
                1.0 - window_cfg.downtime_share
            )
        self.month = 0

    def advance(self, month: int) -> None:
        self.month = month

    @property
    def calendar_month(self) -> int:
        return (self.month - 1) % 12 + 1

    def factor_for(self, is_sme: np.ndarray, sector: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Each borrower's systematic factor this month: its region's cycle plus any shock on it
        (within ± MAX_FACTOR_SD)."""
        t = self.month
        factor = self.region_factor[t, region] + self.shift[t, is_sme.astype(np.intp), sector + 1, region]
        return np.clip(factor, -MAX_FACTOR_SD, MAX_FACTOR_SD)

    @property
    def factor(self) -> float:
        """The national factor before shocks (what the report plots)."""
        return float(self.base_factor[self.month])

    @property
    def in_shock(self) -> bool:
        return bool(self.shock_active[self.month])

    @property
    def funding_cost_shift(self) -> float:
        return float(self.funding_shift[self.month])

    @property
    def in_peak(self) -> bool:
        return bool(self.peak_month[self.month])

    @property
    def demand_multiplier(self) -> float:
        return float(self.peak_multiplier[self.month])

    @property
    def downtime(self) -> float:
        return float(self.downtime_share[self.month])

    def seasonal(self, amplitude: np.ndarray, peak_month: np.ndarray, lead_months: int = 0) -> np.ndarray:
        """1 + amplitude · cos(2π (month + lead − peak) / 12): revenue (or demand) seasonality."""
        phase = 2.0 * np.pi * (self.calendar_month + lead_months - peak_month) / 12.0
        return 1.0 + amplitude * np.cos(phase)
