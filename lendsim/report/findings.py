"""Plain-language findings, written from the comparison numbers and nothing else.

Each headline metric's paired difference (HITL − automated, with its 95 % CI) becomes one sentence
in each language. The sentence follows the numbers: the verb comes from the sign, the wording says
"not significant" when the interval includes zero, and a single seed earns no claim at all. Rates
are compared in percentage points, positive money and counts as a relative change of the automated
level, and anything starting from zero or below in absolute terms. The order in which findings are
told is each metric's `priority` in the metric registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lendsim import metrics
from lendsim.report.i18n import (
    RATE,
    Text,
    format_change,
    format_percent,
    format_percent_interval,
    format_value,
    join,
    metric_label,
    metric_phrase,
    same,
    text,
    unit_of,
)


def priority_order() -> tuple[str, ...]:
    """Headline metrics in the order findings are told — the question the tool answers first
    (DOMAIN.md) — from the registry's priorities, read when called."""
    return tuple(m.name for m in metrics.REGISTRY.by_priority())


COSTED_METRIC = "sme_funding_gap"
"""The finding that mentions what HITL's reviews cost, as the trade-off it is bought with."""


@dataclass(frozen=True)
class Finding:
    metric: str
    significant: bool
    text: Text


@dataclass(frozen=True)
class Comparison:
    """One row of comparison.csv."""

    metric: str
    automated_mean: float
    hitl_mean: float
    difference: float
    ci_low: float
    ci_high: float
    n_seeds: int

    @property
    def has_interval(self) -> bool:
        return self.n_seeds >= 2

    @property
    def significant(self) -> bool:
        return self.has_interval and (self.ci_low > 0 or self.ci_high < 0)


def run_findings(comparison: pd.DataFrame) -> list[Finding]:
    """One finding per metric that is not zero in both modes; significant ones first."""
    rows = [Comparison(**_row(record)) for record in comparison.to_dict("records")]
    by_metric = {row.metric: row for row in rows}
    cost = _review_cost(by_metric.get("review_cost"))
    order = priority_order()
    findings = [
        Finding(row.metric, row.significant, _sentence(row, cost if row.metric == COSTED_METRIC else None))
        for row in sorted(rows, key=lambda row: _priority(row, order))
        if row.automated_mean != 0 or row.hitl_mean != 0
    ]
    return [f for f in findings if f.significant] + [f for f in findings if not f.significant]


def _row(record: dict) -> dict:
    return {
        "metric": str(record["metric"]),
        "n_seeds": int(record["n_seeds"]),
        **{
            key: float(record[key])
            for key in ("automated_mean", "hitl_mean", "difference", "ci_low", "ci_high")
        },
    }


def _priority(row: Comparison, order: tuple[str, ...]) -> int:
    """Position in `order`; a metric the registry does not rank (a comparison.csv from another
    version) comes after every ranked one."""
    return order.index(row.metric) if row.metric in order else len(order)


def _review_cost(row: Comparison | None) -> Text | None:
    """The extra review cost HITL pays, when there is one."""
    if row is None or row.difference <= 0:
        return None
    return format_value(row.difference, unit_of("review_cost"))


def _sentence(row: Comparison, cost: Text | None) -> Text:
    unit = unit_of(row.metric)
    if row.difference == 0 and row.ci_low == 0 and row.ci_high == 0:
        return text(
            "finding_unchanged", metric=metric_phrase(row.metric), auto=format_value(row.automated_mean, unit)
        )
    cost_clause = text("cost_clause", cost=cost) if cost and row.significant else same("")
    if unit == RATE:
        main = _rate_sentence(row, cost_clause)
    elif row.automated_mean > 0:
        main = _relative_sentence(row, unit, cost_clause)
    else:
        main = _absolute_sentence(row, unit, cost_clause)
    return join([main, _qualifier(row)])


def _verb(row: Comparison, suffix: str = "") -> Text:
    if row.has_interval and not row.significant:
        return text(f"verb_changed{suffix}")
    return text(f"verb_raised{suffix}" if row.difference > 0 else f"verb_lowered{suffix}")


def _rate_sentence(row: Comparison, cost_clause: Text) -> Text:
    return text(
        "finding_rate",
        verb=_verb(row, "_rate"),
        metric=metric_phrase(row.metric),
        auto=format_value(row.automated_mean, RATE),
        hitl=format_value(row.hitl_mean, RATE),
        diff=format_change(row.difference, RATE),
        low=format_change(row.ci_low, RATE),
        high=format_change(row.ci_high, RATE),
        cost=cost_clause,
    )


def _relative_sentence(row: Comparison, unit: str, cost_clause: Text) -> Text:
    """'by 18 % (95 % CI 12–24 %)' when significant; signed values when the CI includes zero."""
    signed = row.has_interval and not row.significant
    low, high = row.ci_low / row.automated_mean, row.ci_high / row.automated_mean
    if not signed and row.difference < 0:
        low, high = -high, -low
    return text(
        "finding_relative",
        verb=_verb(row),
        metric=metric_phrase(row.metric),
        change=format_percent(row.difference / row.automated_mean, signed=signed),
        interval=format_percent_interval(low, high, signed=signed),
        auto=format_value(row.automated_mean, unit),
        hitl=format_value(row.hitl_mean, unit),
        cost=cost_clause,
    )


def _absolute_sentence(row: Comparison, unit: str, cost_clause: Text) -> Text:
    return text(
        "finding_absolute",
        verb=_verb(row, "_rate"),
        metric=metric_phrase(row.metric),
        auto=format_value(row.automated_mean, unit),
        hitl=format_value(row.hitl_mean, unit),
        low=format_change(row.ci_low, unit),
        high=format_change(row.ci_high, unit),
        cost=cost_clause,
    )


def _qualifier(row: Comparison) -> Text:
    if not row.has_interval:
        return text("one_seed")
    return same("") if row.significant else text("not_significant")


def sweep_findings(summary: pd.DataFrame, metrics: list[str]) -> list[Text]:
    """Per metric: the range of the HITL − automated difference over the points, and how often it is
    significant."""
    differences = summary[summary["mode"] == "difference"]
    if differences.empty:
        return []
    sentences = []
    for metric in metrics:
        mean, low, high = (differences[f"{metric}_{stat}"] for stat in ("mean", "ci_low", "ci_high"))
        if not mean.abs().max() > 0:
            continue
        unit = unit_of(metric)
        sentences.append(
            text(
                "sweep_finding",
                metric=metric_label(metric, capitalised=True),
                low=format_change(float(mean.min()), unit),
                high=format_change(float(mean.max()), unit),
                points=str(len(differences)),
                significant=str(int(((low > 0) | (high < 0)).sum())),
            )
        )
    return sentences
