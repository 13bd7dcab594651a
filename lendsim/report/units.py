"""Numbers as a reader recognises them, in tables, sentences and on chart axes alike.

One module formats every number the report shows, so a table cell, a finding and an axis tick of
the same amount read the same way. Money is written in the units each language counts in: English
in RMB, RMB m and RMB bn; Chinese in 元, 万元 (10⁴) and 亿元 (10⁸). Counts follow suit: large ones
in millions (en) or in 万 and 亿 (zh), small ones in full with thousands separators. Rates are
percentages, their differences percentage points. Never Plotly's SI suffixes (600k, 2.5M, 1.2G):
an axis gets explicit tick values and labels from `axis_ticks`, one scale per axis, and its unit
in the axis title (`axis_unit`).

Everything returns one string per language (a `Text`, {"en": …, "zh": …}); nothing here knows a
metric's name — the caller says which unit a number is in.
"""

from __future__ import annotations

import math

RATE, RMB, COUNT, DAYS, MULTIPLE = "rate", "rmb", "count", "days", "multiple"
UNITS = (RATE, RMB, COUNT, DAYS, MULTIPLE)

Text = dict[str, str]

SCALES: dict[str, dict[str, tuple[tuple[float, str], ...]]] = {
    RMB: {"en": ((1e9, " bn"), (1e6, " m")), "zh": ((1e8, " 亿"), (1e4, " 万"))},
    COUNT: {"en": ((1e9, " bn"), (1e6, " m")), "zh": ((1e8, " 亿"), (1e4, " 万"))},
}
"""Per unit and language, (size, suffix) from the largest: an amount is written in the largest
size it reaches (RMB 2.35 bn, 23.5 亿元; 1.2 m loans, 120 万笔) and in full below the smallest."""

TENTHS_FROM = {"en": 1.0, "zh": 2.0}
"""Tick labels in tenths of a size ('0.2 m', '1.5 亿') only on an axis that reaches this many of it:
English reads '0.2 m … 1.0 m'; Chinese reads '2,000 万 … 1 亿' better as 2,000 万 … 10,000 万."""
TICKS_PER_AXIS = 5
"""About this many labelled ticks on a value axis."""
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


# --------------------------------------------------------------------------- levels and changes


def format_value(value: float, unit: str) -> Text:
    """A level, e.g. 0.123 as '12.3 %', 1.5e6 RMB as 'RMB 1.5 m' / '150 万元', 2.4e7 loans as
    '24.0 m' / '2,400 万'."""
    if unit == RATE:
        percent = _minus(_percent(value))
        return {"en": f"{percent} %", "zh": f"{percent}%"}
    if unit == RMB:
        chinese = scaled(value, RMB, "zh")
        return {
            "en": "RMB " + scaled(value, RMB, "en"),
            "zh": chinese + ("元" if chinese[-1] in "万亿" else " 元"),
        }
    if unit == DAYS:
        return {"en": f"{_minus(f'{value:.1f}')} days", "zh": f"{_minus(f'{value:.1f}')} 天"}
    if unit == MULTIPLE:
        return dict.fromkeys(("en", "zh"), f"{_minus(f'{value:.2f}')}×")
    return {"en": scaled(value, COUNT, "en"), "zh": scaled(value, COUNT, "zh")}


def format_change(value: float, unit: str) -> Text:
    """A signed difference: rates in percentage points, other units as levels with a sign."""
    if unit == RATE:
        points = _percent(value)
        signed = _minus(f"+{points}" if float(points) > 0 else points)
        return {"en": f"{signed} pp", "zh": f"{signed} 个百分点"}
    sign = "+" if value > 0 else ""
    level = format_value(value, unit)
    return {lang: f"{sign}{shown}" for lang, shown in level.items()}


def format_percent(fraction: float, signed: bool = False) -> Text:
    """A relative change, e.g. -0.18 as '−18 %' (signed) or '18 %' (magnitude)."""
    number = _percent_number(fraction, signed)
    return {"en": f"{number} %", "zh": f"{number}%"}


