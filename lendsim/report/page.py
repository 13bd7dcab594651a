"""The HTML page: one self-contained file that opens offline, in either language.

plotly.js is inlined once in the head; each figure is a div with its own small script
(`include_plotlyjs=False`, no MathJax), so nothing is ever fetched. Every piece of text is written
in both languages; CSS shows the one named by `<html lang>`, and a tiny script flips it and
re-labels the figures (trace names, axis titles, annotations) from the texts stored beside each
figure. Every string goes into the HTML through `markup.as_text`, so a name from the folder is shown
as written, never read as markup. Functions here return HTML strings; `document` puts them
together; `lendsim.report.build_report` puts the page on disk with lendsim.store's atomic write, so
a half-written report never looks finished.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from lendsim.report.i18n import LANGS, Text, text
from lendsim.report.markup import as_text, element_id

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

STYLE = """
:root { --ink: #1f2937; --muted: #64748b; --line: #e2e8f0; --soft: #f8fafc; --accent: #1e3a8a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #f1f5f9; line-height: 1.5; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; }
html[lang="en"] .i18n[lang="zh"], html[lang="zh"] .i18n[lang="en"] { display: none; }
header.masthead { background: var(--accent); color: white; padding: 28px 0 22px; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; opacity: .8; margin: 0; }
h1 { margin: 4px 0 6px; font-size: 28px; line-height: 1.25; }
.purpose { margin: 0; max-width: 860px; opacity: .92; }
h1, h3, h4, .purpose, .meta, li, p, footer { overflow-wrap: anywhere; }
td, th { overflow-wrap: break-word; }
td:not(:first-child) { white-space: nowrap; }
.meta { margin: 10px 0 0; font-size: 13px; opacity: .75; }
.masthead-top { display: flex; justify-content: space-between; align-items: center; gap: 16px; }
#language-switch { border: 1px solid rgba(255,255,255,.6); background: transparent; color: white;
  border-radius: 4px; padding: 4px 12px; font-size: 13px; cursor: pointer; }
#language-switch:hover { background: rgba(255,255,255,.15); }
nav.contents { background: white; border-bottom: 1px solid var(--line); font-size: 13px; }
nav.contents .wrap { padding-top: 8px; padding-bottom: 8px; }
nav.contents a { color: var(--accent); text-decoration: none; margin-right: 18px; white-space: nowrap; }
main { padding: 8px 0 40px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 18px 24px 22px;
  margin: 18px 0; }
h2 { font-size: 20px; margin: 0 0 12px; color: var(--accent); }
h3 { font-size: 15px; margin: 22px 0 4px; }
.note, .skipped { color: var(--muted); font-size: 13px; margin: 4px 0 8px; }
.skipped { font-style: italic; }
.warning { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 6px; color: #78350f;
  padding: 8px 12px; margin: 4px 0 12px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--line); }
tr.not-significant td { color: var(--muted); }
.badge { display: inline-block; font-size: 11px; border: 1px solid var(--line); border-radius: 3px;
  padding: 0 4px; margin-left: 6px; color: var(--muted); }
ul.findings { padding-left: 20px; margin: 6px 0; }
ul.findings li { margin: 4px 0; }
ul.findings li.not-significant { color: var(--muted); }
.figure { margin: 0 0 8px; }
table.keys td:first-child { width: 180px; color: var(--muted); }
table.keys td { text-align: left; word-break: break-word; white-space: normal; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px;
  font-size: 12px; overflow-x: auto; max-height: 520px; white-space: pre-wrap; }
