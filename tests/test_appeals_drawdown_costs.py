"""Issue 12, items 4, 5 and 7: a freeze lifted on appeal stays lifted for a grace period; reviewed
lines face the same drawdown checks unless the scenario says otherwise; who pays for credit losses
and reviews, the platform or the whole co-lent book.

Each mechanism is a scenario switch whose effect is measured here: exactly, on the accounts alone,
where the rule can be stated row by row; as a paired difference over seeds of the tiny scenario
where it is a direction; as an identity of the recorded money where it is accounting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendsim.accounts import Accounts
from lendsim.population import BorrowerTable, build_consumers, build_smes
from lendsim.reasons import Freeze
from lendsim.scenario import Scenario
from lendsim.simulate import simulate
from lendsim.statistics import paired_ci
from lendsim.streams import KeyedUniforms
from tests.conftest import tweak

SEEDS = range(5)


def run(scenario: Scenario, mode: str, seed: int) -> tuple[dict, pd.Series]:
    """One run's headline metrics, and the 'all' rows of its monthly table summed over the months."""
    result = simulate(scenario, mode, seed)
    t = result.monthly
    return result.summary, t[t["segment"] == "all"].sum(numeric_only=True)


def horizon(scenario: Scenario, mode: str, seed: int) -> pd.Series:
    return run(scenario, mode, seed)[1]


def all_rows(scenario: Scenario, mode: str, seed: int = 0) -> pd.DataFrame:
    t = simulate(scenario, mode, seed).monthly
    return t[t["segment"] == "all"].set_index("month")


# --- 4. a freeze lifted on appeal stays lifted ----------------------------------------------------


def ten_accounts(scenario: Scenario) -> tuple[Accounts, BorrowerTable]:
    """Ten borrowers whose scores have all fallen below the floor (so the score rule would freeze
    each), none frozen yet."""
    rng = np.random.default_rng(0)
    s = tweak(scenario, population__consumers__count=6, population__smes__count=4)
    t = BorrowerTable.concatenate([build_consumers(s, rng, rng), build_smes(s, rng, rng)])
    floor = s.underwriting.accounts.score_floor
    t.initial_score[:] = floor + 100.0
    t.score[:] = floor - 50.0
    t.clean_months[:] = 0
    return Accounts(s, t, KeyedUniforms(0)), t


def grace_counts(accounts: Accounts) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = {"appeal_refreezes_prevented": [], "appeal_refreezes": []}
    for change in accounts.take_changes():
        if change.grace:
            counts[change.grace] += change.rows.tolist()
    return counts


def test_the_score_rule_leaves_an_account_unfrozen_on_appeal_open_for_the_grace_months(tiny_scenario):
    """Today's rule re-froze at month end almost every account a reviewer had just unfrozen, since
    the score appealed is still below the floor. With a grace of 3 the account unfrozen in month 5
    stays open at the month ends of 5, 6 and 7 (one re-freeze held off, counted once) and is frozen
    again in month 8, counted as a re-freeze after the grace; an account never appealed is frozen
    at once and counts in neither."""
    accounts, t = ten_accounts(tweak(tiny_scenario, underwriting__hitl__appeal_grace_months=3))
    t.frozen_cause[[1, 2]] = Freeze.SCORE
    accounts.lift(np.array([1]), month=5, path="appeal")
    accounts.lift(np.array([2]), month=5, path="clean_months")  # not an appeal: no grace
    accounts.take_changes()
    open_rows = np.array([0, 1, 2])
    t.frozen_cause[3:] = Freeze.MAINTENANCE  # out of the way
    held, again = [], []
    for month in (5, 6, 7, 8):
        accounts.after_scores(month)
        counts = grace_counts(accounts)
        held.append(counts["appeal_refreezes_prevented"])
        again.append(counts["appeal_refreezes"])
        if month == 5:
            assert t.frozen_cause[open_rows].tolist() == [Freeze.SCORE, 0, Freeze.SCORE]
    assert held == [[1], [], [], []]
    assert again == [[], [], [], [1]]
    assert t.frozen_cause[1] == Freeze.SCORE


def test_a_grace_of_zero_refreezes_in_the_month_of_the_appeal_as_before(tiny_scenario):
    accounts, t = ten_accounts(tweak(tiny_scenario, underwriting__hitl__appeal_grace_months=0))
    t.frozen_cause[:] = Freeze.SCORE
    accounts.lift(np.array([4]), month=5, path="appeal")
    accounts.take_changes()
    accounts.after_scores(5)
    assert t.frozen_cause[4] == Freeze.SCORE
    assert grace_counts(accounts) == {"appeal_refreezes_prevented": [], "appeal_refreezes": [4]}


