"""build_report: what lands on disk, what it refuses, and how it copes with missing data."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from lendsim.errors import OptionError, RunFolderError
from lendsim.metrics import HEADLINE_METRICS, REGISTRY
from lendsim.report import build_report
from lendsim.report.folders import RUN_FILES
from lendsim.report.i18n import zh_terms

from .synthetic import BASIC_SEGMENTS, EXTRA_SEGMENTS, PREFIXED_COLUMNS, fabricate_run_folder

MAX_REPORT_BYTES = 10 * 1024 * 1024


def test_run_report_inlines_plotlyjs_once_and_references_nothing_outside(built_run_report: Path):
    page = built_run_report.read_text(encoding="utf-8")
    plotlyjs = get_plotlyjs()
    ours = page.replace(plotlyjs, "")

    assert page.count(plotlyjs[:500]) == 1
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(?!data:)', ours)
    assert "cdn.plot.ly" not in ours and "mathjax" not in ours.lower()
    assert 'rel="icon" href="data:,"' in page


def test_run_report_starts_with_the_scenario_and_the_summary_table(built_run_report: Path):
    page = built_run_report.read_text(encoding="utf-8")

    assert page.index("Synthetic baseline") < page.index('id="summary"') < page.index('id="decisions"')
    assert page.index("Headline metrics") < page.index("Findings") < page.index('id="figure-approval_rate"')


def test_run_report_embeds_both_languages_and_defaults_to_english(built_run_report: Path):
    page = built_run_report.read_text(encoding="utf-8")

    assert '<html lang="en"' in page
    assert '<span class="i18n" lang="zh">摘要</span>' in page
    assert 'id="language-switch"' in page


def test_chinese_report_opens_in_chinese(run_folder: Path):
    page = build_report(run_folder, lang="zh").read_text(encoding="utf-8")

    assert '<html lang="zh"' in page
    assert "<title>信贷市场模拟报告</title>" in page


def test_appendix_shows_the_scenario_escaped_and_the_manifest(built_run_report: Path):
    page = built_run_report.read_text(encoding="utf-8")

    assert "&lt;b&gt;not&lt;/b&gt;" in page and "<b>not</b>" not in page
    assert "20240601" in page and "mesa 3.3.0" in page and "lendsim run scenarios/baseline.toml" in page


def test_report_is_written_in_the_folder_and_leaves_no_temporary_file(built_run_report: Path):
    folder = built_run_report.parent

    assert built_run_report == folder / "report.html"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_a_failed_write_keeps_the_previous_report(run_folder: Path, monkeypatch: pytest.MonkeyPatch):
    (run_folder / "report.html").write_text("previous", encoding="utf-8")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(RunFolderError, match="disk full"):
        build_report(run_folder)

    assert (run_folder / "report.html").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in run_folder.iterdir() if "report" in p.name) == ["report.html"]


@pytest.mark.parametrize("missing", RUN_FILES)
def test_a_missing_file_is_named_with_its_folder(run_folder: Path, missing: str):
    (run_folder / missing).unlink()

    with pytest.raises(RunFolderError) as raised:
        build_report(run_folder)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{run_folder}: {missing} is missing")


def test_a_folder_that_does_not_exist_is_refused(tmp_path: Path):
    with pytest.raises(RunFolderError, match="no such folder"):
        build_report(tmp_path / "nowhere")


def test_a_sweep_folder_without_its_summary_is_refused(sweep_folder: Path):
    (sweep_folder / "sweep_summary.csv").unlink()

    with pytest.raises(RunFolderError, match="sweep_summary.csv is missing"):
        build_report(sweep_folder)


def test_an_unreadable_file_is_refused_in_one_line(run_folder: Path):
    (run_folder / "manifest.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(RunFolderError, match=r"manifest.json: not valid JSON"):
        build_report(run_folder)


def test_a_comparison_without_its_ci_columns_is_refused(run_folder: Path):
    path = run_folder / "comparison.csv"
    path.write_text(path.read_text().replace("ci_low", "lower"), encoding="utf-8")

    with pytest.raises(RunFolderError, match="column ci_low is missing"):
        build_report(run_folder)


def test_an_unknown_language_is_refused(run_folder: Path):
    with pytest.raises(OptionError, match="use one of: en, zh"):
        build_report(run_folder, lang="fr")


def test_figures_whose_columns_are_absent_are_skipped_with_a_note(tmp_path: Path):
    folder = fabricate_run_folder(
        tmp_path / "bare",
        seeds=2,
        months=12,
        prefixed=False,
        drop=("review_queue", "review_delay_days", "capital_ratio", "regulator_action"),
    )

    page = build_report(folder).read_text(encoding="utf-8")

    assert "Not shown: this run has no frozen_* data." in page
    assert "Not shown: this run has no review_queue data." in page
    assert 'id="figure-frozen"' not in page and 'id="figure-capital_ratio"' not in page
    assert 'id="figure-approval_rate"' in page


def test_panels_and_figures_that_are_zero_throughout_are_left_out(built_run_report: Path):
    page = built_run_report.read_text(encoding="utf-8")

    assert "Own share" not in page  # supply_lost_own_share is zero everywhere
    assert 'id="figure-supply_lost"' in page


def test_a_single_seed_run_builds(tmp_path: Path):
    folder = fabricate_run_folder(tmp_path / "one", seeds=1, months=12)

    page = build_report(folder).read_text(encoding="utf-8")

    assert "One seed only" in page
    assert '"fill":"toself"' not in page


def test_a_baseline_sized_report_stays_under_10_mb(tmp_path: Path):
    """10 seeds × 120 months × both modes × 12 segments, every prefixed column (not a timed test)."""
    folder = fabricate_run_folder(
        tmp_path / "baseline", seeds=10, months=120, segments=BASIC_SEGMENTS + EXTRA_SEGMENTS
    )

    size = build_report(folder).stat().st_size

    assert size < MAX_REPORT_BYTES
    assert len(PREFIXED_COLUMNS) > 10


def test_sweep_reports_draw_one_figure_per_nonzero_metric(built_sweep_reports: dict[str, Path]):
    grid = built_sweep_reports["grid"].read_text(encoding="utf-8")

    # every headline metric but the one zero throughout, then Morris and Sobol
    assert grid.count('class="figure"') == len(HEADLINE_METRICS) - 1 + 2
    assert "frozen_accounts 始终为零" in grid
    assert '"type":"heatmap"' in grid
    assert '"type":"heatmap"' not in built_sweep_reports["line"].read_text(encoding="utf-8")


def test_run_report_has_a_glossary_of_every_headline_metric_in_both_languages(built_run_report: Path):
    import html

    page = html.unescape(built_run_report.read_text(encoding="utf-8"))
    glossary = page[page.index('id="glossary"') : page.index('id="appendix"')]
    for metric in REGISTRY.headline():
        english, chinese = metric.definition
        assert f"({metric.name})" in glossary
        assert english in glossary and zh_terms({"en": english, "zh": chinese})["zh"] in glossary
