"""Sectors and regions closed to new lending: the platform's own policy restrictions.

A scenario may close sectors or regions for a period (`policy.restrictions`). Closed means no new
line and no drawdown: applications are rejected and drawdowns refused with the reason POLICY,
whatever the score or the reviewer says.
"""

from __future__ import annotations

import numpy as np

from lendsim.population import BorrowerTable
from lendsim.scenario import Scenario


class Restrictions:
    """The scenario's restrictions as (first month, last month, sector codes, region codes)."""

    def __init__(self, scenario: Scenario) -> None:
        sectors = [s.name for s in scenario.population.smes.sectors]
        regions = [r.name for r in scenario.population.regions]
        self.windows = [
            (
                r.start_month,
                r.end_month or scenario.simulation.months,
                np.array([sectors.index(n) for n in r.sectors], dtype=np.int16),
                np.array([regions.index(n) for n in r.regions], dtype=np.int16),
            )
            for r in scenario.policy.restrictions
        ]

    def closed(self, borrowers: BorrowerTable, rows: np.ndarray, month: int) -> np.ndarray:
        """Which rows a restriction in force this month closes to new lending."""
        out = np.zeros(rows.size, dtype=bool)
        for start, end, sectors, regions in self.windows:
            if start <= month <= end:
                out |= np.isin(borrowers.sector[rows], sectors) | np.isin(borrowers.region[rows], regions)
        return out
