"""What the report reads from the resolved scenario a folder holds (scenario.toml, or a sweep's
design.json): the titles and descriptions in both languages, the rule changes and restrictions to
mark on the time axes, and the few settings the methods and limitations sections quote.

The report never runs or validates a scenario: it reads the saved text as plain TOML, and whatever
is missing, malformed or of the wrong type is simply not shown — a damaged scenario.toml costs a
marker or a sentence, never the report. The model's own flags (shock, maintenance, regulator action)
come from the monthly table; only what the table does not record — scheduled rule changes, sector
and region closures, ordered account suspensions — comes from here.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RuleChange:
    """Rules that change from a month on: the scenario keys and their new values, in file order."""

    from_month: int
    changes: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Closure:
    """Sectors or regions closed to new lending from `first_month` to `last_month` (0: to the end)."""

    first_month: int
    last_month: int
    sectors: tuple[str, ...]
    regions: tuple[str, ...]
    imposed_by: str


@dataclass(frozen=True)
class Suspension:
    """A regulator-ordered suspension of a share of accounts."""

    first_month: int
    last_month: int
    share: float


@dataclass(frozen=True)
class Resolved:
    """The parts of a resolved scenario the report shows; empty when there is no readable file."""

    name: str | None = None
    title: str = ""
    title_zh: str = ""
    description: str = ""
    description_zh: str = ""
    rule_changes: tuple[RuleChange, ...] = ()
    closures: tuple[Closure, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    """The whole document, for `setting` look-ups."""

    def setting(self, dotted: str) -> Any:
        """The value at a dotted key ('underwriting.hitl.reviewers'), None where absent."""
        node: Any = self.settings
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def number(self, dotted: str) -> float | None:
        """A numeric setting, None where absent or not a finite number."""
        return _number(self.setting(dotted))


def read_resolved(toml_text: str | None) -> Resolved:
    """The report's view of a resolved scenario; `Resolved()` when absent or unreadable."""
    if not toml_text:
        return Resolved()
    try:
        document = tomllib.loads(toml_text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return Resolved()
    meta = _table(document.get("meta"))
    return Resolved(
        name=_text(meta.get("name")) or None,
        title=_text(meta.get("title")),
        title_zh=_text(meta.get("title_zh")),
        description=_text(meta.get("description")),
        description_zh=_text(meta.get("description_zh")),
        rule_changes=tuple(_rule_changes(_table(document.get("regulation")).get("schedule"))),
        closures=tuple(_closures(_table(document.get("policy")).get("restrictions"))),
        suspensions=tuple(_suspensions(_table(document.get("policy")).get("regulator_orders"))),
        settings=document,
    )


def _rule_changes(items: Any) -> list[RuleChange]:
    changes = []
    for item in _tables(items):
        month = _whole(item.get("from_month"))
        values = tuple(
            (str(key), float(value))
            for key, value in item.items()
            if key != "from_month" and _number(value) is not None
        )
        if month is not None and values:
            changes.append(RuleChange(month, values))
    return sorted(changes, key=lambda change: change.from_month)


def _closures(items: Any) -> list[Closure]:
    closures = []
    for item in _tables(items):
        first, last = _whole(item.get("start_month", 1)), _whole(item.get("end_month", 0))
        sectors, regions = _names(item.get("sectors")), _names(item.get("regions"))
        if first is not None and last is not None and (sectors or regions):
            closures.append(
                Closure(first, last, sectors, regions, _text(item.get("imposed_by")) or "platform")
            )
    return closures


def _suspensions(items: Any) -> list[Suspension]:
    suspensions = []
    for item in _tables(items):
        first, months = _whole(item.get("start_month")), _whole(item.get("duration_months", 1))
        share = _number(item.get("share"))
        if first is not None and months is not None and months >= 1 and share is not None and share > 0:
            suspensions.append(Suspension(first, first + months - 1, share))
    return suspensions


def _table(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _tables(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _names(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
