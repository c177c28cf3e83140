"""Catalogue search's filters (explorer.search_filters): topic, producer, area type and period
covered, applied through SearchIndex.search."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from explorer import search, search_cli, search_filters

DEFINITIONS, _ = search_cli.definitions_from_sources()


@pytest.fixture(scope="module")
def defs() -> pl.DataFrame:
    return DEFINITIONS


def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {"short_title": None, "definition": "", "synonyms": [], "topic": "lifestyle"}
    return pl.DataFrame([{**base, **r} for r in rows])


def test_filters(defs):
    only = search.search(defs, "rate", topic="mental-health", limit=50)
    assert set(only["topic"]) == {"mental-health"}
    nhsd = search.search(defs, "", producer="nhs digital")
    assert nhsd.height and all("NHS Digital" in p for p in nhsd["producers"].to_list())
    ons = search.search(defs, "", producer="ONS")["producers"].to_list()
    assert ons and all(any(re.search(r"\bONS\b", p) for p in ps) for ps in ons)   # not "House of Commons"


def test_area_type_and_period_filters_on_a_built_catalogue():
    frame = _frame([
        {"indicator_id": "old-ccg", "title": "Widget rate", "producers": ["NHS Digital"],
         "area_types": ["ccg"], "latest_period": "2014/15",
         "first_period_start": dt.date(2013, 4, 1), "last_period_end": dt.date(2015, 3, 31)},
        {"indicator_id": "new-icb", "title": "Widget count", "producers": ["NHS England"],
         "area_types": ["icb", "england"], "latest_period": "Feb 2025",
         "first_period_start": dt.date(2022, 4, 1), "last_period_end": dt.date(2025, 2, 28)}])
    index = search.SearchIndex.from_catalogue(frame)
    assert index.search("widget", area_type="icb")["indicator_id"].to_list() == ["new-icb"]
    assert index.search("widget", covers_period="2014/15")["indicator_id"].to_list() == ["old-ccg"]
    assert index.search("widget", covers_period="Apr 2023")["indicator_id"].to_list() == ["new-icb"]
    assert index.search("widget", covers_period=dt.date(2019, 1, 1)).is_empty()
    assert index.search("", covers_period=(dt.date(2014, 1, 1), dt.date(2023, 1, 1))).height == 2
    assert index.search("widget", producer="england")["latest_period"].to_list() == ["Feb 2025"]
    with pytest.raises(ValueError, match="not a period"):
        index.search("widget", covers_period="sometime")


D = dt.date


@pytest.mark.parametrize(("label", "start", "end"), [
    ("2019/20", D(2019, 4, 1), D(2020, 3, 31)), ("2019", D(2019, 1, 1), D(2019, 12, 31)),
    ("2018-20", D(2018, 1, 1), D(2020, 12, 31)), ("Apr 2022", D(2022, 4, 1), D(2022, 4, 30)),
    ("2022-04", D(2022, 4, 1), D(2022, 4, 30)), ("2022-04-15", D(2022, 4, 15), D(2022, 4, 15)),
])
def test_period_range(label, start, end):
    assert search_filters.period_range(label) == (start, end)
