"""The area profile: one row per indicator for one area, against England, its parent and the
spread of all areas of its kind, with the recent trend. No Streamlit here.

Everything that does not depend on the chosen area is precomputed by the build
(`explorer.profile_tables`: which breakdown is an indicator's headline series, the spread of all
areas, England's figures, each series' recent trend) and read once per store (`tables`); one
area's headline rows are read on demand from the area-sorted profile_headline.parquet
(`queries.profile_rows`), and what the profile shows of them (each series' latest value with its
spread and England's figure already joined) from profile_latest.parquet, read the same way; the
values peers are compared on are held in memory (profile_peer_values.parquet), and so are the
parents' figures in the periods profiles show. A store without these files (built before they
existed) gets them computed once into a temporary directory with the same function. A profile
is then one read by row range, a filter and a join with the parent's figures.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from explorer import paths, profile_tables, stats
from explorer.profile_tables import ENGLAND_COLUMNS, JOIN, KEY, SPREAD_COLUMNS, TREND_COLUMNS, VALUE_COLUMNS
from explorer.queries import profile_areas
from explorer.queries.profile_cache import per_store
from explorer.queries.profile_rows import AreaFile, Sliced
from explorer.store import Store

YEARLY = {"financial_year", "calendar_year", "multi_year", "multi_financial_year", "point"}
WORSE = ("worse", "worst")
GETTING_WORSE = (stats.trend.INCREASING_WORSE, stats.trend.DECREASING_WORSE)
ALL_TOPICS = "all"
META_COLUMNS = ["title", "short_title", "topic", "unit", "multiplier", "value_type", "polarity"]
# England's figures as the profile shows them (summed_n and summed_type are worded in england_source).
ENGLAND_FIGURES = [c for c in ENGLAND_COLUMNS if c not in ("england_source", "summed_n", "summed_type")]


@dataclass(frozen=True)
class Tables:
    """Per-store precomputed tables (never mutated)."""

    by_area: Sliced | AreaFile  # area_code -> that area's headline rows, oldest first
    spread: pl.DataFrame  # indicator_id, area_type, sex, period -> n_areas, minimum, q25, q75, maximum
    england: pl.DataFrame  # England's headline rows
    meta: pl.DataFrame  # catalogue columns the profile needs
    breaks: dict[str, list[tuple]]  # indicator_id -> [(area_code or None, area_type or None, period)]
    latest: Sliced | AreaFile  # area_code -> each of its series' latest row, spread and England joined
    peer_values: Sliced  # area_code -> cell_id, value, count, denominator of its rows peers are compared on
    parents: dict[tuple[str, str], pl.DataFrame]  # (parent code, kind) -> its figures by JOIN (`_parents`)


@per_store
def tables(store: Store) -> Tables:
    """The store's profile files: spread, England and the catalogue in memory; the headline rows
    in memory for an eager store, read by area on demand for a lazy one."""
    root, workdir = Path(store.path), None
    if not profile_tables.present(root):  # an older build: compute them once, with the build's function
        workdir = tempfile.TemporaryDirectory(prefix="explorer-profile-")
        root = Path(workdir.name)
        profile_tables.write(store.scan(), store.indicators(), store.areas(), root, store.table("breaks"))
    headline, latest = root / paths.PROFILE_HEADLINE, root / paths.PROFILE_LATEST
    by_area = (AreaFile(headline, keep=workdir) if store.lazy
               else Sliced(pl.read_parquet(headline), "area_code"))
    latest_by_area = (AreaFile(latest, keep=workdir) if store.lazy
                      else Sliced(pl.read_parquet(latest), "area_code"))
    peer_values = Sliced.read(root / paths.PROFILE_PEERS, "area_code")
    parents = _parents(store, by_area, latest)
    england = pl.read_parquet(root / paths.PROFILE_ENGLAND)
    england = england.with_columns(_england_source()).drop("summed_n", "summed_type")
    spread = pl.read_parquet(root / paths.PROFILE_SPREAD)
    if workdir is not None and not store.lazy:
        workdir.cleanup()
    meta = store.indicators().select(
        "indicator_id", "title", "short_title", "topic", "unit", "multiplier", "value_type", "polarity")
    breaks: dict[str, list[tuple]] = {}
    table = store.table("breaks")
    if not table.is_empty():
        for ind, code, kind, period in table.select("indicator_id", "area_code", "area_type", "period").iter_rows():
            breaks.setdefault(ind, []).append((code, kind, period))
    return Tables(by_area, spread, england, meta, breaks, latest_by_area, peer_values, parents)


def _parents(store: Store, by_area: Sliced | AreaFile, latest: Path) -> dict[tuple[str, str], pl.DataFrame]:
    """Each parent's (ICB, NHS region, region) headline value and 95% limits by JOIN, for the kind
    it is a parent as (the last row of each JOIN), read once for every parent of an area in the
    area table. Only the JOIN keys some area's profile shows are kept (each series' latest
    period): a region holds ~15,000 headline rows at 10M values, of which a few hundred are ever
    looked up, so the per-area join is against a few hundred rows."""
    table = profile_areas.area_table(store)
    pairs = {profile_areas.parent_of(store, c, k) for c, k in zip(table["area_code"], table["area_type"], strict=True)}
    pairs = sorted(p for p in pairs if p[0] is not None and p[0] in by_area)
    if not pairs:
        return {}
    shown = (pl.scan_parquet(latest).filter(pl.col("value").is_not_null()).select(JOIN).unique()
             .collect(engine="streaming"))
    periods = shown["period"].unique().implode()
    # One parent at a time (all at once held ~150 MB more at 10M values, for a result of ~15 MB).
    parts = [by_area.scan([code])[0].select("area_code", "area_type", *JOIN, "value", "lower_ci95", "upper_ci95")
             .filter(pl.col("area_type") == kind, pl.col("period").is_in(periods)).collect()
             .join(shown, on=JOIN, how="semi", nulls_equal=True, maintain_order="left") for code, kind in pairs]
    rows = (pl.concat(parts, how="vertical_relaxed")
            .unique(["area_code", "area_type", *JOIN], keep="last", maintain_order=True)
            .select("area_code", "area_type", *JOIN, pl.col("value").alias("parent_value"),
                    pl.col("lower_ci95").alias("parent_lower"), pl.col("upper_ci95").alias("parent_upper")))
    out = {pair: rows.clear().drop("area_code", "area_type") for pair in pairs}  # held, none of the kind: no rows
    for (code, kind), part in rows.partition_by("area_code", "area_type", as_dict=True).items():
        out[(code, kind)] = part.drop("area_code", "area_type")
    return out


def _england_source() -> pl.Expr:
    """england_source, with England figures we summed from every area worded from summed_n/_type."""
    summed = pl.format("summed by us from all {} {}", pl.col("summed_n"), pl.col("summed_type").replace_strict(
        profile_areas.PLURAL, default=pl.col("summed_type")))
    return pl.coalesce("england_source", summed).alias("england_source")


def area_rows(store: Store, code: str, kinds: list[str]) -> pl.DataFrame:
    """The area's headline rows (every period) for the given kinds of area."""
    frame = tables(store).by_area.get(code)
    if frame is None:
        return pl.DataFrame(schema={"area_code": pl.String, **{c: pl.String for c in KEY}})
    return frame.filter(pl.col("area_type").is_in(kinds))


