"""Account freezes ("功能关闭") and their recovery paths.

Five causes, each with its own way back:
- a score that drops below the floor (late payments, debt elsewhere) → lifted after K clean months
  with the score back above the floor;
- velocity (more requests in 30 days than the rule allows) → lifted after a cool-off;
- identity data that no longer match (a share of borrowers let phone/ID data go stale each year)
  → lifted when the borrower updates the data (much likelier when told exactly what to fix);
- regulator-ordered suspension → lifted when the order ends;
- maintenance → lifted when the window closes.
In HITL mode a frozen borrower may also appeal to a reviewer (lendsim.phases.review). A freeze
lifted on appeal stays lifted for a grace period (`underwriting.hitl.appeal_grace_months`): in it the
score-drop rule leaves the account open, since a reviewer has just looked at the borrower behind
the score the rule would read again; the other causes still freeze it. The re-freezes the grace period
held off (once per lift) and the score re-freezes of appeal-lifted accounts after it are recorded.
A frozen account cannot apply or draw down. Every freeze and lift is kept as an `AccountChange`
until the phase that caused it takes them (`take_changes`) and hands them on to the records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.population import BorrowerTable
from lendsim.reasons import Freeze
from lendsim.scenario import Scenario
from lendsim.streams import KeyedUniforms

STALE, UPDATE, ORDER = 101, 102, 103  # KeyedUniforms purposes
TIME_LIMITED = (Freeze.VELOCITY, Freeze.REGULATOR, Freeze.MAINTENANCE)


@dataclass(frozen=True)
class AccountChange:
    """Accounts newly frozen (`cause` set) or lifted (`path`: expiry, data_update, clean_months,
    appeal) by one action — or, with `grace` set, accounts unfrozen on appeal whose score re-freeze
    the grace period held off (`appeal_refreezes_prevented`) or that the score rule froze again
    after it (`appeal_refreezes`, also counted as a freeze by its own change)."""

    rows: np.ndarray
    cause: Freeze | None = None
    path: str = ""
    grace: str = ""


class Accounts:
    """Freeze and lift accounts; keep each change until the phase that made it takes it."""

    def __init__(self, scenario: Scenario, table: BorrowerTable, events: KeyedUniforms) -> None:
        self.rules = scenario.underwriting.accounts
        self.behaviour = scenario.population.behaviour
        self.actionable = scenario.reasons.actionable
        self.orders = scenario.policy.regulator_orders
        self.table = table
        self.events = events
        self.changes: list[AccountChange] = []
        self.stale_monthly = 1.0 - (1.0 - self.behaviour.identity_stale_rate) ** (1.0 / 12.0)
        self.grace_months = scenario.underwriting.hitl.appeal_grace_months
        # The score rule leaves an account unfrozen on appeal open before month `grace_until`.
        self.grace_until = np.zeros(table.size, dtype=np.int64)
        self.lifted_on_appeal = np.zeros(table.size, dtype=bool)  # not re-frozen by the score rule since
        self.grace_held = np.zeros(table.size, dtype=bool)  # a re-freeze held off since that lift

    def freeze(self, rows: np.ndarray, cause: Freeze, month: int, until: int = 0) -> np.ndarray:
        """Freeze the rows not frozen yet; return those newly frozen."""
        t = self.table
        rows = rows[t.frozen_cause[rows] == 0]
        t.frozen_cause[rows] = cause
        t.frozen_until[rows] = until
        t.line_limit_rmb[rows] = 0.0  # a frozen account shows no limit
        self.changes.append(AccountChange(rows, cause=cause))
        return rows

    def lift(self, rows: np.ndarray, month: int, path: str) -> None:
        """Unfreeze the rows; one lifted on appeal starts its grace period this month."""
        t = self.table
        t.frozen_cause[rows] = 0
        t.frozen_until[rows] = 0
        if path == "appeal":
            self.grace_until[rows] = month + self.grace_months
            self.lifted_on_appeal[rows] = True
            self.grace_held[rows] = False
        self.changes.append(AccountChange(rows, path=path))

    def take_changes(self) -> tuple[AccountChange, ...]:
        """The freezes and lifts since the last call, in the order they happened."""
        changes, self.changes = tuple(self.changes), []
        return changes

    def start_of_month(self, month: int) -> None:
        """Data go stale; borrowers update data; time-limited freezes end; regulator orders start."""
        t, everyone = self.table, np.arange(self.table.size)
        if self.rules.identity_checks:
            t.identity_stale |= self.events.uniform(STALE, month, everyone) < self.stale_monthly
            frozen_id = np.flatnonzero(t.frozen_cause == Freeze.IDENTITY)
            rate = (
                self.behaviour.identity_update_rate_actionable
                if self.actionable
                else self.behaviour.identity_update_rate
            )
            updates = frozen_id[self.events.uniform(UPDATE, month, frozen_id) < rate]
            t.identity_stale[updates] = False
            self.lift(updates, month, "data_update")
        limited = np.isin(t.frozen_cause, TIME_LIMITED) & (t.frozen_until <= month)
        self.lift(np.flatnonzero(limited), month, "expiry")
        for number, order in enumerate(self.orders):
            if order.start_month == month:
                hit = np.flatnonzero(self.events.uniform(ORDER + 100 * number, month, everyone) < order.share)
                self.freeze(hit, Freeze.REGULATOR, month, until=month + order.duration_months)

    def check_identity(self, rows: np.ndarray, month: int) -> np.ndarray:
        """Requests from accounts with stale data freeze them; return the mask of blocked requests."""
        if not self.rules.identity_checks:
            return np.zeros(rows.size, dtype=bool)
        stale = self.table.identity_stale[rows]
        self.freeze(rows[stale], Freeze.IDENTITY, month)
        return stale

    def check_velocity(self, rows: np.ndarray, requests: np.ndarray, month: int) -> np.ndarray:
        """More requests in 30 days than the rule allows freezes the account; return the blocked mask."""
        limit = self.rules.velocity_max_requests
        if limit == 0:
            return np.zeros(rows.size, dtype=bool)
        tripped = requests > limit
        self.freeze(rows[tripped], Freeze.VELOCITY, month, until=month + self.rules.velocity_cooloff_months)
        return tripped

    def maintenance(self, rows: np.ndarray, month: int) -> None:
        """Accounts that met the system down are shown as closed until the window ends."""
        self.freeze(rows, Freeze.MAINTENANCE, month, until=month + 1)

    def after_scores(self, month: int) -> None:
        """Score freezes: new ones below the floor, except in an appeal's grace period; lifted after
        clean months above it."""
        floor = self.rules.score_floor
        if floor <= 0:
            return
        t = self.table
        recovered = (
            (t.frozen_cause == Freeze.SCORE)
            & (t.score >= floor)
            & (t.clean_months >= self.rules.recovery_clean_months)
        )
        self.lift(np.flatnonzero(recovered), month, "clean_months")
        dropped = (t.score < floor) & (t.score < t.initial_score) & (t.frozen_cause == 0)
        in_grace = dropped & (month < self.grace_until)
        prevented = np.flatnonzero(in_grace & ~self.grace_held)
        self.grace_held[prevented] = True
        frozen = self.freeze(np.flatnonzero(dropped & ~in_grace), Freeze.SCORE, month)
        again = frozen[self.lifted_on_appeal[frozen]]
        self.lifted_on_appeal[again] = False
        self.changes.append(AccountChange(prevented, grace="appeal_refreezes_prevented"))
        self.changes.append(AccountChange(again, grace="appeal_refreezes"))

    def frozen_rows(self) -> np.ndarray:
        """Accounts frozen now, whatever the cause (the frozen stock)."""
        return np.flatnonzero(self.table.frozen_cause > 0)
