"""Home and About pages under AppTest: topics link into Explore, the search box finds indicators
and keeps its words in the URL, the newest data are listed, and About lists every source."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parents[2] / "pages"


@pytest.fixture(scope="module", autouse=True)
def _built(store):
    return store


def run(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_home_links_every_topic_into_explore():
    at = run("home.py")
    text = markdown(at)
    assert "Long-term conditions**](/explore?t=long-term-conditions)" in text
    assert "A&amp;E and urgent care**](/explore?t=urgent-care)" in text
    assert at.metric[0].value == "90"


def test_home_lists_the_newest_data_with_a_link():
    text = markdown(run("home.py"))
    # A&E by ICB runs to July 2025, the newest period held.
    assert "latest period Jul 2025" in text and "/explore?i=ae-" in text


def test_search_finds_indicators_and_keeps_the_words_in_the_url():
    at = run("home.py")
    at.text_input(key="home_q").input("sugar").run()
    assert at.query_params["q"] in ("sugar", ["sugar"])
    text = markdown(at)
    assert "(/explore?i=diabetes-recorded-prevalence)" in text and "(/indicator?i=diabetes-recorded-prevalence)" in text


def test_search_deep_link_and_no_match():
    assert "/explore?i=smoking-prevalence-adults" in markdown(run("home.py", {"q": "smoking"}))
    assert "Nothing matches" in markdown(run("home.py", {"q": "xyzzyplugh"}))


def test_about_explains_methods_and_lists_the_sources():
    at = run("about.py")
    text = markdown(at)
    for phrase in ("Wilson", "Byar", "Dobson", "99.8%", "Open Government Licence v3.0",
                   "Open Parliament Licence", "OS data © Crown copyright", "re-estimated"):
        assert phrase in text
    sources = at.dataframe[0].value
    assert {"Producer", "Dataset", "Files", "Rows read", "Rows loaded", "Rows rejected"} <= set(sources.columns)
    qof = sources[sources["Dataset"].str.startswith("Quality and Outcomes Framework")]
    assert (qof["Rows read"] == qof["Rows loaded"] + qof["Rows rejected"]).all()
