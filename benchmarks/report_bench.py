"""How big and how slow is the report of a baseline-sized run?

Fabricates a run folder shaped like the baseline (10 seeds × 120 months × both modes, 12 segments,
every prefixed column; see tests/report/synthetic.py), builds its report and prints the file size
and the build time. The targets are under 10 MB and under 10 s. A script that prints figures, not a
timed test:

    .venv/bin/python benchmarks/report_bench.py [--seeds 10] [--months 120]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lendsim.report import build_report  # noqa: E402
from tests.report.synthetic import BASIC_SEGMENTS, EXTRA_SEGMENTS, fabricate_run_folder  # noqa: E402


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seeds", type=int, default=10)
    options.add_argument("--months", type=int, default=120)
    arguments = options.parse_args()
    segments = BASIC_SEGMENTS + EXTRA_SEGMENTS
    with tempfile.TemporaryDirectory() as scratch:
        folder = fabricate_run_folder(
            Path(scratch) / "run", seeds=arguments.seeds, months=arguments.months, segments=segments
        )
        started = time.perf_counter()
        report = build_report(folder)
        seconds = time.perf_counter() - started
        size_mb = report.stat().st_size / 1e6
    shape = f"{arguments.seeds} seeds × {arguments.months} months × 2 modes × {len(segments)} segments"
    print(f"run folder:  {shape}")
    print(f"report size: {size_mb:.2f} MB (target < 10 MB)")
    print(f"build time:  {seconds:.2f} s (target < 10 s)")


if __name__ == "__main__":
    main()
