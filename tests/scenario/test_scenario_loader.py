"""Loading scenario files: extends, --set overrides, and one clear line for every mistake.

Runs against the small `toy_schema.Toy`, so it does not depend on the real schema.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lendsim.errors import ScenarioError
from lendsim.scenario.loader import load_scenario, parse_overrides, with_overrides
from tests.scenario.toy_schema import Toy


@pytest.fixture
def scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty `scenarios/` folder; the working directory is its parent, so labels read naturally."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "scenarios"
    folder.mkdir()
    return folder


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"scenarios/{name}"


def load(path: str | Path, *sets: str) -> Toy:
    return load_scenario(path, sets, model=Toy)


def error_of(path: str | Path, *sets: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load(path, *sets)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------ happy paths


def test_a_file_with_a_few_settings_keeps_defaults_for_the_rest(scenarios: Path) -> None:
    path = write(scenarios, "small.toml", "[simulation]\nmonths = 24\n")
    toy = load(path)
    assert toy.simulation.months == 24
    assert toy.simulation.seeds == Toy().simulation.seeds


def test_an_empty_file_is_the_default_scenario(scenarios: Path) -> None:
    assert load(write(scenarios, "empty.toml", "")) == Toy()


def test_a_utf8_byte_order_mark_is_accepted(scenarios: Path) -> None:
    (scenarios / "bom.toml").write_bytes(b'\xef\xbb\xbf[meta]\nname = "b\xc3\xa9"\n')
    assert load("scenarios/bom.toml").meta.name == "bé"


def test_path_objects_work_as_well_as_strings(scenarios: Path) -> None:
    write(scenarios, "p.toml", "[simulation]\nseeds = 3\n")
    assert load(scenarios / "p.toml").simulation.seeds == 3


# ---------------------------------------------------------------------- unreadable input


def test_a_missing_file_is_named_and_a_close_name_suggested(scenarios: Path) -> None:
    write(scenarios, "baseline.toml", "")
    message = error_of("scenarios/baselin.toml")
    assert message == "scenarios/baselin.toml: no such file — did you mean 'baseline.toml'?"


def test_a_directory_is_refused_and_its_scenarios_listed(scenarios: Path) -> None:
    write(scenarios, "baseline.toml", "")
    message = error_of("scenarios")
    assert message.startswith("scenarios: is a directory")
    assert "baseline.toml" in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_named(scenarios: Path) -> None:
    path = write(scenarios, "secret.toml", "")
    (scenarios / "secret.toml").chmod(0)
    try:
        assert error_of(path) == "scenarios/secret.toml: cannot be read — permission denied"
    finally:
        (scenarios / "secret.toml").chmod(0o644)


def test_a_permission_error_while_reading_becomes_a_scenario_error(
    scenarios: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as above, simulated, so it also runs as root."""
    path = write(scenarios, "secret.toml", "")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert error_of(path) == "scenarios/secret.toml: cannot be read — permission denied"


def test_bytes_that_are_not_utf8_name_the_file_and_line(scenarios: Path) -> None:
    (scenarios / "latin1.toml").write_bytes(b'[meta]\nname = "caf\xe9"\n')
    message = error_of("scenarios/latin1.toml")
    assert message.startswith("scenarios/latin1.toml: line 2 ")
    assert "UTF-8" in message


def test_a_toml_syntax_error_gives_line_and_column(scenarios: Path) -> None:
    path = write(scenarios, "broken.toml", "[simulation]\nseeds = 2\nmonths = = 5\n")
    message = error_of(path)
    assert message.startswith("scenarios/broken.toml: line 3, column ")
    assert "not valid TOML" in message
    assert "key months" in message  # the key, never the file's text (it may not be a scenario)
    assert "= = 5" not in message


def test_a_truncated_file_says_the_problem_is_at_the_end(scenarios: Path) -> None:
    message = error_of(write(scenarios, "cut.toml", '[meta]\nname = "unterminated\n'))
    assert message.startswith("scenarios/cut.toml: ")
    assert "not valid TOML" in message


def test_a_declared_twice_table_is_a_syntax_error(scenarios: Path) -> None:
    message = error_of(write(scenarios, "twice.toml", "[simulation]\nmonths = 3\n[simulation]\nseeds = 2\n"))
    assert message.startswith("scenarios/twice.toml: line 3, column")


