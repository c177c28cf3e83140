"""Confidence intervals for proportions, counts, crude rates, ratios and means.

Reference implementation: PHEindicatormethods (ukhsa-collaboration/PHEindicatormethods), the R package
OHID/PHE use for Fingertips. Formulas are transcribed from

* R/utils.R      -- ``wilson_lower``/``wilson_upper`` and ``byars_lower``/``byars_upper``;
* R/Rates.R      -- ``phe_rate``: exact Poisson (chi-square form) when the count < 10, Byar otherwise;
* R/ISRatio.R    -- ``calculate_ISRatio``: observed/expected x 100 with the same count limits;
* R/Means.R      -- ``phe_mean``: mean +/- t(n-1) x sd / sqrt(n).

All functions are vectorised (see `explorer.stats._common` for accepted input kinds). Rows whose
inputs are missing or impossible (negative counts, count > denominator for a proportion, denominator
<= 0) give NaN / null rather than raising, so a whole column can be processed at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaincinv
from scipy.stats import norm
from scipy.stats import t as student_t

from ._common import broadcast, expr_outputs, result_kind, to_array, wrap, z_value

# Labels written to the store's `ci_method` column (see ci_frame.ci_for_frame).
METHOD_WILSON = "Wilson score"
METHOD_BYAR = "Byar (exact Poisson below 10)"
METHOD_EXACT = "exact Poisson"
METHOD_BYAR_ONLY = "Byar"
POISSON_METHODS = {"byar": METHOD_BYAR, "exact": METHOD_EXACT, "byar only": METHOD_BYAR_ONLY}

EXACT_BELOW = 10  # PHEindicatormethods switches from exact Poisson to Byar at 10 events.


def _z(confidence: float, z: float | None) -> float:
    return float(z) if z is not None else z_value(confidence)


# --- proportions ------------------------------------------------------------------------------
def _wilson_np(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    x, n = broadcast(x, n)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0) & (x <= n)
    xs = np.where(ok, x, 0.0)
    ns = np.where(ok, n, 1.0)
    z2 = z * z
    root = z * np.sqrt(z2 + 4.0 * xs * (1.0 - xs / ns))
    denom = 2.0 * (ns + z2)
    lower = np.maximum((2.0 * xs + z2 - root) / denom, 0.0)
    upper = np.minimum((2.0 * xs + z2 + root) / denom, 1.0)
    # exact end points the formula reaches only up to rounding: x = 0 -> lower 0, x = n -> upper 1
    lower[xs == 0] = 0.0
    upper[xs == ns] = 1.0
    lower[~ok] = np.nan
    upper[~ok] = np.nan
    return lower, upper


def wilson(count: Any, denominator: Any, confidence: float = 0.95, *, z: float | None = None) -> Any:
    """Wilson score interval for a proportion, on the 0-1 scale: returns ``(lower, upper)``.

    lower/upper = (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))

    Reference: PHEindicatormethods R/utils.R ``wilson_lower``/``wilson_upper`` (Wilson 1927; Newcombe &
    Altman 2000). Multiply by 100 for percentages. `confidence` is 0.95 or 95 style; `z` overrides it
    (e.g. ``z=1.96`` to reproduce older published figures). Count > denominator, negative counts or
    a non-positive denominator give NaN/null.
    """
    kind = result_kind(count, denominator)
    zz = _z(confidence, z)
    if kind == "expr":
        return expr_outputs(wilson, [count, denominator], 2, ["lower", "upper"], confidence=confidence, z=z)
    lower, upper = _wilson_np(to_array(count), to_array(denominator), zz)
    return wrap(lower, kind, "lower"), wrap(upper, kind, "upper")


# --- counts (Poisson) -------------------------------------------------------------------------
def _byar_np(x: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the Poisson limits of a count (R/utils.R byars_lower / byars_upper)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))) ** 3
        x1 = x + 1.0
        upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    lower = np.where(x == 0, 0.0, lower)
    lower = np.where(lower < 0, np.nan, lower)  # PHEindicatormethods sets negative Byar limits to NA
    return lower, upper


def _exact_np(x: np.ndarray, conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits: qchisq(a/2, 2x)/2 and qchisq(1 - a/2, 2x + 2)/2 (R/Rates.R).

    chi2.ppf(q, 2k)/2 == gammaincinv(k, q), which is what is evaluated here (faster, same value).
    """
    alpha = 1.0 - conf
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, gammaincinv(np.where(x > 0, x, 1.0), alpha / 2.0), 0.0)
        upper = gammaincinv(x + 1.0, 1.0 - alpha / 2.0)
    return lower, upper


def _poisson_np(
    x: np.ndarray, confidence: float, method: str, z: float | None
) -> tuple[np.ndarray, np.ndarray]:
    if method not in POISSON_METHODS:
        raise ValueError(f"method must be one of {sorted(POISSON_METHODS)}; got {method!r}")
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    conf = float(confidence) / 100.0 if float(confidence) > 1 else float(confidence)
    zz = _z(confidence, z)
    ok = np.isfinite(x) & (x >= 0)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    if method == "byar only":
        lo, up = _byar_np(np.where(ok, x, 1.0), zz)
        lower[ok], upper[ok] = lo[ok], up[ok]
        return lower, upper
    small = ok & (x < EXACT_BELOW) if method == "byar" else ok
    big = ok & ~small
    if small.any():
        if z is not None:  # honour an explicit z for the exact limits too
            conf = float(2 * norm.cdf(zz) - 1)
        lower[small], upper[small] = _exact_np(x[small], conf)
    if big.any():
        lower[big], upper[big] = _byar_np(x[big], zz)
    return lower, upper


