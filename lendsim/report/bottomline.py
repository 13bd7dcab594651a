"""The answer first: two or three sentences on what HITL does, written from the results.

A stakeholder reads the top of the page and stops. So the report opens with the trade-off the run
measured — what human review changes, by how much and how surely, and what it costs — before the
table and the findings. Nothing here is a fixed conclusion: the sentences are chosen by the paired
differences and their Holm-corrected significance (lendsim.report.findings, lendsim.statistics),
the same numbers the table and the findings show.

- The effects: the key headline metrics (registry priority up to KEY_PRIORITY) whose difference is
  significant, most important first, at most MAX_EFFECTS, with size and 95 % CI — and the review
  cost they are bought with. A significant difference in a less important metric follows, as such.
- What does not move: the key metrics (registry priority up to KEY_PRIORITY) whose difference is
  not significant, named as such, so that silence is never read as "no data".
- The platform's profit when it moves significantly, and how many of the tested metrics did.

Without a significant effect the bottom line says so, names the largest apparent difference and
asks for more seeds; with one seed it makes no claim at all.
"""

from __future__ import annotations

import math

import pandas as pd

from lendsim import metrics
from lendsim.report.findings import Comparison, comparisons, priority_order
from lendsim.report.i18n import (
    LANGS,
    RATE,
    Text,
    capitalised,
    format_change,
    format_percent,
    format_percent_interval,
    format_value,
    join,
    metric_phrase,
    same,
    text,
    unit_of,
)
from lendsim.statistics import MIN_SEEDS

MAX_EFFECTS = 2
"""Significant effects named in the first sentence; the findings list the rest."""
KEY_PRIORITY = 40
"""Headline metrics whose registry priority is at most this (the SME funding gap, the default,
approval and false rejection rates …) are the ones the bottom line always accounts for: named as an
effect when significant, as unchanged when not."""
COST_METRIC = "review_cost"
PROFIT_METRIC = "platform_profit"
SIDE_METRICS = frozenset({COST_METRIC, PROFIT_METRIC, "book_profit"})
"""Told as the price of the effects, not as effects."""
VERBS: dict[str, tuple[str, str]] = {
    "sme_funding_gap": ("verb_present_narrows", "verb_present_widens"),
    "sme_funding_gap_share": ("verb_present_narrows", "verb_present_widens"),
}
"""Verbs (for a fall, for a rise) that read better than lowers/raises for a metric."""


def bottom_line(
    comparison: pd.DataFrame, summary: pd.DataFrame | None = None, months: int | None = None
) -> Text:
    """Two or three sentences on the trade-off HITL makes in this run, in both languages.

    `comparison` and `summary` are the run folder's tables; `months` the horizon, for the review
    cost ("over the 48 months").
    """
    everything = comparisons(comparison, summary)  # the Holm family: every headline metric
    rows = [row for row in everything if not _is_constraint(row.metric)]
    seeds = max((row.n_seeds for row in rows), default=0)
    if seeds < 2:
        return text("bottom_line_one_seed", minimum=str(MIN_SEEDS))
    order = priority_order()
    ranked = sorted(
        (row for row in rows if row.metric in order and (row.automated_mean != 0 or row.hitl_mean != 0)),
        key=lambda row: order.index(row.metric),
    )
    tested = sum(1 for row in everything if not math.isnan(row.adjusted_p))
    if not any(row.significant for row in everything):
        return join(
            [text("bottom_line_none", tested=str(tested), seeds=str(seeds)), _largest_apparent(ranked)]
        )
    by_metric = {row.metric: row for row in rows}
    outcomes = [row for row in ranked if row.metric not in SIDE_METRICS]
    key = [row for row in outcomes if _priority(row.metric) <= KEY_PRIORITY]
    effects = [row for row in key if row.significant][:MAX_EFFECTS]
    unchanged = [row for row in key if not row.significant]
    names = _and_list([metric_phrase(row.metric) for row in unchanged]) if unchanged else None
    sentences = []
    if effects:
        sentences.append(
            text(
                "bottom_line_effects",
                effects=_joined([_effect(row) for row in effects], text("and")),
                cost=_cost(by_metric.get(COST_METRIC), months),
            )
        )
        if names is not None:
            key_name = "bottom_line_unchanged_one" if len(unchanged) == 1 else "bottom_line_unchanged_many"
            sentences.append(text(key_name, metrics=capitalised(names)))
    else:
        sentences.append(text("bottom_line_no_effects", metrics=names or same("")))
        review = by_metric.get(COST_METRIC)
        if review is not None and review.difference > 0:
            cost = format_value(review.difference, unit_of(COST_METRIC))
            sentences.append(
                text("bottom_line_review_cost", cost=cost, months=str(months))
                if months
                else text("bottom_line_review_cost_no_months", cost=cost)
            )
    others = [row for row in outcomes if row.significant and row not in key][
        : MAX_EFFECTS - len(effects) or 1
    ]
    if others:
        sentences.append(
            text("bottom_line_others", effects=_joined([_effect(row) for row in others], text("and")))
        )
    profit = by_metric.get(PROFIT_METRIC)
    if profit is not None and profit.significant:
        sentences.append(_profit(profit))
    significant = sum(1 for row in everything if row.significant)
    sentences.append(
        text(
            "bottom_line_count_one" if significant == 1 else "bottom_line_count",
            significant=str(significant),
            tested=str(tested),
            seeds=str(seeds),
        )
    )
    return {lang: ("" if lang == "zh" else " ").join(s[lang] for s in sentences) for lang in LANGS}