def series_rows(store: Store, code: str, kinds: list[str]) -> pl.DataFrame:
    """One row per headline series of the area for the given kinds (profile_latest.parquet): its
    latest row with a value (or its last row when none has a value), spread and England joined."""
    frame = tables(store).latest.get(code)
    if frame is None:
        return pl.DataFrame(schema={"area_code": pl.String, **{c: pl.String for c in KEY}})
    return frame.filter(pl.col("area_type").is_in(kinds))


def latest_rows(rows: pl.DataFrame, kinds: list[str]) -> pl.DataFrame:
    """The `series_rows` with a value; an indicator held for several of the area's kinds keeps the
    first kind in `kinds` (the chosen one)."""
    if rows.is_empty():
        return rows
    rows = rows.filter(pl.col("value").is_not_null())
    if rows.is_empty() or len(kinds) == 1:
        return rows
    order = {k: i for i, k in enumerate(kinds)}
    kind = pl.col("area_type").replace_strict(order, return_dtype=pl.Int32)
    return rows.filter(kind == kind.min().over("indicator_id"))


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
    99.8% level), comparison_parent, trend, trend_reason, cell_id (the row's indicator, breakdown
    and period, numbered by the build: peers' rows for it share it). Sorted by topic then title.
    """
    t = tables(store)
    kinds = profile_areas.related_types(store, code, area_type)
    latest = latest_rows(series_rows(store, code, kinds), kinds)
    if latest.is_empty():
        return pl.DataFrame()
    frame = latest.join(t.meta, on="indicator_id", how="left", maintain_order="left").select(
        *KEY, "area_code", *VALUE_COLUMNS, *META_COLUMNS, *SPREAD_COLUMNS, *ENGLAND_FIGURES, _england_source(),
        *TREND_COLUMNS, "cell_id")
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
    trend = TREND_COLUMNS  # precomputed per series by the build, last in the frame
    return frame.select(pl.exclude(*trend, "cell_id"), *trend, "cell_id").sort(
        "topic", "title", "sex", maintain_order=True)


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
    prows = tables(store).parents.get((parent, kind))
    if prows is None:  # a parent of an area outside the area table
        prows = _parent_rows(store, parent, kind)
    if prows is None:
        return frame.with_columns(pl.lit(parent).alias("parent_code"), *empty)
    return frame.join(prows, on=JOIN, how="left", nulls_equal=True).with_columns(pl.lit(parent).alias("parent_code"))


@per_store(maxsize=32)
def _parent_rows(store: Store, parent: str, kind: str) -> pl.DataFrame | None:
    """The parent's headline value and 95% limits by JOIN (the latest row of each), for its kind."""
    held = tables(store).by_area.scan([parent])  # a lazy store reads only these columns of its rows
    if not held:
        return None
    return held[0].select("area_type", *JOIN, "value", "lower_ci95", "upper_ci95").collect().filter(
        pl.col("area_type") == kind).select(
        *JOIN, pl.col("value").alias("parent_value"), pl.col("lower_ci95").alias("parent_lower"),
        pl.col("upper_ci95").alias("parent_upper")).unique(JOIN, keep="last")


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


# A spine chart is read row by row; past this many rows (a national-scale catalogue with every
# topic at once) it stops being readable and costs the page ~40 ms per 1,000 rows to draw, so the
# chart shows the first rows and the page asks for a topic (the table still lists every row).
SPINE_MAX_ROWS = 150


def spine_shown(spine: pl.DataFrame) -> pl.DataFrame:
    """The rows of `spine_data` the chart draws (at most SPINE_MAX_ROWS, in profile order)."""
    return spine.head(SPINE_MAX_ROWS)


def topics_for(store: Store, code: str, area_type: str) -> list[str]:
    """Topics the area has at least one indicator in (for the topic picker)."""
    kinds = profile_areas.related_types(store, code, area_type)
    rows = series_rows(store, code, kinds)  # every series the area has rows for, with a value or not
    if rows.is_empty():
        return []
    topic = _topic_of(store)
    return sorted({topic[i] for i in rows["indicator_id"].unique().to_list() if i in topic})


@per_store
def _topic_of(store: Store) -> dict[str, str]:
    """indicator_id -> topic, from the catalogue."""
    return dict(tables(store).meta.select("indicator_id", "topic").iter_rows())