def test_a_path_with_a_nul_byte_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        load("bad\x00name.toml")


def test_absurdly_deep_nesting_is_a_scenario_error(scenarios: Path) -> None:
    message = error_of(write(scenarios, "deep.toml", "x = " + "[" * 3000 + "]" * 3000 + "\n"))
    assert message.startswith("scenarios/deep.toml: ")


# ------------------------------------------------------------------------ invalid settings


def test_an_unknown_key_is_named_with_the_closest_valid_one(scenarios: Path) -> None:
    path = write(scenarios, "my_case.toml", "[underwriting.hitl]\nreviewrs = 3\n")
    assert error_of(path) == (
        "scenarios/my_case.toml: underwriting.hitl.reviewrs is not a setting — did you mean 'reviewers'?"
    )


def test_an_unknown_key_inside_an_array_of_tables_shows_its_index(scenarios: Path) -> None:
    text = "[[macro.shocks]]\nstart_month = 2\ndepth = 0.5\n[[macro.shocks]]\nstart_month = 3\ndpeth = 0.2\n"
    assert error_of(write(scenarios, "s.toml", text)) == (
        "scenarios/s.toml: macro.shocks[1].dpeth is not a setting — did you mean 'depth'?"
    )


def test_a_misspelled_extends_is_recognised(scenarios: Path) -> None:
    message = error_of(write(scenarios, "e.toml", 'extend = "baseline.toml"\n'))
    assert message == "scenarios/e.toml: extend is not a setting — did you mean 'extends'?"


def test_an_unknown_key_far_from_any_name_lists_the_valid_ones(scenarios: Path) -> None:
    message = error_of(write(scenarios, "z.toml", "[simulation]\nzzzz = 1\n"))
    assert message == (
        "scenarios/z.toml: simulation.zzzz is not a setting — settings here: months, seeds, seed"
    )


def test_out_of_range_says_what_is_allowed(scenarios: Path) -> None:
    path = write(scenarios, "my_case.toml", "[simulation]\nmonths = -5\n")
    assert error_of(path) == "scenarios/my_case.toml: simulation.months = -5 — must be a whole number ≥ 1"


@pytest.mark.parametrize(
    ("text", "subject", "allowed"),
    [
        ('[simulation]\nmonths = "twelve"', 'simulation.months = "twelve"', "must be a whole number ≥ 1"),
        ("[simulation]\nmonths = 2.5", "simulation.months = 2.5", "must be a whole number ≥ 1"),
        ("[simulation]\nseeds = 0", "simulation.seeds = 0", "must be a whole number from 1 to 100"),
        ("[underwriting]\ncutoff = 900", "underwriting.cutoff = 900", "must be a number from 300 to 850"),
        ("[underwriting]\ncutoff = [1]", "underwriting.cutoff = [1]", "must be a number from 300 to 850"),
        (
            "[underwriting.hitl]\nscore_band = -1.5",
            "underwriting.hitl.score_band = -1.5",
            "must be a number ≥ 0",
        ),
        (
            "[underwriting.hitl]\nshare_reviewed = 1",
            "underwriting.hitl.share_reviewed = 1",
            "must be a number > 0 and < 1",
        ),
        (
            '[underwriting.hitl]\nenabled = "yes please"',
            'underwriting.hitl.enabled = "yes please"',
            "must be true or false",
        ),
        (
            '[underwriting.hitl]\noverflow = "later"',
            'underwriting.hitl.overflow = "later"',
            "must be one of 'wait', 'fallback'",
        ),
        ("[meta]\nname = 3", "meta.name = 3", "must be text in quotes"),
        ('[meta]\nname = "  "', 'meta.name = "  "', "must not be blank"),
        ("simulation = 3", "simulation = 3", "must be a table"),
        ("[macro]\nshocks = 3", "macro.shocks = 3", "must be an array"),
        ("[macro]\ntags = [1]", "macro.tags[0] = 1", "must be text in quotes"),
        ('[macro.weights]\nretail = "a lot"', 'macro.weights.retail = "a lot"', "must be a number"),
        (
            "[[macro.shocks]]\ndepth = 0.5",
            "macro.shocks[0].start_month is missing",
            "it must be set (a whole number ≥ 1)",
        ),
    ],
)
def test_a_bad_value_names_the_key_the_value_and_what_is_allowed(
    scenarios: Path, text: str, subject: str, allowed: str
) -> None:
    path = write(scenarios, "bad.toml", text + "\n")
    assert error_of(path) == f"scenarios/bad.toml: {subject} — {allowed}"


