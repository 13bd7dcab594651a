"""Benchmark: a whole `lendsim robustness` analysis of the baseline's declared uncertainties.

Runs `lendsim robustness scenarios/baseline.toml` in a fresh process — (samples + 1 central run) ×
seeds tasks, each both modes — and prints the wall time, tasks and simulations per second, and how
the time splits between the simulations and everything after them (PRIM, feature scores, report).
The default is the issue's size: 100 samples × 5 seeds at 20k consumers + 4k SMEs × 60 months on 2
workers (505 tasks, 1010 simulations: expect tens of minutes); shrink it with the flags.

    python benchmarks/bench_robustness.py                                   # the full size
    python benchmarks/bench_robustness.py --samples 10 --seeds 2            # a quick look
    python benchmarks/bench_robustness.py --samples 10 --seeds 2 --consumers 5000 --months 24
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lendsim.contract import MANIFEST_FILE, SWEEP_FILE

ROOT = Path(__file__).resolve().parent.parent
MODES = 2


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--consumers", type=int, default=20_000)
    parser.add_argument("--smes", type=int, default=None, help="Default: a fifth of --consumers.")
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-report", action="store_true", help="Skip report.html.")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument("--set", dest="sets", action="append", default=[], help="Extra KEY=VALUE overrides.")
    args = parser.parse_args()
    smes = args.smes if args.smes is not None else args.consumers // 5
    tasks = (args.samples + 1) * args.seeds
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "robustness"
        command = [
            sys.executable,
            "-m",
            "lendsim.cli",
            "robustness",
            args.scenario,
            "--samples",
            str(args.samples),
            "--seeds",
            str(args.seeds),
            "--months",
            str(args.months),
            "--workers",
            str(args.workers),
            "--set",
            f"population.consumers.count={args.consumers}",
            "--set",
            f"population.smes.count={smes}",
            "--out",
            str(out),
            "--quiet",
            *(["--no-report"] if args.no_report else []),
            *[x for s in args.sets for x in ("--set", s)],
        ]
        print(
            f"lendsim robustness: {args.samples} samples (+ central) × {args.seeds} seeds = {tasks} tasks, "
            f"{args.consumers} consumers + {smes} SMEs × {args.months} months, {args.workers} workers",
            flush=True,
        )
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"lendsim robustness failed (status {done.returncode})")
        manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
        analysis_s, report_s = _time_analysis(args, smes, out)
    agents = args.consumers + smes
    print(f"wall time            {wall:10.1f} s")
    print(f"tasks per second     {tasks / wall:10.2f}   ({tasks} tasks, {tasks * MODES} simulations)")
    print(f"simulations per s    {tasks * MODES / wall:10.2f}")
    print(f"agent-months per s   {agents * args.months * MODES * tasks / wall:10,.0f}")
    print(f"sweep + analysis     {manifest['wall_time_s']:10.1f} s   (from the manifest)")
    print(f"  of which analysis  {analysis_s:10.1f} s   (PRIM + feature scores, timed again here)")
    print(f"report.html          {report_s:10.1f} s   (built again here)")


def _time_analysis(args: argparse.Namespace, smes: int, out: Path) -> tuple[float, float]:
    """The analysis and the report once more, in this process, on the folder's own rows."""
    import pandas as pd

    from lendsim.report.robustness import build_robustness_report
    from lendsim.robustness import analyse, robustness_plan
    from lendsim.scenario import load_scenario, with_overrides

    sets = [
        f"population.consumers.count={args.consumers}",
        f"population.smes.count={smes}",
        f"simulation.months={args.months}",
        *args.sets,
    ]
    base = with_overrides(load_scenario(args.scenario, sets), {"simulation.seeds": args.seeds})
    plan = robustness_plan(base, args.samples)
    rows = pd.read_parquet(out / SWEEP_FILE)
    started = time.perf_counter()
    analyse(rows, plan, base.simulation.seed)
    analysis_s = time.perf_counter() - started
    started = time.perf_counter()
    build_robustness_report(out)
    return analysis_s, time.perf_counter() - started


if __name__ == "__main__":
    main()