def exact_poisson(count: Any, confidence: float = 0.95) -> Any:
    """Exact (chi-square) Poisson limits for a count, for every count: returns ``(lower, upper)``.

    lower = qchisq(alpha/2, 2x)/2 (0 when x = 0), upper = qchisq(1 - alpha/2, 2x + 2)/2.
    Reference: PHEindicatormethods R/Rates.R (the branch used for counts < 10).
    """
    return byar(count, confidence, method="exact")


def byar(count: Any, confidence: float = 0.95, *, method: str = "byar", z: float | None = None) -> Any:
    """Confidence limits for an observed count of events: returns ``(lower, upper)`` as counts.

    method:
      * ``"byar"`` (default) -- PHEindicatormethods' rule (R/Rates.R ``phe_rate``): exact Poisson
        (``qchisq(alpha/2, 2x)/2``, ``qchisq(1-alpha/2, 2x+2)/2``) when the count is below 10, Byar's
        approximation otherwise: lower = x(1 - 1/(9x) - z/(3 sqrt x))^3,
        upper = (x+1)(1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3 (R/utils.R ``byars_lower``/``byars_upper``).
      * ``"exact"`` -- exact Poisson for every count.
      * ``"byar only"`` -- Byar for every count (negative lower limits become NaN, as in R/utils.R).

    Fingertips' own published limits were not all made with the default rule: in the native
    Campylobacter export (data/raw/ohid_fingertips_native) the all-ages rows are exact Poisson for all
    counts and the 0-9 yrs rows are Byar for all counts with z = 1.96 -- hence `method` and `z`.
    """
    kind = result_kind(count)
    if kind == "expr":
        return expr_outputs(byar, [count], 2, ["lower", "upper"], confidence=confidence, method=method, z=z)
    lower, upper = _poisson_np(to_array(count), confidence, method, z)
    return wrap(lower, kind, "lower"), wrap(upper, kind, "upper")


def crude_rate_ci(
    count: Any,
    denominator: Any,
    multiplier: float = 100000,
    confidence: float = 0.95,
    *,
    method: str = "byar",
    z: float | None = None,
) -> Any:
    """Limits of a crude rate ``count / denominator x multiplier``: returns ``(lower, upper)``.

    The count's limits from `byar` (same `method`/`z`) scaled by multiplier / denominator, exactly as
    PHEindicatormethods R/Rates.R ``phe_rate``. Denominator <= 0 or missing gives NaN/null.
    """
    kind = result_kind(count, denominator)
    if kind == "expr":
        return expr_outputs(
            crude_rate_ci,
            [count, denominator],
            2,
            ["lower", "upper"],
            multiplier=multiplier,
            confidence=confidence,
            method=method,
            z=z,
        )
    x, n = broadcast(to_array(count), to_array(denominator))
    lo, up = _poisson_np(x, confidence, method, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(np.isfinite(n) & (n > 0), multiplier / n, np.nan)
    return wrap(lo * scale, kind, "lower"), wrap(up * scale, kind, "upper")


def isr(
    observed: Any,
    expected: Any,
    confidence: float = 0.95,
    multiplier: float = 100,
    *,
    method: str = "byar",
) -> Any:
    """Indirectly standardised ratio (e.g. SMR) with limits: returns ``(value, lower, upper)``.

    value = observed / expected x multiplier (100 by default); limits are the observed count's
    exact-Poisson (< 10) or Byar limits divided by expected, x multiplier.
    Reference: PHEindicatormethods R/ISRatio.R ``calculate_ISRatio`` (refvalue = 100).
    """
    kind = result_kind(observed, expected)
    o, e = broadcast(to_array(observed), to_array(expected))
    lo, up = _poisson_np(o, confidence, method, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(np.isfinite(e) & (e > 0), multiplier / e, np.nan)
    value = np.where(np.isfinite(o) & (o >= 0), o * scale, np.nan)
    return wrap(value, kind, "value"), wrap(lo * scale, kind, "lower"), wrap(up * scale, kind, "upper")


smr = isr  # a standardised mortality ratio is an ISR of deaths


def mean_ci(mean: Any, sd: Any, n: Any, confidence: float = 0.95) -> Any:
    """Student's t interval for a mean from summary statistics: returns ``(lower, upper)``.

    mean +/- qt((1 + confidence)/2, n - 1) x sd / sqrt(n); n < 2 gives NaN/null.
    Reference: PHEindicatormethods R/Means.R ``phe_mean`` (which takes raw values and uses their
    mean, sample sd and count -- pass those three here).
    """
    kind = result_kind(mean, sd, n)
    m, s, k = broadcast(to_array(mean), to_array(sd), to_array(n))
    conf = float(confidence) / 100.0 if float(confidence) > 1 else float(confidence)
    z_value(conf)  # validate
    ok = np.isfinite(m) & np.isfinite(s) & np.isfinite(k) & (k >= 2) & (s >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = student_t.ppf(0.5 + conf / 2.0, np.where(ok, k - 1, 1.0)) * s / np.sqrt(np.where(ok, k, 1.0))
    lower = np.where(ok, m - half, np.nan)
    upper = np.where(ok, m + half, np.nan)
    return wrap(lower, kind, "lower"), wrap(upper, kind, "upper")
