"""DataFrame → Plotly figure, one function per kind of chart the report shows.

Figures take data already folded across seeds (see aggregate.py) and a language, and return a
`go.Figure`. They share one look: a light template, one colour per mode wherever a mode appears,
95 % bands as translucent fills, and the run's events (shocks, peaks, maintenance, regulatory
actions) shaded behind every time series and named in the legend. Numbers are rounded to four
significant digits before they go into the page; a chart needs no more and the file stays small.

Plotly reads labels as a little HTML, and names come from the folder (sectors, regions, sweep
parameters and their values): every string that becomes a label — trace name, title, axis title,
category, annotation — passes through `markup.as_text` here, and only here, so it is shown as it
is written. Names from the data never go into a hover template: they travel in `meta`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lendsim.report.aggregate import Event
from lendsim.report.i18n import (
    COUNT,
    DAYS,
    MULTIPLE,
    RATE,
    RMB,
    STRINGS,
    Text,
    count_noun,
    format_change,
    format_value,
    metric_label,
    parameter_label,
    text,
    unit_of,
)
from lendsim.report.markup import MAX_LABEL_CHARS, as_text, shortened
from lendsim.report.units import axis_ticks, axis_unit

FONT = (
    'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
    '"Noto Sans CJK SC", "Source Han Sans SC", sans-serif'
)
MODE_COLOURS = {"automated": "#2563eb", "hitl": "#ea580c", "difference": "#7c3aed"}
BAND_ALPHA = 0.16
"""A band drawn alone (a sweep's 95 % band)."""
FAN_ALPHAS = (0.11, 0.27)
"""A fan chart's outer (95 %) and inner (50 %) band: lighter outside, as central banks draw them."""
EVENT_COLOURS = {
    "shock": "#dc2626",
    "peak": "#eab308",
    "maintenance": "#64748b",
    "regulator": "#9333ea",
    "orders": "#c026d3",
    "restriction": "#b45309",
    "rule": "#0f766e",
}
EVENT_ALPHA = 0.14
PEAK_STRIP = 0.035
"""Peak months recur every year: a thin strip along the top of a chart, not shading over the data."""
REFERENCE_COLOUR = "#111827"
SECONDARY_COLOUR = "#94a3b8"
MAX_LABELLED_EVENTS = 4
"""An event kind with this many stretches or fewer gets a text label on single-panel charts."""
MAX_ANNOTATED_CELLS = 150
PAIRED_ROW_HEIGHTS = [0.64, 0.36]
"""A chart over its paired-difference panel: the levels get the larger share of the height."""
PAIRED_HEIGHT_PX = 470
TOP_MARGIN_PX = 36
LABEL_LINE_PX = 14
SUBPLOT_TITLE_PX = 20
"""Height above a grid's top panels that their titles take: event labels go above it."""

TICK_FORMATS = {RATE: ".1~%", RMB: ",.0f", COUNT: ",.0f", DAYS: ".1~f", MULTIPLE: ".1~f"}
"""Plotly tick formats, for a chart that does not set its ticks with lendsim.report.units.axis_ticks
(which every chart here does: tick labels in 万/亿 and m/bn, never Plotly's SI 600k / 2.5M)."""
HOVER_FORMATS = {RATE: ".2%", RMB: ",.0f", COUNT: ",.1f", DAYS: ".1f", MULTIPLE: ".2f"}

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": 12, "color": "#1f2937"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(MODE_COLOURS.values()),
        "xaxis": {"gridcolor": "#eef0f3", "linecolor": "#cbd5e1", "zeroline": False, "automargin": True},
        "yaxis": {
            "gridcolor": "#eef0f3",
            "linecolor": "#cbd5e1",
            "zerolinecolor": "#cbd5e1",
            "automargin": True,
        },
        "hovermode": "x unified",
        "margin": {"l": 60, "r": 20, "t": TOP_MARGIN_PX, "b": 40},
        "legend": {
            "orientation": "v",
            "x": 1.01,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "traceorder": "normal",
            "font": {"size": 11},
        },
    }
)


