"""The area profile: one row per indicator for one area, against England, its parent and the
spread of all areas of its kind, with the recent trend. No Streamlit here.

Which series is "the" indicator for an area kind (its headline breakdown) is decided once per
(indicator, area kind): the breakdown with the most recent period; then a category that is null
or an "All ..." total; then Persons; then the most rows; then "All ages". Indicators published
only by sex (healthy life expectancy) keep one row per sex.

Everything that does not depend on the chosen area is computed once per store (`tables`): the
headline rows split by area code, and per (indicator, kind, sex, period) the number of areas,
lowest, 25th and 75th percentiles (interpolated at (N-1)p, Fingertips' legacy method) and highest
value. Where a period holds both published rows and rows we re-estimated onto newer boundaries
(CCGs in 2019/20), the spread uses the published rows only, so no place is counted twice.
England is the producer's figure (or the store's "aggregated" sum); for proportions and crude
rates with no England figure at all, it is the sum of every current area's counts over their
denominators, when every area of the kind has both (`england_source` says which). A profile is
then a few joins on small frames (tens of milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from explorer import stats
from explorer.queries import profile_areas
from explorer.queries.profile_cache import per_store
from explorer.store import Store

KEY = ["indicator_id", "area_type", "sex", "age", "category"]
JOIN = ["indicator_id", "sex", "age", "category", "period"]
VALUE_COLUMNS = ["period", "period_start", "period_end", "period_type", "value", "lower_ci95", "upper_ci95",
                 "lower_ci998", "upper_ci998", "count", "denominator", "status", "note"]
YEARLY = {"financial_year", "calendar_year", "multi_year", "multi_financial_year", "point"}
WORSE = ("worse", "worst")
GETTING_WORSE = (stats.trend.INCREASING_WORSE, stats.trend.DECREASING_WORSE)
ALL_TOPICS = "all"


class Sliced:
    """A frame sorted by one key column, read as {key: rows} through zero-copy slices (one
    frame in memory instead of a thousand small ones)."""

    def __init__(self, frame: pl.DataFrame, key: str):
        self.frame = frame.sort(key, maintain_order=True)
        runs = self.frame.select(pl.col(key)).with_row_index("_i").group_by(key, maintain_order=True).agg(
            pl.col("_i").min().alias("start"), pl.len().alias("n"))
        self.offsets = {k: (start, n) for k, start, n in runs.iter_rows()}

    def get(self, key: str, default=None) -> pl.DataFrame | None:
        hit = self.offsets.get(key)
        return default if hit is None else self.frame.slice(*hit)

    def __getitem__(self, key: str) -> pl.DataFrame:
        return self.frame.slice(*self.offsets[key])

    def __contains__(self, key: object) -> bool:
        return key in self.offsets

    def __len__(self) -> int:
        return len(self.offsets)


@dataclass(frozen=True)
class Tables:
    """Per-store precomputed tables (never mutated)."""

    by_area: Sliced  # area_code -> that area's headline rows, oldest first
    spread: pl.DataFrame  # indicator_id, area_type, sex, period -> n_areas, minimum, q25, q75, maximum
    england: pl.DataFrame  # England's headline rows
    meta: pl.DataFrame  # catalogue columns the profile needs
    breaks: dict[str, list[tuple]]  # indicator_id -> [(area_code or None, area_type or None, period)]


def _headline_keys(values: pl.DataFrame) -> pl.DataFrame:
    """(indicator_id, area_type, sex, age, category) of each indicator's headline series per kind."""
    keys = (values.filter(pl.col("value").is_not_null())
            .group_by(KEY).agg(pl.col("period_start").max().alias("latest"), pl.len().alias("rows")))
    total = pl.col("category").is_null() | pl.col("category").str.contains(r"^(All|Total)\b")
    breakdown = (keys.group_by("indicator_id", "area_type", "age", "category")
                 .agg(pl.col("latest").max(), pl.col("rows").sum(), (pl.col("sex") == "Persons").any().alias("persons"))
                 .sort(["latest", total, "persons", "rows", pl.col("age") == "All ages", "age"],
                       descending=[True, True, True, True, True, False], nulls_last=True)
                 .unique(["indicator_id", "area_type"], keep="first", maintain_order=True))
    chosen = keys.join(breakdown.select("indicator_id", "area_type", "age", "category", "persons"),
                       on=["indicator_id", "area_type", "age", "category"], nulls_equal=True)
    return chosen.filter(~pl.col("persons") | (pl.col("sex") == "Persons")).select(KEY)


