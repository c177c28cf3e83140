"""Explore page queries on the real store: URL state, the period view, comparisons, map layers,
trends, the table and the plain-English summary."""

from __future__ import annotations

import polars as pl
import pytest

from explorer.queries import explore_figures, summary
from explorer.queries.explore import explore, table_frame
from explorer.queries.explore_options import resolve

BRADFORD = "E38000232"  # NHS Bradford District and Craven CCG (April 2020)
WEST_YORKSHIRE = "E54000054"


def row(data, code: str) -> dict:
    return data.frame.filter(pl.col("area_code") == code).row(0, named=True)


# --- URL state ----------------------------------------------------------------------------------
def test_empty_url_gives_the_default_view(store):
    sel = resolve(store, {})
    assert (sel.indicator_id, sel.area_type, sel.producer, sel.period, sel.age) == (
        "diabetes-recorded-prevalence", "ccg", "NHS Digital", "2019/20", "17+")
    assert sel.benchmark == "england" and sel.colour == "comparison" and sel.view == "ranked"
    assert sel.notices == []
    assert sel.query == {"i": "diabetes-recorded-prevalence", "at": "ccg", "pr": "NHS Digital",
                         "p": "2019/20", "sx": "Persons", "ag": "17+", "c": "comparison"}


def test_canonical_query_round_trips(store):
    query = {"i": "asthma-recorded-prevalence", "at": "icb", "a": f"{WEST_YORKSHIRE}~E54000048", "bm": "parent",
             "c": "quintile", "v": "funnel", "p": "2016/17"}
    first = resolve(store, query)
    assert first.notices == []
    assert first.areas == [WEST_YORKSHIRE, "E54000048"]
    assert resolve(store, first.query).query == first.query


def test_area_types_are_only_those_the_indicator_has(store):
    sel = resolve(store, {"i": "diabetes-recorded-prevalence"})
    assert sel.choices["at"] == ["ccg", "icb", "ltla", "nhs_region"]
    bad = resolve(store, {"i": "diabetes-recorded-prevalence", "at": "utla"})
    assert bad.area_type == "ccg"
    assert any("area type" in n and "'utla'" in n for n in bad.notices)


def test_unknown_and_malformed_values_fall_back_with_notices(store):
    sel = resolve(store, {"i": "no-such-indicator", "at": "<script>", "p": "1999/00", "c": "purple",
                          "bm": "mars", "a": "E38000232~NOTACODE", "v": "pie"})
    assert sel.indicator_id == "diabetes-recorded-prevalence" and sel.area_type == "ccg"
    assert sel.period == "2019/20" and sel.colour == "comparison" and sel.benchmark == "england"
    assert sel.areas == [BRADFORD] and sel.view == "ranked"
    text = " ".join(sel.notices)
    for word in ("indicator", "area type", "period", "colour mode", "benchmark", "NOTACODE", "compare view"):
        assert word in text


def test_a_merged_ccg_in_the_link_is_explained(store):
    sel = resolve(store, {"a": f"E38000001~{BRADFORD}"})
    assert sel.areas == [BRADFORD]
    assert any("merged" in n and "NHS Bradford District and Craven CCG" in n and "1 April 2020" in n
               for n in sel.notices)


def test_producer_sex_age_and_breakdown_choices_follow_the_data(store):
    smoking = resolve(store, {"i": "smoking-prevalence-adults"})
    assert smoking.choices["pr"] == ["OHID (Fingertips)", "ONS"] and smoking.producer == "ONS"
    assert resolve(store, {"i": "smoking-prevalence-adults", "pr": "OHID (Fingertips)"}).period == "2018"
    hle = resolve(store, {"i": "healthy-life-expectancy"})
    assert hle.choices["sx"] == ["Male", "Female"]
    assert resolve(store, {"p": "2013/14"}).choices["ag"] == ["All ages", "17+"]
    ae = resolve(store, {"i": "ae-within-four-hours", "at": "trust", "p": "Sep 2018"})
    assert "All types" in ae.choices["ct"] and "Type 1" in ae.choices["ct"] and ae.category == "All types"


def test_funnel_only_for_proportions_and_rates_with_counts(store):
    assert resolve(store, {}).funnel_ok
    smoking = resolve(store, {"i": "smoking-prevalence-adults", "v": "funnel"})
    assert not smoking.funnel_ok and smoking.view == "ranked" and smoking.notices


# --- the period view ----------------------------------------------------------------------------
def test_bradford_2019_20_is_significantly_higher_than_england(store):
    sel = resolve(store, {"a": BRADFORD})
    data = explore(store, sel)
    bradford = row(data, BRADFORD)
    assert bradford["value"] == pytest.approx(8.9097, abs=1e-4)
    assert bradford["count"] == 44137 and bradford["denominator"] == 495381
    assert data.england["value"] == pytest.approx(7.0826, abs=1e-4)
    assert bradford["comparison"] == "higher"  # recorded prevalence has no polarity (BOB)
    assert summary.area_sentence(sel.indicator, sel.period, bradford, data.benchmark_label) == (
        "In 2019/20, Diabetes (GP recorded) in NHS Bradford District and Craven CCG was 8.9%, "
        "significantly higher than England (7.1%).")


