"""The platform's P&L for the month; profit (or loss) moves capital, and capital bounds lending.

Income: interest on the platform's own share of each loan, and a service fee on the interest of the
partner-funded share. Costs: credit losses on the own share, funding of the own book beyond net
assets (non-standard financing first, then ABS; a funding-cost shock moves both rates, never below
zero), operating cost on the book at the start of the month, and the month's reviews — as the
review phase reports them, not as the records show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lendsim.funding import Funding
from lendsim.loans import LoanBook
from lendsim.phases.collection import Collection
from lendsim.regulation import RulesInForce
from lendsim.scenario.schema import Platform as PlatformConfig


@dataclass(frozen=True)
class ProfitAndLoss:
    profit_rmb: float
    capital_rmb: float  # after this month's profit
    own_interest_rmb: float
    service_fees_rmb: float
    own_credit_losses_rmb: float
    funding_cost_rmb: float
    operating_cost_rmb: float
    nonstandard_funding_rmb: float
    abs_funding_rmb: float


def profit_and_loss(
    cfg: PlatformConfig,
    collection: Collection,
    review_cost_rmb: float,
    book: LoanBook,
    funding: Funding,
    law: RulesInForce,
    funding_shift: float,
    lgd: float,
    capital_rmb: float,
) -> ProfitAndLoss:
    """The month's profit, from what collection brought in and what reviews cost."""
    settled, own = collection.settled, book.own_share
    interest = float((own * settled.interest_paid_rmb).sum())
    fees = cfg.service_fee_share * float(((1.0 - own) * settled.interest_paid_rmb).sum())
    losses = lgd * float((own * settled.written_off_rmb).sum())
    nonstandard, abs_ = funding.funding_mix_rmb(collection.own_book_start_rmb, capital_rmb, law)
    funding_cost = (  # a funding-cost shock can lower rates, never below zero
        nonstandard * max(cfg.nonstandard_funding_apr + funding_shift, 0.0)
        + abs_ * max(cfg.abs_funding_apr + funding_shift, 0.0)
    ) / 12.0
    operating = cfg.operating_cost_apr / 12.0 * collection.book_start_rmb
    profit = interest + fees - losses - funding_cost - operating - review_cost_rmb
    return ProfitAndLoss(
        profit_rmb=profit,
        capital_rmb=capital_rmb + profit,
        own_interest_rmb=interest,
        service_fees_rmb=fees,
        own_credit_losses_rmb=losses,
        funding_cost_rmb=funding_cost,
        operating_cost_rmb=operating,
        nonstandard_funding_rmb=nonstandard,
        abs_funding_rmb=abs_,
    )
