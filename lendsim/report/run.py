"""The report of one run: summary and findings first, then the figures, then the appendix.

Sections follow the question the tool answers (DOMAIN.md): what HITL does to credit decisions,
to the SME funding gap, to the frictions borrowers meet, to the platform's capital, and what the
reviews cost. Prefixed columns (frozen_<cause>, rejected_<reason>, supply_lost_<constraint> ...)
are discovered in the data; a figure whose data is absent or zero is replaced by a one-line note.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lendsim.report import figures, page
from lendsim.report.aggregate import Event, SeedBands, events, segment_groups, segment_label, segment_rates
from lendsim.report.appendix import appendix_section
from lendsim.report.figures import Panel
from lendsim.report.findings import run_findings
from lendsim.report.folders import RunFolder
from lendsim.report.i18n import (
    Text,
    capitalised,
    format_change,
    format_value,
    join,
    metric_label,
    name_part,
    same,
    text,
    unit_of,
)

SECTIONS = (
    ("summary", "section_summary"),
    ("decisions", "section_decisions"),
    ("sme", "section_sme"),
    ("frictions", "section_frictions"),
    ("platform", "section_platform"),
    ("review", "section_review"),
    ("segments", "section_segments"),
    ("appendix", "section_appendix"),
)


@dataclass(frozen=True)
class RunCharts:
    """Turns columns of the seed-folded monthly table into figure blocks (or notes)."""

    bands: SeedBands
    events: list[Event]
    lang: str

    def series(self, column: str) -> str:
        """One column over the months, both modes."""
        title = metric_label(column, capitalised=True)
        missing = self._missing([column], column)
        if missing:
            return page.skipped(title, missing)
        return self._block(column, title, [Panel(self.bands.band(column))], unit_of(column))

    def against_line(self, column: str, line: str) -> str:
        """A column with its regulatory line (the strictest of the modes, month by month) dashed."""
        title = metric_label(column, capitalised=True)
        missing = self._missing([column], column)
        if missing:
            return page.skipped(title, missing)
        reference = None
        if line in self.bands.mean.columns:
            reference = self.bands.mean[line].groupby("month").max().rename("value").reset_index()
        panel = Panel(
            self.bands.band(column),
            reference=reference,
            reference_name=text("regulatory_line", metric=metric_label(line, capitalised=True)),
        )
        return self._block(column, title, [panel], unit_of(column))

    def by_part(self, prefix: str, metric: str) -> str:
        """One panel per <prefix><part> column (cause, reason, constraint) that is not zero (or empty)
        throughout."""
        title = capitalised(text("by_cause", metric=metric_label(metric)))
        discovered = self.bands.columns_with_prefix(prefix)
        missing = self._missing(discovered, f"{prefix}*")
        if missing:
            return page.skipped(title, missing)
        columns = [column for column in discovered if self.bands.has(column)]
        panels = [
            Panel(self.bands.band(c), title=capitalised(name_part(c.removeprefix(prefix)))) for c in columns
        ]
        return self._block(prefix.rstrip("_"), title, panels, unit_of(columns[0]))

    def _missing(self, columns: list[str], name: str) -> Text | None:
        """Why nothing can be drawn from these columns, or None when something can."""
        if not columns or any(c not in self.bands.mean.columns for c in columns):
            return text("skipped_absent", columns=name)
        if not any(self.bands.has_data(c) for c in columns):
            return text("skipped_no_data", columns=name)
        if not any(self.bands.has(c) for c in columns):
            return text("skipped_zero", columns=name)
        return None

    def _block(self, figure_id: str, title: Text, panels: list[Panel], unit: str) -> str:
        return page.figure_block(
            f"figure-{figure_id}",
            title,
            lambda lang: figures.time_series(panels, unit, self.events, lang, self.bands.seeds),
            self.lang,
        )


def run_page(run: RunFolder, lang: str) -> str:
    """The whole HTML page of a run."""
    charts = RunCharts(SeedBands.of_segment(run.monthly), events(run.monthly), lang)
    note = page.paragraph(text("figures_note"))
    sections = [
        summary_section(run.comparison),
        page.section(
            "decisions",
            text("section_decisions"),
            [
                note,
                charts.series("approval_rate"),
                charts.series("cohort_default_rate"),
                charts.series("false_rejection_rate"),
                charts.by_part("rejected_", "rejected"),
            ],
        ),
        page.section(
            "sme",
            text("section_sme"),
            [
                charts.series("sme_funding_gap"),
                charts.series("sme_funding_gap_share"),
            ],
        ),
        page.section(
            "frictions",
            text("section_frictions"),
            [
                charts.series("drawdown_refusal_rate"),
                charts.by_part("refused_", "refused"),
                charts.series("system_failure_rate"),
                charts.by_part("failed_", "failed"),
                charts.series("frozen_accounts"),
                charts.by_part("frozen_", "frozen"),
            ],
        ),
        page.section(
            "platform",
            text("section_platform"),
            [
                charts.against_line("capital_ratio", "required_capital_ratio"),
                charts.against_line("leverage", "max_leverage"),
                charts.by_part("supply_lost_", "supply_lost"),
            ],
        ),
        page.section(
            "review",
            text("section_review"),
            [
                charts.series("review_queue"),
                charts.series("review_delay_days"),
                charts.series("review_cost"),
            ],
        ),
        segments_section(run.monthly, charts.bands.seeds, lang),
        appendix_section(run.manifest, run.scenario_toml),
    ]
    manifest = run.manifest
    return page.document(
        lang,
        text("run_title"),
        page.masthead(
            text("run_title"),
            str(manifest.get("scenario_name") or run.path.name),
            manifest.get("scenario_purpose"),
            _meta(run),
        ),
        [(anchor, text(key)) for anchor, key in SECTIONS],
        sections,
        text("generated_by", version=str(manifest.get("lendsim_version", "?")), folder=run.path.name),
    )


def summary_section(comparison: pd.DataFrame) -> str:
    """Headline metrics side by side with the paired difference, then the findings."""
    found = run_findings(comparison)
    significant = {f.metric: f.significant for f in found}
    records = comparison.to_dict("records")
    rows = [_summary_row(record, significant.get(record["metric"], False)) for record in records]
    classes = ["" if significant.get(record["metric"], False) else "not-significant" for record in records]
    header = [
        text("col_metric"),
        text("mode_automated"),
        text("mode_hitl"),
        text("col_difference"),
        text("col_ci"),
        text("col_seeds"),
    ]
    findings = (
        page.bullets([f.text for f in found], ["" if f.significant else "not-significant" for f in found])
        if found
        else page.paragraph(text("no_findings"))
    )
    return page.section(
        "summary",
        text("section_summary"),
        [
            page.heading(3, text("headline_metrics")),
            page.table(header, rows, classes),
            page.paragraph(text("table_note")),
            page.heading(3, text("findings")),
            findings,
        ],
    )


def _summary_row(record: dict, significant: bool) -> list[Text]:
    metric = str(record["metric"])
    unit = unit_of(metric)
    low, high = format_change(record["ci_low"], unit), format_change(record["ci_high"], unit)
    difference = format_change(record["difference"], unit)
    if not significant:
        difference = join([difference, text("not_significant_short")], " · ")
    return [
        metric_label(metric, capitalised=True),
        format_value(record["automated_mean"], unit),
        format_value(record["hitl_mean"], unit),
        difference,
        join([low, high], " … "),
        same(str(int(record["n_seeds"]))),
    ]


def segments_section(monthly: pd.DataFrame, seeds: int, lang: str) -> str:
    """Whole-horizon rates for consumers vs SMEs and for every band, sector and region present."""
    groups = segment_groups(sorted(monthly["segment"].unique()))
    blocks = [page.paragraph(text("segments_note"))]
    for name, members in groups.items():
        title = text(f"segment_group_{name}")
        rates = segment_rates(monthly, members)
        if rates.empty:
            blocks.append(
                page.skipped(title, text("skipped_absent", columns="approved, applications_decided"))
            )
            continue
        labels = {segment: segment_label(segment) for segment in members}
        blocks.append(
            page.figure_block(
                f"figure-segments-{name}",
                title,
                lambda each, rates=rates, members=members, labels=labels: figures.segment_bars(
                    rates, members, labels, each, seeds
                ),
                lang,
            )
        )
    if len(blocks) == 1:
        blocks.append(page.skipped(text("section_segments"), text("skipped_absent", columns="segment")))
    return page.section("segments", text("section_segments"), blocks)


def _meta(run: RunFolder) -> Text:
    months = int(run.monthly["month"].max()) if len(run.monthly) else 0
    seeds = run.manifest.get("seeds") or sorted(run.monthly["seed"].unique().tolist())
    return text(
        "run_meta",
        seeds=str(len(seeds)),
        months=str(months),
        finished=str(run.manifest.get("finished_at", "?")),
    )
