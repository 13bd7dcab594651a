"""Where the money comes from, and what capital the regulator requires against it.

Each loan is co-lent: the platform funds `own_share` of it (its own book), a partner bank the rest.
The platform's own book is funded by its capital (net assets), then bank and shareholder loans
(non-standard financing, capped at a multiple of net assets), then bonds and ABS (capped too) — so
leverage is capped at 1 + both caps. Partner banks lend within their appetite and a concentration
limit (balance with the platform ≤ a share of their tier-1 capital), and cut appetite when losses on
their co-lent book run high. Capital must cover the risk-weighted own book: standardised weights
(retail 75 %, corporate 100 %) or the Basel IRB formula on the platform's PDs (lendsim.capital).

`Funding.capacity` says how much new lending each constraint allows this month; the platform
originates the smallest and records the supply each binding constraint cost.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from lendsim.capital import risk_weights
from lendsim.loans import LoanBook
from lendsim.regulation import RulesInForce
from lendsim.scenario import Scenario
from lendsim.streams import KeyedUniforms

PARTNER_CHOICE = 401  # KeyedUniforms purpose
STRESS_WINDOW_MONTHS = 6  # partners judge their loss rate over the last half year
RMB_PER_EUR = 7.8
RWA_NONE_BELOW_RMB = 1e-6


@dataclass(frozen=True)
class Capacity:
    """Shares (0–1) of this month's approved amounts each constraint lets through."""

    capital: float
    leverage: float
    partners: float

    def binding(self) -> tuple[str, float]:
        name = min(("capital", "leverage", "partners"), key=lambda k: getattr(self, k))
        return name, getattr(self, name)


