"""Drawdowns on a credit line on show, re-checked with this month's parameters.

A line was granted once; each drawdown runs the checks again: policy, requests concentrated in a
short window, an anomaly flag on the account's behaviour (more often on weaker borrowers), the
score against today's cutoff, a tighter cutoff in peak months, and the rate cap. The first failing
check, in that order of priority, names the refusal. A line a reviewer granted faces the same
checks unless the scenario lets the reviewer's judgement on the score stand
(`underwriting.drawdown.reviewed_lines_skip_score_check`): then it skips the score check, and
part of HITL's lower refusal rate is that bypass rather than better judgement. Nothing here draws
from a sequential stream: the anomaly flag is a keyed uniform, the same in both modes.
"""

from __future__ import annotations

import numpy as np

from lendsim.phases.decisions import Decisions, decided
from lendsim.reasons import Refusal
from lendsim.streams import KeyedUniforms
from lendsim.underwriting.engine import Engine
from lendsim.underwriting.review import QueuedApplications

ANOMALY = 301  # KeyedUniforms purpose


def refusal_reason(checks: list[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """The code of the first failing check of each row (checks in priority order); 0 if none fails."""
    failed = [np.broadcast_to(f, (n,)) for f, _ in checks]
    return np.select(failed, [code for _, code in checks], default=0).astype(np.int8)


def draw_down(
    apps: QueuedApplications, requests: np.ndarray, engine: Engine, events: KeyedUniforms, in_peak: bool
) -> Decisions:
    """Decide drawdowns; `requests` counts each borrower's requests in the 30-day window."""
    cfg, b, rows = engine.rules.drawdown, engine.borrowers, apps.borrower
    score, cutoff = engine.seen(rows)
    offer = engine.offer(rows, apps.requested_rmb)
    tilt = cfg.anomaly_quality_tilt
    flag_prob = cfg.anomaly_flag_rate * np.exp(-tilt * b.quality[rows] - 0.5 * tilt**2)
    score_checked = ~b.reviewed_line[rows] if cfg.reviewed_lines_skip_score_check else True
    reason = refusal_reason(
        [
            (engine.restricted(rows), Refusal.POLICY),
            (
                (cfg.concentration_requests > 0) & (requests >= cfg.concentration_requests),
                Refusal.CONCENTRATION,
            ),
            (events.uniform(ANOMALY, engine.month, rows) < flag_prob, Refusal.ANOMALY),
            ((score < cutoff) & score_checked, Refusal.SCORE),
            (
                in_peak & (cfg.peak_tightening_points > 0) & (score < cutoff + cfg.peak_tightening_points),
                Refusal.TIGHTENING,
            ),
            (offer.rationed, Refusal.RATE_CAP),
        ],
        rows.size,
    )
    amount = np.minimum(apps.requested_rmb, b.line_limit_rmb[rows])
    term = np.full(rows.size, engine.rules.automated_term_months)
    return decided(apps, reason == 0, amount, offer.apr, term, reason)
