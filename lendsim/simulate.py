"""Run one (scenario, mode, replication) to its records: the model as a pure function.

No I/O and picklable arguments, so any executor (in-process, local processes, a Dask cluster) can
call it and get bit-identical results for the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lendsim.metrics import headline_metrics, monthly_table
from lendsim.model import LendingMarket
from lendsim.scenario import Scenario


@dataclass(frozen=True)
class SimulationResult:
    summary: dict[str, float | str | int]
    monthly: pd.DataFrame


def simulate(scenario: Scenario, mode: str, replication: int, point: int = 0) -> SimulationResult:
    model = LendingMarket(scenario, mode, replication=replication, point=point).run()
    monthly = monthly_table(model.recorder, mode, replication)
    summary: dict[str, float | str | int] = {"mode": mode, "seed": replication, **headline_metrics(monthly)}
    return SimulationResult(summary=summary, monthly=monthly)
