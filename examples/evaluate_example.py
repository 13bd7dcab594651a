"""lendsim as a plain function: drive `lendsim.experiment.evaluate` from your own experiment code.

`evaluate(scenario, overrides, seed)` runs the automated and the HITL mode once (same seed, common
random numbers) and returns `{mode: {metric: value}}`. It is a module-level function of picklable
arguments, so a process pool, EMA Workbench (wrap it in a function of keyword arguments) or Mesa's
batch_run-style loops can call it — this script shows the first, with a flat wrapper of the kind
EMA Workbench expects.

    python examples/evaluate_example.py                       # baseline, full size
    python examples/evaluate_example.py --set population.consumers.count=2000 --workers 2
"""

from __future__ import annotations

import argparse
import functools
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from lendsim.experiment import evaluate
from lendsim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
CUTOFFS = (560, 600, 640, 680)
SEEDS = (0, 1)


def lendsim_model(scenario, cutoff: float = 600, reviewers: int = 2, seed: int = 0) -> dict[str, float]:
    """A flat function of named inputs returning named outcomes — the shape EMA Workbench wants."""
    result = evaluate(
        scenario, {"underwriting.cutoff": cutoff, "underwriting.hitl.reviewers": reviewers}, seed
    )
    return {
        f"{mode}_{metric}": value for mode, metrics in result.items() for metric, value in metrics.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(BASELINE))
    parser.add_argument("--set", dest="sets", action="append", default=[], help="KEY=VALUE override")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    scenario = load_scenario(args.scenario, args.sets)  # a frozen pydantic model: pickles cheaply
    model = functools.partial(lendsim_model, scenario)
    cases = [(cutoff, seed) for cutoff in CUTOFFS for seed in SEEDS]
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        outcomes = list(pool.map(functools.partial(_run_case, model), cases))

    columns = ("automated_approval_rate", "hitl_approval_rate", "automated_default_rate", "hitl_default_rate")
    print("cutoff seed " + " ".join(f"{c:>23}" for c in columns))
    for (cutoff, seed), out in zip(cases, outcomes, strict=True):
        print(f"{cutoff:>6} {seed:>4} " + " ".join(f"{out[c]:>23.4f}" for c in columns))
    # Same arguments, same numbers — in this process or any other.
    again = model(cutoff=CUTOFFS[0], seed=SEEDS[0])
    assert again == outcomes[0], "evaluate() must be reproducible"
    print("reproducible: yes")


def _run_case(model, case: tuple[float, int]) -> dict[str, float]:
    cutoff, seed = case
    return model(cutoff=cutoff, seed=seed)


if __name__ == "__main__":
    main()
