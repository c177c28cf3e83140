"""What the producers page asks: one row per producer, and what one producer contributes,
indicator by indicator, with who else publishes it. No Streamlit here; computed once per store
(`per_store`) with streaming scans of the values."""

from __future__ import annotations

import polars as pl

from explorer.queries.catalogue import area_types_text, per_store, topic_titles
from explorer.store import Store


@per_store
def producers_overview(store: Store) -> pl.DataFrame:
    """One row per producer: indicators, topics, area types, periods, datasets, values."""
    values = store.scan().filter(pl.col("status") != "re-estimated")
    ind = store.indicators().select("indicator_id", "topic")
    titles = topic_titles()
    per = (values.group_by("producer").agg(
        pl.col("indicator_id").n_unique().alias("Indicators"),
        pl.col("indicator_id").unique().alias("_ids"),
        pl.col("area_type").unique().alias("_ats"),
        pl.col("period_start").min().alias("From"),
        pl.col("period_end").max().alias("To"),
        pl.col("source_id").n_unique().alias("Datasets"),
        pl.len().alias("Values")).sort("producer").collect(engine="streaming"))
    topics = {r["indicator_id"]: titles.get(r["topic"], r["topic"]) for r in ind.iter_rows(named=True)}
    return per.with_columns(
        pl.col("_ids").map_elements(lambda ids: ", ".join(sorted({topics.get(i, "") for i in ids})),
                                    return_dtype=pl.String).alias("Topics"),
        pl.col("_ats").map_elements(area_types_text, return_dtype=pl.String).alias("Area types"),
    ).select(pl.col("producer").alias("Producer"), "Indicators", "Datasets", "From", "To", "Values",
             "Area types", "Topics")


@per_store
def producer_indicators(store: Store, producer: str) -> pl.DataFrame:
    """What one producer contributes, indicator by indicator, and who else publishes it."""
    values = store.scan().filter(pl.col("producer") == producer, pl.col("status") != "re-estimated")
    per = values.group_by("indicator_id").agg(
        pl.col("period").sort_by("period_start").first().alias("First period"),
        pl.col("period").sort_by("period_end").last().alias("Latest period"),
        pl.col("area_type").unique().alias("_ats"),
        pl.len().alias("Values")).collect(engine="streaming")
    ind = store.indicators().select("indicator_id", "title", "topic", "producers")
    return (per.join(ind, on="indicator_id", how="left")
            .with_columns(
                pl.col("_ats").map_elements(area_types_text, return_dtype=pl.String).alias("Area types"),
                pl.col("producers").list.filter(pl.element() != producer).list.join(", ").alias("Also published by"),
                pl.col("topic").replace(topic_titles()).alias("Topic"),
                pl.concat_str(pl.lit("/indicator?i="), pl.col("indicator_id")).alias("Details"))
            .sort("Topic", "title")
            .select(pl.col("title").alias("Indicator"), "Details", "Latest period", "First period",
                    "Area types", "Also published by", "Topic", "Values"))
