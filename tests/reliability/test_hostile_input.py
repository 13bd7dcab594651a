"""Hostile input through the command line: exit 0 with a complete run folder, or exit 2 and one line.

tests/scenario checks the loader on its own; here every case goes through `lendsim validate` and
`lendsim run` (the Typer app in-process, plus a few runs of the real console script), with tiny
populations, and is judged by support.judge: exit status in {0, 2}; on 2 exactly one stderr line
starting with "error: ", no traceback and nothing left in the output's parent folder; on 0 every
contract file, readable, both modes, no NaN or inf anywhere.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lendsim.scenario import load_scenario
from lendsim.scenario.loader import _all_keys, _dumps, _inline
from lendsim.scenario.schema import (
    Maintenance,
    PartnerBank,
    Peak,
    Region,
    RegulatorOrder,
    Restriction,
    RuleChange,
    Scenario,
    ScheduledAction,
    Sector,
    Shock,
)
from tests.reliability.support import (
    BASELINE,
    CONTRACT_FILES,
    TINY_SETS,
    invoke,
    judge,
    lendsim_executable,
    listing,
    one_line_error,
    subprocess_env,
    tidy,
)

HOSTILE = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
RUN_OPTIONS = ("--no-report", "--quiet", "--workers", "1")
LARGEST_RUN = {"borrowers": 3_000, "months": 24, "seeds": 2}
"""A generated scenario that is valid but bigger than this is validated, not run (time budget)."""

# --------------------------------------------------------------------------- value strategies

HOSTILE_SCALARS: tuple[Any, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    -1,
    0,
    1,
    -0.0,
    0.5,
    1.5,
    13,
    1201,
    1e308,
    -1e308,
    5e-324,
    2**63 - 1,
    2**64,
    10**30,
    True,
    False,
    "",
    "x",
    "nan",
    "wait",
    "retail",
    [],
    [1, "a"],
    {},
    {"a": 1},
)
hostile_values = st.one_of(
    st.sampled_from(HOSTILE_SCALARS),
    st.floats(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=8),
    st.booleans(),
)
NAMES = ("retail", "catering", "services", "east", "west", "northeast", "nope", "", "Retail", "bank_a")

ARRAY_ITEMS: dict[str, type] = {
    "macro.shocks": Shock,
    "calendar.maintenance": Maintenance,
    "calendar.peaks": Peak,
    "policy.regulator_orders": RegulatorOrder,
    "policy.restrictions": Restriction,
    "regulation.schedule": RuleChange,
    "regulation.actions": ScheduledAction,
    "platform.partners": PartnerBank,
    "population.smes.sectors": Sector,
    "population.regions": Region,
}
"""Arrays of tables and the schema of their items."""


def leaf_fields(model: type, prefix: str = "") -> dict[str, Any]:
    """Dotted key → pydantic FieldInfo of every single-valued setting (arrays of tables left out)."""
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            found.update(leaf_fields(annotation, key + "."))
        elif key not in ARRAY_ITEMS:
            found[key] = field
    return found


LEAVES = leaf_fields(Scenario)
COUNT_KEYS = ("population.consumers.count", "population.smes.count")
HORIZON_KEYS = ("simulation.months", "simulation.seeds")
SCALAR_KEYS = sorted(set(LEAVES) - set(COUNT_KEYS) - set(HORIZON_KEYS))
TABLE_KEYS = sorted(set(_all_keys(Scenario)) - set(LEAVES) - set(ARRAY_ITEMS))


def limits(field: Any) -> dict[str, float]:
    found: dict[str, float] = {}
    for item in field.metadata:
        for name in ("ge", "gt", "le", "lt"):
            if getattr(item, name, None) is not None:
                found[name] = getattr(item, name)
    return found


def edge_values(field: Any) -> st.SearchStrategy[Any]:
    """Values at and just beyond a setting's limits, inside its range, and of the wrong kind.

    Most are valid, so the model itself meets extreme settings; the rest must be refused."""
    annotation, bounds = field.annotation, limits(field)
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le", bounds.get("lt"))
    origin = typing.get_origin(annotation)
    if annotation is int or annotation is float:
        whole = annotation is int
        edges = [0, 1] + [v for v in (low, high) if v is not None]
        edges += [low - 1 if whole else low - 1e-9] if low is not None else [-(10**9) if whole else -1e308]
        edges += [high + 1 if whole else high + 1e-9] if high is not None else [10**12 if whole else 1e15]
        top = high if high is not None else (10**6 if whole else 1e6)
        bottom = low if low is not None else -top
        if whole:
            inside = st.integers(int(bottom), int(min(top, bottom + 60)))
        else:
            inside = st.floats(
                float(bottom),
                float(top),
                allow_nan=False,
                exclude_min="gt" in bounds,
                exclude_max="lt" in bounds,
            )
        return st.one_of(st.sampled_from(edges), inside, inside, st.sampled_from(HOSTILE_SCALARS))
    if annotation is bool:
        return st.one_of(st.booleans(), st.booleans(), st.sampled_from((0, 1, "true", "yes")))
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        return st.one_of(
            st.sampled_from(choices), st.sampled_from(choices), st.sampled_from(("", "bogus", 1))
        )
    if annotation is str:
        return st.one_of(st.text(max_size=20), st.sampled_from(("", "日本語", "a\nb", "x" * 300)))
    return hostile_values


def plausible(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of roughly the right kind for one schema field (the generators stay near validity)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(min_value=0, max_value=30)
    if annotation is float:
        return st.floats(min_value=-3, max_value=3, allow_nan=False)
    if annotation is str:
        return st.sampled_from(NAMES)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.lists(st.sampled_from(NAMES), max_size=3)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([plausible(a) for a in args if a is not type(None)])
    return hostile_values


@st.composite
def array_entries(draw: st.DrawFn, key: str) -> list[dict[str, Any]]:
    """An array of tables for `key`: mostly plausible items, some fields hostile or missing."""
    model = ARRAY_ITEMS[key]
    items = []
    for _ in range(draw(st.integers(0, 2))):
        item: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            how = draw(st.sampled_from(("plausible", "plausible", "plausible", "hostile", "missing")))
            if how == "plausible":
                item[name] = draw(plausible(field.annotation))
            elif how == "hostile":
                item[name] = draw(hostile_values)
        if draw(st.booleans()) and not draw(st.integers(0, 4)):
            item[draw(st.sampled_from(("depht", "sector", "x")))] = 1
        items.append(item)
    return items


@st.composite
def one_change(draw: st.DrawFn) -> tuple[str, Any]:
    """One (dotted key, value): mostly a setting at or near its limits, sometimes anything at all."""
    kind = draw(st.sampled_from(("edge",) * 6 + ("array", "array", "count", "horizon", "table", "typo")))
    if kind == "edge":
        key = draw(st.sampled_from(SCALAR_KEYS))
        return key, draw(edge_values(LEAVES[key]))
    if kind == "array":
        key = draw(st.sampled_from(sorted(ARRAY_ITEMS)))
        return key, draw(array_entries(key) | hostile_values)
    if kind == "count":
        values = (-1, 0, 0, 0, 10_000_001, 2.5, math.nan, math.inf, "100", True, 40, 1)
        return draw(st.sampled_from(COUNT_KEYS)), draw(st.sampled_from(values))
    if kind == "horizon":
        values = (0, -5, 1, 2, 12, 24, 1201, 1001, 3.0, math.nan, "3", 10**20)
        return draw(st.sampled_from(HORIZON_KEYS)), draw(st.sampled_from(values))
    if kind == "table":
        return draw(st.sampled_from(TABLE_KEYS)), draw(hostile_values)
    key = draw(st.sampled_from(SCALAR_KEYS))
    cut = draw(st.integers(0, len(key) - 1))
    return key[:cut] + key[cut + 1 :], 1


mutations = st.lists(one_change(), min_size=1, max_size=2)


def set_dotted(document: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = document
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value


def tiny_document(extends: Any) -> dict[str, Any]:
    return {
        "extends": extends,
        "simulation": {"months": 3, "seeds": 1, "default_horizon_months": 1},
        "population": {"consumers": {"count": 150}, "smes": {"count": 30}},
    }


# --------------------------------------------------------------------------- a folder of files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scenario files to point `extends` and arguments at: good, broken, cyclic, deep, odd."""
    here = tmp_path_factory.mktemp("hostile")
    shutil.copy(BASELINE, here / "baseline.toml")
    (here / "cycle_a.toml").write_text('extends = "cycle_b.toml"\n', encoding="utf-8")
    (here / "cycle_b.toml").write_text('extends = "cycle_c.toml"\n', encoding="utf-8")
    (here / "cycle_c.toml").write_text('extends = "cycle_a.toml"\n', encoding="utf-8")
    (here / "self.toml").write_text('extends = "./self.toml"\n', encoding="utf-8")
    (here / "latin1.toml").write_bytes('[meta]\nname = "caf\xe9"\n'.encode("latin-1"))
    (here / "broken.toml").write_text("[simulation\nmonths = 3\n", encoding="utf-8")
    (here / "a_folder").mkdir()
    os.mkfifo(here / "fifo.toml")
    previous = "baseline.toml"
    for depth in range(1, 151):  # a chain of 150 files, each extending the one before
        name = f"chain_{depth:03d}.toml"
        (here / name).write_text(
            f'extends = "{previous}"\n[meta]\nname = "chain {depth}"\n', encoding="utf-8"
        )
        previous = name
    (here / "not_a_folder").write_text("I am a file\n", encoding="utf-8")
    return here


