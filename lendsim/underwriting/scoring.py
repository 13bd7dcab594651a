"""What the platform can know about an applicant's risk, from the score alone or with a review.

The score signal z = (score − 650) / 100 correlates with true quality with coefficient c (lower for
SMEs, lowest for thin online files). Given z, quality is N(c·z, 1 − c²). A reviewer observes true
quality with error N(0, σ²) and combines it with the score by precision weighting; σ → ∞ gives back
the score's view, σ = 0 the truth. Expected yearly PD under a N(m, v) belief about quality is
N((a − k·m) / √(1 + k²·v)) for the population's PD curve N(a − k·q).

The platform's risk appetite is the expected PD of the marginal applicant at the cutoff score. The
automated rule (score ≥ cutoff) and a reviewer's decision apply that same appetite, each with the
information it has — so review changes decisions only through information, never by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from lendsim.population import SCORE_CENTRE, SCORE_SCALE

MIN_VARIANCE = 1e-12


@dataclass(frozen=True)
class QualityBelief:
    mean: np.ndarray
    variance: np.ndarray


def belief_from_score(score: np.ndarray, signal_corr: np.ndarray) -> QualityBelief:
    z = (score - SCORE_CENTRE) / SCORE_SCALE
    return QualityBelief(mean=signal_corr * z, variance=1.0 - signal_corr**2)


def belief_after_review(prior: QualityBelief, observed_quality: np.ndarray, noise_sd: float) -> QualityBelief:
    """Precision-weighted combination of the score's view and the reviewer's noisy observation."""
    prior_precision = 1.0 / np.maximum(prior.variance, MIN_VARIANCE)
    review_precision = 1.0 / max(noise_sd**2, MIN_VARIANCE)
    precision = prior_precision + review_precision
    mean = (prior.mean * prior_precision + observed_quality * review_precision) / precision
    return QualityBelief(mean=mean, variance=1.0 / precision)


@dataclass(frozen=True)
class PDCurve:
    """Yearly PD as a function of quality: N(intercept − slope · quality)."""

    mean_pd: float
    slope: float

    @property
    def intercept(self) -> float:
        return float(ndtri(self.mean_pd) * np.sqrt(1.0 + self.slope**2))

    def expected_pd(self, belief: QualityBelief) -> np.ndarray:
        return ndtr(
            (self.intercept - self.slope * belief.mean) / np.sqrt(1.0 + self.slope**2 * belief.variance)
        )