@dataclass(frozen=True)
class Panel:
    """One small chart inside a figure: a title (or none) and the seed-folded data it shows."""

    bands: pd.DataFrame
    """Columns mode, month, mean, low, high."""
    title: Text | None = None
    reference: pd.DataFrame | None = None
    """Columns month, value: a regulatory line drawn dashed."""
    reference_name: Text | None = None
    difference: pd.DataFrame | None = None
    """Columns month, mean, low, high: the paired difference HITL − automated, drawn in a panel of
    its own under a single chart (ignored when a figure has several panels)."""


def compact(values) -> list:
    """Four significant digits, as a plain list for the page's JSON (None where not finite)."""
    array = np.asarray(values, dtype=float)
    finite = np.isfinite(array)
    magnitude = np.floor(np.log10(np.where(finite & (array != 0), np.abs(array), 1.0)))
    decimals = (3 - magnitude).astype(int)
    return [
        None if not is_finite else _round(value, digits)
        for value, digits, is_finite in zip(array.tolist(), decimals.tolist(), finite.tolist(), strict=True)
    ]


def _round(value: float, digits: int) -> float | int:
    if digits >= 0:
        return round(value, digits) + 0.0
    return round(value / 10**-digits) * 10**-digits


def time_series(
    panels: list[Panel],
    unit: str,
    events: list[Event],
    lang: str,
    seeds: int,
    *,
    noun: str | None = None,
    per_month: bool = False,
) -> go.Figure:
    """Both modes month by month, one panel per part (cause, reason ...), events marked behind.

    A single panel with a paired difference gets a second panel under it: HITL − automated per
    month with its paired bands, against a dotted zero line. Bands are a fan: the 95 % interval
    light, the 50 % interval darker inside it. Every value axis says its unit (`unit`, what a count
    counts — `noun` — and whether the values are `per_month`) in its title, with tick labels in the
    language's units.
    """
    single = len(panels) == 1
    paired = single and panels[0].difference is not None
    columns = 1 if single else 2
    rows = 2 if paired else math.ceil(len(panels) / columns)
    titles = [panel.title[lang] if panel.title else "" for panel in panels]
    if paired:
        titles.append(text("paired_difference")[lang])
    figure = _grid(rows, columns, titles, shared_x=True, row_heights=PAIRED_ROW_HEIGHTS if paired else None)
    for index, panel in enumerate(panels):
        row, col = index // columns + 1, index % columns + 1
        for mode, data in panel.bands.groupby("mode", sort=False):
            _band_and_line(
                figure,
                data["month"],
                data,
                mode,
                lang,
                band=seeds > 1,
                show_legend=index == 0,
                row=row,
                col=col,
            )
        if panel.reference is not None:
            assert panel.reference_name is not None  # a regulatory line always comes with its name
            _reference_line(
                figure, panel.reference, as_text(panel.reference_name[lang]), index == 0, row, col
            )
    if paired:
        difference = panels[0].difference
        assert difference is not None  # `paired` says so
        _band_and_line(
            figure,
            difference["month"],
            difference,
            "difference",
            lang,
            band=seeds > 1,
            show_legend=True,
            row=2,
            col=1,
        )
        figure.add_hline(y=0, line={"color": SECONDARY_COLOUR, "width": 1, "dash": "dot"}, row=2, col=1)
    if seeds > 1:
        _band_legend(figure, lang)
    _shade_events(figure, events, columns, rows if paired else len(panels), lang, labelled=True)
    level_title = axis_unit(unit, noun, per_month)[lang]
    for index in range(len(panels)):
        row, col = index // columns + 1, index % columns + 1
        label_value_axis(figure, row, col, unit, lang, title=level_title if col == 1 else None)
    if paired:
        label_value_axis(
            figure,
            2,
            1,
            unit,
            lang,
            difference=True,
            title=axis_unit(unit, noun, per_month, difference=True)[lang],
        )
    _hover_format(figure, unit)
    figure.update_xaxes(showticklabels=True)
    drawn = rows if paired else len(panels)
    for col in range(1, columns + 1):
        lowest = max(index for index in range(drawn) if index % columns == col - 1) // columns + 1
        figure.update_xaxes(title_text=as_text(text("month")[lang]), row=lowest, col=col)
    figure.update_layout(height=PAIRED_HEIGHT_PX if paired else _height(rows, 320, 230))
    return figure


