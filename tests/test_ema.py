"""lendsim.ema: lendsim as an EMA Workbench model, run by the Workbench's own evaluators.

The model's uncertainties are the scenario's [uncertainties], its levers the policy settings a test
names, its outcomes each headline metric's automated, HITL and difference value; experiments use
lendsim's seeds, so the same experiment gives the same numbers in any evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest

ema = pytest.importorskip("ema_workbench")

from lendsim.ema import LendsimFunction, lendsim_model, outcome_name  # noqa: E402
from lendsim.errors import ScenarioError  # noqa: E402
from lendsim.experiment import evaluate  # noqa: E402
from lendsim.robustness import quiet_ema  # noqa: E402
from lendsim.scenario import with_overrides  # noqa: E402

METRICS = ("approval_rate", "sme_funding_gap", "review_cost")
LEVERS = {"underwriting.cutoff": (580.0, 640.0), "reasons.actionable": [False, True]}


@pytest.fixture(scope="module")
def small(baseline):
    return with_overrides(
        baseline,
        {
            "population.consumers.count": 300,
            "population.smes.count": 60,
            "simulation.months": 4,
            "simulation.default_horizon_months": 2,
            "simulation.seeds": 1,
        },
    )


@pytest.fixture(scope="module")
def model(small):
    return lendsim_model(small, levers=LEVERS, metrics=METRICS)


@pytest.fixture(scope="module")
def design(model):
    with quiet_ema():
        from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties

    np.random.seed(20201102)  # the Workbench's samplers draw from NumPy's global generator
    return sample_uncertainties(model, 3), sample_levers(model, 2)


@pytest.fixture(scope="module")
def sequential(model, design):
    scenarios, policies = design
    with quiet_ema(), ema.SequentialEvaluator(model) as evaluator:
        return ema.perform_experiments(model, scenarios=scenarios, policies=policies, evaluator=evaluator)


def test_the_model_takes_the_scenarios_uncertainties_the_levers_named_and_three_outcomes_a_metric(
    small, model
):
    assert [u.name for u in model.uncertainties] == list(small.uncertainties)
    kinds = {u.name: u for u in model.uncertainties}
    assert isinstance(kinds["underwriting.hitl.reviews_per_reviewer_month"], ema.IntegerParameter)
    assert kinds["population.consumers.annual_distress_pd"].dist.dist.name == "triang"
    assert (kinds["risk.lgd"].lower_bound, kinds["risk.lgd"].upper_bound) == (0.45, 0.85)
    levers = {lever.name: lever for lever in model.levers}
    assert isinstance(levers["underwriting.cutoff"], ema.RealParameter)
    assert isinstance(levers["reasons.actionable"], ema.CategoricalParameter)
    assert [o.name for o in model.outcomes] == [
        outcome_name(m, kind) for m in METRICS for kind in ("automated", "hitl", "difference")
    ]
    whole = lendsim_model(small, levers={"underwriting.hitl.reviewers": (0, 8)}, metrics=METRICS)
    assert isinstance(whole.levers["underwriting.hitl.reviewers"], ema.IntegerParameter)


def test_a_small_experiment_runs_through_the_sequential_evaluator(small, sequential):
    experiments, outcomes = sequential
    assert len(experiments) == 3 * 2
    assert {
        "underwriting.hitl.soft_info_noise",
        "platform.partners[*].appetite",
        "underwriting.cutoff",
    } <= set(experiments.columns)
    for metric in METRICS:
        automated, hitl = outcomes[outcome_name(metric, "automated")], outcomes[outcome_name(metric, "hitl")]
        assert np.allclose(outcomes[outcome_name(metric, "difference")], hitl - automated, rtol=0, atol=1e-9)
    # Experiment 0 is lendsim at those settings, seed 0 — the same numbers lendsim.experiment gives.
    row = experiments.iloc[0]
    overrides = {key: row[key] for key in small.uncertainties if key != "platform.partners[*].appetite"}
    overrides |= {
        f"platform.partners[{i}].appetite": row["platform.partners[*].appetite"]
        for i in range(len(small.platform.partners))
    }
    overrides |= {key: row[key] for key in LEVERS}
    direct = evaluate(small, overrides, seed=0)
    for metric in METRICS:
        assert outcomes[outcome_name(metric, "hitl")][0] == direct["hitl"][metric]
        assert outcomes[outcome_name(metric, "automated")][0] == direct["automated"][metric]


def test_the_multiprocessing_evaluator_gives_the_same_numbers(model, design, sequential):
    scenarios, policies = design
    with quiet_ema(), ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        _, parallel = ema.perform_experiments(
            model, scenarios=scenarios, policies=policies, evaluator=evaluator
        )
    _, serial = sequential
    assert all(np.array_equal(parallel[name], serial[name]) for name in serial)


def test_levers_are_checked_like_set_keys(small):
    with pytest.raises(ScenarioError, match="did you mean 'underwriting.cutoff'"):
        lendsim_model(small, levers={"underwriting.cutof": (560, 640)})
    with pytest.raises(ScenarioError, match="must be a number from 350 to 950"):
        lendsim_model(small, levers={"underwriting.cutoff": (560, 990)})
    with pytest.raises(ScenarioError, match="also one of the scenario's"):
        lendsim_model(small, levers={"risk.lgd": (0.5, 0.9)})


def test_the_function_pickles_for_worker_processes(small):
    import pickle

    function = LendsimFunction(small, 1, METRICS)
    assert pickle.loads(pickle.dumps(function)) == function
