"""The page benchmark's clock (explorer.bench.pages): an interaction is timed from the input event
the page received, and from the driver's click call, to the last change it caused."""

from __future__ import annotations

import pytest

from explorer.bench import pages as bp
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_an_interaction_is_timed_from_the_input_event_and_from_the_click_call(page, app_url):
    case = bp.CASES[0]
    page.context.add_init_script(bp.LAST_CHANGE_INIT)
    page.goto(app_url + case.path)
    wait_for_app(page)
    page.wait_for_function(bp.CHARTS_JS, arg=case.charts, timeout=120_000, polling=50)
    colour = case.interactions[1]
    from_input, from_call, visible = bp._interact(page, colour, colour.options[0], case.charts)
    assert 0 < visible <= from_input <= from_call < 30
    assert page.evaluate("() => window.__input") is not None  # the click's pointerdown was seen


def test_the_report_judges_the_median_from_the_input_and_shows_the_driver_figure():
    result = {"server_start_s": 3.0, "pages": [{
        "name": "Explore", "path": "/explore", "cold_fcp_s": 1, "cold_content_s": 2, "cold_server_s": 2,
        "cold_charts_s": 4, "warm_fcp_s": 1, "warm_content_s": 2, "warm_server_s": 2, "warm_charts_s": 4,
        "interactions": [{"interaction": "Period: a ↔ b", "seconds": [0.4, 0.6, 0.45, 0.5],
                          "median_s": bp._median([0.4, 0.6, 0.45, 0.5]), "max_s": 0.6,
                          "from_click_call_median_s": 0.55, "visible_median_s": 0.3}]}]}
    assert result["pages"][0]["interactions"][0]["median_s"] == 0.475
    text = bp.markdown(result)
    assert "| Explore | Period: a ↔ b | 0.4, 0.6, 0.45, 0.5 | 0.475 | 0.6 | yes | 0.3 | 0.55 |" in text


def test_each_run_reports_the_machine_speed_beside_its_timings():
    assert 0 < bp.cpu_probe(loops=1) < 60
    result = {"server_start_s": 3.0, "cpu_probe_before_s": 0.21, "cpu_probe_after_s": 0.38, "pages": []}
    assert "0.21 s before, 0.38 s after" in bp.markdown(result)


def test_the_last_visible_change_leaves_out_the_table_grids_screen_reader_copy(page, app_url):
    """In Explore's Table view a new period's last DOM change is the grid rewriting the copy of its
    cells kept inside its <canvas> (never painted): the visible clock stops before it."""
    case = next(c for c in bp.CASES if c.path.endswith("tab=table"))
    page.context.add_init_script(bp.LAST_CHANGE_INIT)
    page.goto(app_url + case.path)
    wait_for_app(page)
    page.get_by_test_id("stDataFrame").wait_for(timeout=120_000)
    period = case.interactions[0]
    from_input, _from_call, visible = bp._interact(page, period, period.options[0], case.charts)
    assert 0 < visible < from_input
    assert page.locator("canvas [id^=glide-cell-]").count() > 0  # the copy the visible clock leaves out
