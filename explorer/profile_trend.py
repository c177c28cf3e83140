"""Fingertips' recent trend of every headline series at once, for the profile tables the build
writes (explorer.profile_tables). No Streamlit here.

`stats.recent_trend` tests one series at ~0.1 ms a call: a profile has one series per indicator
(about 60 an area on the real store, over 1,000 on a 10-million-value store), and the store has
one series per area and indicator. This applies the same test to all of them with numpy arrays of
each series' last six points (one row a series): the same checks in the same order and the same
sums in the same order, so the same floating-point results (tests/test_profile_trend.py compares
every series of the real store with the one-series function, as the profile called it).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from explorer import stats
from explorer.stats import trend as st

GROUP = ["area_code", "indicator_id", "area_type", "sex"]
WINDOW = st.POINTS_TO_USE + 1  # one extra point: a break on the oldest of 5 is allowed
STEPPED = {"financial_year", "calendar_year", "multi_year", "multi_financial_year", "point", "quarter", "month"}
SCHEMA = {**{c: pl.String for c in GROUP}, "trend": pl.String, "trend_reason": pl.String}
COLUMNS = [*GROUP, "period", "period_start", "period_end", "period_type", "value", "lower_ci95", "upper_ci95"]
MISSING = "a value or 95% confidence limit is missing in the last 5 points"
WIDTH = "a 95% confidence interval in the last 5 points has zero or negative width"
NOT_CONSECUTIVE = "the last 5 points are not consecutive periods"
BREAK = "break in the series within the last 5 points"


def trends(rows: pl.DataFrame, polarity: pl.DataFrame, breaks: pl.DataFrame | None) -> pl.DataFrame:
    """area_code, indicator_id, area_type, sex, trend, trend_reason of every series of `rows`
    (headline rows of one or more areas, each series oldest first; rows without a value are left
    out, so a series with none gets no row). `polarity`: indicator_id, polarity. `breaks`: the
    store's breaks table (indicator_id, area_code or null, area_type or null, period)."""
    series = rows.filter(pl.col("value").is_not_null()).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).over(GROUP).alias("_i"), pl.len().over(GROUP).cast(pl.Int64).alias("_n"))
    if series.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    last = series.filter(pl.col("_i") >= pl.col("_n") - WINDOW)
    ids = last.select(GROUP).unique(maintain_order=True).with_row_index("_g")
    last = last.join(ids, on=GROUP, maintain_order="left").with_row_index("_r").with_columns(
        (pl.col("_i") - pl.col("_n") + WINDOW).alias("_col"))
    heads = (last.group_by("_g").agg(pl.col(GROUP).first(), pl.col("_n").first()).sort("_g")
             .join(polarity.select("indicator_id", "polarity"), on="indicator_id", how="left", maintain_order="left"))
    g, col = last["_g"].to_numpy(), last["_col"].to_numpy()

    def grid(values, fill=np.nan, dtype=np.float64) -> np.ndarray:
        out = np.full((heads.height, WINDOW), fill, dtype=dtype)
        out[g, col] = values
        return out

    y, lo, up = (grid(last[c].cast(pl.Float64).fill_null(np.nan).to_numpy()) for c in
                 ("value", "lower_ci95", "upper_ci95"))
    start = grid(last["period_start"].cast(pl.Int64).to_numpy(), 0, np.int64)
    end = grid(last["period_end"].cast(pl.Int64).fill_null(-10**9).to_numpy(), 0, np.int64)
    year = grid(last["period_start"].dt.year().to_numpy(), 0, np.int64)
    month = grid(last["period_start"].dt.month().to_numpy(), 0, np.int64)
    kinds = last["period_type"]
    multi = grid(kinds.str.starts_with("multi").fill_null(False).to_numpy(), False, bool)
    odd = grid((~kinds.is_in(list(STEPPED)) | kinds.is_null() | last["period_start"].is_null()).to_numpy(),
               False, bool)
    broken = grid(_break_flags(last, breaks), False, bool)

    # consecutive_index: a step of 1 when a period starts the day after the previous one ended, or
    # (rolling multi-year periods) one year after it started in the same month; any other step is 2.
    adjacent = (start[:, 1:] - end[:, :-1]) == 1
    rolling = multi[:, 1:] & (year[:, 1:] - year[:, :-1] == 1) & (month[:, 1:] == month[:, :-1])
    consecutive = (adjacent | rolling)[:, -(st.POINTS_TO_USE - 1):].all(axis=1)
    y5, lo5, up5 = y[:, -st.POINTS_TO_USE:], lo[:, -st.POINTS_TO_USE:], up[:, -st.POINTS_TO_USE:]
    finite = np.isfinite(y5).all(axis=1) & np.isfinite(lo5).all(axis=1) & np.isfinite(up5).all(axis=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        wide = ~(up5 <= lo5).any(axis=1)
        chi2, slope, same_sign = _fingertips_test(y5, lo5, up5)

    n = heads["_n"].to_numpy()
    # The checks in stats.recent_trend's order: the first that applies gives the reason.
    reasons = np.select(
        [n < st.POINTS_TO_USE, odd.any(axis=1), broken[:, -(st.POINTS_TO_USE - 1):].any(axis=1),
         ~consecutive, ~finite, ~wide],
        [np.char.add(np.char.add(f"fewer than {st.POINTS_TO_USE} points (", n.astype(str)), ")"),
         "weekly or one-off data", BREAK, NOT_CONSECUTIVE, MISSING, WIDTH], "")
    spelled = heads["polarity"].cast(pl.String)
    polarity = spelled.replace_strict({p: stats.normalise_polarity(p) for p in spelled.drop_nulls().unique()},
                                      default=None, return_dtype=pl.String).to_numpy()
    up_label = np.select([polarity == stats.POLARITY_HIGH, polarity == stats.POLARITY_LOW],
                         [st.INCREASING_BETTER, st.INCREASING_WORSE], st.INCREASING)
    down_label = np.select([polarity == stats.POLARITY_HIGH, polarity == stats.POLARITY_LOW],
                           [st.DECREASING_WORSE, st.DECREASING_BETTER], st.DECREASING)
    significant = same_sign & (chi2 > st.CHI_SQUARE_THRESHOLD)
    labels = np.where(reasons != "", st.CANNOT,
                      np.where(significant, np.where(slope > 0, up_label, down_label), st.NO_CHANGE))
    return heads.select(GROUP).with_columns(pl.Series("trend", labels.tolist(), dtype=pl.String),
                                            pl.Series("trend_reason", reasons.tolist(), dtype=pl.String)
                                            .replace("", None))


def _sums(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(slope, SE of slope) of each row's weighted least-squares line (stats.trend._weighted_slope;
    numpy sums each row as it sums one series, so the results are the same to the last bit)."""
    s1, s2, s3, s4, s5 = (a.sum(axis=1) for a in (w, w * t * y, w * t, w * y, w * t * t))
    det = s1 * s5 - s3 * s3
    return (s1 * s2 - s3 * s4) / det, np.sqrt(s1 / det)


def _fingertips_test(y: np.ndarray, lo: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chi-square, slope, whether the slope keeps its sign in all five leave-one-out fits)."""
    t = np.broadcast_to(np.arange(1.0, y.shape[1] + 1.0), y.shape)
    w = 1.0 / ((up - lo) / st.SE_DIVISOR) ** 2
    slope, se = _sums(t, y, w)
    signs = [np.where(slope >= 0, 1, -1)]
    for drop in range(y.shape[1]):
        keep = np.arange(y.shape[1]) != drop
        signs.append(np.where(_sums(t[:, keep], y[:, keep], w[:, keep])[0] >= 0, 1, -1))
    same_sign = np.abs(np.sum(signs, axis=0)) == len(signs)
    return (slope / se) ** 2, slope, same_sign


def _break_flags(points: pl.DataFrame, breaks: pl.DataFrame | None) -> np.ndarray:
    """Per point: a break recorded for its indicator and period, for its area (or every area) and
    its kind (or every kind)."""
    flags = np.zeros(points.height, dtype=bool)
    if breaks is None or breaks.is_empty():
        return flags
    hits = (points.select("_r", "indicator_id", "period", "area_code", "area_type")
            .join(breaks.select("indicator_id", "period", pl.col("area_code").alias("_bc"),
                                pl.col("area_type").alias("_bt")), on=["indicator_id", "period"])
            .filter(pl.col("_bc").is_null() | (pl.col("_bc") == pl.col("area_code")),
                    pl.col("_bt").is_null() | (pl.col("_bt") == pl.col("area_type"))))
    flags[hits["_r"].unique().to_numpy()] = True
    return flags