@per_store
def tables(store: Store) -> Tables:
    values = store.all_values()
    headline = values.join(_headline_keys(values), on=KEY, nulls_equal=True, how="semi").select(
        "area_code", *KEY, *VALUE_COLUMNS).sort("period_start")
    is_england = (pl.col("area_type") == "england") | (pl.col("area_code") == profile_areas.ENGLAND)
    areas_only = headline.filter(~is_england, pl.col("value").is_not_null())
    # Published rows only where a period also has rows we re-estimated (no place counted twice).
    has_published = (pl.col("status") != "re-estimated").any().over("indicator_id", "area_type", "sex", "period")
    spread_rows = areas_only.filter(~has_published | (pl.col("status") != "re-estimated"))
    spread = spread_rows.group_by("indicator_id", "area_type", "sex", "period").agg(
        pl.len().alias("n_areas"), pl.col("value").min().alias("minimum"),
        pl.col("value").quantile(0.25, "linear").alias("q25"),
        pl.col("value").quantile(0.75, "linear").alias("q75"), pl.col("value").max().alias("maximum"))
    published = headline.filter(is_england, pl.col("area_type") == "england").select(
        *JOIN, pl.col("value").alias("england_value"), pl.col("lower_ci95").alias("england_lower"),
        pl.col("upper_ci95").alias("england_upper"), pl.col("count").alias("england_count"),
        pl.col("denominator").alias("england_denominator"),
        pl.when(pl.col("status") == "aggregated").then(pl.lit("summed by us from the producer's areas"))
        .otherwise(pl.lit("published")).alias("england_source")).unique(JOIN, keep="last")
    meta = store.indicators().select(
        "indicator_id", "title", "short_title", "topic", "unit", "multiplier", "value_type", "polarity")
    summed = _summed_england(spread_rows, meta, published, store.areas())
    england = pl.concat([published, summed], how="vertical_relaxed")
    breaks: dict[str, list[tuple]] = {}
    table = store.table("breaks")
    if not table.is_empty():
        for ind, code, kind, period in table.select("indicator_id", "area_code", "area_type", "period").iter_rows():
            breaks.setdefault(ind, []).append((code, kind, period))
    return Tables(Sliced(headline.filter(~is_england), "area_code"), spread, england, meta, breaks)


def _summed_england(rows: pl.DataFrame, meta: pl.DataFrame, published: pl.DataFrame,
                    areas: pl.DataFrame) -> pl.DataFrame:
    """England as the sum of every area's count over the sum of denominators, for proportions and
    crude rates the store holds no England figure for, where every current area of a kind (all
    106 sub-ICB locations, say) has both; Wilson or Byar limits. Kinds that mixed boundary
    configurations (CCGs) are never summed: a period could count a place twice."""
    rates = meta.filter(pl.col("value_type").is_in(["proportion", "crude rate"])).select(
        "indicator_id", "value_type", "multiplier")
    current = areas.filter(pl.col("valid_to").is_null()).group_by("area_type").agg(pl.len().alias("full"))
    groups = (rows.join(rates, on="indicator_id").group_by(*KEY, "period").agg(
        pl.len().alias("n"), pl.col("count").is_not_null().all().alias("counts"),
        pl.col("denominator").is_not_null().all().alias("denominators"),
        pl.col("count").sum(), pl.col("denominator").sum(), pl.col("value_type", "multiplier").first())
        .join(current, on="area_type")
        .filter(pl.col("counts"), pl.col("denominators"), pl.col("denominator") > 0, pl.col("n") == pl.col("full"))
        .join(published, on=JOIN, how="anti", nulls_equal=True)
        .sort("n", descending=True).unique(JOIN, keep="first"))
    if groups.is_empty():
        return published.clear()
    count, den, mult = groups["count"], groups["denominator"], groups["multiplier"].fill_null(100.0)
    lo_p, up_p = stats.wilson(count, den)
    lo_r, up_r = stats.crude_rate_ci(count, den, 1.0)
    is_prop = groups["value_type"] == "proportion"
    return groups.select(
        *JOIN, (pl.col("count") / pl.col("denominator") * mult).alias("england_value"),
        (pl.when(is_prop).then(lo_p).otherwise(lo_r) * mult).alias("england_lower"),
        (pl.when(is_prop).then(up_p).otherwise(up_r) * mult).alias("england_upper"),
        pl.col("count").alias("england_count"), pl.col("denominator").alias("england_denominator"),
        pl.format("summed by us from all {} {}", pl.col("n"), pl.col("area_type").replace_strict(
            profile_areas.PLURAL, default=pl.col("area_type"))).alias("england_source"))


