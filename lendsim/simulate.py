"""Run one (scenario, mode, replication) to its records: the model as a pure function.

No I/O and picklable arguments, so any executor (in-process, local processes, a Dask cluster) can
call it and get bit-identical results for the same arguments.

The model is freed before `simulate` returns, so a process may run any number of simulations
(a sweep worker, `lendsim run --seeds 10`, an EMA experiment) in flat memory: lendsim.mesa_compat
stops Mesa 3.3 from holding every model forever, and a full garbage collection returns the model's
arrays at once — the model and its agents refer to each other, and reference cycles of a few large
NumPy arrays would otherwise wait for Python's next full collection (≈ 0.1 s at 100k borrowers, against
seconds of simulation).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

import pandas as pd

from lendsim.metrics import headline_metrics, monthly_table
from lendsim.model import LendingMarket
from lendsim.scenario import Scenario


@dataclass(frozen=True)
class SimulationResult:
    summary: dict[str, float | str | int]
    monthly: pd.DataFrame


def simulate(scenario: Scenario, mode: str, replication: int) -> SimulationResult:
    """Run `scenario` in `mode` with the random numbers of `replication` (the same at every sweep
    point and in every scenario: DESIGN.md's common random numbers)."""
    model = LendingMarket(scenario, mode, replication=replication).run()
    monthly = monthly_table(model.recorder, mode, replication)
    summary: dict[str, float | str | int] = {"mode": mode, "seed": replication, **headline_metrics(monthly)}
    del model
    gc.collect()
    return SimulationResult(summary=summary, monthly=monthly)
