"""Fingertips' "recent trend" marker.

Reference: ukhsa-collaboration/fingertips-open,
PholioVisualisationWS/Analysis/TrendMarkers/TrendMarkerCalculator.cs (``IsSignificant`` and
``NoOutliersCheck``), with its unit test PholioVisualisationWS/AnalysisTest/TrendMarkerCalculatorTest.cs.

Method, for the most recent 5 points t = 1..5 with value y_t and 95% limits:

* weight w_t = 1 / SE_t^2 with SE_t = (UCI95_t - LCI95_t) / 3.92;
* S1 = sum w, S2 = sum w t y, S3 = sum w t, S4 = sum w y, S5 = sum w t^2;
* slope = (S1 S2 - S3 S4) / (S1 S5 - S3^2), SE(slope) = sqrt(S1 / (S1 S5 - S3^2));
* chi-square = (slope / SE(slope))^2, significant when > 9.54953570608324 (the 99.8% point of
  chi-square with 1 df) AND the slope's sign is the same in the full fit and in each of the five
  fits that leave one point out (6 fits in all; a zero slope counts as positive, as in the C#).

Labels combine the direction with the indicator's polarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from ._common import POLARITY_HIGH, POLARITY_LOW, normalise_polarity, to_array

POINTS_TO_USE = 5
CHI_SQUARE_THRESHOLD = 9.54953570608324  # scipy.stats.chi2.ppf(0.998, 1)
SE_DIVISOR = 3.92

INCREASING_BETTER = "Increasing and getting better"
INCREASING_WORSE = "Increasing and getting worse"
DECREASING_BETTER = "Decreasing and getting better"
DECREASING_WORSE = "Decreasing and getting worse"
INCREASING = "Increasing"
DECREASING = "Decreasing"
NO_CHANGE = "No significant change"
CANNOT = "Cannot be calculated"
TREND_LABELS = (
    INCREASING_BETTER,
    INCREASING_WORSE,
    DECREASING_BETTER,
    DECREASING_WORSE,
    INCREASING,
    DECREASING,
    NO_CHANGE,
    CANNOT,
)


class TrendResult(NamedTuple):
    """Outcome of `recent_trend`: `label` is one of TREND_LABELS; `reason` says why it could not be
    calculated (None otherwise); chi_square/slope are None when not calculated."""

    label: str
    reason: str | None
    chi_square: float | None
    slope: float | None
    points_used: int


def _weighted_slope(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """(slope, SE of slope) of the weighted least-squares line, as TrendMarkerCalculator.cs."""
    s1, s2, s3, s4, s5 = w.sum(), (w * t * y).sum(), (w * t).sum(), (w * y).sum(), (w * t * t).sum()
    det = s1 * s5 - s3 * s3
    return float((s1 * s2 - s3 * s4) / det), float(np.sqrt(s1 / det))


def trend_statistics(values: Any, lower: Any, upper: Any) -> tuple[float, float, list[float]]:
    """(chi-square, slope, leave-one-out slopes) for exactly five points with valid 95% limits."""
    y, lo, up = (np.asarray(to_array(a), dtype=np.float64).reshape(-1) for a in (values, lower, upper))
    t = np.arange(1.0, y.size + 1.0)
    w = 1.0 / ((up - lo) / SE_DIVISOR) ** 2
    slope, se = _weighted_slope(t, y, w)
    loo = []
    for drop in range(y.size):
        keep = np.arange(y.size) != drop
        loo.append(_weighted_slope(t[keep], y[keep], w[keep])[0])
    return (slope / se) ** 2, slope, loo


def _label(slope: float, polarity: str | None) -> str:
    up = slope > 0
    if polarity == POLARITY_HIGH:
        return INCREASING_BETTER if up else DECREASING_WORSE
    if polarity == POLARITY_LOW:
        return INCREASING_WORSE if up else DECREASING_BETTER
    return INCREASING if up else DECREASING


def recent_trend(
    values: Any,
    lower: Any,
    upper: Any,
    polarity: Any,
    breaks: Any = None,
    *,
    periods: Any = None,
) -> TrendResult:
    """Recent trend of a yearly series, sorted by period (oldest first), as Fingertips computes it.

    Uses the last 5 points. "Cannot be calculated" (with `reason`) when there are fewer than
    5 points; any of the last 5 lacks a value or either 95% limit; a limit pair is zero-width or
    reversed; `periods` (optional, integer years) shows the last 5 are not consecutive; or `breaks`
    flags a break in the series inside the window.

    `breaks` is one bool per point: True means "this point is not comparable with the one
    before it" (the first point after a change of definition or method). A break flagged on the
    oldest of the five points is outside the window (that point starts the comparable run); a
    break on any of the later four makes the trend "Cannot be calculated".

    Otherwise: "Increasing/Decreasing and getting better/worse" for "high is good"/"low is good",
    plain "Increasing"/"Decreasing" for "no judgement", or "No significant change".
    """
    y = np.atleast_1d(to_array(values)).reshape(-1)
    lo = np.atleast_1d(to_array(lower)).reshape(-1)
    up = np.atleast_1d(to_array(upper)).reshape(-1)
    if not (y.size == lo.size == up.size):
        raise ValueError("values, lower and upper must have the same length")
    pol = normalise_polarity(polarity)
    n = min(y.size, POINTS_TO_USE)

    def cannot(reason: str) -> TrendResult:
        return TrendResult(CANNOT, reason, None, None, n)

    if y.size < POINTS_TO_USE:
        return cannot(f"fewer than {POINTS_TO_USE} points ({y.size})")
    y, lo, up = y[-POINTS_TO_USE:], lo[-POINTS_TO_USE:], up[-POINTS_TO_USE:]
    if breaks is not None:
        flags = breaks.to_list() if isinstance(breaks, pl.Series) else list(np.atleast_1d(breaks))
        if len(flags) != len(to_array(values).reshape(-1)):
            raise ValueError("breaks must have one flag per point")
        if any(bool(f) for f in flags[-POINTS_TO_USE + 1 :] if f is not None):
            return cannot("break in the series within the last 5 points")
    if periods is not None:
        p = np.atleast_1d(to_array(periods)).reshape(-1)[-POINTS_TO_USE:]
        if not np.all(np.isfinite(p)) or not np.all(np.diff(p) == 1):
            return cannot("the last 5 points are not consecutive years")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(lo)) and np.all(np.isfinite(up))):
        return cannot("a value or 95% confidence limit is missing in the last 5 points")
    if np.any(up <= lo):
        return cannot("a 95% confidence interval in the last 5 points has zero or negative width")
    chi2, slope, loo = trend_statistics(y, lo, up)
    signs = [1 if s >= 0 else -1 for s in [slope, *loo]]
    consistent = abs(sum(signs)) == len(signs)
    if consistent and chi2 > CHI_SQUARE_THRESHOLD:
        return TrendResult(_label(slope, pol), None, chi2, slope, POINTS_TO_USE)
    return TrendResult(NO_CHANGE, None, chi2, slope, POINTS_TO_USE)


def recent_trend_by_group(
    frame: pl.DataFrame,
    group_cols: Sequence[str],
    polarity: Any,
    period_col: str = "period_start",
    value_col: str = "value",
    lower_col: str = "lower_ci95",
    upper_col: str = "upper_ci95",
    break_col: str | None = None,
) -> pl.DataFrame:
    """`recent_trend` for every group of a long frame; one row per group with ``recent_trend``,
    ``trend_reason`` and ``trend_chi_square``. Each group is sorted by `period_col` first."""
    rows = []
    for key, part in frame.sort(period_col).group_by(list(group_cols), maintain_order=True):
        res = recent_trend(
            part[value_col],
            part[lower_col],
            part[upper_col],
            polarity,
            part[break_col] if break_col else None,
        )
        rows.append((*key, res.label, res.reason, res.chi_square))
    schema = {c: frame.schema[c] for c in group_cols}
    schema.update({"recent_trend": pl.String, "trend_reason": pl.String, "trend_chi_square": pl.Float64})
    return pl.DataFrame(rows, schema=schema, orient="row")
