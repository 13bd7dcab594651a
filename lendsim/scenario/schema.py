"""The scenario schema: every knob an analyst can turn, with its unit, range and meaning.

A scenario is validated once, here, and is immutable afterwards (frozen pydantic models with
`extra="forbid"`), so a misspelled key fails loudly instead of silently running the default. The
`description` of each field is what `lendsim validate` and the commented scenario files show.

Money is RMB; rates are fractions (0.24 = 24 %); APRs are annual; months count from 1.
A simulated agent stands for many real borrowers: capital and reviewer capacity are stated for the
simulated population, so scale them together with `population.*.count`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

MAX_MAGNITUDE = 1e15
"""No setting is larger than this: RMB sums over millions of borrowers and months stay finite."""
SCORE_MIN = 350
SCORE_MAX = 950


class Frozen(BaseModel):
    """Base of every scenario table: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_numbers(cls, value: object, info: ValidationInfo) -> object:
        """TOML's true/false must not quietly become 1/0 in a numeric setting, and no number may be
        so large that money sums overflow (every output must stay finite)."""
        assert info.field_name is not None  # always set for a field validator
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and annotation in (int, float, float | None):
            kind = "a whole number" if annotation is int else "a number"
            raise ValueError(f"must be {kind}, not {str(value).lower()}")
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
            raise ValueError(f"must be at most {MAX_MAGNITUDE:.0e} in size")
        return value


class Meta(Frozen):
    """What the scenario represents, shown at the top of the report (in English and in Chinese)."""

    name: str = Field("baseline", description="Short name of the scenario.")
    title: str = Field("", description="Title the report shows in English (empty: the name).")
    title_zh: str = Field("", description="Title the report shows in Chinese (empty: the English title).")
    description: str = Field("", description="One or two sentences on what the scenario represents.")
    description_zh: str = Field(
        "", description="The description in Chinese, shown in the Chinese report (empty: the English one)."
    )


class Simulation(Frozen):
    """Horizon and replications."""

    months: int = Field(60, ge=1, le=1200, description="Simulated months.")
    seeds: int = Field(5, ge=1, le=1000, description="Replications; automated and HITL are paired by seed.")
    seed: int = Field(20201102, ge=0, description="Root seed; every replication's streams derive from it.")
    default_horizon_months: int = Field(
        12,
        ge=1,
        le=1200,
        description=(
            "Months after origination within which a loan that reaches 90+ dpd counts as a default; "
            "the default rate counts only cohorts at least this old by the last month."
        ),
    )

    @model_validator(mode="after")
    def _a_cohort_outlives_the_horizon(self) -> Simulation:
        """The default rate is measured on cohorts followed for the whole horizon: a run no longer
        than the horizon has none, so it could only report a made-up number."""
        if self.months <= self.default_horizon_months:
            raise ValueError(
                f"months = {self.months} must be more than default_horizon_months = "
                f"{self.default_horizon_months}: the default rate counts only cohorts followed for the "
                "whole horizon — run longer or lower simulation.default_horizon_months"
            )
        return self


class Represented(Frozen):
    """Simulated agents that stand for many real borrowers: each one carries a weight, the real
    borrowers per agent, and every count and RMB sum the model reports or compares with a real-world
    capacity (reviewers, systems, capital, partners) is weighted by it — so a run with more agents
    is a more precise estimate of the same world, not a bigger world."""

    count: int
    represents: int | None

    @property
    def real_count(self) -> int:
        """Real borrowers these agents stand for (none without agents: count = 0 leaves this kind of
        borrower out, whatever `represents` a parent file gave)."""
        return self.count if self.represents is None or self.count == 0 else self.represents

    @property
    def weight(self) -> float:
        """Real borrowers per simulated one (1 with no agents)."""
        return self.real_count / self.count if self.count else 1.0

    @model_validator(mode="after")
    def _an_agent_stands_for_at_least_one_borrower(self) -> Represented:
        if self.count and self.weight < 1.0:
            raise ValueError(
                f"represents = {self.represents} is fewer than count = {self.count}: a simulated "
                "borrower stands for at least one real one — lower count or raise represents"
            )
        return self


