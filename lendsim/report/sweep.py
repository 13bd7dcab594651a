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

from lendsim.metrics import REGISTRY, headline_names
from lendsim.report import figures, page
from lendsim.report.appendix import appendix_section
from lendsim.report.findings import sensitivity_findings, sweep_findings
from lendsim.report.folders import SweepContents
from lendsim.report.i18n import STRINGS, Text, metric_label, metric_phrase, parameter_label, same, text
from lendsim.report.resolved import read_resolved
from lendsim.report.run import scenario_purpose, scenario_title

SECTIONS = (
    ("summary", "section_summary"),
    ("metrics", "section_sweep_metrics"),
    ("sensitivity", "section_sensitivity"),
    ("appendix", "section_appendix"),
)
SENSITIVITY_METHODS = ("morris", "sobol")
MAX_LISTED_VALUES = 8


def sweep_page(sweep: SweepContents, lang: str) -> str:
    """The whole HTML page of a sweep, or of a sensitivity analysis (a sweep over a Morris or Sobol
    sample whose folder holds sensitivity.csv): titled as what it is, its indices in the findings."""
    metrics = sweep_metrics(sweep.summary)
    charted = focus_metrics(sweep, metrics) if is_sensitivity(sweep) else metrics
    sections = [
        summary_section(sweep, charted),
        page.section(
            "metrics",
            text("section_sweep_metrics"),
            ([page.paragraph(text("sensitivity_metrics_note"))] if charted != metrics else [])
            + [metric_block(sweep, metric, lang) for metric in charted],
        ),
    ]
    if sweep.sensitivity is not None:
        sections.append(sensitivity_section(sweep.sensitivity, lang))
    sections.append(appendix_section(sweep.manifest, sweep.scenario_toml, sweep.scenario_source))
    anchors = {"sensitivity"} if sweep.sensitivity is None else set()
    manifest = sweep.manifest
    scenario = read_resolved(sweep.scenario_toml)
    title = text("sensitivity_title") if is_sensitivity(sweep) else text("sweep_title")
    return page.document(
        lang,
        title,
        page.masthead(
            title,
            scenario_title(manifest, scenario, sweep.path.name),
            scenario_purpose(manifest, scenario),
            _meta(sweep),
        ),
        [(anchor, text(key)) for anchor, key in SECTIONS if anchor not in anchors],
        sections,
        text("generated_by", version=str(manifest.get("lendsim_version", "?")), folder=sweep.path.name),
    )


def is_sensitivity(sweep: SweepContents) -> bool:
    """A sensitivity analysis: its folder holds sensitivity.csv and its design is a Morris or Sobol
    sample (or its manifest says so)."""
    declared = isinstance(sweep.manifest.get("sensitivity"), dict)
    return sweep.sensitivity is not None and (declared or sweep.manifest.get("design") in SENSITIVITY_METHODS)


KEY_PRIORITY = 40
"""A sensitivity report charts the metric it analysed and the key headline metrics (registry
priority up to this), not every metric: its question is one metric's sensitivity."""


def focus_metrics(sweep: SweepContents, metrics: list[str]) -> list[str]:
    """The analysed metric (from the manifest, else sensitivity.csv) first, then the key metrics."""
    declared = sweep.manifest.get("sensitivity")
    analysed = (
        [declared["metric"]] if isinstance(declared, dict) and isinstance(declared.get("metric"), str) else []
    )
    if sweep.sensitivity is not None and "metric" in sweep.sensitivity.columns:
        analysed += [str(m) for m in sweep.sensitivity["metric"].unique()]
    key = [m.name for m in REGISTRY.by_priority() if m.priority is not None and m.priority <= KEY_PRIORITY]
    return [m for m in dict.fromkeys([*analysed, *key]) if m in metrics]


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
    """The design (parameters and their values or ranges), then the findings: a sensitivity
    analysis's indices first, then how the HITL − automated difference moves across the points."""
    sensitivity = is_sensitivity(sweep)
    across = sweep_findings(sweep.summary, metrics)
    indices = sensitivity_findings(sweep.sensitivity) if sweep.sensitivity is not None else []
    if sensitivity:
        header = [text("parameter"), text("range")]
        rows = [_range_row(sweep.summary, p) for p in sweep.parameters]
    else:
        header = [text("parameter"), text("values")]
        rows = [_parameter_row(sweep.summary, p) for p in sweep.parameters]
    body = [page.heading(3, text("sweep_overview")), page.table(header, rows)]
    if sensitivity:
        body.append(
            page.paragraph(
                text(
                    "sensitivity_design_note",
                    method=text(f"sensitivity_method_{sweep.manifest.get('design')}")
                    if f"sensitivity_method_{sweep.manifest.get('design')}" in STRINGS
                    else same(str(sweep.manifest.get("design", ""))),
                    points=str(_points(sweep)),
                    seeds=str(len(sweep.manifest.get("seeds") or [])),
                )
            )
        )
    body.append(page.heading(3, text("findings")))
    if indices:
        body += [
            page.paragraph(text("sensitivity_findings_lead")),
            page.bullets(indices, [""] * len(indices)),
        ]
        if across:
            body += [
                page.heading(4, text("sweep_findings_heading")),
                page.bullets(across, [""] * len(across)),
            ]
    elif across:
        body.append(page.bullets(across, [""] * len(across)))
    else:
        body.append(page.paragraph(text("no_findings")))
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
    return [parameter_label(parameter), same(shown)]


def _range_row(summary: pd.DataFrame, parameter: str) -> list[Text]:
    """A sampled parameter: the lowest and highest value sampled."""
    values = sorted(summary[parameter].dropna().unique().tolist())
    shown = f"{_short(values[0])} … {_short(values[-1])}" if values else "—"
    return [parameter_label(parameter), same(shown)]


def _points(sweep: SweepContents) -> int:
    return int(sweep.manifest.get("points") or sweep.summary["point"].nunique())


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _meta(sweep: SweepContents) -> Text:
    manifest = sweep.manifest
    design = str(manifest.get("design", "grid"))
    design_text = text(f"design_{design}") if f"design_{design}" in STRINGS else same(design)
    seeds = str(len(manifest.get("seeds") or []))
    finished = str(manifest.get("finished_at", "?"))
    declared = manifest.get("sensitivity")
    if is_sensitivity(sweep) and isinstance(declared, dict) and isinstance(declared.get("metric"), str):
        return text(
            "sensitivity_meta",
            method=design_text,
            metric=metric_phrase(declared["metric"]),
            difference=text("sensitivity_of_difference") if declared.get("difference") is True else same(""),
            points=str(_points(sweep)),
            seeds=seeds,
            finished=finished,
        )
    return text("sweep_meta", design=design_text, points=str(_points(sweep)), seeds=seeds, finished=finished)