def segment_bars(
    rates: pd.DataFrame, segments: list[str], segment_names: dict[str, Text], lang: str, seeds: int
) -> go.Figure:
    """Whole-horizon rates per segment, both modes side by side, one panel per rate."""
    metrics = list(dict.fromkeys(rates["metric"]))
    columns = min(len(metrics), 3)
    rows = math.ceil(len(metrics) / columns)
    figure = _grid(rows, columns, [metric_label(m, capitalised=True)[lang] for m in metrics], shared_x=False)
    names = [as_text(segment_names[s][lang]) for s in segments]
    ticks = [as_text(shortened(segment_names[s][lang])) for s in segments]
    for index, metric in enumerate(metrics):
        row, col = index // columns + 1, index % columns + 1
        for mode in ("automated", "hitl"):
            data = (
                rates[(rates["metric"] == metric) & (rates["mode"] == mode)]
                .set_index("segment")
                .reindex(segments)
            )
            figure.add_trace(
                go.Bar(
                    x=names,
                    y=compact(data["mean"]),
                    name=as_text(text(f"mode_{mode}")[lang]),
                    legendgroup=mode,
                    showlegend=index == 0,
                    marker_color=MODE_COLOURS[mode],
                    yhoverformat=HOVER_FORMATS[RATE],
                    error_y=_whiskers(data["mean"], data["low"], data["high"], seeds > 1),
                ),
                row=row,
                col=col,
            )
    figure.update_xaxes(type="category", tickmode="array", tickvals=names, ticktext=ticks)
    figure.update_yaxes(rangemode="tozero")
    for index in range(len(metrics)):
        row, col = index // columns + 1, index % columns + 1
        title = axis_unit(RATE)[lang] if col == 1 else None
        label_value_axis(figure, row, col, RATE, lang, title=title, from_zero=True)
    figure.update_layout(barmode="group", hovermode="closest", height=_height(rows, 320, 260))
    return figure


def sweep_lines(summary: pd.DataFrame, parameter: str, metric: str, lang: str) -> go.Figure:
    """A metric against one swept parameter: both modes (left) and their difference (right)."""
    unit = unit_of(metric)
    figure = _grid(
        1,
        2,
        [text("mode_automated")[lang] + " / " + text("mode_hitl")[lang], text("mode_difference")[lang]],
        shared_x=False,
    )
    for mode, col in (("automated", 1), ("hitl", 1), ("difference", 2)):
        data = _sweep_stats(summary, mode, metric).sort_values(parameter)
        if not data.empty:
            has_band = bool((data["high"] > data["low"]).any())
            _band_and_line(
                figure, data[parameter], data, mode, lang, band=has_band, show_legend=True, row=1, col=col
            )
    figure.add_hline(y=0, line={"color": SECONDARY_COLOUR, "width": 1, "dash": "dot"}, row=1, col=2)
    noun = count_noun(metric)
    label_value_axis(figure, 1, 1, unit, lang, title=axis_unit(unit, noun)[lang])
    label_value_axis(
        figure, 1, 2, unit, lang, difference=True, title=axis_unit(unit, noun, difference=True)[lang]
    )
    _hover_format(figure, unit)
    figure.update_xaxes(title_text=as_text(parameter_label(parameter)[lang]))
    figure.update_layout(height=360)
    return figure


