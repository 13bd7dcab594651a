"""Scenario files in, a validated Scenario out — and back to TOML.

Analysts write scenarios by hand, build them on one another with `extends`, and tweak them from the
command line with `--set key=value`; parameter sweeps tweak them from code. Every way that can go
wrong is the analyst's mistake, not a bug, so every failure here becomes exactly one
`ScenarioError` whose one-line message names the file (or the override), the key and what is
allowed. Nothing else escapes for bad input: no pydantic, tomllib or OS exception, no traceback.

The loader knows nothing about lending. It works against any pydantic root model (the real
`Scenario` by default, imported lazily) and walks that model's fields to check override paths, to
find the closest valid name for a misspelled key and to phrase constraints in plain English.

`scenario_to_toml` writes the fully resolved scenario (no `extends`, every default spelled out) so
that a run folder records exactly what ran and `load_scenario` reads it back into an equal object.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import enum
import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TypeVar, overload

import tomlkit
from pydantic import BaseModel, TypeAdapter, ValidationError
from tomlkit.container import Container
from tomlkit.items import Item, Table

from lendsim.errors import ScenarioError

if TYPE_CHECKING:
    from lendsim.scenario.schema import Scenario

__all__ = [
    "expand_key",
    "load_scenario",
    "number_kind",
    "parse_overrides",
    "parse_value",
    "scenario_to_toml",
    "setting_value",
    "with_overrides",
]

M = TypeVar("M", bound=BaseModel)
Segment = str | int
KeyPath = tuple[Segment, ...]

EXTENDS = "extends"
MAX_SCENARIO_BYTES = 1_000_000
"""A scenario is written by hand: a few KB (the baseline, every setting commented, is 18 KB)."""
SCENARIO_SUFFIX = ".toml"
_MAX_VALUE_CHARS = 60
_MAX_KEY_CHARS = 60
_MAX_LISTED_NAMES = 12


# ---------------------------------------------------------------------------------------- public


@overload
def load_scenario(
    path: str | os.PathLike[str], overrides: Sequence[str] = (), *, model: None = None
) -> Scenario: ...
@overload
def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str] = (), *, model: type[M]) -> M: ...
def load_scenario(
    path: str | os.PathLike[str], overrides: Sequence[str] = (), *, model: type[BaseModel] | None = None
) -> BaseModel:
    """Read a scenario file, follow its `extends` chain, apply `--set` overrides and validate.

    Parameters
    ----------
    path : the scenario TOML file, as the user named it (the name is used in messages).
    overrides : `KEY=VALUE` strings from `--set`; VALUE is a TOML literal (`24`, `0.3`, `true`,
        `"text"`, `[1, 2]`, `{ a = 1 }`) or, if it is not valid TOML, taken as bare text.
    model : the root pydantic model; `lendsim.scenario.schema.Scenario` when omitted.

    Raises
    ------
    ScenarioError : for anything wrong with the file, its `extends` chain or an override.
    """
    root = model or _default_model()
    label = os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
    with _one_line_errors(label):
        parsed = _parse_set_strings(overrides)
        data, origins = _read_chain(Path(label), label)
        top = _Origin(file=label)
        for override in parsed:
            _apply(root, data, origins, override, top)
        scenario = _validate(root, data, origins, top)
        _check_uncertainties(root, scenario, origins, top)
        return scenario


def with_overrides(scenario: M, overrides: Mapping[str, Any], *, source: str | None = None) -> M:
    """A copy of `scenario` with dotted keys set to python values, validated again.

    Used by parameter sweeps: `with_overrides(s, {"underwriting.cutoff": 620})`. Keys may index
    arrays of tables: `macro.shocks[0].depth`. Tables given as dicts deep-merge; NumPy scalars and
    arrays are accepted. `source` (e.g. the scenario file) prefixes error messages.

    Raises
    ------
    ScenarioError : an unknown key (with the closest valid one) or a value the schema refuses.
    """
    root = type(scenario)
    data = _to_data(scenario)
    origins: dict[KeyPath, _Origin] = {}
    top = _Origin(file=source)
    with _one_line_errors(source):
        for key, value in overrides.items():
            plain = _plain(value)
            text = f"override {key} = {_shown(plain)}"
            override = _Override(
                text=text, key=str(key), path=_parse_key(str(key), text, source), value=plain
            )
            _apply(root, data, origins, override, top)
        return _validate(root, data, origins, top)


def parse_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    """`["a.b=1", "c=foo"]` → `{"a.b": 1, "c": "foo"}`, parsing values as `--set` does.

    For commands that collect `--set` strings but apply them later with `with_overrides`. Only the
    syntax is checked here; keys are checked against the schema when applied.
    """
    with _one_line_errors(None):
        return {override.key: override.value for override in _parse_set_strings(overrides)}


def scenario_to_toml(scenario: BaseModel, *, comments: bool = True) -> str:
    """The fully resolved scenario as TOML text that `load_scenario` reads back into an equal one.

    Every setting is written out, defaults included, with no `extends`. With `comments`, each
    setting that has a `description` in the schema gets it as a comment line above it. Settings
    that are None are left out (TOML has no null), so they must default to None in the schema.
    """
    descriptions = _descriptions(type(scenario)) if comments else {}
    name = type(scenario).__name__
    header = f"Resolved {name}: every setting spelled out, no extends. Load it like any scenario file."
    return _dumps(_to_data(scenario), header, descriptions)


@contextlib.contextmanager
def _one_line_errors(where: str | None) -> Iterator[None]:
    """Whatever goes wrong leaves as one ScenarioError with a one-line, printable message."""
    try:
        yield
    except ScenarioError as exc:
        problems = [_one_line(problem) for problem in getattr(exc, "problems", [str(exc)])]
        clean = ScenarioError(_one_line(str(exc)))
        clean.problems = problems  # type: ignore[attr-defined]
        raise clean from None
    except RecursionError:
        message = _one_line(f"{_prefix(where)}tables or arrays are nested too deeply to be a scenario")
        raise ScenarioError(message) from None


def _one_line(text: str) -> str:
    """New lines and other unprintable characters (from file names, keys, values) as escapes."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text
    )


