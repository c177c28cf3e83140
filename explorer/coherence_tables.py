"""The coherence page's tables (no Streamlit): the side-by-side comparison (the chart's text
alternative and CSV), all overlaps at a glance (`overview`, one compare() per overlapping
indicator) with links, and the "not the same as" pairs."""

from __future__ import annotations

import polars as pl

from explorer.coherence import Comparison, compare, overlapping_indicators, publisher_label, summarise
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


# --- all overlaps at a glance -----------------------------------------------------------------------
@per_store
def overview(store: Store) -> pl.DataFrame:
    """One row per overlapping indicator: who publishes it, how it is compared, the headline
    differences and the main reason."""
    rows = []
    for indicator_id in overlapping_indicators(store):
        comp = compare(store, indicator_id)
        if comp is None:
            continue
        s = comp.summary() if comp.pairs else summarise(comp.rows)
        la, lb = publisher_label(comp.a, comp.b, comp.a), publisher_label(comp.a, comp.b, comp.b)
        rows.append({
            "indicator_id": indicator_id, "title": comp.title, "a": la, "b": lb,
            "level": {"areas": "Same areas", "england": "England total", "none": "Not comparable"}[
                comp.level if comp.pairs else "none"],
            "periods": (f"{comp.pairs[0][0]}" if comp.pairs and comp.pairs[0][0] == comp.pairs[0][1]
                        else f"{comp.pairs[0][0]} vs {comp.pairs[0][1]}" if comp.pairs else "no common period"),
            "period_match": comp.period_match, "areas": s["areas"],
            "mean_difference": s["mean_difference"], "mean_abs_difference": s["mean_abs_difference"],
            "mean_abs_relative": s["mean_abs_relative"], "share_beyond": s["share_beyond"],
            "main_reason": _main_reason(comp),
        })
    schema_ = {"indicator_id": pl.String, "title": pl.String, "a": pl.String, "b": pl.String,
               "level": pl.String, "periods": pl.String, "period_match": pl.String, "areas": pl.Int64,
               "mean_difference": pl.Float64, "mean_abs_difference": pl.Float64,
               "mean_abs_relative": pl.Float64, "share_beyond": pl.Float64, "main_reason": pl.String}
    return pl.DataFrame(rows, schema=schema_)


def _main_reason(comp: Comparison) -> str:
    if not comp.reasons:
        return "not recorded"
    if comp.period_match == "nearest" or comp.period_match == "none":
        return "period"
    for kind in ("modelling", "definition", "population base", "geography", "rounding", "period"):
        if comp.reasons.get(kind) and not comp.reasons[kind].lower().startswith(("none", "same")):
            return kind
    return "rounding"
