"""Plain-language findings, written from the comparison numbers and nothing else.

Each headline metric's paired difference (HITL − automated, with its 95 % CI) becomes one sentence
in each language. The sentence follows the numbers: the verb comes from the sign, the wording says
"not significant" unless the difference survives the Holm–Bonferroni correction across all the
headline metrics tested together (a 95 % CI that excludes zero is not enough when 14 or more
metrics are looked at: one in 20 does by chance), and a single seed earns no claim at all. Rates
are compared in percentage points, positive money and counts as a relative change of the automated
level, and anything starting from zero or below in absolute terms. Intervals are shown clipped to
what a difference of the metric can be ([−1, 1] for a rate). The order in which findings are told
is each metric's `priority` in the metric registry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lendsim import metrics
from lendsim.report.i18n import (
    RATE,
    STRINGS,
    Text,
    capitalised,
    format_change,
    format_percent,
    format_percent_interval,
    format_value,
    join,
    metric_label,
    metric_phrase,
    parameter_label,
    same,
    text,
    unit_of,
)
from lendsim.statistics import ALPHA, clip_interval, holm, paired_p_value, t_multiplier


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
    excludes_zero: bool = False
    """Its own 95 % CI excludes zero — whether or not it survives the Holm correction."""


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
    adjusted_p: float = math.nan
    """Holm-adjusted p-value of the paired t test across the headline metrics (NaN: not tested)."""

    @property
    def has_interval(self) -> bool:
        return self.n_seeds >= 2

    @property
    def excludes_zero(self) -> bool:
        """The difference's own 95 % CI excludes zero (significant before any correction)."""
        return self.has_interval and (self.ci_low > 0 or self.ci_high < 0)

    @property
    def significant(self) -> bool:
        """Significant at 5 % family-wise, after the Holm correction across the headline metrics."""
        return self.has_interval and self.adjusted_p < ALPHA


def adjusted_p_values(comparison: pd.DataFrame, summary: pd.DataFrame | None = None) -> dict[str, float]:
    """Holm-adjusted p-values of HITL − automated for every metric of comparison.csv, as one family.

    Each raw p-value is the paired t test's on the per-seed values of summary.csv when it has the
    metric; otherwise it is read back from the row's paired t interval — the same test, as long as
    the interval is the unclipped one comparison.csv holds. A metric with nothing to test (one seed,
    or no difference in any seed) is left out of the family.
    """
    by_seed = _by_seed(summary, comparison) if summary is not None else None
    raw = {
        str(record["metric"]): (
            _paired_p_by_seed(by_seed, str(record["metric"]))
            if by_seed is not None and record["metric"] in by_seed.columns.get_level_values(0)
            else _interval_p(record)
        )
        for record in comparison.to_dict("records")
    }
    return dict(zip(raw, holm(list(raw.values())).tolist(), strict=True))