EXTENDS_TARGETS = (
    "baseline.toml",
    "chain_150.toml",
    "cycle_a.toml",
    "self.toml",
    "case.toml",
    "latin1.toml",
    "broken.toml",
    "a_folder",
    "fifo.toml",
    "missing.toml",
    "",
    ".",
    42,
    ["baseline.toml"],
    {"file": "baseline.toml"},
)


def corrupt(raw: bytes, how: str, where: int, noise: bytes) -> bytes:
    at = where % (len(raw) + 1)
    if how == "insert":
        return raw[:at] + noise + raw[at:]
    if how == "truncate":
        return raw[:at]
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    return raw


def small_enough(scenario: Scenario) -> bool:
    borrowers = scenario.population.consumers.count + scenario.population.smes.count
    return (
        borrowers <= LARGEST_RUN["borrowers"]
        and scenario.simulation.months <= LARGEST_RUN["months"]
        and scenario.simulation.seeds <= LARGEST_RUN["seeds"]
    )


def run_and_judge(args: list[str], out: Path, report: bool = False) -> str:
    parent_before = listing(out.parent)
    options = [o for o in RUN_OPTIONS if report is False or o != "--no-report"]
    result = invoke(["run", *args, "--out", str(out), *options])
    try:
        return judge(result, out, parent_before=parent_before, report=report)
    finally:
        tidy(out)


