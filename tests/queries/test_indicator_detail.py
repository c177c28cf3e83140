"""The indicator page's queries on the real store: one indicator's description (datasets,
coverage, intervals, revisions, breaks, related indicators), "not the same as" pairs read both
ways and the Fingertips cross-reference."""

from __future__ import annotations

import polars as pl

from explorer.queries import indicator_detail as q


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


def test_not_same_as_recorded_only_on_the_other_indicator_is_shown_too(store):
    # rtt-completed-pathways records that it is not rtt-new-pathways; the reverse is not recorded.
    theirs = q.indicator_detail(store, "rtt-new-pathways")["not_same_as"].row(0, named=True)
    assert theirs["other_id"] == "rtt-completed-pathways" and theirs["recorded_by_other"]
    assert theirs["why"].startswith("clock starts")
    own = q.indicator_detail(store, "rtt-completed-pathways")["not_same_as"].row(0, named=True)
    assert own["other_id"] == "rtt-new-pathways" and not own["recorded_by_other"]
