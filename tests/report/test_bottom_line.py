"""The answer first: the bottom line is written from the paired differences and their Holm-corrected
significance — it names what changed significantly, says what did not, and never claims more."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lendsim.report import build_report
from lendsim.report.bottomline import bottom_line
from lendsim.report.run import summary_section

from .synthetic import comparison_row, fabricate_run_folder

CJK = re.compile(r"[\u4e00-\u9fff]")


def paired(metric: str, automated: list[float], hitl: list[float]) -> dict:
    return comparison_row(metric, np.array(automated), np.array(hitl))


def seeds_around(level: float, spread: float, n: int = 8) -> list[float]:
    return list(level + spread * np.linspace(-1, 1, n))


def a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves() -> pd.DataFrame:
    """SME funding gap: −20 % in every seed (significant); default rate: noise around zero; approval
    rate: noise; drawdown refusal rate (not a key metric): noise; review cost: RMB 350,000."""
    gap = seeds_around(1_000_000.0, 50_000.0)
    defaults = seeds_around(0.06, 0.004)
    approval = seeds_around(0.55, 0.02)
    refusals = seeds_around(0.09, 0.01)
    return pd.DataFrame(
        [
            paired("sme_funding_gap", gap, [0.8 * g for g in gap]),
            paired(
                "default_rate", defaults, [d + e for d, e in zip(defaults, [0.003, -0.003] * 4, strict=True)]
            ),
            paired(
                "approval_rate", approval, [a + e for a, e in zip(approval, [0.01, -0.01] * 4, strict=True)]
            ),
            paired(
                "drawdown_refusal_rate",
                refusals,
                [r + e for r, e in zip(refusals, [0.02, -0.02] * 4, strict=True)],
            ),
            paired("review_cost", [0.0] * 8, seeds_around(350_000.0, 5_000.0)),
        ]
    )


def test_the_bottom_line_names_the_significant_effect_with_its_size_and_interval():
    line = bottom_line(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves(), months=36)

    assert line["en"].startswith(
        "Compared with fully automated underwriting, HITL narrows the SME funding gap by 20"
    )
    assert "95 % CI" in line["en"]
    assert "at a review cost of RMB 350,000 over the 36 months" in line["en"]


def test_the_bottom_line_says_a_key_metric_whose_difference_is_not_significant_does_not_change():
    line = bottom_line(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves(), months=36)["en"]

    effects, unchanged = line.split(". ")[0], line.split(". ")[1]
    assert "default rate" not in effects and "approval rate" not in effects
    assert unchanged == "The default rate and the approval rate do not change significantly"
    assert "lowers the default rate" not in line and "raises the approval rate" not in line


def test_a_metric_outside_the_key_ones_whose_difference_is_noise_is_not_mentioned():
    line = bottom_line(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves(), months=36)

    assert "drawdown refusal" not in line["en"] and "支用被拒率" not in line["zh"]


def test_the_chinese_bottom_line_says_the_same_in_chinese():
    line = bottom_line(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves(), months=36)["zh"]

    assert line.startswith("与全自动审批相比，人机协同使小微企业融资缺口缩小 20")
    assert "违约率和审批通过率均没有显著变化" in line
    assert "36 个月的人工审核成本为 35.0 万元" in line
    assert "HITL" not in line and "lowers" not in line


def test_when_the_difference_flips_the_wording_flips_too():
    gap = seeds_around(1_000_000.0, 50_000.0)
    widened = pd.DataFrame([paired("sme_funding_gap", gap, [1.3 * g for g in gap])])

    line = bottom_line(widened)

    assert "HITL widens the SME funding gap by 30" in line["en"] and "扩大" in line["zh"]


def test_without_a_significant_difference_the_bottom_line_says_so_and_asks_for_more_seeds():
    defaults = seeds_around(0.06, 0.004)
    noise = pd.DataFrame(
        [
            paired(
                "default_rate", defaults, [d + e for d, e in zip(defaults, [0.003, -0.002] * 4, strict=True)]
            )
        ]
    )

    line = bottom_line(noise)

    assert line["en"].startswith("No headline metric differs significantly")
    assert "The largest apparent difference is in the default rate" in line["en"]
    assert "more seeds" in line["en"] and "更多随机种子" in line["zh"]


def test_a_difference_significant_alone_but_not_after_the_holm_correction_is_not_claimed():
    """Raw p ≈ 0.03 for the funding gap, among 14 metrics: Holm takes it away."""
    rng = np.random.default_rng(5)
    gap = seeds_around(1_000_000.0, 50_000.0, 5)
    shift = rng.normal(-40_000.0, 30_000.0, 5)
    shift += -40_000.0 - shift.mean()
    rows = [paired("sme_funding_gap", gap, list(np.array(gap) + shift))]
    rows += [
        paired(f"frozen_accounts_{i}", [10.0, 11, 12, 13, 14], [10.5, 10.5, 12.5, 12.5, 14])
        for i in range(13)
    ]
    table = pd.DataFrame(rows)
    assert table.loc[0, "ci_high"] < 0  # its own CI excludes zero

    line = bottom_line(table)

    assert "narrows" not in line["en"] and line["en"].startswith("No headline metric differs significantly")


def test_a_single_seed_earns_no_claim_in_the_bottom_line():
    one = pd.DataFrame([paired("sme_funding_gap", [1_000_000.0], [800_000.0])])

    line = bottom_line(one)

    assert "single seed" in line["en"] and "narrows" not in line["en"]
    assert "只有一个随机种子" in line["zh"]


def test_the_summary_gives_the_answer_before_the_table_and_the_findings():
    section = summary_section(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves(), months=36)

    assert section.index('class="bottom-line"') < section.index("<table") < section.index('class="findings"')
    assert "HITL narrows the SME funding gap" in section


def test_findings_that_are_not_significant_are_folded_away_behind_the_significant_ones():
    section = summary_section(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves(), months=36)

    visible, folded = section.split("<details>")
    assert "HITL lowered the SME funding gap" in visible
    assert "default rate" not in visible.split("Findings")[1]
    assert "default rate" in folded and "more metrics whose difference is not significant" in folded


def test_the_headline_table_lists_metrics_by_importance():
    section = summary_section(a_run_where_hitl_narrows_the_funding_gap_and_nothing_else_moves())
    table = section[section.index("<table") : section.index("</table>")]

    positions = [
        table.index(name) for name in ("SME funding gap", "Default rate", "Approval rate", "Review cost")
    ]
    assert positions == sorted(positions)


def test_a_built_report_opens_with_its_bottom_line_in_both_languages(tmp_path: Path):
    folder = fabricate_run_folder(tmp_path / "run", seeds=3, months=8)

    page = build_report(folder).read_text(encoding="utf-8")
    bottom = page[page.index('class="bottom-line"') : page.index("</p>", page.index('class="bottom-line"'))]

    assert page.index('class="bottom-line"') < page.index("Headline metrics")
    assert 'lang="en"' in bottom and len(CJK.findall(bottom.split('lang="zh"')[1])) > 20
