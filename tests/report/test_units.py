"""Units a reader recognises: money in 元/万元/亿元 and RMB/m/bn, large counts in 万/亿 and millions,
the same in tables, sentences and on chart axes — never Plotly's SI suffixes (600k, 2.5M, 1.2G)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from lendsim.report import figures
from lendsim.report.aggregate import SeedBands
from lendsim.report.figures import Panel
from lendsim.report.page import figure_texts
from lendsim.report.units import COUNT, RATE, RMB, axis_ticks, axis_unit, format_change, format_value

SI_SUFFIX = re.compile(r"\d(k|M|G)$")


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        (2_350_000_000.0, "RMB 2.35 bn", "23.5 亿元"),
        (550_000_000.0, "RMB 550 m", "5.50 亿元"),
        (1_234_000.0, "RMB 1.23 m", "123 万元"),
        (47_123.0, "RMB 47,100", "4.71 万元"),
        (5_840.0, "RMB 5,840", "5,840 元"),
    ],
)
def test_money_is_written_in_the_units_each_language_counts_in(value: float, english: str, chinese: str):
    assert format_value(value, RMB) == {"en": english, "zh": chinese}


def test_large_counts_are_in_millions_and_in_wan_and_yi():
    assert format_value(24_000_000.0, COUNT) == {"en": "24.0 m", "zh": "2,400 万"}
    assert format_value(350_000_000.0, COUNT) == {"en": "350 m", "zh": "3.50 亿"}
    assert format_value(3_290.0, COUNT) == {"en": "3,290", "zh": "3,290"}


def test_a_negative_change_of_money_keeps_its_sign_and_units():
    assert format_change(-52_900.0, RMB) == {"en": "RMB −52,900", "zh": "−5.29 万元"}
    assert format_change(2e8, RMB) == {"en": "+RMB 200 m", "zh": "+2.00 亿元"}


def test_axis_ticks_are_round_and_labelled_in_one_size_per_axis():
    ticks, english = axis_ticks(0, 1.9e9, RMB, "en")
    _, chinese = axis_ticks(0, 1.9e9, RMB, "zh")

    assert ticks == [0.0, 5e8, 1e9, 1.5e9, 2e9]
    assert english == ["0", "0.5 bn", "1.0 bn", "1.5 bn", "2.0 bn"]
    assert chinese == ["0", "5 亿", "10 亿", "15 亿", "20 亿"]


def test_axis_ticks_of_smaller_amounts_use_wan_and_millions():
    assert axis_ticks(0, 2.5e6, RMB, "zh")[1] == ["0", "50 万", "100 万", "150 万", "200 万", "250 万"]
    assert axis_ticks(0, 2.5e6, COUNT, "en")[1] == ["0", "0.5 m", "1.0 m", "1.5 m", "2.0 m", "2.5 m"]
    assert axis_ticks(0, 800, COUNT, "zh")[1] == ["0", "200", "400", "600", "800"]


def test_rate_axes_are_in_percent_and_their_differences_in_signed_points():
    assert axis_ticks(0, 0.63, RATE, "en")[1] == ["0%", "20%", "40%", "60%", "80%"]
    assert axis_ticks(-0.12, 0.2, RATE, "zh", difference=True)[1] == ["−20", "−10", "0", "+10", "+20"]


def test_axis_titles_say_the_unit_per_month_and_in_both_languages():
    assert axis_unit(RMB, per_month=True) == {"en": "RMB per month", "zh": "元/月"}
    assert axis_unit(COUNT, "loans", per_month=True) == {"en": "loans per month", "zh": "笔/月"}
    assert axis_unit(RATE, difference=True) == {"en": "percentage points", "zh": "百分点"}


@pytest.fixture(scope="module")
def volume_bands() -> SeedBands:
    """Three seeds × 12 months of a volume in the hundreds of millions of RMB."""
    rng = np.random.default_rng(2)
    rows = [
        {
            "mode": mode,
            "seed": seed,
            "month": month,
            "segment": "all",
            "volume_originated": 6e8 * (1.1 if mode == "hitl" else 1.0) * (1 + 0.05 * rng.standard_normal()),
        }
        for mode in ("automated", "hitl")
        for seed in range(3)
        for month in range(1, 13)
    ]
    return SeedBands.of_segment(pd.DataFrame(rows))


def test_a_chinese_chart_labels_its_money_axes_in_yi_and_its_difference_with_a_sign(volume_bands: SeedBands):
    panel = Panel(
        volume_bands.band("volume_originated"), difference=volume_bands.difference_band("volume_originated")
    )

    figure = figures.time_series([panel], RMB, [], "zh", 3, per_month=True)

    levels, difference = figure.layout.yaxis, figure.layout.yaxis2
    assert levels.tickmode == "array" and all(t == "0" or t.endswith(" 亿") for t in levels.ticktext)
    assert all(re.fullmatch(r"0|[−+][\d.,]+ (万|亿)", t) for t in difference.ticktext)
    assert levels.title.text == "元/月"
    assert not any(SI_SUFFIX.search(t) for t in (*levels.ticktext, *difference.ticktext))


def test_the_language_switch_carries_the_other_languages_tick_labels(volume_bands: SeedBands):
    panel = Panel(volume_bands.band("volume_originated"))

    english, chinese = (
        figure_texts(figures.time_series([panel], RMB, [], lang, 3, per_month=True)) for lang in ("en", "zh")
    )

    assert all(t == "0" or t.endswith(" m") for t in english["layout"]["yaxis.ticktext"])
    assert all(t == "0" or t.endswith(" 亿") for t in chinese["layout"]["yaxis.ticktext"])
    assert chinese["layout"]["yaxis.title.text"] == "元/月"
