"""The report of one run: summary and findings first, then the figures, then the appendix.

Sections follow the question the tool answers (DOMAIN.md): what HITL does to credit decisions,
to the SME funding gap, to the frictions borrowers meet, to the platform's capital, what limited
lending, and what the reviews cost. Prefixed columns (frozen_<cause>, rejected_<reason>,
supply_lost_<constraint> ...) are discovered in the data; a figure whose data is absent or zero is
replaced by a one-line note. The uncertainty is told as it is: bands and intervals are Student-t
and clipped to what a metric can take, each single chart carries its paired HITL − automated band,
a difference is significant only after the Holm correction across the headline metrics, and a run
of fewer than five seeds says so at the top.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

from lendsim import metrics
from lendsim.report import figures, page
from lendsim.report.aggregate import Event, SeedBands, events, segment_groups, segment_label, segment_rates
from lendsim.report.appendix import appendix_section
from lendsim.report.bottomline import bottom_line
from lendsim.report.figures import Panel
from lendsim.report.findings import (
    Finding,
    adjusted_p_values,
    clipped_comparison,
    priority_order,
    run_findings,
)
from lendsim.report.folders import RunContents
from lendsim.report.i18n import (
    FAMILY_NOUNS,
    FAMILY_PARTS,
    LANGS,
    Text,
    capitalised,
    column_definition,
    count_noun,
    family_part,
    format_change,
    format_value,
    is_flow,
    join,
    metric_label,
    same,
    text,
    unit_of,
    zh_terms,
)
from lendsim.report.resolved import Resolved, read_resolved
from lendsim.report.robustness import robustness_pointer
from lendsim.statistics import MIN_SEEDS

SECTIONS = (
    ("summary", "section_summary"),
    ("lending", "section_lending"),
    ("decisions", "section_decisions"),
    ("sme", "section_sme"),
    ("frictions", "section_frictions"),
    ("platform", "section_platform"),
    ("limits", "section_limits"),
    ("review", "section_review"),
    ("segments", "section_segments"),
    ("methods", "section_methods"),
    ("limitations", "section_limitations"),
    ("glossary", "section_glossary"),
    ("appendix", "section_appendix"),
)


@dataclass(frozen=True)
class RunCharts:
    """Turns columns of the seed-folded monthly table into figure blocks (or notes)."""

    bands: SeedBands
    events: list[Event]
    lang: str
    drawn: list[str] = field(default_factory=list)
    """Columns (and families, as 'prefix_') drawn so far, for the glossary of the charts."""

    def series(self, column: str) -> str:
        """One column over the months, both modes."""
        title = metric_label(column, capitalised=True)
        missing = self._missing([column], column)
        if missing:
            return page.skipped(title, missing)
        panel = Panel(self.bands.band(column), difference=self._difference(column))
        return self._block(column, title, [panel], unit_of(column))

    def against_line(self, column: str, line: str) -> str:
        """A column with its regulatory line (the strictest of the modes, month by month) dashed."""
        title = metric_label(column, capitalised=True)
        missing = self._missing([column], column)
        if missing:
            return page.skipped(title, missing)
        reference = None
        if line in self.bands.mean.columns:
            reference = self.bands.mean[line].groupby("month").max().rename("value").reset_index()
            self.drawn.append(line)
        panel = Panel(
            self.bands.band(column),
            reference=reference,
            reference_name=text("regulatory_line", metric=metric_label(line, capitalised=True)),
            difference=self._difference(column),
        )
        return self._block(column, title, [panel], unit_of(column))

    def by_part(self, prefix: str, metric: str) -> str:
        """One panel per <prefix><part> column (cause, reason, constraint) that is not zero (or empty)
        throughout."""
        part = FAMILY_NOUNS.get(prefix, ("", "cause", "原因"))
        title = capitalised(text("by_part", metric=metric_label(metric), part={"en": part[1], "zh": part[2]}))
        discovered = self.bands.columns_with_prefix(prefix)
        missing = self._missing(discovered, f"{prefix}*")
        if missing:
            return page.skipped(title, missing)
        columns = [column for column in discovered if self.bands.has(column)]
        panels = [
            Panel(self.bands.band(c), title=capitalised(family_part(prefix, c.removeprefix(prefix))))
            for c in columns
        ]
        return self._block(prefix.rstrip("_"), title, panels, unit_of(columns[0]), columns[0], family=prefix)

    def _difference(self, column: str) -> pd.DataFrame | None:
        """The paired HITL − automated band of a column, when both modes measured it."""
        return self.bands.difference_band(column) if self.bands.has_difference(column) else None

    def _missing(self, columns: list[str], name: str) -> Text | None:
        """Why nothing can be drawn from these columns, or None when something can."""
        if not columns or any(c not in self.bands.mean.columns for c in columns):
            return text("skipped_absent", columns=name)
        if not any(self.bands.has_data(c) for c in columns):
            return text("skipped_no_data", columns=name)
        if not any(self.bands.has(c) for c in columns):
            return text("skipped_zero", columns=name)
        return None

    def _block(
        self,
        figure_id: str,
        title: Text,
        panels: list[Panel],
        unit: str,
        column: str | None = None,
        family: str | None = None,
    ) -> str:
        column = column or figure_id
        self.drawn.append(family or column)
        noun, per_month = count_noun(column), is_flow(column)
        return page.figure_block(
            f"figure-{figure_id}",
            title,
            lambda lang: figures.time_series(
                panels, unit, self.events, lang, self.bands.seeds, noun=noun, per_month=per_month
            ),
            self.lang,
        )


def run_page(run: RunContents, lang: str) -> str:
    """The whole HTML page of a run."""
    scenario = read_resolved(run.scenario_toml)
    marked = events(run.monthly, scenario)
    charts = RunCharts(SeedBands.of_segment(run.monthly), marked, lang)
    note = page.paragraph(text("figures_note"))
    months = _months(run.monthly)
    sections = [
        summary_section(run.comparison, run.summary, months=months),
        page.section(
            "lending",
            text("section_lending"),
            [
                note,
                events_list(marked),
                charts.series("loans_originated"),
                charts.series("volume_originated"),
                charts.series("book_rmb"),
            ],
        ),
        page.section(
            "decisions",
            text("section_decisions"),
            [
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
                charts.series("platform_profit"),
                charts.series("capital_rmb"),
                charts.against_line("capital_ratio", "required_capital_ratio"),
                charts.against_line("leverage", "max_leverage"),
                charts.by_part("supply_lost_", "supply_lost"),
            ],
        ),
        limits_section(run.comparison, run_findings(run.comparison, run.summary), months=months),
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
        methods_section(run, scenario),
        limitations_section(
            scenario, charts.bands.seeds, robustness_pointer(run.path, scenario_name(scenario))
        ),
        glossary_section(charts.drawn),
        appendix_section(run.manifest, run.scenario_toml),
    ]
    manifest = run.manifest
    return page.document(
        lang,
        text("run_title"),
        page.masthead(
            text("run_title"),
            scenario_title(manifest, scenario, run.path.name),
            scenario_purpose(manifest, scenario),
            _meta(run),
        ),
        [(anchor, text(key)) for anchor, key in SECTIONS],
        sections,
        text("generated_by", version=str(manifest.get("lendsim_version", "?")), folder=run.path.name),
    )


def scenario_title(manifest: dict, scenario: Resolved, folder_name: str) -> Text:
    """The scenario's title in each language: its title (Chinese title), else its name, else the
    folder's name."""
    name = str(manifest.get("scenario_name") or scenario.name or folder_name)
    english = scenario.title or name
    return {"en": english, "zh": scenario.title_zh or english}


