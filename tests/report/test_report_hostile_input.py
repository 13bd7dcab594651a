"""Bad input to the report: names shown as text, and a corrupt folder refused early, in one line.

Names that reach the report (sectors, regions, the scenario's name and purpose, sweep parameters
and their values) may hold markup, non-ASCII digits, emoji, right-to-left text or simply be long:
the report must be built, and show them as written — never as a live link or restyled text, in the
page or in a Plotly label. A run or sweep folder whose files are corrupt (wrong column types,
renamed modes, a malformed manifest, an empty table, a missing file) must be refused before any
figure is built: exit 2, one line on stderr naming the file, no traceback, and nothing in the
folder touched. The run folder is a real one, made by `lendsim run` in this process.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lendsim.cli import app
from lendsim.report import build_report
from lendsim.report.aggregate import segment_groups, segment_rates
from lendsim.report.markup import MAX_LABEL_CHARS, as_text, element_id, shortened

from . import test_browser
from .synthetic import BASIC_SEGMENTS, fabricate_run_folder, fabricate_sweep_folder

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
CHROMIUM = test_browser.CHROMIUM
browser = test_browser.browser  # the browser tests' fixtures, shared: one Chromium per module
open_report = test_browser.open_report
EVIL_LINK = '<a href="https://evil.example/sector">click</a>'
EVIL_STYLE = '<span style="font-size:80px">BIG</span>'
SUPERSCRIPT = "²"
MIXED = "🍜 餐饮 \u200fمطعم\u200f x&amp;y"
LONG = "a-" + "very-" * 30 + "long-sector"
SECTORS = (EVIL_LINK, EVIL_STYLE, SUPERSCRIPT, MIXED, LONG)
REGIONS = ("<i>north</i><br>x", "1e5", "nan", "شرق")
SCENARIO_NAME = '<a href="https://evil.example/name">Evil</a> & <b>bold</b>'
SCENARIO_PURPOSE = '<span style="font-size:80px">BIG</span> <script>alert(1)</script>'
EVIL_PARAMETER = '<a href="https://evil.example/parameter">p</a>'
EVIL_VALUES = {560: "<b>tight</b>", 600: 'x" onmouseover="alert(1)', 640: SUPERSCRIPT}
EVIL_METRIC = "<img src=x onerror=alert(1)>"
TEMPLATES = ("hovertemplate", "texttemplate")
"""Plotly attributes that are ours (with their own <br>); names from the data never go there."""


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string literal is a TOML basic string


def hostile_scenario(folder: Path) -> Path:
    """A tiny scenario (300 consumers, 60 SMEs, 6 months, 2 seeds) whose names are all hostile."""
    sectors = "".join(
        f"[[population.smes.sectors]]\nname = {toml_string(name)}\nshare = 0.2\nseasonality = 0.1\n"
        "peak_month = 6\nmacro_beta = 1.0\n"
        for name in SECTORS
    )
    regions = "".join(
        f"[[population.regions]]\nname = {toml_string(name)}\nshare = 0.25\n" for name in REGIONS
    )
    path = folder / "hostile.toml"
    path.write_text(
        f"extends = {toml_string(str(BASELINE))}\n"
        f"[meta]\nname = {toml_string(SCENARIO_NAME)}\ndescription = {toml_string(SCENARIO_PURPOSE)}\n"
        "[simulation]\nmonths = 6\nseeds = 2\ndefault_horizon_months = 3\n"
        "[population.consumers]\ncount = 300\n[population.smes]\ncount = 60\n"
        f"{sectors}{regions}",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run folder, report included, made by `lendsim run` in this process."""
    root = tmp_path_factory.mktemp("hostile")
    out = root / "run"
    result = CliRunner().invoke(
        app, ["run", str(hostile_scenario(root)), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return out


@pytest.fixture(scope="module")
def fabricated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder shaped like `lendsim run` writes it, with the same hostile names and a report —
    fabricated (synthetic.py), so the corrupt-folder cases do not wait for the model."""
    segments = BASIC_SEGMENTS + tuple(f"sector:{s}" for s in SECTORS) + tuple(f"region:{r}" for r in REGIONS)
    folder = fabricate_run_folder(
        tmp_path_factory.mktemp("fabricated") / "run", seeds=2, months=6, segments=segments
    )
    edit_json(
        folder / "manifest.json",
        lambda m: {**m, "scenario_name": SCENARIO_NAME, "scenario_purpose": SCENARIO_PURPOSE},
    )
    return build_report(folder).parent


def hostile_sweep(folder: Path) -> Path:
    """A sweep folder whose first parameter has a name and text values full of markup, and with a
    metric column named like an HTML element."""
    fabricate_sweep_folder(folder)
    for name in ("sweep_summary.csv", "sensitivity.csv"):
        table = pd.read_csv(folder / name)
        if "underwriting.cutoff" in table.columns:
            table["underwriting.cutoff"] = table["underwriting.cutoff"].map(EVIL_VALUES)
            table = table.rename(columns={"underwriting.cutoff": EVIL_PARAMETER})
            for statistic in ("mean", "ci_low", "ci_high"):
                table[f"{EVIL_METRIC}_{statistic}"] = table[f"approval_rate_{statistic}"]
        if "parameter" in table.columns:
            table["parameter"] = table["parameter"].replace({"underwriting.cutoff": EVIL_PARAMETER})
        table.to_csv(folder / name, index=False)
    (folder / "sweep.parquet").unlink()
    edit_json(folder / "manifest.json", lambda m: {**m, "parameters": [EVIL_PARAMETER, *m["parameters"][1:]]})
    return folder


@pytest.fixture(scope="module")
def hostile_sweep_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(hostile_sweep(tmp_path_factory.mktemp("hostile-sweep") / "sweep"))


# --------------------------------------------------------------------------- reading a report


def plotly_figures(page: str) -> dict[str, tuple[list, dict]]:
    """Every figure of a report page: div id → (data, layout), as Plotly receives them."""
    decoder = json.JSONDecoder()
    found = {}
    for call in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', page):
        data, end = decoder.raw_decode(page, call.end())
        layout, _ = decoder.raw_decode(page, page.index("{", end))
        found[call.group(1)] = (data, layout)
    return found


def label_strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """(attribute, string) of every string in a figure that Plotly may render, templates aside."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            if name not in TEMPLATES:
                yield from label_strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from label_strings(item, key)


def figure_texts(page: str) -> list[dict]:
    """The texts each figure carries for the language switch (a JSON attribute, HTML-escaped)."""
    return [json.loads(html.unescape(raw)) for raw in re.findall(r'data-figure-texts="([^"]*)"', page)]


def outside_scripts(page: str) -> str:
    return re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)


PLOTLY_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0", "times": "×", "mu": "μ"}


def plotly_shows(label: str) -> str:
    """What Plotly.js shows for a label without tags: its entity decoding (svg_text_utils.js)."""

    def decoded(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("#"):
            return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        return PLOTLY_ENTITIES.get(name, match.group())

    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", decoded, label)


# --------------------------------------------------------------------------- names shown as text


@pytest.mark.parametrize("name", [*SECTORS, *REGIONS, SCENARIO_NAME, SCENARIO_PURPOSE, 'it\'s "quoted"'])
def test_one_escape_shows_a_name_literally_in_html_and_in_plotly_labels(name: str):
    escaped = as_text(name)

    assert not re.search(r"[<>\"']", escaped)
    assert html.unescape(escaped) == name
    assert plotly_shows(escaped) == name


def test_superscripts_and_other_unicode_digits_are_names_not_score_bounds():
    segments = ["band:600-650", "band:90-350", "sector:²", "sector:٣", "sector:retail", "region:1e5"]

    groups = segment_groups(segments)

    assert groups["band"] == ["band:90-350", "band:600-650"]
    assert groups["sector"] == ["sector:retail", "sector:²", "sector:٣"]


def test_a_segment_with_nothing_to_measure_gets_no_bar_rather_than_a_bar_at_zero():
    monthly = pd.DataFrame(
        {
            "mode": "automated",
            "seed": [0, 0],
            "month": 1,
            "segment": ["sector:a", "sector:b"],
            "approved": [3, 0],
            "approved_on_appeal": [0, 0],
            "applications_decided": [4, 0],
        }
    )

    rates = segment_rates(monthly, ["sector:a", "sector:b"])

    assert rates.loc[rates["metric"] == "approval_rate", "segment"].tolist() == ["sector:a"]


def test_a_run_whose_names_are_hostile_completes_with_its_report(hostile_run: Path):
    page = (hostile_run / "report.html").read_text(encoding="utf-8")

    assert {"summary.csv", "comparison.csv", "monthly.parquet", "manifest.json", "report.html"} <= {
        p.name for p in hostile_run.iterdir()
    }
    assert 'id="figure-segments-sector"' in page and 'id="figure-segments-region"' in page


def test_hostile_names_reach_the_plotly_figures_escaped_and_never_as_markup(hostile_run: Path):
    figures = plotly_figures((hostile_run / "report.html").read_text(encoding="utf-8"))
    labels = [(key, text) for data, layout in figures.values() for key, text in label_strings([data, layout])]

    sectors = figures["figure-segments-sector"][0][0]["x"]
    assert as_text(EVIL_LINK) in sectors and as_text(EVIL_STYLE) in sectors and SUPERSCRIPT in sectors
    assert as_text(MIXED) in sectors
    assert as_text(REGIONS[0]) in figures["figure-segments-region"][0][0]["x"]
    assert [(key, text) for key, text in labels if re.search(r"[<>]", text)] == []
    assert not any("<a href" in text or "<span style" in text for _, text in labels)


def test_a_long_name_is_shortened_on_the_axis_and_whole_on_hover(hostile_run: Path):
    data, layout = plotly_figures((hostile_run / "report.html").read_text(encoding="utf-8"))[
        "figure-segments-sector"
    ]
    ticks = dict(zip(layout["xaxis"]["tickvals"], layout["xaxis"]["ticktext"], strict=True))

    [long_value] = [value for value in data[0]["x"] if value.startswith("A-very")]
    assert (
        len(long_value) == len(LONG)
        and len(ticks[long_value]) <= MAX_LABEL_CHARS
        and ticks[long_value].endswith("…")
    )
    assert layout["xaxis"]["type"] == "category"  # '1e5' and 'nan' stay names, not numbers


def test_hostile_names_reach_the_page_escaped(hostile_run: Path):
    page = (hostile_run / "report.html").read_text(encoding="utf-8")
    ours = outside_scripts(page)

    assert f"<h1>{as_text(SCENARIO_NAME)}</h1>" in page
    assert as_text(SCENARIO_PURPOSE) in page
    assert "evil.example" in ours
    assert not re.search(r"<(a|span|b|i|br|img)\b[^>]*(evil|80px|alert)", ours)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page


def test_hostile_sweep_names_are_escaped_in_titles_categories_and_the_language_switch(
    hostile_sweep_report: Path,
):
    page = hostile_sweep_report.read_text(encoding="utf-8")
    figures = plotly_figures(page)
    heatmap_data, heatmap_layout = figures["figure-sweep-approval_rate"]

    assert heatmap_layout["xaxis"]["title"]["text"] == as_text(EVIL_PARAMETER)
    assert set(heatmap_data[0]["x"]) == {as_text(v) for v in EVIL_VALUES.values()}
    assert heatmap_data[0]["meta"][0] == as_text(EVIL_PARAMETER)
    assert "evil" not in heatmap_data[0]["hovertemplate"]
    for data, layout in figures.values():
        assert [text for _, text in label_strings([data, layout]) if re.search(r"[<>]", text)] == []
    for texts in figure_texts(page):
        assert not any(re.search(r"[<>]", text) for _, text in label_strings(texts))


def test_a_metric_column_named_like_markup_gets_a_plain_figure_id_and_escaped_title(
    hostile_sweep_report: Path,
):
    page = hostile_sweep_report.read_text(encoding="utf-8")
    figure_id = element_id(f"figure-sweep-{EVIL_METRIC}")

    assert re.fullmatch(r"[A-Za-z0-9_-]+", figure_id)
    assert f'id="{figure_id}"' in page
    assert "<img" not in outside_scripts(page) and "\\u003cimg" not in page


# --------------------------------------------------------------------------- corrupt folders


def edit_parquet(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    edit(pd.read_parquet(path)).to_parquet(path, index=False)


def edit_csv(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    edit(pd.read_csv(path)).to_csv(path, index=False)


def edit_json(path: Path, edit: Callable[[dict], object]) -> None:
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")


def renamed_modes(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(mode=table["mode"].map({"automated": "auto", "hitl": "human", "difference": "diff"}))


def all_nan_metrics(table: pd.DataFrame) -> pd.DataFrame:
    keys = ["mode", "seed", "month", "segment"]
    return table[keys].join(table.drop(columns=keys).astype(float) * np.nan)


RUN_CASES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    # id: (file named in the message, corruption, what the message says)
    "month-as-text": (
        "monthly.parquet",
        lambda p: edit_parquet(p, lambda t: t.assign(month=t["month"].astype(str))),
        "column month holds text",
    ),
    "metric-as-text": (
        "monthly.parquet",
        lambda p: edit_parquet(p, lambda t: t.assign(approval_rate="high")),
        "column approval_rate holds text",
    ),
    "seed-not-whole": (
        "monthly.parquet",
        lambda p: edit_parquet(p, lambda t: t.assign(seed=t["seed"] + 0.5)),
        "whole numbers",
    ),
    "monthly-modes-renamed": (
        "monthly.parquet",
        lambda p: edit_parquet(p, renamed_modes),
        "'auto', 'human' — allowed are automated, hitl",
    ),
    "monthly-empty": ("monthly.parquet", lambda p: edit_parquet(p, lambda t: t.iloc[:0]), "holds no rows"),
    "monthly-all-nan": ("monthly.parquet", lambda p: edit_parquet(p, all_nan_metrics), "holds no data"),
    "monthly-no-whole-market": (
        "monthly.parquet",
        lambda p: edit_parquet(p, lambda t: t[t["segment"] != "all"]),
        "no rows for segment 'all'",
    ),
    "monthly-rows-repeated": (
        "monthly.parquet",
        lambda p: edit_parquet(p, lambda t: pd.concat([t, t])),
        "repeat a (mode, seed, month, segment)",
    ),
    "monthly-empty-key-cells": (
        "monthly.parquet",
        lambda p: edit_parquet(p, lambda t: t.assign(month=t["month"].astype(float).where(t.index > 0))),
        "column month has empty cells",
    ),
    "monthly-not-parquet": ("monthly.parquet", lambda p: p.write_text("hello"), "cannot be read as Parquet"),
    "comparison-count-as-text": (
        "comparison.csv",
        lambda p: edit_csv(p, lambda t: t.assign(n_seeds="ten")),
        "column n_seeds holds text",
    ),
    "comparison-difference-as-text": (
        "comparison.csv",
        lambda p: edit_csv(p, lambda t: t.assign(difference="big")),
        "column difference holds text",
    ),
    "comparison-mean-missing": (
        "comparison.csv",
        lambda p: edit_csv(p, lambda t: t.assign(automated_mean=np.nan)),
        "automated_mean of 'approval_rate' is not a finite number",
    ),
    "comparison-empty": ("comparison.csv", lambda p: edit_csv(p, lambda t: t.iloc[:0]), "holds no rows"),
    "comparison-empty-file": ("comparison.csv", lambda p: p.write_bytes(b""), "cannot be read as CSV"),
    "comparison-not-utf8": (
        "comparison.csv",
        lambda p: p.write_bytes("metric,指标\n".encode("gbk")),
        "cannot be read as CSV",
    ),
    "summary-missing": ("summary.csv", lambda p: p.unlink(), "summary.csv is missing"),
    "summary-modes-renamed": ("summary.csv", lambda p: edit_csv(p, renamed_modes), "'auto', 'human'"),
    "summary-seed-as-text": (
        "summary.csv",
        lambda p: edit_csv(p, lambda t: t.assign(seed="first")),
        "column seed holds text",
    ),
    "manifest-not-json": ("manifest.json", lambda p: p.write_text("{not json"), "not valid JSON"),
    "manifest-empty-file": ("manifest.json", lambda p: p.write_text(""), "not valid JSON"),
    "manifest-a-list": ("manifest.json", lambda p: p.write_text("[1, 2]"), "JSON object (key: value pairs)"),
    "manifest-a-string": ("manifest.json", lambda p: p.write_text('"run"'), "JSON object (key: value pairs)"),
    "manifest-nested-too-deep": (
        "manifest.json",
        lambda p: p.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "nested too deeply",
    ),
    "manifest-empty-object": (
        "manifest.json",
        lambda p: p.write_text("{}"),
        "key lendsim_version is missing",
    ),
    "manifest-without-seeds": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {k: v for k, v in m.items() if k != "seeds"}),
        "key seeds is missing",
    ),
    "manifest-seeds-a-string": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "seeds": "all"}),
        'seeds is "all" — it must be a non-empty list of whole numbers',
    ),
    "manifest-wall-time-as-text": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "wall_time_s": "fast"}),
        'wall_time_s is "fast"',
    ),
    "manifest-wall-time-nan": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "wall_time_s": float("nan")}),
        "wall_time_s is NaN",
    ),
    "manifest-name-an-object": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "scenario_name": {"x": 1}}),
        "scenario_name is {",
    ),
    "manifest-packages-a-list": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "packages": ["numpy"]}),
        "packages is",
    ),
    "manifest-not-utf8": ("manifest.json", lambda p: p.write_bytes(b'{"a": "\xff"}'), "cannot be read"),
}