def test_other_causes_still_freeze_an_account_in_its_grace_period(tiny_scenario):
    """The grace period is about the score-drop rule only: velocity (and regulator orders,
    maintenance) freeze the account as they would any other."""
    accounts, t = ten_accounts(tweak(tiny_scenario, underwriting__hitl__appeal_grace_months=3))
    t.frozen_cause[4] = Freeze.SCORE
    accounts.lift(np.array([4]), month=5, path="appeal")
    limit = tiny_scenario.underwriting.accounts.velocity_max_requests
    blocked = accounts.check_velocity(np.array([4]), np.array([limit + 1]), month=6)
    assert blocked.tolist() == [True] and t.frozen_cause[4] == Freeze.VELOCITY


def test_a_long_grace_period_makes_hitl_freeze_fewer_accounts_by_score(tiny_scenario):
    """With no grace, accounts reviewers unfreeze are frozen again by the score rule, which is why
    HITL shows more score freezes than automated. A grace as long as the rest of the run (12 of 24
    months) holds those re-freezes off: HITL's score freezes fall, paired over eight seeds (the
    re-freezes vary widely from seed to seed with reviewers as noisy as studies find them), and the
    automated platform (no appeals) is untouched."""
    none = tweak(tiny_scenario, underwriting__hitl__appeal_grace_months=0)
    long = tweak(tiny_scenario, underwriting__hitl__appeal_grace_months=12)
    before = [horizon(none, "hitl", seed) for seed in range(8)]
    after = [horizon(long, "hitl", seed) for seed in range(8)]
    _, _, high = paired_ci([b["frozen_score"] for b in before], [a["frozen_score"] for a in after])
    assert high < 0
    assert all(b["appeal_refreezes_prevented"] == 0 for b in before)
    assert min(a["appeal_refreezes_prevented"] for a in after) > 0
    _, _, high = paired_ci([b["appeal_refreezes"] for b in before], [a["appeal_refreezes"] for a in after])
    assert high < 0
    pd.testing.assert_series_equal(horizon(none, "automated", 0), horizon(long, "automated", 0))


# --- 5. the same rules at drawdown unless the scenario says otherwise -----------------------------


def score_refusal_rate(totals: pd.Series) -> float:
    return float(totals["refused_score"] / totals["drawdowns_attempted"])


def test_the_drawdown_score_check_bypass_not_judgement_lowers_hitls_score_refusals(tiny_scenario):
    """Reviewers who add no information (soft_info_noise 100: their look at hidden quality is noise)
    still cut HITL's drawdown score refusals when their lines skip the score check (by ≈ 10 points
    here); with the switch off (the baseline) HITL's score refusal rate is close to automated's —
    the paired 95 % interval over eight seeds within ±3 points — so what remains of HITL's lower
    refusal rate is not this bypass."""
    useless = tweak(tiny_scenario, underwriting__hitl__soft_info_noise=100.0)
    bypass = tweak(useless, underwriting__drawdown__reviewed_lines_skip_score_check=True)
    seeds = range(8)
    automated = [score_refusal_rate(horizon(useless, "automated", seed)) for seed in seeds]
    same_rules = [score_refusal_rate(horizon(useless, "hitl", seed)) for seed in seeds]
    skipped = [score_refusal_rate(horizon(bypass, "hitl", seed)) for seed in seeds]
    _, low, high = paired_ci(same_rules, skipped)
    assert high < 0
    _, low, high = paired_ci(automated, same_rules)
    assert -0.03 < low and high < 0.03


def test_reviewed_lines_face_the_score_check_at_drawdown_unless_the_switch_says_so(tiny_scenario):
    """The rate the registry reports (drawdown_score_refusal_rate) is refused_score over drawdowns
    attempted, and in the baseline a reviewer-granted line is refused on score like any other."""
    on = tweak(tiny_scenario, underwriting__drawdown__reviewed_lines_skip_score_check=True)
    assert not tiny_scenario.underwriting.drawdown.reviewed_lines_skip_score_check
    off_summary, off_totals = run(tiny_scenario, "hitl", 0)
    on_summary = simulate(on, "hitl", 0).summary
    assert off_summary["drawdown_score_refusal_rate"] == pytest.approx(
        score_refusal_rate(off_totals), rel=1e-12
    )
    assert on_summary["drawdown_score_refusal_rate"] < off_summary["drawdown_score_refusal_rate"]
    assert simulate(on, "automated", 0).summary == simulate(tiny_scenario, "automated", 0).summary


