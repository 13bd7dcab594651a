"""The determinism golden file: summary.csv of one small fixed run, kept in the repository.

    python -m tests.reliability.golden            # compare a fresh run with the golden file
    python -m tests.reliability.golden --write    # record it again (say why in the commit message)

The run: scenarios/baseline.toml with 1,500 consumers, 300 SMEs, 12 months, one seed, both modes,
through `lendsim run` in this process. The file is compared as text, so every float must agree to
the last digit pandas writes (repr precision). Any change of the model, the seeding or the metrics
that moves a number changes the file — on purpose or not: that is the point.
"""

from __future__ import annotations

import argparse
import difflib
import io
import sys
import tempfile
from pathlib import Path

import pandas as pd

GOLDEN = Path(__file__).with_name("golden_summary.csv")
SETTINGS: tuple[str, ...] = (
    "population.consumers.count=1500",
    "population.smes.count=300",
    "simulation.months=12",
    "simulation.seeds=1",
)
REGENERATE = "python -m tests.reliability.golden --write"


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


def differences(expected: str, actual: str) -> str:
    """The cells that differ, as `mode/seed metric: golden → now`, else a line diff."""
    try:
        old = pd.read_csv(io.StringIO(expected), dtype=str).set_index(["mode", "seed"])
        new = pd.read_csv(io.StringIO(actual), dtype=str).set_index(["mode", "seed"])
    except (ValueError, KeyError):
        old = new = None
    if (
        old is not None
        and new is not None
        and old.shape == new.shape
        and list(old.columns) == list(new.columns)
    ):
        cells = [
            f"  {mode}/seed {seed} {column}: {old.at[(mode, seed), column]} → {new.at[(mode, seed), column]}"
            for (mode, seed) in old.index
            for column in old.columns
            if (mode, seed) in new.index and old.at[(mode, seed), column] != new.at[(mode, seed), column]
        ]
        if cells:
            return "\n".join(cells)
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "now"))


def failure_message(expected: str, actual: str) -> str:
    return (
        f"summary.csv of the golden run differs from {GOLDEN.name}:\n{differences(expected, actual)}\n"
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
    if expected != actual:
        print(failure_message(expected, actual), file=sys.stderr)
        return 1
    print(f"{GOLDEN.name}: a fresh run matches, digit for digit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
