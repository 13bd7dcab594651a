"""The platform's systems: processing capacity, peak load, maintenance downtime and retries.

Requests (applications and drawdowns) meet a system that processes a limited number a month. When
demand exceeds capacity, a share of requests fails (overload); during a maintenance window a share
fails because the system is down. A borrower whose request failed retries (up to `max_attempts`),
and every retry is one more request in the 30-day window the velocity rule counts — so overload at
peak can freeze accounts that did nothing wrong. The overload failure share is the fixed point of
"failures cause retries cause load".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.reasons import Failure
from lendsim.scenario.schema import Capacity
from lendsim.streams import KeyedUniforms

ATTEMPT_FAILS, RETRIES = 201, 202  # KeyedUniforms purposes
FIXED_POINT_ITERATIONS = 50


@dataclass(frozen=True)
class Processed:
    """What the system did with this month's requests (aligned with the request arrays)."""

    through: np.ndarray  # reached a decision
    requests: np.ndarray  # requests sent in the 30-day window (attempts + probes)
    failed_attempts: np.ndarray  # attempts that failed, whether or not a retry succeeded
    lost_cause: np.ndarray  # 0 if through, else the Failure of the last attempt
    overload_share: float


def expected_attempts(fail: float, retry: float, max_attempts: int) -> float:
    """E[attempts] when each attempt fails w.p. `fail` and a failure is retried w.p. `retry`."""
    continue_prob = fail * retry
    return float(sum(continue_prob**k for k in range(max_attempts)))


def overload_share(
    base_requests: float, borrowers: float, capacity: float, downtime: float, cfg: Capacity
) -> float:
    """Failure share that balances capacity against the load it causes (fixed point)."""
    if capacity <= 0 or borrowers == 0:
        return 0.0
    fail = 0.0
    for _ in range(FIXED_POINT_ITERATIONS):
        total_fail = 1.0 - (1.0 - fail) * (1.0 - downtime)
        load = base_requests + borrowers * (
            expected_attempts(total_fail, cfg.retry_rate, cfg.max_attempts) - 1.0
        )
        fail = max(0.0, 1.0 - capacity / load) if load > 0 else 0.0
    return fail


class Operations:
    def __init__(self, cfg: Capacity, weight: np.ndarray, events: KeyedUniforms) -> None:
        self.cfg = cfg
        self.capacity = cfg.requests_per_month  # real requests a month
        self.weight = weight  # real borrowers each simulated one stands for
        self.events = events

    def process(
        self, rows: np.ndarray, extra_requests: np.ndarray, month: int, downtime: float, in_peak: bool = False
    ) -> Processed:
        """Run each requester's attempts through the system; `extra_requests` are probes."""
        n = rows.size
        capacity = self.capacity * (self.cfg.peak_capacity_multiplier if in_peak else 1.0)
        weight = self.weight[rows]  # the load is real requests: each requester stands for `weight`
        requesters = float(weight.sum())
        requests = requesters + float((weight * extra_requests).sum())
        overload = overload_share(requests, requesters, capacity, downtime, self.cfg)
        fail = 1.0 - (1.0 - overload) * (1.0 - downtime)
        attempts = np.zeros(n, dtype=np.int32)
        failed = np.zeros(n, dtype=np.int32)
        through = np.zeros(n, dtype=bool)
        lost_cause = np.zeros(n, dtype=np.int8)
        active = np.ones(n, dtype=bool)
        for attempt in range(self.cfg.max_attempts):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            attempts[idx] += 1
            u = self.events.uniform(ATTEMPT_FAILS, month, rows[idx], attempt)
            fails = u < fail
            through[idx[~fails]] = True
            failed_idx = idx[fails]
            failed[failed_idx] += 1
            lost_cause[failed_idx] = np.where(u[fails] < downtime, Failure.DOWNTIME, Failure.OVERLOAD)
            retries = self.events.uniform(RETRIES, month, rows[failed_idx], attempt) < self.cfg.retry_rate
            active[:] = False
            active[failed_idx[retries]] = True
        lost_cause[through] = 0
        return Processed(through, attempts + extra_requests, failed, lost_cause, overload)
