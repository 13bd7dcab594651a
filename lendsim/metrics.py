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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lendsim.reasons import (
    FAILURE_COLUMNS,
    FREEZE_COLUMNS,
    REFUSAL_COLUMNS,
    REJECTION_COLUMNS,
)
from lendsim.recorder import Recorder

BINDING_SHARE = 0.01
"""A constraint binds in a month when what it held back is at least this share of the month's
requests: 1 % of the credit requested (RMB) for what cuts supply, of the requests made for the
capacities. A threshold in shares, not "any at all", so that the months a constraint bound do not
grow with the number of simulated agents (with more agents some rare event happens every month)."""


@dataclass(frozen=True)
class Constraint:
    """Something that can limit lending (DOMAIN.md, "what limited lending"): the months it bound and
    the credit supply it cost, the flow `supply_lost_<name>` (RMB) that the phases record. A month
    counts as bound when the monthly columns `binding_columns` add up to at least BINDING_SHARE of
    `measured_against` — by default the supply it cost that month against the credit requested."""

    name: str
    label: tuple[str, str]
    """Its name in running text, English and Chinese."""
    binds: tuple[str, str]
    """When a month counts as bound, as the definition of `binding_months_<name>`."""
    costs: tuple[str, str]
    """What its supply lost counts, as the definition of `supply_lost_<name>`."""
    binding_columns: tuple[str, ...] = ()
    measured_against: str = "requested_rmb"

    @property
    def bound_when(self) -> tuple[str, ...]:
        return self.binding_columns or (f"supply_lost_{self.name}",)


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        "capital",
        ("capital adequacy", "资本充足率要求"),
        (
            "Months in which the minimum capital ratio scaled down the month's approved lending.",
            "资本充足率下限迫使当月获批贷款按比例缩减的月数。",
        ),
        (
            "Approved credit the minimum capital ratio cut, in RMB, over the horizon.",
            "模拟期内因资本充足率下限而削减的获批信贷金额。",
        ),
    ),
    Constraint(
        "leverage",
        ("the leverage cap", "杠杆上限"),
        (
            "Months in which the leverage cap scaled down the month's approved lending.",
            "杠杆上限迫使当月获批贷款按比例缩减的月数。",
        ),
        (
            "Approved credit the leverage cap cut, in RMB, over the horizon.",
            "模拟期内因杠杆上限而削减的获批信贷金额。",
        ),
    ),
    Constraint(
        "partners",
        ("partner appetite", "合作银行出资意愿"),
        (
            "Months in which the partner banks' appetite scaled down the month's approved lending.",
            "合作银行出资额度不足、迫使当月获批贷款按比例缩减的月数。",
        ),
        (
            "Approved credit the partner banks would not fund, in RMB, over the horizon.",
            "模拟期内因合作银行不愿出资而削减的获批信贷金额。",
        ),
    ),
    Constraint(
        "reviewer_capacity",
        ("reviewer capacity", "审核人力"),
        (
            "Months in which the review queue overflowed: work waited into the next month, gave up "
            "or fell back to the engine.",
            "审核队列溢出（待审事项顺延到下月、申请人放弃或退回系统自动决策）的月数。",
        ),
        (
            "What applications that gave up waiting for review asked for, and what those that fell "
            "back to the engine asked for where it rejected them on its own judgement, in RMB.",
            "等待审核时放弃的申请所申请的金额，加上退回系统决策后被系统依其自身判断拒绝的申请所申请的金额。",
        ),
        ("review_queue", "review_abandoned", "review_fallback", "appeals_dropped"),
        "requests",
    ),
    Constraint(
        "processing_capacity",
        ("processing capacity", "系统处理能力"),
        (
            "Months in which requests were lost because the system was overloaded.",
            "有请求因系统过载而失败的月数。",
        ),
        (
            "What the requests lost to system overload asked for, in RMB, over the horizon.",
            "模拟期内因系统过载而失败的请求所申请的金额。",
        ),
        ("failed_overload",),
        "requests",
    ),
    Constraint(
        "growth_cap",
        ("the regulator's growth cap", "监管增长上限"),
        (
            "Months in which a regulator's growth cap held new lending below what was approved.",
            "监管增长上限使新增贷款低于获批金额的月数。",
        ),
        (
            "Approved credit the regulator's growth cap held back, in RMB, over the horizon.",
            "模拟期内因监管增长上限而未能发放的获批信贷金额。",
        ),
    ),
    Constraint(
        "suspension",
        ("the regulator's suspension", "监管暂停放贷"),
        (
            "Months in which a regulator's suspension stopped approved lending.",
            "监管暂停放贷令使获批贷款无法发放的月数。",
        ),
        (
            "Approved credit a regulator's suspension stopped, in RMB, over the horizon.",
            "模拟期内因监管暂停放贷而未能发放的获批信贷金额。",
        ),
    ),
    Constraint(
        "loan_cap",
        ("loan-size caps", "单笔贷款额度上限"),
        (
            "Months in which a loan-size cap cut what the engine would have lent.",
            "单笔贷款额度上限削减了系统本会发放金额的月数。",
        ),
        (
            "Credit the engine would have lent beyond the loan-size caps, in RMB, over the horizon.",
            "模拟期内超出单笔贷款额度上限而未能发放的信贷金额。",
        ),
    ),
    Constraint(
        "rate_cap",
        ("the interest-rate cap", "利率上限"),
        (
            "Months in which applicants were rationed because their risk price exceeded the "
            "interest-rate cap.",
            "有申请人因风险定价超过利率上限而被拒贷（配给）的月数。",
        ),
        (
            "Credit offered to applicants rationed by the interest-rate cap instead of priced, in "
            "RMB, over the horizon.",
            "模拟期内因利率上限而被拒贷（而非按风险定价）的申请人本可获得的信贷金额。",
        ),
    ),
)
"""What can limit lending, in the order the report shows them. Each becomes two headline metrics,
`binding_months_<name>` and `supply_lost_<name>` (lendsim.metrics.constraint_metrics)."""

