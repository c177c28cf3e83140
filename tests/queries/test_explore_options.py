"""Explore page URL state (explorer/queries/explore_options.py): what resolving a link looks up
once per store, and the defaults chosen when counts tie."""

from __future__ import annotations

import polars as pl

from explorer.queries import explore_options as opts
from explorer.queries.explore_options import resolve


def test_indicator_picker_labels_name_title_and_producers(store):
    sel = resolve(store, {})
    indicators = store.indicators()
    expected = {r["indicator_id"]: f"{r['title']} · {', '.join(r['producers'] or [])}"
                for r in indicators.iter_rows(named=True)}
    assert sel.labels["i"] == {i: expected[i] for i in sel.choices["i"]}
    assert sel.choices["i"] == indicators.sort("title")["indicator_id"].to_list()
    smoking = resolve(store, {"t": "lifestyle"})
    assert set(smoking.choices["i"]) == set(indicators.filter(pl.col("topic") == "lifestyle")["indicator_id"])
    assert smoking.labels["i"] == {i: expected[i] for i in smoking.choices["i"]}


def test_catalogue_lookups_are_made_once_per_store_and_topic(store):
    # Every rerun used to rebuild a label per indicator (2,431 of them at 10 million values).
    first, again = resolve(store, {}), resolve(store, {"p": "2018/19", "a": "E38000232"})
    assert again.labels["i"] is first.labels["i"] and again.choices["i"] is first.choices["i"]
    assert resolve(store, {"t": "lifestyle"}).labels["i"] is not first.labels["i"]
    assert opts.indicator_row(store, "diabetes-recorded-prevalence") is \
        opts.indicator_row(store, "diabetes-recorded-prevalence")


def test_used_topics_are_those_with_indicators_in_topic_order(store):
    held = set(store.indicators()["topic"])
    assert opts.used_topics(store) == [t for t in opts.topic_titles() if t in held]
    assert resolve(store, {}).choices["t"] == [None, *opts.used_topics(store)]


def _coverage(rows: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame({"age": list(rows), "rows": list(rows.values())})


def test_usual_age_ties_go_to_all_ages_then_the_first_band():
    # group_by's order varies between runs: an unbroken tie gave a different default age each time.
    assert opts._usual_age(_coverage({"16-64": 9, "All ages": 9, "65+": 9})) == "All ages"
    assert opts._usual_age(_coverage({"65+": 9, "16-64": 9, "All ages": 3})) == "16-64"
    assert opts._usual_age(_coverage({"65+": 10, "16-64": 9})) == "65+"


def test_default_producer_ties_go_to_the_first_name():
    import datetime as dt

    end = dt.date(2020, 3, 31)
    cov = pl.DataFrame({"producer": ["ONS", "NHS Digital", "OHID"], "period_end": [end] * 3, "rows": [5, 5, 5]})
    assert opts._default_producer(cov, None) == "NHS Digital"
    assert opts._default_producer(cov, "OHID") == "OHID"  # the indicator's own source first
    later = cov.with_columns(pl.when(pl.col("producer") == "ONS").then(end.replace(year=2021))
                             .otherwise(pl.col("period_end")).alias("period_end"))
    assert opts._default_producer(later, "OHID") == "ONS"  # the most recent period first
