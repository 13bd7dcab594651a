"""Benchmark: the whole `lendsim run` process on the baseline at growing population sizes.

For each size (consumers, + 20 % as many SMEs) × 120 months × both modes × one seed, runs
`lendsim run` in a fresh process and prints wall time, agent-months per second (borrowers × months
× 2 modes / wall time) and the peak resident memory of that process. Cost should grow linearly with
the population; the issue's target is < 60 s and < 2 GB at 100k consumers.

    python benchmarks/bench_model.py                       # 10k, 100k, 1M
    python benchmarks/bench_model.py --sizes 10000 100000 --months 60
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = 2


def run_once(consumers: int, months: int, extra: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `lendsim run` process."""
    smes = consumers // 5
    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable,
            "-m",
            "lendsim.cli",
            "run",
            str(ROOT / "scenarios" / "baseline.toml"),
            "--seeds",
            "1",
            "--months",
            str(months),
            "--out",
            str(Path(out) / "run"),
            "--quiet",
            "--set",
            f"population.consumers.count={consumers}",
            "--set",
            f"population.smes.count={smes}",
            *extra,
        ]
        pid_start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - pid_start
        if status != 0:
            raise SystemExit(f"lendsim run failed for {consumers} consumers (status {status})")
    return wall, usage.ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--no-report", action="store_true", help="Skip report.html (time the model alone).")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="Extra KEY=VALUE overrides.")
    args = parser.parse_args()
    extra = (["--no-report"] if args.no_report else []) + [x for s in args.sets for x in ("--set", s)]
    print(f"baseline × {args.months} months × {MODES} modes × 1 seed, one `lendsim run` process per size")
    header = ("consumers", "smes", "wall_s", "agent_months_per_s", "peak_rss_mb", "s_per_100k")
    widths = (10, 8, 8, 20, 12, 11)
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, widths, strict=True)))
    for consumers in args.sizes:
        wall, rss = run_once(consumers, args.months, extra)
        agents = consumers + consumers // 5
        rate = agents * args.months * MODES / wall
        print(
            f"{consumers:>10} {consumers // 5:>8} {wall:>8.1f} {rate:>20,.0f} {rss:>12.0f} "
            f"{wall / agents * 1e5:>11.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