RAW_FLOWS: tuple[str, ...] = (
    "requests",
    "requested_rmb",
    "applications",
    "applications_decided",
    "approved",
    "approved_unfunded",
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
    "platform_credit_losses_rmb",
    "defaults",
    "missed_payments",
    "payments_due",
    "dpd30_balance_rmb",
    "dpd90_balance_rmb",
    "cohort_loans",
    "cohort_defaults",
    "seasoned_loans",
    "seasoned_defaults",
    "predicted_defaults",
    "rejections_tracked",
    "false_rejections",
    "approvals_tracked",
    "approvals_repaid",
    "applicants_would_repay",
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
    "appeal_refreezes_prevented",
    "appeal_refreezes",
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
    "abandoned_applications",
    "review_overturned_rejections",
    "review_overturned_approvals",
    "own_book_rmb",
    "review_fallback",
    *(f"supply_lost_{constraint.name}" for constraint in CONSTRAINTS),
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
    "rwa_rmb",
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
    "cohort_seasoned",
    "review_staff_cost_rmb",
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

SUM, MIN, MONTHS = "sum", "min", "months"
"""How a headline metric folds the months of the horizon. SUM: its definition applied to the
columns summed over the months (a ratio of totals). MIN: its lowest monthly value, over the months
with something to measure (a ratio's denominator not 0). MONTHS: the number of months in which its
monthly value is above 0 (the months a constraint bound)."""

SIGNED: tuple[None, None] = (None, None)
"""`bounds` of a metric that can take any value (a profit, a capital ratio once capital is gone)."""
DEFAULT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    RATE: (0.0, 1.0),
    COUNT: (0.0, None),
    MONEY: (0.0, None),
    DAYS: (0.0, None),
}
"""The values a metric of each kind can take unless it says otherwise (None: open)."""

Values = Mapping[str, Any]
"""Columns by name: the monthly table (one value per row) or the horizon's folded totals."""