def scenario_purpose(manifest: dict, scenario: Resolved) -> Text | None:
    """What the scenario represents in each language, the English one where there is no Chinese."""
    purpose = manifest.get("scenario_purpose")
    english = purpose if isinstance(purpose, str) and purpose else scenario.description
    if not english and not scenario.description_zh:
        return None
    return {"en": english or scenario.description_zh, "zh": scenario.description_zh or english}


def events_list(marked: list[Event]) -> str:
    """The events on the time axes, in order, each with its months and everything it stands for;
    peak months (which recur every year) as one line."""
    if not marked:
        return page.paragraph(text("events_none"))
    peaks = [event for event in marked if event.kind == "peak"]
    items = []
    for event in sorted((e for e in marked if e.kind != "peak"), key=lambda e: (e.first_month, e.kind)):
        if event.kind == "rule":
            when = text("event_from_month", first=str(event.first_month))
        elif event.first_month == event.last_month:
            when = text("event_month", first=str(event.first_month))
        else:
            when = text("event_months", first=str(event.first_month), last=str(event.last_month))
        items.append(join([capitalised(when), {"en": ": ", "zh": "："}, event.described]))
    if peaks:
        items.append(
            capitalised(
                text("peak_months_note", count=str(sum(e.last_month - e.first_month + 1 for e in peaks)))
            )
        )
    return page.paragraph(text("events_lead")) + page.bullets(items, [""] * len(items), "events")