# ------------------------------------------------------------------------------ reading files


@dataclasses.dataclass(frozen=True)
class _Origin:
    """Where a value came from: a file, and the override that set it, if one did."""

    file: str | None
    override: str | None = None
    override_path: KeyPath | None = None


def _default_model() -> type[BaseModel]:
    from lendsim.scenario.schema import Scenario

    return Scenario


def _read_chain(path: Path, label: str) -> tuple[dict[str, Any], dict[KeyPath, _Origin]]:
    """Read `path` and every file it extends; merge base first, so each file overrides its base."""
    chain: list[tuple[str, dict[str, Any]]] = []
    seen: list[tuple[str, str]] = []  # (identity, label) in the order visited
    via: str | None = None
    while True:
        identity = _identity(path)
        if identity in (seen_id for seen_id, _ in seen):
            names = [seen_label for _, seen_label in seen] + [label]
            first = seen[0][1]
            raise ScenarioError(
                f"{first}: extends makes a cycle: {' → '.join(names)} — a scenario cannot extend itself, "
                "directly or through other files"
            )
        seen.append((identity, label))
        document = _read_toml(path, label, via)
        parent = document.pop(EXTENDS, None)
        chain.append((label, document))
        if parent is None:
            break
        if not isinstance(parent, str):
            raise ScenarioError(
                f"{label}: extends = {_shown(parent)} — must be a file name in quotes, "
                'e.g. extends = "baseline.toml"'
            )
        via, path = label, path.parent / parent
        label = os.path.normpath(os.path.join(os.path.dirname(label), parent))
    data: dict[str, Any] = {}
    origins: dict[KeyPath, _Origin] = {}
    for file_label, document in reversed(chain):
        if "meta" in document and "meta" in data:  # a file's [meta] describes that file, not its base
            del data["meta"]
            _forget(origins, ("meta",))
        _merge(data, document, origins, (), _Origin(file=file_label))
    return data, origins


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError, ValueError):
        return os.path.abspath(path)


def _read_toml(path: Path, label: str, via: str | None) -> dict[str, Any]:
    """Parse one TOML file; every way it can fail becomes a ScenarioError naming the file."""
    where = f" (extended by {via})" if via else ""
    raw = _read_bytes(path, label, where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{label}{where}: line {line} has bytes that are not UTF-8 text — save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = _toml_problem(str(exc), text, quote_keys=_is_scenario_name(label))
        raise ScenarioError(f"{label}{where}: {problem}") from None
    except RecursionError:
        raise ScenarioError(f"{label}{where}: arrays or tables are nested too deeply") from None


def _read_bytes(path: Path, label: str, where: str) -> bytes:
    """The file's bytes, if it can be a scenario: a regular file on a real file system (not /proc,
    /sys or a device), at most MAX_SCENARIO_BYTES long. Nothing of what it holds is ever shown."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError(f"{label}{where}: no such file{_similar_files(path)}") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{label}{where}: cannot be read — {_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"{label}{where}: is a directory — give a scenario .toml file{_files_in(path)}")
    if not stat.S_ISREG(info.st_mode) or _on_kernel_file_system(info):
        raise ScenarioError(
            f"{label}{where}: is not a regular file (a device, pipe or kernel file) — "
            "give a scenario .toml file"
        )
    if info.st_size > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{label}{where}: {_too_large(info.st_size)}")
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise ScenarioError(f"{label}{where}: cannot be read — permission denied") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{label}{where}: cannot be read — {_reason(exc)}") from None
    if len(raw) > MAX_SCENARIO_BYTES:  # it grew after stat()
        raise ScenarioError(f"{label}{where}: {_too_large(len(raw))}")
    return raw


def _too_large(size: int) -> str:
    shown = f"{size / 1e6:.1f} MB" if size < 10**9 else f"{size / 1e9:.1f} GB"
    return (
        f"is {shown} — too large to be a scenario (at most {MAX_SCENARIO_BYTES // 1_000_000} MB); "
        "is it the right file?"
    )


_KERNEL_FILE_SYSTEMS = ("/proc", "/sys")


def _on_kernel_file_system(info: os.stat_result) -> bool:
    """Files under /proc and /sys look regular but are made up by the kernel as they are read."""
    for root in _KERNEL_FILE_SYSTEMS:
        try:
            if os.stat(root).st_dev == info.st_dev:
                return True
        except OSError:
            continue
    return False


def _is_scenario_name(label: str | None) -> bool:
    """A file named *.toml is a scenario someone wrote: its messages may name a key in it. Any
    other file (reached by mistake, e.g. extends = "/etc/passwd") has nothing of it quoted."""
    return label is None or label.lower().endswith(SCENARIO_SUFFIX)


def _reason(exc: Exception) -> str:
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).lower()


def _similar_files(path: Path) -> str:
    try:
        names = sorted(p.name for p in path.parent.glob("*.toml"))
    except (OSError, ValueError):
        return ""
    close = difflib.get_close_matches(path.name, names, n=1)
    return f" — did you mean '{close[0]}'?" if close else ""


def _files_in(path: Path) -> str:
    try:
        names = sorted(p.name for p in path.glob("*.toml"))
    except (OSError, ValueError):
        return ""
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    return f" (this one has {shown})"


_TOML_WHERE = re.compile(
    r"^(?P<what>.*?)\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)


def _toml_problem(message: str, text: str, *, quote_keys: bool) -> str:
    """tomllib's 'Invalid value (at line 3, column 10)' → 'line 3, column 10: not valid TOML — …'.

    Nothing of the file's text is quoted, only the position, what TOML expected and — when
    `quote_keys` — the bare key or table named on that line ("key months", "table simulation").
    """
    match = _TOML_WHERE.match(message)
    if not match:
        return f"not valid TOML — {_toml_wording(message)}"
    what = _toml_wording(match["what"])
    if match["line"] is None:
        return f"not valid TOML — {what} at the end of the file"
    line = int(match["line"])
    lines = text.splitlines()
    key = _key_on(lines[line - 1]) if quote_keys and 0 < line <= len(lines) else ""
    shown = f" (at {key})" if key else ""
    return f"line {line}, column {match['col']}: not valid TOML — {what}{shown}"


_TOML_WORDING = (
    ("Cannot declare", "a table is declared twice"),
    ("Cannot redefine namespace", "a table is defined twice"),
    ("Cannot mutate immutable namespace", "an inline table or array cannot be extended later"),
    ("Duplicate inline table key", "a key repeats in an inline table"),
    ("Found invalid character", "a character that is not allowed here"),
    ("Illegal character", "a control character that TOML does not allow"),
)
"""tomllib messages that quote the file's text, in words that do not."""


def _toml_wording(what: str) -> str:
    for start, words in _TOML_WORDING:
        if what.startswith(start):
            return words
    if what.startswith("Expected "):  # "Expected '=' after a key": the parser's own literal
        return what[:1].lower() + what[1:]
    if "'" in what or '"' in what or "(" in what:
        return "the text here is not TOML"
    return what[:1].lower() + what[1:]


_BARE_DOTTED = r"(?P<key>[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)"
_KEY_LINE = re.compile(rf"^\s*{_BARE_DOTTED}\s*=")
_TABLE_LINE = re.compile(rf"^\s*(?P<open>\[\[?)\s*{_BARE_DOTTED}\s*(?:\]\]?|$|#)")


def _key_on(line: str) -> str:
    """'key months' or 'table simulation': what a line sets or opens, if it is a bare key; else ''."""
    table = _TABLE_LINE.match(line)
    if table:
        key = re.sub(r"\s+", "", table["key"])
        kind = "array of tables" if table["open"] == "[[" else "table"
        return f"{kind} {key}" if len(key) <= _MAX_KEY_CHARS else ""
    assignment = _KEY_LINE.match(line)
    if assignment:
        key = re.sub(r"\s+", "", assignment["key"])
        return f"key {key}" if len(key) <= _MAX_KEY_CHARS else ""
    return ""


def _merge(
    base: dict[str, Any],
    top: Mapping[str, Any],
    origins: dict[KeyPath, _Origin],
    prefix: KeyPath,
    origin: _Origin,
) -> None:
    """Deep-merge `top` into `base`: tables merge key by key, anything else (arrays too) replaces."""
    for key, value in top.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origins, path, origin)
            continue
        if key in base:
            _forget(origins, path)
        base[key] = value
        _record(origins, path, value, origin)


