"""The Chinese reports in a real browser: every Chinese character on the page and in the charts is
drawn with a real glyph, not the missing-glyph box; and screenshots of each report kind (run, sweep,
sensitivity, comparison, robustness) in both languages are kept in test-artifacts/ for a human look.

How a box is caught: each character is drawn on a canvas in the page's own font stack (the body's,
and the charts'), and its pixels compared with those of a character no font has (U+0378, an
unassigned code point): a character without a glyph is drawn exactly like that one — the same box,
or nothing — and the test fails naming it. A second test runs Chromium with a font configuration
that has no Chinese font and checks that the same comparison then flags the characters, so a
machine without fonts-noto-cjk (.ci/install-browser.sh) cannot pass this test with a page of boxes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from lendsim.report import build_report

from .synthetic import (
    BASIC_SEGMENTS,
    fabricate_run_folder,
    fabricate_sensitivity_folder,
    fabricate_sweep_folder,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LATIN_ONLY_FONTS = Path("/usr/share/fonts/truetype/dejavu")
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
KINDS = ("run", "sweep", "sensitivity", "compare", "robustness")
TINY = (
    "--set", "population.consumers.count=300", "--set", "population.smes.count=60",
    "--set", "simulation.default_horizon_months=2", "--months", "5", "--seeds", "2", "--quiet",
)  # fmt: skip
"""Real runs small enough for a few seconds: the comparison and robustness reports are built by the
commands themselves, as a user gets them."""
STATISTICS = ("_mean", "_ci_low", "_ci_high")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian chromium at /usr/bin/chromium (.ci/install-browser.sh installs it)",
    ),
]

PAGE_TEXT = """() => document.body.innerText + Array.from(document.querySelectorAll('svg text'))
    .map(node => node.textContent).join('')"""
FONTS = """() => {
    const chart = document.querySelector('svg text');
    const body = getComputedStyle(document.body).fontFamily;
    return chart ? [body, getComputedStyle(chart).fontFamily] : [body];
}"""
GLYPHS = r"""([chars, families]) => {
    const canvas = document.createElement('canvas');
    canvas.width = 48; canvas.height = 48;
    const context = canvas.getContext('2d', {willReadFrequently: true});
    function drawn(character, family) {
        context.clearRect(0, 0, 48, 48);
        context.font = '24px ' + family;
        context.fillStyle = '#000';
        context.textBaseline = 'top';
        context.fillText(character, 6, 6);
        const pixels = context.getImageData(0, 0, 48, 48).data;
        let hash = 0, ink = 0;
        for (let i = 3; i < pixels.length; i += 4) {
            hash = (Math.imul(hash, 31) + pixels[i]) | 0;
            if (pixels[i] > 0) ink++;
        }
        return hash + ':' + (ink > 0);
    }
    const missing = [];
    for (const family of families) {
        const box = drawn('\u0378', family);
        for (const character of chars) {
            const shape = drawn(character, family);
            if (shape === box || shape.endsWith(':false')) missing.push(character);
        }
    }
    return Array.from(new Set(missing));
}"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small report of each kind, built in Chinese (each page holds both languages)."""
    root = tmp_path_factory.mktemp("languages")
    schedule = "\n[[regulation.schedule]]\nfrom_month = 8\nmin_own_funding_share = 0.3\n"
    meta = 'title_zh = "合成基准情景"\ndescription_zh = "仅用于测试报告的合成数据"\n'
    folders = {
        "run": fabricate_run_folder(
            root / "run",
            seeds=3,
            months=14,
            segments=BASIC_SEGMENTS,
            scenario_extra=schedule,
            meta_extra=meta,
        ),
        "sweep": few_metrics(
            fabricate_sweep_folder(
                root / "sweep", grid={"underwriting.cutoff": [560, 600, 640]}, sensitivity=()
            )
        ),
        "sensitivity": fabricate_sensitivity_folder(root / "sensitivity"),
    }
    reports = {kind: build_report(folder, "zh") for kind, folder in folders.items()}
    reports["compare"] = command_report(
        root,
        ["run", "baseline", "--out", str(root / "a"), *TINY],
        ["run", "baseline", "--out", str(root / "b"), *TINY, "--set", "underwriting.cutoff=640"],
        ["compare", str(root / "a"), str(root / "b"), "--out", str(root / "compare"), "--lang", "zh"],
    )
    reports["robustness"] = command_report(
        root,
        ["robustness", "baseline", "--samples", "3", "--out", str(root / "robustness"), *TINY],
        ["report", str(root / "robustness"), "--lang", "zh"],
    )
    return reports


def command_report(root: Path, *commands: list[str]) -> Path:
    """Run lendsim commands in turn; the report of the folder the last one wrote or rebuilt."""
    from typer.testing import CliRunner

    from lendsim.cli import app

    for command in commands:
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
    last = commands[-1]
    folder = Path(last[1] if last[0] == "report" else last[last.index("--out") + 1])
    return folder / "report.html"


def few_metrics(folder: Path) -> Path:
    """The sweep with only the key metrics' statistics: a sweep report charts every metric it finds,
    and five charts show the rendering as well as forty, in a fraction of the time."""
    path = folder / "sweep_summary.csv"
    summary = pd.read_csv(path)
    kept = ("sme_funding_gap", "default_rate", "approval_rate", "false_rejection_rate", "review_cost")
    columns = [c for c in summary.columns if not c.endswith(STATISTICS) or c.startswith(kept)]
    summary[columns].to_csv(path, index=False)
    return folder


def launch(playwright, env: dict[str, str] | None = None):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=env)


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright) -> Iterator[object]:
    chromium = launch(playwright)
    yield chromium
    chromium.close()


def open_page(browser, report: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(report.resolve().as_uri(), wait_until="load")
    return page


def missing_glyphs(page) -> tuple[list[str], list[str]]:
    """(Chinese characters shown, those drawn as the missing-glyph box) on the page as it is."""
    characters = sorted(set(CJK.findall(page.evaluate(PAGE_TEXT))))
    return characters, page.evaluate(GLYPHS, [characters, page.evaluate(FONTS)])


@pytest.mark.parametrize("kind", KINDS)
def test_every_chinese_character_of_the_report_has_a_glyph_and_both_languages_are_kept_as_screenshots(
    browser, reports: dict[str, Path], kind: str
):
    page = open_page(browser, reports[kind])

    shown, missing = missing_glyphs(page)

    assert len(shown) > 60, "".join(shown)
    assert missing == [], f"drawn as missing-glyph boxes: {''.join(missing)}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{kind}-zh.png"), full_page=True)
    page.click("#language-switch")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert not CJK.search(page.locator("h1").first.inner_text())  # the title, now in English
    page.screenshot(path=str(ARTIFACTS / f"report-{kind}-en.png"), full_page=True)
    page.close()


@pytest.mark.skipif(not LATIN_ONLY_FONTS.is_dir(), reason="needs the DejaVu fonts (a font without Chinese)")
def test_without_a_chinese_font_the_check_finds_the_boxes(
    playwright, reports: dict[str, Path], tmp_path: Path
):
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        f"<dir>{LATIN_ONLY_FONTS}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    chromium = launch(playwright, env={**os.environ, "FONTCONFIG_FILE": str(config)})
    try:
        page = open_page(chromium, reports["sensitivity"])
        shown, missing = missing_glyphs(page)
    finally:
        chromium.close()

    assert len(shown) > 60 and set(missing) == set(shown)