def summary_section(
    comparison: pd.DataFrame, summary: pd.DataFrame | None = None, months: int | None = None
) -> str:
    """The answer first: a warning when the run has fewer than MIN_SEEDS seeds, the bottom line
    (lendsim.report.bottomline), the headline metrics side by side with the paired difference in
    order of importance, then the findings — the significant ones, and the rest folded away. The
    constraints' months bound and supply lost have a section of their own (`limits_section`), but
    count in the Holm correction like every headline metric."""
    found = run_findings(comparison, summary)
    significant = {f.metric: f.significant for f in found}
    limits = set(constraint_metric_names())
    shown = clipped_comparison(comparison)
    order = priority_order()
    records = sorted(
        (record for record in shown.to_dict("records") if record["metric"] not in limits),
        key=lambda record: order.index(record["metric"]) if record["metric"] in order else len(order),
    )
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
    told = [f for f in found if f.metric not in limits]
    main = [f for f in told if f.significant]
    rest = [f for f in told if not f.significant]
    findings: list[str] = []
    if main:
        findings.append(page.bullets([f.text for f in main], [""] * len(main)))
    if rest:
        folded = page.bullets([f.text for f in rest], ["not-significant"] * len(rest))
        if main:
            findings.append(page.details(text("other_findings", count=str(len(rest))), folded))
        else:
            findings.append(folded)
    if not told:
        findings.append(page.paragraph(text("no_findings")))
    return page.section(
        "summary",
        text("section_summary"),
        [
            *few_seeds_warning(comparison),
            page.heading(3, text("bottom_line")),
            page.paragraph(bottom_line(comparison, summary, months), "bottom-line"),
            page.heading(3, text("headline_metrics")),
            page.table(header, rows, classes),
            page.paragraph(text("table_note")),
            page.heading(3, text("findings")),
            *findings,
            page.paragraph(holm_note(comparison, summary, found)),
        ],
    )


def few_seeds_warning(comparison: pd.DataFrame) -> list[str]:
    """A visible warning when the comparison rests on fewer than MIN_SEEDS seeds (none otherwise)."""
    seeds = int(comparison["n_seeds"].max()) if len(comparison) else 0
    if seeds >= MIN_SEEDS:
        return []
    return [page.paragraph(text("few_seeds_warning", seeds=str(seeds), minimum=str(MIN_SEEDS)), "warning")]


def holm_note(comparison: pd.DataFrame, summary: pd.DataFrame | None, found: list[Finding]) -> Text:
    """How significance was judged: the size of the Holm family, and what the correction took away."""
    tested = sum(1 for p in adjusted_p_values(comparison, summary).values() if p == p)  # not NaN
    note = text("holm_note", tested=str(tested))
    dropped = sum(1 for f in found if f.excludes_zero and not f.significant)
    return join([note, text("holm_dropped", dropped=str(dropped))]) if dropped else note


def constraint_metric_names() -> tuple[str, ...]:
    """The headline metrics of what limited lending, as the registry generates them."""
    return tuple(
        f"{prefix}{constraint.name}"
        for constraint in metrics.CONSTRAINTS
        for prefix in ("binding_months_", "supply_lost_")
    )


