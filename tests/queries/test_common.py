"""Queries shared by pages (explorer/queries/common.py): the store summary and source footers."""

from __future__ import annotations

from explorer import queries
from explorer.queries import common


def test_held_producers_and_area_types_are_the_values_distinct_ones(store):
    # Taken from the catalogue, not from a pass over every value (1.7 s of CPU at 10 million).
    assert common.held(store, "producers") == store.distinct("producer")
    assert common.held(store, "area_types") == store.distinct("area_type")
    summary = queries.store_summary(store)
    assert summary["producers"] == len(store.distinct("producer"))
    assert summary["area_types"] == len(store.distinct("area_type"))
    assert summary["values"] == store.all_values().height


def test_source_info_names_producer_datasets_and_others(store):
    info = queries.source_info(store, "smoking-prevalence-adults", "ONS")
    assert info["producer"] == "ONS" and info["also_published_by"] == ["OHID (Fingertips)"]
    assert info["datasets"] and all(d["licence"] for d in info["datasets"])
    home = queries.source_info(store, "diabetes-recorded-prevalence")
    assert home["producer"] == "NHS Digital"


def test_source_info_is_worked_out_once_per_indicator_and_producer(store):
    # A page prints it under each of its four charts.
    first = queries.source_info(store, "smoking-prevalence-adults", "ONS")
    assert queries.source_info(store, "smoking-prevalence-adults", "ONS") is first
    assert queries.source_info(store, "smoking-prevalence-adults", "OHID (Fingertips)") is not first
