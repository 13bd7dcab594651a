"""Benchmark: how well a sweep uses local worker processes.

Runs the same sweep of the baseline (a grid over `underwriting.cutoff`, both modes per point and
seed) with 1 and with 2 local workers and prints, for each:

- wall time and tasks per second;
- parallel efficiency T1 / (n · Tn) (target ≥ 85 % for n = 2);
- overhead: the share of worker time not spent inside simulate() — process start-up, scheduling,
  pickling, writing task files, idle tail — as 1 − Σ simulate() / (n · wall) (target < 5 %);
- the machine's own ceiling: n plain processes each running simulate() side by side, without
  lendsim's executor, compared with one alone. On shared or memory-bound hardware simulations slow
  each other down; the executor's efficiency cannot beat this ceiling, so it is printed next to it.

It also checks that both runs wrote byte-identical sweep files. Defaults are the issue's 40 points
× 10 seeds at 20k consumers + 4k SMEs × 60 months; use the options for a smaller run.

    python benchmarks/sweep_bench.py
    python benchmarks/sweep_bench.py --points 10 --seeds 4 --consumers 5000 --months 24
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before NumPy loads; workers get the same from the executor

from lendsim.executors import ProcessExecutor  # noqa: E402
from lendsim.scenario import load_scenario  # noqa: E402
from lendsim.sweep import Design, SweepOutcome, run_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def cutoff_design(points: int) -> Design:
    """`points` cutoffs evenly spread over 560–680."""
    step = 120 / max(points - 1, 1)
    values = tuple((round(560 + i * step, 3),) for i in range(points))
    return Design("grid", ("underwriting.cutoff",), values)


def _time_simulations(scenario, replications: range, results) -> None:
    """In a plain spawned process: seconds per task (both modes) over the given replications."""
    from lendsim.simulate import simulate

    started = time.perf_counter()
    for replication in replications:
        for mode in ("automated", "hitl"):
            simulate(scenario, mode, replication)
    results.put((time.perf_counter() - started) / len(replications))


def contention_ceiling(scenario, processes: int, tasks_each: int) -> tuple[float, float]:
    """Seconds per task with one process alone and with `processes` side by side (no executor)."""
    context = multiprocessing.get_context("spawn")
    per_task = []
    for count in (1, processes):
        results = context.Queue()
        workers = [
            context.Process(target=_time_simulations, args=(scenario, range(tasks_each), results))
            for _ in range(count)
        ]
        for worker in workers:
            worker.start()
        times = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
        per_task.append(sum(times) / len(times))
    return per_task[0], per_task[1]


def timed_sweep(scenario, design: Design, workers: int, out: Path) -> tuple[float, SweepOutcome]:
    started = time.perf_counter()
    with ProcessExecutor(workers) as executor:
        outcome = run_sweep(scenario, design, out=out, executor=executor)
    return time.perf_counter() - started, outcome


def report(workers: int, wall_s: float, outcome: SweepOutcome) -> float:
    tasks = outcome.n_tasks
    busy = outcome.simulate_s
    overhead = 1 - busy / (workers * wall_s)
    per_task_wall = workers * wall_s / tasks
    print(
        f"  workers={workers}: wall {wall_s:8.1f} s | {tasks / wall_s:6.2f} tasks/s | "
        f"simulate() per task {busy / tasks:6.3f} s | worker time per task {per_task_wall:6.3f} s | "
        f"overhead {100 * overhead:5.1f} %"
    )
    if outcome.failed:
        print(f"  !! {len(outcome.failed)} tasks failed")
    return overhead


def main() -> None:
    parser = argparse.ArgumentParser(description="Parallel efficiency and overhead of a local sweep.")
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--consumers", type=int, default=20_000)
    parser.add_argument("--smes", type=int, default=None, help="default: consumers / 5")
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    parser.add_argument(
        "--ceiling-tasks", type=int, default=2, help="tasks per process for the ceiling; 0 skips"
    )
    args = parser.parse_args()

    smes = args.smes if args.smes is not None else args.consumers // 5
    scenario = load_scenario(
        args.scenario,
        [
            f"population.consumers.count={args.consumers}",
            f"population.smes.count={smes}",
            f"simulation.months={args.months}",
            f"simulation.seeds={args.seeds}",
        ],
    )
    design = cutoff_design(args.points)
    tasks = args.points * args.seeds
    print(
        f"sweep benchmark: {args.points} points × {args.seeds} seeds = {tasks} tasks (both modes each), "
        f"{args.consumers} consumers + {smes} SMEs × {args.months} months; {os.cpu_count()} cores"
    )
    walls: dict[int, float] = {}
    files: dict[int, bytes] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for workers in args.workers:
            wall_s, outcome = timed_sweep(scenario, design, workers, Path(scratch) / f"w{workers}")
            report(workers, wall_s, outcome)
            walls[workers] = wall_s
            files[workers] = (outcome.folder / "sweep.parquet").read_bytes() + (
                outcome.folder / "sweep_summary.csv"
            ).read_bytes()
    base = min(walls)
    for workers, wall_s in sorted(walls.items()):
        if workers != base:
            efficiency = walls[base] * base / (workers * wall_s)
            print(
                f"  parallel efficiency {base}→{workers} workers: {100 * efficiency:5.1f} % (target ≥ 85 %)"
            )
    most = max(walls)
    if args.ceiling_tasks > 0 and most > 1:
        alone, side_by_side = contention_ceiling(scenario, most, args.ceiling_tasks)
        print(
            f"  machine ceiling: one simulation task {alone:.3f} s alone, {side_by_side:.3f} s with {most} "
            f"side by side (no executor) → best possible efficiency {100 * alone / side_by_side:5.1f} %"
        )
    identical = len(set(files.values())) == 1
    print(f"  results identical across worker counts: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
