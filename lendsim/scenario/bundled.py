"""The bundled scenario library, by name: `lendsim run baseline` as well as a path.

`lendsim scenarios` lists the files of `scenarios/` by name; every command that takes a scenario
accepts that name too (`baseline`, `rate_cap`, or `rate_cap.toml`). A path that exists always wins,
so a file of one's own called `baseline.toml` in the current folder is the one that runs. A name
that is neither a file nor a bundled scenario gets the loader's usual one-line "no such file" with
the bundled names added, so the next attempt can be the right one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lendsim.errors import ScenarioError
from lendsim.scenario.loader import SCENARIO_SUFFIX, load_scenario

if TYPE_CHECKING:
    from lendsim.scenario.schema import Scenario

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The bundled scenarios (absent when lendsim is installed from a wheel: then only paths work)."""


def bundled_names(folder: Path = SCENARIO_DIR) -> list[str]:
    """Names of the bundled scenarios, sorted: the file names without .toml."""
    try:
        return sorted(path.stem for path in folder.glob(f"*{SCENARIO_SUFFIX}") if path.is_file())
    except OSError:
        return []


def _exists(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte: not a file
        return False


def resolve_scenario(argument: str | os.PathLike[str], folder: Path = SCENARIO_DIR) -> Path:
    """The file a SCENARIO argument names: the path itself if it exists, else the bundled scenario
    of that name (`baseline`, `baseline.toml`), else the path unchanged (the loader then says it is
    not there)."""
    path = Path(argument)
    text = os.fspath(argument)
    if _exists(path) or not text or "/" in text or os.sep in text or text in (".", ".."):
        return path
    name = text.removesuffix(SCENARIO_SUFFIX)
    candidate = folder / f"{name}{SCENARIO_SUFFIX}"
    if name and _exists(candidate) and candidate.is_file():
        return _shown_path(candidate)
    return path


def _shown_path(path: Path) -> Path:
    """`scenarios/baseline.toml` when run from the project folder, the absolute path otherwise."""
    try:
        return path.relative_to(Path.cwd())
    except (ValueError, OSError):
        return path


def load_named_scenario(
    argument: str | os.PathLike[str], overrides: Sequence[str] = (), folder: Path = SCENARIO_DIR
) -> Scenario:
    """`load_scenario` on a path or a bundled scenario's name; a name that is neither is the
    loader's one-line "no such file" with the bundled names added."""
    path = resolve_scenario(argument, folder)
    try:
        return load_scenario(path, overrides)
    except ScenarioError as error:
        names = bundled_names(folder)
        if names and str(error).startswith(f"{os.fspath(path)}: no such file"):
            raise ScenarioError(f"{error} (bundled scenarios: {', '.join(names)})") from None
        raise
