"""How robust is each finding? HITL − automated across what is not known.

Every finding of a scenario rests on settings nobody knows exactly: how much a reviewer sees that
the score does not, how often borrowers fall into distress, how much partner banks will lend. A
scenario declares them in `[uncertainties]`, each with a plausible range and its source. This
module samples that space and asks, per headline metric: the paired difference HITL − automated
has a sign at the scenario's own values (the *central run*) — in what share of the plausible worlds
does it keep that sign, and where does it flip?

A robustness analysis is a sweep. Its design's point 0 is the scenario itself, points 1..N a Latin
hypercube over the uncertainties (seeded from the root seed, so the same command gives the same
samples), and lendsim.sweep runs, saves, resumes and assembles its tasks exactly as for any sweep;
every replication r uses the seed SeedSequence([root, r]) whatever the sample, so both modes and
all samples of one seed see the same borrowers and luck (common random numbers). Once every task is
in, the analysis here writes the folder's own files (names from lendsim.contract):

- robustness.parquet: one row per sample × seed × mode, the sampled values and headline metrics;
- robustness.csv: per headline metric the central finding, the share of samples whose mean paired
  difference keeps its sign with a Wilson interval (lendsim.statistics), the samples that flip it
  significantly, and in words where it flips;
- boxes.json: scenario discovery with PRIM (the EMA Workbench's `ema_workbench.analysis.prim`):
  boxes of the uncertainty space in which the finding flips, with coverage and density;
- features.csv: extra-trees feature scores (`ema_workbench.analysis.feature_scoring`) ranking which
  uncertainties drive each difference.

The EMA Workbench is the optional extra `lendsim[ema]`; `require_ema` refuses to start without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lendsim import MODES
from lendsim.contract import (
    BOXES_FILE,
    FEATURES_COLUMNS,
    FEATURES_FILE,
    ROBUSTNESS,
    ROBUSTNESS_COLUMNS,
    ROBUSTNESS_FILE,
    ROBUSTNESS_SUMMARY_FILE,
    SCENARIO_FILE,
)
from lendsim.errors import OptionError
from lendsim.executors import Executor
from lendsim.experiment import Simulator
from lendsim.metrics import HEADLINE_METRICS, REGISTRY
from lendsim.statistics import clip_interval, half_width, wilson_interval
from lendsim.store import (
    remove_stale_temporaries,
    write_csv_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from lendsim.sweep import Design, SweepOutcome, design_rng, run_sweep, salib_seed

if TYPE_CHECKING:
    from lendsim.scenario import Scenario
    from lendsim.scenario.schema import Uncertainty

__all__ = [
    "DEFAULT_SAMPLES",
    "Analysis",
    "FlipBox",
    "RobustnessPlan",
    "UncertainSetting",
    "analyse",
    "discover_flips",
    "feature_scores",
    "require_ema",
    "robustness_plan",
    "run_robustness",
    "sample_differences",
    "uncertainty_space",
]

DEFAULT_SAMPLES = 100
ROBUSTNESS_TAG = 0x0B5
"""Mixed with the root seed for the Latin hypercube (and the feature scores' trees), so the samples
never share a stream with a simulation or another design."""
CENTRAL = 0
"""Design point of the central run: the scenario at its own values."""
BOXES_FORMAT = 1

PRIM_THRESHOLD = 0.5
"""Density a box must reach: inside it the finding flips in most of the sampled worlds."""
PRIM_PEEL_ALPHA = 0.05
PRIM_PASTE_ALPHA = 0.05
PRIM_MASS_MIN = 0.05
"""PRIM's defaults (Friedman & Fisher 1999; the EMA Workbench's): peel 5 % at a time, keep ≥ 5 %."""
MAX_BOXES = 2
QP_MAX = 0.1
"""A box's restriction whose quasi-p value (Bryant & Lempert 2010) is above this is dropped: it
does not separate flips from holds better than chance would, at the 10 % level."""
MIN_SAMPLES_FOR_BOXES = 10
MIN_SAMPLES_FOR_SCORES = 10
FEATURE_TREES = 100

EMA_MISSING = (
    "lendsim robustness needs the EMA Workbench (PRIM scenario discovery, feature scoring), which is "
    "not installed — install the extra: pip install 'lendsim[ema]' (make setup installs it)"
)


def require_ema() -> None:
    """OptionError (one line, exit 2) unless the EMA Workbench can be imported; imports nothing."""
    if importlib.util.find_spec("ema_workbench") is None:
        raise OptionError(EMA_MISSING)


@contextlib.contextmanager
def quiet_ema() -> Iterator[None]:
    """The EMA Workbench's import-time notices (no ipyparallel, no altair), its pandas deprecation
    warnings and its INFO log lines are not lendsim's to show."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*ipyparallel.*")
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=ImportWarning)
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="ema_workbench")
            yield
    finally:
        logger.setLevel(level)