@dataclass(frozen=True)
class Metric:
    """One metric, declared once.

    A metric is either a ratio — `numerator` flows added up, divided by the `denominator` flow,
    0 where that is 0 — or a `formula` of named columns. Either way the same definition serves a
    month (applied to the rows of the monthly table) and the whole horizon (applied to the columns
    summed over the months; or, for `over_months` MIN and MONTHS, applied month by month and folded),
    so a monthly rate and its headline total cannot drift apart. A ratio or formula may use a
    metric declared before it.
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
    """SUM, MIN or MONTHS: how the headline value folds the months."""
    bounds: tuple[float | None, float | None] | None = None
    """(lowest, highest) value the metric can take, None where open; None: its kind's default
    (DEFAULT_BOUNDS: a rate in [0, 1], anything else ≥ 0). A metric that can be negative — a profit
    — says `bounds=SIGNED`. Intervals are clipped to it (`value_range`, `difference_range`)."""
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
    known_when: str | None = None
    """A column that is 0 where the value is not known yet (a cohort younger than the default
    horizon): there the value is NaN — a gap, not 0. The only NaN a table may hold; a headline
    metric's is never NaN in a valid scenario (lendsim.scenario.schema.Simulation)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if (self.formula is None) == (self.denominator is None):
            raise ValueError(f"metric {self.name}: give either numerator and denominator or a formula")
        if self.denominator is not None and not self.numerator:
            raise ValueError(f"metric {self.name}: a ratio needs at least one numerator flow")
        if self.over_months not in (SUM, MIN, MONTHS):
            raise ValueError(f"metric {self.name}: over_months must be {SUM!r}, {MIN!r} or {MONTHS!r}")

    def value_range(self) -> tuple[float, float]:
        """(lowest, highest) value the metric can take, ±inf where open."""
        low, high = self.bounds if self.bounds is not None else DEFAULT_BOUNDS[self.kind]
        return (-np.inf if low is None else float(low), np.inf if high is None else float(high))

    def difference_range(self) -> tuple[float, float]:
        """What a difference of two values (HITL − automated) can be: [−1, 1] for a rate."""
        low, high = self.value_range()
        return low - high, high - low

    def over_each_month(self, rows: pd.DataFrame) -> float:
        """The headline value of a MIN or MONTHS metric from one run's monthly rows."""
        monthly = np.asarray(self.evaluate(rows), dtype=float)
        if self.over_months == MONTHS:
            return float(np.count_nonzero(monthly > 0))
        if self.denominator is not None:
            monthly = monthly[np.asarray(rows[self.denominator]) != 0]
        monthly = monthly[~np.isnan(monthly)]
        return float(monthly.min()) if monthly.size else 0.0

    def evaluate(self, values: Values) -> Any:
        """The metric from `values`: element-wise for a monthly table, a scalar for totals; NaN where
        `known_when` says it is not known yet."""
        value = self._value(values)
        if self.known_when is None:
            return value
        return np.where(np.asarray(values[self.known_when]) > 0, value, np.nan)

    def _value(self, values: Values) -> Any:
        if self.formula is not None:
            return self.formula(values)
        # Added up from the first flow (not from 0, as sum() would): the same operations, hence the
        # same bits, whether one flow or several.
        numerator = functools.reduce(operator.add, (values[name] for name in self.numerator))
        assert self.denominator is not None  # __post_init__: a formula or a denominator
        return ratio(numerator, values[self.denominator])

    @property
    def is_flow_ratio(self) -> bool:
        """A ratio of recorded flows: additive, so it can be recomputed for any segment and any
        stretch of months by adding up numerator and denominator (the report's segment bars)."""
        return self.denominator is not None and all(
            name in RAW_FLOWS for name in (*self.numerator, self.denominator)
        )


def _monthly_position(metric: Metric) -> int:
    """Sort key of a monthly metric: its column position (only called for metrics that have one)."""
    assert metric.monthly is not None
    return metric.monthly