class Consumers(Represented):
    """Individual borrowers: income, expenses, a latent creditworthiness and their credit demand."""

    count: int = Field(20_000, ge=0, le=10_000_000, description="Simulated consumers (agents).")
    represents: int | None = Field(
        None,
        ge=0,
        description=(
            "Real consumers the simulated ones stand for (absent: as many as count); every count and "
            "RMB amount in the results is for these real borrowers."
        ),
    )
    income_median_rmb: float = Field(6_000.0, gt=0, description="Median monthly income.")
    income_dispersion: float = Field(0.5, ge=0, le=3, description="Std. dev. of log income across people.")
    expense_share: float = Field(0.6, ge=0, le=1, description="Share of normal income spent on living costs.")
    income_shock_sd: float = Field(0.15, ge=0, le=3, description="Std. dev. of the monthly log-income shock.")
    savings_months: float = Field(0.5, ge=0, le=60, description="Median liquid savings, in months of income.")
    savings_quality_corr: float = Field(
        0.5, ge=0, le=1, description="Correlation between savings (log) and true creditworthiness."
    )
    annual_distress_pd: float = Field(
        0.0726, gt=0, lt=1, description="Mean yearly chance of a distress event (job loss, illness)."
    )
    distress_income_loss: float = Field(0.7, ge=0, le=1, description="Share of income lost while distressed.")
    distress_months: float = Field(4.0, ge=1, le=60, description="Mean length of a distress spell.")
    quality_dispersion: float = Field(
        1.2,
        ge=0,
        le=3,
        description="How strongly latent creditworthiness spreads the distress PD (probit slope).",
    )
    apply_rate: float = Field(
        0.05, ge=0, le=1, description="Monthly chance that a consumer without a loan applies."
    )
    request_income_multiple: float = Field(
        0.8, gt=0, le=100, description="Median loan requested, in months of income."
    )
    request_dispersion: float = Field(0.5, ge=0, le=3, description="Std. dev. of log requested amount.")


class Sector(Frozen):
    """An SME sector: its share of firms, its seasonal pattern and its exposure to the macro cycle."""

    name: str = Field(description="Sector name, used in shocks and policies.")
    share: float = Field(gt=0, description="Relative share of SMEs in this sector (normalised to 1).")
    seasonality: float = Field(0.2, ge=0, lt=1, description="Amplitude of the seasonal revenue swing.")
    peak_month: int = Field(12, ge=1, le=12, description="Calendar month of peak revenue.")
    macro_beta: float = Field(
        1.0, ge=0, le=5, description="Exposure of revenue and distress to the macro factor."
    )


def _default_sectors() -> tuple[Sector, ...]:
    return (
        Sector(name="retail", share=0.35, seasonality=0.25, peak_month=11, macro_beta=1.0),
        Sector(name="catering", share=0.25, seasonality=0.2, peak_month=2, macro_beta=1.3),
        Sector(name="manufacturing", share=0.2, seasonality=0.15, peak_month=9, macro_beta=1.1),
        Sector(name="services", share=0.2, seasonality=0.1, peak_month=6, macro_beta=0.8),
    )


class SMEs(Represented):
    """Small businesses: revenue by sector with seasonality, working-capital demand, offline quality."""

    count: int = Field(4_000, ge=0, le=10_000_000, description="Simulated SMEs (agents).")
    represents: int | None = Field(
        None,
        ge=0,
        description=(
            "Real SMEs the simulated ones stand for (absent: as many as count); every count and RMB "
            "amount in the results is for these real borrowers."
        ),
    )
    revenue_median_rmb: float = Field(60_000.0, gt=0, description="Median monthly revenue.")
    revenue_dispersion: float = Field(0.8, ge=0, le=3, description="Std. dev. of log revenue across firms.")
    margin: float = Field(
        0.2, gt=0, le=1, description="Share of revenue left for debt service in a normal month."
    )
    revenue_shock_sd: float = Field(
        0.08, ge=0, le=3, description="Std. dev. of the monthly log-revenue shock."
    )
    savings_months: float = Field(
        1.0, ge=0, le=60, description="Median cash buffer, in months of revenue × margin."
    )
    savings_quality_corr: float = Field(
        0.5, ge=0, le=1, description="Correlation between the cash buffer (log) and true quality."
    )
    annual_distress_pd: float = Field(
        0.0485, gt=0, lt=1, description="Mean yearly chance of a business distress event."
    )
    distress_revenue_loss: float = Field(
        0.6, ge=0, le=1, description="Share of revenue lost while distressed."
    )
    distress_months: float = Field(5.0, ge=1, le=60, description="Mean length of a distress spell.")
    quality_dispersion: float = Field(
        1.2, ge=0, le=3, description="Probit slope of distress PD on true quality."
    )
    offline_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of an SME's true quality that is offline (invisible to online data).",
    )
    thin_file_share: float = Field(0.5, ge=0, le=1, description="Share of SMEs with thin online files.")
    viable_max_annual_pd: float = Field(
        0.06, gt=0, lt=1, description="An SME is viable when its true yearly distress PD is at most this."
    )
    apply_rate: float = Field(
        0.08, ge=0, le=1, description="Monthly chance that an SME without a loan applies."
    )
    request_revenue_multiple: float = Field(
        0.25, gt=0, le=100, description="Median working capital requested, in months of revenue."
    )
    request_dispersion: float = Field(0.4, ge=0, le=3, description="Std. dev. of log requested amount.")
    sectors: tuple[Sector, ...] = Field(default_factory=_default_sectors, min_length=1)

    @model_validator(mode="after")
    def _sector_names_unique(self) -> SMEs:
        names = [s.name for s in self.sectors]
        if len(set(names)) != len(names):
            raise ValueError(f"sector names must be unique, got {names}")
        return self


