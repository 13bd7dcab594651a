"""The platform's P&L for the month; profit (or loss) moves capital, and capital bounds lending.

Income: interest on the platform's own share of each loan, and a service fee on the interest of the
partner-funded share. Costs: credit losses on the own share, funding of the own book beyond net
assets (non-standard financing first, then ABS; a funding-cost shock moves both rates, never below
zero), operating cost on the book at the start of the month, and the platform's part of the month's
reviews — as the review phase reports them, not as the records show them; the partner banks bear
`platform.partner_review_cost_share` of review cost, the platform the rest.

For the whole co-lent book (lendsim.metrics `book_profit`) the month also states the partner banks'
cost of funds on their share of the book at the start of the month (`platform.partner_funding_apr`);
it is no cost of the platform's and does not move its capital.
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
    platform_review_cost_rmb: float  # the platform's part of the month's review cost
    partner_review_cost_rmb: float  # the partner banks' part
    partner_funding_cost_rmb: float  # partner banks' cost of funds on their co-lent balance


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
    interest = book.total_rmb(own * settled.interest_paid_rmb)
    fees = cfg.service_fee_share * book.total_rmb((1.0 - own) * settled.interest_paid_rmb)
    losses = lgd * book.total_rmb(own * settled.written_off_rmb)
    nonstandard, abs_ = funding.funding_mix_rmb(collection.own_book_start_rmb, capital_rmb, law)
    funding_cost = (  # a funding-cost shock can lower rates, never below zero
        nonstandard * max(cfg.nonstandard_funding_apr + funding_shift, 0.0)
        + abs_ * max(cfg.abs_funding_apr + funding_shift, 0.0)
    ) / 12.0
    operating = cfg.operating_cost_apr / 12.0 * collection.book_start_rmb
    platform_review = (1.0 - cfg.partner_review_cost_share) * review_cost_rmb
    partner_book = max(collection.book_start_rmb - collection.own_book_start_rmb, 0.0)
    profit = interest + fees - losses - funding_cost - operating - platform_review
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
        platform_review_cost_rmb=platform_review,
        partner_review_cost_rmb=review_cost_rmb - platform_review,
        partner_funding_cost_rmb=cfg.partner_funding_apr / 12.0 * partner_book,
    )
