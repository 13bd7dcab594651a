"""The appendix both reports end with: the resolved scenario and the manifest.

It lets a reader check exactly what was run — the scenario as the simulator understood it, the
seeds, the versions of every package, how long it took and the command that started it.
"""

from __future__ import annotations

import shlex

from lendsim.contract import SCENARIO_FILE
from lendsim.report import page
from lendsim.report.i18n import STRINGS, Text, humanise, same, text

MANIFEST_ORDER = (
    "scenario_name",
    "lendsim_version",
    "python",
    "platform",
    "git_commit",
    "root_seed",
    "seeds",
    "modes",
    "design",
    "parameters",
    "points",
    "failed",
    "started_at",
    "finished_at",
    "wall_time_s",
    "command",
    "packages",
)
SHOWN_ELSEWHERE = frozenset({"scenario_purpose"})


def appendix_section(manifest: dict, scenario_toml: str | None, scenario_source: str = SCENARIO_FILE) -> str:
    """The scenario as run — a run's scenario.toml, or the base scenario a sweep or sensitivity
    analysis records in design.json (`scenario_source`) — and the manifest."""
    from_design = scenario_source != SCENARIO_FILE
    if scenario_toml:
        scenario = page.preformatted(scenario_toml)
    else:
        scenario = page.paragraph(text("no_scenario_anywhere" if from_design else "no_scenario_file"))
    return page.section(
        "appendix",
        text("section_appendix"),
        [
            page.heading(3, text("scenario_from_design" if from_design else "resolved_scenario")),
            scenario,
            page.heading(3, text("manifest")),
            page.table([], manifest_rows(manifest), css_class="keys"),
        ],
    )


def manifest_rows(manifest: dict) -> list[list[Text]]:
    """(label, value) rows: the known keys in a reader's order, then any others."""
    keys = [key for key in MANIFEST_ORDER if key in manifest]
    keys += [key for key in manifest if key not in MANIFEST_ORDER and key not in SHOWN_ELSEWHERE]
    return [[_label(key), _value(key, manifest[key])] for key in keys]


def seeds_summary(seeds: list) -> str:
    """[0, 1, ..., 9] → '0–9 (10)'; anything irregular listed as is."""
    if (
        seeds
        and all(isinstance(s, int) for s in seeds)
        and seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    ):
        return f"{seeds[0]}–{seeds[-1]} ({len(seeds)})" if len(seeds) > 1 else str(seeds[0])
    return ", ".join(map(str, seeds))


def _label(key: str) -> Text:
    name = f"manifest_{key}"
    return text(name) if name in STRINGS else same(humanise(key))


def _value(key: str, value) -> Text:
    if value is None or value == []:
        return same("—")
    if key == "wall_time_s":
        return text("seconds", value=f"{float(value):.1f}")
    if key == "seeds" and isinstance(value, list):
        return same(seeds_summary(value))
    if key == "command" and isinstance(value, list):
        return same(shlex.join(map(str, value)))
    if isinstance(value, dict):
        return same(", ".join(f"{name} {version}" for name, version in value.items()))
    if isinstance(value, list):
        return same(", ".join(map(str, value)))
    return same(str(value))