def test_overview_counts_significance_by_polarity(store):
    sel = resolve(store, {"i": "campylobacter-rate"})
    data = explore(store, sel)
    counts = data.frame["comparison"].value_counts()
    assert set(counts["comparison"]) <= {"better", "worse", "best", "worst", "similar", "not compared"}
    text = " ".join(summary.overview_sentences(sel.indicator, sel.period, sel.area_type, data.frame,
                                               data.england, data.benchmark_label))
    assert "96.6 per 100,000 in England" in text
    assert "significantly higher than England (worse)" in text and "significantly lower (better)" in text


def test_comparison_phrases_follow_polarity():
    assert summary.comparison_phrase("better", "low is good", "England", "5%") == (
        "significantly lower than England (5%), which is better")
    assert summary.comparison_phrase("worst", "high is good", "England", "5%") == (
        "significantly lower than England (5%) (even at the stricter 99.8% level), which is worse")
    assert summary.comparison_phrase("similar", "high is good", "England", "5%") == (
        "not significantly different from England (5%)")
    assert summary.comparison_phrase("higher", "no judgement", "England", "5%") == (
        "significantly higher than England (5%)")


def test_parent_benchmark_compares_a_ccg_with_its_icb(store):
    sel = resolve(store, {"bm": "parent", "a": BRADFORD})
    data = explore(store, sel)
    bradford = row(data, BRADFORD)
    assert data.benchmark_label == "its ICB"
    assert bradford["benchmark_name"] == "NHS West Yorkshire Integrated Care Board"
    assert bradford["benchmark_value"] == pytest.approx(7.6409, abs=1e-4)
    assert bradford["comparison"] == "higher"
    sentence = summary.area_sentence(sel.indicator, sel.period, bradford, data.benchmark_label)
    assert "significantly higher than its ICB, NHS West Yorkshire Integrated Care Board (7.6%)" in sentence


def test_england_value_falls_back_to_the_aggregated_row(store):
    sel = resolve(store, {"at": "ltla"})
    assert sel.producer == "House of Commons Library"
    data = explore(store, sel)
    assert data.england["producer"] == "NHS Digital" and data.england["status"] == "aggregated"
    assert any("aggregated" in n for n in data.notes)


def test_no_england_value_colours_by_quintile(store):
    sel = resolve(store, {"i": "ae-within-four-hours"})
    data = explore(store, sel)
    assert sel.period == "Jul 2025" and data.england is None
    assert any("No England value for Jul 2025" in n for n in data.notes)
    colour, why = explore_figures.effective_colour(sel, data)
    assert colour == "quintile" and why


def test_reestimated_only_area_type_is_shown_and_labelled(store):
    sel = resolve(store, {"at": "icb"})
    data = explore(store, sel)
    assert sel.reestimated_only and not sel.reestimated_offered
    assert set(data.frame["status"]) == {"re-estimated"} and data.frame.height == 42
    assert data.vintage == "2023" and data.on_map == 40
    assert any("re-estimates" in n for n in data.notes)


def test_2018_19_ccgs_partly_on_the_map_until_current_boundaries(store):
    published = explore(store, resolve(store, {"p": "2018/19"}))
    assert published.frame.height == 209 and published.vintage == "2020" and published.on_map == 135
    assert "re-estimated" not in set(published.frame["status"])
    assert any("135 of 209 areas (65%)" in n for n in published.notes)
    current = explore(store, resolve(store, {"p": "2018/19", "cb": "1"}))
    assert current.vintage == "2021" and current.frame.height == current.on_map == 106
    assert (current.frame["status"] == "re-estimated").sum() == 9


def test_trend_hides_reestimates_unless_asked(store):
    published = explore(store, resolve(store, {"a": BRADFORD}))
    assert published.trend["period"].to_list() == ["2018/19", "2019/20"]
    assert any("re-estimates" in n for n in published.notes)
    current = explore(store, resolve(store, {"a": BRADFORD, "cb": "1"}))
    assert current.trend["period"].to_list()[0] == "2013/14" and current.trend.height == 7
    england = current.trend_benchmark
    assert england.filter(pl.col("period") == "2016/17")["value"].to_list() == [None]  # a gap, not a join