def area_rows(store: Store, code: str, kinds: list[str]) -> pl.DataFrame:
    """The area's headline rows (every period) for the given kinds of area."""
    frame = tables(store).by_area.get(code)
    if frame is None:
        return pl.DataFrame(schema={"area_code": pl.String, **{c: pl.String for c in KEY}})
    return frame.filter(pl.col("area_type").is_in(kinds))


def latest_rows(rows: pl.DataFrame, kinds: list[str]) -> pl.DataFrame:
    """Each series' latest period with a value; an indicator held for several of the area's kinds
    keeps the first kind in `kinds` (the chosen one)."""
    if rows.is_empty():
        return rows
    order = {k: i for i, k in enumerate(kinds)}
    latest = rows.filter(pl.col("value").is_not_null()).group_by(KEY).agg(pl.all().last())
    latest = latest.with_columns(pl.col("area_type").replace_strict(order, return_dtype=pl.Int32).alias("_kind"))
    first_kind = pl.col("_kind") == pl.col("_kind").min().over("indicator_id")
    return latest.filter(first_kind).drop("_kind")


def profile(store: Store, code: str, area_type: str, topic: str = ALL_TOPICS) -> pl.DataFrame:
    """The area's profile (see `full_profile`), limited to one topic unless topic is "all"."""
    return profile_topic(full_profile(store, code, area_type), topic)


def profile_topic(frame: pl.DataFrame, topic: str | None) -> pl.DataFrame:
    if frame.is_empty() or not topic or topic == ALL_TOPICS:
        return frame
    return frame.filter(pl.col("topic") == topic)


@per_store(maxsize=256)
def full_profile(store: Store, code: str, area_type: str) -> pl.DataFrame:
    """One row per indicator (per sex where only sexes are published) for the area.

    Columns: row_id, indicator_id, title, short_title, topic, unit, multiplier, value_type,
    polarity, area_code, area_type (the kind the indicator is compared across), sex, age,
    category, breakdown (plain label), period ... value, lower/upper_ci95/998, count, denominator,
    status, note, n_areas, minimum, q25, q75, maximum, england_value (+ limits, count,
    denominator), parent_code, parent_value, comparison_england (Fingertips method 1 with the
    99.8% level), comparison_parent, trend, trend_reason. Sorted by topic then title.
    """
    t = tables(store)
    kinds = profile_areas.related_types(store, code, area_type)
    rows = area_rows(store, code, kinds)
    latest = latest_rows(rows, kinds)
    if latest.is_empty():
        return pl.DataFrame()
    frame = latest.join(t.meta, on="indicator_id", how="left")
    frame = (frame.join(t.spread, on=["indicator_id", "area_type", "sex", "period"], how="left")
             .join(t.england, on=JOIN, how="left", nulls_equal=True))
    frame = _with_parent(store, frame, code, area_type)
    polarity = frame["polarity"]
    frame = frame.with_columns(
        stats.compare(frame["value"], frame["lower_ci95"], frame["upper_ci95"], frame["england_value"],
                      polarity, frame["lower_ci998"], frame["upper_ci998"]).alias("comparison_england"),
        stats.compare(frame["value"], frame["lower_ci95"], frame["upper_ci95"], frame["parent_value"],
                      polarity, frame["lower_ci998"], frame["upper_ci998"]).alias("comparison_parent"),
        _breakdown_label().alias("breakdown"),
        pl.when(pl.col("sex") == "Persons").then(pl.col("indicator_id"))
        .otherwise(pl.col("indicator_id") + ":" + pl.col("sex").str.to_lowercase()).alias("row_id"))
    trends = _trends(t, rows, frame)
    return (frame.join(trends, on=["indicator_id", "area_type", "sex"], how="left")
            .sort("topic", "title", "sex"))


