"""Charts that tell the story and a report in both languages, read back from the built page: rule
changes, closures, suspensions and the regulator's actions marked on every time axis at their month;
origination, book, profit and capital over time; units and fan bands; methods, limitations and a
glossary that covers every chart; the scenario's Chinese title; sweep and sensitivity reports that
say what they are."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from lendsim import metrics
from lendsim.reasons import FAILURE_COLUMNS, FREEZE_COLUMNS, REFUSAL_COLUMNS, REJECTION_COLUMNS
from lendsim.report import build_report
from lendsim.report.i18n import FAMILY_PARTS

from .pages import in_language, plotly_figures, section, switch_texts
from .synthetic import (
    BASIC_SEGMENTS,
    fabricate_run_folder,
    fabricate_sensitivity_folder,
    fabricate_sweep_folder,
)

RULE_MONTH = 10
SCHEDULE = f"""
[[regulation.schedule]]
from_month = {RULE_MONTH}
min_own_funding_share = 0.3
consumer_loan_cap_rmb = 300000.0

[[policy.restrictions]]
sectors = ["retail"]
start_month = 4
end_month = 6
imposed_by = "regulator"

[[policy.regulator_orders]]
start_month = 12
duration_months = 2
share = 0.05
"""
META_ZH = 'title_zh = "合成基准情景"\ndescription_zh = "仅用于测试报告的合成数据"\n'
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A run of 2 seeds × 16 months with a rule change at month 10, a closure, an account suspension
    and a Chinese title, built in Chinese (the page holds both languages)."""
    folder = fabricate_run_folder(
        tmp_path_factory.mktemp("story") / "run",
        seeds=2,
        months=16,
        segments=BASIC_SEGMENTS,
        scenario_extra=SCHEDULE,
        meta_extra=META_ZH,
    )
    return build_report(folder, "zh").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def charts(page: str) -> dict[str, tuple[list, dict]]:
    return {
        key: value for key, value in plotly_figures(page).items() if not key.startswith("figure-segments")
    }


def test_the_rule_change_is_a_dashed_line_at_its_month_on_every_time_axis(charts):
    assert len(charts) >= 15
    for figure_id, (_, layout) in charts.items():
        lines = [
            s for s in layout["shapes"] if s["type"] == "line" and "domain" not in s["xref"]
        ]  # not y = 0
        assert {shape["x0"] for shape in lines} == {RULE_MONTH - 0.5}, figure_id
        assert all(shape["line"]["dash"] == "dash" for shape in lines)
        columns = {tuple(layout[key]["domain"]) for key in layout if re.fullmatch(r"xaxis\d*", key)}
        marked = {tuple(layout["xaxis" + shape["xref"].removeprefix("x")]["domain"]) for shape in lines}
        assert marked == columns, figure_id  # in every column of panels, over its full height
        assert min(shape["y0"] for shape in lines) == min(
            layout[key]["domain"][0] for key in layout if re.fullmatch(r"yaxis\d*", key)
        )


def test_the_rule_change_is_named_above_the_chart_in_both_languages(page: str, charts):
    texts = switch_texts(page)
    _, layout = charts["figure-approval_rate"]
    chinese = [a["text"] for a in layout["annotations"]]
    english = list(texts["figure-approval_rate"]["en"]["layout"].values())

    assert any(label.startswith("新规：自有出资 ≥ 30%") for label in chinese)
    assert any(
        isinstance(label, str) and label.startswith("New rules: own funding ≥ 30 %") for label in english
    )


def test_closures_suspensions_and_regulator_actions_are_shaded_at_their_months(charts):
    _, layout = charts["figure-approval_rate"]
    spans = {
        (shape["x0"], shape["x1"])
        for shape in layout["shapes"]
        if shape["type"] == "rect" and shape["y0"] < 0.5
    }
    labels = " | ".join(a["text"] for a in layout["annotations"])

    assert (3.5, 6.5) in spans and "暂停放贷：零售" in labels  # retail closed in months 4–6
    assert (11.5, 13.5) in spans and "监管：暂停 5% 的账户" in labels  # accounts suspended in months 12–13
    assert "监管：" in labels  # the synthetic regulator acts during the shock


def test_the_events_are_listed_with_their_months_under_the_lending_heading(page: str):
    lending = in_language(section(page, "lending"), "en")

    assert "From month 10: new rules — own funding ≥ 30 %, consumer loan ≤ RMB 300,000" in lending
    assert "Months 4–6: New lending closed to retail (ordered by the regulator)" in lending
    assert "Peak months" in lending


def test_origination_book_profit_and_capital_are_drawn_over_time(charts):
    for column in ("loans_originated", "volume_originated", "book_rmb", "platform_profit", "capital_rmb"):
        assert f"figure-{column}" in charts


def test_every_time_axis_has_units_and_every_band_is_a_fan(page: str, charts):
    texts = switch_texts(page)
    for figure_id, (data, layout) in charts.items():
        assert layout["yaxis"]["title"]["text"], figure_id
        assert layout["yaxis"]["tickmode"] == "array", figure_id
        english = texts[figure_id]["en"]["layout"]
        assert any(key.startswith("xaxis") and value == "Month" for key, value in english.items()), figure_id
        bands = [trace for trace in data if trace.get("fill") == "toself"]
        assert len(bands) % 2 == 0 and bands, figure_id  # per line, a 95 % band and a 50 % band
    assert texts["figure-volume_originated"]["en"]["layout"]["yaxis.title.text"] == "RMB per month"
    assert charts["figure-volume_originated"][1]["yaxis"]["title"]["text"] == "元/月"


