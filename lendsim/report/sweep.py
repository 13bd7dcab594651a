"""The report of a sweep: how each headline metric, and the HITL − automated difference, moves
across the parameter space.

The chart follows the design: a line with CI bands against a single parameter, heatmaps over a
two-parameter grid, and per-parameter scatter plots for anything larger or sampled (LHS). A
sensitivity analysis, when the folder has one, is shown as index bars with confidence whiskers.
"""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go

from lendsim.metrics import headline_names
from lendsim.report import figures, page
from lendsim.report.appendix import appendix_section
from lendsim.report.findings import sweep_findings
from lendsim.report.folders import SweepContents
from lendsim.report.i18n import Text, metric_label, same, text

SECTIONS = (
    ("summary", "section_summary"),
    ("metrics", "section_sweep_metrics"),
    ("sensitivity", "section_sensitivity"),
    ("appendix", "section_appendix"),
)
SENSITIVITY_METHODS = ("morris", "sobol")
MAX_LISTED_VALUES = 8


def sweep_page(sweep: SweepContents, lang: str) -> str:
    """The whole HTML page of a sweep."""
    metrics = sweep_metrics(sweep.summary)
    sections = [
        summary_section(sweep, metrics),
        page.section(
            "metrics",
            text("section_sweep_metrics"),
            [metric_block(sweep, metric, lang) for metric in metrics],
        ),
    ]
    if sweep.sensitivity is not None:
        sections.append(sensitivity_section(sweep.sensitivity, lang))
    sections.append(appendix_section(sweep.manifest, sweep.scenario_toml))
    anchors = {"sensitivity"} if sweep.sensitivity is None else set()
    manifest = sweep.manifest
    return page.document(
        lang,
        text("sweep_title"),
        page.masthead(
            text("sweep_title"),
            str(manifest.get("scenario_name") or sweep.path.name),
            manifest.get("scenario_purpose"),
            _meta(sweep),
        ),
        [(anchor, text(key)) for anchor, key in SECTIONS if anchor not in anchors],
        sections,
        text("generated_by", version=str(manifest.get("lendsim_version", "?")), folder=sweep.path.name),
    )


def sweep_metrics(summary: pd.DataFrame) -> list[str]:
    """Metrics with mean and CI columns: the headline ones in contract order, then any others."""
    found = [
        column.removesuffix("_mean")
        for column in summary.columns
        if column.endswith("_mean")
        and {column.replace("_mean", "_ci_low"), column.replace("_mean", "_ci_high")} <= set(summary.columns)
    ]
    headline = headline_names()
    return [m for m in headline if m in found] + [m for m in found if m not in headline]


def summary_section(sweep: SweepContents, metrics: list[str]) -> str:
    findings = sweep_findings(sweep.summary, metrics)
    body = [
        page.heading(3, text("sweep_overview")),
        page.table(
            [text("parameter"), text("values")], [_parameter_row(sweep.summary, p) for p in sweep.parameters]
        ),
        page.heading(3, text("findings")),
        page.bullets(findings, [""] * len(findings)) if findings else page.paragraph(text("no_findings")),
    ]
    return page.section("summary", text("section_summary"), body)


def metric_block(sweep: SweepContents, metric: str, lang: str) -> str:
    title = metric_label(metric, capitalised=True)
    largest = sweep.summary[[f"{metric}_mean", f"{metric}_ci_low", f"{metric}_ci_high"]].abs().max().max()
    if pd.isna(largest):
        return page.skipped(title, text("skipped_no_data", columns=metric))
    if not largest > 0:
        return page.skipped(title, text("skipped_zero", columns=metric))
    note = text("heatmap_note") if _is_two_parameter_grid(sweep) else None
    return page.figure_block(
        f"figure-sweep-{metric}", title, lambda each: _chart(sweep, metric, each), lang, note
    )


def _chart(sweep: SweepContents, metric: str, lang: str) -> go.Figure:
    """The chart that suits the design: lines for one parameter, heatmaps for a 2-D grid, else scatter."""
    if len(sweep.parameters) == 1:
        return figures.sweep_lines(sweep.summary, sweep.parameters[0], metric, lang)
    if _is_two_parameter_grid(sweep):
        return figures.sweep_heatmaps(sweep.summary, sweep.parameters, metric, lang)
    return figures.sweep_scatter(sweep.summary, sweep.parameters, metric, lang)


def _is_two_parameter_grid(sweep: SweepContents) -> bool:
    return len(sweep.parameters) == 2 and sweep.manifest.get("design", "grid") == "grid"


def sensitivity_section(sensitivity: pd.DataFrame, lang: str) -> str:
    blocks = [page.paragraph(text("sensitivity_note"))]
    for method, table in sensitivity.groupby("method", sort=False):
        title = text(f"sensitivity_{method}") if method in SENSITIVITY_METHODS else same(str(method))
        if method not in SENSITIVITY_METHODS:
            blocks.append(page.skipped(title, text("skipped_absent", columns=str(method))))
            continue
        blocks.append(
            page.figure_block(
                f"figure-sensitivity-{method}",
                title,
                functools.partial(figures.sensitivity_bars, table, method),
                lang,
            )
        )
    return page.section("sensitivity", text("section_sensitivity"), blocks)


def _parameter_row(summary: pd.DataFrame, parameter: str) -> list[Text]:
    values = sorted(summary[parameter].dropna().unique().tolist())
    if len(values) <= MAX_LISTED_VALUES:
        shown = ", ".join(map(str, values))
    else:
        shown = f"{_short(values[0])} … {_short(values[-1])} ({len(values)})"
    return [same(parameter), same(shown)]


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _meta(sweep: SweepContents) -> Text:
    manifest = sweep.manifest
    points = manifest.get("points") or sweep.summary["point"].nunique()
    return text(
        "sweep_meta",
        design=str(manifest.get("design", "grid")),
        points=str(points),
        seeds=str(len(manifest.get("seeds") or [])),
        finished=str(manifest.get("finished_at", "?")),
    )
