"""Catalogue queries on the real store: search with filters, one indicator's description,
"not the same as" pairs, the Fingertips cross-reference and what each producer contributes."""

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


def test_healthy_life_expectancy_detail(store):
    detail = q.indicator_detail(store, "healthy-life-expectancy")
    assert set(detail["datasets"]["producer"].to_list()) == {"ONS", "OHID (Fingertips)"}
    assert detail["periods"][0] == "2009-11" and detail["periods"][-1] == "2018-20"
    utla = detail["coverage"].filter(pl.col("area_type") == "utla", pl.col("producer") == "ONS").row(0, named=True)
    assert utla["areas"] == 152 and utla["latest"] == "2018-20"
    # The Fingertips ID is recorded on the reshaped Fingertips source, not the catalogue entry.
    (link,) = detail["fingertips"]
    assert link["fingertips_id"] == "90362" and link["source_id"] == "ohid_fingertips_reshaped"
    assert link["meta"]["title"] == "Healthy life expectancy at birth"
    assert {m["method"] for m in detail["interval_methods"]} == {"no confidence intervals published"}


def test_obesity_detail_has_not_same_as_and_a_break(store):
    detail = q.indicator_detail(store, "obesity-recorded-prevalence")
    pair = detail["not_same_as"].row(0, named=True)
    assert pair["other_id"] == "obesity-prevalence-adults" and pair["other_held"]
    assert "BMI 25+" in pair["why"]
    assert {"period": "2015/16", "reason": "register and list changed from ages 16+ to 18+"} in \
        detail["breaks"]["whole_series"]


def test_diabetes_detail_counts_revisions_and_methods(store):
    detail = q.indicator_detail(store, "diabetes-recorded-prevalence")
    assert detail["revisions"] > 0
    methods = {(m["producer"], m["method"]) for m in detail["interval_methods"]}
    assert ("NHS Digital", "recomputed: Wilson score") in methods
    qof = detail["datasets"].filter(pl.col("source_id") == "nhsd_qof").row(0, named=True)
    assert qof["files"] == 6
    assert str(qof["release_dates"][-1]) == "2020-08-20"


def test_related_indicators_put_other_producers_first(store):
    related = q.indicator_detail(store, "smoking-prevalence-adults")["related"]
    assert "obesity-recorded-prevalence" in related["indicator_id"].to_list()
    assert related["other_producer"].to_list() == sorted(related["other_producer"].to_list(), reverse=True)


def test_not_same_as_pairs_read_both_ways(store):
    pairs = q.not_same_as_pairs(store)
    got = set(zip(pairs["indicator_id"].to_list(), pairs["other_id"].to_list(), strict=True))
    assert ("dementia-diagnosis-rate", "dementia-recorded-prevalence") in got
    assert ("dementia-recorded-prevalence", "dementia-diagnosis-rate") in got


def test_fingertips_links_for_smoking(store):
    (link,) = q.fingertips_links("smoking-prevalence-adults", None)
    assert link["fingertips_id"] == "92443"


def test_producers_overview_and_one_producer(store):
    overview = q.producers_overview(store)
    hoc = overview.filter(pl.col("Producer") == "House of Commons Library").row(0, named=True)
    assert hoc["Indicators"] == 21 and hoc["Area types"] == "Lower-tier local authority"
    assert hoc["Values"] == 6594
    table = q.producer_indicators(store, "House of Commons Library")
    assert table.height == 21
    assert set(table["Also published by"].to_list()) == {"NHS Digital"}
    assert set(table["Latest period"].to_list()) == {"2019/20"}


def test_area_names_are_looked_up_by_type_and_code(store):
    names = q.area_names(store)
    same_code = names.filter(pl.col("area_code") == "E38000227")
    assert dict(zip(same_code["area_type"], same_code["area_name"], strict=True)) == {
        "ccg": "NHS Greater Preston CCG", "sub_icb": "NHS Lancashire and South Cumbria ICB - 01E"}


def test_not_same_as_recorded_only_on_the_other_indicator_is_shown_too(store):
    # rtt-completed-pathways records that it is not rtt-new-pathways; the reverse is not recorded.
    theirs = q.indicator_detail(store, "rtt-new-pathways")["not_same_as"].row(0, named=True)
    assert theirs["other_id"] == "rtt-completed-pathways" and theirs["recorded_by_other"]
    assert theirs["why"].startswith("clock starts")
    own = q.indicator_detail(store, "rtt-completed-pathways")["not_same_as"].row(0, named=True)
    assert own["other_id"] == "rtt-new-pathways" and not own["recorded_by_other"]