class Region(Frozen):
    """A region: its share of borrowers and its own economic cycle."""

    name: str = Field(description="Region name, used in shocks and policies.")
    share: float = Field(gt=0, description="Relative share of borrowers in this region (normalised to 1).")
    own_cycle_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of the region's factor variance that is its own cycle, not national.",
    )


def _default_regions() -> tuple[Region, ...]:
    return (
        Region(name="east", share=0.4, own_cycle_weight=0.2),
        Region(name="central", share=0.3, own_cycle_weight=0.3),
        Region(name="west", share=0.2, own_cycle_weight=0.4),
        Region(name="northeast", share=0.1, own_cycle_weight=0.5),
    )


class ExternalDebt(Frozen):
    """Debt on other platforms (multi-platform borrowing): not modelled loan by loan, but it takes
    cash flow, raises default risk, and the platform sees it only partly."""

    enabled: bool = Field(True, description="Borrowers may hold debt on other platforms.")
    holder_share: float = Field(
        0.2, ge=0, le=1, description="Share of borrowers holding such debt at the start."
    )
    service_share: float = Field(
        0.15,
        ge=0,
        le=2,
        description="Median monthly debt service of a holder, as a share of normal cash flow.",
    )
    new_debt_rate: float = Field(0.01, ge=0, le=1, description="Monthly chance of taking new debt elsewhere.")
    new_debt_rate_after_rejection: float = Field(
        0.05, ge=0, le=1, description="The same chance in the month after a rejection or refusal here."
    )
    payoff_months: float = Field(
        12.0, ge=1, le=120, description="Mean months until debt elsewhere is paid off."
    )
    visible_share: float = Field(
        0.5, ge=0, le=1, description="Share of borrowers whose debt elsewhere the platform's data can see."
    )
    score_points_per_debt_ratio: float = Field(
        200.0, ge=0, le=2000, description="Score points lost per unit of visible debt-service ratio."
    )


class Behaviour(Frozen):
    """How borrowers use the app: probing, stale identity data, retries after failures."""

    prober_share: float = Field(
        0.05, ge=0, le=1, description="Share of borrowers who probe the system with repeated requests."
    )
    probe_requests: int = Field(
        3, ge=0, le=50, description="Extra requests a prober sends in a month of need."
    )
    identity_stale_rate: float = Field(
        0.05, ge=0, le=1, description="Yearly chance that a borrower's phone/ID data goes stale."
    )
    identity_update_rate: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Monthly chance that a borrower frozen for stale data updates it (vague reasons).",
    )
    identity_update_rate_actionable: float = Field(
        0.6, ge=0, le=1, description="The same chance when the platform says exactly what to fix."
    )


class Population(Frozen):
    consumers: Consumers = Consumers()
    smes: SMEs = SMEs()
    regions: tuple[Region, ...] = Field(default_factory=_default_regions, min_length=1)
    external_debt: ExternalDebt = ExternalDebt()
    behaviour: Behaviour = Behaviour()

    @property
    def real_borrowers(self) -> int:
        """Real consumers and SMEs the simulated ones stand for."""
        return self.consumers.real_count + self.smes.real_count

    @model_validator(mode="after")
    def _region_names_unique(self) -> Population:
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError(f"region names must be unique, got {names}")
        return self


class Shock(Frozen):
    """A macro shock: from `start_month` for `duration_months`, the systematic factor is pushed down."""

    start_month: int = Field(ge=1, description="First month of the shock.")
    duration_months: int = Field(1, ge=1, description="Months the shock lasts.")
    depth: float = Field(
        description="Shift of the systematic factor in standard deviations (negative = bad times)."
    )
    target: Literal["all", "consumers", "smes"] = Field("all", description="Who the shock hits.")
    sectors: tuple[str, ...] = Field((), description="Only SMEs in these sectors (empty: every sector).")
    regions: tuple[str, ...] = Field((), description="Only borrowers in these regions (empty: every region).")
    funding_cost_shift: float = Field(
        0.0, ge=-1, le=1, description="Added to the platform's funding APRs while the shock lasts."
    )


class Macro(Frozen):
    """The systematic factor (Vasicek one-factor form): defaults cluster in bad months."""

    asset_correlation: float = Field(
        0.08,
        ge=0,
        lt=1,
        description="Vasicek ρ: how strongly the monthly factor moves everyone's distress PD.",
    )
    persistence: float = Field(0.7, ge=0, lt=1, description="AR(1) coefficient of the factor month to month.")
    income_beta: float = Field(0.05, ge=0, le=1, description="Log-income response to one s.d. of the factor.")
    shocks: tuple[Shock, ...] = Field((), description="Scheduled shocks (an array of tables).")


