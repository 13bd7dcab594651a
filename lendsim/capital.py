"""Capital the platform must hold, and the systematic factor that makes defaults cluster.

Two pieces of the same Basel model live here. The regulator caps lending by capital: each loan
needs capital in proportion to its risk-weighted assets, RWA = risk weight · EAD, with the risk
weight either fixed by asset class (standardised approach) or computed from the loan's PD and LGD
by the Basel II internal-ratings-based (IRB) formula. The IRB formula is the 99.9 % quantile of
the Vasicek one-factor model, and the same model, fed a macro factor drawn each month, turns a
borrower's long-run PD into this month's PD, so that defaults bunch in bad times while their
long-run mean stays at PD.

Paragraph numbers refer to Basel II, "International Convergence of Capital Measurement and Capital
Standards", comprehensive version, BCBS, June 2006. The 1.06 scaling factor of ¶44 is not applied:
risk weights here are those of the formula itself (corporate PD 1 %, LGD 45 %, M 2.5 → 92.32 %).

Every function takes NumPy arrays or scalars and broadcasts them; scalar inputs give a NumPy
float (a subclass of ``float``).
"""

from __future__ import annotations

import difflib

import numpy as np
from scipy.special import ndtr, ndtri

ArrayLike = float | np.ndarray

ASSET_CLASSES: tuple[str, ...] = ("other_retail", "qrre", "corporate")
"""IRB asset classes: other retail (¶330), qualifying revolving retail (¶329), corporate (¶272)."""

RETAIL_ASSET_CLASSES: tuple[str, ...] = ("other_retail", "qrre")

APPROACHES: tuple[str, ...] = ("standardised", "irb")

PD_FLOOR = 0.0003
"""Basel floor on PD for corporate (¶285) and retail (¶331) exposures: 0.03 %."""

CONFIDENCE = 0.999
"""Quantile of the systematic factor the IRB capital covers (¶272)."""

VASICEK_PD_CLIP = 1e-6
"""Vasicek PDs are clipped to [1e-6, 1 − 1e-6] so that G(PD) stays finite."""

_STANDARDISED_RISK_WEIGHT: dict[str, float] = {"other_retail": 0.75, "qrre": 0.75, "corporate": 1.00}


def vasicek_conditional_pd(pd: ArrayLike, rho: ArrayLike, z: ArrayLike) -> ArrayLike:
    """PD conditional on the systematic factor z of the Vasicek one-factor model.

    p(z) = N((G(pd) − √rho · z) / √(1 − rho)), with N the standard normal CDF and G its inverse.
    z ~ N(0, 1) is the state of the economy: negative z is a bad month (higher PD), positive z a
    good one. Averaged over z, p(z) is pd again; rho is the asset correlation, the share of each
    borrower's variance that is systematic. The Basel IRB formula (¶272) evaluates this at
    z = G(0.001), i.e. the 99.9 % worst economy.

    Parameters
    ----------
    pd : float or array
        Unconditional (long-run) PD in [0, 1]; clipped to [1e-6, 1 − 1e-6] before G is applied.
    rho : float or array
        Asset correlation in [0, 1). Where rho = 0 the result is pd itself.
    z : float or array
        Systematic factor, a standard normal draw.

    Returns
    -------
    float or array
        The conditional PD, broadcast over the shapes of the inputs.

    Raises
    ------
    ValueError
        If pd is outside [0, 1] or rho outside [0, 1).
    """
    pd = _check_unit_interval(pd, "pd")
    rho = np.asarray(rho, dtype=float)
    if np.any((rho < 0.0) | (rho >= 1.0)):
        raise ValueError(f"rho = {_describe(rho)} — the asset correlation must be in [0, 1)")
    z = np.asarray(z, dtype=float)
    clipped = np.clip(pd, VASICEK_PD_CLIP, 1.0 - VASICEK_PD_CLIP)
    conditional = ndtr((ndtri(clipped) - np.sqrt(rho) * z) / np.sqrt(1.0 - rho))
    return _result(np.where(rho == 0.0, pd, conditional))


