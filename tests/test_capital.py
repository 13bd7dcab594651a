"""Capital: the Basel IRB risk-weight function and the Vasicek one-factor model.

Expected values come from an independent scalar implementation written out below from
REFERENCE.md ("Capital: Basel IRB risk-weight function"), using only the standard library
(math.erf for N, statistics.NormalDist for G), so a slip in the vectorised code cannot hide in
the test.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

from lendsim.capital import (
    ASSET_CLASSES,
    irb_capital_k,
    irb_correlation,
    irb_risk_weight,
    risk_weights,
    standardised_risk_weight,
    vasicek_conditional_pd,
)

# ---- independent reference implementation (scalars, standard library only) -----------------


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def normal_inv(p: float) -> float:
    return NormalDist().inv_cdf(p)


def reference_correlation(pd: float, asset_class: str, sales_eur_m: float | None = None) -> float:
    pd = max(pd, 0.0003)
    if asset_class == "qrre":
        return 0.04
    if asset_class == "other_retail":
        w = (1 - math.exp(-35 * pd)) / (1 - math.exp(-35))
        return 0.03 * w + 0.16 * (1 - w)
    w = (1 - math.exp(-50 * pd)) / (1 - math.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w)
    if sales_eur_m is not None:
        s = min(max(sales_eur_m, 5.0), 50.0)
        r -= 0.04 * (1 - (s - 5) / 45)
    return r


def reference_k(
    pd: float, lgd: float, asset_class: str, maturity_years: float = 2.5, sales_eur_m: float | None = None
) -> float:
    pd = max(pd, 0.0003)
    r = reference_correlation(pd, asset_class, sales_eur_m)
    k = lgd * normal_cdf((normal_inv(pd) + math.sqrt(r) * normal_inv(0.999)) / math.sqrt(1 - r)) - pd * lgd
    if asset_class == "corporate":
        b = (0.11852 - 0.05478 * math.log(pd)) ** 2
        k *= (1 + (maturity_years - 2.5) * b) / (1 - 1.5 * b)
    return max(k, 0.0)


def reference_conditional_pd(pd: float, rho: float, z: float) -> float:
    return normal_cdf((normal_inv(pd) - math.sqrt(rho) * z) / math.sqrt(1 - rho))


PDS = (0.0003, 0.001, 0.005, 0.01, 0.03, 0.08, 0.2)


# ---- IRB correlation and capital ------------------------------------------------------------


@pytest.mark.parametrize("asset_class", ASSET_CLASSES)
@pytest.mark.parametrize("pd", PDS)
def test_irb_correlation_matches_the_basel_formula(asset_class, pd):
    assert irb_correlation(pd, asset_class) == pytest.approx(
        reference_correlation(pd, asset_class), rel=1e-12
    )


@pytest.mark.parametrize("asset_class", ASSET_CLASSES)
@pytest.mark.parametrize("lgd", (0.1, 0.45, 0.75))
@pytest.mark.parametrize("pd", PDS)
def test_irb_capital_matches_the_basel_formula(asset_class, lgd, pd):
    assert irb_capital_k(pd, lgd, asset_class) == pytest.approx(reference_k(pd, lgd, asset_class), rel=1e-9)


@pytest.mark.parametrize("maturity_years", (1.0, 2.5, 4.0, 5.0))
@pytest.mark.parametrize("sales_eur_m", (None, 5.0, 20.0, 50.0))
@pytest.mark.parametrize("pd", (0.001, 0.01, 0.05))
def test_corporate_capital_matches_with_sme_adjustment_and_maturity(pd, sales_eur_m, maturity_years):
    expected = reference_k(pd, 0.45, "corporate", maturity_years, sales_eur_m)
    actual = irb_capital_k(pd, 0.45, "corporate", maturity_years=maturity_years, sales_eur_m=sales_eur_m)
    assert actual == pytest.approx(expected, rel=1e-9)


def test_whole_arrays_match_the_scalar_formula_elementwise():
    pd = np.array(PDS)
    sales = np.linspace(2.0, 70.0, pd.size)
    maturity = np.linspace(1.0, 5.0, pd.size)
    actual = irb_capital_k(pd, 0.45, "corporate", maturity_years=maturity, sales_eur_m=sales)
    expected = [reference_k(p, 0.45, "corporate", m, s) for p, m, s in zip(pd, maturity, sales, strict=True)]
    np.testing.assert_allclose(actual, expected, rtol=1e-9)


def test_corporate_pd_1pct_lgd_45pct_m_2_5_has_the_published_risk_weight_92_32pct():
    assert 12.5 * reference_k(0.01, 0.45, "corporate") == pytest.approx(0.9232, abs=5e-5)
    # The widely quoted Basel II figure (no 1.06 scaling); the reference implementation agrees.
    assert irb_risk_weight(0.01, 0.45, "corporate") == pytest.approx(0.9232, abs=5e-5)


@pytest.mark.parametrize(
    ("asset_class", "expected_rw"),
    # From the independent implementation above; retail has no maturity term.
    [("other_retail", 0.45773), ("qrre", 0.17224)],
)
def test_retail_pd_1pct_lgd_45pct_risk_weights(asset_class, expected_rw):
    assert irb_risk_weight(0.01, 0.45, asset_class) == pytest.approx(expected_rw, abs=5e-5)
    assert expected_rw == pytest.approx(12.5 * reference_k(0.01, 0.45, asset_class), abs=5e-6)


def test_sme_adjustment_lowers_correlation_by_up_to_four_points_and_clamps_sales():
    big = irb_correlation(0.01, "corporate")
    assert irb_correlation(0.01, "corporate", sales_eur_m=5.0) == pytest.approx(big - 0.04)
    assert irb_correlation(0.01, "corporate", sales_eur_m=1.0) == pytest.approx(big - 0.04)
    assert irb_correlation(0.01, "corporate", sales_eur_m=27.5) == pytest.approx(big - 0.02)
    assert irb_correlation(0.01, "corporate", sales_eur_m=50.0) == pytest.approx(big)
    assert irb_correlation(0.01, "corporate", sales_eur_m=500.0) == pytest.approx(big)


def test_nan_sales_means_no_sme_adjustment_and_retail_ignores_sales():
    r = irb_correlation(np.full(2, 0.01), "corporate", sales_eur_m=np.array([np.nan, 5.0]))
    assert r[0] == pytest.approx(irb_correlation(0.01, "corporate"))
    assert r[1] == pytest.approx(r[0] - 0.04)
    assert irb_correlation(0.01, "other_retail", sales_eur_m=5.0) == irb_correlation(0.01, "other_retail")


def test_longer_maturity_needs_more_corporate_capital_and_is_clamped_to_1_to_5_years():
    k = irb_capital_k(0.01, 0.45, "corporate", maturity_years=np.array([0.25, 1.0, 2.5, 5.0, 10.0]))
    assert k[0] == k[1] < k[2] < k[3] == k[4]


def test_maturity_does_not_affect_retail():
    assert irb_capital_k(0.01, 0.45, "other_retail", maturity_years=5.0) == irb_capital_k(
        0.01, 0.45, "other_retail"
    )


@pytest.mark.parametrize("asset_class", ASSET_CLASSES)
def test_pd_is_floored_at_three_basis_points(asset_class):
    floor = irb_capital_k(0.0003, 0.45, asset_class)
    assert irb_capital_k(np.array([0.0, 0.0001]), 0.45, asset_class) == pytest.approx([floor, floor])
    assert floor > 0


@pytest.mark.parametrize("asset_class", ("other_retail", "qrre"))
def test_retail_capital_rises_with_pd_over_the_relevant_range(asset_class):
    k = irb_capital_k(np.geomspace(0.0003, 0.2, 200), 0.45, asset_class)
    assert np.all(np.diff(k) > 0)


@pytest.mark.parametrize("asset_class", ASSET_CLASSES)
def test_defaulted_exposure_needs_no_unexpected_loss_capital(asset_class):
    assert irb_capital_k(1.0, 0.45, asset_class) == 0.0


@given(
    pd=st.floats(0.0, 1.0),
    lgd=st.floats(0.0, 1.0),
    asset_class=st.sampled_from(ASSET_CLASSES),
)
def test_capital_is_finite_and_never_negative(pd, lgd, asset_class):
    k = irb_capital_k(pd, lgd, asset_class)
    assert np.isfinite(k)
    assert k >= 0.0


def test_risk_weight_is_12_5_times_k():
    pd = np.array(PDS)
    np.testing.assert_allclose(
        irb_risk_weight(pd, 0.45, "corporate", 3.0, 10.0),
        12.5 * irb_capital_k(pd, 0.45, "corporate", 3.0, 10.0),
    )


def test_scalars_give_floats_and_arrays_give_arrays_of_the_broadcast_shape():
    assert isinstance(irb_risk_weight(0.01, 0.45, "qrre"), float)
    assert isinstance(vasicek_conditional_pd(0.01, 0.1, -1.0), float)
    assert irb_capital_k(np.full((3, 4), 0.01), np.full(4, 0.45), "corporate").shape == (3, 4)
    assert risk_weights(np.full(5, 0.01), 0.45, "corporate", "standardised").shape == (5,)


# ---- standardised approach and dispatch -----------------------------------------------------


def test_standardised_weights_are_75pct_retail_and_100pct_corporate():
    assert standardised_risk_weight("other_retail") == 0.75
    assert standardised_risk_weight("qrre") == 0.75
    assert standardised_risk_weight("corporate") == 1.00


def test_risk_weights_dispatch_on_approach():
    pd = np.array([0.005, 0.02])
    np.testing.assert_array_equal(risk_weights(pd, 0.45, "other_retail", "standardised"), [0.75, 0.75])
    np.testing.assert_allclose(
        risk_weights(pd, 0.45, "corporate", "irb", maturity_years=4.0, sales_eur_m=12.0),
        irb_risk_weight(pd, 0.45, "corporate", maturity_years=4.0, sales_eur_m=12.0),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: irb_capital_k(0.01, 0.45, "mortgage"),
        lambda: irb_correlation(0.01, "Corporate"),
        lambda: standardised_risk_weight("retail"),
        lambda: risk_weights(0.01, 0.45, "sovereign", "irb"),
        lambda: risk_weights(0.01, 0.45, "sovereign", "standardised"),
    ],
)
def test_unknown_asset_class_raises_value_error_naming_the_allowed_ones(call):
    with pytest.raises(
        ValueError, match=r"asset_class = .* must be one of 'other_retail', 'qrre', 'corporate'"
    ):
        call()


def test_unknown_approach_raises_value_error_naming_the_allowed_ones():
    with pytest.raises(ValueError, match=r"approach = 'advanced' .* must be one of 'standardised', 'irb'"):
        risk_weights(0.01, 0.45, "corporate", "advanced")


def test_misspelt_value_gets_a_suggestion():
    with pytest.raises(ValueError, match=r"did you mean 'qrre'\?"):
        irb_capital_k(0.01, 0.45, "qre")


@pytest.mark.parametrize(
    ("pd", "lgd"), [(-0.01, 0.45), (1.5, 0.45), (0.01, 1.2), (np.array([0.01, 2.0]), 0.45)]
)
def test_pd_or_lgd_outside_the_unit_interval_is_rejected(pd, lgd):
    with pytest.raises(ValueError, match=r"must be a fraction in \[0, 1\]"):
        irb_capital_k(pd, lgd, "corporate")


# ---- Vasicek one-factor model ---------------------------------------------------------------


@pytest.mark.parametrize("z", (-3.0, -1.0, 0.0, 0.5, 2.5))
@pytest.mark.parametrize(("pd", "rho"), [(0.005, 0.03), (0.02, 0.12), (0.1, 0.24), (0.3, 0.5)])
def test_conditional_pd_matches_the_formula(pd, rho, z):
    assert vasicek_conditional_pd(pd, rho, z) == pytest.approx(reference_conditional_pd(pd, rho, z), rel=1e-9)


@pytest.mark.parametrize(("pd", "rho"), [(0.001, 0.04), (0.01, 0.12), (0.05, 0.2), (0.2, 0.3), (0.02, 0.8)])
def test_conditional_pd_averages_to_the_unconditional_pd(pd, rho):
    mean, _ = integrate.quad(
        lambda z: vasicek_conditional_pd(pd, rho, z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi),
        -np.inf,
        np.inf,
        epsabs=1e-13,
    )
    assert mean == pytest.approx(pd, rel=1e-6)


def test_zero_correlation_returns_pd_unchanged():
    pd = np.array([0.0, 1e-9, 0.01, 0.3, 1.0])
    np.testing.assert_array_equal(vasicek_conditional_pd(pd, 0.0, -2.5), pd)


def test_bad_months_raise_pd_and_good_months_lower_it():
    p = vasicek_conditional_pd(0.02, 0.12, np.linspace(-3, 3, 13))
    assert np.all(np.diff(p) < 0)
    assert p[0] > 0.02 > p[-1]


def test_one_draw_of_z_applies_to_every_borrower():
    pd = np.array([0.005, 0.02, 0.08])
    p = vasicek_conditional_pd(pd, 0.12, -1.5)
    assert p.shape == pd.shape
    assert np.all(p > pd)


def test_pd_is_clipped_so_extremes_stay_finite():
    p = vasicek_conditional_pd(np.array([0.0, 1.0]), 0.2, 0.0)
    assert np.all(np.isfinite(p))
    assert 0.0 < p[0] < 1e-6
    assert 1.0 - 1e-6 < p[1] < 1.0


@pytest.mark.parametrize("rho", (-0.1, 1.0, 1.5))
def test_correlation_outside_zero_to_one_is_rejected(rho):
    with pytest.raises(ValueError, match=r"rho = .* must be in \[0, 1\)"):
        vasicek_conditional_pd(0.01, rho, 0.0)
