"""Queries the pages ask of the store. No Streamlit here: each takes a Store, returns frames or
plain values, so the same code serves pages, the command line, tests and benchmarks."""

from __future__ import annotations

import polars as pl

from explorer import catalogue
from explorer.store import Store


def store_summary(store: Store) -> dict:
    values = store.all_values()
    return {
        "indicators": store.indicators().height,
        "producers": values["producer"].n_unique(),
        "values": values.height,
        "area_types": values["area_type"].n_unique(),
    }


def topic_overview(store: Store) -> pl.DataFrame:
    titles = pl.DataFrame(catalogue.topics()).select(
        pl.col("id").alias("topic"), pl.col("title").alias("Topic"),
        pl.col("description").alias("About"))
    counts = store.indicators().group_by("topic").agg(
        pl.len().alias("Indicators"),
        pl.col("producers").flatten().unique().sort().str.join(", ").alias("Producers"))
    return titles.join(counts, on="topic", how="inner").drop("topic")


def catalogue_table(store: Store) -> pl.DataFrame:
    return store.indicators().select(
        pl.col("title").alias("Indicator"),
        pl.col("topic").alias("Topic"),
        pl.col("producers").list.join(", ").alias("Producers"),
        pl.col("area_types").list.join(", ").alias("Area types"),
        pl.col("first_period").alias("From"),
        pl.col("latest_period").alias("Latest"),
        pl.col("unit").alias("Unit"),
    )