def irb_correlation(pd: ArrayLike, asset_class: str, sales_eur_m: ArrayLike | None = None) -> ArrayLike:
    """Asset correlation R of the IRB formula for an asset class.

    - corporate (¶272): w = (1 − e^(−50·PD)) / (1 − e^(−50)), R = 0.12·w + 0.24·(1 − w), from 24 % at
      low PD down to 12 % at high PD; for SMEs (¶273) R −= 0.04 · (1 − (S − 5)/45) with S the
      annual sales in € m clamped to [5, 50], so the smallest firms get 4 points less;
    - other retail (¶330): w = (1 − e^(−35·PD)) / (1 − e^(−35)), R = 0.03·w + 0.16·(1 − w);
    - qualifying revolving retail (¶329): R = 0.04.

    PD is floored at 0.03 % first (¶285, ¶331), as in the capital formula.

    Parameters
    ----------
    pd : float or array
        PD in [0, 1].
    asset_class : {"other_retail", "qrre", "corporate"}
        One asset class for the whole array.
    sales_eur_m : float or array, optional
        Annual sales in € m, for the corporate SME adjustment; NaN means "not an SME" (no
        adjustment). Ignored for the retail classes: an SME small enough to be treated as retail
        (¶231) gets the retail correlation unadjusted.

    Returns
    -------
    float or array
        R, broadcast over pd and sales_eur_m.

    Raises
    ------
    ValueError
        If asset_class is not one of ASSET_CLASSES or pd is outside [0, 1].
    """
    _check_asset_class(asset_class)
    pd = np.maximum(_check_unit_interval(pd, "pd"), PD_FLOOR)
    if asset_class == "qrre":
        return _result(np.full_like(pd, 0.04))
    if asset_class == "other_retail":
        w = -np.expm1(-35.0 * pd) / -np.expm1(-35.0)
        return _result(0.03 * w + 0.16 * (1.0 - w))
    w = -np.expm1(-50.0 * pd) / -np.expm1(-50.0)
    r = 0.12 * w + 0.24 * (1.0 - w)
    if sales_eur_m is not None:
        sales = np.asarray(sales_eur_m, dtype=float)
        adjustment = 0.04 * (1.0 - (np.clip(sales, 5.0, 50.0) - 5.0) / 45.0)
        r = r - np.where(np.isnan(sales), 0.0, adjustment)
    return _result(r)


def irb_capital_k(
    pd: ArrayLike,
    lgd: ArrayLike,
    asset_class: str,
    maturity_years: ArrayLike = 2.5,
    sales_eur_m: ArrayLike | None = None,
) -> ArrayLike:
    """Capital requirement K per unit of EAD under the IRB approach (¶272, ¶328–330).

    K = LGD · N[(G(PD) + √R · G(0.999)) / √(1 − R)] − PD · LGD: the loss in the 99.9 % worst
    economy less the expected loss, which provisions and pricing are meant to cover. For
    corporate exposures it is scaled by the maturity adjustment (¶272)
    (1 + (M − 2.5)·b) / (1 − 1.5·b), b = (0.11852 − 0.05478 · ln PD)²; retail has none (¶328).

    PD is floored at 0.03 % (¶285, ¶331); M is clamped to [1, 5] years (¶320); K is never
    negative. A defaulted exposure (PD = 1) gets K = 0 here: its loss is expected, not unexpected.

    Parameters
    ----------
    pd : float or array
        PD in [0, 1].
    lgd : float or array
        Loss given default, a fraction in [0, 1].
    asset_class : {"other_retail", "qrre", "corporate"}
        One asset class for the whole array.
    maturity_years : float or array, default 2.5
        Effective maturity M; used for corporate only. 2.5 is the foundation-IRB value (¶318).
    sales_eur_m : float or array, optional
        Annual sales in € m for the corporate SME correlation adjustment (¶273); see
        `irb_correlation`.

    Returns
    -------
    float or array
        K, broadcast over the inputs.

    Raises
    ------
    ValueError
        If asset_class is not one of ASSET_CLASSES, or pd or lgd is outside [0, 1].
    """
    r = np.asarray(irb_correlation(pd, asset_class, sales_eur_m))
    pd = np.maximum(_check_unit_interval(pd, "pd"), PD_FLOOR)
    lgd = _check_unit_interval(lgd, "lgd")
    stressed_pd = ndtr((ndtri(pd) + np.sqrt(r) * ndtri(CONFIDENCE)) / np.sqrt(1.0 - r))
    k = lgd * stressed_pd - pd * lgd
    if asset_class == "corporate":
        maturity = np.clip(np.asarray(maturity_years, dtype=float), 1.0, 5.0)
        b = (0.11852 - 0.05478 * np.log(pd)) ** 2
        k = k * (1.0 + (maturity - 2.5) * b) / (1.0 - 1.5 * b)
    return _result(np.maximum(k, 0.0))


