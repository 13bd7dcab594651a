"""Writing a resolved scenario as TOML, and reading it back into an equal one."""

from __future__ import annotations

import datetime as dt
import math
import string
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lendsim.scenario.loader import _dumps, load_scenario, scenario_to_toml, with_overrides
from tests.scenario.toy_schema import HumanReview, Macro, Meta, Shock, Simulation, Toy, Underwriting

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reload(text: str, folder: Path, name: str = "resolved.toml") -> Toy:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, model=Toy)


def test_the_resolved_scenario_reads_back_equal(tmp_path: Path) -> None:
    toy = with_overrides(
        Toy(),
        {
            "meta.name": 'quotes " and \\ backslash\nand a new line',
            "simulation.months": 36,
            "underwriting.cutoff": 0.1 + 0.2 + 599.0,
            "macro.shocks": [
                {"start_month": 2, "depth": 1 / 3},
                {"start_month": 5, "depth": 5e-324, "kind": "revenue"},
            ],
            "macro.tags": ["ä", "tab\there", ""],
            "macro.weights": {"retail trade": 0.25, "x.y": 1e300},
        },
    )
    assert reload(scenario_to_toml(toy), tmp_path) == toy


def test_the_resolved_file_starts_with_a_comment_and_has_no_extends(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text("[simulation]\nmonths = 24\n", encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[simulation]\nseeds = 3\n', encoding="utf-8")
    text = scenario_to_toml(load_scenario(child, model=Toy))
    assert text.startswith("# ")
    assert "extends" not in tomllib.loads(text)
    assert tomllib.loads(text)["simulation"] == {"months": 24, "seeds": 3, "seed": 7}


def test_every_default_is_spelled_out() -> None:
    document = tomllib.loads(scenario_to_toml(Toy()))
    assert document["underwriting"]["hitl"] == HumanReview().model_dump()
    assert document["macro"] == {"shocks": [], "tags": [], "weights": {}}


def test_descriptions_become_comments_above_their_setting() -> None:
    lines = scenario_to_toml(Toy()).splitlines()
    assert lines[lines.index("months = 12") - 1] == "# Simulated months."
    assert "months = 12" in scenario_to_toml(Toy(), comments=False).splitlines()
    assert "# Simulated months." not in scenario_to_toml(Toy(), comments=False)


def test_arrays_of_tables_are_written_as_such() -> None:
    toy = with_overrides(
        Toy(), {"macro.shocks": [{"start_month": 1, "depth": 0.5}, {"start_month": 2, "depth": 0}]}
    )
    assert scenario_to_toml(toy).count("[[macro.shocks]]") == 2


@pytest.mark.parametrize(
    "value", [0.1, -0.0, 1e-7, 1e22, 5e-324, 1.7976931348623157e308, math.inf, -math.inf]
)
def test_floats_round_trip_bit_for_bit(value: float) -> None:
    back = tomllib.loads(_dumps({"x": value}))["x"]
    assert back == value and math.copysign(1, back) == math.copysign(1, value)


@pytest.mark.parametrize("key", ["0\n", "a b", "", "x.y", "中"])
def test_keys_that_are_not_bare_are_quoted(key: str) -> None:
    """Found by the property test below: '0\\n' passed a `^…$` check (`$` matches before a final
    newline) and was written bare, breaking the document."""
    assert tomllib.loads(_dumps({key: {"t": [{"v": 1}]}})) == {key: {"t": [{"v": 1}]}}


def test_nan_is_written_as_toml_nan() -> None:
    assert math.isnan(tomllib.loads(_dumps({"x": math.nan}))["x"])


# ------------------------------------------------------------------------ property tests

keys = st.text(max_size=8)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
    st.times(),
)
toml_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
documents = st.dictionaries(keys, toml_values, max_size=6)


@PROPERTY
@given(documents)
def test_any_toml_data_survives_the_writer(document: dict) -> None:
    assert tomllib.loads(_dumps(document)) == document


names = st.text(alphabet=string.printable + "äß中€\u2028", max_size=15).filter(lambda name: name.strip())
shocks = st.builds(
    Shock,
    start_month=st.integers(1, 12),
    depth=st.floats(0, 1),
    kind=st.sampled_from(["income", "revenue"]),
)
toys = st.builds(
    Toy,
    meta=st.builds(Meta, name=names, description=st.text(max_size=30)),
    simulation=st.builds(
        Simulation, months=st.integers(12, 10**6), seeds=st.integers(1, 100), seed=st.integers(0)
    ),
    underwriting=st.builds(
        Underwriting,
        cutoff=st.floats(300, 850),
        hitl=st.builds(
            HumanReview,
            reviewers=st.integers(0, 10**9),
            overflow=st.sampled_from(["wait", "fallback"]),
            score_band=st.floats(0, allow_infinity=False),
            share_reviewed=st.floats(0, 1, exclude_min=True, exclude_max=True),
            enabled=st.booleans(),
        ),
    ),
    macro=st.builds(
        Macro,
        shocks=st.lists(shocks, max_size=3).map(tuple),
        tags=st.lists(st.text(max_size=10), max_size=3),
        weights=st.dictionaries(st.text(max_size=10), st.floats(allow_nan=False), max_size=3),
    ),
)


@PROPERTY
@given(toys)
def test_any_valid_scenario_reads_back_equal(tmp_path_factory: pytest.TempPathFactory, toy: Toy) -> None:
    assert reload(scenario_to_toml(toy), tmp_path_factory.mktemp("roundtrip")) == toy


def test_dates_and_times_are_written_as_toml_literals() -> None:
    document = {"d": dt.date(2024, 1, 31), "t": dt.time(9, 30), "dt": dt.datetime(2024, 1, 31, 9, 30, 1, 5)}
    assert tomllib.loads(_dumps(document)) == document