def test_the_chinese_report_shows_the_scenarios_chinese_title_and_description(page: str):
    masthead = page[page.index('<header class="masthead">') : page.index("</header>")]

    assert in_language(masthead, "zh").count("合成基准情景") == 1 and "仅用于测试报告的合成数据" in masthead
    assert "Synthetic baseline" in in_language(masthead, "en")
    assert "合成基准情景" not in in_language(masthead, "en")


def test_methods_and_limitations_explain_the_numbers_in_both_languages(page: str):
    methods, limits = section(page, "methods"), section(page, "limitations")

    english = in_language(methods, "en")
    assert "SeedSequence([root, r])" in english and "root = 20240601" in english
    assert "common random numbers" in english and "Holm–Bonferroni" in english and "bit-identical" in english
    assert "Student's t" in english and "50 %" in english
    assert "公共随机数" in in_language(methods, "zh") and "逐位相同" in in_language(methods, "zh")
    assert "reviewer" in in_language(limits, "en") and "soft_info_noise" in limits
    assert len(CJK.findall(in_language(limits, "zh"))) > 200


def test_the_glossary_defines_every_series_a_chart_shows(page: str, charts):
    glossary = html.unescape(section(page, "glossary"))
    for figure_id in charts:
        column = figure_id.removeprefix("figure-")
        assert (
            f"({column})" in glossary
            or f"({column}_&lt;" in section(page, "glossary")
            or (f"({column}_<" in glossary)
        ), column


def test_drawdowns_are_zhi_yong_throughout_the_chinese_report(page: str):
    assert "提款" not in page
    assert "支用被拒率" in page


def test_every_cause_reason_and_constraint_the_model_records_has_a_chinese_name():
    columns = (*REJECTION_COLUMNS, *REFUSAL_COLUMNS, *FAILURE_COLUMNS, *FREEZE_COLUMNS)
    for column in columns:
        prefix, part = column.split("_", 1)
        assert part in FAMILY_PARTS[f"{prefix}_"], column
    assert set(FAMILY_PARTS["supply_lost_"]) == {c.name for c in metrics.CONSTRAINTS}


@pytest.fixture(scope="module")
def sensitivity_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = fabricate_sensitivity_folder(tmp_path_factory.mktemp("sensitivity") / "morris")
    return build_report(folder, "zh").read_text(encoding="utf-8")


def test_a_sensitivity_report_is_titled_as_one(sensitivity_page: str):
    assert "<title>敏感性分析报告</title>" in sensitivity_page
    assert 'data-title-en="Sensitivity analysis report"' in sensitivity_page
    assert "Parameter sweep report" not in sensitivity_page and "参数扫描报告" not in sensitivity_page


def test_a_sensitivity_reports_findings_state_its_morris_result(sensitivity_page: str):
    findings = in_language(section(sensitivity_page, "summary"), "en")

    assert (
        "Morris screening of the SME funding gap (HITL − automated): Score cutoff (underwriting.cutoff) "
        "moves it most (μ* = RMB 2.00 m ± RMB 400,000"
    ) in findings
    assert "clearly above the seed noise (RMB 50,000)" in findings
    assert "Reviewers (underwriting.hitl.reviewers), Reviewer's error on hidden quality" in findings
    assert "no effect clearly above the seed noise" in findings


def test_a_sensitivity_reports_appendix_shows_its_scenario_from_the_design(sensitivity_page: str):
    appendix = section(sensitivity_page, "appendix")

    assert "Base scenario (from design.json)" in appendix and "[simulation]" in appendix
    assert "no scenario.toml" not in appendix


def test_a_sweep_report_speaks_chinese_to_its_parameters_and_design(tmp_path: Path):
    folder = fabricate_sweep_folder(
        tmp_path / "line", grid={"underwriting.cutoff": [560, 620]}, sensitivity=()
    )

    page = build_report(folder, "zh").read_text(encoding="utf-8")
    chinese = in_language(page[: page.index('<section id="metrics">')], "zh")

    assert "网格设计" in chinese and "grid 设计" not in page
    assert "审批分数线（underwriting.cutoff）" in chinese
    _, layout = plotly_figures(page)["figure-sweep-approval_rate"]
    assert layout["xaxis"]["title"]["text"] == "审批分数线（underwriting.cutoff）"


def test_a_damaged_scenario_file_costs_its_markers_not_the_report(tmp_path: Path):
    folder = fabricate_run_folder(tmp_path / "run", seeds=2, months=6, segments=BASIC_SEGMENTS)
    (folder / "scenario.toml").write_text(
        '[meta]\ntitle_zh = 3\n[[regulation.schedule]]\nfrom_month = true\napr_cap = "high"\n'
        "[[policy.restrictions]]\nsectors = 7\n",
        encoding="utf-8",
    )

    page = build_report(folder, "zh").read_text(encoding="utf-8")

    assert "<h1>Synthetic baseline</h1>" in page
    assert "新规：" not in page and "暂停放贷：" not in page
    (folder / "scenario.toml").write_text("not [ toml", encoding="utf-8")
    assert "<h1>Synthetic baseline</h1>" in build_report(folder).read_text(encoding="utf-8")