# --------------------------------------------------------------------------- properties


@settings(HOSTILE, max_examples=70)
@given(
    changes=mutations,
    extends=st.sampled_from(("baseline.toml",) * 12 + EXTENDS_TARGETS),
    damage=st.sampled_from(("none",) * 12 + ("insert", "truncate", "bom")),
    where=st.integers(0, 10_000),
    noise=st.binary(min_size=1, max_size=4) | st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"]),
)
def test_hostile_scenario_files_end_in_exit_0_or_2(files, changes, extends, damage, where, noise):
    document = tiny_document(extends)
    for key, value in changes:
        set_dotted(document, key, value)
    case = files / "case.toml"
    case.write_bytes(corrupt(_dumps(document).encode("utf-8"), damage, where, noise))

    checked = invoke(["validate", str(case)])
    label = judge(checked)
    if checked.exit_code == 0:
        reread = files / "reread.toml"
        reread.write_text(checked.stdout, encoding="utf-8")
        scenario = load_scenario(case)
        assert load_scenario(reread) == scenario, "validate's output does not load back equal"
        if not small_enough(scenario):
            event("validate: valid, too large to run here")
            return
        label = run_and_judge([str(case)], Path(tempfile.mkdtemp(dir=files)) / "run")
    event(f"validate + run → {label}")


def toml_literal(value: Any) -> str:
    try:
        return _inline(value)
    except (TypeError, ValueError):
        return str(value)


