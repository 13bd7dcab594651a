"""Reading a built report back: its Plotly figures and the texts it carries for the language switch."""

from __future__ import annotations

import html
import json
import re


def plotly_figures(page: str) -> dict[str, tuple[list, dict]]:
    """Every figure of a report page: div id → (data, layout), as Plotly receives them."""
    decoder = json.JSONDecoder()
    found = {}
    for call in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', page):
        data, end = decoder.raw_decode(page, call.end())
        layout, _ = decoder.raw_decode(page, page.index("{", end))
        found[call.group(1)] = (data, layout)
    return found


def switch_texts(page: str) -> dict[str, dict]:
    """Per figure id, the texts it carries for the language switch ({"en": …, "zh": …})."""
    found = {}
    for match in re.finditer(r'data-figure-texts="([^"]*)"><div[^>]*>\s*<div id="([^"]+)"', page):
        found[match.group(2)] = json.loads(html.unescape(match.group(1)))
    return found


def section(page: str, anchor: str) -> str:
    """The HTML of one section of the page."""
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def in_language(fragment: str, lang: str) -> str:
    """The text of `fragment` shown in `lang` (bilingual spans of the other language dropped)."""
    other = "zh" if lang == "en" else "en"
    without = re.sub(rf'<span class="i18n" lang="{other}">.*?</span>', "", fragment, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", without))
