"""Every metric's name and definition (DOMAIN.md, "Metrics"), declared once, in `REGISTRY`.

The model records raw monthly flows and stocks (counts and RMB) per segment; this module turns
them into the rates of the tidy monthly table and into the headline metrics of one run. Each metric
is one `Metric` entry: what it divides (or computes), its kind and unit, which way is better, its
name in English and Chinese, a one-line definition, where it goes (headline, monthly table) and how
soon the findings tell it. Everything else reads the registry: `headline_metrics` and
`monthly_table` here, the comparison (lendsim.experiment), the report's labels, findings and
aggregation (lendsim.report). So the automated and HITL numbers are computed the same way, the
report names what was computed, and a new metric is one entry.
"""

from __future__ import annotations

import functools
import operator
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lendsim.reasons import (
    FAILURE_COLUMNS,
    FREEZE_COLUMNS,
    REFUSAL_COLUMNS,
    REJECTION_COLUMNS,
    SUPPLY_CONSTRAINTS,
)
from lendsim.recorder import Recorder

RAW_FLOWS: tuple[str, ...] = (
    "requests",
    "applications",
    "applications_decided",
    "approved",
    "rejected",
    "system_failures",
    "failed_attempts",
    "loans_originated",
    "volume_originated",
    "book_rmb",
    "open_loans",
    "principal_repaid_rmb",
    "interest_income_rmb",
    "write_offs_rmb",
    "credit_losses",
    "defaults",
    "missed_payments",
    "payments_due",
    "dpd30_balance_rmb",
    "dpd90_balance_rmb",
    "cohort_loans",
    "cohort_defaults",
    "predicted_defaults",
    "rejections_tracked",
    "false_rejections",
    "refusals_tracked",
    "false_refusals",
    "sme_viable_demand_rmb",
    "sme_viable_supplied_rmb",
    "drawdowns_attempted",
    "drawdowns_refused",
    "frozen_accounts",
    "frozen_stock",
    "unfrozen_expiry",
    "unfrozen_data_update",
    "unfrozen_clean_months",
    "unfrozen_appeal",
    "reapplications",
    "reapplications_approved",
    "approved_on_appeal",
    "refusals_overturned",
    "appeals_filed",
    "appeals_reviewed",
    "appeals_dropped",
    "reviews_done",
    "review_queue",
    "review_delay_days_total",
    "review_cost",
    "review_abandoned",
    "review_overturned_rejections",
    "review_overturned_approvals",
    "own_book_rmb",
    *(f"supply_lost_{constraint}" for constraint in SUPPLY_CONSTRAINTS),
    *REJECTION_COLUMNS,
    *REFUSAL_COLUMNS,
    *FAILURE_COLUMNS,
    *FREEZE_COLUMNS,
)
"""Flows every run records, so every column exists even when a mechanism never fired."""

PLATFORM_VALUES: tuple[str, ...] = (
    "macro_factor",
    "capital_rmb",
    "capital_ratio",
    "required_capital_ratio",
    "leverage",
    "max_leverage",
    "platform_profit",
    "regulator_action",
    "shock_active",
    "peak_month",
    "maintenance",
    "model_default_estimate_consumer",
    "model_default_estimate_sme",
)

KEY_COLUMNS: tuple[str, ...] = ("mode", "seed", "month", "segment")


def ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """numerator / denominator, and 0 where the denominator is 0 (no NaN, no inf in any output)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


# --------------------------------------------------------------------------- the registry

RATE, COUNT, MONEY, DAYS = "rate", "count", "money", "days"
KINDS: tuple[str, ...] = (RATE, COUNT, MONEY, DAYS)
"""What a number is, which decides how it is compared and shown: a rate is a fraction in [0, 1]
(differences in percentage points), money is real-world RMB and a count is real-world units (both
compared relative to the automated level), days are a duration."""

SUM, MIN = "sum", "min"
"""How a headline metric folds a monthly column over the horizon before its formula applies."""

Values = Mapping[str, Any]
"""Columns by name: the monthly table (one value per row) or the horizon's folded totals."""


