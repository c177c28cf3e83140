"""The coherence page's tables (no Streamlit): the side-by-side comparison (the chart's text
alternative and CSV), all overlaps at a glance with links, and the "not the same as" pairs."""

from __future__ import annotations

import polars as pl

from explorer.coherence import overview
from explorer.queries.catalogue import per_store
from explorer.queries.indicator_detail import not_same_as_pairs
from explorer.store import Store


def comparison_table(rows: pl.DataFrame, label_a: str, label_b: str) -> pl.DataFrame:
    """Side-by-side values, the text alternative to the chart (and the CSV download)."""
    def interval(side: str) -> pl.Expr:
        return (pl.when(pl.col(f"lower_{side}").is_not_null())
                .then(pl.format("{} to {}", pl.col(f"lower_{side}").round(2), pl.col(f"upper_{side}").round(2)))
                .otherwise(pl.lit("not published")))

    breakdown = [c for c in ("sex", "age", "category") if rows[c].n_unique() > 1]
    return rows.select(
        pl.col("area_name").alias("Area"), pl.col("area_code").alias("Code"), *breakdown,
        pl.col("period_a").alias(f"{label_a}: period"), pl.col("value_a").round(3).alias(f"{label_a}: value"),
        interval("a").alias(f"{label_a}: 95% interval"),
        pl.col("period_b").alias(f"{label_b}: period"), pl.col("value_b").round(3).alias(f"{label_b}: value"),
        interval("b").alias(f"{label_b}: 95% interval"),
        pl.col("difference").round(3).alias("Difference"),
        pl.col("relative_difference").round(1).alias("Difference (%)"),
        pl.col("intervals").alias("Intervals"),
    ).rename({c: c.capitalize() for c in breakdown})


@per_store
def overview_table(store: Store) -> pl.DataFrame:
    """All overlaps at a glance, with a link to each comparison."""
    return overview(store).select(
        pl.col("title").alias("Measure"),
        pl.concat_str(pl.lit("/coherence?i="), pl.col("indicator_id")).alias("Compare"),
        pl.col("level").alias("Compared at"),
        pl.col("periods").alias("Periods"),
        pl.col("areas").alias("Areas"),
        pl.col("mean_difference").round(3).alias("Average difference"),
        pl.col("mean_abs_relative").round(2).alias("Average size of difference (%)"),
        pl.when(pl.col("share_beyond").is_null()).then(pl.lit("no intervals"))
        .otherwise(pl.format("{}%", (pl.col("share_beyond") * 100).round(0).cast(pl.Int64)))
        .alias("Beyond intervals"),
        pl.col("main_reason").alias("Main reason"),
        pl.concat_str(pl.col("a"), pl.lit(" and "), pl.col("b")).alias("Published by"),
    )


def not_same_as_table(store: Store) -> pl.DataFrame:
    """The catalogue's "similar name, different measure" pairs, each with why they differ."""
    return not_same_as_pairs(store).select(
        pl.col("title").alias("Measure"),
        pl.concat_str(pl.lit("/indicator?i="), pl.col("indicator_id")).alias("Link"),
        pl.col("other_title").alias("Is not the same as"),
        pl.when(pl.col("other_held")).then(pl.concat_str(pl.lit("/indicator?i="), pl.col("other_id")))
        .alias("Other link"),
        pl.col("why").alias("Because the other is"), pl.col("producers").alias("Published by"))
