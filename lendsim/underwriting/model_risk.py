"""Models that lag the world: the platform's default-rate estimate, its re-estimation, stale data.

The platform's risk model is calibrated to a default rate per borrower kind. Every K months
(`underwriting.model.reestimation_months`; 0 = never) it re-estimates that rate from the cohorts
originated in the last `window_months` that have aged at least `maturity_months` — only what has
been observed by then. The ratio of the estimate to the initial calibration scales the PD the
platform expects at every score; with `adjust_cutoff`, the effective cutoff moves so that the
expected PD at the cutoff stays at the original risk appetite (a dynamic rule tied to conditions).
After a macro shock the estimate, and so the cutoff, trails realised defaults by the maturity lag
plus up to K months. The score itself may be `data_lag_months` old (the model scores last month's
picture of the borrower).

The model learns only from what the platform itself saw happen: the loans it originated and the
defaults among them, by cohort, handed to it by the origination and collection phases.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from lendsim.scenario import Scenario
from lendsim.scenario.schema import SCORE_MAX, SCORE_MIN
from lendsim.underwriting.scoring import PDCurve, belief_from_score

SCORE_GRID = np.arange(SCORE_MIN, SCORE_MAX + 1, dtype=float)
MAX_MEAN_PD = 0.99


class RiskModel:
    """The platform's beliefs about risk; `kind` 0 = consumer, 1 = SME."""

    def __init__(self, scenario: Scenario, is_sme: np.ndarray, signal_corr: np.ndarray) -> None:
        self.cfg = scenario.underwriting.model
        self.cutoff = scenario.underwriting.cutoff
        pop = scenario.population
        self.base_curves = (
            PDCurve(pop.consumers.annual_distress_pd, pop.consumers.quality_dispersion),
            PDCurve(pop.smes.annual_distress_pd, pop.smes.quality_dispersion),
        )
        self.initial = np.array([self.cfg.initial_consumer_default_rate, self.cfg.initial_sme_default_rate])
        self.estimate = self.initial.copy()
        self.kind = is_sme.astype(np.intp)
        self.signal_corr = signal_corr
        # Loans originated and defaults among them, by cohort (origination month) and kind.
        self.cohort_loans = np.zeros((scenario.simulation.months + 1, 2))
        self.cohort_defaults = np.zeros((scenario.simulation.months + 1, 2))
        self.score_history: deque[np.ndarray] = deque(maxlen=self.cfg.data_lag_months + 1)
        # Borrowers fall into a few classes (kind × score-signal strength); cutoffs are per class.
        self._classes, inverse = np.unique(
            np.stack([self.kind.astype(float), signal_corr]), axis=1, return_inverse=True
        )
        self._class_of_row = inverse.ravel()
        self._class_cutoffs: np.ndarray | None = None

    # --- what the model believes -------------------------------------------------------------

    def curve(self, kind: int) -> PDCurve:
        base = self.base_curves[kind]
        multiplier = self.estimate[kind] / self.initial[kind]
        return PDCurve(min(base.mean_pd * multiplier, MAX_MEAN_PD), base.slope)

    def expected_pd(self, rows: np.ndarray, belief) -> np.ndarray:  # noqa: ANN001 - QualityBelief
        kinds = self.kind[rows]
        return np.where(kinds == 1, self.curve(1).expected_pd(belief), self.curve(0).expected_pd(belief))

    def appetite(self, rows: np.ndarray) -> np.ndarray:
        """The expected PD the original calibration accepts at the cutoff (the risk appetite)."""
        corr = self.signal_corr[rows]
        belief = belief_from_score(np.full(rows.size, self.cutoff), corr)
        kinds = self.kind[rows]
        return np.where(
            kinds == 1, self.base_curves[1].expected_pd(belief), self.base_curves[0].expected_pd(belief)
        )

    def effective_cutoff(self, rows: np.ndarray) -> np.ndarray:
        """The cutoff each row faces now: moved with the estimate when `adjust_cutoff` is on."""
        if not self.cfg.adjust_cutoff or np.array_equal(self.estimate, self.initial):
            return np.full(rows.size, self.cutoff)
        if self._class_cutoffs is None:
            self._class_cutoffs = np.array(
                [self._cutoff_for(int(kind), float(corr)) for kind, corr in self._classes.T]
            )
        return self._class_cutoffs[self._class_of_row[rows]]

    def _cutoff_for(self, kind: int, corr: float) -> float:
        appetite = self.base_curves[kind].expected_pd(
            belief_from_score(np.array([self.cutoff]), np.array([corr]))
        )
        expected = self.curve(kind).expected_pd(belief_from_score(SCORE_GRID, np.full(SCORE_GRID.size, corr)))
        ok = np.flatnonzero(expected <= appetite[0])
        return float(SCORE_GRID[ok[0]]) if ok.size else float(SCORE_MAX) + 1.0

    # --- stale data ------------------------------------------------------------------------------

    def observe_scores(self, score: np.ndarray) -> None:
        self.score_history.append(score.copy() if self.cfg.data_lag_months else score)

    def scores(self, current: np.ndarray) -> np.ndarray:
        """The scores the model sees: `data_lag_months` old (the oldest kept so far early on)."""
        return self.score_history[0] if self.cfg.data_lag_months and self.score_history else current

    # --- what the platform observed -------------------------------------------------------------

    def observe_originations(self, rows: np.ndarray, month: int) -> None:
        np.add.at(self.cohort_loans, (np.full(rows.size, month), self.kind[rows]), 1.0)

    def observe_defaults(self, rows: np.ndarray, origination_month: np.ndarray) -> None:
        np.add.at(self.cohort_defaults, (origination_month, self.kind[rows]), 1.0)

    def predicted_pd(self, rows: np.ndarray) -> np.ndarray:
        """The default rate the model expects of these rows now (compared with defaults later)."""
        return self.estimate[self.kind[rows]]

    # --- re-estimation ---------------------------------------------------------------------------

    def reestimate(self, month: int) -> None:
        k = self.cfg.reestimation_months
        if k == 0 or month % k != 0:
            return
        last = month - self.cfg.maturity_months
        first = last - self.cfg.window_months + 1
        if last < 1:
            return
        window = slice(max(first, 1), last + 1)
        loans = self.cohort_loans[window].sum(axis=0)
        defaults = self.cohort_defaults[window].sum(axis=0)
        for kind in (0, 1):
            if loans[kind] > 0:
                self.estimate[kind] = max(defaults[kind] / loans[kind], 1e-6)
        self._class_cutoffs = None
