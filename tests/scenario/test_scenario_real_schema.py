"""The loader against the real `Scenario` and the bundled scenario files.

Only contract keys (DESIGN.md) are named here, so the schema can grow without breaking these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lendsim.errors import ScenarioError
from lendsim.scenario import Frozen, Scenario, load_scenario, scenario_to_toml, with_overrides

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))

needs_baseline = pytest.mark.skipif(not BASELINE.is_file(), reason="scenarios/baseline.toml not written yet")

CONTRACT_VALUES: dict[str, Any] = {
    "simulation.months": 36,
    "simulation.seeds": 3,
    "simulation.seed": 99,
    "population.consumers.count": 1_500,
    "population.smes.count": 300,
    "underwriting.cutoff": 640.0,
    "underwriting.hitl.reviewers": 0,
    "macro.shocks": [{"start_month": 6, "duration_months": 3, "depth": -2.0}],
}


def attribute(scenario: Scenario, dotted: str) -> Any:
    value: Any = scenario
    for name in dotted.split("."):
        value = getattr(value, name)
    return value


def test_the_package_re_exports_the_schema_and_the_loader() -> None:
    assert issubclass(Scenario, Frozen)
    assert Scenario.model_config.get("extra") == "forbid"
    assert Scenario.model_config.get("frozen") is True


def test_the_default_scenario_survives_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "resolved.toml"
    path.write_text(scenario_to_toml(Scenario()), encoding="utf-8")
    assert load_scenario(path) == Scenario()


@pytest.mark.parametrize("path", BUNDLED, ids=[p.name for p in BUNDLED])
def test_every_bundled_scenario_loads_and_round_trips(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(scenario_to_toml(scenario), encoding="utf-8")
    assert load_scenario(resolved) == scenario


@needs_baseline
def test_the_baseline_is_named_baseline() -> None:
    assert load_scenario(BASELINE).meta.name == "baseline"


@needs_baseline
@pytest.mark.parametrize("key", list(CONTRACT_VALUES))
def test_every_contract_key_can_be_set_from_the_command_line(key: str) -> None:
    value = CONTRACT_VALUES[key]
    literal = (
        "[{ start_month = 6, duration_months = 3, depth = -2.0 }]" if key == "macro.shocks" else str(value)
    )
    scenario = load_scenario(BASELINE, [f"{key}={literal}"])
    expected = with_overrides(load_scenario(BASELINE), {key: value})
    assert attribute(scenario, key) == attribute(expected, key)
    assert scenario == expected


def test_every_contract_key_can_be_set_by_a_sweep() -> None:
    scenario = with_overrides(Scenario(), CONTRACT_VALUES)
    assert scenario.simulation.months == 36
    assert scenario.underwriting.hitl.reviewers == 0
    assert scenario.macro.shocks[0].depth == -2.0


def test_a_misspelled_real_key_gets_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "my_case.toml"
    path.write_text("[underwriting.hitl]\nreviewrs = 3\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert (
        str(caught.value)
        == f"{path}: underwriting.hitl.reviewrs is not a setting — did you mean 'reviewers'?"
    )


def test_a_negative_horizon_says_what_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "my_case.toml"
    path.write_text("[simulation]\nmonths = -5\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: simulation.months = -5 — must be a whole number ")


def test_a_shock_after_the_horizon_is_refused_naming_the_override(tmp_path: Path) -> None:
    path = tmp_path / "late.toml"
    path.write_text("[[macro.shocks]]\nstart_month = 30\ndepth = -1.0\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, ["simulation.months=24"])
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "(from --set simulation.months=24)" in message


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sets=st.lists(
        st.builds(
            "{}={}".format,
            st.sampled_from([*CONTRACT_VALUES, "meta.name", "underwriting.hitl.overflow"]),
            st.sampled_from(["0", "-1", "1", "2.5", "true", '"x"', "x", "[]", "{}", "1e400", "[{}]", ""]),
        ),
        max_size=3,
    )
)
def test_any_set_on_the_real_schema_loads_or_raises_a_scenario_error(sets: list[str]) -> None:
    source = BASELINE if BASELINE.is_file() else None
    try:
        if source is None:
            with_overrides(Scenario(), {})
        else:
            load_scenario(source, sets)
    except ScenarioError as exc:
        assert "\n" not in str(exc)