def sweep_heatmaps(summary: pd.DataFrame, parameters: list[str], metric: str, lang: str) -> go.Figure:
    """A metric over a two-parameter grid: automated, HITL, and HITL − automated (* = significant)."""
    x_name, y_name = parameters
    unit = unit_of(metric)
    modes = ("automated", "hitl", "difference")
    figure = _grid(1, 3, [text(f"mode_{mode}")[lang] for mode in modes], shared_x=False)
    for col, mode in enumerate(modes, start=1):
        data = _sweep_stats(summary, mode, metric)
        if data.empty:
            continue
        grid = data.pivot_table(index=y_name, columns=x_name, values=["mean", "low", "high"], aggfunc="first")
        mean = grid["mean"]
        significant = (grid["low"] > 0) | (grid["high"] < 0)
        marks = np.where(significant.to_numpy() & (mode == "difference"), "*", "")
        shown = format_change if mode == "difference" else format_value
        cells = [
            [
                "" if not np.isfinite(value) else as_text(shown(float(value), unit)[lang]) + mark
                for value, mark in zip(values, row_marks, strict=True)
            ]
            for values, row_marks in zip(mean.to_numpy(dtype=float), marks, strict=True)
        ]
        figure.add_trace(
            go.Heatmap(
                x=[as_text(v) for v in mean.columns],
                y=[as_text(v) for v in mean.index],
                z=[compact(row) for row in mean.to_numpy()],
                text=cells,
                name=as_text(text(f"mode_{mode}")[lang]),
                texttemplate="%{text}" if mean.size <= MAX_ANNOTATED_CELLS else None,
                coloraxis="coloraxis2" if mode == "difference" else "coloraxis",
                meta=[as_text(x_name), as_text(y_name)],
                hovertemplate=(
                    f"%{{meta[0]}}=%{{x}}<br>%{{meta[1]}}=%{{y}}<br>%{{z:{HOVER_FORMATS[unit]}}}<extra></extra>"
                ),
            ),
            row=1,
            col=col,
        )
        figure.update_xaxes(
            title_text=as_text(parameter_label(x_name)[lang]), type="category", row=1, col=col
        )
        figure.update_yaxes(
            title_text=as_text(parameter_label(y_name)[lang]) if col == 1 else None,
            type="category",
            row=1,
            col=col,
        )
    colourbar = {"orientation": "h", "y": -0.3, "yanchor": "top", "thickness": 10}
    levels, differences = (
        [trace for trace in figure.data if (trace.coloraxis == "coloraxis2") == is_difference]
        for is_difference in (False, True)
    )
    figure.update_layout(
        height=440,
        hovermode="closest",
        margin_b=120,
        coloraxis={
            "colorscale": "Blues",
            "colorbar": {**colourbar, **_colourbar_ticks(levels, unit, lang), "x": 0.32, "len": 0.6},
        },
        coloraxis2={
            "colorscale": "RdBu_r",
            "cmid": 0,
            "colorbar": {
                **colourbar,
                **_colourbar_ticks(differences, unit, lang, difference=True),
                "x": 0.86,
                "len": 0.28,
            },
        },
    )
    return figure


