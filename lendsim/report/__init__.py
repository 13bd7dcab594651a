"""Stakeholder reports: one self-contained HTML file per run or sweep folder.

The report is its own stage. It reads only the folder the experiment wrote (never the model), and
writes `report.html` beside the data: plotly.js inlined once, no network request of any kind, both
English and Simplified Chinese embedded with a switch, so it opens from an e-mail or a shared drive.
`lendsim report DIR` calls `build_report`.
"""

from __future__ import annotations

from pathlib import Path

from lendsim.contract import REPORT_FILE
from lendsim.report.folders import RunContents, read_folder
from lendsim.report.i18n import check_lang
from lendsim.report.run import run_page
from lendsim.report.sweep import sweep_page
from lendsim.store import write_text_atomic

__all__ = ["REPORT_FILE", "build_report"]


def build_report(folder: Path, lang: str = "en") -> Path:
    """Write `folder/report.html` for the run, sweep or robustness folder `folder`, shown first in
    `lang` ("en" or "zh").

    Raises RunFolderError when the folder or a file the report needs is missing or unreadable, and
    OptionError for a language the report does not speak.
    """
    check_lang(lang)
    from lendsim.report.robustness import build_robustness_report, is_robustness_folder

    if is_robustness_folder(Path(folder)):  # a sweep underneath, with its own report
        return build_robustness_report(Path(folder), lang)
    contents = read_folder(Path(folder))
    html = run_page(contents, lang) if isinstance(contents, RunContents) else sweep_page(contents, lang)
    return write_text_atomic(contents.path / REPORT_FILE, html, doing="write the report")
