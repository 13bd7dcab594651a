"""The report of a comparison folder: what changing the policy from run A to run B does, per mode.

It reads only the comparison folder (compare.csv and manifest.json, written by lendsim.compare) and
is built from the run report's blocks (lendsim.report.page, i18n, figures' look): the answer first —
a bottom line written from the numbers, then the effect of B − A under automated and under HITL
underwriting with 95 % CIs, and the difference in differences (does human review change the
policy's effect?) — then the levels, a chart of the effects, the settings that differ between the
runs, how the numbers were computed, the glossary and an appendix. Significance is the one
compare.csv records: the paired t test, Holm-corrected across the headline metrics of each question.
Both languages are embedded, as in every lendsim report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lendsim.contract import COMPARE, COMPARE_COLUMNS, COMPARE_FILE, MANIFEST_FILE, REPORT_FILE
from lendsim.errors import RunFolderError
from lendsim.report import page
from lendsim.report.appendix import manifest_rows
from lendsim.report.figures import MODE_COLOURS, TEMPLATE, compact, label_value_axis
from lendsim.report.i18n import (
    Text,
    check_lang,
    format_change,
    format_value,
    join,
    metric_label,
    same,
    text,
    text_from,
    unit_of,
)
from lendsim.report.markup import as_text
from lendsim.statistics import MIN_SEEDS
from lendsim.store import write_text_atomic

MODES_SHOWN = ("automated", "hitl", "difference")
KEY_METRIC_COUNT = 6
BOTTOM_LINE_METRICS = 3
CHART_COLUMNS = 3
APPENDIX_RUN_KEYS = ("folder", "scenario_name", "lendsim_version", "git_commit", "finished_at")
OWN_MANIFEST_KEYS = frozenset({"run_a", "run_b", "differences", "population", "months", "lendsim_folder"})
"""Manifest keys this report shows in sections of its own, not in the appendix's key list."""

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("Policy comparison", "政策对比"),
    "meta": (
        "B − A for each underwriting mode, paired by seed · {seeds} seeds × {months} months · "
        "A: {a} · B: {b}",
        "按随机种子配对的 B − A（分模式）· {seeds} 个随机种子 × {months} 个月 · A：{a} · B：{b}",
    ),
    "purpose": (
        "What changes when the policy of run A ({a}) is replaced by that of run B ({b}) — under fully "
        "automated underwriting, under human-in-the-loop underwriting, and whether human review "
        "changes the policy's effect.",
        "把运行 A（{a}）的政策换成运行 B（{b}）的政策后会发生什么变化——分别在全自动审批和人机协同审批下，"
        "以及人工审核是否改变该政策的效果。",
    ),
    "section_answer": ("The answer", "结论"),
    "section_levels": ("Levels in A and B", "A 与 B 的指标水平"),
    "section_chart": ("Effects at a glance", "效果一览"),
    "section_settings": ("What differs between A and B", "A 与 B 的设置差异"),
    "section_methods": ("How the numbers were computed", "计算方法"),
    "section_appendix": ("Appendix", "附录"),
    "bottom_effect": (
        "Going from A to B changes {metric} by {auto} under automated underwriting and by {hitl} under HITL.",
        "从 A 到 B，{metric}在全自动审批下变化 {auto}，在人机协同下变化 {hitl}。",
    ),
    "bottom_did": (
        "Human review changes the policy's effect on {metric}: {did} more under HITL than under "
        "automated underwriting (95 % CI {low} … {high}).",
        "人工审核改变了该政策对{metric}的效果：人机协同下比全自动下多变化 {did}"
        "（95% 置信区间 {low} … {high}）。",
    ),
    "bottom_no_did": (
        "Human review does not change the policy's effect significantly on any headline metric.",
        "人工审核没有显著改变该政策对任何核心指标的效果。",
    ),
    "bottom_nothing": (
        "No headline metric changes significantly from A to B in either mode (after the Holm correction).",
        "经 Holm 校正后，两种模式下从 A 到 B 均没有任何核心指标发生显著变化。",
    ),
    "with_ci": ("{value} (95 % CI {low} … {high})", "{value}（95% 置信区间 {low} … {high}）"),
    "ns": ("not significant", "不显著"),
    "ns_in_sentence": ("{value} (not significant)", "{value}（不显著）"),
    "all_zero": (
        "Zero in both runs and both modes, left out of the tables: {names}.",
        "在两次运行、两种模式下均为零，未列入表格：{names}。",
    ),
    "col_metric": ("Metric", "指标"),
    "col_auto_effect": ("Automated: B − A", "全自动：B − A"),
    "col_hitl_effect": ("HITL: B − A", "人机协同：B − A"),
    "col_did": ("HITL − automated of B − A", "B − A 的 人机协同 − 全自动"),
    "col_level": ("{mode}: {run}", "{mode}：{run}"),
    "col_setting": ("Setting", "设置项"),
    "col_seeds": ("Seeds", "随机种子数"),
    "effects_note": (
        "Each effect is the mean over seeds of B − A for the same seed (same borrowers, same macro "
        "path: common random numbers), with its paired 95 % t interval, clipped to what the "
        "difference can be. The last column is the difference in differences: B − A under HITL minus "
        "B − A under automated underwriting. Grey rows: nothing significant in that row after the "
        "Holm correction across the headline metrics of each column.",
        "每项效果为同一随机种子下 B − A 的均值（相同借款人、相同宏观路径：共同随机数），"
        "附配对 95% t 区间，并截断在差值可能的范围内。最后一列为双重差分："
        "人机协同下的 B − A 减去全自动下的 B − A。灰色行：经每列核心指标间的 Holm 校正后，"
        "该行没有显著结果。",
    ),
    "levels_note": (
        "Means over the same seeds in each run. The last column is the number of seeds paired.",
        "各运行中相同随机种子的均值。最后一列为配对的随机种子数。",
    ),
    "chart_note": (
        "B − A with its 95 % CI for the key metrics: under automated underwriting, under HITL, and "
        "the difference between the two (difference in differences). A whisker that crosses the "
        "dotted zero line is an effect that may be nil.",
        "主要指标的 B − A 及其 95% 置信区间：全自动、人机协同，以及二者之差（双重差分）。"
        "误差线跨过零虚线表示效果可能为零。",
    ),
    "trace_auto": ("Automated: B − A", "全自动：B − A"),
    "trace_hitl": ("HITL: B − A", "人机协同：B − A"),
    "trace_did": ("HITL − automated (difference in differences)", "人机协同 − 全自动（双重差分）"),
    "settings_lead": (
        "Settings of the resolved scenarios that differ (the scenarios' names and descriptions are "
        "left out). Everything else, including seeds, population and months, is the same.",
        "两次运行解析后情景中取值不同的设置项（情景名称和说明不计）。其余设置，包括随机种子、人口规模和月数，均相同。",
    ),
    "settings_none": (
        "The two runs have the same settings: every effect in this report is zero.",
        "两次运行的设置完全相同：本报告中的各项效果均为零。",
    ),
    "methods": (
        "Replication r of a scenario draws its borrowers, macro path and behaviour from the same "
        "seed whatever the policy, so seed r of run A and seed r of run B differ only by the policy "
        "(common random numbers), and the effect is measured seed by seed. The interval is the "
        "Student-t interval of the per-seed differences for the number of seeds paired, clipped to "
        "what the difference can be (±100 pp for a rate; twice that for a difference in "
        "differences). A result is called significant when the paired t test survives the "
        "Holm–Bonferroni correction across all headline metrics of its column, so that with {tested} "
        "metrics per column the chance of any false finding in a column stays below 5 %. lendsim "
        "compare refuses runs whose root seed, replication seeds, population or months differ.",
        "情景的第 r 次重复无论采用何种政策，都从同一随机种子抽取借款人、宏观路径和行为，"
        "因此运行 A 与运行 B 的第 r 个随机种子只在政策上不同（共同随机数），效果逐个随机种子计算。"
        "置信区间为配对随机种子数下各随机种子差值的 t 区间，并截断在差值可能的范围内"
        "（比率为 ±100 个百分点，双重差分为其两倍）。只有当配对 t 检验在该列全部核心指标间经 "
        "Holm–Bonferroni 校正后仍成立时才称为显著，使每列 {tested} 项指标中出现任何假阳性结论的"
        "概率低于 5%。若两次运行的根随机种子、各次重复的随机种子、人口规模或月数不同，"
        "lendsim compare 会拒绝比较。",
    ),
    "runs_compared": ("Runs compared", "参与比较的运行"),
    "run_a": ("Run A", "运行 A"),
    "run_b": ("Run B", "运行 B"),
    "run_key_folder": ("Folder", "文件夹"),
    "run_key_scenario_name": ("Scenario", "情景"),
    "run_key_lendsim_version": ("lendsim version", "lendsim 版本"),
    "run_key_git_commit": ("Git commit", "Git 提交"),
    "run_key_finished_at": ("Finished", "完成时间"),
    "comparison_manifest": ("Manifest of the comparison", "对比清单"),
    "generated_by": (
        "Generated by lendsim {version} from {folder}",
        "由 lendsim {version} 根据 {folder} 生成",
    ),
}