def sweep_scatter(summary: pd.DataFrame, parameters: list[str], metric: str, lang: str) -> go.Figure:
    """A metric against each parameter of a sampled design: modes on top, difference below."""
    columns = len(parameters)
    titles = [shortened(parameter_label(p)[lang], max(MAX_LABEL_CHARS, 100 // columns)) for p in parameters]
    figure = _grid(2, columns, titles + [""] * columns, shared_x=True)
    for col, parameter in enumerate(parameters, start=1):
        for mode, row in (("automated", 1), ("hitl", 1), ("difference", 2)):
            data = _sweep_stats(summary, mode, metric)
            figure.add_trace(
                go.Scatter(
                    x=_axis_values(data[parameter]),
                    y=compact(data["mean"]),
                    mode="markers",
                    name=as_text(text(f"mode_{mode}")[lang]),
                    legendgroup=mode,
                    showlegend=col == 1,
                    marker={"color": MODE_COLOURS[mode], "size": 6, "opacity": 0.8},
                    error_y=_whiskers(data["mean"], data["low"], data["high"], True),
                    yhoverformat=HOVER_FORMATS[unit_of(metric)],
                ),
                row=row,
                col=col,
            )
        figure.add_hline(y=0, line={"color": SECONDARY_COLOUR, "width": 1, "dash": "dot"}, row=2, col=col)
    unit, noun = unit_of(metric), count_noun(metric)
    for col in range(1, columns + 1):
        label_value_axis(figure, 1, col, unit, lang, title=axis_unit(unit, noun)[lang] if col == 1 else None)
        label_value_axis(
            figure,
            2,
            col,
            unit,
            lang,
            difference=True,
            title=axis_unit(unit, noun, difference=True)[lang] if col == 1 else None,
        )
    _hover_format(figure, unit)
    figure.update_layout(height=540, hovermode="closest")
    return figure


SENSITIVITY_INDICES = {"morris": (("mu_star", "μ*"), ("sigma", "σ")), "sobol": (("S1", "S1"), ("ST", "ST"))}
"""Per method, the index columns drawn as bars (the first in the accent colour) and their labels."""


def sensitivity_bars(table: pd.DataFrame, method: str, lang: str) -> go.Figure:
    """Sensitivity indices per parameter with confidence whiskers, one panel per metric (and mode).

    The seed-noise line (sd of the index across seeds) marks effects too small to tell from chance.
    """
    keys = ["metric", "mode"] if "mode" in table.columns else ["metric"]
    panels = list(table.groupby(keys, sort=False))
    columns = 1 if len(panels) == 1 else 2
    rows = math.ceil(len(panels) / columns)
    figure = _grid(rows, columns, [_sensitivity_title(key, lang) for key, _ in panels], shared_x=False)
    colours = (MODE_COLOURS["automated"], SECONDARY_COLOUR)
    for index, (_, data) in enumerate(panels):
        row, col = index // columns + 1, index % columns + 1
        for (column, label), colour in zip(SENSITIVITY_INDICES[method], colours, strict=True):
            if column in data.columns and data[column].notna().any():
                figure.add_trace(
                    go.Bar(
                        x=[as_text(parameter) for parameter in data["parameter"]],
                        y=compact(data[column]),
                        name=as_text(label),
                        legendgroup=label,
                        showlegend=index == 0,
                        marker_color=colour,
                        error_y=_conf_whiskers(data, column),
                    ),
                    row=row,
                    col=col,
                )
        if "seed_noise_sd" in data.columns and data["seed_noise_sd"].max() > 0:
            figure.add_hline(
                y=float(data["seed_noise_sd"].max()),
                row=row,
                col=col,
                line={"color": REFERENCE_COLOUR, "dash": "dash", "width": 1},
                annotation={"text": as_text(text("seed_noise")[lang]), "font": {"size": 10}},
                annotation_position="top right",
            )
    parameters = list(dict.fromkeys(table["parameter"]))
    figure.update_xaxes(  # parameter names that look like numbers stay names; ticks read as labels
        type="category",
        tickmode="array",
        tickvals=[as_text(p) for p in parameters],
        ticktext=[as_text(shortened(parameter_label(p)[lang], 40)) for p in parameters],
    )
    for index, (key, _) in enumerate(panels):
        row, col = index // columns + 1, index % columns + 1
        if method == "sobol":
            label_value_axis(
                figure, row, col, RATE, lang, title=text("sobol_index_axis")[lang], from_zero=True
            )
        else:  # μ* and σ are in the metric's unit (a rate's in percentage points)
            metric = str(key[0] if isinstance(key, tuple) else key)
            unit = unit_of(metric)
            title = axis_unit(unit, count_noun(metric), difference=True)[lang]
            label_value_axis(
                figure,
                row,
                col,
                unit,
                lang,
                difference=unit == RATE,
                signed=False,
                title=title,
                from_zero=True,
            )
    figure.update_layout(barmode="group", hovermode="closest", height=_height(rows, 340, 260))
    return figure


def _sensitivity_title(key: tuple, lang: str) -> str:
    """'Approval rate' or, when the table has modes, 'Approval rate — HITL'."""
    metric, *mode = key
    title = metric_label(metric, capitalised=True)[lang]
    if mode and f"mode_{mode[0]}" in STRINGS:
        return f"{title} — {text(f'mode_{mode[0]}')[lang]}"
    return f"{title} — {mode[0]}" if mode else title


def _grid(
    rows: int, columns: int, titles: list[str], shared_x: bool, row_heights: list[float] | None = None
) -> go.Figure:
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[as_text(title) for title in titles] if any(titles) else None,
        shared_xaxes=shared_x,
        row_heights=row_heights,
        vertical_spacing=min(0.3 / rows, 0.12) if shared_x else min(0.45 / rows, 0.18),
        horizontal_spacing=0.09 if columns < 3 else 0.07,
    )
    figure.update_annotations(font_size=12)
    figure.update_layout(template=TEMPLATE)
    return figure


def _band_and_line(
    figure: go.Figure,
    x: pd.Series,
    stats: pd.DataFrame,
    mode: str,
    lang: str,
    *,
    band: bool,
    show_legend: bool,
    row: int,
    col: int,
) -> None:
    """A mean line with its band in the mode's colour (no band from a single seed): a fan of the
    95 % band, light, and the 50 % band, darker, when `stats` has both (low50, high50); otherwise
    the 95 % band alone."""
    x_values = _axis_values(x)
    name = as_text(text(f"mode_{mode}")[lang])
    colour = MODE_COLOURS.get(mode, SECONDARY_COLOUR)
    if band:
        fan = {"low50", "high50"} <= set(stats.columns)
        shades = [("low", "high", FAN_ALPHAS[0] if fan else BAND_ALPHA)]
        if fan:
            shades.append(("low50", "high50", FAN_ALPHAS[1]))
        for low, high, alpha in shades:
            band_x, band_y = _band_outline(x_values, compact(stats[low]), compact(stats[high]))
            figure.add_trace(
                go.Scatter(
                    x=band_x,
                    y=band_y,
                    fill="toself",
                    fillcolor=_rgba(colour, alpha),
                    line={"width": 0},
                    mode="lines",
                    hoverinfo="skip",
                    name=name,
                    legendgroup=mode,
                    showlegend=False,
                ),
                row=row,
                col=col,
            )
    figure.add_trace(
        go.Scatter(
            x=x_values,
            y=compact(stats["mean"]),
            mode="lines",
            name=name,
            legendgroup=mode,
            showlegend=show_legend,
            line={"color": colour, "width": 2},
        ),
        row=row,
        col=col,
    )


def _band_legend(figure: go.Figure, lang: str) -> None:
    """Two legend entries that say what the fan's shades are: the 50 % band and the 95 % band."""
    for key, alpha in (("band_inner", FAN_ALPHAS[1]), ("band_outer", FAN_ALPHAS[0])):
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=as_text(text(key)[lang]),
                legendgroup=key,
                marker={
                    "symbol": "square",
                    "size": 12,
                    "color": _rgba(SECONDARY_COLOUR, min(1.0, 2.5 * alpha)),
                },
                hoverinfo="skip",
            )
        )


