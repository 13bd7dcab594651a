"""Seed folding, events and figures: what each chart is made of."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lendsim.report import figures
from lendsim.report.aggregate import Event, SeedBands, events, segment_groups, segment_rates
from lendsim.report.figures import Panel, compact
from lendsim.report.i18n import format_change, format_value
from lendsim.report.page import figure_texts

from .synthetic import BASIC_SEGMENTS, EXTRA_SEGMENTS, fabricate_monthly


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return fabricate_monthly(4, 24, BASIC_SEGMENTS + EXTRA_SEGMENTS, True, np.random.default_rng(3))


def test_bands_are_mean_plus_minus_t_sd_over_root_n():
    table = pd.DataFrame(
        {
            "mode": "hitl",
            "seed": [0, 1, 2, 3],
            "month": 1,
            "segment": "all",
            "approval_rate": [0.5, 0.6, 0.7, 0.6],
        }
    )

    band = SeedBands.of_segment(table).band("approval_rate").iloc[0]

    half = stats.t.ppf(0.975, 3) * np.std([0.5, 0.6, 0.7, 0.6], ddof=1) / 2
    assert band["mean"] == pytest.approx(0.6)
    assert band["low"] == pytest.approx(0.6 - half) and band["high"] == pytest.approx(0.6 + half)


def test_bands_stay_within_what_the_data_can_take():
    table = pd.DataFrame(
        {
            "mode": "hitl",
            "seed": [0, 1, 2],
            "month": 1,
            "segment": "all",
            "approval_rate": [0.0, 0.0, 0.9],
            "default_rate": [0.1, 1.0, 1.0],
            "platform_profit": [-5.0, 0.0, 2.0],
        }
    )
    bands = SeedBands.of_segment(table)

    approval, default, profit = (
        bands.band(c).iloc[0] for c in ("approval_rate", "default_rate", "platform_profit")
    )

    assert approval["low"] == 0.0 and default["high"] == 1.0
    assert profit["low"] < -5.0 and profit["high"] > 2.0


def test_prefixed_columns_are_discovered_in_the_data_without_their_lookalikes(monthly: pd.DataFrame):
    bands = SeedBands.of_segment(monthly)

    assert bands.columns_with_prefix("frozen_") == [
        "frozen_identity_mismatch",
        "frozen_maintenance",
        "frozen_score_drop",
        "frozen_velocity",
    ]
    assert bands.columns_with_prefix("failed_") == ["failed_downtime", "failed_overload"]
    assert not bands.has("supply_lost_own_share")


def test_events_are_stretches_of_flagged_months_and_name_the_regulated_modes():
    months = np.arange(1, 9)
    table = pd.DataFrame(
        {
            "mode": ["automated"] * 8 + ["hitl"] * 8,
            "seed": 0,
            "month": np.tile(months, 2),
            "segment": "all",
            "shock_active": np.tile([0, 1, 1, 1, 0, 0, 0, 0], 2),
            "regulator_action": [0, 0, 2, 2, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0],
        }
    )

    found = {(e.kind, e.first_month, e.last_month): e.label for e in events(table)}

    assert set(found) == {("shock", 2, 4), ("regulator", 3, 4)}
    assert found[("regulator", 3, 4)]["en"] == "Regulator: growth cap (Automated)"


def test_time_series_overlays_both_modes_with_bands_and_shades_events(monthly: pd.DataFrame):
    bands = SeedBands.of_segment(monthly)

    figure = figures.time_series([Panel(bands.band("approval_rate"))], "rate", events(monthly), "en", seeds=4)

    lines = [t for t in figure.data if t.mode == "lines" and t.fill is None and t.x != (None,)]
    fills = [t for t in figure.data if t.fill == "toself"]
    assert [t.name for t in lines] == ["Automated", "HITL"]
    assert {t.line.color for t in lines} == {figures.MODE_COLOURS["automated"], figures.MODE_COLOURS["hitl"]}
    assert len(fills) == 4  # a fan per mode: its 95 % band and its 50 % band
    marked = events(monthly)
    peaks = [shape for shape in figure.layout.shapes if shape.type == "path"]
    assert len(peaks) == 1 and peaks[0].path.count("M ") == sum(e.kind == "peak" for e in marked)
    assert len(figure.layout.shapes) == sum(e.kind != "peak" for e in marked) + 1
    assert {"Macro shock", "Peak month", "Maintenance"} <= {t.name for t in figure.data}


def test_a_single_seed_draws_no_band(monthly: pd.DataFrame):
    one_seed = monthly[monthly["seed"] == 0]
    bands = SeedBands.of_segment(one_seed)

    figure = figures.time_series([Panel(bands.band("approval_rate"))], "rate", [], "en", seeds=bands.seeds)

    assert bands.seeds == 1
    assert not [t for t in figure.data if t.fill == "toself"]


def test_figure_texts_change_with_the_language(monthly: pd.DataFrame):
    bands = SeedBands.of_segment(monthly)
    panels = [Panel(bands.band("frozen_velocity"), title={"en": "Velocity", "zh": "频繁申请"})]

    english, chinese = (
        figure_texts(figures.time_series(panels, "count", events(monthly), lang, 4)) for lang in ("en", "zh")
    )

    assert "Automated" in english["names"] and "全自动" in chinese["names"]
    assert (
        english["layout"]["xaxis.title.text"] == "Month" and chinese["layout"]["xaxis.title.text"] == "月份"
    )


def test_segments_are_grouped_by_prefix_and_rolled_up_over_the_horizon(monthly: pd.DataFrame):
    groups = segment_groups(sorted(monthly["segment"].unique()))
    rates = segment_rates(monthly, groups["sector"])

    assert list(groups) == ["basic", "band", "sector", "region"]
    assert groups["basic"] == ["consumer", "sme"]
    assert set(rates["metric"]) >= {"approval_rate", "default_rate", "false_rejection_rate"}
    assert ((rates["low"] <= rates["mean"]) & (rates["mean"] <= rates["high"])).all()


def test_compact_keeps_four_significant_digits():
    assert compact([0.123456, 123456.7, -0.0012345, 0.0, float("nan")]) == [
        0.1235,
        123500,
        -0.001234,
        0.0,
        None,
    ]


def test_numbers_are_formatted_for_each_language():
    assert format_value(1_234_000, "rmb") == {"en": "RMB 1.23 m", "zh": "123 万元"}
    assert format_value(0.1234, "rate") == {"en": "12.3 %", "zh": "12.3%"}
    assert format_change(-0.012, "rate") == {"en": "−1.2 pp", "zh": "−1.2 个百分点"}


def test_a_paired_chart_keeps_its_zero_line_and_marks_every_event(monthly: pd.DataFrame):
    bands = SeedBands.of_segment(monthly)
    rule = Event("rule", 10, 10, {"en": "New rules: own funding ≥ 30 %", "zh": "新规：自有出资 ≥ 30%"})
    panel = Panel(bands.band("approval_rate"), difference=bands.difference_band("approval_rate"))

    figure = figures.time_series([panel], "rate", [rule], "en", seeds=4)

    zero = [s for s in figure.layout.shapes if s.type == "line" and s.xref.endswith("domain")]
    lines = [s for s in figure.layout.shapes if s.type == "line" and not s.xref.endswith("domain")]
    assert len(zero) == 1 and zero[0].y0 == 0 and zero[0].yref == "y2"
    assert [(s.x0, s.x1, s.line.dash) for s in lines] == [(9.5, 9.5, "dash")]
    assert lines[0].y0 == figure.layout.yaxis2.domain[0] and lines[0].y1 == 1
    assert [a.text for a in figure.layout.annotations if a.text.startswith("New rules")] == [
        "New rules: own funding ≥ 30 %"
    ]
