"""Monthly records: raw counts and RMB by segment, platform values by month, outcomes by cohort.

Phases report what happened to which borrower rows; the recorder sums it into (month, segment)
cells with `np.bincount`, so recording costs one vectorised pass per flow. Outcomes that are known
only later (a loan's default, a rejected applicant's counterfactual repayment) are added to the
cell of the month the loan was originated or the applicant rejected — their cohort. lendsim.metrics
turns these raw sums into rates.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


class Recorder:
    """Accumulates flows per (month, segment) and platform values per month."""

    def __init__(self, months: int, segment_of_row: np.ndarray, segment_names: tuple[str, ...]) -> None:
        self.months = months
        self.segment_of_row = segment_of_row
        self.segment_names = segment_names
        shape = (months + 1, len(segment_names))
        self.flows: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(shape))
        self.platform: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(months + 1))

    def add(self, name: str, month: int, rows: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add one per row (or `weights`) to `name` in `month`, by each row's segment."""
        segments = self.segment_of_row[rows]
        self.flows[name][month] += np.bincount(segments, weights=weights, minlength=len(self.segment_names))

    def add_cohort(
        self, name: str, cohort_month: np.ndarray, rows: np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        """Add to `name` in each row's cohort month (origination or rejection month)."""
        values = np.ones(rows.size) if weights is None else weights
        np.add.at(self.flows[name], (cohort_month, self.segment_of_row[rows]), values)

    def ensure(self, *names: str) -> None:
        """Make sure flows exist even if nothing was ever added (so every column is present)."""
        for name in names:
            self.flows[name]  # noqa: B018 - defaultdict creates the zero array

    def set_platform(self, name: str, month: int, value: float) -> None:
        self.platform[name][month] = value