@st.composite
def set_pairs(draw: st.DrawFn) -> str:
    """One --set argument: mostly a real key with an edge value, sometimes garbage."""
    kind = draw(st.sampled_from(("edge",) * 5 + ("literal", "garbage", "index", "no-equals")))
    if kind == "edge":
        key, value = draw(one_change())
        return f"{key}={toml_literal(value)}"
    if kind == "literal":
        key = draw(st.sampled_from(SCALAR_KEYS + sorted(ARRAY_ITEMS) + TABLE_KEYS))
        weird = [
            "nan",
            "+nan",
            "-inf",
            "inf",
            "1e400",
            "0x10",
            "1_000",
            "[1,",
            "{a=",
            '"open',
            "'a'",
            " 7 ",
            "",
        ]
        return f"{key}={draw(st.sampled_from(weird) | st.text(max_size=12))}"
    if kind == "index":
        key = draw(
            st.sampled_from(
                [
                    "macro.shocks[0].depth",
                    "calendar.peaks[1].month_of_year",
                    "calendar.peaks[9]",
                    "population.regions[0].share",
                    "meta..name",
                ]
            )
        )
        return f"{key}={toml_literal(draw(hostile_values))}"
    if kind == "no-equals":
        return draw(st.sampled_from(SCALAR_KEYS))
    return f"{draw(st.text(max_size=12))}={draw(st.text(max_size=12))}"


@settings(HOSTILE, max_examples=70)
@given(pairs=st.lists(set_pairs(), min_size=1, max_size=3))
def test_hostile_set_overrides_end_in_exit_0_or_2(tmp_path_factory, pairs):
    counts = [p for p in pairs if p.split("=", 1)[0].strip() in COUNT_KEYS]
    if any(_too_many(p) for p in counts):
        event("--set: population too large to run here")
        return
    all_sets = [*TINY_SETS, *pairs]
    args = [
        str(BASELINE),
        "--seeds",
        "1",
        "--months",
        "3",
        *itertools.chain(*(("--set", p) for p in all_sets)),
    ]
    out = tmp_path_factory.mktemp("set") / "run"
    event(f"--set → {run_and_judge(args, out)}")


def _too_many(pair: str) -> bool:
    try:
        return float(pair.split("=", 1)[1]) > LARGEST_RUN["borrowers"]
    except ValueError:
        return False


OUT_KINDS = ("fresh", "nested", "file", "under-file", "nonempty", "previous-run", "empty-dir", "proc")
SCENARIO_KINDS = ("baseline",) * 5 + ("missing", "folder", "devnull", "latin1", "broken")


@pytest.fixture(scope="module")
def previous_run(files: Path) -> Path:
    """A complete run folder to run over (a later run replaces it; a failed one must not)."""
    out = files / "previous_run"
    result = invoke(
        [
            "run",
            str(BASELINE),
            "--seeds",
            "1",
            "--months",
            "2",
            "--out",
            str(out),
            *RUN_OPTIONS,
            *itertools.chain(*(("--set", s) for s in TINY_SETS)),
        ]
    )
    assert result.exit_code == 0, result.stderr
    return out


def make_out(kind: str, files: Path, previous_run: Path) -> tuple[Path, Path]:
    """(a fresh folder to delete afterwards, the --out path of this kind inside it)."""
    base = Path(tempfile.mkdtemp(dir=files))
    if kind == "nested":
        return base, base / "a" / "b" / "run"
    if kind == "file":
        (base / "run").write_text("not a folder", encoding="utf-8")
    elif kind == "under-file":
        (base / "file").write_text("not a folder", encoding="utf-8")
        return base, base / "file" / "run"
    elif kind == "nonempty":
        (base / "run").mkdir()
        (base / "run" / "notes.txt").write_text("mine", encoding="utf-8")
    elif kind == "previous-run":
        shutil.copytree(previous_run, base / "run")
    elif kind == "empty-dir":
        (base / "run").mkdir()
    elif kind == "proc":
        return base, Path("/proc/lendsim-reliability/run")
    return base, base / "run"


