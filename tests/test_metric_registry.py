"""The metric registry: every metric declared once, and everything else reads it.

The decisive test adds a headline metric as one registry entry and follows it through a run — the
monthly table, the headline metrics, comparison.csv, the findings, the report's labels and its
segment bars — with no other edit. The others check that no consumer keeps a list of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendsim import metrics
from lendsim.experiment import paired_comparison, run_replications
from lendsim.metrics import HEADLINE_METRICS, REGISTRY, Metric, MetricRegistry, headline_metrics
from lendsim.report import build_report
from lendsim.report.aggregate import segment_metrics, segment_rates
from lendsim.report.findings import priority_order, run_findings
from lendsim.report.i18n import COLUMN_LABELS, RATE, metric_label, metric_phrase, unit_of
from lendsim.simulate import simulate
from lendsim.store import build_manifest, write_run_folder

CONTRACT = (
    "approval_rate",
    "default_rate",
    "false_rejection_rate",
    "sme_funding_gap",
    "sme_funding_gap_share",
    "drawdown_refusal_rate",
    "system_failure_rate",
    "frozen_accounts",
    "loans_originated",
    "volume_originated",
    "credit_losses",
    "platform_profit",
    "min_capital_ratio",
    "review_cost",
)
"""DESIGN.md's headline metrics, in order; the registry may add more after them."""

LATE_INSTALMENT_RATE = Metric(
    "late_instalment_rate",
    kind=metrics.RATE,
    unit="fraction (0–1)",
    numerator=("missed_payments",),
    denominator="payments_due",
    higher_is_better=False,
    label=("late instalment rate", "迟付分期比例"),
    definition=("Instalments paid late, out of instalments due.", "应还分期中迟付的比例。"),
    headline=True,
    priority=15,
    monthly=16,
)
"""A new headline metric, told second in the findings (between priorities 10 and 20)."""


@pytest.fixture
def extended(monkeypatch: pytest.MonkeyPatch) -> MetricRegistry:
    registry = REGISTRY.with_metrics(LATE_INSTALMENT_RATE)
    monkeypatch.setattr(metrics, "REGISTRY", registry)
    return registry


@pytest.fixture(scope="module")
def monthly(tiny_scenario) -> pd.DataFrame:
    return simulate(tiny_scenario, "hitl", 0).monthly


def test_a_new_headline_metric_is_one_registry_entry(extended, tiny_scenario, tmp_path):
    summary, monthly = run_replications(tiny_scenario)

    # the monthly table and the headline metrics compute it
    assert list(monthly.columns)[-1] == "late_instalment_rate"
    assert list(summary.columns) == ["mode", "seed", *HEADLINE_METRICS, "late_instalment_rate"]
    run = monthly[(monthly["mode"] == "hitl") & (monthly["seed"] == 0)]
    everything = run[run["segment"] == "all"].sum(numeric_only=True)
    value = summary.set_index(["mode", "seed"]).loc[("hitl", 0), "late_instalment_rate"]
    assert value > 0 and value == everything["missed_payments"] / everything["payments_due"]
    assert headline_metrics(run)["late_instalment_rate"] == value

    # comparison.csv has its row, after the contract's
    comparison = paired_comparison(summary)
    assert list(comparison["metric"]) == [*HEADLINE_METRICS, "late_instalment_rate"]

    # the report names it, in both languages, as a rate, and tells it second among equals
    assert metric_label("late_instalment_rate") == {"en": "late instalment rate", "zh": "迟付分期比例"}
    assert metric_phrase("late_instalment_rate")["en"] == "the late instalment rate"
    assert unit_of("late_instalment_rate") == RATE
    assert priority_order()[:3] == ("sme_funding_gap", "late_instalment_rate", "default_rate")
    assert "late_instalment_rate" in {f.metric for f in run_findings(comparison)}
    segments = segment_rates(monthly, ["consumer", "sme"])
    assert set(segments.loc[segments["metric"] == "late_instalment_rate", "segment"]) == {"consumer", "sme"}

    # and the report built from the run folder shows it
    manifest = build_manifest(tiny_scenario, started_at=0.0, finished_at=1.0, command=["lendsim", "run"])
    write_run_folder(tmp_path / "run", tiny_scenario, summary, monthly, comparison, manifest)
    page = build_report(tmp_path / "run", "en").read_text(encoding="utf-8")
    assert "Late instalment rate" in page and "迟付分期比例" in page


def test_headline_metrics_are_the_contract_in_contract_order():
    assert HEADLINE_METRICS[: len(CONTRACT)] == CONTRACT
    assert HEADLINE_METRICS == tuple(m.name for m in REGISTRY if m.headline)


def test_every_consumer_reads_its_metrics_from_the_registry(monthly):
    headline = set(HEADLINE_METRICS)
    assert set(priority_order()) == headline
    assert list(headline_metrics(monthly)) == list(HEADLINE_METRICS)
    assert {m.name for m in segment_metrics()} <= headline
    assert not set(COLUMN_LABELS) & {m.name for m in REGISTRY}  # no second name for a metric
    for metric in REGISTRY:
        assert metric_label(metric.name) == dict(zip(("en", "zh"), metric.label, strict=True))
        assert all(metric.definition) and all(metric.label)


def test_the_monthly_table_ends_with_the_registry_rates_in_column_order(monthly):
    rates = [m.name for m in REGISTRY.monthly()]
    assert list(monthly.columns)[-len(rates) :] == rates
    assert [m.monthly for m in REGISTRY.monthly()] == list(range(1, len(rates) + 1))


def test_a_month_alone_gives_its_monthly_rate_as_the_headline(monthly):
    """The same definition serves a month and the horizon: over one month they are the same number."""
    both = [m.name for m in REGISTRY.headline() if m.monthly is not None]
    for month in (1, 12, 24):
        rows = monthly[monthly["month"] == month]
        headline = headline_metrics(rows)
        month_row = rows[rows["segment"] == "all"].iloc[0]
        assert {name: headline[name] for name in both} == {name: month_row[name] for name in both}


def test_segment_bars_show_the_headline_rates_that_are_ratios_of_flows():
    names = [m.name for m in segment_metrics()]
    assert names[:5] == [
        "approval_rate",
        "default_rate",
        "false_rejection_rate",
        "drawdown_refusal_rate",
        "system_failure_rate",
    ]
    assert "rejected_would_repay_share" in names[5:]  # the registry's additions follow the contract's


def test_a_ratio_is_zero_where_its_denominator_is_zero():
    table = pd.DataFrame(
        {"approved": [3.0, 0.0], "approved_on_appeal": [1.0, 0.0], "applications_decided": [8, 0]}
    )
    assert list(REGISTRY["approval_rate"].evaluate(table)) == [0.5, 0.0]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "percent"}, "kind"),
        ({"formula": np.sum}, "either numerator and denominator or a formula"),
        ({"numerator": ()}, "at least one numerator"),
        ({"over_months": "mean"}, "over_months"),
    ],
)
def test_a_malformed_entry_is_refused(change, message):
    entry = {**vars(LATE_INSTALMENT_RATE), **change}
    with pytest.raises(ValueError, match=message):
        Metric(**entry)


@pytest.mark.parametrize("field", ["name", "priority", "monthly"])
def test_a_name_priority_or_column_position_declared_twice_is_refused(field):
    twin = Metric(
        **{**vars(LATE_INSTALMENT_RATE), "name": "twin", field: getattr(REGISTRY["approval_rate"], field)}
    )
    with pytest.raises(ValueError, match="declared more than once"):
        REGISTRY.with_metrics(twin)
