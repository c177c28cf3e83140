"""The area profile's precomputed tables: written by the build into each store (and by the
benchmark's synthetic stores, with the same function) so the app never aggregates every value.

Which series is "the" indicator for an area kind (its headline breakdown) is decided once per
(indicator, area kind): the breakdown with the most recent period; then a category that is null
or an "All ..." total; then Persons; then the most rows; then "All ages". Indicators published
only by sex (healthy life expectancy) keep one row per sex.

Files (names in `explorer.paths`):

* `profile_headline.parquet`: the headline rows (every period) of every area except England,
  sorted by area_code, then period_start, then their order in values.parquet, in row groups of
  ROW_GROUP_SIZE rows: one area's rows are one contiguous row range (`queries.profile_rows`).
  Each row also carries its series' Fingertips recent trend and the reason when it cannot be
  calculated (`explorer.profile_trend`, from the series' values, the indicator's polarity and
  the breaks in series), and `cell_id`, a number for its (indicator, breakdown, kind, period).
* `profile_spread.parquet`: per (indicator_id, area_type, sex, period) the number of areas,
  lowest, 25th and 75th percentiles (interpolated at (N-1)p, Fingertips' legacy method) and
  highest value. Where a period holds both published rows and rows we re-estimated onto newer
  boundaries (CCGs in 2019/20), the spread uses the published rows only (no place counted twice).
* `profile_england.parquet`: England's headline rows per (indicator_id, sex, age, category,
  period): the producer's figure (or the store's "aggregated" sum); for proportions and crude
  rates with no England figure at all, the sum of every current area's counts over their
  denominators, when every area of the kind has both (`summed_n` areas of kind `summed_type`;
  the app words `england_source` for these).
* `profile_latest.parquet`: what an area's profile shows, one row per area and headline series:
  the series' latest row with a value (or its last row when no period has one), with the
  spread of its cell (SPREAD_COLUMNS) and England's figures for its period (ENGLAND_COLUMNS)
  already joined; sorted and grouped like the headline file (small row groups: an area is read
  by row range without picking the latest period or joining anything).
* `profile_peer_values.parquet`: the values an area can be compared with its peers on: every
  headline row with a value whose cell is some area's latest (area_code, cell_id, value,
  count, denominator), sorted by area like the headline file. Small enough (a fifth of the
  headline values at 10M) to hold in memory, so a peer group is ten zero-copy slices.

Everything is computed with streaming passes over the values: the headline keys and the
aggregates are small, and the headline rows go through an unsorted temporary file and are sorted
in batches of areas of at most SORT_BATCH_ROWS rows, so a 10-million-row store needs a few
hundred MB rather than several GB. No Streamlit, no Store: a LazyFrame of values in, files out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from explorer import paths, profile_trend, stats
from explorer.geography.codes import ENGLAND
from explorer.values_by_area import whole_area_batches

KEY = ["indicator_id", "area_type", "sex", "age", "category"]
JOIN = ["indicator_id", "sex", "age", "category", "period"]
SPREAD_KEY = ["indicator_id", "area_type", "sex", "period"]
VALUE_COLUMNS = ["period", "period_start", "period_end", "period_type", "value", "lower_ci95", "upper_ci95",
                 "lower_ci998", "upper_ci998", "count", "denominator", "status", "note"]
HEADLINE_COLUMNS = ["area_code", *KEY, *VALUE_COLUMNS]
TREND_COLUMNS = ["trend", "trend_reason"]  # the series' recent trend, on each of its rows
# A cell: one indicator, breakdown and period, across areas. cell_id numbers them (densely, in
# the file's sort order of the cells) so the app matches an area's rows with its peers' by integer.
CELL = ["indicator_id", "area_type", "sex", "age", "category", "period"]
SPREAD_COLUMNS = ["n_areas", "minimum", "q25", "q75", "maximum"]
ENGLAND_COLUMNS = ["england_value", "england_lower", "england_upper", "england_count", "england_denominator",
                   "england_source", "summed_n", "summed_type"]
PEER_COLUMNS = ["area_code", "cell_id", "value", "count", "denominator"]
FILES = (paths.PROFILE_HEADLINE, paths.PROFILE_SPREAD, paths.PROFILE_ENGLAND, paths.PROFILE_LATEST,
         paths.PROFILE_PEERS)
ROW_GROUP_SIZE = 8_192  # an area holds ~200 headline rows (real store) to ~5,000 (10M synthetic)
LATEST_ROW_GROUP_SIZE = 2_048  # and ~50 to ~1,300 latest rows
SORT_BATCH_ROWS = 500_000  # headline rows sorted (and their trends computed) in memory at once
UNSORTED = ".profile_headline_unsorted.parquet"


def present(store_dir: Path | str) -> bool:
    """True when the store directory holds all three profile files (older builds do not)."""
    return all((Path(store_dir) / name).exists() for name in FILES)


def is_england() -> pl.Expr:
    return (pl.col("area_type") == "england") | (pl.col("area_code") == ENGLAND)


def headline_keys(series: pl.DataFrame) -> pl.DataFrame:
    """KEY of each indicator's headline series per kind, from one row per series with a value:
    KEY, latest (its newest period_start) and rows (how many values it has)."""
    total = pl.col("category").is_null() | pl.col("category").str.contains(r"^(All|Total)\b")
    breakdown = (series.group_by("indicator_id", "area_type", "age", "category")
                 .agg(pl.col("latest").max(), pl.col("rows").sum(), (pl.col("sex") == "Persons").any().alias("persons"))
                 .sort(["latest", total, "persons", "rows", pl.col("age") == "All ages", "age"],
                       descending=[True, True, True, True, True, False], nulls_last=True)
                 .unique(["indicator_id", "area_type"], keep="first", maintain_order=True))
    chosen = series.join(breakdown.select("indicator_id", "area_type", "age", "category", "persons"),
                         on=["indicator_id", "area_type", "age", "category"], nulls_equal=True)
    return chosen.filter(~pl.col("persons") | (pl.col("sex") == "Persons")).select(KEY)


def write(values: pl.LazyFrame, indicators: pl.DataFrame, areas: pl.DataFrame, out_dir: Path | str,
          breaks: pl.DataFrame | None = None) -> dict[str, int]:
    """Write the three profile files into out_dir from the store's values (in values.parquet's
    order: the order breaks ties between rows of the same period), catalogue, areas and breaks
    in series. Returns the number of rows in each file."""
    out_dir = Path(out_dir)
    series = (values.filter(pl.col("value").is_not_null()).group_by(KEY)
              .agg(pl.col("period_start").max().alias("latest"), pl.len().alias("rows"))
              .collect(engine="streaming"))
    keys = headline_keys(series)
    unsorted = out_dir / UNSORTED
    try:
        # In values.parquet's order (by indicator), so each batch of indicators reads its row groups only.
        (values.with_row_index("_row").join(keys.lazy(), on=KEY, how="semi", nulls_equal=True, maintain_order="left")
         .select("_row", *HEADLINE_COLUMNS).sink_parquet(unsorted, engine="streaming"))
        headline = pl.scan_parquet(unsorted)
        published = _published_england(headline)
        spreads, summed = [], []
        for first, last in _indicator_batches(series):
            rows = _spread_rows(headline.filter(pl.col("indicator_id").is_between(pl.lit(first), pl.lit(last))))
            spreads.append(rows.group_by(SPREAD_KEY).agg(
                pl.len().alias("n_areas"), pl.col("value").min().alias("minimum"),
                pl.col("value").quantile(0.25, "linear").alias("q25"),
                pl.col("value").quantile(0.75, "linear").alias("q75"), pl.col("value").max().alias("maximum"),
            ).collect(engine="streaming"))
            summed.append(_summed_england(rows, indicators, published, areas))
        spread = pl.concat(spreads).sort(SPREAD_KEY, nulls_last=True)
        england = pl.concat([published, *summed], how="vertical_relaxed").sort(JOIN, nulls_last=True)
        polarity = indicators.select("indicator_id", "polarity")
        cells = (headline.filter(~is_england()).select(CELL).unique().sort(CELL, nulls_last=True)
                 .with_row_index("cell_id").collect(engine="streaming"))

        def finish(frame: pl.DataFrame) -> list[pl.DataFrame]:
            frame = _with_trends(frame, polarity, breaks).join(cells, on=CELL, how="left", nulls_equal=True,
                                                                maintain_order="left")
            return [frame, _latest_rows(frame, spread, england)]

        outs = [(out_dir / paths.PROFILE_HEADLINE, ROW_GROUP_SIZE),
                (out_dir / paths.PROFILE_LATEST, LATEST_ROW_GROUP_SIZE)]
        rows, latest = _write_sorted(headline.filter(~is_england()), outs, finish)
    finally:
        unsorted.unlink(missing_ok=True)
    peers = _write_peer_values(out_dir)
    spread.write_parquet(out_dir / paths.PROFILE_SPREAD)
    england.write_parquet(out_dir / paths.PROFILE_ENGLAND)
    return {paths.PROFILE_HEADLINE: rows, paths.PROFILE_SPREAD: spread.height, paths.PROFILE_ENGLAND: england.height,
            paths.PROFILE_LATEST: latest, paths.PROFILE_PEERS: peers}


def _latest_rows(headline: pl.DataFrame, spread: pl.DataFrame, england: pl.DataFrame) -> pl.DataFrame:
    """Each series' latest row with a value, or its last row when none has one (from rows sorted by
    area and period), with its cell's spread and England's figures joined."""
    series = ["area_code", *KEY]
    i = pl.col("_i")
    last_valued = pl.when(pl.col("value").is_not_null()).then(i).max().over(series)
    picked = headline.with_row_index("_i").filter(i == pl.coalesce(last_valued, i.max().over(series))).drop("_i")
    return (picked.join(spread.select(*SPREAD_KEY, *SPREAD_COLUMNS), on=SPREAD_KEY, how="left", nulls_equal=True,
                        maintain_order="left")
            .join(england.select(*JOIN, *ENGLAND_COLUMNS), on=JOIN, how="left", nulls_equal=True,
                  maintain_order="left"))


def _write_peer_values(out_dir: Path) -> int:
    """profile_peer_values.parquet from the headline and latest files just written (streaming, in
    the headline's order)."""
    cells = (pl.scan_parquet(out_dir / paths.PROFILE_LATEST).filter(pl.col("value").is_not_null())
             .select(pl.col("cell_id").unique()).collect(engine="streaming")["cell_id"])
    out = out_dir / paths.PROFILE_PEERS
    (pl.scan_parquet(out_dir / paths.PROFILE_HEADLINE)
     .filter(pl.col("value").is_not_null(), pl.col("cell_id").is_in(cells.implode()))
     .select(PEER_COLUMNS).sink_parquet(out, statistics=True, engine="streaming"))
    return pl.scan_parquet(out).select(pl.len()).collect().item()


def _indicator_batches(series: pl.DataFrame) -> list[tuple[str, str]]:
    """(first, last) indicator ids of consecutive runs of indicators with at most SORT_BATCH_ROWS
    values between them (every aggregate is within one indicator); one empty run for no values."""
    per_indicator = series.group_by("indicator_id").agg(pl.col("rows").sum()).sort("indicator_id")
    runs: list[list] = []
    size = 0
    for indicator_id, n in per_indicator.iter_rows():
        if not runs or size + n > SORT_BATCH_ROWS:
            runs.append([indicator_id, indicator_id])
            size = 0
        runs[-1][1] = indicator_id
        size += n
    return [(first, last) for first, last in runs] or [("", "")]


def _spread_rows(headline: pl.LazyFrame) -> pl.LazyFrame:
    """Area rows with a value that count towards the spread: published rows only where a period
    also has rows we re-estimated."""
    areas_only = headline.filter(~is_england(), pl.col("value").is_not_null())
    has_published = areas_only.group_by(SPREAD_KEY).agg(
        (pl.col("status") != "re-estimated").any().alias("_published"))
    return (areas_only.join(has_published, on=SPREAD_KEY, nulls_equal=True)
            .filter(~pl.col("_published") | (pl.col("status") != "re-estimated")).drop("_published"))


def _published_england(headline: pl.LazyFrame) -> pl.DataFrame:
    rows = headline.filter(is_england(), pl.col("area_type") == "england").sort("period_start", "_row")
    return rows.select(
        *JOIN, pl.col("value").alias("england_value"), pl.col("lower_ci95").alias("england_lower"),
        pl.col("upper_ci95").alias("england_upper"), pl.col("count").alias("england_count"),
        pl.col("denominator").alias("england_denominator"),
        pl.when(pl.col("status") == "aggregated").then(pl.lit("summed by us from the producer's areas"))
        .otherwise(pl.lit("published")).alias("england_source"),
        pl.lit(None, pl.UInt32).alias("summed_n"), pl.lit(None, pl.String).alias("summed_type"),
    ).collect(engine="streaming").unique(JOIN, keep="last", maintain_order=True)


def _summed_england(rows: pl.LazyFrame, indicators: pl.DataFrame, published: pl.DataFrame,
                    areas: pl.DataFrame) -> pl.DataFrame:
    """England as the sum of every area's count over the sum of denominators, for proportions and
    crude rates the store holds no England figure for, where every current area of a kind (all
    106 sub-ICB locations, say) has both; Wilson or Byar limits. Kinds that mixed boundary
    configurations (CCGs) are never summed: a period could count a place twice."""
    rates = indicators.filter(pl.col("value_type").is_in(["proportion", "crude rate"])).select(
        "indicator_id", "value_type", "multiplier")
    current = areas.filter(pl.col("valid_to").is_null()).group_by("area_type").agg(pl.len().alias("full"))
    groups = (rows.join(rates.lazy(), on="indicator_id").group_by(*KEY, "period").agg(
        pl.len().alias("n"), pl.col("count").is_not_null().all().alias("counts"),
        pl.col("denominator").is_not_null().all().alias("denominators"),
        pl.col("count").sum(), pl.col("denominator").sum(), pl.col("value_type", "multiplier").first())
        .collect(engine="streaming")
        .join(current, on="area_type")
        .filter(pl.col("counts"), pl.col("denominators"), pl.col("denominator") > 0, pl.col("n") == pl.col("full"))
        .join(published, on=JOIN, how="anti", nulls_equal=True)
        .sort(["n", "area_type"], descending=[True, False]).unique(JOIN, keep="first", maintain_order=True))
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
        pl.lit(None, pl.String).alias("england_source"), pl.col("n").cast(pl.UInt32).alias("summed_n"),
        pl.col("area_type").alias("summed_type"))


