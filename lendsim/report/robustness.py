"""The report of a robustness folder: how robust is each finding?

A run says "HITL lowers credit losses" at the scenario's own values. This page says in how many of
the plausible worlds the scenario declares (its [uncertainties], sampled by `lendsim robustness`)
the finding keeps that sign, where in that space it flips (PRIM boxes, in plain words, with their
coverage and density) and which uncertainties drive each difference (feature scores). It reads
only the folder: robustness.csv, boxes.json, features.csv, robustness.parquet, the manifest and
scenario.toml (names from lendsim.contract), and builds on the shared blocks of lendsim.report —
the page frame, figures' look, number formats — keeping its own words (both languages) here.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lendsim import MODES
from lendsim.contract import (
    BOXES_FILE,
    FEATURES_COLUMNS,
    FEATURES_FILE,
    MANIFEST_FILE,
    REPORT_FILE,
    ROBUSTNESS_COLUMNS,
    ROBUSTNESS_FILE,
    ROBUSTNESS_KEYS,
    ROBUSTNESS_SUMMARY_FILE,
    SCENARIO_FILE,
)
from lendsim.errors import RunFolderError
from lendsim.report import page
from lendsim.report.appendix import appendix_section
from lendsim.report.figures import TEMPLATE, compact
from lendsim.report.i18n import (
    LANGS,
    Text,
    check_lang,
    format_change,
    format_percent,
    format_percent_interval,
    metric_label,
    same,
    text_from,
    unit_of,
)
from lendsim.report.markup import as_text, shortened
from lendsim.store import write_text_atomic

__all__ = [
    "RobustnessContents",
    "build_robustness_report",
    "is_robustness_folder",
    "read_robustness_folder",
    "robustness_page",
]

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("Robustness report", "稳健性分析报告"),
    "meta": (
        "{samples} samples of {uncertainties} uncertainties × {seeds} seeds, both modes · "
        "finished {finished}",
        "{uncertainties} 个不确定因素的 {samples} 个样本 × {seeds} 个随机种子，两种模式 · 完成于 {finished}",
    ),
    "section_robust": ("How robust is each finding?", "每项结论有多稳健？"),
    "section_flips": ("Where findings flip", "结论在哪里反转"),
    "section_drivers": ("What drives each difference", "哪些不确定因素驱动差异"),
    "section_uncertainties": ("The uncertainties declared", "所声明的不确定因素"),
    "section_appendix": ("Appendix", "附录"),
    "robust_lead": (
        "A finding is the sign of the paired difference HITL − automated at the scenario's own values "
        "(the central run). Each sample draws every declared uncertainty from its plausible range "
        "(Latin hypercube) and runs both modes on the same seeds; the finding holds in a sample when "
        "the mean paired difference there has the same sign. The share of samples where it holds "
        "estimates the share of plausible worlds where it holds; its 95 % interval is Wilson's.",
        "“结论”指在情景自身参数取值（中心运行）下，人机协同 − 全自动的配对差值的符号。"
        "每个样本从各不确定因素的合理范围内抽取取值（拉丁超立方抽样），并以相同的随机种子运行两种模式；"
        "若该样本的平均配对差值符号相同，则结论在该样本中成立。"
        "结论成立的样本占比即为结论在合理情形中成立比例的估计，95% 区间为 Wilson 区间。",
    ),
    "figure_share": ("Share of plausible worlds where each finding holds", "各项结论成立的合理情形占比"),
    "figure_share_note": (
        "Bars: share of samples keeping the central run's sign; whiskers: 95 % Wilson interval.",
        "条形：保持中心运行符号的样本占比；误差线：95% Wilson 区间。",
    ),
    "share_axis": ("Share of samples where the finding holds", "结论成立的样本占比"),
    "col_finding": ("Finding at the scenario's values", "情景取值下的结论"),
    "col_difference": ("HITL − automated", "人机协同 − 全自动"),
    "col_ci": ("95 % CI", "95% 置信区间"),
    "col_holds": ("Holds in (95 % CI)", "成立比例（95% 区间）"),
    "col_flips": ("Significant flips", "显著反转"),
    "col_where": ("Flips where", "反转区域"),
    "raises": ("HITL raises {phrase}", "人机协同提高{phrase}"),
    "lowers": ("HITL lowers {phrase}", "人机协同降低{phrase}"),
    "unchanged": ("HITL leaves {phrase} unchanged", "人机协同不改变{phrase}"),
    "holds_everywhere": ("— (held in every sample)", "—（所有样本中均成立）"),
    "no_box": ("— (no region found)", "—（未找到区域）"),
    "flips_of": ("{flips} of {samples}", "{samples} 个中有 {flips} 个"),
    "no_difference_note": (
        "No difference at the scenario's values nor in any sample: {metrics}.",
        "在情景取值下及所有样本中均无差异：{metrics}。",
    ),
    "flips_lead": (
        "Scenario discovery with PRIM (the EMA Workbench's implementation): a box is a region of the "
        "uncertainty space in which the finding flips in most samples. Coverage: the share of all "
        "flipping samples inside the box; density: the share of samples inside the box that flip. "
        "Restrictions that do not separate flips from holds better than chance (quasi-p > 0.1) are "
        "dropped.",
        "使用 PRIM（EMA Workbench 的实现）进行情景发现：“区域”是不确定因素空间中结论在多数样本里反转的部分。"
        "覆盖率：区域内的反转样本占全部反转样本的比例；密度：区域内样本中发生反转的比例。"
        "无法比随机更好地区分反转与成立的限制条件（准 p 值 > 0.1）已被去除。",
    ),
    "no_flip_boxes": (
        "No finding flips in a region PRIM could describe: where a finding flips at all, the flips are "
        "scattered or too few.",
        "没有结论在 PRIM 可描述的区域内反转：即使出现反转，也是零散的或数量太少。",
    ),
    "box_line": (
        "Box {number}: {words} — coverage {coverage}, density {density} ({k} of {n} samples in it flip).",
        "区域 {number}：{words} — 覆盖率 {coverage}，密度 {density}（区域内 {n} 个样本中有 {k} 个反转）。",
    ),
    "and": (" and ", "且"),
    "at_least": ("{label} ≥ {value}", "{label} ≥ {value}"),
    "at_most": ("{label} ≤ {value}", "{label} ≤ {value}"),
    "between": ("{label} from {low} to {high}", "{label} 介于 {low} 与 {high} 之间"),
    "unless": ("{finding} unless {where}", "{finding}，除非 {where}"),
    "or": ("; or ", "；或 "),
    "scatter_title": ("{finding}: where it holds and where it flips", "{finding}：成立与反转的位置"),
    "holds": ("Holds", "成立"),
    "flips": ("Flips", "反转"),
    "central": ("Scenario's own values", "情景自身取值"),
    "box": ("Box {number}", "区域 {number}"),
    "difference_axis": ("HITL − automated", "人机协同 − 全自动"),
    "drivers_lead": (
        "Extra-trees feature scores (EMA Workbench) of each uncertainty for the per-sample mean "
        "difference HITL − automated: the larger the score, the more of the difference's variation "
        "across plausible worlds that uncertainty explains. Each row sums to 1.",
        "各不确定因素对每个样本平均差值（人机协同 − 全自动）的极端随机树特征得分（EMA Workbench）："
        "得分越高，该因素解释的跨合理情形差异变化越多。每行之和为 1。",
    ),
    "drivers_title": ("Feature scores", "特征得分"),
    "no_drivers": (
        "No difference varies across the samples, or there are too few samples (fewer than 10) to score.",
        "各样本之间差值没有变化，或样本太少（少于 10 个），无法计算得分。",
    ),
    "col_uncertainty": ("Uncertainty", "不确定因素"),
    "col_key": ("Setting", "参数"),
    "col_range": ("Plausible range", "合理范围"),
    "col_distribution": ("Distribution", "分布"),
    "col_source": ("Source", "来源"),
    "uniform": ("uniform", "均匀分布"),
    "integer": ("whole numbers, uniform", "整数均匀分布"),
    "triangular": ("triangular, most likely {mode}", "三角分布，最可能值 {mode}"),
    "generated_by": (
        "Generated by lendsim {version} from {folder}",
        "由 lendsim {version} 根据 {folder} 生成",
    ),
}
"""Every word this page shows, in English and Simplified Chinese (lendsim.report.i18n's LANGS)."""

MAX_FLIP_FIGURES = 6
"""Findings whose flips get a scatter figure; the others get their boxes in words only."""
HOLDS_COLOUR = "#2563eb"
WEAK_COLOUR = "#d97706"
FLIPS_COLOUR = "#ea580c"
LABEL_MARGIN_PX = 330
TABLE_CLASS = "robustness"
TABLE_STYLE = (
    "<style>table.robustness td:first-child { min-width: 13em; white-space: normal; } "
    "table.robustness td:nth-child(3), table.robustness td:last-child { white-space: normal; } "
    "table.robustness td:last-child, table.robustness th:last-child { text-align: left; }</style>"
)
"""The findings table's first column holds a sentence and its last the flip boxes in words: give
them room (the shared page style sizes numeric tables)."""
LABEL_CHARS = 52
BOX_COLOUR = "#7c3aed"
GOOD_SHARE = 0.9
WEAK_SHARE = 0.5


def _t(key: str, **values: str | Text) -> Text:
    """One of this page's strings in every language, with `values` (plain or per language) filled in."""
    return text_from(STRINGS, key, **values)


# --------------------------------------------------------------------------- reading the folder


@dataclass(frozen=True)
class RobustnessContents:
    """What the page shows of a robustness folder, checked."""

    path: Path
    summary: pd.DataFrame
    boxes: dict[str, Any]
    features: pd.DataFrame
    rows: pd.DataFrame
    manifest: dict[str, Any]
    scenario_toml: str | None


def is_robustness_folder(folder: Path) -> bool:
    """A folder holding robustness.csv is a robustness folder (its sweep files notwithstanding)."""
    return (Path(folder) / ROBUSTNESS_SUMMARY_FILE).is_file()


def read_robustness_folder(folder: Path) -> RobustnessContents:
    """Load the files the page needs; one RunFolderError naming the file for anything wrong."""
    folder = Path(folder)
    summary = _csv(folder / ROBUSTNESS_SUMMARY_FILE, ROBUSTNESS_COLUMNS)
    features = _csv(folder / FEATURES_FILE, FEATURES_COLUMNS, allow_empty=True)
    rows_path = folder / ROBUSTNESS_FILE
    try:
        rows = pd.read_parquet(rows_path)
    except Exception as error:  # noqa: BLE001 - any failure to read: the file cannot be shown
        raise RunFolderError(f"{rows_path}: cannot be read as Parquet — {type(error).__name__}") from error
    missing = [c for c in ROBUSTNESS_KEYS if c not in rows.columns]
    if missing:
        raise RunFolderError(f"{rows_path}: column {missing[0]} is missing")
    boxes = _json(folder / BOXES_FILE)
    if not isinstance(boxes.get("metrics"), dict):
        raise RunFolderError(f"{folder / BOXES_FILE}: holds no 'metrics' object")
    manifest = _json(folder / MANIFEST_FILE)
    scenario_path = folder / SCENARIO_FILE
    scenario_toml = scenario_path.read_text(encoding="utf-8") if scenario_path.is_file() else None
    return RobustnessContents(folder, summary, boxes, features, rows, manifest, scenario_toml)


def _csv(path: Path, columns: tuple[str, ...], allow_empty: bool = False) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, keep_default_na=True)
    except FileNotFoundError:
        raise RunFolderError(f"{path}: is missing — a robustness folder holds it") from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise RunFolderError(f"{path}: cannot be read as CSV — {type(error).__name__}") from error
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise RunFolderError(f"{path}: column {missing[0]} is missing — it needs {', '.join(columns)}")
    if table.empty and not allow_empty:
        raise RunFolderError(f"{path}: holds no rows")
    return table


