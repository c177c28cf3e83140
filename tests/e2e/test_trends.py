"""End to end in Debian's Chromium: the Trends page draws the SPC chart, switching to the forecast
puts the view in the URL, a deep link restores the seasonal view, a bad link gives a notice.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_no_exception, wait_for_app

pytestmark = pytest.mark.e2e


COLD = 120_000  # the first view in a fresh server loads the store and fits models: generous on a busy CI


def wait_for_chart(page, count: int = 1) -> None:
    page.locator(".js-plotly-plot").nth(count - 1).wait_for(state="attached", timeout=COLD)


def test_spc_chart_then_forecast_in_the_url(page, app_url):
    page.goto(app_url + "/trends?i=ae-attendances")
    wait_for_app(page)
    assert_no_exception(page)
    wait_for_chart(page)
    page.get_by_text("Latest point:").first.wait_for(timeout=COLD)
    page.get_by_test_id("stRadio").get_by_text("Forecast", exact=True).click()
    page.wait_for_url(re.compile(r"v=forecast"), timeout=COLD)
    wait_for_app(page)
    page.get_by_text("beat a naive seasonal forecast").first.wait_for(timeout=COLD)
    wait_for_chart(page)
    assert "i=ae-attendances" in page.url
    page.screenshot(path=str(ARTIFACTS / "trends-forecast.png"), full_page=True)
    assert_no_exception(page)
    assert not page.errors


def test_deep_link_restores_seasonal_view_and_bad_link_notice(page, app_url):
    page.goto(app_url + "/trends?i=deaths-weekly-all-causes&a=K04000001&v=seasonal")
    wait_for_app(page)
    wait_for_chart(page)
    heading = page.get_by_text("Excess deaths", exact=True).first
    heading.wait_for(timeout=COLD)
    heading.scroll_into_view_if_needed()  # Streamlit mounts a chart only once it is near the viewport
    wait_for_chart(page, 2)
    assert "v=seasonal" in page.url and "a=K04000001" in page.url
    assert_no_exception(page)
    page.goto(app_url + "/trends?i=nonsense&v=pie")
    wait_for_app(page)
    page.get_by_text("The indicator in the link ('nonsense')").wait_for(timeout=COLD)
    assert_no_exception(page)
    wait_for_chart(page)
    assert not page.errors
