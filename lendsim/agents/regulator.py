"""The regulator: sets the rules in force each month, inspects the platform, escalates on breach.

At the start of a month it hands the platform the rules in force (the scenario's regulation with
its dated changes) and the supervisory action in force: the stronger of the escalation earned by
past breaches and any action scheduled for the month. At the end of the month it inspects capital
ratio (capital / risk-weighted own book) and leverage (own book / net assets) against the limits.
A breach draws a warning; a breach that lasts beyond the cure period a growth cap on new lending;
one that lasts twice as long a suspension of new lending. Curing the breach lifts the escalation.
"""

from __future__ import annotations

import mesa

from lendsim.agents.platform import GROWTH_CAP, SUSPENSION, Platform
from lendsim.recorder import Recorder
from lendsim.regulation import RulesInForce
from lendsim.scenario import Scenario

NO_ACTION, WARNING = 0, 1
ACTION_LEVELS = {"warning": WARNING, "growth_cap": GROWTH_CAP, "suspension": SUSPENSION}
MAX_REPORTED_RATIO = 1.0


class Regulator(mesa.Agent):
    def __init__(self, model: mesa.Model, scenario: Scenario, recorder: Recorder) -> None:
        super().__init__(model)
        self.regulation = scenario.regulation
        self.recorder = recorder
        self.months_in_breach = 0
        self.escalation = NO_ACTION

    def scheduled_action(self, month: int) -> int:
        levels = [
            ACTION_LEVELS[a.action]
            for a in self.regulation.actions
            if a.start_month <= month < a.start_month + a.duration_months
        ]
        return max(levels, default=NO_ACTION)

    def begin_month(self, platform: Platform, month: int) -> None:
        platform.law = RulesInForce.at(self.regulation, month)
        platform.action = max(self.escalation, self.scheduled_action(month))
        self.recorder.set_platform("regulator_action", month, float(platform.action))
        self.recorder.set_platform("own_funding_share", month, platform.funding.own_share(platform.law))
        self.recorder.set_platform("apr_cap", month, platform.law.apr_cap)

    def inspect(self, platform: Platform, month: int) -> None:
        law = platform.law
        capital, rwa, own_book = platform.capital_rmb, platform.rwa_rmb, platform.own_book_rmb
        if capital <= 0:
            ratio = 0.0  # no net assets: in breach whatever the book
        else:
            ratio = MAX_REPORTED_RATIO if rwa <= 0 else min(capital / rwa, MAX_REPORTED_RATIO)
        if capital > 0:
            leverage = own_book / capital
        else:
            leverage = 0.0 if own_book == 0 else 10.0 * law.max_leverage  # capital gone: far beyond any cap
        breach = ratio < law.min_capital_ratio or leverage > law.max_leverage
        self.months_in_breach = self.months_in_breach + 1 if breach else 0
        cure = self.regulation.cure_months
        if not breach:
            self.escalation = NO_ACTION
        elif self.months_in_breach > 2 * cure:
            self.escalation = SUSPENSION
        elif self.months_in_breach > cure:
            self.escalation = GROWTH_CAP
        else:
            self.escalation = WARNING
        rec = self.recorder
        rec.set_platform("capital_ratio", month, ratio)
        rec.set_platform("required_capital_ratio", month, law.min_capital_ratio)
        rec.set_platform("leverage", month, leverage)
        rec.set_platform("max_leverage", month, law.max_leverage)
        rec.set_platform("regulator_breach", month, float(breach))
