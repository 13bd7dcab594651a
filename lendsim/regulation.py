"""The rules in force in a month: the scenario's regulation with its dated changes applied.

Regulation changes by date ("from month 18 the own-funding share is 30 %"); every stage that
applies a rule asks for the rules of the current month rather than reading the scenario, so a
scheduled change takes effect everywhere at once. The supervisory action levels live here too, so
the regulator that imposes them and the platform that obeys them share one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lendsim.scenario.schema import Regulation

NO_ACTION, WARNING, GROWTH_CAP, SUSPENSION = 0, 1, 2, 3
"""Supervisory action levels, weakest first: the regulator escalates along them, the platform obeys
the one in force (a growth cap limits new lending, a suspension stops it)."""
ACTION_LEVELS = {"warning": WARNING, "growth_cap": GROWTH_CAP, "suspension": SUSPENSION}
"""The scenario's names for the actions it can schedule."""

CHANGEABLE = (
    "min_own_funding_share",
    "min_capital_ratio",
    "nonstandard_leverage_cap",
    "abs_leverage_cap",
    "apr_cap",
    "consumer_loan_cap_rmb",
    "consumer_income_share_cap",
    "sme_loan_cap_rmb",
)


@dataclass(frozen=True)
class RulesInForce:
    min_own_funding_share: float
    min_capital_ratio: float
    nonstandard_leverage_cap: float
    abs_leverage_cap: float
    apr_cap: float
    consumer_loan_cap_rmb: float
    consumer_income_share_cap: float
    sme_loan_cap_rmb: float
    risk_weights: str
    retail_risk_weight: float
    corporate_risk_weight: float

    @property
    def max_leverage(self) -> float:
        """Own-funded book / net assets: capital itself plus both kinds of borrowing."""
        return 1.0 + self.nonstandard_leverage_cap + self.abs_leverage_cap

    @classmethod
    def at(cls, regulation: Regulation, month: int) -> RulesInForce:
        rules = cls(
            **{name: getattr(regulation, name) for name in CHANGEABLE},
            risk_weights=regulation.risk_weights,
            retail_risk_weight=regulation.retail_risk_weight,
            corporate_risk_weight=regulation.corporate_risk_weight,
        )
        for change in sorted(regulation.schedule, key=lambda c: c.from_month):
            if change.from_month <= month:
                updates = {
                    name: getattr(change, name) for name in CHANGEABLE if getattr(change, name) is not None
                }
                rules = replace(rules, **updates)
        return rules
