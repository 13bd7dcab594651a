"""The determinism golden file: summary.csv of one small fixed run, kept in the repository.

    python -m tests.reliability.golden            # compare a fresh run with the golden file
    python -m tests.reliability.golden --write    # record it again (say why in the commit message)

The run: scenarios/baseline.toml with 1,500 consumers, 300 SMEs, 12 months (default horizon 6),
one seed, both modes, through `lendsim run` in this process. Every number must agree with the file
within a relative tolerance of RTOL (1e-9): floating-point sums differ in their last bits across
CPUs (AVX2 against AVX-512 kernels) and library builds, so digit-for-digit equality can only be
promised on the same machine with the same locked versions (tests/experiment check that). A real
change of the model, the seeding or a metric moves numbers by far more than 1e-9 and fails loudly,
naming each cell.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).with_name("golden_summary.csv")
SETTINGS: tuple[str, ...] = (
    "population.consumers.count=1500",
    "population.smes.count=300",
    "simulation.months=12",
    "simulation.seeds=1",
    "simulation.default_horizon_months=6",
)
REGENERATE = "python -m tests.reliability.golden --write"
RTOL = 1e-9
"""Relative tolerance: far above cross-CPU round-off (≈ 1e-15), far below any modelled effect."""


def fresh_summary_csv() -> str:
    """summary.csv of the golden run, written by `lendsim run` exactly as in a run folder."""
    from typer.testing import CliRunner

    from lendsim.cli import app

    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "golden"
        args = ["run", str(scenario), "--out", str(out), "--no-report", "--quiet", "--workers", "1"]
        args += [x for setting in SETTINGS for x in ("--set", setting)]
        result = CliRunner().invoke(app, args)
        if result.exit_code != 0:
            raise RuntimeError(
                f"the golden run failed (exit {result.exit_code}): {result.stderr}"
            ) from result.exception
        return (out / "summary.csv").read_text(encoding="utf-8")


def differences(expected: str, actual: str, rtol: float = RTOL) -> list[str]:
    """Every way `actual` departs from `expected`: layout (columns, rows) exactly, numbers within
    `rtol` relative to the golden value (exactly where the golden value is 0). Empty = they agree."""
    old = pd.read_csv(io.StringIO(expected)).set_index(["mode", "seed"]).sort_index()
    new = pd.read_csv(io.StringIO(actual)).set_index(["mode", "seed"]).sort_index()
    if list(old.columns) != list(new.columns):
        return [f"  columns: {list(old.columns)} → {list(new.columns)}"]
    if list(old.index) != list(new.index):
        return [f"  rows (mode, seed): {list(old.index)} → {list(new.index)}"]
    a, b = old.to_numpy(dtype="float64"), new.to_numpy(dtype="float64")
    ok = np.isclose(b, a, rtol=rtol, atol=0.0) | (np.isnan(a) & np.isnan(b))
    return [
        f"  {mode}/seed {seed} {column}: {a[i, j]!r} → {b[i, j]!r} "
        f"(relative change {relative_change(a[i, j], b[i, j]):.2e})"
        for i, (mode, seed) in enumerate(old.index)
        for j, column in enumerate(old.columns)
        if not ok[i, j]
    ]


def relative_change(golden_value: float, value: float) -> float:
    if golden_value == value:
        return 0.0
    return abs(value - golden_value) / abs(golden_value) if golden_value else float("inf")


def largest_relative_change(expected: str, actual: str) -> float:
    """The largest relative departure of any number from the golden file (0.0 = digit for digit)."""
    old = pd.read_csv(io.StringIO(expected)).set_index(["mode", "seed"]).sort_index()
    new = pd.read_csv(io.StringIO(actual)).set_index(["mode", "seed"]).sort_index()
    pairs = zip(old.to_numpy(dtype="float64").ravel(), new.to_numpy(dtype="float64").ravel(), strict=True)
    return max((relative_change(a, b) for a, b in pairs), default=0.0)


def failure_message(expected: str, actual: str) -> str:
    cells = "\n".join(differences(expected, actual))
    return (
        f"summary.csv of the golden run departs from {GOLDEN.name} by more than rtol={RTOL:g}:\n{cells}\n"
        "If the change is intended (the model, the seeding or a metric changed on purpose), record "
        f"the file again with `{REGENERATE}` and give the reason in the commit message. If not, "
        "something made the simulation non-deterministic or changed its numbers by accident."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="record the golden file from a fresh run")
    args = parser.parse_args(argv)
    actual = fresh_summary_csv()
    if args.write:
        GOLDEN.write_text(actual, encoding="utf-8")
        print(f"wrote {GOLDEN} — give the reason for the new numbers in the commit message")
        return 0
    if not GOLDEN.exists():
        print(f"{GOLDEN} does not exist; record it with `{REGENERATE}`", file=sys.stderr)
        return 1
    expected = GOLDEN.read_text(encoding="utf-8")
    if differences(expected, actual):
        print(failure_message(expected, actual), file=sys.stderr)
        return 1
    change = largest_relative_change(expected, actual)
    how = "digit for digit" if change == 0 else f"within rtol {RTOL:g} (largest relative change {change:.1e})"
    print(f"{GOLDEN.name}: a fresh run matches, {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