class ReviewerBias(Frozen):
    """A reviewer's preference (shift > 0) or aversion (shift < 0) for some borrowers, whatever their
    true quality: the conditions given all apply (none given: everyone reviewed)."""

    sectors: tuple[str, ...] = Field((), description="Only SMEs in these sectors (empty: any sector).")
    regions: tuple[str, ...] = Field((), description="Only borrowers in these regions (empty: any region).")
    thin_file: bool | None = Field(
        None,
        description=(
            "Only SMEs with thin online files (true: young firms, which the model knows by their thin "
            "file) or only those with established files (false); absent: anyone."
        ),
    )
    shift: float = Field(
        ge=-3,
        le=3,
        description=(
            "Added to the reviewer's belief about these borrowers' quality, in standard deviations of "
            "quality (−0.3: judged 0.3 s.d. worse than the evidence says)."
        ),
    )


class HumanReview(Frozen):
    """People in the loop: who gets reviewed, how many can be, what they see and what they cost.

    What reviewers see (docs/reviewers.md): their look at a borrower's hidden quality errs with
    `soft_info_noise` (SMEs' × `sme_noise_factor`), more on riskier cases (`risk_noise_slope`) and
    when worked beyond a comfortable load (`fatigue_noise_slope`); they weigh it as if it erred only
    by its usual amount. They are shown the engine's score, or (`reviewers_see_score` false) read
    the file themselves with `hard_info_noise` and take their reading for the score. A `bias`
    shifts their belief about some borrowers.
    """

    reviewers: int = Field(
        2, ge=0, le=100_000, description="Reviewers on duty; 0 means every decision is automated."
    )
    reviews_per_reviewer_month: int = Field(
        400, gt=0, le=100_000, description="Reviews one reviewer completes a month."
    )
    cost_per_review_rmb: float = Field(
        40.0, ge=0, description="Cost of one review done, beyond the staff's pay (data, calls, checks)."
    )
    cost_per_reviewer_month_rmb: float = Field(
        0.0,
        ge=0,
        description=(
            "Monthly cost of one reviewer employed (pay, social contributions, overhead), charged "
            "every month in HITL mode whether the reviewer is busy or not."
        ),
    )
    delay_days: float = Field(3.0, ge=0, le=365, description="Days a review adds to the decision.")
    score_band: float = Field(
        40.0, ge=0, description="Applications within ± this many points of the cutoff go to review."
    )
    review_thin_file_smes: bool = Field(True, description="SMEs with thin online files go to review.")
    soft_info_noise: float = Field(
        0.5,
        ge=0,
        le=100,
        description=(
            "Std. dev. of the reviewer's error on a consumer's hidden quality, on an ordinary case at a "
            "comfortable load (SMEs': × sme_noise_factor)."
        ),
    )
    sme_noise_factor: float = Field(
        1.0, ge=0, le=10, description="The reviewer's error on an SME is this many times a consumer's."
    )
    risk_noise_slope: float = Field(
        0.0,
        ge=0,
        le=10,
        description=(
            "Riskier cases are read worse: the reviewer's errors grow by this share for each 100 score "
            "points below 650."
        ),
    )
    reviewers_see_score: bool = Field(
        True,
        description=(
            "Reviewers are shown the engine's score; false: they read the hard information in the file "
            "themselves (humans alone)."
        ),
    )
    hard_info_noise: float = Field(
        0.0,
        ge=0,
        le=100,
        description=(
            "Std. dev. of a reviewer's own reading of the hard information, in units of the score's "
            "signal (100 points), when not shown the score."
        ),
    )
    comfortable_reviews_per_reviewer_month: int = Field(
        400,
        gt=0,
        le=100_000,
        description="Reviews a reviewer does a month before tiring (beyond it, errors grow).",
    )
    fatigue_noise_slope: float = Field(
        0.0,
        ge=0,
        le=10,
        description=(
            "Errors grow by this share for each comfortable load's worth of extra reviews a reviewer "
            "does in the month (0: reviewers never tire)."
        ),
    )
    bias: tuple[ReviewerBias, ...] = Field(
        (), description="Reviewers' preferences or aversions (an array of tables; empty: none)."
    )
    match_term_to_cash_flow: bool = Field(
        True, description="Reviewers set the term so the instalment fits cash flow."
    )
    affordability_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="Largest share of expected free cash flow a reviewer lets the instalment take.",
    )
    overflow: Literal["wait", "fallback"] = Field(
        "wait",
        description="Work beyond capacity waits for next month, or falls back to the automated decision.",
    )
    appeals: bool = Field(True, description="Rejected or frozen borrowers may appeal to a reviewer.")
    appeal_rate: float = Field(
        0.3, ge=0, le=1, description="Chance that a rejected, refused or frozen borrower appeals."
    )
    max_wait_months: int = Field(
        2, ge=0, le=24, description="Months an applicant waits in the queue before giving up."
    )
    appeal_grace_months: int = Field(
        3,
        ge=0,
        le=120,
        description=(
            "Months after a freeze is lifted on appeal in which the score-drop rule does not freeze "
            "the account again (other causes still do); 0 = it may re-freeze the same month."
        ),
    )