def limits_section(comparison: pd.DataFrame, found: list[Finding], months: int | None = None) -> str:
    """What limited lending: per constraint, the months it bound and the supply it cost, in each
    mode, with the paired difference and its CI (clipped; a difference of months bound to ±`months`,
    the horizon run), significance as in the summary."""
    by_metric = clipped_comparison(comparison).set_index("metric")
    if months:
        bound_rows = by_metric.index.str.startswith("binding_months_")
        by_metric.loc[bound_rows, ["ci_low", "ci_high"]] = by_metric.loc[
            bound_rows, ["ci_low", "ci_high"]
        ].clip(-months, months)
    significant = {f.metric: f.significant for f in found}
    constraints = [
        c
        for c in metrics.CONSTRAINTS
        if {f"binding_months_{c.name}", f"supply_lost_{c.name}"} <= set(by_metric.index)
    ]
    title = text("section_limits")
    if not constraints:
        return page.section(
            "limits", title, [page.skipped(title, text("skipped_absent", columns="binding_months_*"))]
        )
    measures = (("binding_months_", text("col_months_bound")), ("supply_lost_", text("col_supply_lost")))
    header = [text("col_constraint")]
    for _, measure in measures:
        header += [
            text("col_measure_mode", measure=measure, mode=text(f"mode_{mode}")) for mode in MODES_SHOWN
        ]
    rows, classes = [], []
    for constraint in constraints:
        row = [capitalised(dict(zip(("en", "zh"), constraint.label, strict=True)))]
        any_significant = False
        for prefix, _ in measures:
            metric = f"{prefix}{constraint.name}"
            row += _limit_cells(by_metric.loc[metric], unit_of(metric), significant.get(metric, False))
            any_significant |= significant.get(metric, False)
        rows.append(row)
        classes.append("" if any_significant else "not-significant")
    bound = [
        c
        for c in constraints
        if max(by_metric.at[f"binding_months_{c.name}", m] for m in ("automated_mean", "hitl_mean")) > 0
    ]
    lead = (
        text("limits_bound", names=_listed([dict(zip(("en", "zh"), c.label, strict=True)) for c in bound]))
        if bound
        else text("limits_none")
    )
    definitions = [
        join(
            [
                capitalised(dict(zip(("en", "zh"), c.label, strict=True))),
                same(": "),
                dict(zip(("en", "zh"), c.binds, strict=True)),
                same(" "),
                dict(zip(("en", "zh"), c.costs, strict=True)),
            ]
        )
        for c in constraints
    ]
    return page.section(
        "limits",
        title,
        [
            page.paragraph(lead, "lead"),
            page.table(header, rows, classes),
            page.paragraph(text("limits_note")),
            page.heading(3, text("limits_definitions")),
            page.bullets(definitions, [""] * len(definitions)),
        ],
    )


MODES_SHOWN = ("automated", "hitl", "difference")
"""The columns of each measure in the limits table: both modes' means, then HITL − automated."""


def _limit_cells(record: pd.Series, unit: str, significant: bool) -> list[Text]:
    """Automated mean, HITL mean, and the paired difference with its CI (n.s. when not significant)."""
    difference = text(
        "value_with_ci",
        value=format_change(record["difference"], unit),
        low=format_change(record["ci_low"], unit),
        high=format_change(record["ci_high"], unit),
    )
    if not significant and int(record["n_seeds"]) >= 2 and record["difference"] != 0:
        difference = join([difference, text("not_significant_short")], " · ")
    return [format_value(record["automated_mean"], unit), format_value(record["hitl_mean"], unit), difference]


def _months(monthly: pd.DataFrame) -> int | None:
    """How many months the run simulated (None for an empty table)."""
    return int(monthly["month"].max()) if len(monthly) else None


def _listed(names: list[Text]) -> Text:
    return {"en": ", ".join(n["en"] for n in names), "zh": "、".join(n["zh"] for n in names)}


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
                functools.partial(figures.segment_bars, rates, members, labels, seeds=seeds),
                lang,
            )
        )
    if len(blocks) == 1:
        blocks.append(page.skipped(text("section_segments"), text("skipped_absent", columns="segment")))
    return page.section("segments", text("section_segments"), blocks)


def _meta(run: RunContents) -> Text:
    months = int(run.monthly["month"].max()) if len(run.monthly) else 0
    seeds = run.manifest.get("seeds") or sorted(run.monthly["seed"].unique().tolist())
    return text(
        "run_meta",
        seeds=str(len(seeds)),
        months=str(months),
        finished=str(run.manifest.get("finished_at", "?")),
    )


def glossary_section(series: list[str] | tuple[str, ...] = ()) -> str:
    """Every headline metric in plain words, from the metric registry, and then every other series
    the charts draw (`series`: monthly columns, and families as 'prefix_'): the report names what was
    computed, in both languages, and a reader need not look anything up elsewhere."""
    entries = [
        join(
            [
                capitalised(metric_label(m.name)),
                same(f" ({m.name}): "),
                zh_terms(dict(zip(LANGS, m.definition, strict=True))),
            ]
        )
        for m in metrics.REGISTRY.headline()
    ]
    blocks = [page.paragraph(text("glossary_lead"), "lead"), page.bullets(entries, [""] * len(entries))]
    headline = set(metrics.headline_names())
    extra = [name for name in dict.fromkeys(series) if name not in headline]
    chart_entries = [entry for entry in (_series_entry(name) for name in extra) if entry is not None]
    if chart_entries:
        blocks += [
            page.heading(3, text("glossary_series")),
            page.paragraph(text("glossary_series_lead")),
            page.bullets(chart_entries, [""] * len(chart_entries)),
        ]
    return page.section("glossary", text("section_glossary"), blocks)


