"""The answer in the terminal: a compact table of the key metrics after a command finishes.

`lendsim run`, `sweep` and `compare` write their results to a folder; on a terminal they also
print the few numbers an analyst looks for first — the key headline metrics (the registry's
highest priorities, plus what review costs), each mode's mean, the paired difference and its 95 %
CI — and then the folder. With --quiet, or when stdout is not a terminal (a pipe, a script, a test),
nothing here prints: the commands' one-line summaries stay exactly what scripts parse.

Numbers are formatted as the report formats them (lendsim.report.i18n, English), significance is
the report's (the paired t test, Holm-corrected across the headline metrics), so the terminal and
the report never disagree. `metric_table` and `show` are the building blocks any other command
(e.g. a robustness analysis) uses for its own table.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from typing import IO, Any

import pandas as pd
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from lendsim import metrics

KEY_METRIC_COUNT = 6
"""How many headline metrics (by the registry's priority) the terminal tables show."""
COST_METRIC = "review_cost"
"""Shown with the key metrics even when its priority is lower: HITL's effects are bought with it."""
MAX_POINTS = 20
"""Sweep points listed in the terminal; the rest are in sweep_summary.csv and the report."""
SWEEP_METRIC_COUNT = 2
NOT_SIGNIFICANT = "n.s."
NAME_WIDTH = 22
"""The metric names' column never gets narrower than this (or its longest name), however narrow the
terminal: numbers wrap at their spaces instead (an interval onto a second line)."""


# --------------------------------------------------------------------------- when and where


def wanted(quiet: bool = False, stream: IO[str] | None = None) -> bool:
    """Whether to print a table: not with --quiet, and only when stdout is a terminal."""
    target = stream if stream is not None else sys.stdout
    try:
        return not quiet and target.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def show(*renderables: RenderableType | str, quiet: bool = False, stream: IO[str] | None = None) -> bool:
    """Print tables (or lines) on stdout when `wanted`; return whether anything was printed."""
    if not wanted(quiet, stream):
        return False
    console = Console(file=stream if stream is not None else sys.stdout, highlight=False, soft_wrap=False)
    for renderable in renderables:
        console.print(Text(renderable) if isinstance(renderable, str) else renderable)
    return True


# --------------------------------------------------------------------------- metrics and numbers


def key_metrics(count: int = KEY_METRIC_COUNT, available: Iterable[str] | None = None) -> list[str]:
    """The `count` headline metrics of highest priority (among `available`), then review cost."""
    ranked = [m.name for m in metrics.REGISTRY.by_priority() if m.priority is not None]
    if available is not None:
        present = set(available)
        ranked = [name for name in ranked if name in present]
    chosen = ranked[:count]
    if COST_METRIC in ranked and COST_METRIC not in chosen:
        chosen.append(COST_METRIC)
    return chosen


def label(metric: str) -> str:
    """'Approval rate': the registry's English label, capitalised."""
    from lendsim.report.i18n import metric_label

    return metric_label(metric, capitalised=True)["en"]


def level(metric: str, value: float) -> str:
    """A metric's value as the report writes it: '61.2 %', 'RMB 1.5 m', '1,234'."""
    from lendsim.report.i18n import format_value, unit_of

    return "—" if not _finite(value) else format_value(float(value), unit_of(metric))["en"]


def change(metric: str, value: float) -> str:
    """A signed difference: '+1.2 pp' for a rate, '−RMB 3.4 m' for money."""
    from lendsim.report.i18n import format_change, unit_of

    return "—" if not _finite(value) else format_change(float(value), unit_of(metric))["en"]


def effect(
    metric: str, value: float, low: float, high: float, significant: bool | None = None, lines: int = 2
) -> str:
    """'+1.2 pp n.s.' over '−0.3 pp … +2.7 pp' (its 95 % CI); on one line with `lines=1`. 'n.s.'
    when `significant` is False; no interval when there is none (one seed, or no spread)."""
    shown = change(metric, value) + (f" {NOT_SIGNIFICANT}" if significant is False else "")
    if _finite(low) and _finite(high) and low == high:
        return shown
    interval = _interval(metric, low, high)
    return f"{shown}\n{interval}" if lines > 1 else f"{shown} ({interval})"


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- tables


def metric_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    caption: str | None = None,
    dim_rows: Sequence[bool] | None = None,
) -> Table:
    """A compact table: the first column (names) left-aligned, the others (numbers) right-aligned;
    rows flagged in `dim_rows` (not significant) shown dim. Cells are plain text, never markup."""
    table = Table(
        title=Text(title, style="bold"),
        caption=Text(caption) if caption else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
        pad_edge=False,
    )
    names = [str(row[0]) for row in rows if row]
    width = min(max([len(name) for name in names] + [len(columns[0]) if columns else 0]), NAME_WIDTH)
    for index, column in enumerate(columns):
        if index == 0:
            table.add_column(Text(column), justify="left", min_width=width)
        else:
            table.add_column(Text(column), justify="right", overflow="fold")
    dims = list(dim_rows) if dim_rows is not None else [False] * len(rows)
    for row, dim in zip(rows, dims, strict=True):
        table.add_row(*(Text(str(cell)) for cell in row), style="dim" if dim else None)
    return table


