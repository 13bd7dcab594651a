"""Seeds folded into means and confidence bands before anything is plotted.

A run holds every seed's monthly line; the report shows one line per mode with a 95 % band
(mean ± t·sd/√n across seeds), which is both what a reader needs and what keeps the page small.
The band is lendsim.statistics' t interval — the one comparison.csv uses — with Student's t for the
number of seeds measured in that month: a run has few seeds, and the normal 1.96 would draw the
bands of 5 seeds about 30 % too narrow. This module also reads the calendar of events (shocks,
peaks, maintenance, regulatory actions) off the platform-level columns, and rolls months up into
whole-horizon rates per segment, for the rates the metric registry defines as ratios of flows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from lendsim import metrics
from lendsim.metrics import Metric, denominator_of
from lendsim.report.i18n import (
    RATE,
    Text,
    capitalised,
    join,
    name_part,
    rule_change_text,
    same,
    text,
    unit_of,
)
from lendsim.report.resolved import Resolved
from lendsim.statistics import CONFIDENCE, clip_interval, half_width

PREFIX_LOOKALIKES = frozenset({"frozen_accounts", "frozen_stock", "failed_attempts"})
"""Monthly columns that start like a family (frozen_<cause>, failed_<cause>) but are not causes."""
EVENT_FLAGS = (("shock_active", "shock"), ("peak_month", "peak"), ("maintenance", "maintenance"))
INNER_CONFIDENCE = 0.5
"""Confidence of a fan chart's inner, darker band (the outer one is CONFIDENCE, 95 %)."""
PLATFORM_DENOMINATORS = {"capital_ratio": "rwa_rmb"}
"""Platform values that are ratios, and what they divide by: a month where that is 0 (no
risk-weighted book) has no capital ratio to show, not a ratio of 0."""


def segment_metrics() -> tuple[Metric, ...]:
    """The headline rates shown per segment: those the registry defines as a ratio of recorded
    flows, because only those can be recomputed for a segment by adding its flows up (a funding-gap
    share or a minimum cannot). Read when called, in contract order."""
    return tuple(m for m in metrics.REGISTRY.headline() if m.kind == metrics.RATE and m.is_flow_ratio)