SWEEP_CASES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    "sweep-modes-renamed": (
        "sweep_summary.csv",
        lambda p: edit_csv(p, renamed_modes),
        "'auto', 'diff', 'human' — allowed are automated, hitl, difference",
    ),
    "sweep-metric-as-text": (
        "sweep_summary.csv",
        lambda p: edit_csv(p, lambda t: t.assign(approval_rate_mean="x")),
        "column approval_rate_mean holds text",
    ),
    "sweep-point-as-text": (
        "sweep_summary.csv",
        lambda p: edit_csv(p, lambda t: t.assign(point="p")),
        "column point holds text",
    ),
    "sweep-empty": ("sweep_summary.csv", lambda p: edit_csv(p, lambda t: t.iloc[:0]), "holds no rows"),
    "sweep-summary-missing": ("sweep_summary.csv", lambda p: p.unlink(), "sweep_summary.csv is missing"),
    "sweep-parameters-a-string": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "parameters": "underwriting.cutoff"}),
        'parameters is "underwriting.cutoff" — it must be a list of column names',
    ),
    "sweep-points-as-text": (
        "manifest.json",
        lambda p: edit_json(p, lambda m: {**m, "points": "many"}),
        'points is "many"',
    ),
    "sweep-manifest-a-list": ("manifest.json", lambda p: p.write_text("[]"), "JSON object"),
    "sensitivity-index-as-text": (
        "sensitivity.csv",
        lambda p: edit_csv(p, lambda t: t.assign(mu_star="lots")),
        "column mu_star holds text",
    ),
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def assert_refused_in_one_line(folder: Path, file: str, says: str) -> None:
    """`lendsim report FOLDER` exits 2 with one line naming the file, and leaves the folder as it was."""
    before = snapshot(folder)

    result = CliRunner().invoke(app, ["report", str(folder)])

    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert file in lines[0] and str(folder) in lines[0], lines[0]
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert snapshot(folder) == before  # the previous report.html and every data file untouched


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[Path], Path]:
    def copy(folder: Path) -> Path:
        return Path(shutil.copytree(folder, tmp_path / folder.name))

    return copy


