"""Whatever the input, the loader either returns a scenario or raises one ScenarioError.

Arbitrary bytes, arbitrary TOML documents built from the schema's own names and from noise, and
arbitrary `--set` strings and override mappings: nothing else may escape, and the message is
always a single line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from lendsim.errors import ScenarioError
from lendsim.scenario.loader import _all_keys, _dumps, load_scenario, parse_overrides, with_overrides
from tests.scenario.toy_schema import Toy

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def loads_or_says_why(action: Callable[[], Any]) -> None:
    try:
        result = action()
    except ScenarioError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message
    else:
        assert isinstance(result, (BaseModel, dict))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("fuzz")
    (here / "base.toml").write_text("[simulation]\nmonths = 24\n", encoding="utf-8")
    (here / "sub").mkdir()
    return here


def load_bytes(folder: Path, raw: bytes, sets: list[str] | tuple[str, ...] = ()) -> Callable[[], Any]:
    path = folder / "case.toml"
    path.write_bytes(raw)
    return lambda: load_scenario(path, sets, model=Toy)


names = st.sampled_from(sorted({part for key in _all_keys(Toy) for part in key.split(".")} | {"extends"}))
keys = names | st.text(max_size=6)
scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["base.toml", "case.toml", "sub", "missing.toml", "wait", "income"]),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, max_size=6)
set_strings = st.one_of(
    st.text(max_size=30),
    st.builds("{}={}".format, st.sampled_from(_all_keys(Toy)), st.text(max_size=20)),
    st.builds(
        "{}={}".format, st.sampled_from(_all_keys(Toy)), st.sampled_from(["1", "-1", "0.5", "true", "[]"])
    ),
)


@PROPERTY
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_load_or_raise_a_scenario_error(folder: Path, raw: bytes) -> None:
    loads_or_says_why(load_bytes(folder, raw))


@PROPERTY
@given(text=st.text(alphabet=st.sampled_from("[]{}=.\"'#\n \\,abc0123-+.etrufalsinx_"), max_size=80))
def test_toml_like_noise_loads_or_raises_a_scenario_error(folder: Path, text: str) -> None:
    loads_or_says_why(load_bytes(folder, text.encode()))


@PROPERTY
@given(document=documents)
def test_arbitrary_toml_documents_load_or_raise_a_scenario_error(folder: Path, document: dict) -> None:
    loads_or_says_why(load_bytes(folder, _dumps(document).encode()))


@PROPERTY
@given(sets=st.lists(set_strings, max_size=3))
def test_arbitrary_set_strings_load_or_raise_a_scenario_error(folder: Path, sets: list[str]) -> None:
    loads_or_says_why(load_bytes(folder, b'extends = "base.toml"\n', sets))
    loads_or_says_why(lambda: parse_overrides(sets))


@PROPERTY
@given(overrides=st.dictionaries(st.sampled_from(_all_keys(Toy)) | st.text(max_size=12), values, max_size=3))
def test_arbitrary_override_mappings_apply_or_raise_a_scenario_error(overrides: dict[str, Any]) -> None:
    loads_or_says_why(lambda: with_overrides(Toy(), overrides))