def _json(path: Path) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{path}: is missing — a robustness folder holds it") from None
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path}: cannot be read as JSON — {type(error).__name__}") from error
    if not isinstance(content, dict):
        raise RunFolderError(f"{path}: must hold a JSON object")
    return content


def build_robustness_report(folder: Path, lang: str = "en") -> Path:
    """Write `folder/report.html` for the robustness analysis in `folder`, shown first in `lang`."""
    check_lang(lang)
    contents = read_robustness_folder(Path(folder))
    return write_text_atomic(
        contents.path / REPORT_FILE, robustness_page(contents, lang), doing="write the report"
    )


# --------------------------------------------------------------------------- the page


def robustness_page(contents: RobustnessContents, lang: str) -> str:
    """The whole HTML page of a robustness folder."""
    manifest = contents.manifest
    sections = [
        robust_section(contents, lang),
        flips_section(contents, lang),
        drivers_section(contents, lang),
        uncertainties_section(contents),
        appendix_section(manifest, contents.scenario_toml),
    ]
    anchors = ("robust", "flips", "drivers", "uncertainties", "appendix")
    titles = (
        "section_robust",
        "section_flips",
        "section_drivers",
        "section_uncertainties",
        "section_appendix",
    )
    uncertainties = contents.boxes.get("uncertainties") or {}
    meta = _t(
        "meta",
        samples=str(contents.boxes.get("samples", "?")),
        uncertainties=str(len(uncertainties)),
        seeds=str(len(manifest.get("seeds") or [])),
        finished=str(manifest.get("finished_at", "?")),
    )
    return page.document(
        lang,
        _t("title"),
        page.masthead(
            _t("title"),
            str(manifest.get("scenario_name") or contents.path.name),
            manifest.get("scenario_purpose"),
            meta,
        ),
        [(anchor, _t(key)) for anchor, key in zip(anchors, titles, strict=True)],
        sections,
        _t("generated_by", version=str(manifest.get("lendsim_version", "?")), folder=contents.path.name),
    )


