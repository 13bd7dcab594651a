"""The engine as it stands this month: rules in force, risk model, policy, and what they see.

Every phase that decides — routing, drawdowns, review, origination, the shadow book — asks the same
questions of a row: which score does the platform see (maybe stale), which cutoff applies now, what
PD does it expect, what would the automated engine offer, is the row's sector or region closed.
`Engine` answers them under one month's rules, so the phases need not know where answers come from.
The platform builds a new one each month, once the regulator has set the rules in force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.population import BorrowerTable
from lendsim.regulation import RulesInForce
from lendsim.scenario.schema import Underwriting
from lendsim.underwriting.automated import Offer, automated_offer
from lendsim.underwriting.model_risk import RiskModel
from lendsim.underwriting.policy import Restrictions
from lendsim.underwriting.scoring import belief_from_score


@dataclass(frozen=True)
class Engine:
    rules: Underwriting
    law: RulesInForce
    risk_model: RiskModel
    policy: Restrictions
    borrowers: BorrowerTable
    lgd: float
    month: int

    def seen(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The score the platform sees (maybe stale) and the cutoff it applies now."""
        return self.risk_model.scores(self.borrowers.score)[rows], self.risk_model.effective_cutoff(rows)

    def expected_pd(self, rows: np.ndarray, score: np.ndarray) -> np.ndarray:
        """The yearly PD the risk model expects of rows showing `score`."""
        return self.risk_model.expected_pd(rows, belief_from_score(score, self.borrowers.signal_corr[rows]))

    def offer(self, rows: np.ndarray, requested_rmb: np.ndarray) -> Offer:
        """The automated offer on what the platform sees now, under the rules in force."""
        score, cutoff = self.seen(rows)
        pd = self.expected_pd(rows, score)
        return automated_offer(
            self.rules, self.law, self.borrowers, rows, requested_rmb, score, cutoff, pd, self.lgd
        )

    def restricted(self, rows: np.ndarray) -> np.ndarray:
        """Sector/region policy in force this month."""
        return self.policy.closed(self.borrowers, rows, self.month)
