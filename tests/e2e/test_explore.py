"""End to end in Debian's Chromium: open Explore, choose an indicator, see the map, switch to the
trend, open a deep link; the home page leads into Explore. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_no_exception, wait_for_app

pytestmark = pytest.mark.e2e


MAP_AREAS = ".js-plotly-plot path.choroplethlocation"


def wait_for_charts(page, count: int = 1, map_view: bool = True) -> None:
    """`count` charts drawn on the page, and on the map view the map painted: plotly draws the
    areas as SVG paths once the boundary file has arrived."""
    page.locator(".js-plotly-plot").nth(count - 1).wait_for(state="attached", timeout=45_000)
    if map_view:
        page.locator(MAP_AREAS).first.wait_for(timeout=45_000)


def open_view(page, name: str, code: str) -> None:
    """Click one of the results' tabs; the URL keeps it (tab=…, except the default map)."""
    page.get_by_role("tab", name=name).click()
    if code != "map":
        page.wait_for_url(re.compile(f"tab={code}"), timeout=30_000)
    wait_for_app(page)


def test_choose_an_indicator_then_see_the_map_and_the_trend(page, app_url):
    """…and nothing is fetched from anywhere but the app itself: no tiles, fonts or topology."""
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((app_url, "data:", "blob:")) else elsewhere.append(r.url))
    page.goto(app_url + "/explore")
    wait_for_app(page)
    assert_no_exception(page)
    wait_for_charts(page)
    assert "i=diabetes-recorded-prevalence" in page.url
    indicator = page.get_by_test_id("stSelectbox").filter(has_text="Indicator")
    indicator.click()
    page.keyboard.type("Asthma")
    page.get_by_role("option", name=re.compile("^Asthma – recorded prevalence")).first.click()
    page.wait_for_url(re.compile(r"i=asthma-recorded-prevalence"), timeout=30_000)
    wait_for_app(page)
    page.get_by_role("heading", name=re.compile("Asthma – recorded prevalence")).first.wait_for(timeout=30_000)
    wait_for_charts(page)
    page.screenshot(path=str(ARTIFACTS / "explore-asthma.png"), full_page=True)
    assert page.locator(MAP_AREAS).count() > 100  # every CCG drawn
    open_view(page, "Trend", "trend")
    page.locator(".js-plotly-plot .legendtext").filter(has_text="England").first.wait_for(timeout=30_000)
    assert page.locator(MAP_AREAS).count() == 0  # one view at a time
    assert "i=asthma-recorded-prevalence" in page.url
    assert_no_exception(page)
    assert not page.errors
    assert not elsewhere, elsewhere


def test_deep_link_restores_areas_benchmark_and_trend(page, app_url):
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=icb&a=E54000054&bm=parent&c=quintile")
    wait_for_app(page)
    assert_no_exception(page)
    wait_for_charts(page)
    page.get_by_text("NHS West Yorkshire Integrated Care Board was 7.6%").first.wait_for(timeout=30_000)
    assert page.get_by_text("Recent trend in NHS West Yorkshire Integrated Care Board").count() == 1
    assert "a=E54000054" in page.url and "bm=parent" in page.url and "c=quintile" in page.url
    page.screenshot(path=str(ARTIFACTS / "explore-deep-link.png"), full_page=True)
    assert not page.errors


def test_bad_link_gives_a_notice_and_home_topics_lead_to_explore(page, app_url):
    page.goto(app_url + "/explore?i=nonsense&p=1066")
    wait_for_app(page)
    page.get_by_text("The indicator in the link ('nonsense')").wait_for(timeout=30_000)
    assert_no_exception(page)
    page.goto(app_url + "/")
    wait_for_app(page)
    page.get_by_role("link", name="Mental health and dementia").click()
    page.wait_for_url(re.compile(r"/explore\?.*t=mental-health"), timeout=30_000)
    wait_for_app(page)
    wait_for_charts(page)
    assert_no_exception(page)