# --------------------------------------------------------------------------- the uncertainty space


@dataclass(frozen=True)
class UncertainSetting:
    """One declared uncertainty: its key (maybe with [*]), the settings it names, its range."""

    key: str
    spec: Uncertainty
    settings: tuple[str, ...]
    central: float | int
    """The scenario's own value (the mean over the entries a [*] key names)."""

    @property
    def label(self) -> str:
        """Plain words for reports: the declared label, else the key's last part."""
        if self.spec.label:
            return self.spec.label
        return self.key.rsplit(".", 1)[-1].replace("[*]", "").replace("_", " ")

    @property
    def integer(self) -> bool:
        return self.spec.distribution == "integer"

    def values(self, unit: np.ndarray) -> list[Any]:
        """Values at the unit-interval draws `unit` (each distribution's inverse CDF)."""
        spec, low, high = self.spec, float(self.spec.low), float(self.spec.high)
        if spec.distribution == "integer":
            whole = np.floor(low + unit * (high - low + 1.0))
            return [int(v) for v in np.clip(whole, low, high)]
        if spec.distribution == "triangular":
            from scipy import stats

            mode = float(spec.mode if spec.mode is not None else low)
            shape = (mode - low) / (high - low)
            return [float(v) for v in stats.triang.ppf(unit, shape, loc=low, scale=high - low)]
        return [float(v) for v in low + unit * (high - low)]

    def describe(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "label": self.label,
            "low": spec.low,
            "high": spec.high,
            "distribution": spec.distribution,
            "mode": spec.mode,
            "source": spec.source,
            "settings": list(self.settings),
            "central": self.central,
        }


def uncertainty_space(scenario: Scenario, only: Sequence[str] | None = None) -> list[UncertainSetting]:
    """The scenario's declared uncertainties in declaration order (those named in `only`, if given),
    leaving out any whose [*] names no setting here; OptionError when none is left, or `only` names
    one the scenario does not declare."""
    from lendsim.scenario.loader import expand_key, setting_value

    declared = dict(scenario.uncertainties)
    if not declared:
        raise OptionError(
            f"scenario {scenario.meta.name!r} declares no [uncertainties] — add a table per uncertain "
            'setting, e.g. [uncertainties."underwriting.hitl.soft_info_noise"] with low, high and source'
        )
    if only:
        unknown = [key for key in only if key not in declared]
        if unknown:
            raise OptionError(
                f"--only {unknown[0]} is not one of the scenario's uncertainties — declared: "
                + ", ".join(declared)
            )
        repeated = sorted({key for key in only if list(only).count(key) > 1})
        if repeated:
            raise OptionError(f"--only {repeated[0]} is given more than once")
        declared = {key: spec for key, spec in declared.items() if key in only}
    space = []
    for key, spec in declared.items():
        settings = tuple(expand_key(scenario, key))
        if not settings:
            continue  # a [*] over an empty array (no partner banks): nothing it could move
        own = [setting_value(scenario, setting) for setting in settings]
        central: float | int = float(np.mean(own))
        if spec.distribution == "integer" and float(central).is_integer():
            central = int(central)
        space.append(UncertainSetting(key, spec, settings, central))
    if not space:
        raise OptionError(
            f"scenario {scenario.meta.name!r}: none of its [uncertainties] names a setting it has "
            "(each [*] is over an empty array)"
        )
    return space


