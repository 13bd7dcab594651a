"""Names from a folder are shown as text, never read as markup.

Sector, region and scenario names, sweep parameters and their values, column names: whatever the
folder holds reaches two places that interpret markup. One is the HTML page. The other is Plotly,
whose labels (trace names, axis titles and tick labels, annotations, hover text, legend, titles)
render a subset of HTML — `<a href>` becomes a live link, `<span style>` restyles the text, `<br>`
breaks the line. `as_text` is the one escape for both: & < > " ' become character references,
which the browser decodes and so does Plotly's label parser (it knows &amp; &lt; &gt; and numeric
references, but not &quot;, hence &#34;). It decodes each text segment once, after splitting off
the tags, so an escaped `&lt;a&gt;` stays the literal text `<a>`.

page.py passes everything it writes into the HTML through `as_text`; figures.py passes every label
it gives Plotly. Never both on one string: a figure's labels travel to the page inside Plotly's JSON,
which is not HTML.
"""

from __future__ import annotations

import hashlib
import re

REFERENCES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
MARKUP = re.compile("[&<>\"']")
SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
MAX_LABEL_CHARS = 24
"""Longer names are shortened on chart axes, where they stand rotated under narrow bars (and are
shown whole on hover)."""


def as_text(value: object) -> str:
    """`value` as a string that HTML and Plotly labels both show literally, character for character."""
    return MARKUP.sub(lambda match: REFERENCES[match.group()], str(value))


def element_id(name: str) -> str:
    """An HTML id (also used inside Plotly's script) for a name from the data: the name itself when
    it is plain letters, digits, - and _; otherwise its plain part and a short hash, so it is unique."""
    if SAFE_ID.fullmatch(name):
        return name
    plain = "-".join(SAFE_ID.findall(name))[:40]
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{plain}-{digest}" if plain else digest


def shortened(name: str, limit: int = MAX_LABEL_CHARS) -> str:
    """`name`, cut to `limit` characters with an ellipsis when longer (for tick labels)."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"