def test_recent_trend_and_breaks(store):
    icb = explore(store, resolve(store, {"at": "icb", "a": WEST_YORKSHIRE}))
    assert icb.trends[WEST_YORKSHIRE].label == "Increasing"
    broken = explore(store, resolve(store, {"i": "asthma-recorded-prevalence", "a": "E38000215"}))
    assert {b["period"] for b in broken.breaks} == {"2015/16", "2017/18"}
    assert broken.trends["E38000215"].label == "Cannot be calculated"
    assert "break" in broken.trends["E38000215"].reason
    monthly = explore(store, resolve(store, {"i": "ae-within-four-hours", "a": WEST_YORKSHIRE}))
    assert monthly.trends == {}  # recent trend is for yearly data only


def test_table_shows_suppressed_values_as_a_star_with_the_reason(store):
    sel = resolve(store, {"i": "iapt-recovery", "p": "Apr 2023"})
    table = table_frame(sel, explore(store, sel))
    starred = table.filter(pl.col("Value") == "*")
    assert starred.height >= 1
    assert starred["Status"][0].startswith("* suppressed: [c]") and starred["Rank"][0] is None
    assert {"Area", "Value", "Lower 95% CI", "Upper 95% CI", "Count", "Denominator", "Compared with England",
            "Status"} <= set(table.columns)


def test_figures_follow_the_selection(store):
    sel = resolve(store, {"a": BRADFORD})
    data = explore(store, sel)
    fig = explore_figures.map_figure(store, sel, data)
    names = [t.name for t in fig.data]
    assert "Higher than England" in names and any(n.startswith("Selected area") for n in names)
    higher = next(t for t in fig.data if t.name == "Higher than England")
    hover = higher.hovertext[list(higher.locations).index(BRADFORD)]
    for part in ("NHS Bradford District and Craven CCG", "Value: 8.9%", "95% confidence interval: 8.8 to 9.0",
                 "Count: 44,137 of 495,381", "Higher than England", "Producer: NHS Digital"):
        assert part in hover
    quintile = resolve(store, {"a": BRADFORD, "c": "quintile"})
    qnames = [t.name for t in explore_figures.map_figure(store, quintile, explore(store, quintile)).data]
    assert any(n.startswith("Q1") for n in qnames)
    trend = explore_figures.trend_figure(store, sel, data)
    assert any("NHS Bradford District and Craven CCG" in (t.name or "") for t in trend.data)
    assert explore_figures.map_figure(store, resolve(store, {"i": "ae-within-four-hours", "at": "trust"}),
                                      explore(store, resolve(store, {"i": "ae-within-four-hours",
                                                                     "at": "trust"}))) is None


def test_map_can_point_the_browser_at_the_boundary_file(store):
    from explorer.queries.explore_map import STATIC_BOUNDARIES, boundary_url

    sel = resolve(store, {"a": BRADFORD})
    data = explore(store, sel)
    url = boundary_url(store, "ccg", data.vintage)
    assert url == f"app/static/boundaries/{store.path.name}/ccg_2020.geojson"
    assert (STATIC_BOUNDARIES / store.path.name / "ccg_2020.geojson").read_bytes() == \
        store.boundary_file("ccg", "2020").read_bytes()
    fig = explore_figures.map_figure(store, sel, data, url)
    assert {t.geojson for t in fig.data} == {url}
    embedded = explore_figures.map_figure(store, sel, data)
    assert fig.layout.geo == embedded.layout.geo  # same view either way
    assert [list(t.locations) for t in fig.data] == [list(t.locations) for t in embedded.data]
    # Everything but where the polygons come from is the same figure (hover, legend, colours).
    as_url, as_polygons = fig.to_plotly_json(), embedded.to_plotly_json()
    for trace in (*as_url["data"], *as_polygons["data"]):
        trace.pop("geojson")
    assert as_url == as_polygons
    quintile = resolve(store, {"a": BRADFORD, "c": "quintile", "i": "asthma-recorded-prevalence"})
    qdata = explore(store, quintile)
    hovers = [list(t.hovertext or []) for t in explore_figures.map_figure(store, quintile, qdata, url).data]
    assert hovers == [list(t.hovertext or []) for t in explore_figures.map_figure(store, quintile, qdata).data]


@pytest.mark.slow
def test_every_indicator_and_area_type_resolves_and_draws(store):
    """No indicator or area type in the store breaks the page: each resolves without notices and
    gives a frame, a summary and the figures (the map where boundaries exist)."""
    for indicator_id in store.indicators()["indicator_id"]:
        first = resolve(store, {"i": indicator_id})
        for area_type in first.choices["at"]:
            sel = resolve(store, {"i": indicator_id, "at": area_type})
            assert sel.notices == [], (indicator_id, area_type, sel.notices)
            data = explore(store, sel)
            assert data.frame.height > 0, (indicator_id, area_type)
            assert summary.overview_sentences(sel.indicator, sel.period, sel.area_type, data.frame, data.england,
                                              data.benchmark_label)
            explore_figures.map_figure(store, sel, data)
            explore_figures.compare_figure(store, sel, data)
            explore_figures.trend_figure(store, sel, data)
            table_frame(sel, data)
