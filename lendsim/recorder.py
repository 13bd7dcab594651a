"""Monthly records: raw counts and RMB by segment, platform values by month, outcomes by cohort.

Phases report what happened to which borrower rows; the recorder sums it into (month, segment)
cells with `np.bincount`, once per segmentation (kind, score band, sector, region), so recording
costs a few vectorised passes per flow. Outcomes that are known only later (a loan's default, a
rejected applicant's counterfactual repayment) are added to the cell of the month the loan was
originated or the applicant rejected — their cohort; an outcome over a fixed horizon is copied
into its cohort's cell once the horizon has passed (`copy_month`). lendsim.metrics turns these
sums into rates.

Segment columns are laid out group after group; the first group is the borrower kind
(consumer, SME), so columns 0 and 1 always are consumers and SMEs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np


@dataclass
class Segmentation:
    """One way of splitting borrowers: a label per group and each row's group (−1: in none)."""

    labels: tuple[str, ...]
    group_of_row: np.ndarray


class Recorder:
    """Accumulates flows per (month, segment) and platform values per month."""

    def __init__(
        self, months: int, segmentations: list[Segmentation], row_weight: np.ndarray | None = None
    ) -> None:
        self.months = months
        # Real borrowers each row stands for: every count and sum is of real borrowers and RMB
        # (None when each row is one borrower).
        self.row_weight = None if row_weight is None or np.all(row_weight == 1.0) else row_weight
        self.segmentations = segmentations
        self.offsets = np.cumsum([0] + [len(s.labels) for s in segmentations])
        self.segment_names: tuple[str, ...] = tuple(label for s in segmentations for label in s.labels)
        shape = (months + 1, len(self.segment_names))
        self.flows: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(shape))
        self.platform: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(months + 1))

    def regroup(self, index: int, group_of_row: np.ndarray) -> None:
        """Update a segmentation whose groups change over time (e.g. score bands)."""
        self.segmentations[index].group_of_row = group_of_row

    def _sums(self, rows: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        out = np.zeros(len(self.segment_names))
        for seg, offset in zip(self.segmentations, self.offsets[:-1], strict=True):
            groups = seg.group_of_row[rows]
            member = groups >= 0
            w = None if weights is None else weights[member]
            out[offset : offset + len(seg.labels)] = np.bincount(
                groups[member], weights=w, minlength=len(seg.labels)
            )
        return out

    def _real(self, rows: np.ndarray, weights: np.ndarray | None) -> np.ndarray | None:
        """Per row: what it adds in real-world terms (its amount, or one, times its weight)."""
        if self.row_weight is None:
            return weights
        return self.row_weight[rows] if weights is None else self.row_weight[rows] * weights

    def add(self, name: str, month: int, rows: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add one per row (or `weights`) to `name` in `month`, by each row's segments (each row
        counting for the real borrowers it stands for)."""
        if rows.size:
            self.flows[name][month] += self._sums(rows, self._real(rows, weights))
        else:
            self.flows[name]  # noqa: B018 - create the column even when nothing happened

    def add_cohort(
        self, name: str, cohort_month: np.ndarray, rows: np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        """Add to `name` in each row's cohort month (origination or rejection month)."""
        real = self._real(rows, weights)
        values = np.ones(rows.size) if real is None else real
        target = self.flows[name]
        for seg, offset in zip(self.segmentations, self.offsets[:-1], strict=True):
            groups = seg.group_of_row[rows]
            member = groups >= 0
            np.add.at(target, (cohort_month[member], offset + groups[member]), values[member])

    def copy_month(self, source: str, target: str, month: int) -> None:
        """Set `target` in `month` to what `source` holds there now, in every segment: a cohort's
        outcome entered once it is known (what `source` gains later does not reach `target`)."""
        self.flows[target][month] = self.flows[source][month]

    def ensure(self, *names: str) -> None:
        """Make sure flows exist even if nothing was ever added (so every column is present)."""
        for name in names:
            self.flows[name]  # noqa: B018 - defaultdict creates the zero array

    def set_platform(self, name: str, month: int, value: float) -> None:
        self.platform[name][month] = value