def _sign(row: pd.Series) -> int:
    value = row["central_sign"]
    return int(value) if pd.notna(value) else 0


def finding_text(metric: str, sign: int) -> Text:
    """'HITL lowers credit losses' / '人机协同降低信贷损失', from the metric registry's label."""
    label = metric_label(metric)
    from lendsim.metrics import REGISTRY

    definition = REGISTRY.get(metric)
    plural = definition.plural if definition is not None else False
    phrase = {"en": label["en"] if plural else f"the {label['en']}", "zh": label["zh"]}
    key = "raises" if sign > 0 else "lowers" if sign < 0 else "unchanged"
    return _t(key, phrase=phrase)


def restriction_text(restriction: dict[str, Any]) -> Text:
    label = str(restriction.get("label") or restriction.get("uncertainty", ""))
    low, high = restriction.get("low"), restriction.get("high")
    if low is not None and high is not None:
        return _t("between", label=label, low=_number(low), high=_number(high))
    if low is not None:
        return _t("at_least", label=label, value=_number(low))
    return _t("at_most", label=label, value=_number(high))


def box_text(box: dict[str, Any]) -> Text:
    parts = [restriction_text(r) for r in box.get("restrictions", [])]
    return {lang: _t("and")[lang].join(part[lang] for part in parts) for lang in LANGS}