footer { color: var(--muted); font-size: 12px; padding: 0 0 30px; }
p.bottom-line { font-size: 17px; line-height: 1.55; margin: 4px 0 14px; padding: 12px 16px;
  border-left: 4px solid var(--accent); background: #eef2ff; }
p.lead { margin: 4px 0 10px; }
details { margin: 6px 0 10px; }
details > summary { cursor: pointer; color: var(--accent); font-size: 14px; }
h4 { font-size: 14px; margin: 14px 0 2px; }
ul.events { padding-left: 20px; margin: 4px 0 10px; font-size: 13px; }
@media print {
  body { background: white; } section { border: none; } #language-switch, nav.contents { display: none; }
  details > * { display: block; }
}
"""

SWITCH_SCRIPT = """
(function () {
  "use strict";
  var root = document.documentElement;
  function show(lang) {
    root.lang = lang;
    document.title = root.getAttribute("data-title-" + lang);
    document.querySelectorAll("[data-figure-texts]").forEach(function (box) {
      var texts = JSON.parse(box.getAttribute("data-figure-texts"))[lang];
      var plot = box.querySelector(".js-plotly-plot");
      if (plot && window.Plotly) { Plotly.update(plot, {name: texts.names}, texts.layout); }
    });
  }
  document.getElementById("language-switch").addEventListener("click", function () {
    show(root.lang === "zh" ? "en" : "zh");
  });
})();
"""


def bilingual(value: Text) -> str:
    """Both languages of a text; CSS shows the current one."""
    return "".join(f'<span class="i18n" lang="{lang}">{as_text(value[lang])}</span>' for lang in LANGS)


def paragraph(value: Text, css_class: str = "note") -> str:
    return f'<p class="{css_class}">{bilingual(value)}</p>'


def heading(level: int, value: Text, anchor: str | None = None) -> str:
    anchor_attribute = f' id="{as_text(anchor)}"' if anchor else ""
    return f"<h{level}{anchor_attribute}>{bilingual(value)}</h{level}>"


def section(anchor: str, title: Text, body: list[str]) -> str:
    return f'<section id="{as_text(anchor)}">{heading(2, title)}{"".join(body)}</section>'


def table(
    header: list[Text], rows: list[list[Text]], row_classes: list[str] | None = None, css_class: str = ""
) -> str:
    head = "".join(f"<th>{bilingual(cell)}</th>" for cell in header)
    classes = row_classes or [""] * len(rows)
    body = "".join(
        f'<tr class="{row_class}">' + "".join(f"<td>{bilingual(cell)}</td>" for cell in row) + "</tr>"
        for row, row_class in zip(rows, classes, strict=True)
    )
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return f'<table class="{css_class}">{thead}<tbody>{body}</tbody></table>'


def bullets(items: list[Text], item_classes: list[str], css_class: str = "findings") -> str:
    lines = "".join(
        f'<li class="{item_class}">{bilingual(item)}</li>'
        for item, item_class in zip(items, item_classes, strict=True)
    )
    return f'<ul class="{css_class}">{lines}</ul>'


def preformatted(content: str) -> str:
    return f"<pre>{as_text(content)}</pre>"


def skipped(title: Text, reason: Text) -> str:
    """A figure that is not drawn, and why — instead of failing the report."""
    return heading(3, title) + paragraph(reason, "skipped")


def figure_block(
    figure_id: str, title: Text, build: Callable[[str], go.Figure], lang: str, note: Text | None = None
) -> str:
    """A titled figure drawn in `lang`, carrying its texts in every language for the switch."""
    figures = {each: build(each) for each in LANGS}
    shown = figures[lang]
    plot = shown.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=element_id(figure_id),
        config=PLOTLY_CONFIG,
        default_height=f"{shown.layout.height or 360}px",
    )
    texts = as_text(json.dumps({each: figure_texts(figures[each]) for each in LANGS}, ensure_ascii=False))
    note_html = paragraph(note) if note else ""
    return f'{heading(3, title)}{note_html}<div class="figure" data-figure-texts="{texts}">{plot}</div>'


def figure_texts(figure: go.Figure) -> dict:
    """The language-dependent texts of a figure, as arguments of Plotly.update: trace names, axis
    titles, tick labels (units differ: 1.5 bn / 15 亿) and colour-bar ticks, annotations."""
    layout = figure.layout.to_plotly_json()
    update: dict = {}
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            if "text" in value.get("title", {}):
                update[f"{key}.title.text"] = value["title"]["text"]
            if "ticktext" in value:
                update[f"{key}.ticktext"] = list(value["ticktext"])
        elif key.startswith("coloraxis") and "ticktext" in value.get("colorbar", {}):
            update[f"{key}.colorbar.ticktext"] = list(value["colorbar"]["ticktext"])
    for index, annotation in enumerate(layout.get("annotations", [])):
        update[f"annotations[{index}].text"] = annotation.get("text", "")
    return {"names": [trace.name or "" for trace in figure.data], "layout": update}


def document(
    lang: str, title: Text, masthead: str, contents: list[tuple[str, Text]], sections: list[str], footer: Text
) -> str:
    """The whole page; plotly.js is inlined once, before any figure."""
    links = "".join(f'<a href="#{as_text(anchor)}">{bilingual(label)}</a>' for anchor, label in contents)
    titles = " ".join(f'data-title-{each}="{as_text(title[each])}"' for each in LANGS)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" {titles}>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="icon" href="data:,">\n<title>{as_text(title[lang])}</title>\n'
        f"<style>{STYLE}</style>\n<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f'{masthead}\n<nav class="contents"><div class="wrap">{links}</div></nav>\n'
        f'<main class="wrap">{"".join(sections)}</main>\n'
        f'<footer class="wrap">{bilingual(footer)}</footer>\n'
        f"<script>{SWITCH_SCRIPT}</script>\n</body>\n</html>\n"
    )


def masthead(kicker: Text, name: str | Text, purpose: str | Text | None, meta: Text) -> str:
    """The page's header: what kind of report, the scenario's title and purpose (one string, or one
    per language), the language switch."""
    if not purpose or (not isinstance(purpose, str) and not any(purpose.values())):
        purpose_html = paragraph(text("no_purpose"), "purpose")
    else:
        purpose_html = f'<p class="purpose">{_one_or_both(purpose)}</p>'
    return (
        '<header class="masthead"><div class="wrap"><div class="masthead-top">'
        f'<p class="kicker">{bilingual(kicker)}</p>'
        f'<button id="language-switch" type="button" aria-label="language / 语言">'
        f"{bilingual(text('switch_language'))}</button></div>"
        f"<h1>{_one_or_both(name)}</h1>{purpose_html}"
        f'<p class="meta">{bilingual(meta)}</p></div></header>'
    )


def _one_or_both(value: str | Text) -> str:
    """A string as it is; a per-language text as both languages, or as one when they agree."""
    if isinstance(value, str):
        return as_text(value)
    if len(set(value.values())) == 1:
        return as_text(value[LANGS[0]])
    return bilingual(value)


def details(summary: Text, body: str) -> str:
    """A block folded under a one-line summary the reader can open (closed at first)."""
    return f"<details><summary>{bilingual(summary)}</summary>{body}</details>"
