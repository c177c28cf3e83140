"""The producers page's queries on the real store: one row per producer and one producer's
indicators."""

from __future__ import annotations

import polars as pl

from explorer.queries import producers as q


def test_producers_overview_and_one_producer(store):
    overview = q.producers_overview(store)
    hoc = overview.filter(pl.col("Producer") == "House of Commons Library").row(0, named=True)
    assert hoc["Indicators"] == 21 and hoc["Area types"] == "Lower-tier local authority"
    assert hoc["Values"] == 6594
    table = q.producer_indicators(store, "House of Commons Library")
    assert table.height == 21
    assert set(table["Also published by"].to_list()) == {"NHS Digital"}
    assert set(table["Latest period"].to_list()) == {"2019/20"}