def _t(key: str, **values: str | Mapping[str, str]) -> Text:
    """One of this report's strings in every language, with `values` (plain or per language)."""
    return text_from(STRINGS, key, **values)


# --------------------------------------------------------------------------- the folder


@dataclass(frozen=True)
class CompareContents:
    """What the report shows of a comparison folder, checked."""

    path: Path
    table: pd.DataFrame
    manifest: dict[str, Any]

    def rows(self, metric: str) -> dict[str, dict[str, Any]]:
        frame = self.table[self.table["metric"] == metric]
        return {str(record["mode"]): record for record in frame.to_dict("records")}

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(self.table["metric"]))

    @property
    def shown_metrics(self) -> list[str]:
        """The metrics not zero in both runs and both modes (the others say nothing)."""
        levels = self.table[self.table["mode"] != "difference"]
        moving = levels[(levels["a_mean"] != 0) | (levels["b_mean"] != 0)]["metric"]
        return [m for m in self.metrics if m in set(moving)]

    @property
    def seeds(self) -> int:
        return int(self.table["n_seeds"].max()) if len(self.table) else 0


def read_compare_folder(folder: Path) -> CompareContents:
    """compare.csv and manifest.json of a comparison folder; RunFolderError (one line) otherwise."""
    folder = Path(folder)
    for name in COMPARE.required:
        if not (folder / name).is_file():
            raise RunFolderError(
                f"{folder}: {name} is missing — a comparison folder holds {', '.join(COMPARE.required)}"
            )
    path = folder / COMPARE_FILE
    try:
        table = pd.read_csv(path, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise RunFolderError(f"{path}: cannot be read as CSV — {_first_line(error)}") from error
    missing = [c for c in COMPARE_COLUMNS if c not in table.columns]
    if missing:
        raise RunFolderError(
            f"{path}: column {missing[0]} is missing — it needs {', '.join(COMPARE_COLUMNS)}"
        )
    if table.empty:
        raise RunFolderError(f"{path}: holds no rows — the report needs the comparison")
    unknown = sorted(set(table["mode"].astype(str)) - set(MODES_SHOWN))
    if unknown:
        raise RunFolderError(
            f"{path}: column mode holds {unknown[0]!r} — allowed are {', '.join(MODES_SHOWN)}"
        )
    numbers = ["a_mean", "b_mean", "difference", "ci_low", "ci_high", "n_seeds", "p_value", "p_holm"]
    for column in numbers:
        converted = pd.to_numeric(table[column], errors="coerce")
        if converted.isna().sum() > table[column].isna().sum():
            raise RunFolderError(f"{path}: column {column} holds text — it must hold numbers")
        table[column] = converted.astype("float64")
        if column not in ("p_value", "p_holm") and not np.isfinite(table[column].to_numpy()).all():
            raise RunFolderError(f"{path}: column {column} has an empty cell or one that is not finite")
    table["metric"] = table["metric"].astype(str)
    table["mode"] = table["mode"].astype(str)
    table["significant"] = table["significant"].astype(str).str.lower().isin(("true", "1"))
    manifest_path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RunFolderError(f"{manifest_path}: cannot be read as JSON — {_first_line(error)}") from error
    if not isinstance(manifest, dict):
        raise RunFolderError(f"{manifest_path}: must hold a JSON object (key: value pairs)")
    return CompareContents(folder, table, manifest)


def build_compare_report(folder: Path, lang: str = "en") -> Path:
    """Write `folder/report.html` for the comparison in `folder`, shown first in `lang`."""
    check_lang(lang)
    contents = read_compare_folder(Path(folder))
    return write_text_atomic(
        contents.path / REPORT_FILE, compare_page(contents, lang), doing="write the report"
    )


# --------------------------------------------------------------------------- the page


def compare_page(contents: CompareContents, lang: str) -> str:
    """The whole HTML page of a comparison."""
    manifest = contents.manifest
    a_name, b_name = _run_name(manifest, "run_a", "A"), _run_name(manifest, "run_b", "B")
    if a_name == b_name:  # one scenario, two settings (--set): the folders tell them apart
        a_name, b_name = _folder_name(manifest, "run_a"), _folder_name(manifest, "run_b")
    key = key_metrics(contents.shown_metrics or contents.metrics)
    sections = [
        answer_section(contents, key),
        levels_section(contents),
        chart_section(contents, key, lang),
        settings_section(manifest),
        methods_section(contents),
        _glossary(),
        appendix_section(manifest),
    ]
    contents_list = [
        ("answer", _t("section_answer")),
        ("levels", _t("section_levels")),
        ("chart", _t("section_chart")),
        ("settings", _t("section_settings")),
        ("methods", _t("section_methods")),
        ("glossary", text("section_glossary")),
        ("appendix", _t("section_appendix")),
    ]
    masthead = _masthead(
        f"{b_name} − {a_name}",
        _t("purpose", a=a_name, b=b_name),
        _t(
            "meta",
            seeds=str(contents.seeds),
            months=str(manifest.get("months", "?")),
            a=_folder_name(manifest, "run_a"),
            b=_folder_name(manifest, "run_b"),
        ),
    )
    footer = _t(
        "generated_by", version=str(manifest.get("lendsim_version", "?")), folder=contents.path.name or "."
    )
    return page.document(lang, _t("title"), masthead, contents_list, sections, footer)


def _masthead(name: str, purpose: Text, meta: Text) -> str:
    """The run report's masthead (lendsim.report.page), with a purpose in both languages."""
    return (
        '<header class="masthead"><div class="wrap"><div class="masthead-top">'
        f'<p class="kicker">{page.bilingual(_t("title"))}</p>'
        '<button id="language-switch" type="button" aria-label="language / 语言">'
        f"{page.bilingual(text('switch_language'))}</button></div>"
        f"<h1>{as_text(name)}</h1>{page.paragraph(purpose, 'purpose')}"
        f'<p class="meta">{page.bilingual(meta)}</p></div></header>'
    )


def key_metrics(available: list[str]) -> list[str]:
    """The headline metrics of highest priority in the table, then review cost (as the terminal)."""
    from lendsim.terminal import key_metrics as ranked

    return ranked(KEY_METRIC_COUNT, available)


def answer_section(contents: CompareContents, key: list[str]) -> str:
    """The bottom line, then B − A per mode and the difference in differences for every metric."""
    rows, classes = [], []
    for metric in contents.shown_metrics:
        by_mode = contents.rows(metric)
        cells = [metric_label(metric, capitalised=True)]
        any_significant = False
        for mode in MODES_SHOWN:
            record = by_mode.get(mode)
            cells.append(_effect(metric, record) if record else same("—"))
            any_significant |= bool(record and record["significant"])
        rows.append(cells)
        classes.append("" if any_significant else "not-significant")
    header = [_t("col_metric"), _t("col_auto_effect"), _t("col_hitl_effect"), _t("col_did")]
    return page.section(
        "answer",
        _t("section_answer"),
        [
            *_few_seeds(contents.seeds),
            page.paragraph(bottom_line(contents, key), "lead"),
            page.table(header, rows, classes),
            page.paragraph(_t("effects_note")),
            *_zero_note(contents),
        ],
    )


def _zero_note(contents: CompareContents) -> list[str]:
    zero = [m for m in contents.metrics if m not in contents.shown_metrics]
    if not zero:
        return []
    labels = [metric_label(m) for m in zero]
    names = {
        "en": ", ".join(label["en"] for label in labels),
        "zh": "、".join(label["zh"] for label in labels),
    }
    return [page.paragraph(_t("all_zero", names=names))]


def bottom_line(contents: CompareContents, key: list[str]) -> Text:
    """Two or three sentences from the numbers: the largest significant effects of the key metrics,
    then whether human review changes any effect (the difference in differences)."""
    sentences: list[Text] = []
    ranked = key + [m for m in contents.metrics if m not in key]
    told = 0
    for metric in ranked:
        by_mode = contents.rows(metric)
        auto, hitl = by_mode.get("automated"), by_mode.get("hitl")
        if not auto or not hitl or not (auto["significant"] or hitl["significant"]):
            continue
        sentences.append(
            _t(
                "bottom_effect",
                metric=_phrase(metric),
                auto=_effect(metric, auto, with_ci=False),
                hitl=_effect(metric, hitl, with_ci=False),
            )
        )
        told += 1
        if told == BOTTOM_LINE_METRICS:
            break
    if not sentences:
        sentences.append(_t("bottom_nothing"))
    changed = [
        (metric, contents.rows(metric).get("difference"))
        for metric in ranked
        if (contents.rows(metric).get("difference") or {}).get("significant")
    ]
    if changed:
        metric, record = changed[0]
        assert record is not None
        unit = unit_of(metric)
        sentences.append(
            _t(
                "bottom_did",
                metric=_phrase(metric),
                did=format_change(record["difference"], unit),
                low=format_change(record["ci_low"], unit),
                high=format_change(record["ci_high"], unit),
            )
        )
    elif contents.seeds >= 2:
        sentences.append(_t("bottom_no_did"))
    return join(sentences, " ")


def levels_section(contents: CompareContents) -> str:
    """Both runs' means in each mode, metric by metric."""
    header = [_t("col_metric")]
    for mode in ("automated", "hitl"):
        for run in ("A", "B"):
            header.append(_t("col_level", mode=text(f"mode_{mode}"), run=run))
    header.append(_t("col_seeds"))
    rows = []
    for metric in contents.shown_metrics:
        by_mode = contents.rows(metric)
        unit = unit_of(metric)
        row = [metric_label(metric, capitalised=True)]
        for mode in ("automated", "hitl"):
            record = by_mode.get(mode)
            row += (
                [format_value(record["a_mean"], unit), format_value(record["b_mean"], unit)]
                if record
                else [same("—"), same("—")]
            )
        seeds = max((int(r["n_seeds"]) for r in by_mode.values()), default=0)
        rows.append([*row, same(str(seeds))])
    return page.section(
        "levels", _t("section_levels"), [page.table(header, rows), page.paragraph(_t("levels_note"))]
    )


def chart_section(contents: CompareContents, key: list[str], lang: str) -> str:
    shown = [metric for metric in key if metric in contents.metrics]

    def build(language: str) -> go.Figure:
        return effects_figure(contents, shown, language)

    return page.section(
        "chart",
        _t("section_chart"),
        [
            page.figure_block(
                "figure-compare-effects", _t("section_chart"), build, lang, note=_t("chart_note")
            )
        ],
    )


def effects_figure(contents: CompareContents, shown: list[str], lang: str) -> go.Figure:
    """One small panel per metric: B − A under automated, under HITL, and their difference, each a
    dot with its 95 % CI whisker, around a dotted zero line. No language-dependent category labels:
    the legend names the three (its names switch language with the page)."""
    columns = min(CHART_COLUMNS, max(len(shown), 1))
    rows = max(math.ceil(len(shown) / columns), 1)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[as_text(metric_label(m, capitalised=True)[lang]) for m in shown] or None,
        vertical_spacing=min(0.45 / rows, 0.16),
        horizontal_spacing=0.08,
    )
    figure.update_annotations(font_size=12)
    names = {"automated": "trace_auto", "hitl": "trace_hitl", "difference": "trace_did"}
    for index, metric in enumerate(shown):
        row, col = index // columns + 1, index % columns + 1
        by_mode = contents.rows(metric)
        for position, mode in enumerate(MODES_SHOWN):
            record = by_mode.get(mode)
            if record is None:
                continue
            value, low, high = (float(record[k]) for k in ("difference", "ci_low", "ci_high"))
            figure.add_trace(
                go.Scatter(
                    x=[position],
                    y=compact([value]),
                    mode="markers",
                    name=as_text(_t(names[mode])[lang]),
                    legendgroup=mode,
                    showlegend=index == 0,
                    marker={
                        "color": MODE_COLOURS[mode],
                        "size": 9,
                        "symbol": "diamond" if mode == "difference" else "circle",
                    },
                    error_y={
                        "type": "data",
                        "array": compact([max(high - value, 0.0)]),
                        "arrayminus": compact([max(value - low, 0.0)]),
                        "visible": True,
                        "thickness": 1.4,
                        "width": 4,
                    },
                ),
                row=row,
                col=col,
            )
        figure.add_hline(y=0, line={"color": "#94a3b8", "width": 1, "dash": "dot"}, row=row, col=col)
        label_value_axis(figure, row, col, unit_of(metric), lang, difference=True, from_zero=True)
    figure.update_xaxes(showticklabels=False, range=[-0.7, 2.7], showgrid=False)
    figure.update_layout(
        template=TEMPLATE,
        hovermode="closest",
        height=120 + 230 * rows,
        legend={"orientation": "h", "x": 0, "y": -0.06, "xanchor": "left", "yanchor": "top"},
    )
    return figure


