"""Supervision: the rules and the action in force each month, and the month-end inspection.

At the start of a month the regulator hands the platform the rules in force (the scenario's
regulation with its dated changes) and the supervisory action in force: the stronger of the
escalation earned by past breaches and any action scheduled for the month. At the end of the month
it inspects capital ratio (capital / risk-weighted own book) and leverage (own book / net assets)
against the limits. A breach draws a warning; one that lasts beyond the cure period a growth cap on
new lending; one that lasts twice as long a suspension. Curing the breach lifts the escalation.
"""

from __future__ import annotations

from dataclasses import dataclass

from lendsim.capital import capital_ratio
from lendsim.regulation import ACTION_LEVELS, GROWTH_CAP, NO_ACTION, SUSPENSION, WARNING, RulesInForce
from lendsim.scenario.schema import Regulation


@dataclass(frozen=True)
class Ruling:
    """What the regulator sets for the month: the rules in force and the action in force."""

    law: RulesInForce
    action: int


def scheduled_action(regulation: Regulation, month: int) -> int:
    levels = [
        ACTION_LEVELS[a.action]
        for a in regulation.actions
        if a.start_month <= month < a.start_month + a.duration_months
    ]
    return max(levels, default=NO_ACTION)


def rule(regulation: Regulation, escalation: int, month: int) -> Ruling:
    return Ruling(RulesInForce.at(regulation, month), max(escalation, scheduled_action(regulation, month)))


@dataclass(frozen=True)
class Inspection:
    capital_ratio: float  # uncapped; 0 with no risk-weighted book (lendsim.capital.capital_ratio)
    required_capital_ratio: float
    leverage: float
    max_leverage: float
    breach: bool
    rwa_rmb: float = 0.0  # the risk-weighted own book the ratio divides by


def inspect(law: RulesInForce, capital_rmb: float, rwa_rmb: float, own_book_rmb: float) -> Inspection:
    """Capital ratio (uncapped) and leverage against the limits in force."""
    ratio = capital_ratio(capital_rmb, rwa_rmb)
    if capital_rmb <= 0:  # no net assets: short of capital whatever the book
        short = law.min_capital_ratio > 0
    else:  # with no risk-weighted book, no capital is needed
        short = rwa_rmb > 0 and ratio < law.min_capital_ratio
    if capital_rmb > 0:
        leverage = own_book_rmb / capital_rmb
    else:  # capital gone: far beyond any cap
        leverage = 0.0 if own_book_rmb == 0 else 10.0 * law.max_leverage
    breach = short or leverage > law.max_leverage
    return Inspection(ratio, law.min_capital_ratio, leverage, law.max_leverage, breach, rwa_rmb)


def escalation(months_in_breach: int, cure_months: int) -> int:
    """The action a breach of `months_in_breach` consecutive months earns (0: no breach)."""
    if months_in_breach == 0:
        return NO_ACTION
    if months_in_breach > 2 * cure_months:
        return SUSPENSION
    if months_in_breach > cure_months:
        return GROWTH_CAP
    return WARNING