def _record(origins: dict[KeyPath, _Origin], path: KeyPath, value: Any, origin: _Origin) -> None:
    origins[path] = origin
    if isinstance(value, dict):
        for key, child in value.items():
            _record(origins, (*path, key), child, origin)


def _forget(origins: dict[KeyPath, _Origin], path: KeyPath) -> None:
    for known in [known for known in origins if known[: len(path)] == path]:
        del origins[known]


def _origin_of(origins: Mapping[KeyPath, _Origin], path: KeyPath, default: _Origin) -> _Origin:
    """Who set the value at `path`: the nearest enclosing record, or an override inside that table.

    A table-level problem (a cross-field validator) caused by an override names the override — when
    exactly one override lies inside that table; with several, none is named. Without an override,
    a table that a later file of the `extends` chain changed names that file (the last to change
    it), not the base file that first declared the table.
    """
    found = default
    recorded = False
    for length in range(len(path), 0, -1):
        if path[:length] in origins:
            found, recorded = origins[path[:length]], True
            break
    if found.override is None:
        inside = [
            origin for known, origin in origins.items() if known[: len(path)] == path and origin.override
        ]
        distinct = {origin.override for origin in inside}
        found = inside[-1] if len(distinct) == 1 else found  # several could be the cause: name none
    if recorded and found.override is None:
        later = [
            origin
            for known, origin in origins.items()
            if len(known) > len(path) and known[: len(path)] == path and origin.file != found.file
        ]
        found = later[-1] if later else found
    return found


# ---------------------------------------------------------------------------------- overrides


@dataclasses.dataclass(frozen=True)
class _Override:
    text: str  # as shown in messages: "--set simulation.months=24"
    key: str
    path: KeyPath
    value: Any


def _parse_set_strings(overrides: Sequence[str]) -> list[_Override]:
    if isinstance(overrides, str):
        overrides = (overrides,)
    return [_parse_set(str(item)) for item in overrides]


def _parse_set(item: str) -> _Override:
    text = f"--set {item}"
    key, equals, raw_value = item.partition("=")
    if not equals or not key.strip():
        raise ScenarioError(f"{text} — must be KEY=VALUE, e.g. --set simulation.months=24")
    return _Override(
        text=text, key=key.strip(), path=_parse_key(key, text, None), value=parse_value(raw_value)
    )


def parse_value(raw: str) -> Any:
    """A TOML literal if `raw` is one (`24`, `0.3`, `true`, `"x"`, `[1, 2]`); else the text itself.

    The one reading of a value typed on the command line: `--set KEY=VALUE` here, and the values of
    `--grid KEY=V1,V2,...` in lendsim.sweep. Exactly one value: `1\nx = 2` is text, not 1.
    """
    try:
        document = tomllib.loads(f"v = {raw}")
    except (tomllib.TOMLDecodeError, RecursionError):
        return raw.strip()
    if set(document) != {"v"}:
        return raw.strip()
    return document["v"]


_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(?P<indices>(?:\[\d+\])*)$")


