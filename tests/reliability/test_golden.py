"""Determinism: a fresh run of a small fixed scenario reproduces golden_summary.csv digit for digit."""

from __future__ import annotations

from tests.reliability import golden


def test_a_fresh_run_reproduces_the_golden_summary_exactly():
    assert golden.GOLDEN.exists(), f"{golden.GOLDEN} is missing; record it with `{golden.REGENERATE}`"
    expected = golden.GOLDEN.read_text(encoding="utf-8")
    actual = golden.fresh_summary_csv()
    assert actual == expected, golden.failure_message(expected, actual)
