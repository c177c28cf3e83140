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


def add_intervals(values: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """Fill missing 95% and 99.8% limits from count (and denominator) by the indicator's value
    type; label every interval with how it was obtained."""
    kinds = catalogue.select("indicator_id", "value_type", "multiplier")
    frame = values.join(kinds, on="indicator_id", how="left")
    count, denom, mult = pl.col("count"), pl.col("denominator"), pl.col("multiplier")
    has_published = pl.col("lower_ci95").is_not_null() & pl.col("upper_ci95").is_not_null()
    usable = count.is_not_null() & pl.col("value").is_not_null() & (count >= 0)
    proportion = usable & (pl.col("value_type") == "proportion") & (denom > 0) & (count <= denom)
    rate = usable & (pl.col("value_type") == "crude rate") & (denom > 0)

    out = {}
    for level, suffix in ((0.95, "95"), (0.998, "998")):
        w_lo, w_hi = stats.wilson(frame["count"].fill_null(0), frame["denominator"].fill_null(1), level)
        b_lo, b_hi = stats.byar(frame["count"].fill_null(0), level)
        out[suffix] = (w_lo, w_hi, b_lo, b_hi)
    frame = frame.with_columns(
        *[s.alias(f"_{name}{suffix}") for suffix, series in out.items()
          for name, s in zip(("wlo", "whi", "blo", "bhi"), series, strict=True)])

    def limit(col: str, wilson: str, byar: str) -> pl.Expr:
        return (pl.when(pl.col(col).is_not_null()).then(pl.col(col))
                .when(proportion).then(pl.col(wilson) * mult)
                .when(rate).then(pl.col(byar) * mult / denom)
                .otherwise(None)).alias(col)

    method = (
        pl.when(has_published & pl.col("lower_ci998").is_null() & proportion)
        .then(pl.lit("as published; 99.8% recomputed: Wilson score"))
        .when(has_published & pl.col("lower_ci998").is_null() & rate)
        .then(pl.lit("as published; 99.8% recomputed: Byar (exact Poisson below 10)"))
        .when(has_published).then(pl.lit("as published"))
        .when(proportion).then(pl.lit("recomputed: Wilson score"))
        .when(rate).then(pl.lit("recomputed: Byar (exact Poisson below 10)"))
        .otherwise(pl.col("ci_method"))
    )
    frame = frame.with_columns(method.alias("ci_method")).with_columns(
        limit("lower_ci95", "_wlo95", "_blo95"), limit("upper_ci95", "_whi95", "_bhi95"),
        limit("lower_ci998", "_wlo998", "_blo998"), limit("upper_ci998", "_whi998", "_bhi998"))
    return frame.select(values.columns)


def apply_disclosure(values: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """NHS Digital small-number rule for indicators whose metadata flags it; others untouched."""
    flagged = catalogue.filter(pl.col("disclosure_control"))["indicator_id"].to_list()
    if not flagged:
        return values
    mask = pl.col("indicator_id").is_in(flagged)
    controlled = stats.suppress_small_counts(values.filter(mask))
    return pl.concat([values.filter(~mask), controlled.select(values.columns)])