def _parse_key(key: str, text: str, source: str | None) -> KeyPath:
    """'macro.shocks[0].depth' → ('macro', 'shocks', 0, 'depth')."""
    path: list[Segment] = []
    for part in key.split("."):
        match = _SEGMENT.match(part.strip())
        if not match or not match["name"].strip():
            raise ScenarioError(
                f"{_prefix(source)}{text} — '{key}' is not a dotted key like simulation.months "
                "or macro.shocks[0].depth"
            )
        path.append(match["name"].strip())
        path.extend(int(index) for index in re.findall(r"\d+", match["indices"]))
    return tuple(path)


def _apply(
    root: type[BaseModel],
    data: dict[str, Any],
    origins: dict[KeyPath, _Origin],
    override: _Override,
    top: _Origin,
) -> None:
    """Set one override into the merged data, after checking its key against the schema."""
    _check_key(root, override, top.file)
    origin = dataclasses.replace(top, override=override.text, override_path=override.path)
    node: Any = data
    *parents, last = override.path
    for depth, segment in enumerate(parents):
        _check_slot(node, segment, override, depth, top.file)
        node = node.setdefault(segment, {}) if isinstance(segment, str) else node[segment]
    _check_slot(node, last, override, len(parents), top.file)
    if isinstance(last, str) and isinstance(override.value, dict) and isinstance(node.get(last), dict):
        _merge(node[last], override.value, origins, override.path, origin)
        return
    _forget(origins, override.path)
    node[last] = override.value
    _record(origins, override.path, override.value, origin)


def _check_slot(node: Any, segment: Segment, override: _Override, depth: int, file: str | None) -> None:
    """`node` (the data at `override.path[:depth]`) must be a table, or an array long enough."""
    where = _dotted(override.path[:depth])
    if isinstance(segment, str) and not isinstance(node, dict):
        raise ScenarioError(f"{_prefix(file)}{override.text} — {where} = {_shown(node)} is not a table")
    if isinstance(segment, int) and not isinstance(node, list):
        raise ScenarioError(f"{_prefix(file)}{override.text} — {where} = {_shown(node)} is not an array")
    if isinstance(segment, int) and segment >= len(node):
        entries = "entry" if len(node) == 1 else "entries"
        raise ScenarioError(
            f"{_prefix(file)}{override.text} — {where} has {len(node)} {entries}, "
            f"so [{segment}] does not exist (the first is [0])"
        )


def _check_key(root: type[BaseModel], override: _Override, file: str | None) -> None:
    """The override's key must name a setting of the schema; if not, suggest the closest one."""
    types_here: list[Any] = [root]
    for depth, segment in enumerate(override.path):
        following = [child for tp in types_here for child, _ in _step(tp, segment)]
        if following:
            types_here = following
            continue
        where = _dotted(override.path[: depth + 1])
        if not any(_is_container(tp) for tp in types_here):
            parent = _dotted(override.path[:depth])
            raise ScenarioError(f"{_prefix(file)}{override.text} — {parent} is a single value, not a table")
        hint = _key_hint(root, override.path, depth, types_here)
        raise ScenarioError(f"{_prefix(file)}{override.text} — {where} is not a setting{hint}")


def _key_hint(root: type[BaseModel], path: KeyPath, depth: int, types_here: list[Any]) -> str:
    """'; did you mean 'a.b.c'?' — a sibling with the closest name, else the closest key anywhere."""
    segment = path[depth]
    siblings = _names(types_here)
    if isinstance(segment, str):
        for close in difflib.get_close_matches(segment, siblings, n=3):
            candidate = (*path[:depth], close, *path[depth + 1 :])
            if _key_exists(root, candidate):
                return f"; did you mean '{_dotted(candidate)}'?"
    wanted = _dotted(path)
    everywhere = _all_keys(root)
    closest = difflib.get_close_matches(wanted, everywhere, n=1)
    ending = [key for key in everywhere if isinstance(path[-1], str) and key.endswith("." + path[-1])]
    if closest or len(ending) == 1:
        return f"; did you mean '{(closest or ending)[0]}'?"
    return _listing(siblings, "; settings here: ")


def _key_exists(root: type[BaseModel], path: KeyPath) -> bool:
    types_here: list[Any] = [root]
    for segment in path:
        types_here = [child for tp in types_here for child, _ in _step(tp, segment)]
        if not types_here:
            return False
    return True


def _all_keys(root: type[BaseModel], depth_limit: int = 8) -> list[str]:
    found: list[str] = []

    def walk(tp: Any, prefix: KeyPath) -> None:
        if len(prefix) >= depth_limit:
            return
        for model in _models_in(tp):
            for name, field in model.model_fields.items():
                path = (*prefix, field.alias or name)
                found.append(_dotted(path))
                walk(field.annotation, path)

    walk(root, ())
    return found


def _plain(value: Any) -> Any:
    """NumPy scalars/arrays → python; tuples → lists; mappings → dicts; recursively."""
    if type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


# --------------------------------------------------------------------------------- validation


def _validate(root: type[M], data: dict[str, Any], origins: Mapping[KeyPath, _Origin], top: _Origin) -> M:
    try:
        return root.model_validate(data)
    except ValidationError as exc:
        raise _explain(root, data, exc.errors(include_url=False), origins, top) from None


def _explain(
    root: type[BaseModel], data: Any, errors: list[Any], origins: Mapping[KeyPath, _Origin], top: _Origin
) -> ScenarioError:
    """pydantic's list of errors → one ScenarioError: the first problem, and how many more.

    Misspelled keys come first, and a required key that a misspelling was meant to be is not
    reported again as missing: `dpeth = 0.2` is one mistake, not two.
    """
    located = [(error, _locate(root, data, tuple(error.get("loc", ())))) for error in errors]
    meant: set[KeyPath] = set()
    for error, place in located:
        if error.get("type") == "extra_forbidden":
            close = _closest(place, origin=None)
            meant.update({(*place.path[:-1], close)} if close else set())
    located.sort(key=lambda pair: pair[0].get("type") != "extra_forbidden")
    lines: dict[KeyPath, str] = {}
    for error, place in located:
        if place.path in lines or (error.get("type") == "missing" and place.path in meant):
            continue
        lines[place.path] = _describe(error, place, _origin_of(origins, place.path, top))
    problems = list(lines.values()) or [f"{_prefix(top.file)}is not a valid scenario"]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    failure = ScenarioError(problems[0] + more)
    failure.problems = problems  # type: ignore[attr-defined]  # all of them, for `lendsim validate`
    return failure