class ScoringModel(Frozen):
    """The platform's risk model: how often it is re-estimated and how fresh its data are."""

    reestimation_months: int = Field(
        3,
        ge=0,
        le=600,
        description="Re-estimate the default rate from recent cohorts every K months; 0 = never.",
    )
    data_lag_months: int = Field(
        0, ge=0, le=24, description="The score used is this many months old (stale data)."
    )
    window_months: int = Field(12, ge=1, le=60, description="Origination cohorts used in one re-estimation.")
    maturity_months: int = Field(
        6, ge=1, le=24, description="Months a cohort must age before its defaults count (90+ dpd needs 3)."
    )
    adjust_cutoff: bool = Field(
        True, description="Move the cutoff so the expected PD at the cutoff stays at the risk appetite."
    )
    initial_consumer_default_rate: float = Field(
        0.011, gt=0, lt=1, description="Consumer loan default rate the model is calibrated to at the start."
    )
    initial_sme_default_rate: float = Field(
        0.0162, gt=0, lt=1, description="SME loan default rate the model is calibrated to at the start."
    )


class Drawdown(Frozen):
    """Limit shown, drawdown refused: a granted line is re-checked at every drawdown."""

    credit_lines: bool = Field(
        True, description="Approval grants a credit line; later needs draw on it after re-checks."
    )
    line_validity_months: int = Field(12, ge=1, le=120, description="Months a granted line stays on show.")
    concentration_requests: int = Field(
        3, ge=0, le=100, description="Refuse a drawdown after this many requests in 30 days; 0 = never."
    )
    anomaly_flag_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Monthly chance that account behaviour (e.g. frequent log-ins) is flagged.",
    )
    anomaly_quality_tilt: float = Field(
        0.5,
        ge=0,
        le=5,
        description="How much more often weak borrowers are flagged (0: flags are pure noise).",
    )
    peak_tightening_points: float = Field(
        30.0, ge=0, le=600, description="Extra score points a drawdown needs during peak months."
    )
    reviewed_lines_skip_score_check: bool = Field(
        False,
        description=(
            "A line a reviewer granted skips the score check at drawdown (the reviewer's judgement "
            "stands); false = every drawdown faces the same checks."
        ),
    )


class Accounts(Frozen):
    """Account freezes ("功能关闭") and their recovery paths."""

    score_floor: float = Field(
        520.0, ge=0, le=SCORE_MAX, description="Freeze an account whose score falls below this; 0 = never."
    )
    recovery_clean_months: int = Field(
        3,
        ge=1,
        le=60,
        description="Clean months (and a score back above the floor) that lift a score freeze.",
    )
    velocity_max_requests: int = Field(
        5, ge=0, le=100, description="Freeze an account with more requests than this in 30 days; 0 = never."
    )
    velocity_cooloff_months: int = Field(1, ge=1, le=24, description="Months a velocity freeze lasts.")
    identity_checks: bool = Field(True, description="Freeze accounts whose identity data no longer match.")


class RegulatorOrder(Frozen):
    """A regulator-ordered compliance suspension of a share of accounts."""

    start_month: int = Field(ge=1, description="First month of the order.")
    duration_months: int = Field(1, ge=1, description="Months it lasts.")
    share: float = Field(ge=0, le=1, description="Share of accounts suspended.")