def where_text(boxes: list[dict[str, Any]]) -> Text:
    texts = [box_text(box) for box in boxes]
    return {lang: _t("or")[lang].join(t[lang] for t in texts) for lang in LANGS}


def _number(value: Any) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.3g}"


def _metric_boxes(contents: RobustnessContents, metric: str) -> dict[str, Any]:
    record = contents.boxes["metrics"].get(metric)
    return record if isinstance(record, dict) else {}


def robust_section(contents: RobustnessContents, lang: str) -> str:
    summary = contents.summary
    findings = summary[summary["central_sign"].fillna(0) != 0]
    quiet = summary[(summary["central_sign"].fillna(0) == 0) & (summary["share_holds"] == 1)]
    others = summary[(summary["central_sign"].fillna(0) == 0) & (summary["share_holds"] != 1)]
    body = [page.paragraph(_t("robust_lead"))]
    if len(findings):
        body.append(
            page.figure_block(
                "figure-robustness-share",
                _t("figure_share"),
                lambda each: share_figure(findings, each),
                lang,
                _t("figure_share_note"),
            )
        )
    shown = pd.concat([findings, others])
    header = [
        _t("col_finding"),
        _t("col_difference"),
        _t("col_ci"),
        _t("col_holds"),
        _t("col_flips"),
        _t("col_where"),
    ]
    body.append(TABLE_STYLE)
    rows = [_summary_row(contents, row) for _, row in shown.iterrows()]
    body.append(page.table(header, rows, css_class=TABLE_CLASS))
    if len(quiet):
        names = {lang: ", ".join(metric_label(m)[lang] for m in quiet["metric"]) for lang in LANGS}
        body.append(page.paragraph(_t("no_difference_note", metrics=names)))
    return page.section("robust", _t("section_robust"), body)