def scenario_path(kind: str, files: Path) -> Path:
    return {
        "baseline": BASELINE,
        "missing": files / "no_such.toml",
        "folder": files / "a_folder",
        "devnull": Path(os.devnull),
        "latin1": files / "latin1.toml",
        "broken": files / "broken.toml",
    }[kind]


OUT_OF_RANGE = ("0", "-1", "1201", "1001", "99999999999999999999")
NOT_INTEGERS = ("abc", "1.5", "", "nan", "1e3", "0x3")  # click refuses these itself


@settings(HOSTILE, max_examples=40)
@given(
    months=st.sampled_from((None,) * 5 + ("1", "2", "3", "5") * 2 + OUT_OF_RANGE + NOT_INTEGERS[:3]),
    seeds=st.sampled_from((None,) * 5 + ("1", "2") * 3 + OUT_OF_RANGE + NOT_INTEGERS[3:]),
    workers=st.sampled_from(["1"] * 6 + ["0", "-1", "x"]),
    lang=st.sampled_from([None, None, None, "en", "zh", "xx", "", "EN"]),
    out_kind=st.sampled_from(OUT_KINDS),
    scenario_kind=st.sampled_from(SCENARIO_KINDS),
    extra=st.sampled_from([[]] * 12 + [["--bogus"], ["--set"], ["--quiet", "--quiet"], ["extra-argument"]]),
)
def test_hostile_command_line_options_end_in_exit_0_or_2(
    files, previous_run, months, seeds, workers, lang, out_kind, scenario_kind, extra
):
    base, out = make_out(out_kind, files, previous_run)
    before = listing(out.parent) if out_kind != "proc" else None
    snapshot = (out / "summary.csv").read_bytes() if out_kind == "previous-run" else None
    args = ["run", str(scenario_path(scenario_kind, files)), "--out", str(out), "--no-report", "--quiet"]
    args += ["--workers", workers] + [
        x
        for name, value in (("--months", months), ("--seeds", seeds), ("--lang", lang))
        if value is not None
        for x in (name, value)
    ]
    args += [x for s in TINY_SETS for x in ("--set", s)] + extra
    if months is None:
        args += ["--months", "2"]
    if seeds is None:
        args += ["--seeds", "1"]
    result = invoke(args)
    try:
        label = judge(result, out if out_kind != "proc" else None, parent_before=before)
        if result.exit_code != 0 and snapshot is not None:
            assert (out / "summary.csv").read_bytes() == snapshot, "a failed run damaged the previous run"
        event(f"options ({out_kind}) → {label}")
    finally:
        tidy(base)


# --------------------------------------------------------------------------- named cases


def run_tiny(tmp_path: Path, *sets: str, months: int = 3, report: bool = False) -> tuple[Any, Path]:
    """`lendsim run` of the tiny baseline; --seeds/--months unless a setting names them."""
    out = tmp_path / "run"
    horizon = (
        [] if any(s.startswith("simulation.") for s in sets) else ["--seeds", "1", "--months", str(months)]
    )
    args = [
        "run",
        str(BASELINE),
        *horizon,
        "--out",
        str(out),
        "--quiet",
        "--workers",
        "1",
        *([] if report else ["--no-report"]),
    ]
    for s in (*TINY_SETS, *sets):
        args += ["--set", s]
    return invoke(args), out