def _closest(place: _Located, origin: _Origin | None) -> str | None:
    """The valid name nearest to a misspelled key, among its siblings (and `extends` at the top)."""
    close = difflib.get_close_matches(str(place.path[-1]), _siblings(place, origin), n=1)
    return close[0] if close else None


def _siblings(place: _Located, origin: _Origin | None) -> list[str]:
    at_top = len(place.path) == 1 and (origin is None or origin.override is None)
    return _names(place.parents) + ([EXTENDS] if at_top else [])


@dataclasses.dataclass
class _Located:
    """An error's place: the key path in the data, the schema types there and their constraints."""

    path: KeyPath
    types: list[Any]
    parents: list[Any]
    meta: list[Any]


def _locate(root: type[BaseModel], data: Any, loc: tuple[Any, ...]) -> _Located:
    """Follow pydantic's `loc` through the data and the schema at once.

    Elements of `loc` that are neither keys of the data nor fields of the schema are union tags
    (a member's class name or discriminator value): they narrow the schema types but are not part
    of the key the user wrote.
    """
    path: list[Segment] = []
    types_here: list[Any] = [root]
    parents: list[Any] = []
    meta: list[Any] = []
    node = data
    for element in loc:
        in_data = (isinstance(node, dict) and element in node) or (
            isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node)
        )
        steps = [step for tp in types_here for step in _step(tp, element)]
        if in_data or steps:
            parents, path = types_here, [*path, element]
            types_here = [child for child, _ in steps]
            meta = [item for _, extra in steps for item in extra]
            node = node[element] if in_data else None
        else:
            named = [tp for tp in _flatten(types_here) if getattr(tp, "__name__", None) == element]
            types_here = named or types_here
    return _Located(path=tuple(path), types=types_here, parents=parents, meta=meta)


REPLACED_SETTINGS = {
    "platform.capital_per_borrower_rmb": "platform.capital_rmb (the platform's capital in RMB)",
    "platform.partners.tier1_capital_per_borrower_rmb": (
        "tier1_capital_rmb (the bank's tier-1 capital in RMB)"
    ),
    "capacity.requests_per_1000_borrowers": "capacity.requests_per_month (real requests a month)",
}
"""Settings once given per simulated borrower, now in real-world units (the agents' weight applies
them to the simulated population): an old file gets told what replaced them."""


def _describe(error: Mapping[str, Any], located: _Located, origin: _Origin) -> str:
    kind = error.get("type", "")
    key = _dotted(located.path)
    subject = _subject(error, located, origin, key)
    replaced = REPLACED_SETTINGS.get(re.sub(r"\[\d+\]", "", key))
    if kind == "extra_forbidden" and replaced:
        return (
            f"{_prefix(origin.file)}{key} is no longer a setting{_from(origin, located)} — replaced by "
            f"{replaced}: capacities and balances are now real-world totals"
        )
    if kind == "extra_forbidden":
        close = _closest(located, origin)
        hint = (
            f"did you mean '{close}'?" if close else _listing(_siblings(located, origin), "settings here: ")
        )
        return f"{_prefix(origin.file)}{key} is not a setting{_from(origin, located)} — {hint}"
    if kind == "missing":
        expected = _expectation(located.types, located.meta, {})
        allowed = f" ({expected})" if expected else ""
        return f"{_prefix(origin.file)}{key} is missing — it must be set{allowed}"
    if not located.path and kind in ("value_error", "assertion_error"):
        return f"{_prefix(origin.file)}{_allowed(error, located)}{_from(origin, located)}"
    return f"{_prefix(origin.file)}{subject} — {_allowed(error, located)}"


def _subject(error: Mapping[str, Any], located: _Located, origin: _Origin, key: str) -> str:
    if origin.override is not None and origin.override_path == located.path:
        return origin.override
    value = error.get("input")
    if isinstance(value, dict) or not located.path or not _is_scenario_name(origin.file):
        return (key or "the scenario") + _from(origin, located)
    return f"{key} = {_shown(value)}{_from(origin, located)}"


def _from(origin: _Origin, located: _Located) -> str:
    if origin.override is None or origin.override_path == located.path:
        return ""
    return f" (from {origin.override})"


