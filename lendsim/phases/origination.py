"""Origination: how much of what was approved can be lent, and the loans and lines that follow.

Capital bounds the book. When this month's approved amounts would push the capital ratio below
the minimum, leverage above its cap or the partner banks beyond their appetite, every new amount
is scaled down by the same factor ("low limits"); under a regulator's growth cap, new lending is
held to a share of the recent average, and a suspension stops it. The constraint that binds
records the supply it cost. A scaled amount below the minimum loan is not lent. An approved new
application opens a credit line on show, scaled like the loan, that later needs draw on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.funding import Funding
from lendsim.loans import LoanBook
from lendsim.phases.decisions import Decisions
from lendsim.regulation import GROWTH_CAP, SUSPENSION
from lendsim.underwriting.automated import credit_limit
from lendsim.underwriting.engine import Engine


@dataclass(frozen=True)
class Origination:
    binding: str  # the constraint that set the lending room
    approved: Decisions  # this month's approvals, before the lending room
    offered: np.ndarray  # mask over them: credit actually offered (a loan of more than 0 opened)
    approved_borrower: np.ndarray
    lost_rmb: np.ndarray  # per approved decision: what the lending room cut
    borrower: np.ndarray  # loans opened
    amount_rmb: np.ndarray
    application_month: np.ndarray
    sme_viable: np.ndarray  # mask over the loans opened
    predicted_pd: np.ndarray  # the risk model's default rate for each loan opened
    own_funding_share: float


def risk_weights(engine: Engine, funding: Funding, rows: np.ndarray, term_months: np.ndarray) -> np.ndarray:
    """Regulatory risk weight of each new loan, on the PD the platform expects."""
    b = engine.borrowers
    score, _ = engine.seen(rows)
    pd = engine.expected_pd(rows, score)
    return funding.loan_risk_weights(
        engine.law, b.is_sme[rows], pd, term_months, 12.0 * b.base_cash_rmb[rows]
    )


def lending_room_share(
    d: Decisions,
    engine: Engine,
    funding: Funding,
    book: LoanBook,
    capital_rmb: float,
    action: int,
    recent_originations_rmb: list[float],
    growth_cap_share: float,
) -> tuple[float, str]:
    """Share of this month's approved amounts that can be lent, and the constraint that binds."""
    if action >= SUSPENSION:
        return 0.0, "suspension"
    weights = risk_weights(engine, funding, d.borrower, d.term_months)
    real_amount_rmb = d.amount_rmb * engine.borrowers.weight[d.borrower]
    capacity = funding.capacity(book, capital_rmb, engine.law, real_amount_rmb, weights)
    name, share = capacity.binding()
    if action == GROWTH_CAP and recent_originations_rmb:
        allowed = growth_cap_share * float(np.mean(recent_originations_rmb[-3:]))
        wanted = float(real_amount_rmb.sum())
        growth_share = min(allowed / wanted, 1.0) if wanted > 0 else 1.0
        if growth_share < share:
            name, share = "growth_cap", growth_share
    return share, name


def originate(
    d: Decisions, room: tuple[float, str], engine: Engine, funding: Funding, book: LoanBook
) -> Origination:
    """Open the approved loans the lending room allows, and the new applications' credit lines."""
    rules, b, month = engine.rules, engine.borrowers, engine.month
    share, binding = room
    scaled = d.amount_rmb * share
    funded = scaled >= rules.min_loan_rmb
    f = d.subset(funded)
    rows, amount = f.borrower, scaled[funded]
    own_share = funding.own_share(engine.law)
    book.open(
        rows,
        amount,
        f.apr,
        f.term_months,
        month,
        f.application_month,
        own_share=own_share,
        partner=funding.assign_partners(book, rows, month),
        risk_weight=risk_weights(engine, funding, rows, f.term_months),
        from_application=~f.is_drawdown & ~f.on_appeal,
    )
    new_lines = rows[~f.is_drawdown]
    if rules.drawdown.credit_lines:
        score, _ = engine.seen(new_lines)
        b.line_limit_rmb[new_lines] = share * credit_limit(rules, engine.law, b, new_lines, score)
        b.line_expires[new_lines] = month + rules.drawdown.line_validity_months - 1
        b.reviewed_line[new_lines] = f.reviewed[~f.is_drawdown]
    return Origination(
        binding=binding,
        approved=d,
        offered=funded & (scaled > 0),
        approved_borrower=d.borrower,
        lost_rmb=d.amount_rmb - scaled,
        borrower=rows,
        amount_rmb=amount,
        application_month=f.application_month,
        sme_viable=b.viable[rows],
        predicted_pd=engine.risk_model.predicted_pd(rows),
        own_funding_share=own_share,
    )