def _band_outline(x: list, low: list, high: list) -> tuple[list, list]:
    """The outline of a band as closed shapes, one per stretch of months where it has both ends,
    separated by gaps (None): a month with nothing measured breaks the band instead of tying its
    upper edge to its lower one across the chart."""
    xs: list = []
    ys: list = []
    stretch: list[int] = []
    for index in [*range(len(x)), None]:
        if index is not None and low[index] is not None and high[index] is not None:
            stretch.append(index)
            continue
        if stretch:
            if xs:
                xs.append(None)
                ys.append(None)
            xs += [x[i] for i in stretch] + [x[i] for i in reversed(stretch)]
            ys += [high[i] for i in stretch] + [low[i] for i in reversed(stretch)]
            stretch = []
    return xs, ys


def _reference_line(
    figure: go.Figure, reference: pd.DataFrame, name: str, show_legend: bool, row: int, col: int
) -> None:
    figure.add_trace(
        go.Scatter(
            x=reference["month"].tolist(),
            y=compact(reference["value"]),
            mode="lines",
            name=name,
            legendgroup="reference",
            showlegend=show_legend,
            line={"color": REFERENCE_COLOUR, "dash": "dash", "width": 1.5, "shape": "hv"},
        ),
        row=row,
        col=col,
    )


def _shade_events(
    figure: go.Figure, events: list[Event], columns: int, panels: int, lang: str, labelled: bool = True
) -> None:
    """Mark each event behind the data of every column and name each kind in the legend.

    Stretches (a shock, maintenance, a regulatory action, a closure) are shaded over the panels'
    full height; a rule change is a dashed vertical line at the month it applies from; peak months,
    which recur every year, are a thin strip along the top. With `labelled`, each kind with few
    events also gets a short text label above the plot — one line per kind, so that labels of
    coinciding events (a shock and the regulator's reaction) do not overlap.
    """
    bottoms = [_column_bottom(figure, col, columns, panels) for col in range(1, columns + 1)]
    peaks = [event for event in events if event.kind == "peak"]
    shapes = [
        _event_shape(event, col, bottom)
        for event in events
        if event.kind != "peak"
        for col, bottom in enumerate(bottoms, 1)
    ]
    if peaks:  # dozens of them over a long run: one path per column, not a shape each
        shapes += [_peak_strip(peaks, col) for col in range(1, columns + 1)]
    kinds = list(dict.fromkeys(event.kind for event in events))
    labelled_kinds = [
        kind for kind in kinds if labelled and kind != "peak" and _count(events, kind) <= MAX_LABELLED_EVENTS
    ]
    titled = columns > 1 and any(annotation.text for annotation in figure.layout.annotations)
    above_titles = SUBPLOT_TITLE_PX if titled else 0  # a grid's top panels have their titles there
    annotations = [
        _event_label(event, col, above_titles + LABEL_LINE_PX * line, lang)
        for line, kind in enumerate(labelled_kinds)
        for event in events
        if event.kind == kind
        for col in range(1, columns + 1)
    ]
    # assigned, not passed to update_layout: an update merges a list of shapes into the shapes already
    # there (the zero line of a difference panel) element by element instead of adding to them
    figure.layout.shapes = (*figure.layout.shapes, *shapes)
    figure.layout.annotations = (*figure.layout.annotations, *annotations)
    figure.update_layout(
        margin_t=TOP_MARGIN_PX
        + (above_titles if labelled_kinds else 0)
        + LABEL_LINE_PX * len(labelled_kinds),
    )
    for kind in kinds:
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines" if kind == "rule" else "markers",
                name=as_text(text(f"event_{kind}")[lang]),
                legendgroup=f"event-{kind}",
                line={"color": EVENT_COLOURS[kind], "dash": "dash", "width": 1.5},
                marker={"symbol": "square", "size": 12, "color": _rgba(EVENT_COLOURS[kind], 3 * EVENT_ALPHA)},
                hoverinfo="skip",
            )
        )