def _summary_row(contents: RobustnessContents, row: pd.Series) -> list[Text]:
    metric = str(row["metric"])
    sign = _sign(row)
    unit = unit_of(metric)
    difference = format_change(float(row["central_difference"]), unit)
    low, high = (
        format_change(float(row["central_ci_low"]), unit),
        format_change(float(row["central_ci_high"]), unit),
    )
    interval = {lang: f"{low[lang]} … {high[lang]}" for lang in LANGS}
    share = format_percent(float(row["share_holds"]))
    share_interval = format_percent_interval(float(row["share_ci_low"]), float(row["share_ci_high"]))
    holds = {lang: f"{share[lang]} ({share_interval[lang]})" for lang in LANGS}
    flips = _t("flips_of", flips=str(int(row["n_flips_significant"])), samples=str(int(row["n_samples"])))
    record = _metric_boxes(contents, metric)
    boxes = record.get("boxes") or []
    if boxes:
        where = where_text(boxes)
    elif int(row["n_holds"]) == int(row["n_samples"]):
        where = _t("holds_everywhere")
    else:
        where = _t("no_box")
    return [finding_text(metric, sign), difference, interval, holds, flips, where]


def share_figure(findings: pd.DataFrame, lang: str) -> go.Figure:
    """Horizontal bars: the share of samples where each finding holds, with Wilson whiskers.

    The findings' names are annotations, not tick labels, so the page's language switch
    re-labels them (it updates trace names, axis titles and annotations)."""
    names = [
        finding_text(m, int(s))[lang]
        for m, s in zip(findings["metric"], findings["central_sign"].fillna(0), strict=True)
    ]
    share = findings["share_holds"].to_numpy(dtype=float)
    low = findings["share_ci_low"].to_numpy(dtype=float)
    high = findings["share_ci_high"].to_numpy(dtype=float)
    colours = [
        HOLDS_COLOUR if s >= GOOD_SHARE else WEAK_COLOUR if s >= WEAK_SHARE else FLIPS_COLOUR for s in share
    ]
    positions = list(range(len(names)))
    figure = go.Figure(
        go.Bar(
            x=compact(share),
            y=positions,
            orientation="h",
            marker={"color": colours},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": compact(high - share),
                "arrayminus": compact(share - low),
                "color": "#334155",
                "thickness": 1,
            },
            name=as_text(_t("holds")[lang]),
            hovertemplate="%{x:.0%}<extra></extra>",
        )
    )
    _row_labels(figure, names)
    figure.update_layout(
        template=TEMPLATE,
        height=max(240, 70 + 26 * len(names)),
        showlegend=False,
        hovermode="closest",
        margin={"l": LABEL_MARGIN_PX},
        xaxis={"range": [0, 1.02], "tickformat": ".0%", "title": {"text": as_text(_t("share_axis")[lang])}},
        yaxis={"autorange": "reversed", "showticklabels": False, "range": [len(names) - 0.5, -0.5]},
    )
    figure.add_vline(x=GOOD_SHARE, line={"color": "#94a3b8", "dash": "dot", "width": 1})
    return figure


