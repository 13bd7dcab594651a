"""The regulator: a Mesa agent that sets the rules in force and escalates on a lasting breach.

It owns the supervisory state — how many months the platform has been in breach and the escalation
that earned — and runs the supervision phase (lendsim.phases.supervision): at the start of the
month it rules (rules in force, action in force), at the end it inspects the platform's capital
ratio and leverage.
"""

from __future__ import annotations

import mesa

from lendsim.agents.platform import Platform
from lendsim.phases.supervision import Inspection, Ruling, escalation, inspect, rule
from lendsim.regulation import NO_ACTION
from lendsim.scenario import Scenario


class Regulator(mesa.Agent):
    def __init__(self, model: mesa.Model, scenario: Scenario) -> None:
        super().__init__(model)
        self.regulation = scenario.regulation
        self.months_in_breach = 0
        self.escalation = NO_ACTION

    def rule(self, month: int) -> Ruling:
        """The rules in force this month, and the stronger of the escalation and any scheduled action."""
        return rule(self.regulation, self.escalation, month)

    def inspect(self, platform: Platform) -> Inspection:
        """Capital ratio and leverage against the limits; a lasting breach escalates."""
        inspection = inspect(platform.law, platform.capital_rmb, platform.rwa_rmb, platform.own_book_rmb)
        self.months_in_breach = self.months_in_breach + 1 if inspection.breach else 0
        self.escalation = escalation(self.months_in_breach, self.regulation.cure_months)
        return inspection
