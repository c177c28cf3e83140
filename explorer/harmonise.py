"""Store-wide harmonisation after every source step has run: one value per release chain,
intervals by one method per value type, disclosure control where the metadata asks for it.

No Streamlit here; each function takes and returns Polars frames.
"""

from __future__ import annotations

import polars as pl

from explorer import stats

# What identifies "the same published number" across releases of one source.
VALUE_KEY = ["indicator_id", "source_id", "area_type", "area_code", "period", "sex", "age",
             "category"]
REVISION_SCHEMA = {
    **{k: pl.String for k in VALUE_KEY},
    "old_value": pl.Float64, "new_value": pl.Float64, "old_count": pl.Float64,
    "new_count": pl.Float64, "old_denominator": pl.Float64, "new_denominator": pl.Float64,
    "old_release": pl.String, "new_release": pl.String, "change": pl.Float64,
}
# Differences below this (relative) are rounding between releases, not revisions.
REVISION_TOLERANCE = 1e-9


def release_order(values: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Rank each source's releases from oldest to newest: by stated release date where every
    release of the source has one, else by the latest period the release covers, then name."""
    dates = (reports.with_columns(pl.col("file").str.split("#").list.first().alias("release"))
             .group_by("source_id", "release").agg(pl.col("release_date").max()))
    span = values.group_by("source_id", "release").agg(pl.col("period_end").max().alias("_last"))
    table = span.join(dates, on=["source_id", "release"], how="left")
    complete = table.group_by("source_id").agg(pl.col("release_date").is_not_null().all().alias("_all"))
    table = table.join(complete, on="source_id").with_columns(
        pl.when(pl.col("_all")).then(pl.col("release_date")).otherwise(pl.col("_last")).alias("_when"))
    return table.with_columns(
        pl.struct("_when", "release").rank("ordinal").over("source_id").alias("release_rank")
    ).select("source_id", "release", "release_rank")


def resolve_releases(values: pl.DataFrame, reports: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the latest release of each value; earlier releases that differ become revisions
    (and the kept value's status becomes 'revised' with a note), equal ones are dropped."""
    ranks = release_order(values, reports)
    ranked = values.join(ranks, on=["source_id", "release"], how="left")
    ranked = ranked.with_columns(
        pl.col("release_rank").max().over(VALUE_KEY).alias("_latest"))
    latest = ranked.filter(pl.col("release_rank") == pl.col("_latest"))
    earlier = ranked.filter(pl.col("release_rank") < pl.col("_latest"))
    if earlier.is_empty():
        return latest.drop("release_rank", "_latest"), pl.DataFrame(schema=REVISION_SCHEMA)
    # The previous release is the one just before the latest.
    previous = earlier.filter(pl.col("release_rank") == pl.col("release_rank").max().over(VALUE_KEY))
    pairs = previous.select(*VALUE_KEY, pl.col("value").alias("old_value"),
                            pl.col("count").alias("old_count"),
                            pl.col("denominator").alias("old_denominator"),
                            pl.col("release").alias("old_release")).join(
        latest.select(*VALUE_KEY, pl.col("value").alias("new_value"),
                      pl.col("count").alias("new_count"),
                      pl.col("denominator").alias("new_denominator"),
                      pl.col("release").alias("new_release")),
        on=VALUE_KEY, how="inner", nulls_equal=True)
    differs = (
        (pl.col("old_value") - pl.col("new_value")).abs()
        > REVISION_TOLERANCE * pl.max_horizontal(pl.col("old_value").abs(), pl.col("new_value").abs(), 1)
    ) | (pl.col("old_value").is_null() != pl.col("new_value").is_null())
    revisions = pairs.filter(differs.fill_null(False)).with_columns(
        (pl.col("new_value") - pl.col("old_value")).alias("change")).select(list(REVISION_SCHEMA))
    marked = revisions.select(*VALUE_KEY, pl.col("old_value"), pl.col("old_release"))
    kept = latest.drop("release_rank", "_latest").join(marked, on=VALUE_KEY, how="left",
                                                        nulls_equal=True)
    revised = pl.col("old_release").is_not_null()
    kept = kept.with_columns(
        pl.when(revised & (pl.col("status") == "published")).then(pl.lit("revised"))
        .otherwise(pl.col("status")).alias("status"),
        pl.when(revised).then(pl.concat_str([
            pl.col("note").fill_null("").str.strip_chars(),
            pl.format("Revised: the earlier release ({}) gave {}.", pl.col("old_release"),
                      pl.col("old_value").round(4).cast(pl.String).fill_null("no value"))],
            separator=" ").str.strip_chars()).otherwise(pl.col("note")).alias("note"),
    ).drop("old_value", "old_release")
    return kept, revisions


# Value types whose intervals the build recomputes from counts. Counts themselves are left
# without intervals: they are complete administrative totals here, not samples or rates.
RECOMPUTED_TYPES = ("proportion", "crude rate", "indirectly standardised ratio")


def add_intervals(values: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Fill missing 95% and 99.8% limits from count (and denominator) by the indicator's value
    type with `stats.ci_for_frame` (its docstring has the exact rules); every interval is
    labelled with how it was obtained."""
    kinds = catalogue.select("indicator_id", "value_type", "multiplier")
    frame = values.with_row_index("_order").join(kinds, on="indicator_id", how="left")
    published = pl.col("lower_ci95").is_not_null() & pl.col("upper_ci95").is_not_null()
    parts = []
    for (value_type, multiplier), group in frame.group_by("value_type", "multiplier"):
        if value_type in RECOMPUTED_TYPES:
            group = stats.ci_for_frame(group, value_type, multiplier)
        else:
            group = group.with_columns(
                pl.when(published & pl.col("ci_method").is_null()).then(pl.lit("as published"))
                .otherwise(pl.col("ci_method")).alias("ci_method"))
        parts.append(group.select("_order", *values.columns))
    return pl.concat(parts).sort("_order").drop("_order")


def apply_disclosure(values: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """NHS Digital small-number rule for indicators whose metadata flags it; others untouched."""
    flagged = catalogue.filter(pl.col("disclosure_control"))["indicator_id"].to_list()
    if not flagged:
        return values
    mask = pl.col("indicator_id").is_in(flagged)
    # An indicator whose value is a count (no separate count column) is controlled on its value.
    count_valued = catalogue.filter(pl.col("value_type") == "count")["indicator_id"].to_list()
    controlled = stats.control_flagged(values.filter(mask), flagged, count_valued)
    return pl.concat([values.filter(~mask), controlled.select(values.columns)])


UNITARY_PREFIXES = ("E06", "E08", "E09")  # unitaries, metropolitan districts, London boroughs


def fill_unitary_tiers(values: pl.DataFrame) -> pl.DataFrame:
    """A unitary authority is both an upper- and a lower-tier area. Producers list it under one
    tier or the other; copy it into the other tier for indicators that are published at both, so
    a lower-tier map or table has no holes where unitaries are."""
    unitary = pl.col("area_code").str.slice(0, 3).is_in(list(UNITARY_PREFIXES))
    tiers = values.filter(pl.col("area_type").is_in(["utla", "ltla"]))
    if tiers.is_empty():
        return values
    has = tiers.group_by("indicator_id", "source_id").agg(
        (pl.col("area_type") == "utla").any().alias("_utla"),
        (pl.col("area_type") == "ltla").any().alias("_ltla"))
    both = has.filter(pl.col("_utla") & pl.col("_ltla")).select("indicator_id", "source_id")
    candidates = tiers.filter(unitary).join(both, on=["indicator_id", "source_id"], how="semi")
    copies = candidates.with_columns(
        pl.when(pl.col("area_type") == "utla").then(pl.lit("ltla")).otherwise(pl.lit("utla"))
        .alias("area_type"))
    # A unitary published in both tiers (two files of one source) is already there: no copy.
    key = ["indicator_id", "source_id", "area_type", "area_code", "period", "sex", "age", "category"]
    new = copies.join(values, on=key, how="anti", nulls_equal=True)
    return pl.concat([values, new]) if new.height else values