# --- 7. who pays: the platform and the whole co-lent book -----------------------------------------


def test_the_platform_bears_its_own_share_of_losses_and_its_part_of_review_cost(tiny_scenario):
    """Month by month: platform_credit_losses is the platform's own-funded share of the book's
    losses (credit_losses), the P&L's own losses; the review cost splits into the platform's and
    the partners' parts; profit is income less the platform's costs and moves capital."""
    share = 0.4
    s = tweak(tiny_scenario, platform__partner_review_cost_share=share)
    t = all_rows(s, "hitl")
    lgd, own = s.risk.lgd, s.platform.own_funding_share
    assert t["review_cost"].sum() > 0 and t["credit_losses"].sum() > 0
    np.testing.assert_allclose(t["credit_losses"], lgd * t["write_offs_rmb"], rtol=1e-9)
    np.testing.assert_allclose(t["platform_credit_losses_rmb"], own * t["credit_losses"], rtol=1e-9)
    np.testing.assert_allclose(
        t["platform_credit_losses_rmb"], t["own_credit_losses_rmb"], rtol=1e-9, atol=1e-6
    )
    np.testing.assert_allclose(
        t["platform_review_cost_rmb"] + t["partner_review_cost_rmb"], t["review_cost"], rtol=1e-9
    )
    np.testing.assert_allclose(t["partner_review_cost_rmb"], share * t["review_cost"], rtol=1e-9)
    parts = (
        t["own_interest_rmb"]
        + t["service_fees_rmb"]
        - t["own_credit_losses_rmb"]
        - t["funding_cost_rmb"]
        - t["operating_cost_rmb"]
        - (1 - share) * t["review_cost"]
    )
    np.testing.assert_allclose(t["platform_profit"], parts, rtol=1e-9, atol=1e-6)
    start = s.platform.capital_rmb
    np.testing.assert_allclose(np.diff(t["capital_rmb"], prepend=start), t["platform_profit"], atol=1e-6)


def test_book_profit_is_the_platforms_profit_plus_the_partner_banks(tiny_scenario):
    """Over the horizon: the whole book's profit = the platform's + the partners' (their interest
    less the platform's fee, their share of losses, their cost of funds, their part of review
    cost), since the fee is paid between them; so the book bears all credit losses, not 2 %."""
    s = tweak(tiny_scenario, platform__partner_review_cost_share=0.25)
    for mode in ("automated", "hitl"):
        run = simulate(s, mode, 1)
        h, t = run.summary, run.monthly
        total = t[t["segment"] == "all"].sum(numeric_only=True)
        partners = (
            total["interest_income_rmb"]
            - total["own_interest_rmb"]
            - total["service_fees_rmb"]
            - (total["credit_losses"] - total["platform_credit_losses_rmb"])
            - total["partner_funding_cost_rmb"]
            - total["partner_review_cost_rmb"]
        )
        assert total["partner_funding_cost_rmb"] > 0
        assert h["book_profit"] == pytest.approx(h["platform_profit"] + partners, rel=1e-9)
        assert h["platform_credit_losses"] == pytest.approx(h["credit_losses"] * s.platform.own_funding_share)


def test_sharing_review_cost_with_partners_moves_who_pays_not_what_happens(tiny_scenario):
    """Partners paying all review cost lift HITL's platform profit by the review cost, plus the
    funding the larger capital then saves (the own book needs less borrowing beyond net assets);
    the review cost itself, the lending and the book's profit, but for that funding, stay as they
    were (capital does not bind in the tiny scenario). The automated platform, with no reviews, is
    untouched."""
    shared = tweak(tiny_scenario, platform__partner_review_cost_share=1.0)
    for seed in (0, 1):
        (alone_summary, alone), (helped_summary, helped) = (
            run(s, "hitl", seed) for s in (tiny_scenario, shared)
        )
        saved = alone["funding_cost_rmb"] - helped["funding_cost_rmb"]
        assert helped["review_cost"] == alone["review_cost"] > 0 and saved >= 0
        assert helped["volume_originated"] == alone["volume_originated"]
        assert helped["platform_profit"] - alone["platform_profit"] == pytest.approx(
            alone["review_cost"] + saved, rel=1e-9
        )
        book_gain = helped_summary["book_profit"] - alone_summary["book_profit"]
        assert book_gain == pytest.approx(saved, abs=1e-6 * abs(alone_summary["book_profit"]))
        automated = (simulate(s, "automated", seed).summary for s in (tiny_scenario, shared))
        assert next(automated) == next(automated)