def test_a_cross_field_rule_reports_its_own_words(scenarios: Path) -> None:
    text = "[simulation]\nmonths = 6\n[[macro.shocks]]\nstart_month = 9\ndepth = 0.5\n"
    assert error_of(write(scenarios, "late.toml", text)) == (
        "scenarios/late.toml: macro.shocks[0].start_month = 9 is after the last month (6)"
    )


def test_only_the_first_problem_is_shown_with_a_count_of_the_rest(scenarios: Path) -> None:
    text = "[simulation]\nmonths = 0\nseeds = 0\n[underwriting]\ncutoff = 1\n"
    with pytest.raises(ScenarioError) as caught:
        load(write(scenarios, "many.toml", text))
    assert str(caught.value) == (
        "scenarios/many.toml: simulation.months = 0 — must be a whole number ≥ 1 (+2 more)"
    )
    assert len(caught.value.problems) == 3  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------- extends


def test_extends_deep_merges_tables_and_replaces_arrays(scenarios: Path) -> None:
    write(
        scenarios,
        "base.toml",
        '[simulation]\nmonths = 24\nseeds = 3\n[macro]\ntags = ["a", "b"]\n'
        "[[macro.shocks]]\nstart_month = 2\ndepth = 0.1\n[[macro.shocks]]\nstart_month = 4\ndepth = 0.2\n",
    )
    path = write(
        scenarios,
        "case.toml",
        'extends = "base.toml"\n[simulation]\nmonths = 36\n[macro]\ntags = ["c"]\n'
        "[[macro.shocks]]\nstart_month = 5\ndepth = 0.9\n",
    )
    toy = load(path)
    assert (toy.simulation.months, toy.simulation.seeds) == (36, 3)
    assert toy.macro.tags == ["c"]
    assert [(s.start_month, s.depth) for s in toy.macro.shocks] == [(5, 0.9)]


def test_extends_chains_of_any_depth_resolve_relative_to_each_file(scenarios: Path) -> None:
    write(scenarios, "root.toml", "[simulation]\nmonths = 10\nseeds = 4\nseed = 1\n")
    write(scenarios, "family/mid.toml", 'extends = "../root.toml"\n[simulation]\nseeds = 5\n')
    for depth in range(1, 30):
        parent = "mid.toml" if depth == 1 else f"level{depth - 1}.toml"
        write(scenarios, f"family/level{depth}.toml", f'extends = "{parent}"\n[simulation]\nseed = {depth}\n')
    toy = load("scenarios/family/level29.toml")
    assert (toy.simulation.months, toy.simulation.seeds, toy.simulation.seed) == (10, 5, 29)


def test_an_extends_cycle_is_an_error_naming_the_chain(scenarios: Path) -> None:
    write(scenarios, "a.toml", 'extends = "b.toml"\n')
    write(scenarios, "b.toml", 'extends = "a.toml"\n')
    message = error_of("scenarios/a.toml")
    assert "scenarios/a.toml → scenarios/b.toml → scenarios/a.toml" in message
    assert message.startswith("scenarios/a.toml: extends makes a cycle")


def test_a_file_extending_itself_is_a_cycle(scenarios: Path) -> None:
    message = error_of(write(scenarios, "me.toml", 'extends = "me.toml"\n'))
    assert "scenarios/me.toml → scenarios/me.toml" in message


def test_a_missing_base_names_both_files(scenarios: Path) -> None:
    message = error_of(write(scenarios, "child.toml", 'extends = "nowhere.toml"\n'))
    assert message == "scenarios/nowhere.toml (extended by scenarios/child.toml): no such file"


def test_extends_must_be_a_file_name(scenarios: Path) -> None:
    message = error_of(write(scenarios, "num.toml", "extends = 3\n"))
    assert message.startswith("scenarios/num.toml: extends = 3 — must be a file name in quotes")


def test_a_bad_value_in_a_base_file_names_the_base_file(scenarios: Path) -> None:
    write(scenarios, "base.toml", "[simulation]\nmonths = -1\n")
    path = write(scenarios, "child.toml", 'extends = "base.toml"\n[simulation]\nseeds = 2\n')
    assert error_of(path) == "scenarios/base.toml: simulation.months = -1 — must be a whole number ≥ 1"


