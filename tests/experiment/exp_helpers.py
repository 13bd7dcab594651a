"""Simulators for tests: the real model wrapped to be slow, to fail, or to kill its worker once.

Module-level functions, importable by spawned worker processes (conftest puts this folder on
sys.path, which spawn passes on) and by Dask workers (started with PYTHONPATH set to it).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from lendsim.simulate import simulate

CRASH_MARKER_ENV = "LENDSIM_TEST_CRASH_MARKER"
SLOW_SECONDS_ENV = "LENDSIM_TEST_SLOW_SECONDS"


def failing_simulate(scenario, mode, replication, point=0):
    """The real model, except that (point 1, replication 0) raises."""
    if point == 1 and replication == 0:
        raise RuntimeError("deliberate failure for the test")
    return simulate(scenario, mode, replication, point=point)


def slow_simulate(scenario, mode, replication, point=0):
    """The real model plus a pause, so a test can interrupt a sweep half-way."""
    time.sleep(float(os.environ.get(SLOW_SECONDS_ENV, "0.25")))
    return simulate(scenario, mode, replication, point=point)


def crashing_simulate(scenario, mode, replication, point=0):
    """Kill the worker process every time (point 0, replication 0) runs; leave a marker that it did.

    Tasks in flight beside it lose their worker too: the executor must rerun them, alone."""
    if point == 0 and replication == 0:
        Path(os.environ[CRASH_MARKER_ENV]).write_text("crashed", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return simulate(scenario, mode, replication, point=point)
