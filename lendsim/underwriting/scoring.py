"""What the platform can know about an applicant's risk, from the score alone or with a review.

The score signal z = (score − 650) / 100 correlates with true quality with coefficient c (lower for
SMEs, lowest for thin online files). Given z, quality is N(c·z, 1 − c²). A reviewer observes true
quality with error N(0, σ²) and combines it with the score by precision weighting; σ → ∞ gives back
the score's view, σ = 0 the truth. Expected yearly PD under a N(m, v) belief about quality is
N((a − k·m) / √(1 + k²·v)) for the population's PD curve N(a − k·q).

The platform's risk appetite is the expected PD of the marginal applicant at the cutoff score. The
automated rule (score ≥ cutoff) and a reviewer's decision apply that same appetite, each with the
information it has — so review changes decisions only through information, never by construction.
(What people are like — noise that grows with risk and workload, a misread file, a bias — is
lendsim.underwriting.review's: it decides what the reviewer observes and believes, then asks here.)
`auc` measures how well a belief ranks borrowers by their true default probability.
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


def belief_after_review(
    prior: QualityBelief, observed_quality: np.ndarray, noise_sd: float | np.ndarray
) -> QualityBelief:
    """Precision-weighted combination of the score's view and the reviewer's noisy observation
    (`noise_sd`: the error the reviewer takes their look to have, one for all or one per row)."""
    prior_precision = 1.0 / np.maximum(prior.variance, MIN_VARIANCE)
    review_precision = 1.0 / np.maximum(np.square(noise_sd), MIN_VARIANCE)
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


def auc(risk: np.ndarray, default_probability: np.ndarray) -> float:
    """Discrimination of a risk ranking: the chance that a borrower who defaults ranks riskier than
    one who does not (ties count half), with each borrower defaulting with `default_probability`.

    This is the expected AUC (the Mann–Whitney statistic) over the default outcomes, computed
    exactly rather than from one draw of them: each borrower counts as a defaulter with weight p
    and as a survivor with weight 1 − p.
    """
    values, group = np.unique(np.asarray(risk, dtype=float), return_inverse=True)
    p = np.asarray(default_probability, dtype=float)
    defaults = np.bincount(group, weights=p, minlength=values.size)
    survivors = np.bincount(group, weights=1.0 - p, minlength=values.size)
    safer = np.cumsum(survivors) - survivors  # survivors ranked strictly less risky
    pairs = defaults.sum() * survivors.sum()
    return float((defaults * (safer + 0.5 * survivors)).sum() / pairs) if pairs > 0 else 0.5