def _with_trends(rows: pl.DataFrame, polarity: pl.DataFrame, breaks: pl.DataFrame | None) -> pl.DataFrame:
    """The area rows with their series' recent trend (explorer.profile_trend) on every row."""
    found = profile_trend.trends(rows.select(profile_trend.COLUMNS), polarity, breaks)
    return rows.join(found, on=profile_trend.GROUP, how="left", maintain_order="left")


def _write_sorted(rows: pl.LazyFrame, outs: list[tuple[Path, int]],
                  finish: Callable[[pl.DataFrame], list[pl.DataFrame]]) -> list[int]:
    """Sort the area rows by area_code, period_start and values order (`_row`) in batches of whole
    areas, `finish` each batch into one frame per output, and write each output as one file
    (without `_row`) in its row-group size. Returns each file's row count."""
    counts = rows.group_by("area_code").len().sort("area_code").collect(engine="streaming")
    batches = whole_area_batches(counts, SORT_BATCH_ROWS)

    def batch(codes: list[str]) -> list[pl.DataFrame]:
        return finish(rows.filter(pl.col("area_code").is_in(codes)).collect(engine="streaming")
                      .sort("area_code", "period_start", "_row").drop("_row"))

    if len(batches) == 1:
        frames = batch(batches[0])
        for (out, group), frame in zip(outs, frames, strict=True):
            frame.write_parquet(out, row_group_size=group, statistics=True)
        return [frame.height for frame in frames]
    parts = [[out.with_name(f".{out.stem}-{i:04d}.parquet") for out, _ in outs] for i in range(len(batches))]
    heights = [0] * len(outs)
    try:
        for codes, names in zip(batches, parts, strict=True):
            for k, (frame, part) in enumerate(zip(batch(codes), names, strict=True)):
                frame.write_parquet(part)
                heights[k] += frame.height
        for k, (out, group) in enumerate(outs):
            pl.scan_parquet([names[k] for names in parts]).sink_parquet(out, row_group_size=group, statistics=True,
                                                                        engine="streaming")
    finally:
        for part in (p for names in parts for p in names):
            part.unlink(missing_ok=True)
    return heights