def _priority(metric: str) -> float:
    definition = metrics.REGISTRY.get(metric)
    return definition.priority if definition is not None and definition.priority is not None else math.inf


def _is_constraint(metric: str) -> bool:
    return metric.startswith(("binding_months_", "supply_lost_")) and metric.split("_", 2)[-1] in {
        c.name for c in metrics.CONSTRAINTS
    }


def _verb(row: Comparison) -> Text:
    fall, rise = VERBS.get(row.metric, ("verb_present_lowers", "verb_present_raises"))
    return text(fall if row.difference < 0 else rise)


def _effect(row: Comparison) -> Text:
    """'narrows the SME funding gap by 27 % (95 % CI 12–40 %)', 'raises the approval rate by
    5.0 pp (95 % CI +4.0 pp to +6.0 pp)'."""
    unit = unit_of(row.metric)
    if unit == RATE:
        return text(
            "bottom_line_effect_rate",
            verb=_verb(row),
            metric=metric_phrase(row.metric),
            change=_points(abs(row.difference)),
            low=format_change(row.ci_low, RATE),
            high=format_change(row.ci_high, RATE),
        )
    if row.automated_mean > 0:
        low, high = sorted((abs(row.ci_low) / row.automated_mean, abs(row.ci_high) / row.automated_mean))
        return text(
            "bottom_line_effect_relative",
            verb=_verb(row),
            metric=metric_phrase(row.metric),
            change=format_percent(row.difference / row.automated_mean),
            interval=format_percent_interval(low, high),
        )
    return text(
        "bottom_line_effect_absolute",
        verb=_verb(row),
        metric=metric_phrase(row.metric),
        auto=format_value(row.automated_mean, unit),
        hitl=format_value(row.hitl_mean, unit),
    )


def _points(value: float) -> Text:
    """A size in percentage points, without a sign: '12.7 pp' / '12.7 个百分点'."""
    return {lang: shown.lstrip("+") for lang, shown in format_change(value, RATE).items()}


def _cost(row: Comparison | None, months: int | None) -> Text:
    """', at a review cost of RMB 87,100 over the 48 months' — when HITL pays for reviews."""
    if row is None or row.difference <= 0:
        return same("")
    cost = format_value(row.difference, unit_of(COST_METRIC))
    if months:
        return text("bottom_line_cost", cost=cost, months=str(months))
    return text("bottom_line_cost_no_months", cost=cost)


def _profit(row: Comparison) -> Text:
    unit = unit_of(row.metric)
    if row.automated_mean > 0:
        low, high = sorted((abs(row.ci_low) / row.automated_mean, abs(row.ci_high) / row.automated_mean))
        return text(
            "bottom_line_profit",
            metric=capitalised(metric_phrase(row.metric)),
            verb=text("verb_present_falls" if row.difference < 0 else "verb_present_rises"),
            change=format_percent(row.difference / row.automated_mean),
            interval=format_percent_interval(low, high),
        )
    return text(
        "bottom_line_profit_absolute",
        metric=capitalised(metric_phrase(row.metric)),
        auto=format_value(row.automated_mean, unit),
        hitl=format_value(row.hitl_mean, unit),
        low=format_change(row.ci_low, unit),
        high=format_change(row.ci_high, unit),
    )


def _largest_apparent(ranked: list[Comparison]) -> Text:
    """The difference closest to significance among the metrics that have one, and its interval."""
    candidates = [row for row in ranked if not math.isnan(row.adjusted_p) and row.difference != 0]
    if not candidates:
        return same("")
    row = min(candidates, key=lambda r: r.adjusted_p)
    unit = unit_of(row.metric)
    return text(
        "bottom_line_largest",
        metric=metric_phrase(row.metric),
        change=format_change(row.difference, unit),
        low=format_change(row.ci_low, unit),
        high=format_change(row.ci_high, unit),
    )


def _joined(parts: list[Text], separator: Text) -> Text:
    return {lang: separator[lang].join(part[lang] for part in parts) for lang in LANGS}


def _and_list(parts: list[Text]) -> Text:
    """'A', 'A and B', 'A, B and C' / 'A', 'A和B', 'A、B和C'."""
    if len(parts) == 1:
        return parts[0]
    english = ", ".join(p["en"] for p in parts[:-1]) + " and " + parts[-1]["en"]
    chinese = "、".join(p["zh"] for p in parts[:-1]) + "和" + parts[-1]["zh"]
    return {"en": english, "zh": chinese}
