"""The reports in a real browser (Debian's headless Chromium), opened from file:// as a stakeholder
would: no console or page errors, not a single network request, every figure drawn with data, and
a language switch that works. Screenshots land in test-artifacts/ for a human look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lendsim.metrics import headline_names
from lendsim.report.run import constraint_metric_names

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian chromium at /usr/bin/chromium (.ci/install-browser.sh installs it)",
    ),
]

FIGURES_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
    id: el.id,
    traces: (el.data || []).length,
    points: (el.data || []).some(t => ['x', 'y', 'z'].some(k => Array.isArray(t[k])
        && t[k].some(v => v !== null && (!Array.isArray(v) || v.some(w => w !== null))))),
    drawn: el.querySelector('.main-svg') !== null,
}))"""


@dataclass
class OpenedReport:
    """A report page in the browser, with everything it logged and requested."""

    page: object
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def visible_text(self, selector: str) -> str:
        return self.page.locator(selector).first.inner_text()

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.blocked == []
        assert all(url == self.url or url.startswith(("data:", "about:")) for url in self.requests), (
            self.requests
        )

    def assert_figures_drawn(self, at_least: int) -> None:
        figures = self.page.evaluate(FIGURES_DRAWN)
        assert len(figures) >= at_least
        for figure in figures:
            assert figure["traces"] > 0 and figure["points"] and figure["drawn"], figure

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_report(browser) -> Iterator:
    pages = []

    def open_(path: Path) -> OpenedReport:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        opened = OpenedReport(page, path.resolve().as_uri())
        page.on(
            "console", lambda message: opened.errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.on("request", lambda request: opened.requests.append(request.url))
        page.route("**/*", lambda route: _only_the_report(route, opened))
        page.goto(opened.url, wait_until="load")
        return opened

    yield open_
    for page in pages:
        page.close()


def _only_the_report(route, opened: OpenedReport) -> None:
    url = route.request.url
    if url == opened.url or url.startswith(("data:", "about:")):
        route.continue_()
    else:
        opened.blocked.append(url)
        route.abort()


def test_run_report_renders_offline_with_every_figure_drawn(open_report, built_run_report: Path):
    report = open_report(built_run_report)

    report.assert_figures_drawn(at_least=15)
    report.assert_clean()
    assert report.visible_text("h1") == "Synthetic baseline"
    shown = [m for m in headline_names() if m not in constraint_metric_names()]  # those have a section
    assert report.page.locator("#summary table tbody tr").count() == len(shown)
    report.screenshot("run-report.png")


def test_language_switch_turns_headings_and_figure_labels_chinese_and_back(
    open_report, built_run_report: Path
):
    report = open_report(built_run_report)
    assert report.visible_text("#summary h2") == "Summary"

    report.page.click("#language-switch")

    assert report.visible_text("#summary h2") == "摘要"
    assert CJK.search(report.visible_text("#summary ul.findings"))
    names = report.page.evaluate("document.getElementById('figure-approval_rate').data.map(t => t.name)")
    assert "全自动" in names and "人机协同" in names
    assert report.page.title() == "信贷市场模拟报告"
    report.screenshot("run-report-zh.png")

    report.page.click("#language-switch")

    assert report.visible_text("#summary h2") == "Summary"
    names = report.page.evaluate("document.getElementById('figure-approval_rate').data.map(t => t.name)")
    assert "Automated" in names and "全自动" not in names
    report.assert_clean()


@pytest.mark.parametrize("layout", ["line", "lhs"])
def test_sweep_reports_render_offline_with_every_figure_drawn(open_report, built_sweep_reports, layout: str):
    report = open_report(built_sweep_reports[layout])

    report.assert_figures_drawn(at_least=13)
    report.assert_clean()
    report.screenshot(f"sweep-report-{layout}.png")


def test_chinese_grid_sweep_report_renders_in_chinese_and_switches_to_english(
    open_report, built_sweep_reports
):
    report = open_report(built_sweep_reports["grid"])

    report.assert_figures_drawn(at_least=15)
    assert report.visible_text("#summary h2") == "摘要"
    report.screenshot("sweep-report-grid-zh.png")

    report.page.click("#language-switch")

    assert report.visible_text("#summary h2") == "Summary"
    titles = report.page.evaluate(
        "document.getElementById('figure-sweep-approval_rate').layout.annotations.map(a => a.text)"
    )
    assert "Automated" in titles and "HITL − automated" in titles
    report.assert_clean()


def test_the_network_guard_catches_a_request_for_anything_outside(open_report, tmp_path: Path):
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<html><body><img src="http://192.0.2.1/logo.png"></body></html>', encoding="utf-8")

    report = open_report(leaky)

    assert report.blocked == ["http://192.0.2.1/logo.png"]
    assert report.requests[0] == report.url
