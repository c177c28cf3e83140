"""End to end: search the catalogue and open an indicator, compare producers, read the release
calendar, in a real browser against the real store."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.e2e


def dismiss_page_not_found(page) -> None:
    """Streamlit bug #9992: the first visit to a page whose url_path differs from its file name
    (/indicators is pages/indicators.py) shows a spurious "Page not found" modal over the right page."""
    notice = page.get_by_text("Page not found")
    with contextlib.suppress(PlaywrightTimeout):
        notice.first.wait_for(timeout=3_000)
    if notice.count():
        page.keyboard.press("Escape")
        notice.first.wait_for(state="detached", timeout=10_000)


def test_search_then_open_the_indicator_page(page, app_url):
    page.goto(app_url + "/indicators?q=COPD")
    wait_for_app(page)
    assert_no_exception(page)
    dismiss_page_not_found(page)
    link = page.get_by_role("link", name="COPD – recorded prevalence (QOF)").first
    link.wait_for(timeout=120_000)
    link.click()
    wait_for_app(page)
    page.get_by_role("heading", name="COPD – recorded prevalence (QOF)").first.wait_for(timeout=120_000)
    assert "/indicator?i=copd-recorded-prevalence" in page.url
    assert page.get_by_text("Not the same as").count() >= 1
    assert_no_exception(page)


def test_coherence_page_shows_chart_table_and_reasons(page, app_url):
    page.goto(app_url + "/coherence?i=healthy-life-expectancy")
    wait_for_app(page)
    assert_no_exception(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    assert page.get_by_text("The periods differ").count() >= 1
    assert page.get_by_text("Why the figures differ").count() == 1
    assert not page.errors


def test_release_calendar_lists_sources_and_revisions(page, app_url):
    page.goto(app_url + "/releases?per=2018%2F19&i=diabetes-recorded-prevalence")
    wait_for_app(page)
    assert_no_exception(page)
    page.get_by_text("revised values").first.wait_for(timeout=120_000)
    assert page.get_by_text("69 revised values").count() == 1
    # 2018/19 is the default period, so the canonical link leaves it out.
    assert page.url.endswith("/releases?i=diabetes-recorded-prevalence")
