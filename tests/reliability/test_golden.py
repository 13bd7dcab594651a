"""Determinism across machines: a fresh run of a small fixed scenario reproduces golden_summary.csv
within a relative tolerance of 1e-9, and the comparison itself fails loudly on a real change."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.reliability import golden


@pytest.fixture(scope="module")
def golden_text() -> str:
    assert golden.GOLDEN.exists(), f"{golden.GOLDEN} is missing; record it with `{golden.REGENERATE}`"
    return golden.GOLDEN.read_text(encoding="utf-8")


def _edited(text: str, column: str, factor: float) -> str:
    frame = pd.read_csv(io.StringIO(text))
    frame.loc[1, column] = frame.loc[1, column] * factor
    return frame.to_csv(index=False)


def test_a_fresh_run_reproduces_the_golden_summary_within_tolerance(golden_text):
    actual = golden.fresh_summary_csv()
    assert not golden.differences(golden_text, actual), golden.failure_message(golden_text, actual)


def test_last_digit_round_off_passes(golden_text):
    """What differs across CPUs and library builds: the last bits of a float."""
    assert not golden.differences(golden_text, _edited(golden_text, "credit_losses", 1 + 4e-16))


@pytest.mark.parametrize("factor", [1 + 1e-7, 1.001, 0.5])
def test_a_real_change_fails_and_names_the_cell(golden_text, factor):
    found = golden.differences(golden_text, _edited(golden_text, "credit_losses", factor))
    assert len(found) == 1 and "hitl/seed 0 credit_losses" in found[0]


def test_a_missing_or_renamed_metric_fails(golden_text):
    renamed = golden_text.replace("credit_losses", "credit_loss", 1)
    assert golden.differences(golden_text, renamed)[0].startswith("  columns:")