@pytest.mark.parametrize("case", RUN_CASES, ids=list(RUN_CASES))
def test_a_corrupt_run_folder_is_refused_in_one_line_naming_the_file(
    fabricated_run: Path, copy_of, case: str
):
    file, corrupt, says = RUN_CASES[case]
    folder = copy_of(fabricated_run)
    corrupt(folder / file)

    assert_refused_in_one_line(folder, file, says)


@pytest.mark.parametrize("case", SWEEP_CASES, ids=list(SWEEP_CASES))
def test_a_corrupt_sweep_folder_is_refused_in_one_line_naming_the_file(tmp_path: Path, case: str):
    file, corrupt, says = SWEEP_CASES[case]
    folder = fabricate_sweep_folder(tmp_path / "sweep")
    (folder / "report.html").write_text("previous", encoding="utf-8")
    corrupt(folder / file)

    assert_refused_in_one_line(folder, file, says)


def test_a_column_without_a_single_number_is_no_data_not_zero_throughout(fabricated_run: Path, copy_of):
    folder = copy_of(fabricated_run)
    prefixed = [c for c in pd.read_parquet(folder / "monthly.parquet").columns if c.startswith("frozen_")]
    edit_parquet(
        folder / "monthly.parquet",
        lambda t: t.assign(approval_rate=np.nan, **dict.fromkeys(prefixed, np.nan)),
    )

    result = CliRunner().invoke(app, ["report", str(folder)])
    page = (folder / "report.html").read_text(encoding="utf-8")

    assert result.exit_code == 0, result.stderr
    assert "Not shown: approval_rate has no data" in page and "approval_rate is zero throughout" not in page
    assert "Not shown: frozen_* has no data" in page and 'id="figure-approval_rate"' not in page