def irb_risk_weight(
    pd: ArrayLike,
    lgd: ArrayLike,
    asset_class: str,
    maturity_years: ArrayLike = 2.5,
    sales_eur_m: ArrayLike | None = None,
) -> ArrayLike:
    """IRB risk weight 12.5 · K as a fraction, so that RWA = risk weight · EAD (¶272).

    12.5 is 1 / 8 %, the minimum total capital ratio. Arguments as for `irb_capital_k`.
    """
    return _result(12.5 * np.asarray(irb_capital_k(pd, lgd, asset_class, maturity_years, sales_eur_m)))


def standardised_risk_weight(asset_class: str) -> float:
    """Standardised-approach risk weight as a fraction: regulatory retail 0.75 (¶69), unrated
    corporate 1.00 (¶66).

    Raises
    ------
    ValueError
        If asset_class is not one of ASSET_CLASSES.
    """
    _check_asset_class(asset_class)
    return _STANDARDISED_RISK_WEIGHT[asset_class]


def risk_weights(
    pd: ArrayLike,
    lgd: ArrayLike,
    asset_class: str,
    approach: str,
    maturity_years: ArrayLike = 2.5,
    sales_eur_m: ArrayLike | None = None,
) -> ArrayLike:
    """Risk weight of each exposure under the regulator's chosen approach; RWA = result · EAD.

    Parameters
    ----------
    pd, lgd, asset_class, maturity_years, sales_eur_m
        As for `irb_capital_k`. The standardised approach uses only asset_class, and returns its
        weight broadcast to the shape of pd.
    approach : {"standardised", "irb"}

    Returns
    -------
    float or array
        Risk weights as fractions (1.0 = 100 %).

    Raises
    ------
    ValueError
        If approach or asset_class is not a known value, or pd or lgd is outside [0, 1].
    """
    if approach == "standardised":
        _check_asset_class(asset_class)
        pd = _check_unit_interval(pd, "pd")
        return _result(np.full_like(pd, standardised_risk_weight(asset_class)))
    if approach == "irb":
        return irb_risk_weight(pd, lgd, asset_class, maturity_years, sales_eur_m)
    raise ValueError(_unknown("approach", approach, APPROACHES))


def capital_ratio(capital_rmb: float, rwa_rmb: float) -> float:
    """Capital over risk-weighted assets, as it is: not capped at 100 %, negative once capital is.

    A platform with net assets of 2.14 times its risk-weighted book has a capital ratio of 2.14; a
    cap at 1 would hide how far it is from its minimum (0.10 in the baseline). With no risk-weighted
    book there is nothing to measure, and the ratio is 0 — as every ratio lendsim reports where its
    denominator is 0 — so readers must leave such months out (lendsim.metrics does, by the RWA).
    """
    return float(capital_rmb / rwa_rmb) if rwa_rmb > 0 else 0.0


def _check_asset_class(asset_class: str) -> None:
    if asset_class not in ASSET_CLASSES:
        raise ValueError(_unknown("asset_class", asset_class, ASSET_CLASSES))


def _unknown(name: str, value: object, allowed: tuple[str, ...]) -> str:
    message = f"{name} = {value!r} is not allowed — must be one of {', '.join(map(repr, allowed))}"
    close = difflib.get_close_matches(str(value).lower(), allowed, n=1)
    return f"{message} (did you mean {close[0]!r}?)" if close else message


def _check_unit_interval(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if np.any((array < 0.0) | (array > 1.0)):
        raise ValueError(f"{name} = {_describe(array)} — must be a fraction in [0, 1]")
    return array


def _describe(array: np.ndarray) -> str:
    if array.ndim == 0:
        return repr(float(array))
    return f"array with values from {float(np.nanmin(array))!r} to {float(np.nanmax(array))!r}"


def _result(array: np.ndarray) -> ArrayLike:
    """A 0-d result as a NumPy float, anything else as the array."""
    return array[()] if array.ndim == 0 else array
