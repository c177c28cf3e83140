"""End to end: the area profile in a real browser against the real store: search for an area by
ODS code, follow an old code to its successor, switch views, download the profile as CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.e2e


def close_dialog(page) -> None:
    """Streamlit can flash "Page not found" on a first visit to a page whose url_path differs from
    its file name (pages/area.py is served at /area); the page itself runs. Close it."""
    dialog = page.get_by_role("dialog")
    if dialog.count():
        page.keyboard.press("Escape")
        dialog.first.wait_for(state="detached", timeout=10_000)


def test_search_by_ods_code_opens_the_profile(page, app_url):
    page.goto(app_url + "/area")
    wait_for_app(page)
    box = page.get_by_test_id("stSelectbox").first
    box.wait_for(timeout=90_000)  # the first visit loads the store
    close_dialog(page)
    assert_no_exception(page)
    box.click()
    page.keyboard.type("36J")
    page.get_by_role("option").filter(has_text="sub-ICB location").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Bradford District and Craven").first.wait_for(timeout=30_000)
    assert "a=E38000232" in page.url and "at=sub_icb" in page.url
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert_no_exception(page)
    assert not page.errors


def test_old_code_link_explains_and_views_switch(page, app_url):
    page.goto(app_url + "/area?a=08H")
    wait_for_app(page)
    page.get_by_text("which no longer exists").first.wait_for(timeout=90_000)
    close_dialog(page)
    assert "a=E38000240" in page.url and "from=E38000088" in page.url
    page.locator(".js-plotly-plot").first.wait_for(timeout=90_000)
    page.get_by_text("Funnel plot", exact=True).click()
    wait_for_app(page)
    page.get_by_text("control limits").first.wait_for(timeout=30_000)
    assert "v=funnel" in page.url
    assert_no_exception(page)


def test_profile_downloads_as_csv(page, app_url):
    page.goto(app_url + "/area?a=E08000032&at=utla&t=lifestyle")
    wait_for_app(page)
    page.get_by_role("button", name="Table as CSV").wait_for(timeout=90_000)
    close_dialog(page)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Table as CSV").click()
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Topic,Indicator id,Indicator,Breakdown,Area code,Area,")
    assert "smoking-prevalence-adults" in text
    assert_no_exception(page)