def _row_labels(figure: go.Figure, names: list[str]) -> None:
    """One label per row (y = 0, 1, …) left of the plot, as annotations the language switch updates."""
    for position, name in enumerate(names):
        figure.add_annotation(
            x=0,
            y=position,
            xref="paper",
            yref="y",
            xanchor="right",
            xshift=-8,
            text=as_text(shortened(name, LABEL_CHARS)),
            showarrow=False,
            font={"size": 12},
        )


def flips_section(contents: RobustnessContents, lang: str) -> str:
    body = [page.paragraph(_t("flips_lead"))]
    summary = contents.summary.set_index("metric")
    flipped = [metric for metric in summary.index if _metric_boxes(contents, str(metric)).get("boxes")]
    if not flipped:
        body.append(page.paragraph(_t("no_flip_boxes"), "skipped"))
        return page.section("flips", _t("section_flips"), body)
    differences = per_sample_differences(contents.rows)
    for index, metric in enumerate(flipped):
        record = _metric_boxes(contents, str(metric))
        sign = int(record.get("central_sign", 0))
        finding = finding_text(str(metric), sign)
        boxes = record["boxes"]
        lines = [
            _t(
                "box_line",
                number=str(number),
                words=box_text(box),
                coverage=format_percent(float(box["coverage"])),
                density=format_percent(float(box["density"])),
                k=str(box["k"]),
                n=str(box["n"]),
            )
            for number, box in enumerate(boxes, start=1)
        ]
        title = _t("unless", finding=finding, where=where_text(boxes))
        if index < MAX_FLIP_FIGURES and str(metric) in differences:
            body.append(
                page.figure_block(
                    f"figure-robustness-flips-{metric}",
                    title,
                    functools.partial(flip_figure, contents, differences[str(metric)], sign, boxes),
                    lang,
                )
            )
        else:
            body.append(page.heading(3, title))
        body.append(page.bullets(lines, [""] * len(lines)))
    return page.section("flips", _t("section_flips"), body)