class Funding:
    def __init__(self, scenario: Scenario, events: KeyedUniforms) -> None:
        cfg = scenario.platform
        self.cfg = cfg
        self.lgd = scenario.risk.lgd
        self.events = events
        partners = cfg.partners
        self.partner_names = tuple(p.name for p in partners)
        self.partner_limit_rmb = np.array(
            [p.tier1_capital_rmb * p.max_share_of_tier1 for p in partners]
        )
        self.appetite = np.array([p.appetite for p in partners])
        self.stress_loss_rate = np.array([p.stress_loss_rate for p in partners])
        self.stress_appetite = np.array([p.stress_appetite for p in partners])
        self.stressed = np.zeros(len(partners), dtype=bool)
        self._balances_key: tuple[int, int] | None = None
        self._balances: np.ndarray = np.zeros(len(partners))
        self.loss_history: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=STRESS_WINDOW_MONTHS)

    # --- shares and balances --------------------------------------------------------------------

    def own_share(self, rules: RulesInForce) -> float:
        return max(self.cfg.own_funding_share, rules.min_own_funding_share)

    @staticmethod
    def own_book_rmb(book: LoanBook) -> float:
        return book.total_rmb(book.own_share * book.balance_rmb)

    @staticmethod
    def rwa_rmb(book: LoanBook) -> float:
        """The risk-weighted own book; below a millionth of an RMB (risk weights that vanish with a
        vanishing LGD under IRB) it is none, so that no capital ratio divides by it."""
        rwa = book.total_rmb(book.risk_weight * book.own_share * book.balance_rmb)
        return rwa if rwa > RWA_NONE_BELOW_RMB else 0.0

    def partner_balances_rmb(self, book: LoanBook) -> np.ndarray:
        key = (id(book), book.version)
        if self._balances_key != key:
            funded = np.flatnonzero(book.is_open & (book.partner >= 0))
            self._balances = np.bincount(
                book.partner[funded],
                weights=book.weight[funded] * (1.0 - book.own_share[funded]) * book.balance_rmb[funded],
                minlength=len(self.partner_names),
            )
            self._balances_key = key
        return self._balances

    def partner_headroom_rmb(self, book: LoanBook) -> np.ndarray:
        appetite = self.appetite * np.where(self.stressed, self.stress_appetite, 1.0)
        return np.maximum(self.partner_limit_rmb * appetite - self.partner_balances_rmb(book), 0.0)

    # --- what the constraints allow ---------------------------------------------------------------

    def capacity(
        self,
        book: LoanBook,
        capital_rmb: float,
        rules: RulesInForce,
        amount_rmb: np.ndarray,
        risk_weight: np.ndarray,
    ) -> Capacity:
        """What each constraint lets through of new loans of `amount_rmb` (real-world: each
        simulated loan times the real loans it stands for) and their risk weights."""
        own = self.own_share(rules)
        new_own = own * float(amount_rmb.sum())
        if new_own <= 0.0:
            return Capacity(1.0, 1.0, 1.0)
        capital = max(capital_rmb, 0.0)
        new_rwa = own * float((risk_weight * amount_rmb).sum())
        ratio_room = (
            capital / rules.min_capital_ratio - self.rwa_rmb(book) if rules.min_capital_ratio > 0 else np.inf
        )
        leverage_room = capital * rules.max_leverage - self.own_book_rmb(book)
        partner_need = (1.0 - own) * float(amount_rmb.sum())
        partner_room = float(self.partner_headroom_rmb(book).sum())

        def share(room: float, need: float) -> float:
            return 1.0 if need <= 0 else float(np.clip(room / need, 0.0, 1.0))

        return Capacity(
            share(ratio_room, new_rwa), share(leverage_room, new_own), share(partner_room, partner_need)
        )

    def assign_partners(self, book: LoanBook, rows: np.ndarray, month: int) -> np.ndarray:
        """Each new loan's partner, drawn in proportion to the partners' headroom (−1: none needed)."""
        headroom = self.partner_headroom_rmb(book)
        if rows.size == 0 or headroom.sum() <= 0 or not self.partner_names:
            return np.full(rows.size, -1, dtype=np.int8)
        cumulative = np.cumsum(headroom) / headroom.sum()
        u = self.events.uniform(PARTNER_CHOICE, month, rows)
        return np.minimum(np.searchsorted(cumulative, u, side="right"), len(headroom) - 1).astype(np.int8)

    def loan_risk_weights(
        self,
        rules: RulesInForce,
        is_sme: np.ndarray,
        pd: np.ndarray,
        term_months: np.ndarray,
        annual_sales_rmb: np.ndarray,
    ) -> np.ndarray:
        """Risk weight of each new loan under the approach in force."""
        if rules.risk_weights == "standardised":
            return np.where(is_sme, rules.corporate_risk_weight, rules.retail_risk_weight)
        retail = risk_weights(pd, self.lgd, "other_retail", "irb")
        sales_eur_m = annual_sales_rmb / RMB_PER_EUR / 1e6
        corporate = risk_weights(
            pd,
            self.lgd,
            "corporate",
            "irb",
            maturity_years=np.maximum(term_months / 12.0, 1.0),
            sales_eur_m=sales_eur_m,
        )
        return np.where(is_sme, corporate, retail)

    # --- the month's money ------------------------------------------------------------------------

    def funding_mix_rmb(
        self, own_book_rmb: float, capital_rmb: float, rules: RulesInForce
    ) -> tuple[float, float]:
        """Borrowings (non-standard first, then ABS) that fund the own book beyond net assets."""
        need = max(own_book_rmb - max(capital_rmb, 0.0), 0.0)
        nonstandard = min(need, rules.nonstandard_leverage_cap * max(capital_rmb, 0.0))
        return nonstandard, need - nonstandard

    def update_stress(self, book: LoanBook, written_off_rmb: np.ndarray) -> None:
        """Partners whose yearly loss rate on the co-lent book (over the last half year) exceeds
        their threshold cut appetite."""
        if not self.partner_names:
            return
        hit = np.flatnonzero((written_off_rmb > 0) & (book.partner >= 0))
        losses = np.bincount(
            book.partner[hit],
            weights=book.weight[hit] * self.lgd * written_off_rmb[hit] * (1.0 - book.own_share[hit]),
            minlength=len(self.partner_names),
        )
        self.loss_history.append((losses, self.partner_balances_rmb(book)))
        total_losses = sum(loss for loss, _ in self.loss_history)
        total_balances = sum(balance for _, balance in self.loss_history)
        yearly = np.divide(
            12.0 * total_losses,
            total_balances,
            out=np.zeros(len(self.partner_names)),
            where=total_balances > 0,
        )
        self.stressed = yearly > self.stress_loss_rate
