"""Routing of new applications: closed to policy, decided by the engine, or queued for reviewers.

An application from a sector or region closed this month is rejected (POLICY) whatever its score.
In HITL mode the rest splits: applications whose visible score lies within ± `score_band` of the
cutoff, and thin-file SMEs if so configured, join the reviewers' queue (lendsim.phases.review);
the engine decides the others alone. In automated mode, or with no reviewers, the engine decides
them all — so that HITL with zero reviewers is the automated platform.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lendsim.phases.decisions import Decisions, Rationing, automated, refused_all
from lendsim.reasons import Rejection
from lendsim.scenario.schema import HumanReview
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.review import QueuedApplications


@dataclass(frozen=True)
class Routing:
    """Where this month's new applications went."""

    policy: Decisions  # rejected: sector or region closed
    automated: Decisions  # decided by the engine now
    routed: QueuedApplications  # to the reviewers' queue
    rationing: Rationing  # supply the engine's caps cost on what it decided


def to_review(
    engine: Engine, rows: np.ndarray, score: np.ndarray, cutoff: np.ndarray, review: HumanReview | None
) -> np.ndarray:
    """Applications a reviewer should see: near the cutoff, or thin-file SMEs (HITL only)."""
    if review is None:
        return np.zeros(rows.size, dtype=bool)
    b = engine.borrowers
    near_cutoff = np.abs(score - cutoff) <= review.score_band
    thin_sme = review.review_thin_file_smes & b.is_sme[rows] & b.thin_file[rows]
    return near_cutoff | thin_sme


def route(apps: QueuedApplications, engine: Engine, review: HumanReview | None) -> Routing:
    """Send each new application where it is decided; `review` is None without reviewers."""
    rows = apps.borrower
    policy = engine.restricted(rows)
    score, cutoff = engine.seen(rows)
    routed = ~policy & to_review(engine, rows, score, cutoff, review)
    by_engine, rationing = automated(apps.subset(~policy & ~routed), engine)
    closed = refused_all(apps.subset(policy), np.full(int(policy.sum()), Rejection.POLICY))
    return Routing(closed, by_engine, apps.subset(routed), rationing)