def per_sample_differences(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Per metric: the mean paired difference HITL − automated of every sample (index: sample)."""
    metrics = [c for c in rows.columns if c not in ROBUSTNESS_KEYS and pd.api.types.is_float_dtype(rows[c])]
    keyed = rows.set_index(["sample", "seed", "mode"]).sort_index()
    if not set(MODES) <= set(keyed.index.get_level_values("mode")):
        return {}
    paired = keyed.xs(MODES[1], level="mode")[metrics] - keyed.xs(MODES[0], level="mode")[metrics]
    means = paired.groupby(level="sample").mean()
    return {metric: means[metric] for metric in metrics}


def flip_figure(
    contents: RobustnessContents, differences: pd.Series, sign: int, boxes: list[dict[str, Any]], lang: str
) -> go.Figure:
    """The samples on the box's two main uncertainties (or one, against the difference), holds and
    flips in two colours, the scenario's own values as a star and each box as a rectangle."""
    uncertainties = list((contents.boxes.get("uncertainties") or {}).keys())
    restricted = [r["uncertainty"] for box in boxes for r in box.get("restrictions", [])]
    axes = list(dict.fromkeys([*restricted, *uncertainties]))[:2]
    values = contents.rows.drop_duplicates("sample").set_index("sample")
    samples = values[~values["central"].astype(bool)]
    shown = differences.reindex(samples.index)
    holds = np.sign(shown.to_numpy(dtype=float)) == sign
    x_key = axes[0]
    y_key = axes[1] if len(axes) > 1 else None
    labels = {
        key: str(spec.get("label") or key)
        for key, spec in (contents.boxes.get("uncertainties") or {}).items()
    }
    x = samples[x_key].to_numpy(dtype=float)
    y = samples[y_key].to_numpy(dtype=float) if y_key else shown.to_numpy(dtype=float)
    figure = go.Figure()
    for name, mask, colour in (("holds", holds, HOLDS_COLOUR), ("flips", ~holds, FLIPS_COLOUR)):
        figure.add_trace(
            go.Scatter(
                x=compact(x[mask]),
                y=compact(y[mask]),
                mode="markers",
                name=as_text(_t(name)[lang]),
                marker={"color": colour, "size": 8, "opacity": 0.8},
            )
        )
    central = values[values["central"].astype(bool)]
    if len(central):
        cy = central[y_key].to_numpy(dtype=float) if y_key else differences.reindex(central.index).to_numpy()
        figure.add_trace(
            go.Scatter(
                x=compact(central[x_key].to_numpy(dtype=float)),
                y=compact(cy),
                mode="markers",
                name=as_text(_t("central")[lang]),
                marker={"symbol": "star", "size": 14, "color": "#111827"},
            )
        )
    for number, box in enumerate(boxes, start=1):
        limits = {r["uncertainty"]: r for r in box.get("restrictions", [])}
        x0, x1 = _box_side(limits.get(x_key), x)
        y0, y1 = _box_side(limits.get(y_key), y) if y_key else (float(np.nanmin(y)), float(np.nanmax(y)))
        figure.add_shape(
            type="rect",
            x0=x0,
            x1=x1,
            y0=y0,
            y1=y1,
            line={"color": BOX_COLOUR, "width": 2, "dash": "dash"},
            fillcolor="rgba(124, 58, 237, 0.06)",
        )
        figure.add_annotation(
            x=x0,
            y=y1,
            text=as_text(_t("box", number=str(number))[lang]),
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"color": BOX_COLOUR, "size": 11},
        )
    y_title = labels.get(y_key, y_key) if y_key else _t("difference_axis")[lang]
    figure.update_layout(
        template=TEMPLATE,
        height=400,
        hovermode="closest",
        xaxis={"title": {"text": as_text(labels.get(x_key, x_key))}},
        yaxis={"title": {"text": as_text(y_title)}},
    )
    if not y_key:
        figure.add_hline(y=0, line={"color": "#94a3b8", "dash": "dot", "width": 1})
    return figure


def _box_side(restriction: dict[str, Any] | None, values: np.ndarray) -> tuple[float, float]:
    """A box's extent along one axis: its limits, or the samples' range where it has none."""
    lowest, highest = float(np.nanmin(values)), float(np.nanmax(values))
    if restriction is None:
        return lowest, highest
    low, high = restriction.get("low"), restriction.get("high")
    return (lowest if low is None else float(low)), (highest if high is None else float(high))


def drivers_section(contents: RobustnessContents, lang: str) -> str:
    body = [page.paragraph(_t("drivers_lead"))]
    scores = contents.features
    varying = scores.groupby("metric")["score"].sum()
    metrics = [m for m in contents.summary["metric"] if varying.get(m, 0) > 0]
    if not metrics:
        body.append(page.paragraph(_t("no_drivers"), "skipped"))
    else:
        body.append(
            page.figure_block(
                "figure-robustness-drivers",
                _t("drivers_title"),
                lambda each: drivers_figure(contents, metrics, each),
                lang,
            )
        )
    return page.section("drivers", _t("section_drivers"), body)