def _series_entry(name: str) -> Text | None:
    """A glossary line for a monthly column or a family of them ('rejected_')."""
    if name in FAMILY_PARTS:
        noun, part_en, part_zh = FAMILY_NOUNS[name]
        label = metric_label(name.rstrip("_"))
        parts = [family_part(name, part) for part in FAMILY_PARTS[name]]
        listed = {
            "en": "; ".join(p["en"] for p in parts),
            "zh": "；".join(p["zh"] for p in parts),
        }
        return join(
            [
                capitalised(
                    {
                        "en": f"{label['en']} by {part_en} ({name}<{part_en}>)",
                        "zh": f"按{part_zh}划分的{label['zh']}（{name}<{part_en}>）",
                    }
                ),
                same(": "),
                listed,
                {"en": ".", "zh": "。"},
            ]
        )
    definition = column_definition(name)
    if definition is None:
        return None
    return join([capitalised(metric_label(name)), same(f" ({name}): "), definition])


def methods_section(run: RunContents, scenario: Resolved) -> str:
    """How the numbers were made: what a simulated borrower is, the two modes on common random
    numbers, what the intervals and the significance calls mean, and what is reproducible."""
    seeds = run.manifest.get("seeds") or sorted(run.monthly["seed"].unique().tolist())
    root = run.manifest.get("root_seed", scenario.setting("simulation.seed"))
    tested = sum(1 for p in adjusted_p_values(run.comparison, run.summary).values() if p == p)  # not NaN
    paragraphs = [
        ("methods_borrowers_title", _borrowers_text(scenario)),
        ("methods_modes_title", text("methods_modes", root=str(root if root is not None else "?"))),
        ("methods_intervals_title", text("methods_intervals", seeds=str(len(seeds)))),
        ("methods_significance_title", text("methods_significance", tested=str(tested))),
        ("methods_reproducible_title", text("methods_reproducible")),
    ]
    blocks = []
    for title, body in paragraphs:
        blocks += [page.heading(4, text(title)), page.paragraph(body, "lead")]
    return page.section("methods", text("section_methods"), blocks)


def _borrowers_text(scenario: Resolved) -> Text:
    counts = {kind: scenario.number(f"population.{kind}.count") for kind in ("consumers", "smes")}
    represents = {kind: scenario.number(f"population.{kind}.represents") for kind in ("consumers", "smes")}
    shown = {
        kind: format_value(value, "count") if value is not None else same("?")
        for kind, value in counts.items()
    }
    scaled = all(
        represents[kind] is not None and represents[kind] != counts[kind] for kind in ("consumers", "smes")
    )
    weights = (
        text(
            "methods_weights",
            consumers_real=format_value(represents["consumers"] or 0.0, "count"),
            smes_real=format_value(represents["smes"] or 0.0, "count"),
        )
        if scaled
        else text("methods_no_weights")
    )
    return text("methods_borrowers", consumers=shown["consumers"], smes=shown["smes"], weights=weights)


def scenario_name(scenario: Resolved) -> str | None:
    name = scenario.setting("meta.name")
    return name if isinstance(name, str) else None


def limitations_section(scenario: Resolved, seeds: int, robustness: Text | None = None) -> str:
    """What the numbers do not capture — the assumptions a reader should weigh them against — and,
    where one sits beside the run, what the robustness analysis of the same scenario found."""
    noise = scenario.number("underwriting.hitl.soft_info_noise")
    items = [
        text("limitation_reviewers", noise=f"{noise:g}" if noise is not None else "?"),
        text("limitation_counterfactual"),
        text("limitation_market"),
        text("limitation_economy"),
        text("limitation_calibration"),
        text("limitation_seeds", seeds=str(seeds)),
    ]
    return page.section(
        "limitations",
        text("section_limitations"),
        [
            page.paragraph(text("limitations_lead"), "lead"),
            page.bullets(items, [""] * len(items), "findings"),
            *([page.paragraph(robustness, "lead")] if robustness else []),
        ],
    )