def run_table(comparison: pd.DataFrame, summary: pd.DataFrame | None = None, title: str = "") -> Table:
    """After `lendsim run`: per key metric, automated, HITL, HITL − automated and its 95 % CI."""
    from lendsim.report.findings import adjusted_p_values, clipped_comparison

    adjusted = adjusted_p_values(comparison, summary)
    by_metric = clipped_comparison(comparison).set_index("metric")
    chosen = key_metrics(available=by_metric.index)
    seeds = int(by_metric["n_seeds"].max()) if len(by_metric) else 0
    rows, dims = [], []
    for metric in chosen:
        record = by_metric.loc[metric]
        significant = _significant(adjusted.get(metric, math.nan), seeds)
        rows.append(
            [
                label(metric),
                level(metric, record["automated_mean"]),
                level(metric, record["hitl_mean"]),
                effect(metric, record["difference"], record["ci_low"], record["ci_high"], significant),
            ]
        )
        dims.append(significant is False)
    return metric_table(
        title or f"HITL vs automated, {seeds} seed{'s' if seeds != 1 else ''}",
        ["Metric", "Automated", "HITL", "HITL − automated\n(95 % CI)"],
        rows,
        caption=_caption(len(adjusted), seeds),
        dim_rows=dims,
    )


def sweep_table(
    summary: pd.DataFrame,
    parameters: Sequence[str] | None = None,
    metric_names: Sequence[str] | None = None,
    max_points: int = MAX_POINTS,
) -> Table:
    """After `lendsim sweep`: per point, its parameter values and, for one or two key metrics,
    automated / HITL and HITL − automated with its 95 % CI (sweep_summary.csv's statistics)."""
    columns = list(summary.columns)
    if parameters is None:
        start, end = columns.index("point") + 1, columns.index("mode")
        parameters = columns[start:end]
    measured = {c.removesuffix("_mean") for c in columns if c.endswith("_mean")}
    chosen = (
        list(metric_names) if metric_names else key_metrics(SWEEP_METRIC_COUNT, measured)[:SWEEP_METRIC_COUNT]
    )
    header = ["Point", *parameters]
    for metric in chosen:
        header += [f"{label(metric)}:\nautomated / HITL", "HITL − automated\n(95 % CI)"]
    rows, dims = [], []
    points = sorted(summary["point"].unique())
    for point in points[:max_points]:
        at = summary[summary["point"] == point].set_index("mode")
        first = at.iloc[0]
        row = [str(point), *(_parameter_value(first[p]) for p in parameters)]
        all_dim = True
        for metric in chosen:
            stats = _sweep_cells(at, metric)
            row += stats[:2]
            all_dim &= stats[2]
        rows.append(row)
        dims.append(all_dim)
    more = len(points) - max_points
    caption = "Means over seeds; the difference is paired by seed, its 95 % CI a paired t interval."
    if more > 0:
        caption += f" {more} more point{'s' if more != 1 else ''} in sweep_summary.csv and the report."
    return metric_table(
        f"Sweep: {len(points)} point{'s' if len(points) != 1 else ''}",
        header,
        rows,
        caption=caption,
        dim_rows=dims,
    )


