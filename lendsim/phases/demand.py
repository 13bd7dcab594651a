"""Credit demand: who needs credit this month, and how much.

Consumers borrow against income, SMEs for working capital ahead of their sector's peak; a borrower
with an open loan or a decision pending does not ask (lendsim.agents.borrowers). Viable SME demand
is what the SME funding gap is measured against, so it is kept apart here; only borrowers whose
account is not frozen go on to ask the platform. The records place every borrower with a need in
its current score band for the month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lendsim.economy import Economy
from lendsim.population import Applications, BorrowerTable, MonthlyDraws


class Borrowers(Protocol):
    """A population that says who needs credit (lendsim.agents.borrowers.Consumers, SMEs)."""

    def need(self, economy: Economy, draws: MonthlyDraws, has_loan: np.ndarray) -> Applications: ...


@dataclass(frozen=True)
class Demand:
    needs: Applications  # everyone who needs credit this month
    sme_viable: np.ndarray  # mask over `needs`: demand of viable SMEs
    asking: Applications  # those free to ask the platform (account not frozen)


def credit_demand(
    populations: Sequence[Borrowers],
    table: BorrowerTable,
    economy: Economy,
    draws: MonthlyDraws,
    has_loan: np.ndarray,
) -> Demand:
    """Each population's needs, in order (consumers first, then SMEs, as the table's rows)."""
    needs = Applications.concatenate([p.need(economy, draws, has_loan) for p in populations])
    return Demand(
        needs=needs,
        sme_viable=table.viable[needs.borrower],
        asking=needs.subset(table.frozen_cause[needs.borrower] == 0),
    )
