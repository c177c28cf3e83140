"""Statistical process control: NHS England "Making Data Count" XmR charts.

Reference: nhs-r-community/NHSRplotthedots --
R/ptd_spc_standard.R (limits), R/ptd_calculate_point_type.R (rules and point types),
R/ptd_calculate_assurance_type.R (target assurance), R/ptd_add_short_group_warnings.R (trial
limits). What the package does, and so what this module does:

* Limits per segment (segments start at each `rebase` point): centre = mean of the values;
  moving ranges mR_i = |y_i - y_(i-1)|; mR-bar = their mean. With outlier screening (the package
  default, ``screen_outliers = TRUE``) moving ranges >= 3.267 x mR-bar are dropped and mR-bar is
  recomputed once from the rest. Process limits = mean +/- 2.66 mR-bar; "near" (2-sigma) limits =
  mean +/- (2/3) 2.66 mR-bar.
* Special-cause rules, evaluated within each segment:
  1. a point above the upper or below the lower process limit;
  2. a run of 7 points all increasing or all decreasing -- 7 *points*, i.e. 6 consecutive rises or
     falls (ptd_seven_point_trend takes ``diff(y[i - 0:6])``); a repeated value breaks the run;
     every point of the run is flagged;
  3. two of three consecutive points between the near limit and the process limit, all three on the
     same side of the mean (ptd_two_in_three); only the points in that near-limit band are flagged,
     and points beyond the process limits do not count towards it (as the package does);
  4. 7 consecutive points on the same side of the mean; a point exactly on the mean breaks the run;
     every point of the run is flagged.
* Point type: "common cause"; "special cause improvement" when the flagged point is on the improving
  side of the mean (above it for "high is good", below for "low is good"), otherwise "special cause
  concern" (so a point lying exactly on the mean inside a flagged trend counts as concern, as in
  the package); "special cause neutral" when the polarity is "no judgement".
* Trial limits: a segment of fewer than 12 points.
* Assurance (needs a target and a judgement polarity), from the last segment's limits: target
  outside the limits on the wrong side -> "consistently failing", on the right side ->
  "consistently passing", between them -> "hit and miss".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from ._common import POLARITY_HIGH, POLARITY_LOW, normalise_polarity, to_array

LIMIT = 2.66
NEAR_LIMIT = 2.0 * LIMIT / 3.0
SCREEN_FACTOR = 3.267
TRIAL_BELOW = 12
RUN = 7

RULE_OUTSIDE = "point outside process limits"
RULE_TREND = "run of 7 increasing or decreasing"
RULE_TWO_OF_THREE = "2 of 3 beyond 2 sigma"
RULE_SHIFT = "7 points one side of mean"
COMMON = "common cause"
IMPROVEMENT = "special cause improvement"
CONCERN = "special cause concern"
NEUTRAL = "special cause neutral"


def _limits(y: np.ndarray, screen_outliers: bool, fix_after_n_points: int | None) -> tuple[float, float]:
    """(mean, mean moving range) of one segment, as ptd_spc_standard."""
    base = y[:fix_after_n_points] if fix_after_n_points else y
    mean = float(base.mean())
    mr = np.abs(np.diff(base))
    if mr.size == 0:
        return mean, float("nan")
    amr = mr.mean()
    if screen_outliers:
        mr = mr[mr < SCREEN_FACTOR * amr]
        amr = mr.mean() if mr.size else float("nan")
    return mean, float(amr)


def _run_flags(direction: np.ndarray) -> np.ndarray:
    """Flag every point of a run of RUN consecutive equal non-zero `direction` entries."""
    n = direction.size
    flags = np.zeros(n, dtype=bool)
    for end in range(RUN - 1, n):
        window = direction[end - RUN + 1 : end + 1]
        if window[0] != 0 and np.all(window == window[0]):
            flags[end - RUN + 1 : end + 1] = True
    return flags


def _trend_flags(y: np.ndarray) -> np.ndarray:
    """Points belonging to 7 consecutive points each strictly above (or below) the one before."""
    n = y.size
    flags = np.zeros(n, dtype=bool)
    steps = np.sign(np.diff(y))
    for end in range(RUN - 1, n):
        window = steps[end - RUN + 1 : end]  # the 6 steps into points end-5 .. end
        if window.size == RUN - 1 and window[0] != 0 and np.all(window == window[0]):
            flags[end - RUN + 1 : end + 1] = True
    return flags


def _two_of_three_flags(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """ptd_two_in_three + ptd_part_of_two_in_three: near-limit points in a qualifying triple."""
    n = close.size
    hit = np.zeros(n, dtype=bool)
    for start in range(0, max(n - 2, 0)):
        c, s = close[start : start + 3], side[start : start + 3]
        if c.sum() >= 2 and abs(s.sum()) == 3:
            hit[start : start + 3] = True
    return hit & close


def _segments(x: np.ndarray, rebase: Sequence[Any] | None) -> np.ndarray:
    seg = np.zeros(x.size, dtype=np.int64)
    if rebase:
        starts = np.zeros(x.size, dtype=bool)
        for r in rebase:
            matches = np.flatnonzero(x == r)
            if matches.size == 0:
                raise ValueError(f"rebase point {r!r} is not one of the x values")
            starts[matches[0]] = True
        starts[0] = False
        seg = np.cumsum(starts)
    return seg


def xmr(
    values: Any,
    x: Any = None,
    polarity: Any = POLARITY_HIGH,
    *,
    rebase: Sequence[Any] | None = None,
    target: float | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """XmR chart with Making Data Count rules; returns ``(frame, summary)``.

    `values` in time order (no gaps, no nulls: ValueError otherwise); `x` the period labels or
    dates (default 0..n-1); `polarity` "high is good" / "low is good" / "no judgement" (the
    improvement direction); `rebase` the x values at which new limits start; `target` for the
    assurance; `fix_after_n_points` computes each segment's limits from its first n points only.

    Frame columns: x, y, mean, ucl, lcl, upper_2sigma, lower_2sigma, special_cause (bool), rule
    (the rules that flagged the point, joined with "; ", null if none), variation (COMMON,
    IMPROVEMENT, CONCERN or NEUTRAL), trial_limits (bool: the point's segment has < 12 points).
    Summary: latest_x, latest_value, latest_variation, assurance ("consistently passing",
    "consistently failing", "hit and miss" or None), mean/ucl/lcl of the last segment,
    trial_limits (of the last segment), points, segments.
    """
    y = np.atleast_1d(to_array(values)).reshape(-1)
    if y.size == 0:
        raise ValueError("no values")
    if not np.all(np.isfinite(y)):
        raise ValueError("values must not contain nulls/NaN: SPC needs an unbroken series")
    if x is None:
        xs = np.arange(y.size)
    else:
        xs = np.asarray(x.to_list() if isinstance(x, pl.Series) else list(x), dtype=object)
        if xs.size != y.size:
            raise ValueError("x and values differ in length")
    pol = normalise_polarity(polarity)
    seg = _segments(xs, rebase)

    n = y.size
    mean = np.empty(n)
    amr = np.empty(n)
    special = np.zeros(n, dtype=bool)
    rules: list[list[str]] = [[] for _ in range(n)]
    trial = np.zeros(n, dtype=bool)
    for s in np.unique(seg):
        idx = np.flatnonzero(seg == s)
        ys = y[idx]
        m, a = _limits(ys, screen_outliers, fix_after_n_points)
        mean[idx], amr[idx] = m, a
        trial[idx] = idx.size < TRIAL_BELOW
        ucl, lcl = m + LIMIT * a, m - LIMIT * a
        outside = (ys > ucl) | (ys < lcl)
        side = np.sign(ys - m)
        close = ~outside & ((ys > m + NEAR_LIMIT * a) | (ys < m - NEAR_LIMIT * a))
        for name, flags in (
            (RULE_OUTSIDE, outside),
            (RULE_TREND, _trend_flags(ys)),
            (RULE_TWO_OF_THREE, _two_of_three_flags(close, side)),
            (RULE_SHIFT, _run_flags(side)),
        ):
            for i in np.flatnonzero(flags):
                rules[idx[i]].append(name)
                special[idx[i]] = True

    side_all = np.sign(y - mean)
    improving = 1 if pol == POLARITY_HIGH else -1 if pol == POLARITY_LOW else 0
    variation = np.where(
        ~special,
        COMMON,
        np.where(improving == 0, NEUTRAL, np.where(side_all == improving, IMPROVEMENT, CONCERN)),
    )
    ucl_all, lcl_all = mean + LIMIT * amr, mean - LIMIT * amr
    frame = pl.DataFrame(
        {
            "x": xs.tolist() if x is not None else xs,
            "y": y,
            "mean": mean,
            "ucl": ucl_all,
            "lcl": lcl_all,
            "upper_2sigma": mean + NEAR_LIMIT * amr,
            "lower_2sigma": mean - NEAR_LIMIT * amr,
            "special_cause": special,
            "rule": ["; ".join(r) if r else None for r in rules],
            "variation": variation.tolist(),
            "trial_limits": trial,
        },
        schema_overrides={"rule": pl.String, "variation": pl.String},
    )

    last = n - 1
    assurance = None
    if target is not None and improving != 0 and np.isfinite(ucl_all[last]):
        if target > ucl_all[last]:
            assurance = "consistently failing" if improving == 1 else "consistently passing"
        elif target < lcl_all[last]:
            assurance = "consistently passing" if improving == 1 else "consistently failing"
        else:
            assurance = "hit and miss"
    summary = {
        "latest_x": frame["x"][last],
        "latest_value": float(y[last]),
        "latest_variation": str(variation[last]),
        "assurance": assurance,
        "mean": float(mean[last]),
        "ucl": float(ucl_all[last]),
        "lcl": float(lcl_all[last]),
        "trial_limits": bool(trial[last]),
        "points": int(n),
        "segments": int(seg.max() + 1),
    }
    return frame, summary