def test_a_sweep_metric_without_a_single_number_is_no_data_not_zero_throughout(tmp_path: Path):
    folder = fabricate_sweep_folder(tmp_path / "sweep")
    edit_csv(
        folder / "sweep_summary.csv",
        lambda t: t.assign(
            approval_rate_mean=np.nan, approval_rate_ci_low=np.nan, approval_rate_ci_high=np.nan
        ),
    )

    page = build_report(folder).read_text(encoding="utf-8")

    assert "Not shown: approval_rate has no data" in page
    assert "frozen_accounts is zero throughout" in page  # a metric that is zero is still told as zero


# --------------------------------------------------------------------------- in the browser


def in_chromium(test: Callable) -> Callable:
    """Marked `browser`; skipped where Debian's chromium is not installed."""
    skip = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
    return pytest.mark.browser(skip(test))


PLOT_LINKS = """() => Array.from(document.querySelectorAll('.js-plotly-plot a'))
    .map(a => a.getAttribute('href') || a.getAttribute('xlink:href') || '')"""
STYLED_TEXT = """() => Array.from(document.querySelectorAll('.js-plotly-plot tspan[style]'))
    .map(t => t.getAttribute('style'))"""


def tick_texts(figure_id: str) -> str:
    return f"""() => Array.from(document.querySelectorAll('#{figure_id} .xtick text'))
        .map(t => t.textContent)"""


