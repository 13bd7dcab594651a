"""Benchmark: scale invariance — the same real market simulated with few and with many agents.

At a fixed `represents` (the real consumers and SMEs), runs `--small` and `--large` consumer agents
(SMEs a fifth of that) over the same seeds and prints, per mode and headline metric, both means, the
paired difference large − small with its 95 % Student-t interval, and the Holm-adjusted p-value over
every metric and both modes. The represented market defaults to the large run's agent count (one
agent per real borrower there), so the small run is the same world with fewer agents. `--set` adds
scenario overrides (e.g. the binding constraints of tests/model/test_scale_invariance.py).

    python benchmarks/bench_scale.py                                   # 20k vs 200k, 5 seeds, 60 months
    python benchmarks/bench_scale.py --small 20000 --large 80000 --seeds 3 --months 36
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from lendsim.metrics import headline_metrics
from lendsim.scenario import load_scenario
from lendsim.simulate import simulate
from lendsim.statistics import holm, paired_ci, paired_p_value

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--set", dest="sets", action="append", default=[])
    args = parser.parse_args()
    real = [f"population.consumers.represents={args.large}", f"population.smes.represents={args.large // 5}"]
    results: dict[tuple[int, str], list[dict[str, float]]] = {}
    for count in (args.small, args.large):
        scenario = load_scenario(
            ROOT / "scenarios" / "baseline.toml",
            [
                *real,
                f"population.consumers.count={count}",
                f"population.smes.count={count // 5}",
                f"simulation.months={args.months}",
                *args.sets,
            ],
        )
        for mode in ("automated", "hitl"):
            start = time.perf_counter()
            results[count, mode] = [
                headline_metrics(simulate(scenario, mode, s).monthly) for s in range(args.seeds)
            ]
            print(f"{count:>9,} agents  {mode:9s} {time.perf_counter() - start:7.1f} s", flush=True)
    rows, p_values = [], []
    for mode in ("automated", "hitl"):
        few, many = results[args.small, mode], results[args.large, mode]
        for name in few[0]:
            a, b = np.array([h[name] for h in few]), np.array([h[name] for h in many])
            mean, low, high = paired_ci(a, b)
            p = paired_p_value(a, b) if np.ptp(b - a) > 0 else 1.0
            rows.append((mode, name, a.mean(), b.mean(), float(mean), float(low), float(high)))
            p_values.append(1.0 if np.isnan(p) else p)
    adjusted = holm(p_values)
    print(
        f"\n{'mode':9s} {'metric':38s} {'small':>13s} {'large':>13s} "
        f"{'large − small [95 % CI]':>42s} {'Holm p':>7s}"
    )
    for (mode, name, a, b, mean, low, high), p in zip(rows, adjusted, strict=True):
        flag = "  differs" if p < 0.05 else ""
        print(
            f"{mode:9s} {name:38s} {a:13.5g} {b:13.5g} "
            f"{mean:12.4g} [{low:12.4g}, {high:12.4g}] {p:7.3f}{flag}"
        )
    print(f"\nmetrics that differ (Holm p < 0.05): {sum(p < 0.05 for p in adjusted)} of {len(adjusted)}")


if __name__ == "__main__":
    main()