def assert_exit_2(result: Any, *words: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert one_line_error(result.stderr), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


@pytest.mark.parametrize(
    "setting",
    [
        "underwriting.cutoff=nan",
        "underwriting.hitl.cost_per_review_rmb=nan",
        "underwriting.hitl.cost_per_review_rmb=-inf",
        "population.consumers.expense_share=inf",
        "underwriting.hitl.reviewers=nan",
        "simulation.months=nan",
        "simulation.seed=nan",
    ],
)
def test_nan_and_inf_where_the_schema_bounds_the_value_end_in_exit_2(tmp_path, setting):
    result, out = run_tiny(tmp_path, setting)
    assert_exit_2(result, setting.split("=")[0])
    assert not out.exists()


@pytest.mark.parametrize(
    ("consumers", "smes"), [(0, 40), (150, 0), (0, 0)], ids=["no-consumers", "no-smes", "nobody"]
)
def test_an_empty_population_runs_in_both_modes_with_a_complete_folder(tmp_path, consumers, smes):
    result, out = run_tiny(
        tmp_path, f"population.consumers.count={consumers}", f"population.smes.count={smes}", report=True
    )
    assert judge(result, out, report=True) == "ran: complete run folder"
    assert set(os.listdir(out)) >= set(CONTRACT_FILES)


@pytest.mark.parametrize("how", ["--months", "--set", "file"])
def test_zero_months_is_exit_2_naming_the_setting(tmp_path, how):
    if how == "file":
        case = tmp_path / "zero.toml"
        case.write_text(f'extends = "{BASELINE}"\n[simulation]\nmonths = 0\n', encoding="utf-8")
        result = invoke(["validate", str(case)])
    else:
        args = ["run", str(BASELINE), "--out", str(tmp_path / "run"), "--no-report"]
        args += ["--months", "0"] if how == "--months" else ["--set", "simulation.months=0"]
        result = invoke(args)
    assert_exit_2(result, "simulation.months", "must be a whole number")
    assert not (tmp_path / "run").exists()


def test_a_shock_after_the_last_month_is_exit_2(tmp_path):
    result, out = run_tiny(tmp_path, "macro.shocks=[{start_month=4, depth=-1.0}]", months=3)
    assert_exit_2(result, "macro.shocks[0].start_month", "after the last month")
    assert not out.exists()


def test_a_shock_that_outlasts_the_horizon_runs(tmp_path):
    result, out = run_tiny(tmp_path, "macro.shocks=[{start_month=3, duration_months=50, depth=-2.0}]")
    assert judge(result, out) == "ran: complete run folder"


@pytest.mark.parametrize(
    "setting",
    [
        "macro.shocks=[{start_month=1, depth=-1.0, sectors=['mining']}]",
        "macro.shocks=[{start_month=1, depth=-1.0, regions=['south']}]",
        "policy.restrictions=[{sectors=['mining']}]",
    ],
)
def test_an_unknown_sector_or_region_is_exit_2_listing_the_known_ones(tmp_path, setting):
    result, _ = run_tiny(tmp_path, setting)
    assert_exit_2(result, "unknown", "known:")


@pytest.mark.parametrize(
    "setting",
    [
        "population.consumers.count=10000001",
        "population.smes.count=1e12",
        "simulation.seeds=1001",
        "simulation.months=99999999999999999999",
        "underwriting.hitl.reviewers=100001",
        "simulation.seed=-1",
        "simulation.seed=99999999999999999999999",
        "platform.capital_rmb=1e308",
        "underwriting.hitl.cost_per_review_rmb=1e300",
        "macro.shocks=[{start_month=1, depth=-1e300}]",
    ],
)
def test_numbers_beyond_the_schema_limits_are_exit_2(tmp_path, setting):
    result, out = run_tiny(tmp_path, setting)
    assert_exit_2(result, setting.split("=")[0])
    assert not out.exists()


def test_settings_events_outside_the_horizon_other_than_shocks_run(tmp_path):
    """Maintenance windows, orders, rule changes and restrictions that start after the last month
    are accepted and never act (unlike shocks, which are refused): the run must still be sound."""
    result, out = run_tiny(
        tmp_path,
        "calendar.maintenance=[{start_month=40, downtime_share=0.5}]",
        "policy.regulator_orders=[{start_month=40, share=0.5}]",
        "regulation.schedule=[{from_month=40, apr_cap=0.1}]",
        "policy.restrictions=[{sectors=['retail'], start_month=40}]",
    )
    assert judge(result, out) == "ran: complete run folder"


def test_a_file_with_non_utf8_bytes_is_exit_2_naming_the_line(files):
    assert_exit_2(invoke(["validate", str(files / "latin1.toml")]), "latin1.toml", "line 2", "UTF-8")


def test_a_deep_extends_chain_resolves_and_runs(files, tmp_path):
    result = invoke(["validate", str(files / "chain_150.toml")])
    assert result.exit_code == 0, result.stderr
    assert 'name = "chain 150"' in result.stdout
    label = run_and_judge(
        [
            str(files / "chain_150.toml"),
            "--seeds",
            "1",
            "--months",
            "2",
            *itertools.chain(*(("--set", s) for s in TINY_SETS)),
        ],
        tmp_path / "run",
    )
    assert label == "ran: complete run folder"


@pytest.mark.parametrize("start", ["cycle_a.toml", "self.toml"])
def test_an_extends_cycle_is_exit_2_showing_the_cycle(files, start):
    assert_exit_2(invoke(["validate", str(files / start)]), "extends makes a cycle", start)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("no_such.toml", ["no such file"]),
        ("a_folder", ["is a directory"]),
        ("fifo.toml", ["not a regular file"]),
        ("broken.toml", ["line 1", "not valid TOML"]),
    ],
)
def test_missing_or_odd_scenario_files_are_exit_2(files, name, words):
    for command in (["validate"], ["run"]):
        assert_exit_2(invoke([*command, str(files / name)]), name, *words)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_scenario_file_is_exit_2(tmp_path):
    case = tmp_path / "secret.toml"
    case.write_text("[simulation]\nmonths = 2\n", encoding="utf-8")
    case.chmod(0)
    assert_exit_2(invoke(["validate", str(case)]), "secret.toml", "permission denied")


