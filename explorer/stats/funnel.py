"""Funnel-plot control limits (95% and 99.8%) and per-area outlier flags.

Reference: ukhsa-collaboration/PHEindicatormethods R/Funnels.R (``phe_funnels`` /
``calculate_funnel_limits``, ``phe_funnel_significance`` / ``assign_funnel_significance``) and its
Python port DataS-DHSC/PHStatsMethods (PHStatsMethods/funnels.py, utils_funnel.py).

Proportions ("Wilson" funnels): at denominator n around the baseline proportion p0 the limit is the
proportion whose Wilson interval just reaches p0 -- ``sigma_adjustment(p, n, p0, side)`` with
p = 0.975 (95%) or 0.999 (99.8%):

    a = p0 (n/z^2 + 1);  b = 1/z^2 + 1/n
    r = sqrt(64 a^2 - 64 b p0 (n (p0 (n/z^2 + 2) - 1) + z^2 (p0 - 1)))
    limit = (a -/+ r/8) / b / n     (clamped to [0, 1] x multiplier)

Rates ("Poisson" funnels, crude rates): at population n with expected events lambda = r0 n, the
lower limit is x/n where x is the event count whose exact upper Poisson limit equals lambda
(gammainc(x + 1, lambda) = 1 - alpha/2), and the upper limit is x/n where x's exact lower limit
equals lambda (gammainc(x, lambda) = alpha/2). PHEindicatormethods finds the same curve by
bisection over event counts (``poisson_funnel``); solving for x at each n gives identical points.

Flags use PHEindicatormethods' labels: "High (0.001)", "High (0.025)", "Low (0.001)",
"Low (0.025)", "Not significant" (outside 99.8%, outside 95%, or within).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from scipy.special import gammainc

from ._common import Z95, Z998, broadcast, result_kind, to_array, wrap_strings
from .intervals import _poisson_np

HIGH_001, HIGH_025, LOW_001, LOW_025, NOT_SIG = (
    "High (0.001)",
    "High (0.025)",
    "Low (0.001)",
    "Low (0.025)",
    "Not significant",
)
STATISTICS = ("proportion", "rate")


def sigma_adjustment(p_z: float, population: Any, baseline: float, side: str) -> np.ndarray:
    """Proportion funnel limit (0-1 scale) at `population` for normal quantile `p_z` (R/Funnels.R)."""
    n = np.asarray(population, dtype=np.float64)
    z2 = p_z * p_z
    first = baseline * (n / z2 + 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.sqrt(
            (-8.0 * first) ** 2
            - 64.0
            * (1.0 / z2 + 1.0 / n)
            * baseline
            * (n * (baseline * (n / z2 + 2.0) - 1.0) + z2 * (baseline - 1.0))
        )
        last = 1.0 / z2 + 1.0 / n
        out = (first - adj / 8.0) / last if side == "low" else (first + adj / 8.0) / last
        return out / n


def _solve_events(lam: np.ndarray, target: float, shift: float) -> np.ndarray:
    """x >= 0 with gammainc(x + shift, lam) == target, by vectorised bisection (decreasing in x)."""
    lo = np.zeros_like(lam)
    hi = lam + 20.0 * np.sqrt(lam) + 50.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        too_small = gammainc(np.maximum(mid + shift, 1e-300), lam) > target
        lo = np.where(too_small, mid, lo)
        hi = np.where(too_small, hi, mid)
        if np.all(hi - lo <= 1e-12 * np.maximum(hi, 1.0)):
            break
    return (lo + hi) / 2.0


def poisson_funnel_limits(population: Any, baseline_rate: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) rate limits (per person, not x multiplier) at `population` for normal quantile z."""
    n = np.asarray(population, dtype=np.float64)
    lam = baseline_rate * n
    tail = 1.0 - float(_norm_cdf(z))  # 0.025 for z95, 0.001 for z998
    # lower: x with exact upper limit == lam; none when even x = 0 has upper limit above lam.
    x_low = _solve_events(lam, 1.0 - tail, 1.0)
    x_low = np.where(gammainc(1.0, lam) < 1.0 - tail, 0.0, x_low)
    x_high = _solve_events(lam, tail, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x_low / n, x_high / n


def _norm_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _signif_floor(x: float) -> float:
    v = math.floor(x * 0.95)
    if x == 0:
        return 0.0
    k = len(str(v)) - 1
    return float(math.floor(x * 0.95 / 10**k) * 10**k)


def _signif_ceiling(x: float) -> float:
    v = math.ceil(x * 1.05)
    if x == 0:
        return 0.0
    k = len(str(v)) - 2
    return float(math.ceil(x * 1.05 / 10**k) * 10**k)


def funnel_axis(denominators: Any, points: int = 100) -> np.ndarray:
    """PHEindicatormethods' x-axis: `points` denominators from max(1, axis_min) to ~1.05 x max,
    geometrically spaced and rounded (R/Funnels.R ``phe_funnels``; R's round is half-to-even, as
    numpy's). axis_min is 0 when max > 2 x min, else the min rounded down to 1-2 significant figures."""
    d = np.atleast_1d(to_array(denominators))
    d = d[np.isfinite(d)]
    lo, hi = float(d.min()), float(d.max())
    axis_min = 0.0 if hi > 2 * lo else _signif_floor(lo)
    axis_max = _signif_ceiling(hi)
    grid = [max(1.0, axis_min)]
    for j in range(2, points + 1):
        step = float(np.round((axis_max / grid[-1]) ** (1.0 / (points + 1 - j)) * grid[-1]))
        grid.append(max(step, grid[-1] + 1.0))
    return np.asarray(grid)


def _baseline(x: np.ndarray, n: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(n)
    return float(x[ok].sum() / n[ok].sum())


def funnel_limits(
    numerators: Any,
    denominators: Any,
    statistic: str = "proportion",
    multiplier: float = 100,
    *,
    baseline: float | None = None,
    at: Any = None,
    points: int = 100,
) -> pl.DataFrame:
    """Control limits for plotting a funnel: one row per denominator.

    Columns: denominator, baseline, lower_95, upper_95, lower_998, upper_998 (all x multiplier).
    `statistic` is "proportion" (Wilson-based, limits clamped to [0, multiplier]) or "rate" (crude
    rate, exact-Poisson based). The baseline is sum(numerators) / sum(denominators) unless given
    (as a 0-1 proportion or a per-person rate, i.e. not x multiplier). The denominators evaluated
    are `at` if given, else the PHEindicatormethods 100-point axis (`funnel_axis`).
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}")
    x, n = broadcast(to_array(numerators), to_array(denominators))
    base = _baseline(x, n) if baseline is None else float(baseline)
    grid = funnel_axis(n, points) if at is None else np.atleast_1d(to_array(at))
    cols: dict[str, Any] = {"denominator": grid, "baseline": np.full(grid.size, base * multiplier)}
    for suffix, z in (("95", Z95), ("998", Z998)):
        if statistic == "proportion":
            lo = np.clip(sigma_adjustment(z, grid, base, "low"), 0.0, 1.0)
            up = np.clip(sigma_adjustment(z, grid, base, "high"), 0.0, 1.0)
        else:
            lo, up = poisson_funnel_limits(grid, base, z)
        cols[f"lower_{suffix}"] = lo * multiplier
        cols[f"upper_{suffix}"] = up * multiplier
    return pl.DataFrame(cols).with_columns(pl.all().cast(pl.Float64).fill_nan(None))


def funnel_flag(
    numerators: Any,
    denominators: Any,
    statistic: str = "proportion",
    *,
    baseline: Any = None,
) -> Any:
    """Where each area sits on the funnel: HIGH_001, HIGH_025, LOW_001, LOW_025 or NOT_SIG.

    Proportions (R/Funnels.R ``phe_funnel_significance``): the area's proportion x/n against the
    Wilson-based limits at its own n. Rates (PHStatsMethods ``assign_funnel_significance``, crude):
    the baseline rate against the area's own 99.8%/95% limits (exact Poisson below 10 events, Byar
    above, divided by n) -- "High" when the baseline is below the area's lower limit. The baseline
    (a number, or one per area) defaults to sum(x)/sum(n) over the areas given. Missing inputs give
    null.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}")
    kind = result_kind(numerators, denominators)
    x, n = broadcast(to_array(numerators), to_array(denominators))
    base = _baseline(x, n) if baseline is None else np.asarray(baseline, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0)
    out = np.full(x.size, None, dtype=object)
    out[ok] = NOT_SIG
    if statistic == "proportion":
        with np.errstate(divide="ignore", invalid="ignore"):
            p = x / n
        checks = [
            (HIGH_025, p > sigma_adjustment(Z95, n, base, "high")),
            (LOW_025, p < sigma_adjustment(Z95, n, base, "low")),
            (HIGH_001, p > sigma_adjustment(Z998, n, base, "high")),
            (LOW_001, p < sigma_adjustment(Z998, n, base, "low")),
        ]
    else:
        lo95, up95 = _poisson_np(x, 0.95, "byar", None)
        lo998, up998 = _poisson_np(x, 0.998, "byar", None)
        with np.errstate(divide="ignore", invalid="ignore"):
            checks = [
                (HIGH_025, base < lo95 / n),
                (LOW_025, base > up95 / n),
                (HIGH_001, base < lo998 / n),
                (LOW_001, base > up998 / n),
            ]
    for label, cond in checks:  # later (stricter) checks overwrite earlier ones
        out[ok & np.nan_to_num(cond, nan=0).astype(bool)] = label
    return wrap_strings(out, kind, "funnel_flag")