@in_chromium
def test_in_the_browser_hostile_names_are_text_not_links_or_styles(open_report, hostile_run: Path):
    report = open_report(hostile_run / "report.html")

    assert [href for href in report.page.evaluate(PLOT_LINKS) if "evil" in href] == []
    assert not any("80px" in style for style in report.page.evaluate(STYLED_TEXT))
    ticks = report.page.evaluate(tick_texts("figure-segments-sector"))
    assert {shortened(EVIL_LINK), shortened(EVIL_STYLE), SUPERSCRIPT, MIXED} <= set(ticks)  # literally
    assert report.visible_text("h1") == SCENARIO_NAME
    report.assert_clean()


@in_chromium
def test_in_the_browser_a_hostile_sweep_parameter_is_text_in_titles_ticks_and_hover(
    open_report, hostile_sweep_report: Path
):
    report = open_report(hostile_sweep_report)
    figure_id = "figure-sweep-approval_rate"

    assert report.page.evaluate(PLOT_LINKS) == []
    ticks = report.page.evaluate(tick_texts(figure_id))
    assert set(EVIL_VALUES.values()) <= set(ticks)
    title = report.page.locator(f"#{figure_id} .g-xtitle text").first.text_content()
    assert title == EVIL_PARAMETER
    cells = report.page.locator(f"#{figure_id} .nsewdrag").first
    cells.scroll_into_view_if_needed()
    box = cells.bounding_box()
    report.page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.8)
    hover = report.page.locator(f"#{figure_id} .hoverlayer text").first
    hover.wait_for()
    assert hover.text_content().startswith(f"{EVIL_PARAMETER}=")
    report.page.click("#language-switch")
    assert report.page.evaluate(PLOT_LINKS) == []
    report.assert_clean()
