"""Grid and Latin-hypercube designs: option syntax, values, determinism, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from lendsim.errors import OptionError
from lendsim.sweep import (
    RangeSpec,
    check_metric,
    grid_design,
    lhs_design,
    parse_grid,
    parse_range,
    parse_sample,
    sensitivity_plan,
)


def test_grid_list_values_are_toml_literals():
    axis = parse_grid('underwriting.cutoff=560,600.5,true,abc,"x,y",[1,2]')
    assert axis.key == "underwriting.cutoff"
    assert axis.values == (560, 600.5, True, "abc", "x,y", [1, 2])


def test_grid_range_includes_stop_when_it_lands_on_the_grid():
    assert parse_grid("k=560:680:40").values == (560, 600, 640, 680)
    assert parse_grid("k=560:690:40").values == (560, 600, 640, 680)
    assert parse_grid("k=10:0:-5").values == (10, 5, 0)


def test_grid_range_of_decimals_has_no_floating_point_dust():
    assert parse_grid("k=0.1:0.3:0.1").values == (0.1, 0.2, 0.3)
    assert parse_grid("k=0:1:0.25").values == (0.0, 0.25, 0.5, 0.75, 1.0)


@pytest.mark.parametrize(
    "spec",
    ["cutoff", "=1,2", "k=", "k=1:5:0", "k=5:1:1", "k=a:b:c", "k=1,1", "k=1,,2"],
)
def test_bad_grid_syntax_is_an_option_error_naming_the_option(spec):
    with pytest.raises(OptionError) as caught:
        parse_grid(spec)
    message = str(caught.value)
    assert message.startswith("--grid") and "\n" not in message


def test_several_grids_form_their_product_first_varying_slowest():
    design = grid_design([parse_grid("a=1,2"), parse_grid("b=x,y,z")])
    assert design.parameters == ("a", "b")
    assert design.points == ((1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z"))
    assert list(design.frame().columns) == ["point", "a", "b"]


def test_a_key_given_twice_is_refused():
    with pytest.raises(OptionError, match="more than once"):
        grid_design([parse_grid("a=1,2"), parse_grid("a=3")])


def test_range_parses_whole_and_real_bounds():
    assert parse_range("underwriting.cutoff=560:680") == RangeSpec("underwriting.cutoff", 560.0, 680.0, True)
    assert parse_range("k=0.1:0.5").integer is False
    for bad in ("k=5:1", "k=1", "k=1:2:3", "k=a:2"):
        with pytest.raises(OptionError, match="^--range"):
            parse_range(bad)


def test_sample_option_is_lhs_with_a_positive_count():
    assert parse_sample("lhs:12") == 12
    for bad in ("lhs:0", "lhs:", "sobol:4", "lhs:x"):
        with pytest.raises(OptionError, match="^--sample"):
            parse_sample(bad)


def test_lhs_is_seeded_by_the_root_seed_and_stratified():
    ranges = [parse_range("a=0.0:1.0"), parse_range("b=560:680")]
    first = lhs_design(ranges, 20, root_seed=7)
    assert first == lhs_design(ranges, 20, root_seed=7)
    assert first.points != lhs_design(ranges, 20, root_seed=8).points
    a = np.array([p[0] for p in first.points])
    b = [p[1] for p in first.points]
    assert sorted(np.floor(a * 20).astype(int)) == list(range(20))  # one point per stratum
    assert all(isinstance(v, int) and 560 <= v <= 680 for v in b)


def test_metric_names_are_checked_with_a_hint():
    assert check_metric("default_rate") == "default_rate"
    with pytest.raises(OptionError, match="did you mean 'default_rate'"):
        check_metric("default_rat")


def test_sobol_needs_a_power_of_two_and_morris_plans_trajectories():
    ranges = [parse_range("a=0.0:1.0"), parse_range("b=1:9")]
    with pytest.raises(OptionError, match="power of 2"):
        sensitivity_plan(ranges, "sobol", 6, root_seed=1)
    plan = sensitivity_plan(ranges, "morris", 3, root_seed=1)
    assert len(plan.design.points) == 3 * (len(ranges) + 1)
    assert plan.design.points == sensitivity_plan(ranges, "morris", 3, root_seed=1).design.points