def _event_label(event: Event, col: int, shift_px: int, lang: str) -> dict:
    """The short label of an event above the plot: centred on a stretch, to the right of a line."""
    line = event.kind == "rule"
    return {
        "x": event.first_month - 0.5 if line else (event.first_month + event.last_month) / 2,
        "xref": "x" if col == 1 else f"x{col}",
        "xanchor": "left" if line else "center",
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "yshift": shift_px,
        "text": as_text(event.label[lang]),
        "showarrow": False,
        "font": {"size": 10, "color": EVENT_COLOURS.get(event.kind, SECONDARY_COLOUR)},
    }


def _peak_strip(peaks: list[Event], col: int) -> dict:
    """Every peak month of a column as one shape: a strip along the top of its panels."""
    top, bottom = 1, 1 - PEAK_STRIP
    path = " ".join(
        f"M {e.first_month - 0.5},{bottom} L {e.last_month + 0.5},{bottom} "
        f"L {e.last_month + 0.5},{top} L {e.first_month - 0.5},{top} Z"
        for e in peaks
    )
    return {
        "type": "path",
        "path": path,
        "xref": "x" if col == 1 else f"x{col}",
        "yref": "paper",
        "layer": "below",
        "line": {"width": 0},
        "fillcolor": _rgba(EVENT_COLOURS["peak"], 0.5),
    }


def _column_bottom(figure: go.Figure, col: int, columns: int, panels: int) -> float:
    """Where the lowest panel of a column starts, so shading does not run into an empty grid cell."""
    lowest = max(index for index in range(panels) if index % columns == col - 1)
    return figure.layout["yaxis" if lowest == 0 else f"yaxis{lowest + 1}"].domain[0]


def _event_shape(event: Event, col: int, bottom: float) -> dict:
    """A stretch of months shaded over the full height of one column of panels; a rule change as a
    dashed line; peak months as a strip at the top."""
    colour = EVENT_COLOURS.get(event.kind, SECONDARY_COLOUR)
    where = {"xref": "x" if col == 1 else f"x{col}", "yref": "paper", "layer": "below"}
    if event.kind == "rule":
        x = event.first_month - 0.5
        return {
            **where,
            "type": "line",
            "x0": x,
            "x1": x,
            "y0": bottom,
            "y1": 1,
            "layer": "above",
            "line": {"color": colour, "width": 1.5, "dash": "dash"},
        }
    return {
        **where,
        "type": "rect",
        "y0": 1 - PEAK_STRIP if event.kind == "peak" else bottom,
        "y1": 1,
        "x0": event.first_month - 0.5,
        "x1": event.last_month + 0.5,
        "line": {"width": 0},
        "fillcolor": _rgba(colour, 0.5 if event.kind == "peak" else EVENT_ALPHA),
    }


def _axis_values(values: pd.Series) -> list:
    """Numbers rounded for the page; anything else (a policy name, a switch) as text categories."""
    return compact(values) if pd.api.types.is_numeric_dtype(values) else [as_text(v) for v in values]