@dataclass(frozen=True)
class RobustnessPlan:
    """The sampled space and the sweep design that runs it (point 0 central, then the samples)."""

    space: tuple[UncertainSetting, ...]
    samples: int
    design: Design
    values: pd.DataFrame
    """One row per design point: sample, central, then one column per uncertainty (its key)."""

    @property
    def keys(self) -> list[str]:
        return [u.key for u in self.space]


def sample_unit(dimensions: int, samples: int, root_seed: int) -> np.ndarray:
    """A Latin hypercube of `samples` points in [0, 1)^dimensions (scipy.stats.qmc), from the root seed."""
    from scipy.stats import qmc

    rng = design_rng(root_seed, ROBUSTNESS_TAG)
    try:
        sampler = qmc.LatinHypercube(d=dimensions, rng=rng)
    except TypeError:  # SciPy < 1.15 calls it seed
        sampler = qmc.LatinHypercube(d=dimensions, seed=rng)
    return sampler.random(samples)


def robustness_plan(scenario: Scenario, samples: int, only: Sequence[str] | None = None) -> RobustnessPlan:
    """The central run and `samples` Latin-hypercube samples of the declared uncertainties (of
    those named in `only`, if given; the others keep the scenario's own values)."""
    if samples < 1:
        raise OptionError(f"--samples {samples} — must be a whole number ≥ 1")
    space = uncertainty_space(scenario, only)
    unit = sample_unit(len(space), samples, scenario.simulation.seed)
    columns = [u.values(unit[:, j]) for j, u in enumerate(space)]
    sampled = [list(row) for row in zip(*columns, strict=True)]
    rows = [[u.central for u in space], *sampled]
    from lendsim.scenario.loader import setting_value

    own = tuple(setting_value(scenario, s) for u in space for s in u.settings)
    points = [own] + [
        tuple(value for u, value in zip(space, row, strict=True) for _ in u.settings) for row in sampled
    ]
    design = Design(
        "robustness",
        tuple(s for u in space for s in u.settings),
        tuple(points),
        option="[uncertainties]",
        extra={"samples": samples, "uncertainties": [u.key for u in space]},
    )
    values = pd.DataFrame(rows, columns=[u.key for u in space])
    for u in space:
        if u.integer and all(float(v).is_integer() for v in values[u.key]):
            values[u.key] = values[u.key].astype("int64")
        else:
            values[u.key] = values[u.key].astype("float64")
    values.insert(0, "central", np.arange(len(rows)) == CENTRAL)
    values.insert(0, "sample", np.arange(len(rows), dtype="int64"))
    return RobustnessPlan(tuple(space), samples, design, values)


# --------------------------------------------------------------------------- running


