"""AppTest for the catalogue, indicator, coherence, release calendar and producers pages: deep
links restore the view, each selector changes what is shown and the URL, and bad parameters give
a notice and no exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from explorer import paths
from tests.app.helpers import figures

TIMEOUT = 120


def run(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def url(at: AppTest) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def notices(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def chart_spec(at: AppTest) -> dict:
    (chart,) = figures(at)
    return chart


@pytest.fixture(scope="module", autouse=True)
def _built(store):   # the real store is built before any page runs
    return store


# --- catalogue ------------------------------------------------------------------------------------
def test_catalogue_deep_link_restores_search_and_filters():
    at = run("indicators", q="sugar", t="long-term-conditions")
    assert at.text_input[0].value == "sugar"
    assert at.multiselect[0].value == ["long-term-conditions"]
    assert "**1 of 90 indicators** matching" in texts(at)
    assert "/indicator?i=diabetes-recorded-prevalence" in texts(at)
    assert "/explore?i=diabetes-recorded-prevalence" in texts(at)


def test_catalogue_search_box_and_filters_change_results_and_url():
    at = run("indicators")
    assert "**90 indicators** in the catalogue" in texts(at)
    at.text_input[0].input("COPD").run()
    assert url(at) == {"q": "COPD"}
    results = [m.value for m in at.markdown if "/indicator?i=" in m.value]
    assert "/indicator?i=copd-recorded-prevalence" in results[0]
    at.multiselect[1].select("House of Commons Library").run()
    assert url(at) == {"q": "COPD", "pr": "House of Commons Library"}
    at.multiselect[2].select("trust").run()
    assert url(at)["at"] == "trust"
    assert "No indicator matches" in at.warning[0].value
    at.multiselect[2].unselect("trust").run()
    at.select_slider[0].set_value((2019, 2020)).run()
    assert url(at) == {"q": "COPD", "pr": "House of Commons Library", "from": "2019", "to": "2020"}


def test_catalogue_bad_parameters_give_notices():
    at = run("indicators", t="nonsense~lifestyle", pr="Nobody", at="moon", q='say "hi"?', **{"from": "1800"})
    shown = " ".join(notices(at))
    assert "nonsense" in shown and "Nobody" in shown and "moon" in shown and "1800" in shown
    assert url(at) == {"q": "say hi", "t": "lifestyle"}


def test_catalogue_swapped_years_are_put_right():
    at = run("indicators", **{"from": "2020", "to": "2015"})
    assert any("swapped" in n for n in notices(at))
    assert at.select_slider[0].value == (2015, 2020)


# --- indicator ------------------------------------------------------------------------------------
def test_indicator_deep_link_shows_definition_and_cross_references():
    at = run("indicator", i="healthy-life-expectancy")
    assert at.title[0].value == "Healthy life expectancy at birth"
    body = texts(at)
    assert "90362" in body and "/coherence?i=healthy-life-expectancy" in body
    assert "/explore?i=healthy-life-expectancy" in body


def test_indicator_selector_changes_page_and_url():
    at = run("indicator", i="healthy-life-expectancy")
    at.selectbox[0].select("obesity-recorded-prevalence").run()
    assert url(at) == {"i": "obesity-recorded-prevalence"}
    body = texts(at)
    assert "/indicator?i=obesity-prevalence-adults" in body        # not the same as
    assert "2015/16" in body                                       # break in series


def test_indicator_bad_or_missing_parameter():
    at = run("indicator", i="no-such-thing")
    assert "no-such-thing" in notices(at)[0]
    assert url(at) == {} and at.title[0].value == "Indicator definitions"


# --- coherence ------------------------------------------------------------------------------------
def test_coherence_deep_link_shows_comparison_chart_and_reasons():
    at = run("coherence", i="healthy-life-expectancy")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Compared"] == "147 areas" and metrics["Beyond their intervals"] == "no intervals"
    spec = chart_spec(at)
    assert "ONS against OHID" in spec["layout"]["title"]["text"]
    assert len(spec["data"][1]["x"]) + len(spec["data"][2]["x"]) == 294
    assert "periods differ" in texts(at)
    reasons = at.table[-1].value
    assert list(reasons.iloc[:, 0])[:5] == ["Definition", "Population base", "Period", "Rounding", "Modelling"]


def test_coherence_selector_changes_chart_and_url():
    at = run("coherence", i="healthy-life-expectancy")
    before = chart_spec(at)
    at.selectbox[0].select("diabetes-recorded-prevalence").run()
    assert url(at) == {"i": "diabetes-recorded-prevalence"}
    after = chart_spec(at)
    assert after != before and len(after["data"]) == 2 and after["data"][0]["x"][0] == pytest.approx(7.0826, abs=1e-4)
    assert {m.label: m.value for m in at.metric}["Beyond their intervals"] == "0%"


def test_coherence_without_common_period_says_so():
    at = run("coherence", i="ae-attendances")
    assert "too far apart to compare" in texts(at)
    assert not figures(at)


def test_coherence_bad_parameters():
    at = run("coherence", i="population-total", p="2019")
    shown = " ".join(notices(at))
    assert "population-total" in shown and "period" in shown
    assert url(at) == {}


# --- releases -------------------------------------------------------------------------------------
def test_releases_deep_link_restores_revision_view():
    at = run("releases", per="2017/18", i="diabetes-recorded-prevalence")
    assert at.selectbox[1].value == "2017/18" and at.selectbox[2].value == "diabetes-recorded-prevalence"
    assert "**111 revised values** for 2017/18" in texts(at)


def test_releases_selectors_change_table_and_url():
    at = run("releases")
    assert "**1,449 revised values** for 2018/19" in texts(at)
    at.selectbox[1].select("2016/17").run()
    assert url(at) == {"per": "2016/17"}
    assert "**2,499 revised values** for 2016/17" in texts(at)
    at.selectbox[2].select("diabetes-recorded-prevalence").run()
    assert url(at) == {"per": "2016/17", "i": "diabetes-recorded-prevalence"}


def test_releases_bad_parameters():
    at = run("releases", s="bogus", per="1999", i="nope")
    assert len(notices(at)) == 3
    assert url(at) == {}


# --- producers ------------------------------------------------------------------------------------
def test_producers_selector_and_deep_link():
    at = run("producers")
    assert url(at) == {}
    at.selectbox[0].select("House of Commons Library").run()
    assert url(at) == {"pr": "House of Commons Library"}
    assert at.header[0].value == "House of Commons Library"
    again = run("producers", pr="House of Commons Library")
    assert again.selectbox[0].value == "House of Commons Library"


def test_producers_bad_parameter():
    at = run("producers", pr="Nobody at all")
    assert "Nobody at all" in notices(at)[0] and url(at) == {}
