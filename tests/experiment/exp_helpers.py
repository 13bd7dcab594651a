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


FAILING_CUTOFF = 640
"""The tests sweep underwriting.cutoff=560,640: point 1 is the one with cutoff 640."""
CRASHING_CUTOFF = 560


def failing_simulate(scenario, mode, replication):
    """The real model, except that (cutoff 640 = point 1, replication 0) raises."""
    if scenario.underwriting.cutoff == FAILING_CUTOFF and replication == 0:
        raise RuntimeError("deliberate failure for the test")
    return simulate(scenario, mode, replication)


def slow_simulate(scenario, mode, replication):
    """The real model plus a pause, so a test can interrupt a sweep half-way."""
    time.sleep(float(os.environ.get(SLOW_SECONDS_ENV, "0.25")))
    return simulate(scenario, mode, replication)


def crashing_simulate(scenario, mode, replication):
    """Kill the worker process every time (cutoff 560 = point 0, replication 0) runs; leave a marker.

    Tasks in flight beside it lose their worker too: the executor must rerun them, alone."""
    if scenario.underwriting.cutoff == CRASHING_CUTOFF and replication == 0:
        Path(os.environ[CRASH_MARKER_ENV]).write_text("crashed", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return simulate(scenario, mode, replication)