_TYPE_ERRORS = frozenset(
    """int_type int_parsing int_from_float int_parsing_size float_type float_parsing bool_type
    bool_parsing string_type literal_error enum model_type model_attributes_type dict_type list_type
    tuple_type set_type frozen_set_type date_type date_parsing datetime_type datetime_parsing
    is_instance_of""".split()
)
_CONSTRAINT_ERRORS = frozenset(
    """greater_than greater_than_equal less_than less_than_equal multiple_of too_short too_long
    string_too_short string_too_long""".split()
)
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def _allowed(error: Mapping[str, Any], located: _Located) -> str:
    """What the schema allows there, in plain English: 'must be a whole number ≥ 1'."""
    kind = error.get("type", "")
    message = str(error.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        for prefix in _PYDANTIC_PREFIXES:
            message = message.removeprefix(prefix)
        return message
    if kind == "finite_number":
        return "must be a finite number (not inf or nan)"
    if kind in _TYPE_ERRORS or kind in _CONSTRAINT_ERRORS:
        expected = _expectation(located.types, located.meta, dict(error.get("ctx") or {}))
        if expected:
            return f"must be {expected}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        return f"{ctx.get('discriminator', 'its kind')} must be one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return f"must say which kind it is with {(error.get('ctx') or {}).get('discriminator', 'a tag')}"
    return message.replace("Input should be", "must be").replace("Input", "the value")


# -------------------------------------------------------------------------- walking the schema


def _unannotate(tp: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while typing.get_origin(tp) is typing.Annotated:
        tp, *extra = typing.get_args(tp)
        meta.extend(extra)
    return tp, meta


def _flatten(types_here: list[Any]) -> list[Any]:
    """Unions and Annotated unwrapped into their members; None left out."""
    flat: list[Any] = []
    for tp in types_here:
        tp, _ = _unannotate(tp)
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            flat.extend(_flatten(list(typing.get_args(tp))))
        elif tp is not type(None):
            flat.append(tp)
    return flat


def _models_in(tp: Any) -> list[type[BaseModel]]:
    return [member for member in _flatten([tp]) if isinstance(member, type) and issubclass(member, BaseModel)]


_SEQUENCES = (list, tuple, set, frozenset, Sequence)


def _step(tp: Any, segment: Any) -> list[tuple[Any, list[Any]]]:
    """The schema type(s) one key or index below `tp`, with their constraint metadata."""
    found: list[tuple[Any, list[Any]]] = []
    for member in _flatten([tp]):
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if member is Any or member is object:
            found.append((Any, []))
        elif isinstance(member, type) and issubclass(member, BaseModel):
            for name, field in member.model_fields.items():
                if segment in (name, field.alias):
                    found.append((field.annotation, list(field.metadata)))
        elif member in (dict, Mapping) or origin in (dict, Mapping):
            if isinstance(segment, str):
                found.append(_unannotate(args[1]) if len(args) == 2 else (Any, []))
        elif member in _SEQUENCES or origin in _SEQUENCES:
            if isinstance(segment, int):
                found.extend(_item_type(origin or member, args, segment))
    return found


def _item_type(origin: Any, args: tuple[Any, ...], index: int) -> list[tuple[Any, list[Any]]]:
    if not args:
        return [(Any, [])]
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return [_unannotate(args[index])] if index < len(args) else []
    return [_unannotate(args[0])]


def _is_container(tp: Any) -> bool:
    for member in _flatten([tp]):
        origin = typing.get_origin(member) or member
        if member is Any or _models_in(member) or origin in (dict, Mapping) or origin in _SEQUENCES:
            return True
    return False


def _names(types_here: list[Any]) -> list[str]:
    names: list[str] = []
    for tp in types_here:
        for model in _models_in(tp):
            names.extend(field.alias or name for name, field in model.model_fields.items())
    return list(dict.fromkeys(names))


def _expectation(types_here: list[Any], meta: list[Any], ctx: Mapping[str, Any]) -> str | None:
    """'a whole number ≥ 1', 'a number from 0 to 1', "one of 'wait', 'fallback'", …, or None."""
    members: list[tuple[Any, list[Any]]] = []
    for tp in types_here:
        base, extra = _unannotate(tp)
        for member in _flatten([base]):
            inner, more = _unannotate(member)
            members.append((inner, [*meta, *extra, *more]))
    described = [_expect_one(tp, member_meta, ctx) for tp, member_meta in members]
    if not described or None in described:
        return None
    return " or ".join(dict.fromkeys(typing.cast(list[str], described)))


def _expect_one(tp: Any, meta: list[Any], ctx: Mapping[str, Any]) -> str | None:
    limits = {**_constraints(meta), **{k: v for k, v in ctx.items() if k in _LIMIT_NAMES}}
    origin = typing.get_origin(tp)
    if tp is bool:
        return "true or false"
    if tp is int:
        return _with_limits("a whole number", limits)
    if tp is float:
        return _with_limits("a number", limits)
    if tp is str:
        return _with_length("text in quotes", limits, "character")
    if origin is typing.Literal:
        return _choices(typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _choices(tuple(member.value for member in tp))
    if _models_in(tp) or tp in (dict, Mapping) or origin in (dict, Mapping):
        return "a table"
    if tp in _SEQUENCES or origin in _SEQUENCES:
        return _with_length("an array", limits, "item")
    if tp is dt.date:
        return "a date like 2024-01-31"
    if tp is dt.datetime:
        return "a date and time like 2024-01-31T09:00:00"
    return None


_LIMIT_NAMES = ("ge", "gt", "le", "lt", "multiple_of", "min_length", "max_length")


def _constraints(meta: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in meta:
        found.update(_constraints(list(getattr(item, "metadata", []) or [])))
        for name in _LIMIT_NAMES:
            value = getattr(item, name, None)
            if value is not None and not callable(value):
                found[name] = value
    return found


def _with_limits(noun: str, limits: Mapping[str, Any]) -> str:
    ge, gt, le, lt = (limits.get(name) for name in ("ge", "gt", "le", "lt"))
    if ge is not None and le is not None:
        parts = [f"from {_number(ge)} to {_number(le)}"]
    else:
        lower = f"≥ {_number(ge)}" if ge is not None else f"> {_number(gt)}" if gt is not None else None
        upper = f"≤ {_number(le)}" if le is not None else f"< {_number(lt)}" if lt is not None else None
        parts = [part for part in (lower, upper) if part]
    if limits.get("multiple_of") is not None:
        parts.append(f"a multiple of {_number(limits['multiple_of'])}")
    return " ".join([noun, " and ".join(parts)]).strip()


def _with_length(noun: str, limits: Mapping[str, Any], unit: str) -> str:
    low, high = limits.get("min_length"), limits.get("max_length")
    if low and high:
        return f"{noun} of {low} to {high} {unit}s"
    if low:
        return f"{noun} of at least {low} {unit}{'s' if low != 1 else ''}"
    if high is not None:
        return f"{noun} of at most {high} {unit}{'s' if high != 1 else ''}"
    return noun


def _choices(values: tuple[Any, ...]) -> str:
    shown = [repr(value) if isinstance(value, str) else _shown(value) for value in values]
    return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _listing(names: list[str], lead: str) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:_MAX_LISTED_NAMES]) + (", …" if len(names) > _MAX_LISTED_NAMES else "")
    return lead + shown


def _descriptions(root: type[BaseModel], depth_limit: int = 8) -> dict[tuple[str, ...], str]:
    """Schema path (array indices left out) → the field's description, for comments in TOML."""
    found: dict[tuple[str, ...], str] = {}

    def walk(tp: Any, prefix: tuple[str, ...]) -> None:
        if len(prefix) >= depth_limit:
            return
        for model in _models_in(tp):
            for name, field in model.model_fields.items():
                path = (*prefix, field.alias or name)
                if field.description:
                    found.setdefault(path, field.description)
                walk(field.annotation, path)
                for inner in _flatten([field.annotation]):
                    for item, _ in _item_type(typing.get_origin(inner), typing.get_args(inner), 0):
                        walk(item, path)

    walk(root, ())
    return found


# ----------------------------------------------------------------------------- writing TOML


def _to_data(value: Any) -> Any:
    """A model as plain TOML-able data: fields by alias, None left out, enums by value."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields.items()
        pairs = ((field.alias or name, getattr(value, name)) for name, field in fields)
        return {key: _to_data(item) for key, item in pairs if item is not None}
    if isinstance(value, Mapping):
        return {str(key): _to_data(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_to_data(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return [_to_data(item) for item in sorted(value)]
    if isinstance(value, enum.Enum):
        return _to_data(value.value)
    if isinstance(value, PurePath):
        return str(value)
    return value


def _dumps(data: Mapping[str, Any], header: str = "", notes: Mapping[tuple[str, ...], str] = {}) -> str:
    """A TOML document for `data` (str/int/float/bool/dates, lists, tables, arrays of tables).

    tomlkit writes it — quoting keys, escaping strings, floats by repr (so they read back bit for
    bit; nan and inf as TOML's nan and inf). The layout is ours: plain keys before sub-tables, each
    table under its full-path header after a blank line, a table holding only tables left implicit,
    and each note as comment lines right above the setting or header it describes.
    """
    document = tomlkit.document()
    for line in _comment_lines(header):
        document.add(tomlkit.comment(line))
    _fill(document, (), data, notes)
    return tomlkit.dumps(document).strip("\n") + "\n"


def _fill(
    container: Container | Table, path: tuple[str, ...], data: Mapping[str, Any], notes: Mapping
) -> None:
    """Add `data`'s plain keys, then its tables and arrays of tables, to a tomlkit container."""
    for key, value in data.items():
        if not _is_table(value) and not _is_table_array(value):
            for line in _comment_lines(notes.get((*path, key))):
                container.add(tomlkit.comment(line))
            container.add(key, _value(value))
    for key, value in data.items():
        child = (*path, key)
        if _is_table(value):
            implicit = _only_subtables(value)
            table = tomlkit.table(is_super_table=implicit)
            _fill(table, child, value, notes)
            container.append(key, table)
            table.trivia.indent = "" if implicit else _above(notes.get(child))  # after append, which sets it
        elif _is_table_array(value):
            tables = tomlkit.aot()
            for item in value:
                table = tomlkit.table(is_super_table=False)  # else [[x]] of a table of tables is hidden
                _fill(table, child, item, notes)
                tables.append(table)
            container.append(key, tables)
            for table in tables:
                table.trivia.indent = _above(notes.get(child))


def _comment_lines(note: str | None) -> list[str]:
    """A note as comment lines; control characters (which TOML forbids in comments) as spaces."""
    return [re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", " ", line).rstrip() for line in (note or "").splitlines()]


def _above(note: str | None) -> str:
    """What goes before a table header: a blank line, then the note's comment lines."""
    return "\n" + "".join(tomlkit.comment(line).as_string() for line in _comment_lines(note))


def _only_subtables(table: Mapping[str, Any]) -> bool:
    """A table whose header TOML can leave implicit: it has sub-tables and nothing else."""
    return bool(table) and all(_is_table(value) or _is_table_array(value) for value in table.values())


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _value(value: Any) -> Item:
    """One value as a tomlkit item. Arrays and inline tables are built here: tomlkit would turn a
    list of tables into an array of tables, and writes `{a = 1}` where TOML's own examples (and
    analysts) write `{ a = 1 }`. Anything TOML cannot hold raises TypeError."""
    if isinstance(value, Mapping):
        table = tomlkit.inline_table()
        for key, item in value.items():
            table.append(str(key), _value(item))
        if table.value.body:
            table.value.body[0][1].trivia.indent = " "
            table.value.body[-1][1].trivia.trail = " "
        return table
    if isinstance(value, (list, tuple)):
        array = tomlkit.array()
        for item in value:
            array.append(_value(item))
        return array
    return tomlkit.item(value)  # ConvertError is a TypeError


def _inline(value: Any) -> str:
    """One value as a TOML literal, as it would be written in a scenario file or after --set."""
    return _value(value).as_string()


def _key(key: str) -> str:
    return tomlkit.key(key).as_string()


# ---------------------------------------------------------------------------- small helpers


def _shown(value: Any) -> str:
    """A value as the user would have written it in TOML, shortened for a one-line message."""
    try:
        text = _inline(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return _truncate(text)


def _truncate(text: str) -> str:
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def _dotted(path: KeyPath) -> str:
    """('macro', 'shocks', 0, 'depth') → 'macro.shocks[0].depth'."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += ("." if text else "") + _key(str(segment))
    return text


def _prefix(file: str | None) -> str:
    return f"{file}: " if file else ""


# ------------------------------------------------------------------------- declared uncertainties

UNCERTAINTIES = "uncertainties"
"""The root model's table of uncertain settings, each under its dotted key (schema.Uncertainty)."""
EVERY_ENTRY = "[*]"
"""In an uncertainty's key, `[*]` stands for every entry of that array: platform.partners[*].appetite."""
NOT_UNCERTAIN = ("simulation.seed", "simulation.seeds", UNCERTAINTIES)
"""Keys no uncertainty may name: seeds are replications, not plausible values."""
_UNCERTAIN_ENDS = ("low", "high", "mode")


def expand_key(scenario: BaseModel, key: str) -> list[str]:
    """The settings a key names: itself, or for each `[*]` one key per entry of that array.

    `platform.partners[*].appetite` → `platform.partners[0].appetite` … `platform.partners[3].appetite`
    in a scenario with four partners, and no key at all in one without partners. Raises
    ScenarioError when what comes before `[*]` is not an array of the scenario.
    """
    head, star, rest = key.partition(EVERY_ENTRY)
    if not star:
        return [key]
    node = _at(_to_data(scenario), _parse_key(head, key, None) if head else ())
    if node is None and head:
        node = []  # an array left out (None-valued settings are): it has no entries
    if not isinstance(node, list):
        raise ScenarioError(f"{key} — {head or 'the scenario'} is not an array, so [*] has no entries")
    return [name for index in range(len(node)) for name in expand_key(scenario, f"{head}[{index}]{rest}")]


def setting_value(scenario: BaseModel, key: str) -> Any:
    """The value of one setting by its dotted key (`macro.shocks[0].depth`); None where it is unset."""
    return _at(_to_data(scenario), _parse_key(key, key, None))


def number_kind(root: type[BaseModel], key: str) -> str | None:
    """'whole' for a whole-number setting, 'real' for a number, None for anything else (text,
    true/false, a table) or a key that is not a setting. `[*]` is read as any entry."""
    types_here: list[Any] = [root]
    for segment in _parse_key(key.replace(EVERY_ENTRY, "[0]"), key, None):
        types_here = [child for tp in types_here for child, _ in _step(tp, segment)]
    flat = _flatten(types_here)
    if float in flat:
        return "real"
    return "whole" if int in flat else None


def _at(data: Any, path: KeyPath) -> Any:
    node = data
    for segment in path:
        if isinstance(segment, int):
            node = node[segment] if isinstance(node, list) and segment < len(node) else None
        else:
            node = node.get(segment) if isinstance(node, dict) else None
    return node


def _check_uncertainties(
    root: type[BaseModel], scenario: BaseModel, origins: Mapping[KeyPath, _Origin], top: _Origin
) -> None:
    """Every declared uncertainty names a number setting of the schema (like a `--set` key), once,
    and its low, high and mode are values that setting accepts — so a robustness analysis can
    sample anywhere in the range. The first problem is one ScenarioError naming file and key."""
    declared = getattr(scenario, UNCERTAINTIES, None)
    if not isinstance(declared, Mapping):
        return
    claimed: dict[str, str] = {}
    for key, spec in declared.items():
        file = _origin_of(origins, (UNCERTAINTIES, key), top).file
        where = _dotted((UNCERTAINTIES, key))
        ends = {end: _origin_of(origins, (UNCERTAINTIES, key, end), top).file for end in _UNCERTAIN_ENDS}
        settings = _uncertain_settings(root, scenario, key, where, file)
        for setting in settings:
            if setting in claimed:
                raise ScenarioError(
                    f"{_prefix(file)}{where} — {setting} is uncertain already, through "
                    f"{_dotted((UNCERTAINTIES, claimed[setting]))}; declare each setting once"
                )
            claimed[setting] = key
        whole = number_kind(root, key) == "whole"
        if whole and spec.distribution != "integer":
            raise ScenarioError(
                f"{_prefix(_origin_of(origins, (UNCERTAINTIES, key, 'distribution'), top).file)}"
                f"{where}.distribution = {_shown(spec.distribution)} — {key} is a "
                'whole-number setting: use distribution = "integer"'
            )
        for end in _UNCERTAIN_ENDS:
            value = getattr(spec, end)
            problem = None if value is None else _field_problem(root, key, int(value) if whole else value)
            if problem is not None:
                raise ScenarioError(f"{_prefix(ends[end])}{where}.{end} = {_shown(value)} — {key} {problem}")


def _uncertain_settings(
    root: type[BaseModel], scenario: BaseModel, key: str, where: str, file: str | None
) -> list[str]:
    """The settings an uncertainty's key names, after checking it as a `--set` key is checked."""
    path = _parse_key(key.replace(EVERY_ENTRY, "[0]"), where, file)
    _check_key(root, _Override(text=where, key=key, path=path, value=None), file)
    bare = re.sub(r"\[(\d+|\*)\]", "", key)
    if any(bare == name or bare.startswith(name + ".") for name in NOT_UNCERTAIN):
        raise ScenarioError(
            f"{_prefix(file)}{where} — {key} cannot be uncertain: seeds are replications, and "
            "uncertainties are not settings"
        )
    if number_kind(root, key) is None:
        raise ScenarioError(
            f"{_prefix(file)}{where} — {key} is not a number setting; an uncertainty samples numbers "
            "(give a whole-number or decimal setting)"
        )
    try:
        return expand_key(scenario, key)
    except ScenarioError as error:
        raise ScenarioError(f"{_prefix(file)}{where} — {str(error).removeprefix(key + ' — ')}") from None


def _field_problem(root: type[BaseModel], key: str, value: Any) -> str | None:
    """What the setting at `key` allows ('must be a number from 0 to 1') if `value` breaks its own
    constraints, else None. Only the setting itself is checked, not how it combines with others (a
    whole scenario can be valid with an inherited range that clashes with it, e.g. an own-funded
    share below 1 in a scenario without partner banks); such a clash is reported when a robustness
    analysis builds the point that shows it."""
    path = _parse_key(key.replace(EVERY_ENTRY, "[0]"), key, None)
    types_here: list[Any] = [root]
    meta: list[Any] = []
    for segment in path:
        steps = [step for tp in types_here for step in _step(tp, segment)]
        types_here = [child for child, _ in steps]
        meta = [item for _, extra in steps for item in extra]
    annotation: Any = types_here[0] if len(types_here) == 1 else typing.Union[tuple(types_here)]  # noqa: UP007
    if meta:
        annotation = typing.Annotated[annotation, *meta]
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        return _allowed(error, _Located(path=path, types=types_here, parents=[], meta=meta))
    return None
