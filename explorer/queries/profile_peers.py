"""Benchmarking an area against its peers, funnel plots and side-by-side comparison of areas.
No Streamlit here; works on frames from `explorer.queries.profile`.

Peer average, with its own interval (the RightCare "Similar 10" critique: comparing an area with
a peer average as if the average were exact makes about 1 in 8 comparisons "significant" by
chance instead of 1 in 20):

* proportions and crude rates where every peer has a count and denominator: the pooled value
  sum(count) / sum(denominator) x multiplier, with a Wilson (proportion) or Byar (rate) interval;
* otherwise the mean of the peers' values with a Student's t interval (needs 2 or more peers).

The area is then compared with the peer average by a two-sample z test that counts both
uncertainties: z = (area - peer average) / sqrt(SE_area^2 + SE_peers^2), with each SE taken from
its 95% interval as (upper - lower) / 3.92 (Fingertips' rule for trend weights). |z| > 1.96 is
"better"/"worse" (or "higher"/"lower" with no judgement), |z| > 3.09 "best"/"worst" (99.8%). An
area with no interval is "not compared".
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from explorer import stats
from explorer.queries import profile as prof
from explorer.queries import profile_areas
from explorer.queries.profile_cache import per_store
from explorer.store import Store

ROW = ["indicator_id", "area_type", "sex", "age", "category", "period"]
FUNNEL_TYPES = {"proportion": "proportion", "crude rate": "rate"}
MAX_COMPARE = 10


@per_store(maxsize=256)
def benchmarked(store: Store, code: str, area_type: str, peer_codes: tuple[str, ...]) -> pl.DataFrame:
    """The area's full profile with the peer columns and funnel flags (cached per area and peers)."""
    frame = prof.full_profile(store, code, area_type)
    return add_funnel_flags(add_peer_columns(store, frame, list(peer_codes)))


def _peer_values(store: Store, frame: pl.DataFrame, codes: list[str]) -> pl.DataFrame:
    """The peers' values (cell_id, value, count, denominator) in the frame's cells."""
    held = prof.tables(store).peer_values.many(codes)  # in memory: zero-copy slices, in the order asked
    if not held:
        return pl.DataFrame(schema={"cell_id": pl.UInt32, "value": pl.Float64, "count": pl.Float64,
                                    "denominator": pl.Float64})
    rows = pl.concat(list(held.values()), how="vertical_relaxed")
    # cell_id numbers the cells densely, so "in the frame's cells" is a look-up in a boolean array.
    ids, wanted = rows["cell_id"].to_numpy(), frame["cell_id"].drop_nulls().to_numpy()
    mask = np.zeros(int(max(ids.max(initial=0), wanted.max(initial=0))) + 1, dtype=bool)
    mask[wanted] = True
    return rows.filter(pl.Series(mask[ids]))


