"""Will it fit? Memory and task counts, estimated before any simulation starts.

A run of 20 million borrowers in two worker processes, or a sweep of ten billion design points, is
valid input to the schema but cannot finish on this machine: left alone it would be killed by the
kernel's out-of-memory killer after minutes of work, or build a design that never ends. The
commands call `check_run`, `check_sweep` and `check_sensitivity` right after the scenario is loaded
and before any design is built, any folder written or any task started; a plan that does not fit is
refused with `BudgetError` (exit 2) and the estimate, e.g. "needs ≈ 27 GB of memory, this machine has
23 GB available — use --workers 1".

Where the figures come from (measured, not guessed): the peak resident memory (ru_maxrss) of one
task — both modes of one replication, which is what a worker process runs at a time — in a fresh
process (CPython 3.11, NumPy 2, Linux x86-64), baseline scenario with its 5 : 1 consumers to SMEs:

    borrowers   months   peak RSS    (imports alone: 183 MB)
       24 000       12     209 MB
      240 000       12     335 MB    → 0.58 KB per borrower between 24k and 240k
    1 200 000       12     896 MB    → 0.58 KB per borrower between 240k and 1.2M
       24 000      600     253 MB    → ≈ 75 KB per simulated month, whatever the population

The heaviest settings for memory (everyone applies every month, every borrower probes 50 times, a
review team of 100 000) add 7 % at 240k borrowers, hence 0.65 KB per borrower below. (At commit
d8846b8, before the model's phases moved out of the agents, the same runs took 0.94–0.99 KB.) Each
worker process holds its own copy, so workers multiply the per-process figure. `lendsim run` also
keeps every replication's monthly table until the run folder is written: ≈ 35 KB per seed and
month for both modes (measured with `DataFrame.memory_usage(deep=True)` and pickled size), held up
to three times over while the tables are gathered, concatenated and written. A sweep holds every
point's validated scenario (≈ 32 KB each, measured with tracemalloc) and a little per task.

To measure again: run one task (`lendsim.experiment.run_task`) in a fresh process at two
population sizes and read `resource.getrusage(RUSAGE_SELF).ru_maxrss`; the slope is the figure per
borrower, the intercept the figure per process.

Available memory is psutil's `available` (or MemAvailable in /proc/meminfo), lowered to a cgroup
memory limit when one applies. Set LENDSIM_MEMORY_LIMIT (e.g. `8G`, `512M`, or bytes) to plan
against another figure — a share of a machine used by others, or a machine with swap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lendsim.errors import LendsimError

if TYPE_CHECKING:
    from lendsim.scenario import Scenario

PROCESS_BASE_BYTES = 200_000_000
"""A process that has imported lendsim and its scientific stack (measured 183 MB), plus slack."""
BYTES_PER_BORROWER = 650
"""Peak memory of one task per simulated borrower (measured 0.58 KB, + 10 % for heavy settings)."""
BYTES_PER_MONTH = 80_000
"""Peak memory of one task per simulated month, independent of the population (measured ≈ 75 KB)."""
MONTHLY_BYTES_PER_SEED_MONTH = 35_000
"""Monthly tables of both modes for one seed and month, as `lendsim run` keeps them (measured)."""
MONTHLY_COPIES = 3
"""Copies of the monthly tables alive at once while gathered, concatenated and written."""
BYTES_PER_POINT = 40_000
"""One sweep point: its validated scenario (measured 32 KB) and its row of the design."""
BYTES_PER_TASK = 2_000
"""One sweep task: the task object, its key and its rows of the result tables."""
MAX_TASKS = 100_000
"""Most tasks (design points × seeds) one sweep may have: beyond this it is not an experiment that
finishes on one machine (a day or more at a second a task) and its task files crowd one folder."""

MEMORY_ENV = "LENDSIM_MEMORY_LIMIT"
COUNT_KEYS = ("population.consumers.count", "population.smes.count")
MONTHS_KEY = "simulation.months"
_UNITS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


class BudgetError(LendsimError):
    """The plan cannot fit: too much memory for this machine, or too many tasks."""


@dataclass(frozen=True)
class Available:
    """How much memory a plan may use, and the words that say where the figure comes from."""

    bytes: int
    said: str


# --------------------------------------------------------------------------- the machine


def available_memory() -> Available:
    """Memory available for new work now: LENDSIM_MEMORY_LIMIT, else the machine (and its cgroup)."""
    setting = os.environ.get(MEMORY_ENV, "").strip()
    if setting:
        limit = _parse_size(setting)
        return Available(limit, f"{MEMORY_ENV} allows {_size(limit)}")
    found = _machine_available()
    cgroup = _cgroup_room()
    if cgroup is not None and (found is None or cgroup < found):
        return Available(cgroup, f"this process's memory limit (cgroup) leaves {_size(cgroup)}")
    if found is None:
        return Available(0, "")
    return Available(found, f"this machine has {_size(found)} available")


def _parse_size(text: str) -> int:
    """'8G', '512M', '8GB', '1.5G' or plain bytes → bytes; BudgetError if it is none of those."""
    cleaned = text.upper().removesuffix("B").removesuffix("I").strip()
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in _UNITS else (cleaned, "")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise BudgetError(f"{MEMORY_ENV}={text!r} — must be a size like 8G, 512M or a number of bytes")
    return int(value)


def _machine_available() -> int | None:
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return int(psutil.virtual_memory().available)
        except (OSError, RuntimeError, AttributeError):
            pass
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


_CGROUPS = (  # (folder, limit, usage, reclaimable page cache in memory.stat): v2, then v1
    ("/sys/fs/cgroup", "memory.max", "memory.current", "inactive_file"),
    ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"),
)


def _cgroup_room() -> int | None:
    """Limit minus usage (less reclaimable page cache) of this process's memory cgroup, if it has a
    real limit (a container's); None without one."""
    for folder, limit_file, usage_file, cache_key in _CGROUPS:
        try:
            limit_text = Path(folder, limit_file).read_text(encoding="ascii").strip()
            usage = int(Path(folder, usage_file).read_text(encoding="ascii").strip())
            stats = Path(folder, "memory.stat").read_text(encoding="ascii").split()
        except (OSError, ValueError):
            continue
        if not limit_text.isdigit() or int(limit_text) >= 2**60:  # "max", or v1's "no limit"
            return None
        pairs = dict(zip(stats[::2], stats[1::2], strict=False))
        cache = int(pairs.get(cache_key, "0")) if pairs.get(cache_key, "0").isdigit() else 0
        return max(0, int(limit_text) - max(0, usage - cache))
    return None


# --------------------------------------------------------------------------- estimates


def task_bytes(borrowers: int, months: int) -> int:
    """Peak memory of a fresh process running one task (both modes of one replication)."""
    return PROCESS_BASE_BYTES + BYTES_PER_BORROWER * borrowers + BYTES_PER_MONTH * months


def borrowers_of(scenario: Scenario) -> int:
    population = scenario.population
    return int(population.consumers.count) + int(population.smes.count)


def run_bytes(scenario: Scenario, workers: int) -> int:
    """Memory `lendsim run` needs beyond what this process already holds: the monthly tables it
    keeps, and the tasks — in this process with one worker, else in `workers` fresh processes."""
    months, seeds = int(scenario.simulation.months), int(scenario.simulation.seeds)
    task = task_bytes(borrowers_of(scenario), months)
    tables = MONTHLY_COPIES * MONTHLY_BYTES_PER_SEED_MONTH * seeds * months
    return tables + (task - PROCESS_BASE_BYTES if workers <= 1 else workers * task)


def check_run(scenario: Scenario, workers: int) -> None:
    """Refuse a `lendsim run` that cannot fit in memory, saying what would."""
    available = available_memory()
    need = run_bytes(scenario, workers)
    if not available.bytes or need <= available.bytes:
        return
    months, seeds = int(scenario.simulation.months), int(scenario.simulation.seeds)
    borrowers = borrowers_of(scenario)
    processes = f", {workers} worker processes" if workers > 1 else ""
    what = f"{borrowers} borrowers in {' + '.join(COUNT_KEYS)}, {seeds} seed(s) × {months} months{processes}"
    fits = max((w for w in range(1, workers) if run_bytes(scenario, w) <= available.bytes), default=0)
    if fits:
        advice = f"use --workers {fits} (needs ≈ {_size(run_bytes(scenario, fits))})"
    else:
        tables = MONTHLY_COPIES * MONTHLY_BYTES_PER_SEED_MONTH * seeds * months
        if tables >= available.bytes / 2:
            advice = "use fewer seeds or months (the monthly tables alone need ≈ " + _size(tables) + ")"
        else:
            room = available.bytes - run_bytes(scenario, 1) + BYTES_PER_BORROWER * borrowers
            most = max(0, room) // BYTES_PER_BORROWER
            advice = f"use fewer borrowers (about {_round_down(most)} fit in one process)"
    raise BudgetError(f"this run needs ≈ {_size(need)} of memory ({what}), {available.said} — {advice}")


# --------------------------------------------------------------------------- sweeps


def check_sweep(
    base: Scenario,
    *,
    grid: Sequence[str] | None,
    sample: str | None,
    ranges: Sequence[str] | None,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
) -> None:
    """Refuse a sweep with too many tasks or too much memory, before its design is built.

    Options that do not parse are left alone: building the design reports them in its own words.
    """
    from lendsim.sweep import parse_grid, parse_range, parse_sample

    try:
        if grid and not (sample or ranges):
            axes = [parse_grid(spec) for spec in grid]
            points = math.prod(len(axis.values) for axis in axes)
            extremes = {axis.key: _largest(axis.values) for axis in axes}
            what = f"--grid gives {points} point(s)"
        elif sample and not grid:
            points = parse_sample(sample)
            specs = [parse_range(spec) for spec in ranges or ()]
            extremes = {spec.key: spec.hi for spec in specs}
            what = f"--sample {sample} gives {points} point(s)"
        else:
            return
    except LendsimError:
        return
    _check_design(base, points, what, extremes, executor, workers, scheduler, dask_local)


def check_sensitivity(
    base: Scenario,
    *,
    method: str,
    samples: int,
    ranges: Sequence[Any],
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
) -> None:
    """The same for a sensitivity design: Morris has samples × (k + 1) points, Sobol samples × (k + 2)."""
    if samples < 1 or not ranges:
        return
    per_sample = len(ranges) + (1 if method == "morris" else 2)
    points = samples * per_sample
    what = f"--method {method} --samples {samples} over {len(ranges)} range(s) gives {points} point(s)"
    extremes = {spec.key: spec.hi for spec in ranges}
    _check_design(base, points, what, extremes, executor, workers, scheduler, dask_local)


def _check_design(
    base: Scenario,
    points: int,
    what: str,
    extremes: dict[str, Any],
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
) -> None:
    seeds = int(base.simulation.seeds)
    tasks = points * seeds
    if tasks > MAX_TASKS:
        raise BudgetError(
            f"{what} × {seeds} seed(s) = {tasks} tasks — at most {MAX_TASKS} tasks fit in one sweep; "
            "use fewer points or seeds, or split the design into several sweeps"
        )
    borrowers = sum(_at_most(base, key, extremes) for key in COUNT_KEYS)
    months = _at_most(base, MONTHS_KEY, extremes)
    local = _local_processes(executor, workers, scheduler, dask_local, tasks)
    parent = BYTES_PER_POINT * points + BYTES_PER_TASK * tasks  # beyond what this process holds
    task = task_bytes(borrowers, months)
    if local is None:  # tasks run on a remote Dask cluster
        need = parent
    else:
        need = parent + (task - PROCESS_BASE_BYTES if local == 0 else local * task)
    available = available_memory()
    if not available.bytes or need <= available.bytes:
        return
    processes = f" in {local} worker processes" if local and local > 1 else ""
    fits = max((w for w in range(1, local or 1) if parent + w * task <= available.bytes), default=0)
    advice = (
        f"use --workers {fits}"
        if fits
        else "use fewer borrowers, months or points (a task of "
        f"{borrowers} borrowers × {months} months alone needs ≈ {_size(task)})"
    )
    raise BudgetError(
        f"{what} × {seeds} seed(s), up to {borrowers} borrowers × {months} months a task{processes}: "
        f"needs ≈ {_size(need)} of memory, {available.said} — {advice}"
    )


def _local_processes(
    executor: str | None, workers: int | None, scheduler: str | None, dask_local: int | None, tasks: int
) -> int | None:
    """Worker processes on this machine, as make_executor chooses them: 0 when the tasks run in this
    process, None when they run on a remote Dask cluster (whose memory is not known here)."""
    kind = executor or ("dask" if scheduler is not None or dask_local is not None else "processes")
    if kind == "serial":
        return 0
    if kind == "dask" and scheduler is not None:
        return None
    wanted = (dask_local if kind == "dask" else None) or workers or os.cpu_count() or 1
    return max(1, min(int(wanted), max(1, tasks)))


def _largest(values: Sequence[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return max(numbers) if numbers else None


def _at_most(base: Scenario, key: str, extremes: dict[str, Any]) -> int:
    """The largest value `key` takes in the design: the design's largest, if the schema allows it
    (if not, building the design says so), else the base scenario's value."""
    from lendsim.scenario import with_overrides

    section, *rest = key.split(".")
    value: Any = getattr(base, section)
    for name in rest:
        value = getattr(value, name)
    top = extremes.get(key)  # the design sets the key at every point: its largest value counts
    if isinstance(top, int | float) and not isinstance(top, bool) and math.isfinite(top):
        try:
            with_overrides(base, {key: int(top)})
        except LendsimError:
            return int(value)
        return int(top)
    return int(value)


# --------------------------------------------------------------------------- words


def _size(n: float) -> str:
    """Bytes in decimal units, as people read them: '41 GB', '3.2 GB', '850 MB'."""
    gb = n / 1e9
    if gb >= 10:
        return f"{gb:.0f} GB"
    if gb >= 1:
        return f"{gb:.1f} GB"
    return f"{max(n, 0) / 1e6:.0f} MB"


def _round_down(n: int) -> str:
    """A friendly lower figure: 18734512 → '18 000 000'."""
    if n < 1000:
        return str(n)
    digits = len(str(n)) - 2
    return f"{(n // 10**digits) * 10**digits:,}".replace(",", " ")
