"""The documentation that ships: generated parts match the code, and nothing points outside the repo.

- docs/metrics.md is exactly what `python -m lendsim.docs_metrics` prints from the metric registry,
  so a metric's definition lives in one place (lendsim/metrics.py) and the page cannot drift;
- README.md, docs/*.md and the bundled scenarios' comments never send a reader to files a user of
  the project does not have (the team's working notes outside the repository);
- every relative link in README.md and docs/*.md reaches a file that exists, and a link to a
  heading (`file.md#anchor`) reaches a heading or an explicit anchor of that file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lendsim.docs_metrics import render

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
OUTSIDE = ("../shared", "DOMAIN.md", "REFERENCE.md", "DESIGN.md", "STYLE.md")

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped, - for spaces."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found: set[str] = set(EXPLICIT_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        found.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return found


def test_the_docs_folder_has_the_pages_the_readme_promises():
    for page in ("README.md", "model.md", "metrics.md", "calibration.md", "run.md", "sweep.md"):
        assert (DOCS / page).is_file(), f"docs/{page} is missing"


def test_metrics_page_is_what_the_registry_generates():
    expected = render()
    actual = (DOCS / "metrics.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/metrics.md differs from the metric registry — regenerate it: "
        "python -m lendsim.docs_metrics > docs/metrics.md"
    )


@pytest.mark.parametrize("path", [*PAGES, *sorted((ROOT / "scenarios").glob("*.toml"))], ids=_name)
def test_no_reference_to_files_outside_the_repository(path: Path):
    text = path.read_text(encoding="utf-8")
    found = [
        f"line {number}: {needle}"
        for number, line in enumerate(text.splitlines(), start=1)
        for needle in OUTSIDE
        if needle in line
    ]
    assert not found, f"{_name(path)} points outside the repository: {'; '.join(found)}"


@pytest.mark.parametrize("path", PAGES, ids=_name)
def test_every_relative_link_reaches_a_file_and_heading(path: Path):
    broken = []
    for target in LINK.findall(_prose(path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto: …
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif not linked.is_relative_to(ROOT):
            broken.append(f"{target} (outside the repository)")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target} (no such heading in {_name(linked)})")
    assert not broken, f"{_name(path)}: broken links: {', '.join(broken)}"


def test_the_link_checker_sees_links_and_headings():
    """The checks above would pass vacuously if the patterns matched nothing."""
    assert LINK.findall(_prose("see [the model](docs/model.md#agents) and `[not](a link)`")) == [
        "docs/model.md#agents"
    ]
    assert _slug("What a simulated borrower is") == "what-a-simulated-borrower-is"
    assert _slug("`lendsim run` — the run folder") == "lendsim-run--the-run-folder"
    readme_links = LINK.findall(_prose((ROOT / "README.md").read_text(encoding="utf-8")))
    assert "docs/README.md" in readme_links