def test_a_child_fixing_a_base_value_makes_it_valid(scenarios: Path) -> None:
    write(scenarios, "base.toml", "[simulation]\nmonths = -1\n")
    path = write(scenarios, "child.toml", 'extends = "base.toml"\n[simulation]\nmonths = 2\n')
    assert load(path).simulation.months == 2


# -------------------------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    ("setting", "attribute", "expected"),
    [
        ("simulation.months=36", ("simulation", "months"), 36),
        ("underwriting.cutoff=612.5", ("underwriting", "cutoff"), 612.5),
        ("underwriting.hitl.enabled=false", ("underwriting", "hitl", "enabled"), False),
        ('meta.name="quoted name"', ("meta", "name"), "quoted name"),
        ("meta.name=foo", ("meta", "name"), "foo"),
        ("meta.name=two words", ("meta", "name"), "two words"),
        ('macro.tags=["x", "y"]', ("macro", "tags"), ["x", "y"]),
        ("macro.weights={ retail = 0.5 }", ("macro", "weights"), {"retail": 0.5}),
        (" simulation.seeds = 9 ", ("simulation", "seeds"), 9),
    ],
)
def test_set_parses_its_value_as_a_toml_literal_or_else_as_text(
    scenarios: Path, setting: str, attribute: tuple[str, ...], expected: object
) -> None:
    value: object = load(write(scenarios, "base.toml", ""), setting)
    for name in attribute:
        value = getattr(value, name)
    assert value == expected
    assert type(value) is type(expected)


def test_set_applies_after_extends_and_later_sets_win(scenarios: Path) -> None:
    write(scenarios, "base.toml", "[simulation]\nmonths = 24\n")
    path = write(scenarios, "case.toml", 'extends = "base.toml"\n[simulation]\nmonths = 30\n')
    assert load(path, "simulation.months=40", "simulation.months=50").simulation.months == 50


def test_set_can_reach_into_an_array_of_tables(scenarios: Path) -> None:
    path = write(scenarios, "s.toml", "[[macro.shocks]]\nstart_month = 2\ndepth = 0.5\n")
    assert load(path, "macro.shocks[0].depth=0.25").macro.shocks[0].depth == 0.25


def test_set_with_a_table_value_merges_into_the_table(scenarios: Path) -> None:
    path = write(scenarios, "t.toml", "[simulation]\nmonths = 24\n")
    toy = load(path, "simulation={ seeds = 7 }")
    assert (toy.simulation.months, toy.simulation.seeds) == (24, 7)


def test_set_with_an_unknown_key_suggests_the_closest_valid_key(scenarios: Path) -> None:
    path = write(scenarios, "my_case.toml", "")
    assert error_of(path, "simulation.monts=5") == (
        "scenarios/my_case.toml: --set simulation.monts=5 — simulation.monts is not a setting; "
        "did you mean 'simulation.months'?"
    )


def test_set_with_a_key_missing_its_table_suggests_the_full_key(scenarios: Path) -> None:
    message = error_of(write(scenarios, "c.toml", ""), "reviewers=3")
    assert message.endswith("did you mean 'underwriting.hitl.reviewers'?")


def test_set_with_a_misspelled_table_suggests_the_whole_key(scenarios: Path) -> None:
    message = error_of(write(scenarios, "c.toml", ""), "undewriting.hitl.reviewers=3")
    assert message.endswith("did you mean 'underwriting.hitl.reviewers'?")


def test_set_with_a_bad_value_names_the_override(scenarios: Path) -> None:
    path = write(scenarios, "my_case.toml", "")
    assert error_of(path, "simulation.months=-5") == (
        "scenarios/my_case.toml: --set simulation.months=-5 — must be a whole number ≥ 1"
    )


def test_set_that_breaks_a_cross_field_rule_is_named(scenarios: Path) -> None:
    path = write(scenarios, "late.toml", "[[macro.shocks]]\nstart_month = 9\ndepth = 0.5\n")
    assert error_of(path, "simulation.months=6") == (
        "scenarios/late.toml: macro.shocks[0].start_month = 9 is after the last month (6) "
        "(from --set simulation.months=6)"
    )


