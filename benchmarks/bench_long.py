"""Benchmark: long horizons and large populations, with the accounting identity checked at the end.

Cases (baseline scenario, one seed, each mode in a fresh process via `lendsim.simulate.simulate`):

    long   600 months × 100,000 consumers + 20,000 SMEs
    large  120 months × 1,000,000 consumers + 200,000 SMEs
    quick  120 months × 20,000 consumers + 4,000 SMEs      (--quick: a check that the script works)

For each (case, mode) the child process reports wall time, peak resident memory (VmHWM of the child,
from /proc/self/status; ru_maxrss of the children as a fallback), the resident memory after the
imports (so the model's own share can be told apart), RSS per borrower-month and per borrower, and
the largest error of the loan-book identity over the months, relative to the largest book:

    book_rmb(m) − book_rmb(m−1) = volume_originated − principal_repaid_rmb − write_offs_rmb  ("all" rows)

and of the capital identity (capital moves by platform_profit). A relative error above 1e-9 is
flagged. Memory should grow linearly with the population, like benchmarks/bench_model.py's figures.

    python benchmarks/bench_long.py --quick
    python benchmarks/bench_long.py                      # long and large (several minutes)
    python benchmarks/bench_long.py --cases long --modes hitl
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES: dict[str, tuple[int, int]] = {  # name: (months, consumers); SMEs are 20 % of consumers
    "quick": (120, 20_000),
    "long": (600, 100_000),
    "large": (120, 1_000_000),
}
MODES = ("automated", "hitl")
TOLERANCE = 1e-9


def _status_kb(field: str) -> float:
    """A field of /proc/self/status in kB (VmHWM: peak resident set; VmRSS: current)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return float("nan")


def child(case: str, mode: str, months: int, consumers: int) -> None:
    """Run one (case, mode) in this process and print one JSON line of figures."""
    import numpy as np

    from lendsim.scenario import load_scenario, with_overrides
    from lendsim.simulate import simulate

    smes = consumers // 5
    scenario = with_overrides(
        load_scenario(ROOT / "scenarios" / "baseline.toml"),
        {
            "simulation.months": months,
            "simulation.seeds": 1,
            "population.consumers.count": consumers,
            "population.smes.count": smes,
        },
    )
    rss_after_imports_kb = _status_kb("VmRSS")
    started = time.perf_counter()
    result = simulate(scenario, mode, 0)
    wall = time.perf_counter() - started

    monthly = result.monthly
    t = monthly[monthly["segment"] == "all"].sort_values("month")
    book = t["book_rmb"].to_numpy()
    flows = (t["volume_originated"] - t["principal_repaid_rmb"] - t["write_offs_rmb"]).to_numpy()
    book_error = float(np.abs(np.diff(book, prepend=0.0) - flows).max())
    capital = t["capital_rmb"].to_numpy()
    start = scenario.platform.capital_rmb
    capital_error = float(np.abs(np.diff(capital, prepend=start) - t["platform_profit"].to_numpy()).max())
    numeric = monthly.select_dtypes("number").to_numpy(dtype=float)
    print(
        json.dumps(
            {
                "case": case,
                "mode": mode,
                "months": months,
                "consumers": consumers,
                "smes": smes,
                "wall_s": wall,
                "peak_rss_kb": _status_kb("VmHWM"),
                "rss_after_imports_kb": rss_after_imports_kb,
                "book_max_abs_error_rmb": book_error,
                "book_max_rmb": float(np.abs(book).max(initial=0.0)),
                "capital_max_abs_error_rmb": capital_error,
                "capital_scale_rmb": float(abs(start) + np.abs(t["platform_profit"]).sum()),
                "nonfinite_cells": int((~np.isfinite(numeric)).sum()),
                "loans_originated": float(result.summary["loans_originated"]),
            }
        ),
        flush=True,
    )


def run_child(case: str, mode: str) -> dict:
    months, consumers = CASES[case]
    command = [sys.executable, __file__, "--child", case, mode, str(months), str(consumers)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    process_wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{case}/{mode} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = process_wall
    if figures["peak_rss_kb"] != figures["peak_rss_kb"]:  # no /proc: the children's ru_maxrss
        figures["peak_rss_kb"] = float(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return figures


def report(f: dict) -> str:
    borrowers = f["consumers"] + f["smes"]
    borrower_months = borrowers * f["months"]
    peak_mb = f["peak_rss_kb"] / 1024
    model_mb = (f["peak_rss_kb"] - f["rss_after_imports_kb"]) / 1024
    book_rel = f["book_max_abs_error_rmb"] / max(f["book_max_rmb"], 1.0)
    capital_rel = f["capital_max_abs_error_rmb"] / max(f["capital_scale_rmb"], 1.0)
    flag = "ok" if max(book_rel, capital_rel) <= TOLERANCE and f["nonfinite_cells"] == 0 else "CHECK"
    return (
        f"{f['case']:>6} {f['mode']:>9} {f['months']:>6} {borrowers:>9,} {f['wall_s']:>8.1f} "
        f"{f['process_wall_s']:>8.1f} {borrower_months / f['wall_s']:>13,.0f} "
        f"{peak_mb:>8.0f} {model_mb:>8.0f} "
        f"{f['peak_rss_kb'] * 1024 / borrower_months:>9.2f} {model_mb * 1024 * 1024 / borrowers:>8.0f} "
        f"{book_rel:>10.1e} {capital_rel:>10.1e} {flag:>5}"
    )


HEADER = (
    f"{'case':>6} {'mode':>9} {'months':>6} {'borrowers':>9} {'model_s':>8} {'proc_s':>8} "
    f"{'b-months/s':>13} {'peak_MB':>8} {'model_MB':>8} {'B/b-month':>9} {'B/borr.':>8} "
    f"{'book_err':>10} {'cap_err':>10} {'check':>5}"
)
LEGEND = """\
model_s: simulate() wall time; proc_s: the whole child process (imports, scenario, simulate, checks)
b-months/s: borrower-months simulated per second of model_s (one mode)
peak_MB: peak RSS of the child (VmHWM); model_MB: peak RSS minus RSS after the imports
B/b-month: peak RSS per borrower-month (bytes); B/borr.: model_MB per borrower (bytes)
book_err / cap_err: largest monthly error of the loan-book / capital identity, relative to the
largest book / the capital scale; 'check' flags > 1e-9 or any NaN/inf in the monthly table"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="only the quick case (120 months × 20k)")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=None)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--child", nargs=4, metavar=("CASE", "MODE", "MONTHS", "CONSUMERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        case, mode, months, consumers = args.child
        child(case, mode, int(months), int(consumers))
        return
    cases = ["quick"] if args.quick else args.cases or ["long", "large"]
    python = sys.version.split()[0]
    print(f"baseline, one seed, each mode in a fresh process; python {python}, {os.cpu_count()} cores")
    print(HEADER, flush=True)
    failed = False
    for case in cases:
        for mode in args.modes:
            figures = run_child(case, mode)
            line = report(figures)
            failed |= line.endswith("CHECK")
            print(line, flush=True)
    print(LEGEND)
    if failed:
        raise SystemExit("accounting identity or finiteness check failed (see 'check')")


if __name__ == "__main__":
    main()
