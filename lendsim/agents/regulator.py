"""The regulator: inspects the platform every month against capital and leverage limits.

The capital ratio is capital / risk-weighted own-funded assets, the leverage own-funded book /
capital. A breach is recorded as an action (1 = warning); escalation to growth caps and
suspensions is scheduled by the regulation rules. The binding limits themselves act in origination:
the platform cannot lend beyond them.
"""

from __future__ import annotations

import mesa

from lendsim.agents.platform import Platform
from lendsim.recorder import Recorder
from lendsim.scenario import Scenario

NO_ACTION, WARNING = 0, 1
MAX_REPORTED_RATIO = 1.0


class Regulator(mesa.Agent):
    def __init__(self, model: mesa.Model, scenario: Scenario, recorder: Recorder) -> None:
        super().__init__(model)
        self.rules = scenario.regulation
        self.recorder = recorder
        self.breaches = 0

    def inspect(self, platform: Platform, month: int) -> None:
        capital = platform.capital_rmb
        rwa = platform.rwa_rmb
        own_book = platform.platform_cfg.own_funding_share * platform.book.outstanding_rmb
        ratio = MAX_REPORTED_RATIO if rwa <= 0 else min(max(capital / rwa, 0.0), MAX_REPORTED_RATIO)
        leverage = (
            own_book / capital
            if capital > 0
            else (0.0 if own_book == 0 else float(self.rules.max_leverage) * 10)
        )
        breach = ratio < self.rules.min_capital_ratio or leverage > self.rules.max_leverage
        self.breaches += int(breach)
        rec = self.recorder
        rec.set_platform("capital_ratio", month, ratio)
        rec.set_platform("required_capital_ratio", month, self.rules.min_capital_ratio)
        rec.set_platform("leverage", month, leverage)
        rec.set_platform("max_leverage", month, self.rules.max_leverage)
        rec.set_platform("regulator_action", month, WARNING if breach else NO_ACTION)