def settings_section(manifest: dict[str, Any]) -> str:
    differences = [
        d
        for d in manifest.get("differences") or []
        if isinstance(d, dict) and not str(d.get("key", "")).startswith("meta.")
    ]
    if not differences:
        return page.section("settings", _t("section_settings"), [page.paragraph(_t("settings_none"), "lead")])
    from lendsim.compare import shortened, toml_value

    rows = [
        [
            same(str(d.get("key"))),
            same(shortened(toml_value(d.get("a")))),
            same(shortened(toml_value(d.get("b")))),
        ]
        for d in differences
    ]
    return page.section(
        "settings",
        _t("section_settings"),
        [page.paragraph(_t("settings_lead")), page.table([_t("col_setting"), same("A"), same("B")], rows)],
    )


def methods_section(contents: CompareContents) -> str:
    tested = contents.table[contents.table["mode"] == "automated"]["p_value"].notna().sum()
    return page.section(
        "methods", _t("section_methods"), [page.paragraph(_t("methods", tested=str(int(tested))))]
    )


def appendix_section(manifest: dict[str, Any]) -> str:
    """Which runs were compared, then the comparison's own manifest."""
    blocks = [page.heading(3, _t("runs_compared"))]
    for role in ("run_a", "run_b"):
        record = manifest.get(role)
        if not isinstance(record, dict):
            continue
        rows = [
            [_t(f"run_key_{key}"), same(str(record.get(key) if record.get(key) is not None else "—"))]
            for key in APPENDIX_RUN_KEYS
        ]
        blocks += [page.heading(3, _t(role)), page.table([], rows, css_class="keys")]
    own = {key: value for key, value in manifest.items() if key not in OWN_MANIFEST_KEYS}
    blocks += [
        page.heading(3, _t("comparison_manifest")),
        page.table([], manifest_rows(own), css_class="keys"),
    ]
    return page.section("appendix", _t("section_appendix"), blocks)


