"""`lendsim sweep` with a slowed-down real model, as a separate process a test can kill.

Usage: python sweep_slowly.py SCENARIO [sweep options...]. Runs in this process (serial), so the
slow simulator applies; the numbers are the real model's.
"""

from __future__ import annotations

import sys

import exp_helpers
import typer

import lendsim.experiment
from lendsim.cli_experiment import sweep

if __name__ == "__main__":
    lendsim.experiment._default_simulator = lambda: exp_helpers.slow_simulate
    app = typer.Typer(add_completion=False)
    app.command()(sweep)
    app.command("unused")(lambda: None)  # two commands, so "sweep" is named on the command line
    sys.argv[0] = "lendsim"
    app()
