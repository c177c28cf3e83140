"""AppTest for the area profile page: deep links restore the view, each selector changes the chart
and the URL, an old code leads to its successor with an explanation, and bad parameters give a
notice and no exception."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import figures, run_page

TIMEOUT = 120
BRADFORD = {"a": "E38000232", "at": "sub_icb"}


def run(**params: str) -> AppTest:
    return run_page("area", params, timeout=TIMEOUT)


def url(at: AppTest) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def spec(at: AppTest, index: int = 0) -> dict:
    return figures(at)[index]


def title(at: AppTest, index: int = 0) -> str:
    return spec(at, index)["layout"]["title"]["text"].replace("<br>", " ")


def rows(at: AppTest) -> list[str]:
    return spec(at)["layout"]["yaxis"]["tickvals"]


def infos(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


@pytest.fixture(scope="module", autouse=True)
def _built(store):  # the real store is built before any page runs
    return store


def test_empty_page_offers_search_and_examples():
    at = run()
    assert at.selectbox(key="profile_area").value is None
    assert "08H" in "\n".join(m.value for m in at.markdown)
    assert not figures(at)


def test_deep_link_restores_the_profile():
    at = run(**BRADFORD, t="long-term-conditions", b="parent")
    assert at.header[0].value.startswith("Bradford District and Craven")
    assert at.selectbox(key="profile_topic").value == "long-term-conditions"
    assert at.segmented_control(key="profile_bench").value == "parent"
    assert "compared with NHS West Yorkshire Integrated Care Board" in title(at)
    assert "diabetes-recorded-prevalence" in rows(at) and "iapt-recovery" not in rows(at)
    assert url(at) == {**BRADFORD, "t": "long-term-conditions", "b": "parent"}
    table = at.dataframe[0].value
    assert "Diabetes (GP recorded) (aged 17+)" in table["Indicator"].to_list()


def test_a_profile_longer_than_the_chart_cap_charts_the_first_rows_and_lists_all(monkeypatch):
    from explorer.queries import profile

    everything = rows(run(**BRADFORD))
    monkeypatch.setattr(profile, "SPINE_MAX_ROWS", 4)
    at = run(**BRADFORD)
    assert rows(at) == everything[:4]
    captions = "\n".join(c.value for c in at.caption)
    assert f"The chart shows the first 4 of the {len(everything)} indicators it could draw" in captions
    assert at.dataframe[0].value.shape[0] > len(everything) - 1  # the table still lists every row


def test_topic_selector_changes_chart_and_url():
    at = run(**BRADFORD)
    everything = rows(at)
    at.selectbox(key="profile_topic").set_value("heart-and-circulation").run()
    assert url(at)["t"] == "heart-and-circulation"
    assert set(rows(at)) < set(everything) and "stroke-recorded-prevalence" in rows(at)


def test_benchmark_selector_changes_chart_and_url():
    at = run(**BRADFORD)
    assert title(at).endswith("England")
    at.segmented_control(key="profile_bench").set_value("peers").run()
    assert url(at)["b"] == "peers" and "peer average" in title(at)
    assert "Compared with peer average" in at.dataframe[0].value.columns


def test_area_selector_changes_area_and_drops_dependent_picks():
    at = run(**BRADFORD, t="mental-health", p="E38000135~E38000016", v="peers")
    at.selectbox(key="profile_area").set_value("utla:E08000032").run()
    assert url(at) == {"a": "E08000032", "at": "utla", "v": "peers"}
    assert at.header[0].value == "Bradford"


def test_view_selector_switches_views():
    at = run(**BRADFORD)
    at.segmented_control(key="profile_view").set_value("funnel").run()
    assert url(at)["v"] == "funnel"
    assert "control limits" in json.dumps(spec(at)["data"])
    at.segmented_control(key="profile_view").set_value("attention").run()
    assert url(at)["v"] == "attention" and not figures(at)
    assert "No indicator is both" in infos(at)


def test_funnel_indicator_selector_changes_chart_and_url():
    at = run(**BRADFORD, v="funnel")
    first = title(at)
    at.selectbox(key="profile_funnel").set_value("diabetes-recorded-prevalence").run()
    assert url(at)["fi"] == "diabetes-recorded-prevalence"
    assert title(at) != first and "Diabetes" in title(at)


def test_peers_are_computed_then_user_chosen_and_in_the_url():
    at = run(**BRADFORD, v="peers")
    computed = at.multiselect(key="profile_peers").value
    assert len(computed) == 10 and "p" not in url(at)
    assert "IMD 2019 average score: weight 1" in "\n".join(m.value for m in at.markdown)
    at.multiselect(key="profile_peers").set_value(computed[:3]).run()
    assert url(at)["p"] == "~".join(computed[:3])
    assert at.multiselect(key="profile_peers").value == computed[:3]
    at.button[0].click().run()  # use the computed peers again
    assert "p" not in url(at) and len(at.multiselect(key="profile_peers").value) == 10


def test_compare_view_areas_and_indicator_over_time():
    at = run(**BRADFORD, v="compare", t="long-term-conditions")
    table = at.dataframe[0].value
    assert table.shape[1] == 4 + 5  # indicator, period, unit, England + the area and 4 peers
    at.multiselect(key="profile_compare").set_value(["E38000135"]).run()
    assert url(at)["c"] == "E38000135" and at.dataframe[0].value.shape[1] == 4 + 2
    at.selectbox(key="profile_over_time").set_value("diabetes-recorded-prevalence").run()
    assert url(at)["ci"] == "diabetes-recorded-prevalence"
    names = [t["name"] for t in spec(at)["data"] if t.get("mode") == "lines+markers"]
    assert any("Oldham" in n for n in names) and any("England" in n for n in names)


def test_old_code_leads_to_successor_with_explanation():
    at = run(a="08H")
    assert url(at) == {"a": "E38000240", "at": "ccg", "from": "E38000088"}
    text = infos(at)
    assert "NHS Islington CCG" in text and "North Central London" in text and "1 April 2020" in text
    assert at.header[0].value == "NHS North Central London CCG"
    old = run(a="E38000088", at="ccg", old="1")
    assert old.header[0].value == "NHS Islington CCG" and "merged" in infos(old)


def test_search_text_in_link_is_resolved():
    at = run(a="Bradford")
    assert url(at) == {"a": "E08000032", "at": "utla"}


@pytest.mark.parametrize("params", [
    {"a": "no-such-place"}, {**BRADFORD, "b": "mars"}, {**BRADFORD, "v": "<script>"},
    {**BRADFORD, "p": "NOPE~E38000135"}, {**BRADFORD, "t": "astrology"}, {**BRADFORD, "at": "trust"},
    {**BRADFORD, "fi": "x" * 500},
])
def test_bad_parameters_give_a_notice_and_no_exception(params):
    at = run(**params)
    assert at.info, "expected a notice"