# --------------------------------------------------------------------------- pieces


def _effect(metric: str, record: Mapping[str, Any], with_ci: bool = True) -> Text:
    unit = unit_of(metric)
    value = format_change(float(record["difference"]), unit)
    shown = value
    seeds = int(record["n_seeds"])
    degenerate = float(record["ci_low"]) == float(record["ci_high"])
    if with_ci and seeds >= 2 and not degenerate:
        shown = _t(
            "with_ci",
            value=value,
            low=format_change(float(record["ci_low"]), unit),
            high=format_change(float(record["ci_high"]), unit),
        )
    if seeds >= 2 and not record["significant"] and float(record["difference"]) != 0:
        shown = join([shown, _t("ns")], " · ") if with_ci else _t("ns_in_sentence", value=shown)
    return shown


def _phrase(metric: str) -> Text:
    from lendsim.report.i18n import metric_phrase

    return metric_phrase(metric)


def _few_seeds(seeds: int) -> list[str]:
    if seeds >= MIN_SEEDS:
        return []
    return [page.paragraph(text("few_seeds_warning", seeds=str(seeds), minimum=str(MIN_SEEDS)), "warning")]


def _glossary() -> str:
    from lendsim.report.run import glossary_section

    return glossary_section()


def _run_name(manifest: dict[str, Any], role: str, default: str) -> str:
    record = manifest.get(role)
    if isinstance(record, dict):
        return str(record.get("scenario_name") or record.get("name") or default)
    return default


def _folder_name(manifest: dict[str, Any], role: str) -> str:
    record = manifest.get(role)
    if isinstance(record, dict):
        return str(record.get("name") or Path(str(record.get("folder", role))).name)
    return role


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


__all__ = ["CompareContents", "build_compare_report", "compare_page", "read_compare_folder"]