def label_value_axis(
    figure: go.Figure,
    row: int,
    col: int,
    unit: str,
    lang: str,
    *,
    difference: bool = False,
    signed: bool | None = None,
    title: str | None = None,
    from_zero: bool = False,
) -> None:
    """Tick values and labels of one panel's value axis in the language's units, from the range of
    the data drawn on it (lines, bands and whiskers; and zero, for bars that start `from_zero`); and
    its title, the unit, when given. An axis whose data are one value (a rate zero throughout) is
    left to Plotly, in the unit's tick format."""
    subplot = figure.get_subplot(row, col)
    if subplot is None:
        return
    axis = subplot.yaxis
    anchor = "y" + axis.plotly_name.removeprefix("yaxis")
    low, high = _data_range(figure, anchor)
    if from_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    ticks, labels = (
        axis_ticks(low, high, unit, lang, difference=difference, signed=signed) if high > low else ([], [])
    )
    if ticks:
        axis.update(tickmode="array", tickvals=ticks, ticktext=labels)
    else:
        axis.update(tickformat=TICK_FORMATS[unit])
    if title:
        axis.update(title_text=as_text(title), title_font_size=11)


def _data_range(figure: go.Figure, anchor: str) -> tuple[float, float]:
    """Lowest and highest value drawn against one value axis (NaN, NaN when nothing is)."""
    values: list[float] = []
    for trace in figure.data:
        if (getattr(trace, "yaxis", None) or "y") != anchor or trace.y is None:
            continue
        ys = np.asarray([np.nan if v is None else v for v in trace.y], dtype=float)
        values += ys[np.isfinite(ys)].tolist()
        error = getattr(trace, "error_y", None)
        if error is not None and error.visible and error.array is not None:
            plus = np.asarray([np.nan if v is None else v for v in error.array], dtype=float)
            minus_values = error.arrayminus if error.arrayminus is not None else error.array
            minus = np.asarray([np.nan if v is None else v for v in minus_values], dtype=float)
            if len(plus) == len(ys) and len(minus) == len(ys):
                for extreme in (ys + plus, ys - minus):
                    values += extreme[np.isfinite(extreme)].tolist()
    if not values:
        return math.nan, math.nan
    return min(values), max(values)


def _colourbar_ticks(traces: list, unit: str, lang: str, difference: bool = False) -> dict:
    """Tick values and labels of a heatmap's colour bar, in the language's units."""
    values = [
        value
        for trace in traces
        for row in (trace.z or [])
        for value in (row or [])
        if value is not None and math.isfinite(value)
    ]
    if not values:
        return {}
    ticks, labels = axis_ticks(min(values), max(values), unit, lang, difference=difference)
    inside = [(t, label) for t, label in zip(ticks, labels, strict=True) if min(values) <= t <= max(values)]
    if len(inside) < 2:
        inside = list(zip(ticks, labels, strict=True))
    return {
        "tickmode": "array",
        "tickvals": [t for t, _ in inside],
        "ticktext": [label for _, label in inside],
    }


def _hover_format(figure: go.Figure, unit: str) -> None:
    figure.update_traces(yhoverformat=HOVER_FORMATS[unit], selector={"type": "scatter"})


def _whiskers(mean: pd.Series, low: pd.Series, high: pd.Series, visible: bool) -> dict:
    return {
        "type": "data",
        "array": compact(high - mean),
        "arrayminus": compact(mean - low),
        "visible": visible,
        "thickness": 1.2,
        "width": 3,
    }


def _conf_whiskers(data: pd.DataFrame, column: str) -> dict | None:
    conf = f"{column}_conf"
    if conf not in data.columns:
        return None
    return {"type": "data", "array": compact(data[conf]), "visible": True, "thickness": 1.2, "width": 3}


def _sweep_stats(summary: pd.DataFrame, mode: str, metric: str) -> pd.DataFrame:
    """Rows of one mode with the metric's columns renamed to mean, low, high."""
    rows = summary[summary["mode"] == mode]
    return rows.rename(
        columns={f"{metric}_mean": "mean", f"{metric}_ci_low": "low", f"{metric}_ci_high": "high"}
    )


def _count(events: list[Event], kind: str) -> int:
    return sum(event.kind == kind for event in events)


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha:.2f})"


def _height(rows: int, single: int, per_row: int) -> int:
    return single if rows == 1 else 80 + per_row * rows
