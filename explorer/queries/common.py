"""Queries the pages ask of the store. No Streamlit here: each takes a Store, returns frames or
plain values, so the same code serves pages, the command line, tests and benchmarks."""

from __future__ import annotations

import polars as pl

from explorer import catalogue
from explorer.queries.memo import memo
from explorer.store import Store


def store_summary(store: Store) -> dict:
    # From the catalogue and the file's footer: no pass over the values.
    return {
        "indicators": store.indicators().height,
        "producers": len(held(store, "producers")),
        "values": store.height,
        "area_types": len(held(store, "area_types")),
    }


def held(store: Store, column: str) -> list[str]:
    """Every producer ("producers") or area type ("area_types") with a value in the store, sorted.
    The catalogue lists each indicator's, taken from its values when the store was built
    (explorer.catalogue.build), so their union is the values' distinct ones without reading a
    value (a streaming pass over 10 million took ~1.7 s of CPU); a catalogue without the column
    falls back to that pass."""
    def compute() -> list[str]:
        indicators = store.indicators()
        if column not in indicators.columns:
            return store.distinct(column.removesuffix("s"))
        return sorted({v for values in indicators[column].to_list() for v in (values or []) if v is not None})
    return memo(store, ("held", column), compute)


def topic_overview(store: Store) -> pl.DataFrame:
    titles = pl.DataFrame(catalogue.topics()).select(
        pl.col("id").alias("topic"), pl.col("title").alias("Topic"),
        pl.col("description").alias("About"))
    counts = store.indicators().group_by("topic").agg(
        pl.len().alias("Indicators"),
        pl.col("producers").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
        .str.join(", ").alias("Producers"))
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


def source_info(store: Store, indicator_id: str, producer: str | None = None) -> dict:
    """What to print under a chart: producer(s), datasets with release dates and licence, and
    the other producers that publish the same measure ("also published by"). Computed once per
    (store, indicator, producer): a page prints it under each of its charts. The dict is shared,
    so callers must not change it."""
    return memo(store, ("source-info", indicator_id, producer), lambda: _source_info(store, indicator_id, producer))


def _source_info(store: Store, indicator_id: str, producer: str | None) -> dict:
    indicator = store.indicator(indicator_id) or {}
    values = store.indicator_slice(indicator_id)
    producers = sorted(values["producer"].unique().to_list())
    home = values.filter(pl.col("source_id") == indicator.get("defined_by"))["producer"].unique().to_list()
    chosen = producer or (home[0] if home else producers[0] if producers else None)
    files = values.filter(pl.col("producer") == chosen)["source_id"].unique().to_list()
    sources = store.table("sources")
    datasets = (sources.filter(pl.col("source_id").is_in(files))
                .group_by("source_id", "title", "licence")
                .agg(pl.col("release_date").max().alias("release_date"))
                .sort("source_id").to_dicts()) if not sources.is_empty() else []
    return {
        "indicator_id": indicator_id,
        "title": indicator.get("title"),
        "producer": chosen,
        "also_published_by": [p for p in producers if p != chosen],
        "datasets": datasets,
        "licence": indicator.get("licence"),
    }