def add_peer_columns(store: Store, frame: pl.DataFrame, codes: list[str]) -> pl.DataFrame:
    """Add peer_n (peers with a value), peer_average, peer_lower/upper (95%), peer_average_method,
    peer_comparison, peer_rank and peer_rank_of (1 = best, or highest with no judgement, among
    the area and its peers with a value)."""
    if frame.is_empty():
        return frame
    peers = _peer_values(store, frame, codes)
    summary = peers.group_by("cell_id").agg(
        pl.len().alias("peer_n"), pl.col("value").mean().alias("_mean"), pl.col("value").std().alias("_sd"),
        pl.col("count").sum().alias("_count"), pl.col("denominator").sum().alias("_den"),
        (pl.col("count").is_not_null() & pl.col("denominator").is_not_null()).all().alias("_counts"))
    out = frame.join(summary, on="cell_id", how="left", maintain_order="left")
    # numpy from here: a few thousand rows, where each Polars call costs more than its work
    kinds = np.asarray(out["value_type"].to_list(), dtype=object)
    count, den, mean = out["_count"].to_numpy(), out["_den"].to_numpy(), out["_mean"].to_numpy()
    p = np.isin(kinds, list(FUNNEL_TYPES)) & (out["_counts"].to_numpy() == True) & (np.nan_to_num(den) > 0)  # noqa: E712
    is_prop = kinds == "proportion"
    mult = out["multiplier"].fill_null(100.0).to_numpy()
    average, lower, upper = mean.copy(), np.full(out.height, np.nan), np.full(out.height, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        average[p] = count[p] / den[p] * mult[p]
    # Each interval only for the rows it applies to (elementwise, so the same figures as for all rows).
    for rows, interval in ((p & is_prop, lambda r: stats.wilson(count[r], den[r])),
                           (p & ~is_prop, lambda r: stats.crude_rate_ci(count[r], den[r], 1.0))):
        if rows.any():
            lo, up = interval(rows)
            lower[rows], upper[rows] = np.asarray(lo) * mult[rows], np.asarray(up) * mult[rows]
    n = out["peer_n"].to_numpy()
    if (~p).any():
        lower[~p], upper[~p] = stats.mean_ci(mean[~p], out["_sd"].to_numpy()[~p], n[~p])
    method = np.where(np.isnan(n), None, np.where(p, "pooled: sum of counts over sum of denominators",
                                                    "mean of the peers' values"))
    polarity = _polarities(out["polarity"])
    out = out.drop("_mean", "_sd", "_count", "_den", "_counts").with_columns(
        pl.Series("peer_average", average, nan_to_null=True), pl.Series("peer_lower", lower, nan_to_null=True),
        pl.Series("peer_upper", upper, nan_to_null=True),
        pl.Series("peer_average_method", method.tolist(), dtype=pl.String))
    out = out.with_columns(peer_comparison(out, polarity))
    # Each peer value's row: cells are one row each in a profile, and numbered densely.
    if out["cell_id"].null_count() or out["cell_id"].is_duplicated().any():  # not one row per cell: by lists
        return _with_rank(out.join(peers.group_by("cell_id").agg(pl.col("value").alias("_values")), on="cell_id",
                                   how="left", maintain_order="left"), polarity).drop("_values")
    cells = out["cell_id"].to_numpy()
    row_of = np.full(int(cells.max()) + 1, -1, dtype=np.int64)
    row_of[cells] = np.arange(cells.size)
    return _with_rank(out, polarity, row_of[peers["cell_id"].to_numpy()], peers["value"].to_numpy())


@functools.lru_cache(maxsize=256)
def _normalised(polarity: str) -> str | None:
    return stats.normalise_polarity(polarity)


def _polarities(polarity: pl.Series) -> pl.Series:
    """stats.normalise_polarity of each row (once per distinct spelling)."""
    return pl.Series(polarity.name, [None if p is None else _normalised(p) for p in polarity.cast(pl.String)],
                     dtype=pl.String)


COMPARISON_LABELS = pl.Series(["not compared", "similar", "higher", "lower", "best", "better", "worst", "worse"])


def peer_comparison(frame: pl.DataFrame, polarity: pl.Series | None = None) -> pl.Series:
    """Two-sample z comparison of the area with the peer average (see the module docstring);
    `polarity`: the frame's polarity already normalised (`_polarities`), if at hand."""
    v, lo, up = (frame[c].cast(pl.Float64).to_numpy() for c in ("value", "lower_ci95", "upper_ci95"))
    b, blo, bup = (frame[c].cast(pl.Float64).to_numpy() for c in ("peer_average", "peer_lower", "peer_upper"))
    with np.errstate(invalid="ignore"):
        se = np.sqrt(((up - lo) / 3.92) ** 2 + ((bup - blo) / 3.92) ** 2)
        z = (v - b) / se
    polarity = _polarities(frame["polarity"]) if polarity is None else polarity
    unknown, polarity = polarity.is_null().to_numpy(), polarity.to_numpy()
    strong, good = np.abs(z) > stats.Z998, (z > 0) == (polarity == stats.POLARITY_HIGH)
    code = np.select(  # positions in COMPARISON_LABELS
        [~np.isfinite(z) | unknown, np.abs(z) <= stats.Z95, polarity == stats.POLARITY_NONE, good],
        [0, 1, np.where(z > 0, 2, 3), np.where(strong, 4, 5)], np.where(strong, 6, 7))
    return COMPARISON_LABELS.gather(code).alias("peer_comparison")


def _with_rank(frame: pl.DataFrame, polarity: pl.Series | None = None, owner: np.ndarray | None = None,
               flat: np.ndarray | None = None) -> pl.DataFrame:
    """peer_rank: 1 + how many peers beat the area (lower when low is good, else higher);
    peer_rank_of: the peers with a value and the area. Null without a value or peers. The peers'
    values are `flat` (each for the frame row `owner`), or else the lists in `_values`."""
    if owner is None:
        pools = frame["_values"].list.drop_nulls()
        flat = pools.explode(keep_nulls=False, empty_as_null=False).cast(pl.Float64).to_numpy()
        owner = np.repeat(np.arange(frame.height), pools.list.len().fill_null(0).to_numpy())
    n = np.bincount(owner, minlength=frame.height)
    value = frame["value"].cast(pl.Float64).to_numpy()
    polarity = _polarities(frame["polarity"]) if polarity is None else polarity
    low_first = (polarity == stats.POLARITY_LOW).fill_null(False).to_numpy()
    beats = np.where(low_first[owner], flat < value[owner], flat > value[owner])
    ranked = (n > 0) & frame["value"].is_not_null().to_numpy()
    rank = 1 + np.bincount(owner, weights=beats, minlength=frame.height).astype(np.int64)
    return frame.with_columns(
        pl.Series("peer_rank", np.where(ranked, rank, 0), dtype=pl.Int32).set(pl.Series(~ranked), None),
        pl.Series("peer_rank_of", np.where(ranked, n + 1, 0), dtype=pl.Int32).set(pl.Series(~ranked), None))


# --- funnel plots -----------------------------------------------------------------------------
def funnel_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Profile rows that can go on a funnel plot: proportions and crude rates with a count and a
    denominator."""
    if frame.is_empty():
        return frame
    return frame.filter(pl.col("value_type").is_in(list(FUNNEL_TYPES)), pl.col("count").is_not_null(),
                        pl.col("denominator").is_not_null(), pl.col("denominator") > 0)


def add_funnel_flags(frame: pl.DataFrame) -> pl.DataFrame:
    """funnel_flag for each row against England (stats.funnel_flag; null where not applicable)."""
    if frame.is_empty():
        return frame
    flags = np.full(frame.height, None, dtype=object)
    count, den, base = (frame[c].cast(pl.Float64) for c in ("count", "denominator", "england_value"))
    usable = (count.is_not_null() & den.is_not_null() & (den != 0) & base.is_not_null()).to_numpy()
    count, den, base = count.to_numpy(), den.to_numpy(), base.to_numpy()
    mult = frame["multiplier"].cast(pl.Float64).fill_null(0.0).replace(0.0, 100.0).to_numpy()
    for value_type, statistic in FUNNEL_TYPES.items():  # one vectorised call per statistic
        rows = np.flatnonzero(usable & (frame["value_type"] == value_type).fill_null(False).to_numpy())
        if rows.size:
            flags[rows] = stats.funnel_flag(count[rows], den[rows], statistic, baseline=base[rows] / mult[rows])
    return frame.with_columns(pl.Series("funnel_flag", flags.tolist(), dtype=pl.String))


def funnel_summary(frame: pl.DataFrame) -> dict:
    """How many rows lie outside the funnel limits around England, against chance alone."""
    if frame.is_empty() or "funnel_flag" not in frame.columns:
        return {"placed": 0, "outside_95": 0, "outside_998": 0, "expected_95": 0.0, "expected_998": 0.0}
    flags = frame["funnel_flag"].drop_nulls()
    placed = flags.len()
    outside_998 = int(flags.str.ends_with("(0.001)").sum())
    outside_95 = outside_998 + int(flags.str.ends_with("(0.025)").sum())
    return {"placed": placed, "outside_95": outside_95, "outside_998": outside_998,
            "expected_95": round(0.05 * placed, 1), "expected_998": round(0.002 * placed, 2)}


def funnel_data(store: Store, row: dict) -> dict:
    """Everything a funnel plot of one profile row needs: every area of the row's kind in the
    row's period with a count and denominator (area_code, area_name, value, count, denominator),
    the control limits around England (or, with no England figure, around all areas pooled), and
    the benchmark value (on the indicator's scale)."""
    statistic = FUNNEL_TYPES.get(row.get("value_type") or "")
    if statistic is None:
        return {}
    key = {c: row[c] for c in ROW}
    kind = row["area_type"]
    areas = profile_areas.area_table(store).filter(pl.col("area_type") == kind).select("area_code", "area_name")
    frame = store.indicator_slice(row["indicator_id"])  # zero-copy: the store is sorted by indicator
    points = frame.filter(*[(pl.col(c) == v) if v is not None else pl.col(c).is_null() for c, v in key.items()],
                          pl.col("count").is_not_null(), pl.col("denominator") > 0, pl.col("value").is_not_null())
    if points.height < 3:
        return {}
    if (points["status"] != "re-estimated").any():
        points = points.filter((pl.col("status") != "re-estimated") | (pl.col("area_code") == row["area_code"]))
    points = points.join(areas, on="area_code", how="left").with_columns(
        pl.col("area_name").fill_null(pl.col("area_code")))
    mult = row.get("multiplier") or 100.0
    bench = row.get("england_value")
    baseline = bench / mult if bench is not None else None
    limits = stats.funnel_limits(points["count"], points["denominator"], statistic, mult, baseline=baseline)
    if bench is None:
        bench = float(limits["baseline"][0])
    return {"points": points.select("area_code", "area_name", "value", "count", "denominator", "status"),
            "limits": limits, "benchmark": bench, "statistic": statistic,
            "benchmark_label": "England" if row.get("england_value") is not None else "All areas pooled"}


# --- several areas side by side ----------------------------------------------------------------
def compare_table(store: Store, codes: list[str], area_type: str, topic: str = prof.ALL_TOPICS,
                  base: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per indicator of the first area's profile (`base`, or computed), one column per
    area: its value in the same period and its comparison with England ("8.9 (higher)").
    Columns are headed by area name."""
    codes = codes[:MAX_COMPARE]
    if not codes:
        return pl.DataFrame()
    base = base if base is not None else prof.profile(store, codes[0], area_type, topic)
    if base.is_empty():
        return pl.DataFrame()
    keys = base.select(*ROW, "polarity", "england_value")
    label = pl.when(pl.col("breakdown") != "").then(pl.col("short_title") + " (" + pl.col("breakdown") + ")") \
        .otherwise(pl.col("short_title"))
    out = base.select(label.alias("Indicator"), pl.col("period").alias("Period"), pl.col("unit").alias("Unit"),
                      pl.col("england_value").round(2).alias("England"))
    held = prof.tables(store).by_area.many(codes)
    for code in codes:
        rows = held.get(code)
        name = _unique_name(profile_areas.area_name(store, code), out.columns)
        if rows is None:
            out = out.with_columns(pl.lit(None, pl.String).alias(name))
            continue
        joined = keys.join(rows.select(*ROW, "value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998"),
                           on=ROW, how="left", nulls_equal=True)
        words = stats.compare(joined["value"], joined["lower_ci95"], joined["upper_ci95"], joined["england_value"],
                              joined["polarity"], joined["lower_ci998"], joined["upper_ci998"])
        text = [None if v is None else f"{_short(v)} ({w})" for v, w in zip(joined["value"], words, strict=True)]
        out = out.with_columns(pl.Series(name, text, dtype=pl.String))
    return out


def _short(value: float) -> str:
    size = abs(value)
    return f"{value:,.0f}" if size >= 1000 else f"{value:.1f}" if size >= 1 else f"{value:.2f}"


def _unique_name(name: str, taken: list[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name} ({n})", n + 1
    return out


def compare_series(store: Store, codes: list[str], row: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every chosen area's series, England's series) of one profile row's indicator and breakdown,
    every period: the input to charts.trend_figure."""
    t = prof.tables(store)

    def same(c: str) -> pl.Expr:
        return (pl.col(c) == row[c]) if row[c] is not None else pl.col(c).is_null()

    key = [same(c) for c in ("indicator_id", "area_type", "sex", "age", "category")]
    parts = [rows.filter(*key).with_columns(pl.lit(profile_areas.area_name(store, c)).alias("area_name"))
             for c, rows in t.by_area.many(codes[:MAX_COMPARE]).items()]
    series = pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()
    if series.is_empty():
        return series, pl.DataFrame()
    periods = series.select("period", "period_start").unique("period")
    england = t.england.filter(*[same(c) for c in ("indicator_id", "sex", "age", "category")]).join(
        periods, on="period").select(
        "period", "period_start", pl.col("england_value").alias("value"), pl.col("england_lower").alias("lower_ci95"),
        pl.col("england_upper").alias("upper_ci95"), pl.lit("England").alias("area_name")).sort("period_start")
    return series, england


def series_table(series: pl.DataFrame, england: pl.DataFrame) -> pl.DataFrame:
    """The text alternative of the over-time chart: one row per area, one column per period."""
    frame = pl.concat([series.select("area_name", "period", "period_start", "value"),
                       england.select("area_name", "period", "period_start", "value")], how="vertical_relaxed")
    order = frame.select("period", "period_start").unique("period").sort("period_start")["period"].to_list()
    wide = frame.with_columns(pl.col("value").round(2)).pivot(
        "period", index="area_name", values="value", aggregate_function="first")
    return wide.select(pl.col("area_name").alias("Area"), *[c for c in order if c in wide.columns])