class MetricRegistry:
    """The metrics in declaration order, with the views the rest of lendsim reads.

    Immutable: to add metrics (a study's own, a test's) make a new registry with `with_metrics`
    and put it in place of `lendsim.metrics.REGISTRY`; everything reads that name when it runs.
    """

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics: tuple[Metric, ...] = tuple(metrics)
        self._by_name = {m.name: m for m in self.metrics}
        declared: tuple[tuple[str, Sequence[str | int]], ...] = (
            ("name", [m.name for m in self.metrics]),
            ("priority", [m.priority for m in self.metrics if m.priority is not None]),
            ("monthly position", [m.monthly for m in self.metrics if m.monthly is not None]),
        )
        for field, values in declared:
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
        return tuple(sorted((m for m in self.metrics if m.monthly is not None), key=_monthly_position))

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


def _book_profit(values: Values) -> Any:
    """Profit of the whole co-lent book, platform and partner banks together: interest borrowers
    paid, less both lenders' funding costs, all credit losses, operating and all review cost. The
    platform's service fee is paid by the partners out of their interest, so it cancels out."""
    return (
        values["interest_income_rmb"]
        - values["funding_cost_rmb"]
        - values["partner_funding_cost_rmb"]
        - values["credit_losses"]
        - values["operating_cost_rmb"]
        - values["review_cost"]
    )


def _added(columns: tuple[str, ...]) -> Callable[[Values], Any]:
    """A formula that adds recorded columns up (just the column when there is one)."""
    if len(columns) == 1:
        return _column(columns[0])

    def added(values: Values) -> Any:
        return functools.reduce(operator.add, (values[name] for name in columns))

    added.__name__ = "_plus_".join(columns)
    return added


def by_credit(constraint: Constraint) -> bool:
    """Whether the constraint is measured against the credit requested (else the requests made)."""
    return constraint.measured_against == "requested_rmb"


def _material(constraint: Constraint) -> Callable[[Values], Any]:
    """1 where the constraint held back at least BINDING_SHARE of what was requested, else 0."""
    held_back = _added(constraint.bound_when)

    def material(values: Values) -> Any:
        signal = np.asarray(held_back(values), dtype=float)
        requested = np.asarray(values[constraint.measured_against], dtype=float)
        return ((signal > 0) & (signal >= BINDING_SHARE * requested)).astype(float)

    material.__name__ = f"material_{constraint.name}"
    return material