def _by_seed(summary: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """summary.csv's metrics of `comparison`, one row per seed, columns (metric, mode): one pivot
    for every metric instead of one per metric."""
    metrics = [m for m in comparison["metric"].astype(str) if m in summary.columns]
    return summary.pivot_table(index="seed", columns="mode", values=metrics, aggfunc="first")


def _paired_p_by_seed(by_seed: pd.DataFrame, metric: str) -> float:
    if metric not in by_seed.columns.get_level_values(0):
        return math.nan
    by_mode = by_seed[metric]
    if not {"automated", "hitl"} <= set(by_mode.columns):
        return math.nan
    paired = by_mode[["automated", "hitl"]].dropna()
    return paired_p_value(paired["automated"].to_numpy(), paired["hitl"].to_numpy())


def _interval_p(record: dict) -> float:
    """The paired t test's p-value, from the t interval mean ± t·se it was reported as."""
    from scipy import stats

    n, difference = int(record["n_seeds"]), float(record["difference"])
    half = (float(record["ci_high"]) - float(record["ci_low"])) / 2
    if n < 2 or not math.isfinite(difference) or not math.isfinite(half):
        return math.nan
    if half == 0:
        return math.nan if difference == 0 else 0.0
    t = difference / (half / float(t_multiplier(n)))
    return float(2.0 * stats.t.sf(abs(t), n - 1))


def clipped_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """comparison.csv with each interval clipped to what a difference of its metric can be (the
    registry's range: [−1, 1] for a rate); metrics the registry does not know are left as they are."""
    clipped = comparison.copy()
    for index, metric in clipped["metric"].items():
        definition = metrics.REGISTRY.get(str(metric))
        if definition is not None:
            low, high = clip_interval(
                clipped.at[index, "ci_low"], clipped.at[index, "ci_high"], definition.difference_range()
            )
            clipped.at[index, "ci_low"], clipped.at[index, "ci_high"] = float(low), float(high)
    return clipped


def run_findings(comparison: pd.DataFrame, summary: pd.DataFrame | None = None) -> list[Finding]:
    """One finding per metric that is not zero in both modes; significant ones first.

    Significance is the Holm-corrected paired t test across every metric of `comparison`
    (`adjusted_p_values`, from `summary`'s per-seed values when given).
    """
    rows = comparisons(comparison, summary)
    by_metric = {row.metric: row for row in rows}
    cost = _review_cost(by_metric.get("review_cost"))
    order = priority_order()
    findings = [
        Finding(
            row.metric,
            row.significant,
            _sentence(row, cost if row.metric == COSTED_METRIC else None),
            row.excludes_zero,
        )
        for row in sorted(rows, key=lambda row: _priority(row, order))
        if row.automated_mean != 0 or row.hitl_mean != 0
    ]
    return [f for f in findings if f.significant] + [f for f in findings if not f.significant]


def comparisons(comparison: pd.DataFrame, summary: pd.DataFrame | None = None) -> list[Comparison]:
    """The rows of comparison.csv, intervals clipped, each with its Holm-adjusted p-value across
    every metric of `comparison` (from `summary`'s per-seed values when given)."""
    adjusted = adjusted_p_values(comparison, summary)
    return [
        Comparison(**_row(record), adjusted_p=adjusted[str(record["metric"])])
        for record in clipped_comparison(comparison).to_dict("records")
    ]


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
    if row.significant:
        return same("")
    return text("not_significant_holm" if row.excludes_zero else "not_significant")


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


SENSITIVITY_INDEX = {"morris": ("mu_star", "mu_star_conf"), "sobol": ("ST", "ST_conf")}
"""Per method, the index parameters are ranked by, and its confidence half-width."""


def sensitivity_findings(table: pd.DataFrame) -> list[Text]:
    """Per (method, metric, mode) of sensitivity.csv: the parameter that moves the metric most, with
    its index and confidence, whether that is clearly above the seed noise, and which other
    parameters are (or are not). An effect is clear when its index minus its confidence half-width
    exceeds the seed noise (the index's standard deviation across seeds)."""
    keys = [key for key in ("method", "metric", "mode") if key in table.columns]
    sentences: list[Text] = []
    for group_key, rows in table.groupby(keys, sort=False):
        method, metric, *mode = group_key if isinstance(group_key, tuple) else (group_key,)
        if method not in SENSITIVITY_INDEX or SENSITIVITY_INDEX[method][0] not in rows.columns:
            continue
        sentences += _sensitivity_group(str(method), str(metric), str(mode[0]) if mode else None, rows)
    return sentences


def _sensitivity_group(method: str, metric: str, mode: str | None, rows: pd.DataFrame) -> list[Text]:
    index, conf_column = SENSITIVITY_INDEX[method]
    rows = rows[rows[index].notna()].sort_values(index, ascending=False, kind="stable")
    if rows.empty:
        return []
    mode_text = (
        text("sensitivity_mode", mode=text(f"mode_{mode}") if f"mode_{mode}" in STRINGS else same(mode))
        if mode
        else same("")
    )
    subject = capitalised(
        text(
            "sensitivity_subject",
            method=text(f"sensitivity_method_{method}"),
            metric=metric_phrase(metric),
            mode=mode_text,
        )
    )
    if not rows[index].abs().max() > 0:
        return [text("sensitivity_no_effect", subject=subject)]

    def conf(row) -> float:
        value = row.get(conf_column, 0.0)
        return float(value) if value == value else 0.0  # NaN: no interval given

    def noise(row) -> float:
        value = row.get("seed_noise_sd", 0.0)
        return float(value) if value == value else 0.0

    def clear(row) -> bool:
        return float(row[index]) - conf(row) > noise(row)

    records = [row for _, row in rows.iterrows()]
    top = records[0]
    shown = _index_value(metric, method)
    noise_text = text(
        "sensitivity_above_noise" if clear(top) else "sensitivity_within_noise", noise=shown(noise(top))
    )
    parameter = parameter_label(str(top["parameter"]))
    if method == "morris":
        first = text(
            "sensitivity_finding_morris",
            subject=subject,
            parameter=parameter,
            mu_star=shown(float(top["mu_star"])),
            conf=shown(conf(top)),
            sigma=shown(float(top["sigma"]))
            if "sigma" in top and top["sigma"] == top["sigma"]
            else same("—"),
            noise=noise_text,
        )
    else:
        first = text(
            "sensitivity_finding_sobol",
            subject=subject,
            parameter=parameter,
            st=same(f"{float(top['ST']):.2f}"),
            conf=same(f"{conf(top):.2f}"),
            s1=same(f"{float(top['S1']):.2f}") if "S1" in top and top["S1"] == top["S1"] else same("—"),
            noise=noise_text,
        )
    sentences = [first]
    others = records[1:]
    clear_others = [parameter_label(str(row["parameter"])) for row in others if clear(row)]
    unclear = [parameter_label(str(row["parameter"])) for row in others if not clear(row)]
    if clear_others:
        sentences.append(text("sensitivity_others_some", parameters=_listed(clear_others)))
    if unclear:
        sentences.append(text("sensitivity_others", parameters=capitalised(_listed(unclear))))
    return [{"en": " ".join(t["en"] for t in sentences), "zh": "".join(t["zh"] for t in sentences)}]


def _index_value(metric: str, method: str):
    """How an index reads: Sobol's as a share (0.62); Morris's in the metric's unit (a rate's in
    percentage points, without a sign)."""
    unit = unit_of(metric)

    def shown(value: float) -> Text:
        if method == "sobol":
            return same(f"{value:.2f}")
        if unit == RATE:
            return {lang: points.lstrip("+") for lang, points in format_change(value, RATE).items()}
        return format_value(value, unit)

    return shown


def _listed(names: list[Text]) -> Text:
    return {"en": ", ".join(n["en"] for n in names), "zh": "、".join(n["zh"] for n in names)}