def _sweep_cells(at: pd.DataFrame, metric: str) -> tuple[str, str, bool]:
    """'automated / HITL' level, 'difference (CI)', and whether the CI includes zero."""

    def stat(mode: str, name: str) -> float:
        column = f"{metric}_{name}"
        return float(at.at[mode, column]) if mode in at.index and column in at.columns else math.nan

    levels = f"{level(metric, stat('automated', 'mean'))} / {level(metric, stat('hitl', 'mean'))}"
    mean, low, high = (stat("difference", name) for name in ("mean", "ci_low", "ci_high"))
    includes_zero = not (low > 0 or high < 0)
    return levels, effect(metric, mean, low, high), includes_zero


def compare_table(table: pd.DataFrame, a_name: str = "A", b_name: str = "B") -> Table:
    """After `lendsim compare`: per key metric, B − A under automated and under HITL underwriting
    with their 95 % CIs, and the difference in differences (does HITL change the effect?)."""
    from lendsim.compare import DIFFERENCE, iter_effects

    chosen = key_metrics(available=table["metric"].unique())
    seeds = int(table["n_seeds"].max()) if len(table) else 0
    rows, dims = [], []
    for metric, by_mode in iter_effects(table, chosen):
        cells = [label(metric)]
        significant_any = False
        for mode in ("automated", "hitl", DIFFERENCE):
            row = by_mode.get(mode)
            if row is None:
                cells.append("—")
                continue
            significant = _significant(row["p_holm"], int(row["n_seeds"]))
            significant_any |= significant is not False
            cells.append(effect(metric, row["difference"], row["ci_low"], row["ci_high"], significant))
        rows.append(cells)
        dims.append(not significant_any)
    return metric_table(
        f"{b_name} − {a_name}, paired by seed ({seeds} seed{'s' if seeds != 1 else ''})",
        ["Metric", "Automated:\nB − A (95 % CI)", "HITL:\nB − A (95 % CI)", "HITL − automated\nof B − A"],
        rows,
        caption=(
            "The last column is the difference in differences: how much more (or less) B changes a "
            "metric under HITL than under automated underwriting. n.s.: not significant after the "
            "Holm correction across the headline metrics."
        ),
        dim_rows=dims,
    )


def _significant(adjusted_p: Any, seeds: int) -> bool | None:
    """True/False after the Holm correction; None when nothing could be tested (one seed)."""
    if seeds < 2:
        return None
    try:
        p = float(adjusted_p)
    except (TypeError, ValueError):
        return False
    from lendsim.statistics import ALPHA

    return bool(p < ALPHA) if math.isfinite(p) else False


def _interval(metric: str, low: float, high: float) -> str:
    return f"{change(metric, low)} … {change(metric, high)}"


def _caption(tested: int, seeds: int) -> str:
    if seeds < 2:
        return "One seed: no confidence interval, no claim of significance."
    return (
        "Means over seeds; the difference is paired by seed, its 95 % CI a paired t interval. "
        f"n.s.: not significant after the Holm correction across the {tested} headline metrics."
    )


def _parameter_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def robustness_table(summary: pd.DataFrame, title: str = "How robust each finding is") -> Table:
    """Per key metric of a robustness folder's summary (robustness.csv): the HITL − automated
    difference at the scenario's own values, and the share of plausible worlds (samples of its
    uncertainties) where that finding keeps its sign, with its interval."""
    by_metric = summary.set_index("metric")
    rows, dims = [], []
    for metric in key_metrics(available=by_metric.index):
        r = by_metric.loc[metric]
        share = f"{r['share_holds']:.0%} [{r['share_ci_low']:.0%}, {r['share_ci_high']:.0%}]"
        rows.append([label(metric), change(metric, float(r["central_difference"])), share])
        dims.append(int(r["central_sign"]) == 0)
    columns = ["metric", "HITL − automated (central)", "worlds where it holds"]
    caption = "dim: no clear finding at the central values"
    return metric_table(title, columns, rows, caption=caption, dim_rows=dims)

