"""What a scenario means in the real world: the agents' weights and the real totals they imply.

A simulated consumer or SME stands for `represents / count` real ones (its weight); capacities and
balances are real-world totals. `lendsim validate` prints these lines so that an analyst can check,
before a long run, that the scenario describes the market meant — e.g. that 2 reviewers for
24,000 borrowers, or RMB 720,000 of capital, is what was intended.
"""

from __future__ import annotations

from lendsim.scenario.schema import Scenario


def real_world_lines(scenario: Scenario) -> list[str]:
    """One line per fact: weights, real borrowers, reviewers and their capacity, capital, partners,
    processing capacity."""
    pop, hitl, platform = scenario.population, scenario.underwriting.hitl, scenario.platform
    c, s = pop.consumers, pop.smes
    reviews = hitl.reviewers * hitl.reviews_per_reviewer_month
    per_k = 1000.0 * reviews / pop.real_borrowers if pop.real_borrowers else 0.0
    tier1 = sum(p.tier1_capital_rmb for p in platform.partners)
    limit = sum(p.tier1_capital_rmb * p.max_share_of_tier1 * p.appetite for p in platform.partners)
    capacity = scenario.capacity.requests_per_month
    lines = [
        f"consumers: {c.count:,} agents stand for {c.real_count:,} real consumers (weight {c.weight:,.4g})",
        f"SMEs: {s.count:,} agents stand for {s.real_count:,} real SMEs (weight {s.weight:,.4g})",
        f"real borrowers: {pop.real_borrowers:,}",
        f"reviewers: {hitl.reviewers:,} people × {hitl.reviews_per_reviewer_month:,} reviews a month = "
        f"{reviews:,} reviews a month ({per_k:,.3g} per 1,000 real borrowers); staff cost RMB "
        f"{hitl.reviewers * hitl.cost_per_reviewer_month_rmb:,.0f} a month, plus RMB "
        f"{hitl.cost_per_review_rmb:,.4g} a review",
        f"capital: RMB {platform.capital_rmb:,.0f} "
        f"(RMB {platform.capital_rmb / max(pop.real_borrowers, 1):,.4g} "
        "per real borrower)",
        f"partner banks: {len(platform.partners)}, tier-1 capital RMB {tier1:,.0f}, co-lending limit "
        f"RMB {limit:,.0f} at their appetite",
        "processing capacity: " + ("unlimited" if capacity <= 0 else f"{capacity:,.0f} requests a month"),
    ]
    return lines