def _breakdown_label() -> pl.Expr:
    parts = [pl.when(pl.col("sex") != "Persons").then(pl.col("sex")),
             pl.when((pl.col("age") != "All ages") & ~pl.col("short_title").str.contains(pl.col("age"), literal=True))
             .then("aged " + pl.col("age")),
             pl.when(pl.col("category").is_not_null()).then(pl.col("category"))]
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)


def _with_parent(store: Store, frame: pl.DataFrame, code: str, area_type: str) -> pl.DataFrame:
    parent, kind = profile_areas.parent_of(store, code, area_type)
    empty = [pl.lit(None, pl.Float64).alias(c) for c in ("parent_value", "parent_lower", "parent_upper")]
    if parent is None:
        return frame.with_columns(pl.lit(None, pl.String).alias("parent_code"), *empty)
    prows = tables(store).by_area.get(parent)
    if prows is None:
        return frame.with_columns(pl.lit(parent).alias("parent_code"), *empty)
    prows = prows.filter(pl.col("area_type") == kind).select(
        *JOIN, pl.col("value").alias("parent_value"), pl.col("lower_ci95").alias("parent_lower"),
        pl.col("upper_ci95").alias("parent_upper")).unique(JOIN, keep="last")
    return frame.join(prows, on=JOIN, how="left", nulls_equal=True).with_columns(
        pl.lit(parent).alias("parent_code"))


def consecutive_index(starts: list, ends: list, period_types: list) -> list[float]:
    """Positions of a series' periods (oldest first) on a scale where consecutive periods are one
    apart, for the trend test's "consecutive" check: the next period starts the day after the
    previous one ends, or (rolling multi-year periods such as 2016-18, 2017-19) one year after it
    started. Any other step is a gap (2 apart); weekly and one-off data are never consecutive."""
    out: list[float] = []
    for i, (start, kind) in enumerate(zip(starts, period_types, strict=True)):
        if kind not in YEARLY | {"quarter", "month"} or start is None:
            return [float("nan")] * len(starts)
        if i == 0:
            out.append(0.0)
            continue
        prev_start, prev_end = starts[i - 1], ends[i - 1]
        adjacent = prev_end is not None and (start - prev_end).days == 1
        rolling = kind.startswith("multi") and (start.year - prev_start.year == 1) and start.month == prev_start.month
        out.append(out[-1] + (1.0 if adjacent or rolling else 2.0))
    return out