def drivers_figure(contents: RobustnessContents, metrics: list[str], lang: str) -> go.Figure:
    """Feature scores as a heatmap: one row per metric (labels as annotations, which the language
    switch updates), one column per uncertainty."""
    declared = contents.boxes.get("uncertainties") or {}
    keys = list(declared) or sorted(contents.features["uncertainty"].unique())
    grid = contents.features.pivot_table(
        index="metric", columns="uncertainty", values="score", aggfunc="first"
    )
    grid = grid.reindex(index=metrics, columns=keys).fillna(0.0)
    columns = [as_text(shortened(str((declared.get(k) or {}).get("label") or k), 28)) for k in keys]
    figure = go.Figure(
        go.Heatmap(
            z=[compact(row) for row in grid.to_numpy()],
            x=columns,
            y=list(range(len(metrics))),
            colorscale="Purples",
            zmin=0,
            zmax=1,
            texttemplate="%{z:.2f}" if grid.size <= 400 else None,
            hovertemplate="%{x}: %{z:.2f}<extra></extra>",
            name=as_text(_t("drivers_title")[lang]),
        )
    )
    _row_labels(figure, [metric_label(m, capitalised=True)[lang] for m in metrics])
    figure.update_layout(
        template=TEMPLATE,
        height=max(260, 90 + 24 * len(metrics)),
        hovermode="closest",
        margin={"l": LABEL_MARGIN_PX},
        yaxis={"autorange": "reversed", "showticklabels": False, "showgrid": False},
        xaxis={"type": "category", "showgrid": False},
    )
    return figure


def uncertainties_section(contents: RobustnessContents) -> str:
    declared = contents.boxes.get("uncertainties") or {}
    header = [_t("col_uncertainty"), _t("col_key"), _t("col_range"), _t("col_distribution"), _t("col_source")]
    rows = []
    for key, spec in declared.items():
        distribution = str(spec.get("distribution", "uniform"))
        if distribution == "triangular":
            kind = _t("triangular", mode=_number(spec.get("mode", math.nan)))
        else:
            kind = _t(distribution) if distribution in STRINGS else same(distribution)
        low, high = spec.get("low"), spec.get("high")
        rows.append(
            [
                same(str(spec.get("label") or key)),
                same(str(key)),
                same(f"{_number(low)} – {_number(high)}" if low is not None and high is not None else "?"),
                kind,
                same(str(spec.get("source", ""))),
            ]
        )
    return page.section("uncertainties", _t("section_uncertainties"), [page.table(header, rows)])


KEY_FINDINGS_SHOWN = 4
"""Findings a run report quotes from the robustness analysis of its scenario."""


def robustness_pointer(run_folder: Path, scenario_name: str | None) -> Text | None:
    """For a run report: the robustness analysis of the same scenario beside the run folder (the
    newest folder holding robustness.csv whose scenario has the run's [meta] name), and for its key
    findings the share of plausible worlds where each holds. None when there is none."""
    import tomllib

    from lendsim.contract import SCENARIO_FILE
    from lendsim.metrics import REGISTRY

    if not scenario_name or not run_folder.parent.is_dir():
        return None
    found = []
    for folder in run_folder.parent.iterdir():
        if folder == run_folder or not folder.is_dir() or not is_robustness_folder(folder):
            continue
        try:
            meta = tomllib.loads((folder / SCENARIO_FILE).read_text(encoding="utf-8")).get("meta", {})
            summary = pd.read_csv(folder / ROBUSTNESS_SUMMARY_FILE)
        except (OSError, ValueError, tomllib.TOMLDecodeError):
            continue
        if meta.get("name") == scenario_name and {"metric", "share_holds"} <= set(summary.columns):
            found.append((folder.stat().st_mtime, folder, summary))
    if not found:
        return None
    _, folder, summary = max(found, key=lambda item: item[0])
    shares = summary.set_index("metric")["share_holds"]
    ranked = [m.name for m in REGISTRY.by_priority() if m.priority is not None and m.name in shares]
    quoted = [
        {lang: f"{metric_label(name)[lang]} {shares[name]:.0%}" for lang in ("en", "zh")}
        for name in ranked[:KEY_FINDINGS_SHOWN]
        if shares[name] == shares[name]  # not NaN
    ]
    where = f"../{folder.name}/report.html"
    return {
        "en": f"A robustness analysis of this scenario is in {where}: across the plausible values of its "
        "declared uncertainties, the HITL − automated finding keeps its sign in this share of worlds — "
        + "; ".join(q["en"] for q in quoted)
        + ".",
        "zh": f"本情景的稳健性分析见 {where}：在其声明的不确定参数的合理取值范围内，"
        "人机协同与全自动之差保持同一方向的情形占比为："
        + "；".join(q["zh"] for q in quoted)
        + "。",
    }