@pytest.mark.parametrize("kind", ["file", "under-file", "nonempty", "proc"])
def test_an_output_folder_that_cannot_be_used_is_exit_2_and_nothing_is_written(files, previous_run, kind):
    base, out = make_out(kind, files, previous_run)
    before = listing(out.parent) if kind != "proc" else set()
    result = invoke(
        [
            "run",
            str(BASELINE),
            "--seeds",
            "1",
            "--months",
            "2",
            "--out",
            str(out),
            *RUN_OPTIONS,
            *itertools.chain(*(("--set", s) for s in TINY_SETS)),
        ]
    )
    assert_exit_2(result, "error: ")
    assert listing(out.parent) == before
    if kind == "nonempty":
        assert listing(out) == {"notes.txt"}
    tidy(base)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_folder_is_exit_2_permission_denied(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = invoke(
            [
                "run",
                str(BASELINE),
                "--seeds",
                "1",
                "--months",
                "2",
                "--out",
                str(parent / "run"),
                *RUN_OPTIONS,
                *itertools.chain(*(("--set", s) for s in TINY_SETS)),
            ]
        )
        assert_exit_2(result, "permission denied")
        assert listing(parent) == set()
    finally:
        parent.chmod(0o755)


# --------------------------------------------------------------------------- the real console script


def console(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*lendsim_executable(), *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("case", "words"),
    [
        (["validate", "no_such.toml"], ["no such file"]),
        (["validate", "latin1.toml"], ["UTF-8"]),
        (
            ["run", "baseline.toml", "--set", "macro.shocks=[{start_month=99, depth=-1.0}]"],
            ["after the last"],
        ),
        (
            [
                "run",
                "baseline.toml",
                "--out",
                "not_a_folder",
                "--months",
                "2",
                "--seeds",
                "1",
                "--set",
                "simulation.default_horizon_months=1",
            ],
            ["not a folder"],
        ),
    ],
    ids=["missing", "latin1", "shock-outside", "out-is-a-file"],
)
def test_the_console_script_says_one_line_and_exits_2(files, case, words):
    done = console(*case, cwd=files)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert one_line_error(done.stderr), done.stderr
    assert all(word in done.stderr for word in words), done.stderr


def test_the_console_script_runs_a_tiny_scenario_to_a_complete_folder(tmp_path):
    out = tmp_path / "run"
    sets = [x for s in TINY_SETS for x in ("--set", s)]
    done = console(
        "run",
        str(BASELINE),
        "--seeds",
        "2",
        "--workers",
        "1",
        "--months",
        "3",
        "--out",
        str(out),
        *sets,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert set(os.listdir(out)) == set(CONTRACT_FILES)
    assert judge(_Completed(done), out, report=True) == "ran: complete run folder"


class _Completed:
    """A finished subprocess seen through the attributes `judge` reads from a CliRunner result."""

    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.exit_code, self.stderr, self.stdout, self.exception = (
            done.returncode,
            done.stderr,
            done.stdout,
            None,
        )
