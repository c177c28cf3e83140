"""Catalogue queries on the real store: search with filters, the results table, labels and area
names (one indicator's description is tested in test_indicator_detail.py, producers in
test_producers.py)."""

from __future__ import annotations

import polars as pl
import pytest

from explorer.queries import catalogue as q


def ids(frame: pl.DataFrame) -> list[str]:
    return frame["indicator_id"].to_list()


def test_filter_options_hold_only_what_the_store_has(store):
    options = q.filter_options(store)
    assert "OHID (Fingertips)" in options["producers"]
    assert "House of Commons Library" in options["producers"]
    assert options["area_types"]["trust"] == "NHS trust or provider"
    assert options["years"][0] == 2009 and options["years"][-1] == 2025
    assert options["topics"]["lifestyle"] == "Smoking, weight and lifestyle"


@pytest.mark.parametrize(("query", "expected"), [
    ("sugar", "diabetes-recorded-prevalence"),
    ("COPD", "copd-recorded-prevalence"),
    ("A&E", "ae-attendances"),
])
def test_plain_words_find_the_measure(store, query, expected):
    found = ids(q.find_indicators(store, query))
    assert expected in found[:3]


def test_fat_finds_obesity_first(store):
    found = ids(q.find_indicators(store, "fat"))
    assert {"obesity-prevalence-adults", "obesity-recorded-prevalence"} <= set(found[:3])


def test_producer_filter_is_exact(store):
    # "MHCLG" must not also pick up "Office for Local Government (MHCLG)" (7 indicators).
    mhclg = q.find_indicators(store, None, producers=["MHCLG"])
    assert mhclg.height == 12
    assert all(p == ["MHCLG"] for p in mhclg["producers"].to_list())
    # A name ending in ")" used to match nothing (regex \b after a bracket).
    assert q.find_indicators(store, None, producers=["OHID (Fingertips)"]).height == 5
    assert q.find_indicators(store, None, producers=["NHSBSA (via OpenPrescribing)"]).height == 4


def test_area_type_and_year_filters(store):
    trusts = q.find_indicators(store, None, area_types=["trust"])
    assert set(ids(trusts)) == {"ae-attendances", "ae-emergency-admissions", "ae-four-hour-breaches",
                                "ae-within-four-hours"}
    recent = set(ids(q.find_indicators(store, None, year_from=2024)))
    assert "ae-attendances" in recent and "diabetes-recorded-prevalence" not in recent
    early = set(ids(q.find_indicators(store, None, year_to=2010)))
    assert "healthy-life-expectancy" in early and "ae-attendances" not in early


def test_results_table_links_to_indicator_page_and_explore(store):
    table = q.results_table(q.find_indicators(store, "COPD"))
    first = table.row(0, named=True)
    assert first["Details"] == "/indicator?i=copd-recorded-prevalence"
    assert first["Explore"] == "/explore?i=copd-recorded-prevalence"
    assert first["Producer(s)"] == "House of Commons Library, NHS Digital"
    assert first["Latest period"] == "2019/20"


def test_results_table_words_each_indicators_area_types(store):
    found = q.find_indicators(store, None)
    table = q.results_table(found)
    expected = [q.area_types_text(types) for types in found["area_types"].to_list()]
    assert table["Area types"].to_list() == expected and table.height == store.indicators().height
    odd = pl.DataFrame({"area_types": [["icb", "ccg"], [], None, ["ccg", "mars"]]},
                       schema={"area_types": pl.List(pl.String)})
    assert q._area_types_text(odd["area_types"]).to_list() == [
        q.area_types_text(["icb", "ccg"]), "", None, q.area_types_text(["ccg", "mars"])]


def test_clean_query_drops_characters_the_url_state_refuses():
    assert q.clean_query('what is "fat"?') == "what is fat"
    assert q.clean_query("A&E  waits") == "A&E waits"
    assert q.clean_query(None) == ""


def test_area_names_are_looked_up_by_type_and_code(store):
    names = q.area_names(store)
    same_code = names.filter(pl.col("area_code") == "E38000227")
    assert dict(zip(same_code["area_type"], same_code["area_name"], strict=True)) == {
        "ccg": "NHS Greater Preston CCG", "sub_icb": "NHS Lancashire and South Cumbria ICB - 01E"}
