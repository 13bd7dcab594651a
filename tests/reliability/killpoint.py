"""Run the `lendsim` command line and signal itself at a chosen point of writing the run folder.

    python -m tests.reliability.killpoint POINT SIGNAL -- run SCENARIO --out DIR ...
    python -m tests.reliability.killpoint task-saved:4 SIGINT -- sweep SCENARIO --out DIR ...

POINT is one of KILL_POINTS (a run) or SWEEP_KILL_POINTS (a sweep or sensitivity analysis, some
with ":N", the Nth finished task); SIGNAL is SIGKILL (the process vanishes there) or SIGINT (Ctrl-C:
a KeyboardInterrupt is raised there). The moments are chosen where an interruption hurts most — a
file half written, the folder complete but not yet renamed, the old folder moved aside but the new
one not yet in place, the report written but not renamed; for sweeps, the last task just saved,
tasks landing inside the process pool, the final tables written but not the sensitivity indices —
so test_interruption can check each one deterministically instead of hoping a random delay hits a
window a few milliseconds wide.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

KILL_POINTS = ("summary-written", "monthly-half-written", "before-rename", "mid-swap", "report-written")
SWEEP_KILL_POINTS = ("task-saved", "pool-wait", "before-indices")


STAMP_ENV = "LENDSIM_KILLPOINT_STAMP"
"""If set, the file where the moment of the signal is written (time.time()), so a test can tell
how long the process took to end after it."""


def send(sig: signal.Signals) -> None:
    stamp = os.environ.get(STAMP_ENV)
    if stamp:
        Path(stamp).write_text(repr(time.time()), encoding="utf-8")
    os.kill(os.getpid(), sig)


def die(sig: signal.Signals) -> None:
    send(sig)
    time.sleep(5)  # SIGINT raises KeyboardInterrupt here; SIGKILL never returns
    raise SystemExit("the signal did not arrive")


def install_sweep(point: str, count: int, sig: signal.Signals) -> None:
    """task-saved:N — right after the Nth task file is saved; pool-wait:N — when the process pool
    reports the Nth finished task, inside executor code that holds Ctrl-C back (so the signal is
    only sent; the executor must act on it); before-indices — the final tables are written, the
    sensitivity indices not yet."""
    import lendsim.cli_experiment as cli_experiment
    import lendsim.executors as executors
    import lendsim.store as store

    if point == "task-saved":
        real_write = store.SweepFolder.write_task
        saved = []

        def write_task(self: Any, *args: Any, **kwargs: Any) -> None:
            real_write(self, *args, **kwargs)
            saved.append(1)
            if len(saved) == count:
                die(sig)

        store.SweepFolder.write_task = write_task  # type: ignore[method-assign]
    elif point == "pool-wait":
        real_wait = executors.wait
        finished = []

        def wait(futures: Any, *args: Any, **kwargs: Any) -> Any:
            done, not_done = real_wait(futures, *args, **kwargs)
            before = len(finished)
            finished.extend(done)
            if before < count <= len(finished):
                send(sig)
                if sig == signal.SIGKILL:
                    time.sleep(5)
            return done, not_done

        executors.wait = wait
    elif point == "before-indices":
        real_write = cli_experiment.write_sensitivity

        def write_sensitivity(*args: Any, **kwargs: Any) -> Any:
            die(sig)
            return real_write(*args, **kwargs)

        cli_experiment.write_sensitivity = write_sensitivity
    else:
        raise SystemExit(f"unknown kill point {point!r}; one of {', '.join(SWEEP_KILL_POINTS)}")


def install(point: str, sig: signal.Signals) -> None:
    name, _, count = point.partition(":")
    if name in SWEEP_KILL_POINTS:
        install_sweep(name, int(count or 0), sig)
        return

    import pandas as pd

    import lendsim.store as store

    in_staging = lambda path: Path(path).parent.name.endswith(store.TMP_SUFFIX)  # noqa: E731

    if point == "summary-written":
        real_csv = pd.DataFrame.to_csv

        def to_csv(self: pd.DataFrame, path: Any = None, *args: Any, **kwargs: Any) -> Any:
            result = real_csv(self, path, *args, **kwargs)
            if path is not None and Path(path).name == "summary.csv" and in_staging(path):
                die(sig)
            return result

        pd.DataFrame.to_csv = to_csv  # type: ignore[method-assign]
    elif point == "monthly-half-written":
        real_parquet = pd.DataFrame.to_parquet

        def to_parquet(self: pd.DataFrame, path: Any = None, *args: Any, **kwargs: Any) -> Any:
            result = real_parquet(self, path, *args, **kwargs)
            if path is not None and Path(path).name == "monthly.parquet" and in_staging(path):
                size = Path(path).stat().st_size
                os.truncate(path, size // 2)
                die(sig)
            return result

        pd.DataFrame.to_parquet = to_parquet  # type: ignore[method-assign]
    elif point in ("before-rename", "mid-swap"):
        real_swap = store._swap_into_place

        def swap(staging: Path, out_dir: Path) -> None:
            if point == "before-rename":
                die(sig)
            real_replace = os.replace
            calls = []

            def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
                calls.append(src)
                if Path(src) == Path(staging):  # the old folder (if any) is already aside
                    die(sig)
                real_replace(src, dst, *args, **kwargs)

            os.replace = replace
            try:
                real_swap(staging, out_dir)
            finally:
                os.replace = real_replace

        store._swap_into_place = swap
    elif point == "report-written":

        class DyingOs(types.SimpleNamespace):
            def __getattr__(self, name: str) -> Any:
                return getattr(os, name)

            @staticmethod
            def replace(src: Any, dst: Any) -> None:
                die(sig)

        store.os = DyingOs()  # type: ignore[attr-defined]  # the report is written by store.write_atomic
    else:
        raise SystemExit(f"unknown kill point {point!r}; one of {', '.join(KILL_POINTS)}")


def main(argv: list[str]) -> None:
    point, signal_name, separator, *args = argv
    assert separator == "--", "usage: killpoint POINT SIGNAL -- LENDSIM-ARGS"
    install(point, signal.Signals[signal_name])
    from lendsim.cli import main as lendsim_main

    sys.argv = ["lendsim", *args]
    lendsim_main()


if __name__ == "__main__":
    main(sys.argv[1:])