@dataclass(frozen=True)
class SeedBands:
    """Mean and 95 % CI half-width across seeds of every numeric column, per (mode, month), and of
    the paired difference HITL − automated, per month.

    The half-width is the t interval's (lendsim.statistics.half_width) for the seeds that measured
    the column in that month: a rate's month with nothing to measure in some seed leaves that seed
    out, and its band widens accordingly. The difference is taken seed by seed — both modes share a
    seed's borrowers and macro path — so its band is the paired t interval of that month
    (lendsim.statistics.paired_ci), narrower than the two modes' bands suggest. Bands are clipped to
    the range the column can take (`value_range`): a registered metric's as the registry declares
    it, any other column's from the data — never negative, no band below zero; a rate, no band
    above one; a difference of rates, none beyond ±1.
    """

    mean: pd.DataFrame
    half_width: pd.DataFrame
    seeds: int
    lowest: pd.Series
    highest: pd.Series
    difference_mean: pd.DataFrame
    """HITL − automated per month (index), averaged over the seeds run in both modes."""
    difference_half_width: pd.DataFrame
    inner_half_width: pd.DataFrame | None = None
    """Half-width of the 50 % interval (the fan chart's inner band), like `half_width`."""
    difference_inner_half_width: pd.DataFrame | None = None

    @classmethod
    def of_segment(cls, monthly: pd.DataFrame, segment: str = "all") -> SeedBands:
        rows = monthly[monthly["segment"] == segment].drop(columns=["segment"]).copy()
        for column in rows.columns:  # a month with nothing to measure does not count as a rate of 0
            denominator = denominator_of(column) or PLATFORM_DENOMINATORS.get(column)
            if denominator in rows.columns:
                rows[column] = rows[column].where(rows[denominator] > 0)
        difference_mean, difference_half, difference_inner = _paired_differences(rows)
        rows = rows.drop(columns=["seed"])
        grouped = rows.groupby(["mode", "month"], sort=True)
        counts = grouped.size()
        measured = grouped.count().clip(lower=1)  # seeds with something to measure, per column
        std = grouped.std(ddof=1, numeric_only=True).fillna(0.0)
        half, inner = (
            pd.DataFrame(
                half_width(std.to_numpy(), measured[std.columns].to_numpy(), confidence),
                index=std.index,
                columns=std.columns,
            )
            for confidence in (CONFIDENCE, INNER_CONFIDENCE)
        )
        numeric = rows.select_dtypes("number")
        return cls(
            mean=grouped.mean(numeric_only=True),
            half_width=half,
            seeds=int(counts.max()) if len(counts) else 0,
            lowest=numeric.min(),
            highest=numeric.max(),
            difference_mean=difference_mean,
            difference_half_width=difference_half,
            inner_half_width=inner,
            difference_inner_half_width=difference_inner,
        )

    def has(self, column: str) -> bool:
        """True when the column exists and is not zero throughout (nor empty throughout)."""
        return column in self.mean.columns and bool(self.mean[column].abs().max() > 0)

    def has_data(self, column: str) -> bool:
        """True when the column exists and holds at least one number: an all-NaN column (nothing
        measured, or nothing recorded) has no data, which is not the same as being zero."""
        return column in self.mean.columns and bool(self.mean[column].notna().any())

    def band(self, column: str) -> pd.DataFrame:
        """Tidy frame (mode, month, mean, low, high, low50, high50) of one column: the 95 % band and
        the 50 % band inside it (a fan chart's two shades)."""
        mean = self.mean[column]
        value_range = self.value_range(column)
        half = self.half_width[column]
        low, high = clip_interval(mean - half, mean + half, value_range)
        frame = pd.DataFrame({"mean": mean, "low": low, "high": high}, index=mean.index)
        if self.inner_half_width is not None:
            inner = self.inner_half_width[column]
            frame["low50"], frame["high50"] = clip_interval(mean - inner, mean + inner, value_range)
        return frame.reset_index()

    def has_difference(self, column: str) -> bool:
        """True when both modes ran and the column was measured in both in some month."""
        return column in self.difference_mean.columns and bool(self.difference_mean[column].notna().any())

    def difference_band(self, column: str) -> pd.DataFrame:
        """Tidy frame (mode = 'difference', month, mean, low, high) of the paired difference
        HITL − automated of one column: per month, the t interval of the per-seed differences."""
        mean = self.difference_mean[column]
        half = self.difference_half_width[column]
        difference_range = self.difference_range(column)
        low, high = clip_interval(mean - half, mean + half, difference_range)
        band = pd.DataFrame({"month": mean.index, "mean": mean.to_numpy(), "low": low, "high": high})
        columns = ["mode", "month", "mean", "low", "high"]
        if self.difference_inner_half_width is not None and column in self.difference_inner_half_width:
            inner = self.difference_inner_half_width[column].to_numpy()
            band["low50"], band["high50"] = clip_interval(
                mean.to_numpy() - inner, mean.to_numpy() + inner, difference_range
            )
            columns += ["low50", "high50"]
        return band.assign(mode="difference")[columns]

    def value_range(self, column: str) -> tuple[float, float]:
        """(lowest, highest) the column can take: the registry's range for a metric; for any other
        column ≥ 0 if it never was negative, and ≤ 1 for a rate that never exceeded 1."""
        metric = metrics.REGISTRY.get(column)
        if metric is not None:
            return metric.value_range()
        low = 0.0 if self.lowest[column] >= 0 else -math.inf
        high = 1.0 if unit_of(column) == RATE and self.highest[column] <= 1 else math.inf
        return low, high

    def difference_range(self, column: str) -> tuple[float, float]:
        """What HITL − automated of the column can be: [−1, 1] for a rate in [0, 1]."""
        low, high = self.value_range(column)
        return low - high, high - low

    def columns_with_prefix(self, prefix: str) -> list[str]:
        """Columns named prefix + something, discovered in the data, sorted by name."""
        return sorted(
            c
            for c in self.mean.columns
            if c.startswith(prefix) and len(c) > len(prefix) and c not in PREFIX_LOOKALIKES
        )