@dataclass(frozen=True)
class Metric:
    """One metric, declared once.

    A metric is either a ratio — `numerator` flows added up, divided by the `denominator` flow,
    0 where that is 0 — or a `formula` of named columns. Either way the same definition serves a
    month (applied to the rows of the monthly table) and the whole horizon (applied to the columns
    summed — or, for `over_months = MIN`, minimised — over the months), so a monthly rate and its
    headline total cannot drift apart. A ratio or formula may use a metric declared before it.
    """

    name: str
    """Contract name: a column of summary.csv / monthly.parquet, a row of comparison.csv."""
    kind: str
    """One of KINDS."""
    unit: str
    """What one unit of the number is, for a glossary: 'fraction (0–1)', 'RMB', 'loans' ..."""
    label: tuple[str, str]
    """Name in running text, in English and Chinese ('approval rate', '审批通过率')."""
    definition: tuple[str, str]
    """One line in plain words, English and Chinese: what is counted, out of what."""
    numerator: tuple[str, ...] = ()
    denominator: str | None = None
    formula: Callable[[Values], Any] | None = None
    """Any other definition: a function of the named columns, element-wise (NumPy/pandas), so it
    applies to one month, every month at once, or the horizon's totals alike."""
    over_months: str = SUM
    higher_is_better: bool | None = None
    """Which direction a reader should welcome; None when neither (a model's own estimate)."""
    headline: bool = False
    """One of the run's headline metrics: a column of summary.csv, a row of comparison.csv, a
    finding. Headline metrics keep the order of their declaration (the contract order)."""
    priority: int | None = None
    """Order in which the findings tell headline metrics, lowest first: the question the tool
    answers first (DOMAIN.md). Spaced by 10 so that a new metric slots in between."""
    monthly: int | None = None
    """Position of its column among the rates the monthly table derives from the raw flows (None:
    not one of them). Positions, not declaration order, keep monthly.parquet's columns where they
    have always been; a new monthly metric takes the next number."""
    plural: bool = False
    """The English label is a plural noun ('credit losses'): sentences use it without 'the'."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if (self.formula is None) == (self.denominator is None):
            raise ValueError(f"metric {self.name}: give either numerator and denominator or a formula")
        if self.denominator is not None and not self.numerator:
            raise ValueError(f"metric {self.name}: a ratio needs at least one numerator flow")
        if self.over_months not in (SUM, MIN):
            raise ValueError(f"metric {self.name}: over_months must be {SUM!r} or {MIN!r}")

    def evaluate(self, values: Values) -> Any:
        """The metric from `values`: element-wise for a monthly table, a scalar for totals."""
        if self.formula is not None:
            return self.formula(values)
        # Added up from the first flow (not from 0, as sum() would): the same operations, hence the
        # same bits, whether one flow or several.
        numerator = functools.reduce(operator.add, (values[name] for name in self.numerator))
        return ratio(numerator, values[self.denominator])

    @property
    def is_flow_ratio(self) -> bool:
        """A ratio of recorded flows: additive, so it can be recomputed for any segment and any
        stretch of months by adding up numerator and denominator (the report's segment bars)."""
        return self.denominator is not None and all(
            name in RAW_FLOWS for name in (*self.numerator, self.denominator)
        )


class MetricRegistry:
    """The metrics in declaration order, with the views the rest of lendsim reads.

    Immutable: to add metrics (a study's own, a test's) make a new registry with `with_metrics`
    and put it in place of `lendsim.metrics.REGISTRY`; everything reads that name when it runs.
    """

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics: tuple[Metric, ...] = tuple(metrics)
        self._by_name = {m.name: m for m in self.metrics}
        for field, values in (
            ("name", [m.name for m in self.metrics]),
            ("priority", [m.priority for m in self.metrics if m.priority is not None]),
            ("monthly position", [m.monthly for m in self.metrics if m.monthly is not None]),
        ):
            repeated = sorted({v for v in values if values.count(v) > 1}, key=str)
            if repeated:
                raise ValueError(f"metric registry: {field} {repeated[0]} is declared more than once")

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Metric:
        return self._by_name[name]

    def get(self, name: str) -> Metric | None:
        return self._by_name.get(name)

    def headline(self) -> tuple[Metric, ...]:
        """Headline metrics in contract order (summary.csv columns, comparison.csv rows)."""
        return tuple(m for m in self.metrics if m.headline)

    def monthly(self) -> tuple[Metric, ...]:
        """Rates of the monthly table, in column order."""
        return tuple(sorted((m for m in self.metrics if m.monthly is not None), key=lambda m: m.monthly))

    def by_priority(self) -> tuple[Metric, ...]:
        """Headline metrics in the order the findings tell them; any without a priority last."""
        ranked = sorted((m for m in self.headline() if m.priority is not None), key=lambda m: m.priority or 0)
        return (*ranked, *(m for m in self.headline() if m.priority is None))

    def with_metrics(self, *metrics: Metric) -> MetricRegistry:
        """A registry with `metrics` added after the existing ones."""
        return MetricRegistry((*self.metrics, *metrics))


def _column(name: str) -> Callable[[Values], Any]:
    """A formula that is just one recorded column (its total over the horizon, in a headline)."""
    return operator.itemgetter(name)


def _unmet_viable_demand(values: Values) -> Any:
    """Credit demanded by viable SMEs and not supplied; never below zero."""
    return np.maximum(values["sme_viable_demand_rmb"] - values["sme_viable_supplied_rmb"], 0.0)


def _past_due_share(balance: str) -> Callable[[Values], Any]:
    """Balance past due as a share of exposure: the open book plus what was written off."""

    def share(values: Values) -> Any:
        return ratio(values[balance], values["book_rmb"] + values["write_offs_rmb"])

    share.__name__ = f"share_of_{balance}"
    return share


REGISTRY = MetricRegistry(
    (
        # ------------------------------------------------------------- headline, in contract order
        Metric(
            "approval_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("approved", "approved_on_appeal"),
            denominator="applications_decided",
            higher_is_better=True,
            label=("approval rate", "审批通过率"),
            definition=(
                "Applications approved with credit actually offered (first decision or on appeal), "
                "out of applications decided.",
                "已作出决定的申请中，获批并实际获得授信的比例（含申诉后获批）。",
            ),
            headline=True,
            priority=30,
            monthly=1,
        ),
        Metric(
            "default_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("cohort_defaults",),
            denominator="cohort_loans",
            higher_is_better=False,
            label=("default rate", "违约率"),
            definition=(
                "Loans that reached 90+ days past due, out of loans originated, counted by the month "
                "each loan was made.",
                "已发放贷款中逾期 90 天以上的比例，按放款月份归集。",
            ),
            headline=True,
            priority=20,
        ),
        Metric(
            "false_rejection_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("false_rejections",),
            denominator="rejections_tracked",
            higher_is_better=False,
            label=("false rejection rate", "误拒率"),
            definition=(
                "Rejected applicants who would have repaid, out of rejected applicants whose outcome "
                "the simulation followed.",
                "被拒绝且结果可追踪的申请人中，本可按时还款者的比例。",
            ),
            headline=True,
            priority=40,
            monthly=5,
        ),
        Metric(
            "sme_funding_gap",
            kind=MONEY,
            unit="RMB",
            formula=_unmet_viable_demand,
            higher_is_better=False,
            label=("SME funding gap", "小微企业融资缺口"),
            definition=(
                "Credit demanded by viable SMEs and not supplied, in RMB (never below zero).",
                "有偿还能力的小微企业提出而未获满足的信贷需求金额（不低于零）。",
            ),
            headline=True,
            priority=10,
            monthly=12,
        ),
        Metric(
            "sme_funding_gap_share",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("sme_funding_gap",),
            denominator="sme_viable_demand_rmb",
            higher_is_better=False,
            label=("SME funding gap share", "小微企业融资缺口占比"),
            definition=(
                "The SME funding gap as a share of the credit viable SMEs demanded.",
                "小微企业融资缺口占有偿还能力小微企业信贷需求的比例。",
            ),
            headline=True,
            priority=60,
            monthly=13,
        ),
        Metric(
            "drawdown_refusal_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("drawdowns_refused",),
            denominator="drawdowns_attempted",
            higher_is_better=False,
            label=("drawdown refusal rate", "提款被拒率"),
            definition=(
                "Drawdowns refused, out of drawdowns attempted against a credit line already shown.",
                "在已授予额度内发起的提款中被拒绝的比例。",
            ),
            headline=True,
            priority=70,
            monthly=8,
        ),
        Metric(
            "system_failure_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("system_failures",),
            denominator="requests",
            higher_is_better=False,
            label=("system failure rate", "系统失败率"),
            definition=(
                "Requests lost to system overload or downtime, out of requests submitted.",
                "因系统过载或停机而失败的请求占全部请求的比例。",
            ),
            headline=True,
            priority=80,
            monthly=2,
        ),
        Metric(
            "frozen_accounts",
            kind=COUNT,
            unit="accounts",
            formula=_column("frozen_accounts"),
            higher_is_better=False,
            label=("frozen accounts", "冻结账户数"),
            definition=(
                "Accounts frozen over the horizon, whatever the cause.",
                "模拟期内被冻结的账户数（不论原因）。",
            ),
            headline=True,
            priority=90,
            plural=True,
        ),
        Metric(
            "loans_originated",
            kind=COUNT,
            unit="loans",
            formula=_column("loans_originated"),
            higher_is_better=True,
            label=("loans originated", "放款笔数"),
            definition=("Loans made over the horizon.", "模拟期内发放的贷款笔数。"),
            headline=True,
            priority=100,
            plural=True,
        ),
        Metric(
            "volume_originated",
            kind=MONEY,
            unit="RMB",
            formula=_column("volume_originated"),
            higher_is_better=True,
            label=("volume originated", "放款金额"),
            definition=("Credit lent over the horizon, in RMB.", "模拟期内发放的贷款金额。"),
            headline=True,
            priority=110,
        ),
        Metric(
            "credit_losses",
            kind=MONEY,
            unit="RMB",
            formula=_column("credit_losses"),
            higher_is_better=False,
            label=("credit losses", "信用损失"),
            definition=(
                "What defaulted loans cost after recoveries, in RMB, over the horizon.",
                "模拟期内违约贷款扣除回收后造成的损失金额。",
            ),
            headline=True,
            priority=50,
            plural=True,
        ),
        Metric(
            "platform_profit",
            kind=MONEY,
            unit="RMB",
            formula=_column("platform_profit"),
            higher_is_better=True,
            label=("platform profit", "平台利润"),
            definition=("The platform's profit over the horizon, in RMB.", "模拟期内平台的累计利润。"),
            headline=True,
            priority=120,
        ),
        Metric(
            "min_capital_ratio",
            kind=RATE,
            unit="fraction (0–1)",
            formula=_column("capital_ratio"),
            over_months=MIN,
            higher_is_better=True,
            label=("minimum capital ratio", "最低资本充足率"),
            definition=(
                "The platform's lowest month-end capital ratio over the horizon (not capped).",
                "模拟期内平台月末资本充足率的最低值（不设上限）。",
            ),
            headline=True,
            priority=130,
        ),
        Metric(
            "review_cost",
            kind=MONEY,
            unit="RMB",
            formula=_column("review_cost"),
            higher_is_better=False,
            label=("review cost", "人工审核成本"),
            definition=("What human review cost over the horizon, in RMB.", "模拟期内人工审核的总成本。"),
            headline=True,
            priority=140,
        ),
        # ------------------------------------------------------------- monthly table only
        Metric(
            "cohort_default_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("cohort_defaults",),
            denominator="cohort_loans",
            higher_is_better=False,
            label=("default rate by origination cohort", "按放款月份统计的违约率"),
            definition=(
                "Of the loans made in a month, those that went on to reach 90+ days past due.",
                "某月发放的贷款中，后来逾期 90 天以上的比例。",
            ),
            monthly=3,
        ),
        Metric(
            "predicted_default_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("predicted_defaults",),
            denominator="cohort_loans",
            label=("predicted default rate", "预测违约率"),
            definition=(
                "The default rate the underwriting model expected for the loans made in a month.",
                "审批模型对某月所发放贷款预期的违约率。",
            ),
            monthly=4,
        ),
        Metric(
            "false_refusal_share",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("false_refusals",),
            denominator="refusals_tracked",
            higher_is_better=False,
            label=("false refusal share", "误拒提款占比"),
            definition=(
                "Refused drawdowns whose borrower would have repaid, out of refused drawdowns followed.",
                "被拒绝且结果可追踪的提款中，借款人本可按时还款者的比例。",
            ),
            monthly=6,
        ),
        Metric(
            "reapplication_approval_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("reapplications_approved",),
            denominator="reapplications",
            higher_is_better=True,
            label=("reapplication approval rate", "再次申请获批率"),
            definition=(
                "Applications from previously rejected borrowers that were approved, out of such "
                "applications.",
                "曾被拒绝的借款人再次申请时获批的比例。",
            ),
            monthly=7,
        ),
        Metric(
            "missed_payment_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("missed_payments",),
            denominator="payments_due",
            higher_is_better=False,
            label=("missed payment rate", "逾期还款率"),
            definition=("Instalments missed, out of instalments due.", "应还款项中未按期偿还的比例。"),
            monthly=9,
        ),
        Metric(
            "review_delay_days",
            kind=DAYS,
            unit="days",
            numerator=("review_delay_days_total",),
            denominator="reviews_done",
            higher_is_better=False,
            label=("review delay (days)", "审核延迟（天）"),
            definition=(
                "Average days an application waited for human review, over reviews done.",
                "已完成的人工审核平均等待天数。",
            ),
            monthly=10,
        ),
        Metric(
            "realised_default_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("cohort_defaults",),
            denominator="cohort_loans",
            higher_is_better=False,
            label=("realised default rate", "实际违约率"),
            definition=(
                "The default rate by origination cohort, under the name that pairs it with the "
                "predicted default rate.",
                "即按放款月份统计的违约率，与预测违约率对照使用。",
            ),
            monthly=11,
        ),
        Metric(
            "dpd30_rate",
            kind=RATE,
            unit="fraction (0–1)",
            formula=_past_due_share("dpd30_balance_rmb"),
            higher_is_better=False,
            label=("30+ days past due rate", "逾期 30 天以上余额占比"),
            definition=(
                "Balance 30+ days past due (written-off loans included), out of the book plus write-offs.",
                "逾期 30 天以上的余额（含已核销）占贷款余额与核销额之和的比例。",
            ),
            monthly=14,
        ),
        Metric(
            "dpd90_rate",
            kind=RATE,
            unit="fraction (0–1)",
            formula=_past_due_share("dpd90_balance_rmb"),
            higher_is_better=False,
            label=("90+ days past due rate", "逾期 90 天以上余额占比"),
            definition=(
                "Balance 90+ days past due (that is, written off), out of the book plus write-offs.",
                "逾期 90 天以上（即已核销）的余额占贷款余额与核销额之和的比例。",
            ),
            monthly=15,
        ),
    )
)
"""Every metric lendsim computes. A new metric is one entry here."""


def headline_names() -> tuple[str, ...]:
    """Names of the headline metrics in contract order, read from the registry when called."""
    return tuple(m.name for m in REGISTRY.headline())


HEADLINE_METRICS: tuple[str, ...] = headline_names()
"""Contract names (DESIGN.md) as declared at import: rates are fractions in [0, 1], money is RMB.
Code that must follow a registry extended at run time calls `headline_names()`."""


def denominator_of(column: str) -> str | None:
    """The flow a ratio column divides by, or None. A month or segment where it is 0 has nothing to
    measure: the tables say 0 (no NaN in any output), and readers that average over months or seeds
    — the report — leave it out."""
    metric = REGISTRY.get(column)
    return metric.denominator if metric is not None else None


# --------------------------------------------------------------------------- computing them


def add_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Rates of the monthly table, from its raw columns, in the registry's column order."""
    for metric in REGISTRY.monthly():
        table[metric.name] = metric.evaluate(table)
    return table


def monthly_table(recorder: Recorder, mode: str, seed: int) -> pd.DataFrame:
    """The tidy monthly table of one run: one row per (month, segment), raw flows then rates."""
    recorder.ensure(*RAW_FLOWS)
    months = np.arange(1, recorder.months + 1)
    names = sorted(recorder.flows)
    by_segment = {name: recorder.flows[name][1:] for name in names}  # (months, segments)
    frames = []
    labels = ("all", *recorder.segment_names)
    for position, label in enumerate(labels):
        columns = {
            name: (values[:, :2].sum(axis=1) if position == 0 else values[:, position - 1])
            for name, values in by_segment.items()
        }
        frame = pd.DataFrame({"month": months, "segment": label, **columns})
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    for name in sorted(set(PLATFORM_VALUES) | set(recorder.platform)):
        table[name] = np.tile(recorder.platform[name][1:], len(labels))
    table.insert(0, "seed", seed)
    table.insert(0, "mode", mode)
    table = add_rates(table)
    return table.sort_values(["month", "segment"], kind="stable").reset_index(drop=True)


def headline_metrics(monthly: pd.DataFrame) -> dict[str, float]:
    """The headline metrics of one run, from the 'all' rows of its monthly table.

    Each metric is evaluated on the columns folded over the horizon — summed, or for `over_months =
    MIN` minimised — with the headline metrics already computed taking precedence: a ratio of
    totals, not a mean of monthly ratios, and a funding-gap share of the horizon's gap.
    """
    rows = monthly[monthly["segment"] == "all"]
    folded: dict[str, Values] = {SUM: rows.sum(numeric_only=True), MIN: rows.min(numeric_only=True)}
    values: dict[str, float] = {}
    for metric in REGISTRY.headline():
        values[metric.name] = float(metric.evaluate(ChainMap(values, folded[metric.over_months])))
    return values