class Underwriting(Frozen):
    """The platform's rules: score, cutoff, limits, price and term."""

    cutoff: float = Field(
        600.0, ge=SCORE_MIN, le=SCORE_MAX, description="Score cutoff (350–950) for approval."
    )
    consumer_score_discrimination: float = Field(
        0.65,
        ge=0,
        le=1,
        description="Correlation between a consumer's online score and true creditworthiness.",
    )
    sme_score_discrimination: float = Field(
        0.6, ge=0, le=1, description="Correlation between an SME's score and its online quality (thick file)."
    )
    thin_file_discrimination: float = Field(
        0.25, ge=0, le=1, description="The same correlation for SMEs with thin online files."
    )
    limit_doubling_points: float = Field(
        300.0, gt=0, le=1000, description="Score points over which the limit doubles (halves below 750)."
    )
    consumer_limit_income_multiple: float = Field(
        1.0, gt=0, description="Consumer limit at score 750, in months of income."
    )
    consumer_limit_cap_rmb: float = Field(200_000.0, gt=0, description="Largest consumer limit.")
    sme_limit_revenue_multiple: float = Field(
        0.35, gt=0, description="SME limit at score 750, in months of revenue."
    )
    sme_limit_cap_rmb: float = Field(1_000_000.0, gt=0, description="Largest SME limit.")
    base_apr: float = Field(0.073, ge=0, le=1, description="APR for a borrower with no expected loss.")
    risk_premium: float = Field(
        2.0, ge=0, le=20, description="APR added per unit of expected yearly loss (PD × LGD) the model sees."
    )
    automated_term_months: int = Field(
        3, ge=1, le=12, description="Term the automated offer takes (the shortest)."
    )
    max_term_months: int = Field(12, ge=1, le=12, description="Longest term a reviewer may grant.")
    score_penalty_per_missed_payment: float = Field(
        40.0, ge=0, le=600, description="Score points lost for each missed instalment."
    )
    score_recovery_per_clean_month: float = Field(
        2.0, ge=0, le=600, description="Score points regained per clean month, up to the original score."
    )
    min_loan_rmb: float = Field(
        100.0, ge=0, description="Smallest amount worth originating after limits are scaled."
    )
    repayment: Literal["equal_instalments", "interest_first"] = Field(
        "equal_instalments",
        description="Equal monthly instalments, or interest monthly and principal at the end.",
    )
    model: ScoringModel = ScoringModel()
    drawdown: Drawdown = Drawdown()
    accounts: Accounts = Accounts()
    hitl: HumanReview = HumanReview()

    @model_validator(mode="after")
    def _terms_ordered(self) -> Underwriting:
        if self.max_term_months < self.automated_term_months:
            raise ValueError("max_term_months must be ≥ automated_term_months")
        return self


class Peak(Frozen):
    """A month of peak demand (holidays, shopping festivals)."""

    name: str = Field(description="E.g. spring_festival, 618, double_11.")
    month_of_year: int = Field(ge=1, le=12, description="Calendar month.")
    demand_multiplier: float = Field(1.5, ge=0, le=20, description="Credit demand is multiplied by this.")


def _default_peaks() -> tuple[Peak, ...]:
    return (
        Peak(name="spring_festival", month_of_year=2, demand_multiplier=1.4),
        Peak(name="618", month_of_year=6, demand_multiplier=1.3),
        Peak(name="double_11", month_of_year=11, demand_multiplier=1.8),
    )


class Maintenance(Frozen):
    """A maintenance window: part of the month the system is down."""

    start_month: int = Field(ge=1, description="First month of the window.")
    duration_months: int = Field(1, ge=1, description="Months it lasts.")
    downtime_share: float = Field(
        0.1, ge=0, le=1, description="Share of requests that meet a system that is down."
    )


class Calendar(Frozen):
    peaks: tuple[Peak, ...] = Field(
        default_factory=_default_peaks, description="Peak months (array of tables)."
    )
    maintenance: tuple[Maintenance, ...] = Field((), description="Maintenance windows (array of tables).")


class Capacity(Frozen):
    """Processing capacity: requests beyond it fail; borrowers retry, which loads the system further."""

    requests_per_month: float = Field(
        0.0,
        ge=0,
        description="Real requests (applications and drawdowns) the system processes a month; 0 = unlimited.",
    )
    peak_capacity_multiplier: float = Field(
        1.0,
        ge=0,
        le=20,
        description="Capacity in peak months is multiplied by this (the remedy: more capacity at peak).",
    )
    max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts a borrower makes for one need (1 + retries)."
    )
    retry_rate: float = Field(0.7, ge=0, le=1, description="Chance that a borrower retries after a failure.")


class Restriction(Frozen):
    """Lending restricted to some sectors or regions (no new credit there) for a while."""

    sectors: tuple[str, ...] = Field((), description="Sectors closed to new lending.")
    regions: tuple[str, ...] = Field((), description="Regions closed to new lending.")
    start_month: int = Field(1, ge=1, description="First month of the restriction.")
    end_month: int = Field(0, ge=0, description="Last month (0 = to the end).")
    imposed_by: Literal["platform", "regulator"] = Field("platform", description="Who imposes it.")


class Policy(Frozen):
    restrictions: tuple[Restriction, ...] = Field(
        (), description="Sector/region restrictions (array of tables)."
    )
    regulator_orders: tuple[RegulatorOrder, ...] = Field(
        (), description="Regulator-ordered account suspensions (array of tables)."
    )


class Reasons(Frozen):
    """What a rejected, refused or frozen borrower is told."""

    actionable: bool = Field(
        False,
        description="Tell borrowers what to fix (actionable codes) instead of 'comprehensive assessment'.",
    )


class Risk(Frozen):
    lgd: float = Field(
        0.8, ge=0, le=1, description="Loss given default: share of the balance lost at write-off (90+ dpd)."
    )