def run_robustness(
    base: Scenario,
    plan: RobustnessPlan,
    *,
    out: Path,
    executor: Executor | None = None,
    resume: bool = False,
    resume_any_version: bool = False,
    simulator: Simulator | None = None,
    command: Sequence[str] | None = None,
    notify: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run (or continue) the robustness sweep into `out`, then write the analysis before the manifest.

    Everything a sweep promises holds (lendsim.sweep.run_sweep): each task saved as it finishes,
    `resume` continues, Ctrl-C raises SweepInterrupted counting what is saved. The analysis files
    are written only when every task finished (a resume completes them).
    """
    require_ema()
    root_seed = int(base.simulation.seed)

    def write_analysis(outcome: SweepOutcome) -> None:
        folder = Path(outcome.folder)
        remove_stale_temporaries(folder, ROBUSTNESS.files)
        if outcome.failed:
            return
        from lendsim.scenario import scenario_to_toml

        analysis = analyse(outcome.sweep_df, plan, root_seed)
        write_parquet_atomic(folder / ROBUSTNESS_FILE, analysis.rows)
        write_csv_atomic(folder / ROBUSTNESS_SUMMARY_FILE, analysis.summary)
        write_json_atomic(folder / BOXES_FILE, analysis.boxes)
        write_csv_atomic(folder / FEATURES_FILE, analysis.features)
        write_text_atomic(folder / SCENARIO_FILE, scenario_to_toml(base))

    return run_sweep(
        base,
        plan.design,
        out=out,
        executor=executor,
        resume=resume,
        resume_any_version=resume_any_version,
        simulator=simulator,
        command=command,
        manifest_extra={
            "robustness": {
                "samples": plan.samples,
                "central_point": CENTRAL,
                "uncertainties": {u.key: u.describe() for u in plan.space},
            }
        },
        finish=write_analysis,
        notify=notify,
    )


# --------------------------------------------------------------------------- analysis


@dataclass
class Analysis:
    """The robustness folder's tables, computed from the sweep's rows."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    boxes: dict[str, Any]
    features: pd.DataFrame


def robustness_rows(sweep_df: pd.DataFrame, plan: RobustnessPlan) -> pd.DataFrame:
    """robustness.parquet: sample, central, one column per uncertainty, mode, seed, headline metrics."""
    metrics = [m for m in HEADLINE_METRICS if m in sweep_df.columns]
    rows = sweep_df[["point", "mode", "seed", *metrics]].rename(columns={"point": "sample"})
    rows = rows.merge(plan.values, on="sample", how="left", validate="many_to_one")
    rows["sample"] = rows["sample"].astype("int64")
    columns = ["sample", "central", *plan.keys, "mode", "seed", *metrics]
    return rows[columns].reset_index(drop=True)


def sample_differences(rows: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per metric: one row per sample with the mean paired difference HITL − automated over its
    seeds, its t interval (lendsim.statistics) and the number of seeds paired."""
    keyed = rows.set_index(["sample", "seed", "mode"])[list(metrics)].sort_index()
    automated = keyed.xs(MODES[0], level="mode")
    hitl = keyed.xs(MODES[1], level="mode")
    paired = (hitl - automated).dropna(how="all")
    grouped = paired.groupby(level="sample", sort=True)
    mean, sd, count = grouped.mean(), grouped.std(ddof=1), grouped.count()
    found = {}
    for metric in metrics:
        half = half_width(sd[metric].to_numpy(), count[metric].to_numpy())
        found[metric] = pd.DataFrame(
            {
                "mean": mean[metric].to_numpy(),
                "ci_low": mean[metric].to_numpy() - half,
                "ci_high": mean[metric].to_numpy() + half,
                "n": count[metric].to_numpy(),
            },
            index=mean.index,
        )
    return found


def _sign(value: float) -> int:
    return 0 if not np.isfinite(value) or value == 0 else (1 if value > 0 else -1)


def finding_words(metric: str, sign: int) -> str:
    """'HITL lowers credit losses', 'HITL raises the approval rate', 'HITL leaves … unchanged'."""
    definition = REGISTRY.get(metric)
    label = definition.label[0] if definition else metric.replace("_", " ")
    phrase = label if definition is not None and definition.plural else f"the {label}"
    if sign > 0:
        return f"HITL raises {phrase}"
    if sign < 0:
        return f"HITL lowers {phrase}"
    return f"HITL leaves {phrase} unchanged"


def _number(value: float) -> str:
    """3 significant digits, whole numbers as such: 0.913, 250, 0.0485."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3g}"


@dataclass(frozen=True)
class Restriction:
    """One side or both of a box along one uncertainty (None: not restricted on that side)."""

    uncertainty: str
    label: str
    low: float | None
    high: float | None
    quasi_p: float

    def words(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.label} from {_number(self.low)} to {_number(self.high)}"
        if self.low is not None:
            return f"{self.label} ≥ {_number(self.low)}"
        return f"{self.label} ≤ {_number(self.high if self.high is not None else math.nan)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "uncertainty": self.uncertainty,
            "label": self.label,
            "low": self.low,
            "high": self.high,
            "quasi_p": self.quasi_p,
        }


@dataclass(frozen=True)
class FlipBox:
    """A PRIM box where the finding flips: its restrictions, and how well it describes the flips.

    coverage: the share of all flipping samples that lie in the box; density: the share of the
    samples in the box that flip; mass: the share of all samples in the box."""

    restrictions: tuple[Restriction, ...]
    coverage: float
    density: float
    mass: float
    n: int
    k: int

    def words(self) -> str:
        return " and ".join(r.words() for r in self.restrictions)

    def as_json(self) -> dict[str, Any]:
        return {
            "restrictions": [r.as_json() for r in self.restrictions],
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "n": self.n,
            "k": self.k,
            "words": self.words(),
        }


def discover_flips(x: pd.DataFrame, flips: np.ndarray, labels: Mapping[str, str]) -> list[FlipBox]:
    """PRIM boxes (EMA Workbench) of the sample space `x` where `flips` is mostly true.

    From each box's peeling trajectory the entry with the best balance of coverage and density
    (their harmonic mean, among entries that restrict something and reach PRIM_THRESHOLD density)
    is kept; restrictions whose quasi-p value exceeds QP_MAX are then dropped, least significant
    first. Up to MAX_BOXES boxes, each found among the samples the earlier ones left.
    """
    with quiet_ema():
        from ema_workbench.analysis import prim

        whole = {str(c) for c in x.columns if pd.api.types.is_integer_dtype(x[c])}
        finder = prim.Prim(  # all columns as floats: PRIM pastes fractional limits into them
            x.reset_index(drop=True).astype("float64"),
            np.asarray(flips, dtype=int),
            threshold=PRIM_THRESHOLD,
            peel_alpha=PRIM_PEEL_ALPHA,
            paste_alpha=PRIM_PASTE_ALPHA,
            mass_min=PRIM_MASS_MIN,
        )
        boxes: list[FlipBox] = []
        for _ in range(MAX_BOXES):
            box = finder.find_box()
            if box is None or not _select(box):
                break
            kept = _kept_box(box, finder.box_init, labels, whole)
            if kept is None:
                break
            boxes.append(kept)
    return boxes


def _select(box: Any) -> bool:
    """Select the trajectory entry with the best harmonic mean of coverage and density."""
    trajectory = box.peeling_trajectory
    coverage = trajectory["coverage"].to_numpy(dtype=float)
    density = trajectory["density"].to_numpy(dtype=float)
    restricted = trajectory["res_dim"].to_numpy(dtype=float) >= 1
    eligible = restricted & (density >= PRIM_THRESHOLD) & (coverage > 0)
    if not eligible.any():
        return False
    balance = np.where(eligible, 2 * coverage * density / np.maximum(coverage + density, 1e-300), -1.0)
    box.select(int(np.argmax(balance)))  # argmax: the first of equals, the least peeled
    return True


def _kept_box(box: Any, box_init: pd.DataFrame, labels: Mapping[str, str], whole: set[str]) -> FlipBox | None:
    """The selected box after dropping restrictions that are not significant, or None if none stays
    or the finding no longer flips in most of it. Limits of a whole-number uncertainty are rounded
    inwards to the whole numbers inside the box."""
    while True:
        quasi_p = _quasi_p(box.qp[box._cur_box])
        if not quasi_p:
            return None
        worst = max(quasi_p, key=lambda name: (quasi_p[name], name))
        if quasi_p[worst] <= QP_MAX:
            break
        box.drop_restriction(worst)
    limits = box.box_lims[box._cur_box]
    restrictions = []
    for name in box_init.columns:
        if name not in quasi_p:
            continue
        low, high = (float(limits.at[i, name]) for i in (0, 1))
        if name in whole:
            low, high = float(math.ceil(low)), float(math.floor(high))
        lower = low if low > float(box_init.at[0, name]) else None
        upper = high if high < float(box_init.at[1, name]) else None
        if lower is not None or upper is not None:
            label = labels.get(name, str(name))
            restrictions.append(Restriction(str(name), label, lower, upper, float(quasi_p[name])))
    entry = box.peeling_trajectory.iloc[box._cur_box]
    if not restrictions or float(entry["density"]) < PRIM_THRESHOLD:
        return None  # what is left after dropping chance restrictions is no longer where it flips
    return FlipBox(
        restrictions=tuple(restrictions),
        coverage=float(entry["coverage"]),
        density=float(entry["density"]),
        mass=float(entry["mass"]),
        n=int(entry["n"]),
        k=int(entry["k"]),
    )


def _quasi_p(values: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Restricted dimension → its smallest quasi-p value (−1 marks a side that is not restricted)."""
    found = {}
    for name, sides in values.items():
        restricted = [float(v) for v in sides if v is not None and float(v) >= 0]
        if restricted:
            found[str(name)] = min(restricted)
    return found


def feature_scores(x: pd.DataFrame, y: np.ndarray, seed: int) -> np.ndarray:
    """Extra-trees feature scores (EMA Workbench) of each column of `x` for the response `y`, in
    column order; all zero when `y` does not vary (nothing drives it)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 2 or not np.isfinite(y).all() or np.ptp(y) == 0:
        return np.zeros(x.shape[1])
    with quiet_ema():
        from ema_workbench.analysis.feature_scoring import get_ex_feature_scores
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

        scores, _ = get_ex_feature_scores(
            x.reset_index(drop=True),
            y,
            mode=RuleInductionType.REGRESSION,
            nr_trees=FEATURE_TREES,
            max_features=max(1, round(x.shape[1] / 3)),
            oob_score=False,
            random_state=seed,
        )
    return scores.iloc[:, 0].reindex(list(x.columns)).fillna(0.0).to_numpy(dtype=float)


@dataclass
class _MetricResult:
    row: dict[str, Any]
    boxes: dict[str, Any]
    scores: list[dict[str, Any]] = field(default_factory=list)


def analyse(sweep_df: pd.DataFrame, plan: RobustnessPlan, root_seed: int) -> Analysis:
    """robustness.parquet, robustness.csv, boxes.json and features.csv from the sweep's rows."""
    rows = robustness_rows(sweep_df, plan)
    metrics = [m for m in HEADLINE_METRICS if m in rows.columns]
    differences = sample_differences(rows, metrics)
    x = plan.values.set_index("sample").loc[lambda v: ~v["central"], plan.keys]
    labels = {u.key: u.label for u in plan.space}
    seed = salib_seed(root_seed, ROBUSTNESS_TAG)
    results = [_analyse_metric(metric, differences[metric], x, labels, seed) for metric in metrics]
    summary = pd.DataFrame([r.row for r in results], columns=list(ROBUSTNESS_COLUMNS))
    features = pd.DataFrame([score for r in results for score in r.scores], columns=list(FEATURES_COLUMNS))
    boxes = {
        "format": BOXES_FORMAT,
        "method": "PRIM (ema_workbench.analysis.prim) on whether each sample's mean paired "
        "difference HITL − automated keeps the sign it has at the scenario's own values",
        "settings": {
            "threshold": PRIM_THRESHOLD,
            "peel_alpha": PRIM_PEEL_ALPHA,
            "paste_alpha": PRIM_PASTE_ALPHA,
            "mass_min": PRIM_MASS_MIN,
            "max_boxes": MAX_BOXES,
            "quasi_p_max": QP_MAX,
        },
        "samples": plan.samples,
        "uncertainties": {u.key: u.describe() for u in plan.space},
        "metrics": {metric: r.boxes for metric, r in zip(metrics, results, strict=True)},
    }
    return Analysis(rows, summary, _jsonable(boxes), features)


def _analyse_metric(
    metric: str, per_sample: pd.DataFrame, x: pd.DataFrame, labels: Mapping[str, str], seed: int
) -> _MetricResult:
    central = per_sample.loc[CENTRAL] if CENTRAL in per_sample.index else None
    central_mean = float(central["mean"]) if central is not None else math.nan
    sign = _sign(central_mean)
    samples = per_sample.drop(index=CENTRAL, errors="ignore").reindex(x.index)
    valid = np.isfinite(samples["mean"].to_numpy(dtype=float))
    means = samples["mean"].to_numpy(dtype=float)[valid]
    x_valid = x.loc[valid]
    signs = np.sign(means).astype(int)
    holds = signs == sign
    n, n_holds = int(valid.sum()), int(holds.sum())
    low, high = wilson_interval(n_holds, n)
    measured = samples["n"].to_numpy(dtype=float)[valid] >= 2  # one seed has no interval to judge by
    opposite = (samples["ci_low"].to_numpy(dtype=float)[valid] > 0) | (
        samples["ci_high"].to_numpy(dtype=float)[valid] < 0
    )
    significant_flips = int((~holds & opposite & measured).sum())
    finding = finding_words(metric, sign)

    boxes, note = _boxes_for(x_valid, ~holds, labels, n)
    where = "; or ".join(box.words() for box in boxes)
    share_words = f"in {_percent(n_holds / n)} of the plausible worlds sampled" if n else "(no samples)"
    summary = f"{finding} unless {where}" if where else f"{finding} {share_words}"

    scores = feature_scores(x_valid, means, seed) if n >= MIN_SAMPLES_FOR_SCORES else np.zeros(x.shape[1])
    order = sorted(range(len(scores)), key=lambda j: (-scores[j], j))
    ranks = {j: rank + 1 for rank, j in enumerate(order)}
    top = str(x.columns[order[0]]) if len(order) and scores[order[0]] > 0 else ""
    central_ci = (math.nan, math.nan)
    if central is not None:  # clipped to what a difference of the metric can be, as comparison.csv's
        definition = REGISTRY.get(metric)
        span = definition.difference_range() if definition is not None else (-math.inf, math.inf)
        clipped = clip_interval(float(central["ci_low"]), float(central["ci_high"]), span)
        central_ci = (float(clipped[0]), float(clipped[1]))
    row = {
        "metric": metric,
        "central_difference": central_mean,
        "central_ci_low": central_ci[0],
        "central_ci_high": central_ci[1],
        "central_sign": sign,
        "n_samples": n,
        "n_holds": n_holds,
        "share_holds": n_holds / n if n else math.nan,
        "share_ci_low": low,
        "share_ci_high": high,
        "n_flips_significant": significant_flips,
        "difference_min": float(means.min()) if n else math.nan,
        "difference_median": float(np.median(means)) if n else math.nan,
        "difference_max": float(means.max()) if n else math.nan,
        "top_uncertainty": top,
        "flips_where": where,
    }
    box_record = {
        "finding": finding,
        "central_sign": sign,
        "n_samples": n,
        "n_flips": n - n_holds,
        "summary": summary,
        "boxes": [box.as_json() for box in boxes],
        "note": note,
    }
    score_rows = [
        {"metric": metric, "uncertainty": str(name), "score": float(scores[j]), "rank": ranks[j]}
        for j, name in enumerate(x.columns)
    ]
    return _MetricResult(row, box_record, score_rows)


def _boxes_for(
    x: pd.DataFrame, flips: np.ndarray, labels: Mapping[str, str], n: int
) -> tuple[list[FlipBox], str]:
    """The flip boxes, or none and a note saying why."""
    n_flips = int(flips.sum())
    if n_flips == 0:
        return [], "the finding held in every sample: nothing flips"
    if n_flips == n:
        return [], "the finding flipped in every sample: no part of the space keeps it"
    if n < MIN_SAMPLES_FOR_BOXES:
        return [], f"too few samples ({n} < {MIN_SAMPLES_FOR_BOXES}) to look for a region where it flips"
    boxes = discover_flips(x, flips, labels)
    if not boxes:
        return [], "no region of the space explains the flips: they are scattered (seed noise, small effects)"
    return boxes, ""


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def _jsonable(value: Any) -> Any:
    """Plain JSON: NumPy numbers as Python numbers, NaN and infinities as null (JSON has none)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_boxes(path: Path) -> dict[str, Any]:
    """boxes.json as written (for the report and scripts)."""
    return dict(json.loads(Path(path).read_text(encoding="utf-8")))