def test_map_colour_and_compare_view_rerun_only_their_own_block(page, app_url):
    """The colour and ranked/funnel controls are fragment-scoped: the URL follows them and their
    chart changes, while the server sends far fewer messages than a full rerun of the page."""
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(1)))
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=ccg&p=2019%2F20")
    wait_for_app(page)
    wait_for_charts(page)
    page.get_by_text(re.compile("Of the 135 CCGs with a value")).first.wait_for(timeout=30_000)
    full_run = len(frames)
    # The map is redrawn in place (explorer.ui_plotly): the same chart element, updated by Plotly.react.
    page.evaluate("() => { document.querySelector('.js-plotly-plot').__kept = true; }")

    frames.clear()
    page.get_by_test_id("stRadio").filter(has_text="Colour the map by").get_by_text("Quintiles").click()
    page.wait_for_url(re.compile(r"c=quintile"), timeout=30_000)
    page.locator(".js-plotly-plot .legendtext").filter(has_text=re.compile("^Q1")).first.wait_for(timeout=30_000)
    wait_for_app(page)
    colour_run = len(frames)
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').__kept === true")

    open_view(page, "Compare areas", "compare")
    frames.clear()
    page.get_by_test_id("stRadio").filter(has_text="Compare areas as").get_by_text("Funnel plot").click()
    page.wait_for_url(re.compile(r"v=funnel"), timeout=30_000)
    page.locator(".js-plotly-plot .legendtext").filter(has_text=re.compile("control limits")).first.wait_for(
        timeout=30_000)
    wait_for_app(page)
    view_run = len(frames)

    assert colour_run < full_run / 2 and view_run < full_run / 2, (full_run, colour_run, view_run)
    assert "c=quintile" in page.url and "v=funnel" in page.url
    assert_no_exception(page)
    assert not page.errors


