"""The economy every borrower lives in: the systematic macro factor, shocks and the calendar.

The factor Z_t is a stationary AR(1) with unit variance, drawn once per replication from the macro
stream, so its long-run distribution is N(0, 1) as the Vasicek one-factor model assumes; scheduled
shocks shift it down for their targets. Distress hazards are conditioned on Z_t with the Vasicek
formula (lendsim.capital), so defaults cluster in bad months while the long-run mean stays at the
calibrated level. Month 1 is a January.
"""

from __future__ import annotations

import numpy as np

from lendsim.scenario import Scenario


class Economy:
    """Macro path and calendar, fixed at construction; `advance` moves the current month."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        macro = scenario.macro
        months = scenario.simulation.months
        innovations = rng.standard_normal(months + 1)
        phi = macro.persistence
        factor = np.empty(months + 1)
        factor[0] = innovations[0]
        for t in range(1, months + 1):
            factor[t] = phi * factor[t - 1] + np.sqrt(1.0 - phi**2) * innovations[t]
        self.base_factor = factor
        self.consumer_shift = np.zeros(months + 1)
        self.sme_shift = np.zeros(months + 1)
        self.shock_active = np.zeros(months + 1, dtype=bool)
        for shock in macro.shocks:
            window = slice(shock.start_month, min(shock.start_month + shock.duration_months, months + 1))
            self.shock_active[window] = True
            if shock.target in ("all", "consumers"):
                self.consumer_shift[window] += shock.depth
            if shock.target in ("all", "smes"):
                self.sme_shift[window] += shock.depth
        self.month = 0

    def advance(self, month: int) -> None:
        self.month = month

    @property
    def calendar_month(self) -> int:
        return (self.month - 1) % 12 + 1

    @property
    def consumer_factor(self) -> float:
        return float(self.base_factor[self.month] + self.consumer_shift[self.month])

    @property
    def sme_factor(self) -> float:
        return float(self.base_factor[self.month] + self.sme_shift[self.month])

    @property
    def factor(self) -> float:
        """The systematic factor before targeted shocks (what the report plots)."""
        return float(self.base_factor[self.month])

    @property
    def in_shock(self) -> bool:
        return bool(self.shock_active[self.month])

    def seasonal(self, amplitude: np.ndarray, peak_month: np.ndarray, lead_months: int = 0) -> np.ndarray:
        """1 + amplitude · cos(2π (month + lead − peak) / 12): revenue (or demand) seasonality."""
        phase = 2.0 * np.pi * (self.calendar_month + lead_months - peak_month) / 12.0
        return 1.0 + amplitude * np.cos(phase)
