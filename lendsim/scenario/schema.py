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

SCORE_MIN = 350
SCORE_MAX = 950


class Frozen(BaseModel):
    """Base of every scenario table: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_or_false_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        """TOML's true/false must not quietly become 1/0 in a numeric setting."""
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and annotation in (int, float):
            kind = "a whole number" if annotation is int else "a number"
            raise ValueError(f"must be {kind}, not {str(value).lower()}")
        return value


class Meta(Frozen):
    """What the scenario represents, shown at the top of the report."""

    name: str = Field("baseline", description="Short name of the scenario.")
    description: str = Field("", description="One or two sentences on what the scenario represents.")


class Simulation(Frozen):
    """Horizon and replications."""

    months: int = Field(60, ge=1, le=1200, description="Simulated months.")
    seeds: int = Field(5, ge=1, le=1000, description="Replications; automated and HITL are paired by seed.")
    seed: int = Field(20201102, ge=0, description="Root seed; every replication's streams derive from it.")


class Consumers(Frozen):
    """Individual borrowers: income, expenses, a latent creditworthiness and their credit demand."""

    count: int = Field(20_000, ge=0, le=10_000_000, description="Simulated consumers.")
    income_median_rmb: float = Field(6_000.0, gt=0, description="Median monthly income.")
    income_dispersion: float = Field(0.5, ge=0, le=3, description="Std. dev. of log income across people.")
    expense_share: float = Field(0.6, ge=0, le=1, description="Share of normal income spent on living costs.")
    income_shock_sd: float = Field(0.15, ge=0, le=3, description="Std. dev. of the monthly log-income shock.")
    savings_months: float = Field(1.0, ge=0, le=60, description="Median liquid savings, in months of income.")
    savings_quality_corr: float = Field(
        0.5, ge=0, le=1, description="Correlation between savings (log) and true creditworthiness."
    )
    annual_distress_pd: float = Field(
        0.06, gt=0, lt=1, description="Mean yearly chance of a distress event (job loss, illness)."
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


class SMEs(Frozen):
    """Small businesses: revenue by sector with seasonality, working-capital demand, offline quality."""

    count: int = Field(4_000, ge=0, le=10_000_000, description="Simulated SMEs.")
    revenue_median_rmb: float = Field(60_000.0, gt=0, description="Median monthly revenue.")
    revenue_dispersion: float = Field(0.8, ge=0, le=3, description="Std. dev. of log revenue across firms.")
    margin: float = Field(
        0.15, gt=0, le=1, description="Share of revenue left for debt service in a normal month."
    )
    revenue_shock_sd: float = Field(
        0.1, ge=0, le=3, description="Std. dev. of the monthly log-revenue shock."
    )
    savings_months: float = Field(
        1.0, ge=0, le=60, description="Median cash buffer, in months of revenue × margin."
    )
    savings_quality_corr: float = Field(
        0.5, ge=0, le=1, description="Correlation between the cash buffer (log) and true quality."
    )
    annual_distress_pd: float = Field(
        0.05, gt=0, lt=1, description="Mean yearly chance of a business distress event."
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


class Population(Frozen):
    consumers: Consumers = Consumers()
    smes: SMEs = SMEs()


class Shock(Frozen):
    """A macro shock: from `start_month` for `duration_months`, the systematic factor is pushed down."""

    start_month: int = Field(ge=1, description="First month of the shock.")
    duration_months: int = Field(1, ge=1, description="Months the shock lasts.")
    depth: float = Field(
        description="Shift of the systematic factor in standard deviations (negative = bad times)."
    )
    target: Literal["all", "consumers", "smes"] = Field("all", description="Who the shock hits.")


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


class HumanReview(Frozen):
    """People in the loop: who gets reviewed, how many can be, what they see and what they cost."""

    reviewers: int = Field(
        2, ge=0, le=100_000, description="Reviewers on duty; 0 means every decision is automated."
    )
    reviews_per_reviewer_month: int = Field(
        400, gt=0, le=100_000, description="Reviews one reviewer completes a month."
    )
    cost_per_review_rmb: float = Field(60.0, ge=0, description="Cost of one review.")
    delay_days: float = Field(3.0, ge=0, le=365, description="Days a review adds to the decision.")
    score_band: float = Field(
        40.0, ge=0, description="Applications within ± this many points of the cutoff go to review."
    )
    review_thin_file_smes: bool = Field(True, description="SMEs with thin online files go to review.")
    soft_info_noise: float = Field(
        0.5, ge=0, le=100, description="Std. dev. of the reviewer's error on hidden quality."
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
    max_wait_months: int = Field(
        2, ge=0, le=24, description="Months an applicant waits in the queue before giving up."
    )


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
    base_apr: float = Field(0.073, ge=0, le=1, description="APR offered at the top score.")
    max_apr: float = Field(0.219, ge=0, le=1, description="APR offered at the cutoff.")
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
    hitl: HumanReview = HumanReview()

    @model_validator(mode="after")
    def _terms_ordered(self) -> Underwriting:
        if self.max_term_months < self.automated_term_months:
            raise ValueError("max_term_months must be ≥ automated_term_months")
        if self.max_apr < self.base_apr:
            raise ValueError("max_apr must be ≥ base_apr")
        return self


class Risk(Frozen):
    lgd: float = Field(
        0.8, ge=0, le=1, description="Loss given default: share of the balance lost at write-off (90+ dpd)."
    )


class Platform(Frozen):
    """The lender's balance sheet."""

    capital_per_borrower_rmb: float = Field(
        300.0, ge=0, description="Initial capital per simulated borrower (consumers + SMEs)."
    )
    own_funding_share: float = Field(
        1.0, gt=0, le=1, description="Share of each loan the platform funds itself."
    )
    funding_cost_apr: float = Field(
        0.04, ge=0, le=1, description="Annual cost of the platform's own funding."
    )
    operating_cost_apr: float = Field(
        0.02, ge=0, le=1, description="Annual operating cost as a share of the book."
    )


class Regulation(Frozen):
    """Limits the regulator inspects each month."""

    min_capital_ratio: float = Field(
        0.1, ge=0, le=1, description="Capital / risk-weighted assets must stay above this."
    )
    max_leverage: float = Field(5.0, gt=0, description="Own-funded book / capital must stay below this.")
    retail_risk_weight: float = Field(
        0.75, ge=0, le=10, description="Standardised risk weight of consumer loans."
    )
    corporate_risk_weight: float = Field(
        1.0, ge=0, le=10, description="Standardised risk weight of SME loans."
    )


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

    @model_validator(mode="after")
    def _shocks_inside_horizon(self) -> Scenario:
        for i, shock in enumerate(self.macro.shocks):
            if shock.start_month > self.simulation.months:
                raise ValueError(
                    f"macro.shocks[{i}].start_month = {shock.start_month} is after the last month "
                    f"({self.simulation.months})"
                )
        return self