class PartnerBank(Frozen):
    """A bank that funds the partner share of co-lent loans, within its own appetite and limits."""

    name: str = Field(description="Partner name.")
    tier1_capital_rmb: float = Field(gt=0, description="The bank's net tier-1 capital, RMB.")
    max_share_of_tier1: float = Field(
        0.25,
        gt=0,
        le=10,
        description="Co-lent balance with the platform ≤ this share of tier-1 (CBIRC 2021: 25 %).",
    )
    appetite: float = Field(1.0, ge=0, le=1, description="Share of that limit the bank is willing to use.")
    stress_loss_rate: float = Field(
        0.08,
        gt=0,
        le=1,
        description="Yearly loss rate on its co-lent book above which the bank cuts appetite.",
    )
    stress_appetite: float = Field(0.5, ge=0, le=1, description="Appetite multiplier while under stress.")


def _default_partners() -> tuple[PartnerBank, ...]:
    return tuple(
        PartnerBank(name=name, tier1_capital_rmb=tier1)
        for name, tier1 in (("bank_a", 60e6), ("bank_b", 48e6), ("bank_c", 36e6), ("bank_d", 28.8e6))
    )


class Platform(Frozen):
    """The lender's balance sheet and funding: own capital, borrowings, ABS, co-lending partners."""

    capital_rmb: float = Field(720_000.0, ge=0, description="Initial capital (net assets), RMB.")
    own_funding_share: float = Field(
        0.02,
        gt=0,
        le=1,
        description="Share of each loan the platform funds itself (≈ 2 % before the 2020 rules).",
    )
    nonstandard_funding_apr: float = Field(
        0.045, ge=0, le=1, description="Annual cost of bank and shareholder loans (non-standard financing)."
    )
    abs_funding_apr: float = Field(0.035, ge=0, le=1, description="Annual cost of bonds and ABS.")
    service_fee_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of the interest on partner-funded loans the platform keeps as a fee.",
    )
    operating_cost_apr: float = Field(
        0.01, ge=0, le=1, description="Annual operating cost as a share of the whole facilitated book."
    )
    partner_review_cost_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of review cost the partner banks bear; the platform's P&L bears the rest.",
    )
    partner_funding_apr: float = Field(
        0.025,
        ge=0,
        le=1,
        description="Partner banks' annual cost of funds on their co-lent balance (in book_profit only).",
    )
    partners: tuple[PartnerBank, ...] = Field(
        default_factory=_default_partners,
        description="Partner banks (array of tables); empty = no co-lending.",
    )

    @model_validator(mode="after")
    def _partners_named_uniquely(self) -> Platform:
        names = [p.name for p in self.partners]
        if len(set(names)) != len(names):
            raise ValueError(f"partner names must be unique, got {names}")
        if self.own_funding_share < 1 and not self.partners:
            raise ValueError("own_funding_share < 1 needs at least one partner bank in platform.partners")
        return self


class RuleChange(Frozen):
    """Rules that change from a month on (e.g. "from month 18 the own-funding share is 30 %").
    Keys left out keep their value."""

    from_month: int = Field(ge=1, description="First month the new values apply.")
    min_own_funding_share: float | None = Field(None, ge=0, le=1)
    min_capital_ratio: float | None = Field(None, ge=0, le=1)
    nonstandard_leverage_cap: float | None = Field(None, ge=0)
    abs_leverage_cap: float | None = Field(None, ge=0)
    apr_cap: float | None = Field(None, gt=0, le=1)
    consumer_loan_cap_rmb: float | None = Field(None, gt=0)
    consumer_income_share_cap: float | None = Field(None, ge=0, le=10)
    sme_loan_cap_rmb: float | None = Field(None, gt=0)


class ScheduledAction(Frozen):
    """A supervisory action ordered in advance (e.g. "months 24–26 new lending suspended")."""

    start_month: int = Field(ge=1, description="First month of the action.")
    duration_months: int = Field(1, ge=1, description="Months it lasts.")
    action: Literal["warning", "growth_cap", "suspension"] = Field(description="What is ordered.")


class Regulation(Frozen):
    """The rules the regulator sets and inspects each month, and how it escalates on a breach."""

    min_own_funding_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Least share of each co-lent loan the platform must fund (2020 draft: 30 %).",
    )
    min_capital_ratio: float = Field(
        0.1, ge=0, le=1, description="Capital / risk-weighted own-funded assets must stay above this."
    )
    risk_weights: Literal["standardised", "irb"] = Field(
        "standardised", description="Standardised weights, or the Basel IRB formula on the model's PDs."
    )
    retail_risk_weight: float = Field(0.75, ge=0, le=10, description="Standardised weight of consumer loans.")
    corporate_risk_weight: float = Field(1.0, ge=0, le=10, description="Standardised weight of SME loans.")
    nonstandard_leverage_cap: float = Field(
        1.0, ge=0, description="Bank and shareholder loans ≤ this × net assets (2020 draft: 1×)."
    )
    abs_leverage_cap: float = Field(
        4.0, ge=0, description="Bonds and ABS ≤ this × net assets (2020 draft: 4×)."
    )
    apr_cap: float = Field(
        0.24, gt=0, le=1, description="Interest-rate ceiling (24 %; 15.4 % = 4 × LPR since Aug 2020)."
    )
    consumer_loan_cap_rmb: float = Field(300_000.0, gt=0, description="Largest loan to one person.")
    consumer_income_share_cap: float = Field(
        0.0,
        ge=0,
        le=10,
        description="Consumer loan ≤ this share of annual income (2020 draft: 1/3); 0 = no rule.",
    )
    sme_loan_cap_rmb: float = Field(1_000_000.0, gt=0, description="Largest loan to one business.")
    cure_months: int = Field(2, ge=1, le=24, description="Months of breach before the regulator escalates.")
    growth_cap_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Under a growth cap, new lending ≤ this share of last quarter's monthly average.",
    )
    schedule: tuple[RuleChange, ...] = Field((), description="Rule changes by date (array of tables).")
    actions: tuple[ScheduledAction, ...] = Field(
        (), description="Actions ordered in advance (array of tables)."
    )