def format_percent_interval(low: float, high: float, signed: bool = False) -> Text:
    """A relative interval: '12–24 %' for magnitudes, '−8 % to +2 %' when signed."""
    if signed:
        low_text, high_text = format_percent(low, signed=True), format_percent(high, signed=True)
        return {
            "en": f"{low_text['en']} to {high_text['en']}",
            "zh": f"{low_text['zh']} 至 {high_text['zh']}",
        }
    low_number, high_number = _percent_number(low, False), _percent_number(high, False)
    return {"en": f"{low_number}–{high_number} %", "zh": f"{low_number}%–{high_number}%"}


def scaled(value: float, unit: str, lang: str) -> str:
    """An amount in the largest size of `unit` it reaches in `lang`, three significant digits
    ('2.35 bn', '23.5 亿'); below the smallest size in full ('47,100', '3,290', '0.5')."""
    if not math.isfinite(value):
        return _minus(str(value))
    for size, suffix in SCALES[unit][lang]:
        if abs(value) >= size:
            return _minus(_significant(value / size)) + suffix
    return _minus(_whole_or_significant(value))


# --------------------------------------------------------------------------- chart axes


def axis_ticks(
    low: float, high: float, unit: str, lang: str, difference: bool = False, signed: bool | None = None
) -> tuple[list, list]:
    """Tick values and their labels for a value axis that shows [low, high] in `unit`.

    About TICKS_PER_AXIS ticks at a round step (1, 2, 2.5 or 5 × 10^k), labelled in one size for the
    whole axis — the largest its ticks reach in which the step reads in whole numbers (or tenths,
    TENTHS_FROM) — so the labels read 0, 5 亿, 10 亿, 15 亿 rather than 5,000 万, 1 亿, 1.5 亿, and
    2,500, 5,000, 7,500 rather than 0.25 万, 0.5 万, 0.75 万. Rates are labelled in percent ('25%'),
    or in percentage points ('+5') when the axis shows a `difference` of rates. A difference's
    labels carry their sign (`signed`, by default when `difference`). Empty lists when there is
    nothing to show.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    signed = difference if signed is None else signed
    if unit == RATE:
        values = _nice_ticks(100 * low, 100 * high)
        ticks = [v / 100 for v in values]
        step = values[1] - values[0] if len(values) > 1 else 1.0
        labels = [_tick_number(v, step, signed=signed) + ("" if difference else "%") for v in values]
        return ticks, labels
    ticks = _nice_ticks(low, high)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else max(abs(ticks[0]), 1.0)
    largest = max(abs(t) for t in ticks)
    size, suffix = 1.0, ""
    for candidate, candidate_suffix in SCALES.get(unit, {}).get(lang, ()):
        steps, top = step / candidate, largest / candidate
        tenths = steps >= 0.1 and abs(10 * steps - round(10 * steps)) < 1e-9
        if top >= 1 and (steps >= 1 or (tenths and top >= TENTHS_FROM[lang])):  # not '0.25 万', '0.2 万'
            size, suffix = candidate, candidate_suffix
            break
    suffix = {MULTIPLE: "×"}.get(unit, suffix)
    labels = [
        "0" if tick == 0 else _tick_number(tick / size, step / size, signed=signed) + suffix for tick in ticks
    ]
    return ticks, labels


AXIS_UNITS: dict[str, tuple[str, str]] = {
    RATE: ("percent", "百分比"),
    RMB: ("RMB", "元"),
    COUNT: ("number", "数量"),
    DAYS: ("days", "天"),
    MULTIPLE: ("times", "倍"),
}
DIFFERENCE_UNITS: dict[str, tuple[str, str]] = {RATE: ("percentage points", "百分点")}
PER_MONTH = (" per month", "/月")
COUNT_NOUNS: dict[str, str] = {
    "loans": "笔",
    "accounts": "户",
    "applications": "笔申请",
    "requests": "次请求",
    "drawdowns": "笔支用",
    "months": "个月",
    "reviews": "次审核",
    "borrowers": "人",
    "number": "数量",
}
"""Chinese for the nouns counts are counted in (the metric registry's English `unit`)."""


def axis_unit(unit: str, noun: str | None = None, per_month: bool = False, difference: bool = False) -> Text:
    """What an axis measures, for its title: 'RMB per month' / '元/月', 'loans' / '笔', 'percentage
    points' / '百分点'. `noun` names what a count counts (English, as the metric registry gives it)."""
    if difference and unit in DIFFERENCE_UNITS:
        en, zh = DIFFERENCE_UNITS[unit]
    elif unit == COUNT and noun:
        en, zh = noun, COUNT_NOUNS.get(noun, noun)
    else:
        en, zh = AXIS_UNITS.get(unit, AXIS_UNITS[COUNT])
    if per_month and unit in (RMB, COUNT):
        en, zh = en + PER_MONTH[0], zh + PER_MONTH[1]
    return {"en": en, "zh": zh}


def _nice_ticks(low: float, high: float) -> list[float]:
    """Round ticks from at or below `low` to at or above `high`, about TICKS_PER_AXIS of them."""
    if low > high:
        low, high = high, low
    if high == low:
        if high == 0:
            return [0.0, 1.0]
        low, high = (0.0, high) if high > 0 else (low, 0.0)
    raw = (high - low) / TICKS_PER_AXIS
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in NICE_STEPS if s * magnitude >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [_clean(i * step) for i in range(first, last + 1)]


def _clean(value: float) -> float:
    """A tick without floating-point dust (0.30000000000000004 → 0.3), and never −0."""
    cleaned = float(f"{value:.12g}")
    return 0.0 if cleaned == 0 else cleaned


def _tick_number(value: float, step: float, signed: bool = False) -> str:
    """A tick label with as many decimals as the step needs: 0.5 steps → '1.5', 2.5 → '7.5'."""
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * max(abs(step), 1):
        decimals += 1
    shown = f"{value:,.{decimals}f}"
    if float(shown.replace(",", "")) == 0:
        return "0"
    return _minus(f"+{shown}" if signed and value > 0 else shown)


# --------------------------------------------------------------------------- digits


def _percent_number(fraction: float, signed: bool) -> str:
    value = fraction if signed else abs(fraction)
    digits = 0 if abs(value) >= 10 else 1
    sign = "+" if signed and value > 0 else ""
    return _minus(f"{sign}{100 * value:.{digits}f}")


def _percent(fraction: float) -> str:
    """A fraction in percent, 1 decimal (2 below 1 %); a value that rounds to zero has no sign."""
    percent = 100 * fraction
    digits = 1 if abs(percent) >= 1 or percent == 0 else 2
    shown = f"{percent:.{digits}f}"
    return shown.lstrip("-") if float(shown) == 0 else shown


def _significant(value: float, digits: int = 3) -> str:
    """Three significant digits without scientific notation: 1.23, 12.3, 123, 1,234."""
    if value == 0 or not math.isfinite(value):
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    rounded = round(value, decimals)
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > math.floor(math.log10(abs(value))):
        decimals = max(0, decimals - 1)  # 9.996 rounds to 10.0, shown as 10.0 → '10.0' not '10.00'
    return f"{value:,.{decimals}f}"


def _whole_or_significant(value: float) -> str:
    """In full below the smallest size: whole numbers with separators from 100 on ('47,100'
    after rounding to three significant digits), small ones to three significant digits."""
    if abs(value) >= 100:
        magnitude = 10 ** max(0, math.floor(math.log10(abs(value))) - 2)
        return f"{round(value / magnitude) * magnitude:,.0f}"
    if value == int(value):
        return f"{value:,.0f}"
    return _significant(value)


def _minus(number: str) -> str:
    """Typographic minus sign."""
    return number.replace("-", "−")