def sent_elements(payloads: list[bytes]) -> list[tuple[str, str | None]]:
    """(kind, label or None) of each element the server sent in these websocket messages, in the
    order sent (Streamlit's protobuf; a message the browser already holds is only a hash)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    elements = []
    for payload in payloads:
        msg = ForwardMsg()
        msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            kind = element.WhichOneof("type")
            elements.append((kind, getattr(getattr(element, kind), "label", None)))
    return elements


def sent_widgets(payloads: list[bytes]) -> list[str]:
    return [label for _kind, label in sent_elements(payloads) if label is not None]


def choose_period(page, period: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="Period").click()
    page.get_by_role("option", name=period).click()
    page.wait_for_url(re.compile("p=" + re.escape(period.replace("/", "%2F"))), timeout=30_000)
    page.get_by_text(re.compile(f"^In {re.escape(period)},")).first.wait_for(timeout=30_000)
    wait_for_app(page)


def test_a_new_period_reruns_only_the_results_unless_the_choices_above_change(page, app_url):
    """The period sits with the results it changes: choosing one resends the period, areas, summary
    and the open view (the map) but not the selectors above, nor the views in the other tabs. A
    period that offers other age groups (QOF's 2013/14 CSV has 'All ages' too) reruns the whole
    page, so the selectors show that choice."""
    payloads: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: payloads.append(payload)))
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=ccg&p=2014%2F15")
    wait_for_app(page)
    wait_for_charts(page)
    assert {"Indicator", "Period", "Colour the map by"} <= set(sent_widgets(payloads))
    assert page.get_by_test_id("stSelectbox").filter(has_text="Age group").count() == 0

    payloads.clear()
    choose_period(page, "2015/16")
    sent = sent_widgets(payloads)
    assert "Period" in sent and "Colour the map by" in sent, sent
    assert not {"Topic", "Indicator", "Area type", "Compare with"} & set(sent), sent
    kinds = [kind for kind, _label in sent_elements(payloads)]
    assert kinds.count("bidi_component") == 1 and "dataframe" not in kinds, kinds  # the map only
    page.locator(".js-plotly-plot .gtitle").filter(has_text="2015/16").first.wait_for(timeout=30_000)

    payloads.clear()
    choose_period(page, "2013/14")
    assert {"Indicator", "Age group", "Period"} <= set(sent_widgets(payloads))
    page.get_by_test_id("stSelectbox").filter(has_text="Age group").wait_for(timeout=30_000)
    assert "p=2013%2F14" in page.url
    assert_no_exception(page)
    assert not page.errors


def test_a_tab_opens_its_view_and_reruns_only_the_results(page, app_url):
    """The map, compare-areas chart, trend and table are tabs, one drawn at a time: opening one
    puts it in the URL and sends that view (with the period, areas and summary), never the
    selectors above; the map, the default, leaves the URL."""
    payloads: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: payloads.append(payload)))
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=ccg&p=2019%2F20")
    wait_for_app(page)
    wait_for_charts(page)
    payloads.clear()
    open_view(page, "Table", "table")
    page.get_by_test_id("stDataFrame").wait_for(timeout=30_000)
    kinds = [kind for kind, _label in sent_elements(payloads)]
    assert "dataframe" in kinds and "bidi_component" not in kinds, kinds
    assert "Period" in sent_widgets(payloads)
    assert not {"Topic", "Indicator", "Area type", "Compare with"} & set(sent_widgets(payloads))
    assert page.locator(".js-plotly-plot").count() == 0
    open_view(page, "Map", "map")
    page.wait_for_function("() => !location.search.includes('tab=')", timeout=30_000)
    wait_for_charts(page)
    assert page.get_by_test_id("stDataFrame").count() == 0
    assert_no_exception(page)
    assert not page.errors


RANKED = ("() => [...document.querySelectorAll('.js-plotly-plot')].findIndex(gd => (gd.data || []).some("
          "t => Array.isArray(t.y) && /^E54/.test(String(t.y[0]))))")


def click_a_ranked_point(page, nth: int) -> None:
    """Click the nth point of the ranked chart (the chart whose y values are ICB codes)."""
    index = page.evaluate(RANKED)
    assert index >= 0, "no ranked chart on the page"
    point = page.locator(".js-plotly-plot").nth(index).locator(".scatterlayer .points path").nth(nth)
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_new_period_redraws_the_chart_in_place(page, app_url):
    """A rerun keeps the chart's element: the page's blocks keep their places whether or not a
    notice shows (2018/19 has one about boundaries, 2019/20 none), so nothing is remounted."""
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=ccg&p=2019%2F20")
    wait_for_app(page)
    wait_for_charts(page)
    page.evaluate("() => document.querySelectorAll('.js-plotly-plot').forEach((gd, i) => { gd.__slot = i; })")
    period = page.get_by_test_id("stSelectbox").filter(has_text="Period")
    period.click()
    page.get_by_role("option", name="2018/19").click()
    page.wait_for_url(re.compile(r"p=2018%2F19"), timeout=30_000)
    page.get_by_text(re.compile("^In 2018/19,")).first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.locator(".js-plotly-plot .gtitle").filter(has_text="2018/19").first.wait_for(timeout=30_000)
    kept = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => gd.__slot)")
    assert kept == [0], kept
    assert_no_exception(page)
    assert not page.errors


def test_a_click_on_the_ranked_chart_highlights_that_area(page, app_url):
    """The ranked chart's points are areas: clicking one adds it to the chosen areas (URL and trend
    follow), clicking it again takes it off."""
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=icb&p=2019%2F20&tab=compare")
    wait_for_app(page)
    wait_for_charts(page, map_view=False)
    click_a_ranked_point(page, 5)
    page.wait_for_url(re.compile(r"[?&]a=E54"), timeout=30_000)
    code = re.search(r"[?&]a=(E54\d+)", page.url).group(1)
    wait_for_app(page)
    page.get_by_text(re.compile("^Recent trend in")).first.wait_for(timeout=30_000)
    click_a_ranked_point(page, 5)
    page.wait_for_function(f"() => !location.search.includes('{code}')", timeout=30_000)
    assert_no_exception(page)
    assert not page.errors


def test_charts_follow_their_column_when_the_sidebar_closes(page, app_url):
    """Closing the sidebar widens the columns without resizing the window; the charts follow."""
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=icb&p=2019%2F20&tab=compare")
    wait_for_app(page)
    wait_for_charts(page, map_view=False)
    width = "() => document.querySelectorAll('.js-plotly-plot .main-svg')[0].getBoundingClientRect().width"
    before = page.evaluate(width)
    page.get_by_test_id("stSidebar").hover()
    page.get_by_test_id("stSidebarCollapseButton").locator("button").click(force=True)
    page.wait_for_function(f"(before) => ({width})() > before + 100", arg=before, timeout=30_000)
    assert not page.errors


def test_a_chart_opens_full_screen_from_its_mode_bar(page, app_url):
    page.goto(app_url + "/explore?i=diabetes-recorded-prevalence&at=icb&p=2019%2F20&tab=trend")
    wait_for_app(page)
    wait_for_charts(page, map_view=False)
    trend = page.locator(".js-plotly-plot").first
    height = trend.bounding_box()["height"]
    trend.hover()
    trend.locator('.modebar-btn[data-title="Full screen"]').click()
    page.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.matches('.js-plotly-plot')",
                           timeout=30_000)
    drawn = "document.fullscreenElement.querySelector('.main-svg').getBoundingClientRect().height"
    grown = f"() => {drawn} > {height} + 100"
    page.wait_for_function(grown, timeout=30_000)  # the figure takes the screen's height, not just the box
    page.evaluate("() => document.exitFullscreen()")
    page.wait_for_function("() => !document.fullscreenElement", timeout=30_000)
    now = "document.querySelectorAll('.js-plotly-plot')[0].getBoundingClientRect().height"
    back = f"() => Math.abs({now} - {height}) < 2"
    page.wait_for_function(back, timeout=30_000)  # and back to its size on the page
    assert not page.errors