UNCERTAINTY_DISTRIBUTIONS = ("uniform", "triangular", "integer")


class Uncertainty(Frozen):
    """A setting whose value is not known: the range of values that are plausible, how likely each
    is, and where that range comes from. `lendsim robustness` samples every declared uncertainty
    and reports how often each finding of the scenario holds across them."""

    low: float = Field(description="Lowest plausible value.")
    high: float = Field(description="Highest plausible value.")
    distribution: Literal["uniform", "triangular", "integer"] = Field(
        "uniform",
        description=(
            "uniform: every value from low to high equally likely; triangular: most likely at mode, "
            "tapering to low and high; integer: every whole number from low to high equally likely "
            "(the one choice for a whole-number setting)."
        ),
    )
    mode: float | None = Field(None, description="Most likely value (triangular only).")
    source: str = Field(
        min_length=1, description="Where the range comes from: a study, a figure, or 'judgement: why'."
    )
    label: str = Field("", description="Short name in plain words for reports (empty: from the key).")

    @model_validator(mode="after")
    def _a_range_that_can_be_sampled(self) -> Uncertainty:
        if not self.low < self.high:
            raise ValueError(f"low = {self.low:g} must be below high = {self.high:g}")
        if self.distribution == "triangular":
            if self.mode is None:
                raise ValueError("a triangular distribution needs mode, its most likely value")
            if not self.low <= self.mode <= self.high:
                raise ValueError(
                    f"mode = {self.mode:g} must lie from low = {self.low:g} to high = {self.high:g}"
                )
        elif self.mode is not None:
            raise ValueError(f'mode is for distribution = "triangular", not "{self.distribution}"')
        whole = float(self.low).is_integer() and float(self.high).is_integer()
        if self.distribution == "integer" and not whole:
            raise ValueError(
                f"an integer distribution needs whole-number low and high, not {self.low:g} and {self.high:g}"
            )
        if not self.source.strip():
            raise ValueError("source must say where the range comes from")
        return self


class Scenario(Frozen):
    """A complete, validated scenario: population, economy, platform, rules and regulation."""

    meta: Meta = Meta()
    simulation: Simulation = Simulation()
    population: Population = Population()
    macro: Macro = Macro()
    underwriting: Underwriting = Underwriting()
    risk: Risk = Risk()
    platform: Platform = Platform()
    regulation: Regulation = Regulation()
    calendar: Calendar = Calendar()
    capacity: Capacity = Capacity()
    policy: Policy = Policy()
    reasons: Reasons = Reasons()
    uncertainties: dict[str, Uncertainty] = Field(
        default_factory=dict,
        description=(
            "Settings whose values are not known, each a table under its dotted key with its "
            "plausible range and source; `lendsim robustness` tests the findings against them."
        ),
    )

    @model_validator(mode="after")
    def _names_known(self) -> Scenario:
        sectors = {sector.name for sector in self.population.smes.sectors}
        regions = {region.name for region in self.population.regions}
        tables = [
            ("macro.shocks", self.macro.shocks),
            ("policy.restrictions", self.policy.restrictions),
            ("underwriting.hitl.bias", self.underwriting.hitl.bias),
        ]
        for table, items in tables:
            for i, item in enumerate(items):
                for key, known in (("sectors", sectors), ("regions", regions)):
                    unknown = [name for name in getattr(item, key) if name not in known]
                    if unknown:
                        raise ValueError(
                            f"{table}[{i}].{key} = {list(getattr(item, key))} — unknown {key[:-1]} "
                            f"{unknown[0]!r}; known: {', '.join(sorted(known))}"
                        )
        return self

    @model_validator(mode="after")
    def _shocks_inside_horizon(self) -> Scenario:
        for i, shock in enumerate(self.macro.shocks):
            if shock.start_month > self.simulation.months:
                raise ValueError(
                    f"macro.shocks[{i}].start_month = {shock.start_month} is after the last month "
                    f"({self.simulation.months})"
                )
        return self
