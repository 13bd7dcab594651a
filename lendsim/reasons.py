"""Reason codes: why an application was rejected, a drawdown refused, a request lost or an account
frozen. Every negative outcome carries one; the monthly table counts them by code
(`rejected_<reason>`, `refused_<cause>`, `failed_<cause>`, `frozen_<cause>`), and with actionable
reasons (scenario `reasons.actionable`) borrowers learn the code and act on it.
"""

from __future__ import annotations

from enum import IntEnum


class Rejection(IntEnum):
    """Why a new application was rejected."""

    SCORE = 1  # score below the (effective) cutoff
    POLICY = 2  # sector or region closed to new lending
    REVIEW = 3  # a reviewer declined it
    VELOCITY = 4  # too many requests in 30 days: the account was frozen instead
    IDENTITY = 5  # identity data no longer match: the account was frozen instead
    RATE_CAP = 6  # the risk price would exceed the interest-rate ceiling: rationed, not priced


class Refusal(IntEnum):
    """Why a drawdown against a line on show was refused."""

    CONCENTRATION = 1  # requests concentrated in a short window
    ANOMALY = 2  # account behaviour flagged (e.g. frequent log-ins)
    TIGHTENING = 3  # passes the normal cutoff, not the peak-month one
    SCORE = 4  # score now below the cutoff
    POLICY = 5  # sector or region now closed
    VELOCITY = 6  # too many requests: the account was frozen instead
    IDENTITY = 7  # identity data no longer match: the account was frozen instead
    RATE_CAP = 8  # the risk price would now exceed the interest-rate ceiling


class Failure(IntEnum):
    """Why a request never reached a decision."""

    OVERLOAD = 1  # beyond processing capacity
    DOWNTIME = 2  # maintenance window


class Freeze(IntEnum):
    """Why an account is frozen ("功能关闭")."""

    SCORE = 1  # score fell below the floor
    VELOCITY = 2  # too many requests in 30 days
    IDENTITY = 3  # phone/ID data no longer match
    REGULATOR = 4  # regulator-ordered suspension
    MAINTENANCE = 5  # platform maintenance


SUPPLY_CONSTRAINTS = ("capital", "leverage", "partners", "growth_cap", "suspension", "loan_cap", "rate_cap")
"""Binding constraints whose cost in credit supply is recorded as supply_lost_<constraint> (RMB)."""


def column(prefix: str, code: IntEnum) -> str:
    return f"{prefix}_{code.name.lower()}"


REJECTION_COLUMNS = tuple(column("rejected", c) for c in Rejection)
REFUSAL_COLUMNS = tuple(column("refused", c) for c in Refusal)
FAILURE_COLUMNS = tuple(column("failed", c) for c in Failure)
FREEZE_COLUMNS = tuple(column("frozen", c) for c in Freeze)