def _paired_differences(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per month, the mean and the t half-widths (95 % and 50 %) of HITL − automated over the seeds
    run (and measured) in both modes; empty frames when one mode is missing."""
    numeric = rows.set_index(["mode", "month", "seed"]).select_dtypes("number")
    modes = set(numeric.index.get_level_values("mode"))
    if not {"automated", "hitl"} <= modes:
        empty = pd.DataFrame(columns=numeric.columns, dtype="float64")
        return empty, empty, empty
    differences = numeric.xs("hitl", level="mode") - numeric.xs("automated", level="mode")
    by_month = differences.groupby(level="month", sort=True)
    measured = by_month.count().clip(lower=1).to_numpy()
    std = by_month.std(ddof=1).fillna(0.0)
    half, inner = (
        pd.DataFrame(half_width(std.to_numpy(), measured, confidence), index=std.index, columns=std.columns)
        for confidence in (CONFIDENCE, INNER_CONFIDENCE)
    )
    return by_month.mean(), half, inner


@dataclass(frozen=True)
class Event:
    """Something that happened on the time axis, first and last month inclusive: a stretch the
    figures shade (a shock, a suspension), or — for a rule change, `first_month == last_month` — the
    month from which new rules apply, drawn as a vertical line."""

    kind: str
    first_month: int
    last_month: int
    label: Text
    """Short, for the chart."""
    detail: Text | None = None
    """Everything it stands for, for the list of events under the charts (None: the label)."""

    @property
    def described(self) -> Text:
        return self.detail or self.label


def events(monthly: pd.DataFrame, scenario: Resolved | None = None) -> list[Event]:
    """What the figures mark on their time axes: shocks, peaks, maintenance windows and regulatory
    actions as the monthly table recorded them, and — when the resolved scenario is given — the
    scheduled rule changes, closures of sectors or regions and ordered account suspensions it
    declares, within the months the run simulated."""
    rows = monthly[monthly["segment"] == "all"]
    found: list[Event] = []
    for column, kind in EVENT_FLAGS:
        if column in rows.columns:
            flagged = rows.groupby("month")[column].max() > 0
            found += [
                Event(kind, first, last, text(f"event_{kind}"))
                for _, first, last in _stretches(flagged.map({True: kind, False: ""}))
            ]
    if "regulator_action" in rows.columns:
        found += [
            Event("regulator", first, last, _regulator_text(label))
            for label, first, last in _stretches(_regulator_labels(rows))
        ]
    if scenario is not None and len(rows):
        found += scenario_events(scenario, int(rows["month"].min()), int(rows["month"].max()))
    return found


def scenario_events(scenario: Resolved, first_month: int, last_month: int) -> list[Event]:
    """The scenario's scheduled rule changes, closures and account suspensions that fall within
    [first_month, last_month], clipped to it."""
    found = []
    for change in scenario.rule_changes:
        if first_month <= change.from_month <= last_month:
            parts = [rule_change_text(key, value) for key, value in change.changes]
            short = parts[0] if len(parts) == 1 else join([parts[0], same(" …")])
            found.append(
                Event(
                    "rule",
                    change.from_month,
                    change.from_month,
                    text("event_rule_label", change=short),
                    text("event_rule_detail", month=str(change.from_month), changes=_listed(parts)),
                )
            )
    for closure in scenario.closures:
        last = closure.last_month or last_month
        if closure.first_month <= last_month and last >= first_month:
            names = [name_part(n) for n in (*closure.sectors, *closure.regions)]
            by = (
                text("imposed_by_regulator")
                if closure.imposed_by == "regulator"
                else text("imposed_by_platform")
            )
            found.append(
                Event(
                    "restriction",
                    max(closure.first_month, first_month),
                    min(last, last_month),
                    text("event_restriction_label", names=_listed(names)),
                    text("event_restriction_detail", names=_listed(names), by=by),
                )
            )
    for suspension in scenario.suspensions:
        if suspension.first_month <= last_month and suspension.last_month >= first_month:
            number = f"{100 * suspension.share:.3g}"
            share = {"en": f"{number} %", "zh": f"{number}%"}
            found.append(
                Event(
                    "orders",
                    max(suspension.first_month, first_month),
                    min(suspension.last_month, last_month),
                    text("event_orders_label", share=share),
                )
            )
    return found


def _listed(names: list[Text]) -> Text:
    return {"en": ", ".join(n["en"] for n in names), "zh": "、".join(n["zh"] for n in names)}


def _regulator_labels(rows: pd.DataFrame) -> pd.Series:
    """Per month: 'level|mode,mode' for the strongest action any seed saw, '' when none."""
    by_mode = rows.groupby(["month", "mode"])["regulator_action"].max().unstack("mode", fill_value=0)
    strongest = by_mode.max(axis=1)
    labels = [
        f"{int(level)}|{','.join(m for m in by_mode.columns if row[m] > 0)}" if level > 0 else ""
        for level, (_, row) in zip(strongest, by_mode.iterrows(), strict=True)
    ]
    return pd.Series(labels, index=by_mode.index)


def _regulator_text(label: str) -> Text:
    level, names = label.split("|")
    modes = _listed([text(f"mode_{m}") if m in ("automated", "hitl") else same(m) for m in names.split(",")])
    return text("regulator_label", level=text(f"regulator_{min(int(level), 3)}"), modes=modes)


def _stretches(labels: pd.Series) -> list[tuple[str, int, int]]:
    """(label, first month, last month) of each run of consecutive months with the same non-empty label."""
    stretches = []
    months = labels.index.to_numpy()
    values = labels.to_numpy()
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start] or months[i] != months[i - 1] + 1:
            if values[start]:
                stretches.append((values[start], int(months[start]), int(months[i - 1])))
            start = i
    return stretches


def segment_rates(monthly: pd.DataFrame, segments: list[str]) -> pd.DataFrame:
    """Whole-horizon rates per (segment, mode): mean across seeds with 95 % t interval.

    Columns: segment, mode, metric, mean, low, high. Rates whose flows are absent are left out, and
    so is a (segment, mode) with nothing to measure in any seed: no bar, rather than a bar at zero.
    Seeds with nothing to measure are left out of the mean and of the interval's count of seeds.
    """
    rows = monthly[monthly["segment"].isin(segments)]
    per_seed = rows.groupby(["segment", "mode", "seed"]).sum(numeric_only=True)
    frames = []
    for definition in segment_metrics():
        metric, denominator = definition.name, definition.denominator
        if not {*definition.numerator, denominator} <= set(per_seed.columns):
            continue
        rate = pd.Series(definition.evaluate(per_seed), index=per_seed.index)
        rate = rate.where(per_seed[denominator] > 0)  # NaN, not the table's 0: nothing to measure
        stats = rate.groupby(["segment", "mode"]).agg(["mean", "std", "count"]).dropna(subset=["mean"])
        half = half_width(stats["std"].fillna(0.0).to_numpy(), stats["count"].to_numpy())
        low, high = (stats["mean"] - half).clip(lower=0.0), (stats["mean"] + half).clip(upper=1.0)
        frames.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "mean": stats["mean"],
                    "low": low,
                    "high": high,
                }
            ).reset_index()
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def segment_groups(segments: list[str]) -> dict[str, list[str]]:
    """Segments of the table grouped for display: consumer/SME, then score band, sector, region."""
    groups: dict[str, list[str]] = {"basic": [s for s in ("consumer", "sme") if s in segments]}
    for prefix in ("band", "sector", "region"):
        groups[prefix] = sorted((s for s in segments if s.startswith(f"{prefix}:")), key=_display_order)
    return {name: members for name, members in groups.items() if members}


BAND_LOWER_BOUND = re.compile(r"([0-9]+(?:\.[0-9]+)?)-", re.ASCII)


def _display_order(segment: str) -> tuple[float, str]:
    """Score bands by their lower bound ('band:90-350' before 'band:350-600'), names alphabetically.

    Only plain ASCII digits count as a bound: '²' or '٣' are digits to str.isdigit but names here.
    """
    prefix, _, name = segment.partition(":")
    bound = BAND_LOWER_BOUND.match(name) if prefix == "band" else None
    return (float(bound.group(1)), name) if bound else (math.inf, name)


def segment_label(segment: str) -> Text:
    """'sector:retail' → 'retail' / '零售'; 'band:600-650' → '600–650'."""
    prefix, _, name = segment.partition(":")
    if not name:
        return capitalised(name_part(prefix))
    return same(name.replace("-", "–")) if prefix == "band" else capitalised(name_part(name))
