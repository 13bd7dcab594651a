"""The names a folder's writer and its readers agree on: files, columns, manifest keys, task files.

DESIGN.md's "Run folder" section is a contract with users and scripts; this module is that contract
for the code. lendsim.store and lendsim.sweep write through it, lendsim.report.folders reads
through it and the command line names files with it, so a folder written by one is read by the
other and a renamed file or column is renamed everywhere at once. Metric columns are not listed
here: they are the registry's headline metrics (lendsim.metrics), read when asked for, so a metric
added to the registry is a column of every table at once.

A folder kind says which files lendsim writes into a folder (`files`: any other file there is the
user's, and lendsim never deletes or replaces it) and which of them a reader cannot do without
(`required`). Robustness and comparison folders will be further kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lendsim.metrics import headline_names

# --------------------------------------------------------------------------- file names

SUMMARY_FILE = "summary.csv"
COMPARISON_FILE = "comparison.csv"
MONTHLY_FILE = "monthly.parquet"
SCENARIO_FILE = "scenario.toml"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.html"
SWEEP_FILE = "sweep.parquet"
SWEEP_SUMMARY_FILE = "sweep_summary.csv"
SENSITIVITY_FILE = "sensitivity.csv"
DESIGN_FILE = "design.json"
"""What a sweep asked for (design, seeds, scenario): a resume of a different sweep is refused."""
COMPARE_FILE = "compare.csv"
"""A comparison folder's table: per headline metric and mode, run A, run B and B − A paired by seed."""
EXPORT_SUFFIX = "-monthly.csv"
"""`lendsim export RUN` writes RUN's monthly table beside the folder, as <RUN name>-monthly.csv."""

ROBUSTNESS_FILE = "robustness.parquet"
"""A robustness folder's rows: one per sample × seed × mode, the sampled values and headline metrics."""
ROBUSTNESS_SUMMARY_FILE = "robustness.csv"
"""Per headline metric: the finding at the scenario's own values and the share of plausible worlds
(the samples of its [uncertainties]) in which it holds, with a Wilson interval."""
BOXES_FILE = "boxes.json"
"""Scenario discovery: the PRIM boxes of the uncertainty space where each finding flips."""
FEATURES_FILE = "features.csv"
"""Feature scores: how much each uncertainty drives each HITL − automated difference."""


@dataclass(frozen=True)
class FolderKind:
    """One kind of output folder: every file lendsim writes there, and those a reader needs."""

    name: str
    files: tuple[str, ...]
    required: tuple[str, ...]


RUN_FILES: tuple[str, ...] = (SUMMARY_FILE, COMPARISON_FILE, MONTHLY_FILE, SCENARIO_FILE, MANIFEST_FILE)
"""The data files of a run folder; the report is built from them (DESIGN.md, "Run folder")."""
RUN = FolderKind("run", files=(*RUN_FILES, REPORT_FILE), required=RUN_FILES)

SWEEP_FILES: tuple[str, ...] = (SWEEP_FILE, SWEEP_SUMMARY_FILE, MANIFEST_FILE, DESIGN_FILE, REPORT_FILE)
"""Every file of a sweep folder, besides the tasks/ folder of finished tasks."""
SWEEP = FolderKind("sweep", files=SWEEP_FILES, required=(SWEEP_SUMMARY_FILE, MANIFEST_FILE))
"""The report needs the per-point summary and the manifest; sweep.parquet holds the rows behind them."""
SENSITIVITY = FolderKind(
    "sensitivity", files=(*SWEEP_FILES, SENSITIVITY_FILE), required=(*SWEEP.required, SENSITIVITY_FILE)
)
"""A sweep over SALib's sample, plus its indices: the same writer (SweepFolder), one file more."""
COMPARE = FolderKind(
    "compare", files=(COMPARE_FILE, MANIFEST_FILE, REPORT_FILE), required=(COMPARE_FILE, MANIFEST_FILE)
)
"""`lendsim compare A B`: the paired policy effect B − A per mode and its difference between modes."""

ROBUSTNESS_FILES: tuple[str, ...] = (
    ROBUSTNESS_FILE,
    ROBUSTNESS_SUMMARY_FILE,
    BOXES_FILE,
    FEATURES_FILE,
    SCENARIO_FILE,
)
ROBUSTNESS = FolderKind(
    "robustness",
    files=(*SWEEP_FILES, *ROBUSTNESS_FILES),
    required=(ROBUSTNESS_FILE, ROBUSTNESS_SUMMARY_FILE, BOXES_FILE, FEATURES_FILE, MANIFEST_FILE),
)
"""`lendsim robustness`: a sweep over a Latin hypercube of the scenario's [uncertainties] (its
sweep files and tasks/ are there too, so it resumes like one), plus the analysis of its findings."""

