"""Explore page under AppTest: every selector changes the charts and the URL, deep links restore
the view, and bad links give a notice, never a traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import figures, run_page

BRADFORD = "E38000232"


@pytest.fixture(scope="module", autouse=True)
def _built(store):  # the store fixture builds the store if needed
    return store


def run(query: dict | None = None) -> AppTest:
    return run_page("explore", query, timeout=120)


def params(at: AppTest) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def specs(at: AppTest) -> list[dict]:
    return figures(at)


def text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)


def test_default_view_is_the_map_and_only_the_open_view_is_drawn():
    at = run()
    assert params(at)["i"] == "diabetes-recorded-prevalence" and params(at)["at"] == "ccg"
    assert "tab" not in params(at)  # the default view keeps links short
    charts = specs(at)
    assert len(charts) == 1
    assert charts[0]["data"][0]["type"] == "choropleth" and charts[0]["layout"]["geo"]["visible"] is False
    assert "Of the 135 CCGs with a value" in text(at)
    assert not at.dataframe and not at.info  # the table is not built until its tab is open; no notices
    assert [t.label for t in at.tabs] == ["Map", "Compare areas", "Trend", "Table"]


@pytest.mark.parametrize(("tab", "check"), [
    ("compare", lambda at: [t["type"] for t in specs(at)[0]["data"]][0] == "scatter"
     and "areas, highest value at the top" in specs(at)[0]["layout"]["title"]["subtitle"]["text"]),
    ("trend", lambda at: any(t.get("name") == "England" for t in specs(at)[0]["data"])),
    ("table", lambda at: not specs(at) and at.dataframe[0].value.shape[0] == 135),
])
def test_each_view_opens_from_the_url(tab, check):
    at = run({"tab": tab})
    assert params(at)["tab"] == tab
    assert check(at)
    assert "Of the 135 CCGs with a value" in text(at)  # the summary heads every view


def test_an_area_type_without_boundaries_opens_on_compare_areas():
    at = run({"i": "ae-within-four-hours", "at": "trust"})
    assert "tab" not in params(at)
    assert len(specs(at)) == 1 and specs(at)[0]["data"][0]["type"] == "scatter"
    at = run({"i": "ae-within-four-hours", "at": "trust", "tab": "map"})
    assert params(at)["tab"] == "map"  # asked for: kept, and the view says why there is no map
    assert "No map for this period and area type" in " ".join(i.value for i in at.info)


@pytest.mark.parametrize(("query", "key", "choice", "param", "expected"), [
    ({}, "t", "mental-health", "t", "mental-health"),
    ({}, "i", "asthma-recorded-prevalence", "i", "asthma-recorded-prevalence"),
    ({}, "at", "icb", "at", "icb"),
    ({}, "p", "2017/18", "p", "2017/18"),
    ({"i": "smoking-prevalence-adults"}, "pr", "OHID (Fingertips)", "pr", "OHID (Fingertips)"),
    ({"i": "healthy-life-expectancy"}, "sx", "Female", "sx", "Female"),
    ({"p": "2013/14"}, "ag", "All ages", "ag", "All ages"),
    ({"i": "ae-within-four-hours", "at": "trust", "p": "Sep 2018"}, "ct", "Type 1", "ct", "Type 1"),
    ({}, "bm", "parent", "bm", "parent"),
])
def test_each_selectbox_changes_the_url_and_the_charts(query, key, choice, param, expected):
    at = run(query)
    before = specs(at)
    at.selectbox(key=f"explore_{key}").select(choice).run()
    assert not at.exception, at.exception
    assert params(at)[param] == expected
    assert specs(at) != before


def test_area_picker_highlights_the_area_in_every_view():
    at = run()
    at.multiselect(key="explore_a").select(BRADFORD).run()
    assert params(at)["a"] == BRADFORD
    assert any(t.get("name", "").startswith("Selected area") for t in specs(at)[0]["data"])
    assert "NHS Bradford District and Craven CCG was 8.9%, significantly higher than England (7.1%)" in text(at)
    trend = run({"a": BRADFORD, "tab": "trend"})
    assert any("NHS Bradford District and Craven CCG" in t.get("name", "") for t in specs(trend)[0]["data"])
    compare = run({"a": BRADFORD, "tab": "compare"})
    assert any(t.get("name", "").startswith("Selected area") for t in specs(compare)[0]["data"])
    table = run({"a": BRADFORD, "tab": "table"}).dataframe[0].value
    assert table.loc[table["Code"] == BRADFORD, "Chosen"].item()


def test_colour_view_and_boundary_controls_change_the_url_and_the_charts():
    at = run()
    before = specs(at)
    at.radio(key="explore_c").set_value("quintile").run()
    assert params(at)["c"] == "quintile"
    assert any(t["name"].startswith("Q1") for t in specs(at)[0]["data"]) and specs(at)[0] != before[0]
    compare = run({"tab": "compare"})
    compare.radio(key="explore_v").set_value("funnel").run()
    assert params(compare)["v"] == "funnel"
    assert any("control limits" in t.get("name", "") for t in specs(compare)[0]["data"])
    at.toggle(key="explore_cb").set_value(True).run()
    assert params(at)["cb"] == "1"
    assert "Of the 106 CCGs with a value" in text(at)


def test_deep_link_restores_the_view():
    at = run({"i": "asthma-recorded-prevalence", "at": "icb", "p": "2016/17", "a": "E54000054",
              "bm": "parent", "c": "value"})
    assert at.selectbox(key="explore_i").value == "asthma-recorded-prevalence"
    assert at.selectbox(key="explore_at").value == "icb"
    assert at.selectbox(key="explore_p").value == "2016/17"
    assert at.selectbox(key="explore_bm").value == "parent"
    assert at.multiselect(key="explore_a").value == ["E54000054"]
    assert at.radio(key="explore_c").value == "value"
    assert "In 2016/17, Asthma (GP recorded) in NHS West Yorkshire Integrated Care Board" in text(at)
    assert "its NHS region" in text(at)
    assert params(at)["p"] == "2016/17" and params(at)["a"] == "E54000054"


def test_bad_parameters_give_a_notice_and_the_default_view():
    at = run({"i": "not-an-indicator", "at": "<b>", "p": "1066", "a": "ZZZ", "c": "rainbow", "tab": "pie"})
    notices = " ".join(i.value for i in at.info)
    assert "not-an-indicator" in notices and "period" in notices and "colour mode" in notices
    assert "The view in the link" in notices and "pie" in notices
    assert params(at)["i"] == "diabetes-recorded-prevalence"
    assert "a" not in params(at) and "tab" not in params(at) and params(at)["c"] == "comparison"
    assert len(specs(at)) == 1
