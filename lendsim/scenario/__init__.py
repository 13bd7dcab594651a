"""Scenarios: the typed, frozen description of one simulated lending market.

`schema` holds the pydantic models (root `Scenario`); `loader` turns TOML files, their `extends`
chains and `--set` overrides into a validated `Scenario`, and writes one back as TOML. The schema
is imported on first use of `Scenario` or `Frozen`, so the loader works (and is tested) on its own.
"""

from typing import TYPE_CHECKING, Any

from lendsim.errors import ScenarioError
from lendsim.scenario.loader import (
    load_scenario,
    parse_overrides,
    parse_value,
    scenario_to_toml,
    with_overrides,
)

if TYPE_CHECKING:
    from lendsim.scenario.schema import Frozen, Scenario

__all__ = [
    "Frozen",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_overrides",
    "parse_value",
    "scenario_to_toml",
    "with_overrides",
]

_FROM_SCHEMA = ("Scenario", "Frozen")


def __getattr__(name: str) -> Any:
    if name in _FROM_SCHEMA:
        from lendsim.scenario import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
