"""Trends page under AppTest: every selector changes the chart and the URL, deep links restore the
view, and bad links give a notice, never a traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import figures, run_page

NW_LONDON_ICB = "E54000027"


@pytest.fixture(scope="module", autouse=True)
def _built(store):  # the store fixture builds the store if needed
    return store


def run(query: dict | None = None) -> AppTest:
    return run_page("trends", query, timeout=180)


def params(at: AppTest) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items() if v not in ("", [""])}


def specs(at: AppTest) -> list[dict]:
    return figures(at)


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.proto.body for kind in ("info", "warning", "success") for e in at.get(kind)]
    return " ".join(parts)


def change(at: AppTest, kind: str, key: str, value) -> AppTest:
    getattr(at, kind)(key=f"trends_{key}").set_value(value).run()
    assert not at.exception, at.exception
    return at


def test_default_view_is_england_four_hour_spc_with_assurance():
    at = run()
    assert params(at) == {}  # every choice is the default, so the canonical link is bare
    [spec] = specs(at)
    assert "within four hours" in spec["layout"]["title"]["text"]
    assert trace(spec, "Target: 95.0%")["y"] == [95, 95]
    words = text(at)
    assert "Target: consistently failing" in words and "Latest (Jul 2025): 76.4%" in words
    assert "Jun 2023" in words and "field-testing" in words  # the break is named
    assert not at.info and at.get("download_button")


@pytest.mark.parametrize(("kind", "key", "value", "param"), [
    ("selectbox", "i", "ae-attendances", "ae-attendances"),
    ("selectbox", "a", NW_LONDON_ICB, NW_LONDON_ICB),
    ("selectbox", "c", "Type 1", "Type 1"),
    ("selectbox", "cp", "Apr 2024", "Apr 2024"),
    ("radio", "v", "seasonal", "seasonal"),
])
def test_each_selector_changes_the_chart_and_the_url(kind, key, value, param):
    at = run()
    before = specs(at)[0]
    change(at, kind, key, value)
    assert params(at)[key] == param
    assert specs(at)[0] != before


def test_change_point_recalculates_the_limits():
    at = run({"cp": "Apr 2024"})
    spec = specs(at)[0]
    means = [y for y in trace(spec, "Mean")["y"] if y is not None]
    assert len(set(means)) == 3  # before the break, Jun 2023 - Mar 2024, from Apr 2024
    assert any("Limits recalculated from Apr 2024" in a["text"] for a in spec["layout"]["annotations"])


def test_new_indicator_drops_the_old_area_and_change_point_without_a_notice():
    at = run({"a": NW_LONDON_ICB, "cp": "Apr 2024"})
    change(at, "selectbox", "i", "deaths-weekly-all-causes")
    assert params(at) == {"i": "deaths-weekly-all-causes"}
    assert not at.info
    assert "Deaths registered each week" in specs(at)[0]["layout"]["title"]["text"]


def test_forecast_view_and_horizon():
    at = run({"i": "ae-attendances", "v": "forecast"})
    spec = specs(at)[0]
    assert len(trace(spec, "Forecast")["x"]) == 12
    words = text(at)
    assert "the model beat a naive seasonal forecast" in words
    assert "History used: 38 months with data, Apr 2022 to Jul 2025" in words
    change(at, "selectbox", "h", 6)
    assert params(at) == {"i": "ae-attendances", "v": "forecast", "h": "6"}
    assert len(trace(specs(at)[0], "Forecast")["x"]) == 6


def test_forecast_that_does_not_beat_the_baseline_says_so():
    at = run({"i": "deaths-weekly-all-causes", "a": "K04000001", "v": "forecast"})
    assert at.warning and "did not beat a naive seasonal forecast" in at.warning[0].proto.body
    assert "did NOT beat" in text(at)


def test_too_little_history_explains_instead_of_drawing():
    at = run({"i": "iapt-referrals-received", "v": "forecast"})
    assert not specs(at)
    assert "only 11 months" in at.info[0].proto.body


def test_deep_link_restores_the_seasonal_view_with_excess_deaths():
    at = run({"i": "deaths-weekly-all-causes", "a": "K04000001", "v": "seasonal"})
    assert at.radio(key="trends_v").value == "seasonal"
    assert at.selectbox(key="trends_a").value == "K04000001"
    seasonal, excess = specs(at)
    assert "each year compared" in seasonal["layout"]["title"]["text"]
    assert "Average before 2020 (10 years)" in [t["name"] for t in seasonal["data"]]
    assert excess["data"][0]["type"] == "bar"
    assert "2,271 more than usual" in text(at)


@pytest.mark.parametrize("query", [
    {"i": "no-such-indicator"},
    {"a": "E99999999"},
    {"v": "pie"},
    {"h": "7"},
    {"cp": "Jan 1999"},
    {"c": "<script>alert(1)</script>"},
    {"i": "ae-attendances", "a": "=cmd|' /C calc'!A0", "h": "x" * 500},
])
def test_bad_links_give_a_notice_and_the_default(query):
    at = run(query)
    assert at.info, "expected a notice"
    assert specs(at)  # the page still draws the default view
    for key in query:
        if key != "i" or query[key] == "no-such-indicator":
            assert params(at).get(key) != query[key]