def _trends(t: Tables, rows: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Fingertips' recent trend (last 5 points) of each profile row's series."""
    group = ["indicator_id", "area_type", "sex"]
    schema = {"indicator_id": pl.String, "area_type": pl.String, "sex": pl.String,
              "trend": pl.String, "trend_reason": pl.String}
    wanted = frame.select(*KEY, "polarity")
    tail = stats.trend.POINTS_TO_USE + 1  # one extra point: a break on the oldest of 5 is allowed
    series = (rows.filter(pl.col("value").is_not_null())
              .join(wanted.select(KEY), on=KEY, how="semi", nulls_equal=True)
              .group_by(group, maintain_order=True)
              .agg(pl.len().alias("n"), pl.col("area_code").first(),
                   *[pl.col(c).tail(tail) for c in ("period", "period_type", "period_start", "period_end",
                                                     "value", "lower_ci95", "upper_ci95")])
              .join(wanted.select(*group, "polarity"), on=group, how="left"))
    out = []
    for r in series.iter_rows(named=True):
        key = (r["indicator_id"], r["area_type"], r["sex"])
        index = consecutive_index(r["period_start"], r["period_end"], r["period_type"])
        if r["n"] < stats.trend.POINTS_TO_USE:
            out.append((*key, stats.trend.CANNOT, f"fewer than {stats.trend.POINTS_TO_USE} points ({r['n']})"))
            continue
        if not index or index[-1] != index[-1]:  # NaN: weekly or one-off periods
            out.append((*key, stats.trend.CANNOT, "weekly or one-off data"))
            continue
        broken = t.breaks.get(r["indicator_id"], ())
        flags = [any(p == bp and bc in (None, r["area_code"]) and bt in (None, r["area_type"])
                     for bc, bt, bp in broken) for p in r["period"]] if broken else None
        result = stats.recent_trend(np.array(r["value"], dtype=float), np.array(r["lower_ci95"], dtype=float),
                                    np.array(r["upper_ci95"], dtype=float), r["polarity"], flags,
                                    periods=np.array(index, dtype=float))
        reason = (result.reason or "").replace("consecutive years", "consecutive periods") or None
        out.append((*key, result.label, reason))
    return pl.DataFrame(out, schema=schema, orient="row")


def needs_attention(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows significantly worse than England (95% or 99.8%) whose recent trend is getting worse."""
    if frame.is_empty():
        return frame
    return frame.filter(pl.col("comparison_england").is_in(WORSE), pl.col("trend").is_in(GETTING_WORSE))


def worse_without_trend(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows worse than England whose trend could not be judged (shown beside needs_attention)."""
    if frame.is_empty():
        return frame
    return frame.filter(pl.col("comparison_england").is_in(WORSE), ~pl.col("trend").is_in(GETTING_WORSE))


def trend_counts(frame: pl.DataFrame) -> dict:
    """How many rows have a recent trend that could be calculated."""
    if frame.is_empty():
        return {"rows": 0, "with_trend": 0}
    return {"rows": frame.height, "with_trend": int((frame["trend"].fill_null(stats.trend.CANNOT)
                                                    != stats.trend.CANNOT).sum())}


def chance_summary(frame: pl.DataFrame, column: str = "comparison_england") -> dict:
    """How many rows differ significantly from the benchmark, and how many would by chance alone
    if the area were typical on every indicator (5% at the 95% level, 0.2% at 99.8%)."""
    if frame.is_empty() or column not in frame.columns:
        return {"compared": 0, "significant": 0, "expected": 0.0, "significant_998": 0, "expected_998": 0.0}
    labels = frame[column].fill_null("not compared")
    compared = int((labels != "not compared").sum())
    significant = int(labels.is_in(["better", "worse", "best", "worst", "higher", "lower"]).sum())
    strong = int(labels.is_in(["best", "worst"]).sum())
    return {"compared": compared, "significant": significant, "expected": round(0.05 * compared, 1),
            "significant_998": strong, "expected_998": round(0.002 * compared, 2)}


def with_benchmark(frame: pl.DataFrame, benchmark: str) -> pl.DataFrame:
    """Add benchmark_value and comparison for the chosen benchmark (england, parent or peers; peers
    needs the peer columns from `profile_peers.add_peer_columns`)."""
    if frame.is_empty():
        return frame
    if benchmark == "parent":
        return frame.with_columns(pl.col("parent_value").alias("benchmark_value"),
                                  pl.col("comparison_parent").alias("comparison"))
    if benchmark == "peers" and "peer_average" in frame.columns:
        return frame.with_columns(pl.col("peer_average").alias("benchmark_value"),
                                  pl.col("peer_comparison").alias("comparison"))
    return frame.with_columns(pl.col("england_value").alias("benchmark_value"),
                              pl.col("comparison_england").alias("comparison"))


def spine_data(frame: pl.DataFrame) -> pl.DataFrame:
    """The columns `charts.spine_figure` needs, one row per profile row (row_id as the key), the
    chosen benchmark at the centre. Rows with no spread (one area) or no benchmark value for the
    period are left out (the table still lists them)."""
    if frame.is_empty():
        return frame
    label = pl.when(pl.col("breakdown") != "").then(
        pl.col("short_title") + " (" + pl.col("breakdown") + ")").otherwise(pl.col("short_title"))
    return frame.filter(pl.col("n_areas") > 1, pl.col("benchmark_value").is_not_null()).select(
        pl.col("row_id").alias("indicator_id"), label.alias("short_title"), "title", "polarity", "unit",
        pl.col("value").alias("area_value"), pl.col("benchmark_value").alias("england_value"),
        "minimum", "q25", "q75", "maximum", "comparison")


def topics_for(store: Store, code: str, area_type: str) -> list[str]:
    """Topics the area has at least one indicator in (for the topic picker)."""
    kinds = profile_areas.related_types(store, code, area_type)
    rows = area_rows(store, code, kinds)
    if rows.is_empty():
        return []
    ids = rows["indicator_id"].unique().to_list()
    return sorted(tables(store).meta.filter(pl.col("indicator_id").is_in(ids))["topic"].unique().to_list())