FOLDER_KINDS: tuple[FolderKind, ...] = (RUN, SWEEP, SENSITIVITY, COMPARE, ROBUSTNESS)
SWEEP_MARKERS: tuple[str, ...] = (SWEEP_SUMMARY_FILE, SWEEP_FILE)
"""A folder holding either of these is a sweep (or sensitivity) folder, anything else is read as a run."""

# --------------------------------------------------------------------------- columns

SUMMARY_KEYS: tuple[str, ...] = ("mode", "seed")
"""summary.csv: one row per (mode, seed), then the headline metrics."""
MONTHLY_KEYS: tuple[str, ...] = ("mode", "seed", "month", "segment")
"""monthly.parquet: tidy, one row per (mode, seed, month, segment), then every monthly metric."""
COMPARISON_COLUMNS: tuple[str, ...] = (
    "metric",
    "automated_mean",
    "hitl_mean",
    "difference",
    "ci_low",
    "ci_high",
    "n_seeds",
)
"""comparison.csv: one row per headline metric, the paired difference HITL − automated and its CI."""
SWEEP_SUMMARY_KEYS: tuple[str, ...] = ("point", "mode")
"""sweep_summary.csv: one row per point × mode; parameter columns sit between point and mode."""
SENSITIVITY_KEYS: tuple[str, ...] = ("method", "metric", "parameter")
COMPARE_COLUMNS: tuple[str, ...] = (
    "metric",
    "mode",
    "a_mean",
    "b_mean",
    "difference",
    "ci_low",
    "ci_high",
    "n_seeds",
    "p_value",
    "p_holm",
    "significant",
)
"""compare.csv: per headline metric, three rows — mode `automated` and `hitl` (the means in run A and
run B, and the paired difference B − A with its 95 % CI), and mode `difference` (A's and B's
HITL − automated, and their paired difference: the difference in differences). p_value is the
paired t test's, p_holm Holm-adjusted across the headline metrics of the same mode."""

ROBUSTNESS_KEYS: tuple[str, ...] = ("sample", "central", "mode", "seed")
"""robustness.parquet: sample (0 = the scenario's own values, the central run; 1.. the Latin-hypercube
samples), central, then one column per declared uncertainty (its key), mode, seed, headline metrics."""
ROBUSTNESS_COLUMNS: tuple[str, ...] = (
    "metric",
    "central_difference",
    "central_ci_low",
    "central_ci_high",
    "central_sign",
    "n_samples",
    "n_holds",
    "share_holds",
    "share_ci_low",
    "share_ci_high",
    "n_flips_significant",
    "difference_min",
    "difference_median",
    "difference_max",
    "top_uncertainty",
    "flips_where",
)
"""robustness.csv: per headline metric, the paired HITL − automated difference at the scenario's own
values (sign −1, 0 or +1), the samples whose mean paired difference keeps that sign (share, Wilson
95 % interval), those that flip it with a paired CI excluding 0, the range of the per-sample
differences, the uncertainty that drives it most and, in words, where it flips (PRIM)."""
FEATURES_COLUMNS: tuple[str, ...] = ("metric", "uncertainty", "score", "rank")
"""features.csv: per headline metric and uncertainty, its extra-trees feature score (rank 1 = most)."""


def summary_columns() -> tuple[str, ...]:
    """The columns of summary.csv: mode, seed, then the registry's headline metrics in contract order."""
    return (*SUMMARY_KEYS, *headline_names())


# --------------------------------------------------------------------------- manifest

MANIFEST_KEYS: tuple[str, ...] = (
    "lendsim_version",
    "python",
    "platform",
    "packages",
    "git_commit",
    "lock",
    "root_seed",
    "seeds",
    "modes",
    "started_at",
    "finished_at",
    "wall_time_s",
    "command",
    "scenario_name",
    "scenario_purpose",
)
"""What every manifest holds, in this order; a sweep appends its design, a run lendsim's mark."""
MANIFEST_REQUIRED: tuple[str, ...] = (
    "lendsim_version",
    "packages",
    "seeds",
    "started_at",
    "finished_at",
    "wall_time_s",
)
"""What DESIGN.md promises every manifest holds: versions, seeds, start and end time, wall time."""
FOLDER_MARK = "lendsim_folder"
"""Key of the mark in manifest.json that says lendsim made the folder, for what, and with which files."""

# --------------------------------------------------------------------------- sweep tasks

TASKS_DIR = "tasks"
REJECTED_DIR = "rejected"
"""tasks/rejected/: task files a resume could not use, set aside (never deleted) with their reason."""
TASK_NAME = re.compile(r"p\d{4,}-r\d{4,}")
"""task_key(point, replication): p0003-r0007 (more digits past 9999)."""
TASK_SUFFIX = ".parquet"
TASK_ERROR_SUFFIX = ".error.txt"
TASK_REASON_SUFFIX = ".reason.txt"


def task_key(point: int, replication: int) -> str:
    """File-name key of a sweep task, e.g. p0003-r0007."""
    return f"p{point:04d}-r{replication:04d}"