def test_set_without_equals_sign_is_malformed(scenarios: Path) -> None:
    path = write(scenarios, "x.toml", "")
    assert error_of(path, "simulation.months") == (
        "--set simulation.months — must be KEY=VALUE, e.g. --set simulation.months=24"
    )


@pytest.mark.parametrize("setting", ["=5", "simulation..months=5", "simulation.=5", "[0]=1", "a[x]=1"])
def test_set_with_a_malformed_key_is_an_error(scenarios: Path, setting: str) -> None:
    with pytest.raises(ScenarioError):
        load(write(scenarios, "x.toml", ""), setting)


def test_set_below_a_single_value_is_an_error(scenarios: Path) -> None:
    assert error_of(write(scenarios, "x.toml", ""), "simulation.months.x=1") == (
        "scenarios/x.toml: --set simulation.months.x=1 — simulation.months is a single value, not a table"
    )


def test_set_past_the_end_of_an_array_is_an_error(scenarios: Path) -> None:
    path = write(scenarios, "x.toml", "[[macro.shocks]]\nstart_month = 2\ndepth = 0.5\n")
    assert error_of(path, "macro.shocks[3].depth=0.1") == (
        "scenarios/x.toml: --set macro.shocks[3].depth=0.1 — macro.shocks has 1 entry, "
        "so [3] does not exist (the first is [0])"
    )


def test_set_into_a_table_the_file_wrote_as_a_value_is_an_error(scenarios: Path) -> None:
    message = error_of(write(scenarios, "x.toml", "simulation = [1]\n"), "simulation.months=3")
    assert message == "scenarios/x.toml: --set simulation.months=3 — simulation = [1] is not a table"


def test_a_single_string_of_overrides_is_taken_as_one_override(scenarios: Path) -> None:
    path = write(scenarios, "x.toml", "")
    assert load_scenario(path, "simulation.months=3", model=Toy).simulation.months == 3  # type: ignore[arg-type]


def test_parse_overrides_turns_set_strings_into_a_mapping() -> None:
    assert parse_overrides(["a.b=1", "c=foo", 'd=[1.5, "x"]']) == {"a.b": 1, "c": "foo", "d": [1.5, "x"]}


# --------------------------------------------------------------------------- with_overrides


def test_with_overrides_sets_dotted_keys_and_revalidates() -> None:
    toy = with_overrides(Toy(), {"underwriting.cutoff": 650, "underwriting.hitl.reviewers": 0})
    assert (toy.underwriting.cutoff, toy.underwriting.hitl.reviewers) == (650.0, 0)
    assert isinstance(toy, Toy)
    assert Toy().underwriting.cutoff == 600.0  # the original is untouched


def test_with_overrides_accepts_numpy_values_from_a_design() -> None:
    toy = with_overrides(Toy(), {"simulation.months": np.int64(9), "underwriting.cutoff": np.float64(700.5)})
    assert (toy.simulation.months, toy.underwriting.cutoff) == (9, 700.5)
    assert type(toy.simulation.months) is int


def test_with_overrides_can_replace_an_array_of_tables_and_index_into_it() -> None:
    shocks = [{"start_month": 3, "depth": 0.5}]
    toy = with_overrides(Toy(), {"macro.shocks": shocks, "macro.shocks[0].depth": 0.7})
    assert [(s.start_month, s.depth) for s in toy.macro.shocks] == [(3, 0.7)]


def test_with_overrides_reports_a_bad_value_with_its_key() -> None:
    with pytest.raises(ScenarioError) as caught:
        with_overrides(Toy(), {"underwriting.cutoff": 900})
    assert str(caught.value) == "override underwriting.cutoff = 900 — must be a number from 300 to 850"


def test_with_overrides_names_the_source_when_given() -> None:
    with pytest.raises(ScenarioError) as caught:
        with_overrides(Toy(), {"simulation.months": 0}, source="scenarios/base.toml")
    assert str(caught.value) == (
        "scenarios/base.toml: override simulation.months = 0 — must be a whole number ≥ 1"
    )


def test_with_overrides_rejects_an_unknown_key_with_a_suggestion() -> None:
    with pytest.raises(ScenarioError) as caught:
        with_overrides(Toy(), {"underwriting.cutof": 650})
    assert str(caught.value).endswith("did you mean 'underwriting.cutoff'?")
