"""What the Home and About pages ask of the store: topics as entry points, search results with
their links, the newest data, and the sources with their row accounting. No Streamlit here."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import polars as pl

from explorer import catalogue, releases, search
from explorer.queries.explore_options import memo
from explorer.store import Store

LATEST_SHOWN = 6


def explore_link(**query: str) -> str:
    return "/explore?" + urlencode(query)


def topic_cards(store: Store) -> list[dict]:
    """One card per topic with indicators: id, title, description, how many indicators, who
    publishes them, a few example indicators and the link that opens the topic in Explore."""
    def compute() -> list[dict]:
        indicators = store.indicators()
        cards = []
        for topic in catalogue.topics():
            mine = indicators.filter(pl.col("topic") == topic["id"]).sort("n_published", descending=True)
            if mine.is_empty():
                continue
            producers = sorted({p for ps in mine["producers"].to_list() for p in (ps or [])})
            cards.append({"id": topic["id"], "title": topic["title"], "description": topic.get("description") or "",
                          "indicators": mine.height, "producers": producers,
                          "examples": mine["short_title"].head(3).to_list(),
                          "link": explore_link(t=topic["id"])})
        return cards
    return memo(store, ("home-topics",), compute)


def search_results(store: Store, query: str, limit: int = 8) -> list[dict]:
    """Indicators matching the words typed, best first, with links to Explore and the definition."""
    if not (query or "").strip():
        return []
    found = search.search(store.indicators(), query, limit=limit)
    return [{**row, "explore": explore_link(i=row["indicator_id"]),
             "definition": f"/indicator?{urlencode({'i': row['indicator_id']})}"}
            for row in found.iter_rows(named=True)]


def latest_releases(store: Store, today: dt.date | None = None, limit: int = LATEST_SHOWN) -> pl.DataFrame:
    """The datasets with the newest data: producer, dataset, latest period, release date (or that
    none is stated), the most-published indicator from it and its Explore link."""
    def compute() -> pl.DataFrame:
        cal = releases.release_calendar(store, today or dt.date.today()).sort("latest_end", descending=True)
        indicators = store.indicators().explode("source_ids").sort("n_published", descending=True)
        first = indicators.unique("source_ids", keep="first").select(
            pl.col("source_ids").alias("source_id"), "indicator_id", pl.col("short_title").alias("indicator"))
        joined = cal.join(first, on="source_id", how="left").sort("latest_end", descending=True).head(limit)
        return joined.select("producer", "title", "latest_period", "latest_end", "released_text", "indicator_id",
                             "indicator").with_columns(
            pl.concat_str(pl.lit("/explore?i="), pl.col("indicator_id")).alias("link"))
    return memo(store, ("home-latest", today), compute)


def sources_table(store: Store) -> pl.DataFrame:
    """Per dataset: producer, title, licence, files read, rows read / loaded / rejected, latest
    release date stated by the producer."""
    sources = store.table("sources")
    if sources.is_empty():
        return pl.DataFrame()
    return (sources.group_by("producer", "title", "licence")
            .agg(pl.len().alias("Files"), pl.col("rows_read").sum().alias("Rows read"),
                 pl.col("rows_loaded").sum().alias("Rows loaded"),
                 pl.col("rows_rejected").sum().alias("Rows rejected"),
                 pl.col("release_date").max().alias("Latest release"))
            .sort("producer", "title")
            .rename({"producer": "Producer", "title": "Dataset", "licence": "Licence"}))