def constraint_metrics(constraints: Iterable[Constraint]) -> tuple[Metric, ...]:
    """Headline metrics of what limited lending, generated from the list of constraints: the months
    each bound (`binding_months_<name>`, counted per run), then the supply each cost over the
    horizon (`supply_lost_<name>`, RMB). A new constraint is one entry in CONSTRAINTS."""
    constraints = tuple(constraints)
    months = tuple(
        Metric(
            f"binding_months_{c.name}",
            kind=COUNT,
            unit="months",
            formula=_material(c),
            over_months=MONTHS,
            label=(f"months {c.label[0]} bound", f"{c.label[1]}构成约束的月数"),
            definition=(
                f"{c.binds[0]} A month counts when it held back at least {BINDING_SHARE:.0%} of the "
                + ("credit requested that month." if by_credit(c) else "month's requests."),
                f"{c.binds[1]}仅计其影响达到当月"
                + ("申请信贷金额" if by_credit(c) else "请求数")
                + f" {BINDING_SHARE:.0%} 以上的月份。",
            ),
            headline=True,
            plural=True,
        )
        for c in constraints
    )
    lost = tuple(
        Metric(
            f"supply_lost_{c.name}",
            kind=MONEY,
            unit="RMB",
            formula=_column(f"supply_lost_{c.name}"),
            higher_is_better=False,
            label=(f"credit supply lost to {c.label[0]}", f"因{c.label[1]}损失的信贷供给"),
            definition=c.costs,
            headline=True,
        )
        for c in constraints
    )
    return (*months, *lost)


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
                "Applications approved with credit actually offered — a loan of more than 0 after "
                "every constraint, on the first decision or on appeal — out of applications decided; "
                "an application abandoned in the review queue is decided and not approved.",
                "已作出决定的申请中，获批且在所有约束之后实际获得授信（放款金额大于零）的比例（含申诉后获批）；"
                "在人工审核队列中放弃的申请计为已决定、未获批。",
            ),
            headline=True,
            priority=30,
            monthly=1,
        ),
        Metric(
            "default_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("seasoned_defaults",),
            denominator="seasoned_loans",
            known_when="cohort_seasoned",
            higher_is_better=False,
            label=("default rate", "违约率"),
            definition=(
                "Loans that reached 90+ days past due within simulation.default_horizon_months of "
                "origination, out of loans originated, over the monthly cohorts old enough to have "
                "shown it by the last month (younger cohorts are not counted).",
                "放款后 simulation.default_horizon_months 个月内逾期 90 天以上的贷款占已发放贷款的比例，"
                "只统计到模拟结束时已满该观察期的放款月份（更晚的放款月份不计入）。",
            ),
            headline=True,
            priority=20,
        ),
        Metric(
            "false_rejection_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("false_rejections",),
            denominator="applicants_would_repay",
            higher_is_better=False,
            label=("false rejection rate", "误拒率"),
            definition=(
                "Applicants who would have repaid and got no credit, out of applicants who would "
                "have repaid. No credit means rejected, approved but cut to nothing by the lending "
                "room, or abandoned in the review queue; each is followed by the shadow loan of the "
                "offer it did not get, an approved one by its loan — repaid in full, or not (first "
                "decisions whose outcome is known).",
                "本可还款的申请人中未获得信贷者的比例。未获信贷包括：被拒绝、获批但因放贷额度受限被削减为零、"
                "在人工审核队列中放弃；这些申请人看其未获报价的影子贷款，获批者看其实际贷款是否全额还清"
                "（仅计结果已知的首次决定）。",
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
            label=("drawdown refusal rate", "支用被拒率"),
            definition=(
                "Drawdowns refused, out of drawdowns attempted against a credit line already shown.",
                "在已授予额度内发起的支用中被拒绝的比例。",
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
                "What defaulted loans cost after recoveries across the whole co-lent book — the "
                "platform's own-funded share and the partner banks' — in RMB, over the horizon.",
                "模拟期内整个联合贷款账簿（平台自有出资与合作银行出资合计）中违约贷款扣除回收后的损失金额。",
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
            bounds=SIGNED,
            higher_is_better=True,
            label=("platform profit", "平台利润"),
            definition=(
                "The platform's profit over the horizon, in RMB: interest on its own share of the "
                "book and service fees on the partners' share, less its own credit losses, its "
                "funding and operating cost, and its part of review cost.",
                "模拟期内平台的累计利润：自有出资部分的利息与合作银行出资部分的服务费，减去平台自身承担的"
                "信用损失、资金成本、运营成本及其承担的审核成本。",
            ),
            headline=True,
            priority=120,
        ),
        Metric(
            "min_capital_ratio",
            kind=RATE,
            unit="fraction (not capped at 1)",
            numerator=("capital_rmb",),
            denominator="rwa_rmb",
            over_months=MIN,
            bounds=SIGNED,
            higher_is_better=True,
            label=("minimum capital ratio", "最低资本充足率"),
            definition=(
                "The platform's lowest month-end capital ratio — capital over its risk-weighted own "
                "book, not capped at 100 % and negative once capital is — over the months it had "
                "such a book (0 if it never had one).",
                "模拟期内平台月末资本充足率（资本 / 风险加权自有资产，不设 100% 上限，资本为负时为负）"
                "的最低值，只计有风险加权资产的月份（从未有过则为 0）。",
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
            definition=(
                "What human review cost over the horizon, in RMB, whoever bears it: each review done "
                "(underwriting.hitl.cost_per_review_rmb) and the pay of the reviewers employed, busy "
                "or not (cost_per_reviewer_month_rmb; review_staff_cost_rmb by month). Partner banks "
                "bear platform.partner_review_cost_share of it, the platform the rest.",
                "模拟期内人工审核的总成本，不论由谁承担：每次审核的费用（underwriting.hitl.cost_per_review_rmb）"
                "加上所雇审核员的薪酬，无论其是否有活可干（cost_per_reviewer_month_rmb；按月见 "
                "review_staff_cost_rmb）。合作银行承担 platform.partner_review_cost_share "
                "的部分，其余由平台承担。",
            ),
            headline=True,
            priority=140,
        ),
        Metric(
            "platform_credit_losses",
            kind=MONEY,
            unit="RMB",
            formula=_column("platform_credit_losses_rmb"),
            higher_is_better=False,
            label=("platform's share of credit losses", "平台承担的信用损失"),
            definition=(
                "The platform's own share of what defaulted loans cost after recoveries (its "
                "own-funded share of each co-lent loan), in RMB, over the horizon.",
                "模拟期内违约贷款扣除回收后的损失中由平台承担的部分（按其对每笔联合贷款的自有出资比例）。",
            ),
            headline=True,
            priority=55,
            plural=True,
        ),
        Metric(
            "book_profit",
            kind=MONEY,
            unit="RMB",
            formula=_book_profit,
            bounds=SIGNED,
            higher_is_better=True,
            label=("profit of the co-lent book", "联合贷款全账簿利润"),
            definition=(
                "Profit of the whole co-lent book (platform and partner banks together) over the "
                "horizon, in RMB: interest borrowers paid, less both lenders' funding costs, all "
                "credit losses, operating cost and all review cost (the platform's service fee is "
                "paid between them and cancels out).",
                "模拟期内整个联合贷款账簿（平台与合作银行合计）的利润：借款人支付的利息，减去双方的资金成本、"
                "全部信用损失、运营成本和全部审核成本（平台向合作银行收取的服务费为双方之间的转移，相互抵消）。",
            ),
            headline=True,
            priority=125,
        ),
        Metric(
            "appeal_refreezes",
            kind=COUNT,
            unit="accounts",
            formula=_column("appeal_refreezes"),
            label=("score re-freezes after an appeal", "申诉解冻后因评分再次冻结"),
            definition=(
                "Accounts unfrozen on appeal that the score-drop rule froze again once the grace "
                "period (underwriting.hitl.appeal_grace_months) was over — the same month when it "
                "is 0; once per lift.",
                "经申诉解冻的账户在宽限期（underwriting.hitl.appeal_grace_months）结束后又因评分下降规则"
                "被再次冻结的数量（宽限期为 0 时即当月）；每次解冻至多计一次。",
            ),
            headline=True,
            priority=93,
            plural=True,
        ),
        Metric(
            "appeal_refreezes_prevented",
            kind=COUNT,
            unit="accounts",
            formula=_column("appeal_refreezes_prevented"),
            label=("re-freezes held off by the appeal grace period", "申诉宽限期内避免的再次冻结"),
            definition=(
                "Accounts unfrozen on appeal that the score-drop rule would have frozen again within "
                "the grace period and did not; once per lift.",
                "经申诉解冻的账户在宽限期内本会因评分下降规则被再次冻结而未被冻结的数量；每次解冻至多计一次。",
            ),
            headline=True,
            priority=97,
            plural=True,
        ),
        Metric(
            "drawdown_score_refusal_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("refused_score",),
            denominator="drawdowns_attempted",
            higher_is_better=False,
            label=("drawdown score refusal rate", "支用因评分被拒率"),
            definition=(
                "Drawdowns refused because the score is now below the cutoff, out of drawdowns "
                "attempted (lines a reviewer granted skip this check only with "
                "underwriting.drawdown.reviewed_lines_skip_score_check).",
                "支用因当前评分低于门槛而被拒的笔数占发起支用笔数的比例（仅当 "
                "underwriting.drawdown.reviewed_lines_skip_score_check 开启时，"
                "人工审核授予的额度免于此项检查）。",
            ),
            headline=True,
            priority=75,
        ),
        Metric(
            "abandoned_applications",
            kind=COUNT,
            unit="applications",
            formula=_column("abandoned_applications"),
            higher_is_better=False,
            label=("abandoned applications", "放弃的申请"),
            definition=(
                "Applications that gave up waiting in the review queue over the horizon (decided, "
                "and not approved).",
                "模拟期内在人工审核队列中等待过久而放弃的申请数（计为已决定、未获批）。",
            ),
            headline=True,
            priority=35,
            plural=True,
        ),
        Metric(
            "rejected_would_repay_share",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("false_rejections",),
            denominator="rejections_tracked",
            higher_is_better=False,
            label=("share of rejected applicants who would have repaid", "被拒申请人中本可还款者占比"),
            definition=(
                "Applicants who got no credit (rejected, cut to nothing, or abandoned in the review "
                "queue) and would have repaid, out of those whose outcome the simulation followed; "
                "near 1 whenever most applicants repay, however good the decisions (the false "
                "rejection rate is the error rate).",
                "未获信贷（被拒、额度被削减为零或在审核队列中放弃）且结果可追踪的申请人中本可还款者的比例；"
                "只要多数申请人会还款，无论决策好坏都接近 1（误拒率才是错误率）。",
            ),
            headline=True,
            priority=45,
        ),
        *constraint_metrics(CONSTRAINTS),
        # ------------------------------------------------------------- monthly table only
        Metric(
            "cohort_default_rate",
            kind=RATE,
            unit="fraction (0–1)",
            numerator=("seasoned_defaults",),
            denominator="seasoned_loans",
            known_when="cohort_seasoned",
            higher_is_better=False,
            label=("default rate by origination cohort", "按放款月份统计的违约率"),
            definition=(
                "Of the loans made in a month, those that reached 90+ days past due within "
                "simulation.default_horizon_months; a gap for months too recent to have shown it.",
                "某月发放的贷款中，在放款后 simulation.default_horizon_months 个月内逾期 90 天以上的比例；"
                "未满观察期的放款月份留空。",
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
            label=("false refusal share", "误拒支用占比"),
            definition=(
                "Refused drawdowns whose borrower would have repaid, out of refused drawdowns followed.",
                "被拒绝且结果可追踪的支用中，借款人本可按时还款者的比例。",
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
            numerator=("seasoned_defaults",),
            denominator="seasoned_loans",
            known_when="cohort_seasoned",
            higher_is_better=False,
            label=("realised default rate", "实际违约率"),
            definition=(
                "The default rate by origination cohort over the default horizon, under the name "
                "that pairs it with the predicted default rate; a gap for months too recent.",
                "即按放款月份统计、观察期内的违约率，与预测违约率对照使用；未满观察期的月份留空。",
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
    measure: the tables say 0 (NaN only where a value is not known yet, `unknown_until_known`), and
    readers that average over months or seeds — the report — leave it out."""
    metric = REGISTRY.get(column)
    return metric.denominator if metric is not None else None


def unknown_until_known() -> frozenset[str]:
    """Monthly columns that hold NaN where their value is not known yet (`Metric.known_when`: the
    cohort default rate of cohorts younger than the default horizon). Every other number in a run's
    outputs — the headline metrics included — is finite; read when called."""
    return frozenset(m.name for m in REGISTRY.monthly() if m.known_when is not None)


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

    Each metric is evaluated on the columns summed over the horizon, with the headline metrics
    already computed taking precedence: a ratio of totals, not a mean of monthly ratios, and a
    funding-gap share of the horizon's gap. A MIN or MONTHS metric is evaluated month by month and
    folded (`Metric.over_each_month`): the lowest capital ratio, the months a constraint bound.
    """
    rows = monthly[monthly["segment"] == "all"]
    totals = rows.sum(numeric_only=True)
    values: dict[str, float] = {}
    for metric in REGISTRY.headline():
        if metric.over_months == SUM:
            values[metric.name] = float(metric.evaluate(ChainMap(values, totals)))
        else:
            values[metric.name] = metric.over_each_month(rows)
    return values
