"""lendsim as an EMA Workbench model: uncertainties from the scenario, levers you name, headline outcomes.

The EMA Workbench (Kwakkel 2017, github.com/quaquel/EMAworkbench) keeps what is not known (its
*uncertainties*) apart from what a decision-maker chooses (its *levers*, or policies) and runs a
model over both with serial or parallel evaluators, then offers scenario discovery, feature scoring
and many-objective search on the results. `lendsim_model` hands it lendsim:

- uncertainties: the scenario's own `[uncertainties]`, each an EMA parameter of the same name (the
  dotted key) and distribution — uniform → RealParameter, triangular → RealParameter.from_dist,
  integer → IntegerParameter;
- levers: the policy settings the caller names, `{key: (low, high)}` for a range (whole numbers
  for a whole-number setting) or `{key: [v1, v2, ...]}` for a list of choices;
- outcomes: for each headline metric, `<metric>_automated`, `<metric>_hitl` (means over the seeds)
  and `<metric>_difference` (the mean paired difference HITL − automated).

Each experiment runs both modes for replications 0..seeds−1 with the seeds of every lendsim run,
SeedSequence([simulation.seed, r]) — the same for every experiment, so differences between
experiments are the effect of the settings, not luck (common random numbers). The model's function
is a picklable object, so EMA's MultiprocessingEvaluator can ship it to worker processes.

Needs the optional extra: `pip install 'lendsim[ema]'`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lendsim import MODES
from lendsim.errors import ScenarioError
from lendsim.experiment import Simulator, Task, run_task
from lendsim.metrics import headline_names
from lendsim.robustness import EMA_MISSING, quiet_ema, uncertainty_space

if TYPE_CHECKING:
    from lendsim.scenario import Scenario
    from lendsim.scenario.schema import Uncertainty

__all__ = ["DIFFERENCE", "LendsimFunction", "lendsim_model", "outcome_name"]

DIFFERENCE = "difference"
OUTCOME_KINDS: tuple[str, ...] = (*MODES, DIFFERENCE)
MODEL_NAME = "lendsim"

LeverSpec = tuple[float, float] | Sequence[Any]
"""(low, high) for a range of a number setting, or a list of the values a setting may take."""


def outcome_name(metric: str, kind: str) -> str:
    """'credit_losses_hitl': the outcome of `metric` in mode `kind` (or 'difference')."""
    return f"{metric}_{kind}"


def _ema() -> Any:
    """The ema_workbench package, imported quietly; ImportError saying how to install it."""
    try:
        with quiet_ema():
            import ema_workbench
    except ImportError as error:
        raise ImportError(EMA_MISSING) from error
    return ema_workbench


@dataclass(frozen=True)
class LendsimFunction:
    """The model EMA calls: `function(**{key: value})` → `{outcome name: value}`.

    Keys are dotted scenario keys (an uncertainty's `[*]` sets every entry of that array). A plain,
    frozen object holding the scenario, so it pickles into EMA's worker processes.
    """

    scenario: Scenario
    seeds: int
    metrics: tuple[str, ...]
    simulator: Simulator | None = None

    def __call__(self, **values: Any) -> dict[str, float]:
        from lendsim.scenario import with_overrides
        from lendsim.scenario.loader import expand_key

        overrides = {
            setting: value for key, value in values.items() for setting in expand_key(self.scenario, key)
        }
        scenario = with_overrides(self.scenario, overrides) if overrides else self.scenario
        per_seed: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        for replication in range(self.seeds):
            result = run_task(Task(0, replication, scenario, simulator=self.simulator))
            records = result.summary.set_index("mode")
            for mode in MODES:
                per_seed[mode].append({m: float(records.at[mode, m]) for m in self.metrics})
        outcomes: dict[str, float] = {}
        for metric in self.metrics:
            automated = np.array([row[metric] for row in per_seed[MODES[0]]])
            hitl = np.array([row[metric] for row in per_seed[MODES[1]]])
            outcomes[outcome_name(metric, MODES[0])] = float(automated.mean())
            outcomes[outcome_name(metric, MODES[1])] = float(hitl.mean())
            outcomes[outcome_name(metric, DIFFERENCE)] = float((hitl - automated).mean())
        return outcomes


def uncertainty_parameter(key: str, spec: Uncertainty) -> Any:
    """The EMA parameter of one declared uncertainty, named by its key, with its distribution."""
    ema = _ema()
    if spec.distribution == "integer":
        return ema.IntegerParameter(key, int(spec.low), int(spec.high))
    if spec.distribution == "triangular":
        from scipy import stats

        mode = float(spec.mode if spec.mode is not None else spec.low)
        width = float(spec.high) - float(spec.low)
        return ema.RealParameter.from_dist(
            key, stats.triang((mode - spec.low) / width, loc=spec.low, scale=width)
        )
    return ema.RealParameter(key, float(spec.low), float(spec.high))


def lever_parameter(scenario: Scenario, key: str, spec: LeverSpec) -> Any:
    """The EMA parameter of one lever, after checking the key and its values like `--set` does."""
    from lendsim.scenario import with_overrides
    from lendsim.scenario.loader import expand_key, number_kind

    ema = _ema()
    where = f"lever {key}"
    try:
        settings = expand_key(scenario, key)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: {error}") from None
    is_range = isinstance(spec, tuple) and len(spec) == 2
    values = list(spec)
    if not values:
        raise ScenarioError(f"{where}: give (low, high) or a list of values, not an empty list")
    for value in values:
        try:
            with_overrides(scenario, dict.fromkeys(settings, value), source=where)
        except ScenarioError as error:
            raise ScenarioError(str(error)) from None
    if not is_range:
        return ema.CategoricalParameter(key, values)
    low, high = spec  # type: ignore[misc]
    if not (isinstance(low, int | float) and isinstance(high, int | float) and low < high):
        raise ScenarioError(f"{where}: a range is (low, high) with low < high, got {spec!r}")
    if number_kind(type(scenario), key) == "whole":
        return ema.IntegerParameter(key, int(low), int(high))
    return ema.RealParameter(key, float(low), float(high))


def lendsim_model(
    scenario: Scenario,
    *,
    levers: Mapping[str, LeverSpec] | None = None,
    metrics: Sequence[str] | None = None,
    seeds: int | None = None,
    name: str = MODEL_NAME,
    simulator: Simulator | None = None,
) -> Any:
    """An `ema_workbench.Model` of `scenario`: its [uncertainties], the given levers, and the
    automated, HITL and difference outcome of each metric (default: every headline metric).

    seeds: replications per experiment (default `simulation.seeds`). Raises ScenarioError for a
    lever that is not a setting, has a value the setting refuses, or is also an uncertainty, and
    OptionError when the scenario declares no uncertainties.
    """
    ema = _ema()
    space = uncertainty_space(scenario)
    chosen = tuple(metrics) if metrics is not None else headline_names()
    unknown = [m for m in chosen if m not in headline_names()]
    if unknown:
        raise ScenarioError(
            f"metric {unknown[0]!r} is not a headline metric — one of: {', '.join(headline_names())}"
        )
    uncertain = {u.key for u in space}
    lever_specs = dict(levers or {})
    clash = sorted(uncertain & set(lever_specs))
    if clash:
        raise ScenarioError(
            f"lever {clash[0]} is also one of the scenario's [uncertainties] — it can be one or the other"
        )
    replications = int(seeds if seeds is not None else scenario.simulation.seeds)
    if replications < 1:
        raise ScenarioError(f"seeds = {replications} — must be a whole number ≥ 1")
    model = ema.Model(name, function=LendsimFunction(scenario, replications, chosen, simulator))
    model.uncertainties = [uncertainty_parameter(u.key, u.spec) for u in space]
    model.levers = [lever_parameter(scenario, key, spec) for key, spec in lever_specs.items()]
    model.outcomes = [ema.ScalarOutcome(outcome_name(m, kind)) for m in chosen for kind in OUTCOME_KINDS]
    return model
