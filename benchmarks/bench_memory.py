"""Benchmark: peak memory of one process that runs many simulations in a row.

Mesa 3.3 kept every model alive (its class-level agent-id registry is keyed by model), so a sweep
worker or `lendsim run --seeds 10` grew by one model per simulation. lendsim.mesa_compat and the
collection at the end of `simulate` free each model; this script shows it: it runs `--runs`
simulations (alternating modes, new seed each) at the given size in one fresh process and prints
the peak resident memory after each, then the growth after the third run.

    python benchmarks/bench_memory.py                              # 100k consumers + 20k SMEs
    python benchmarks/bench_memory.py --consumers 20000 --months 12 --runs 20
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from lendsim.scenario import load_scenario
    from lendsim.simulate import simulate

    smes = args.consumers // 5
    scenario = load_scenario(
        ROOT / "scenarios" / "baseline.toml",
        [
            f"population.consumers.count={args.consumers}",
            f"population.smes.count={smes}",
            f"simulation.months={args.months}",
        ],
    )
    print(f"{args.runs} simulations of {args.consumers:,} consumers + {smes:,} SMEs × {args.months} months")
    peaks = []
    for run in range(args.runs):
        started = time.perf_counter()
        simulate(scenario, "hitl" if run % 2 else "automated", run)
        peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(f"  run {run + 1:>2}: {time.perf_counter() - started:5.1f} s, peak RSS {peaks[-1]:7.1f} MB")
    growth = peaks[-1] / peaks[2] - 1
    print(
        f"peak RSS after run 3: {peaks[2]:.1f} MB; after run {args.runs}: {peaks[-1]:.1f} MB ({growth:+.1%})"
    )


if __name__ == "__main__":
    main()
