"""Seasonal forecasts on real series, with the backtest against a naive seasonal baseline pinned.

The figures are what statsmodels' ETSModel gives on these series today; a library upgrade that
moves them by more than the tolerances is worth a look before re-pinning.
"""

from __future__ import annotations

import datetime as dt
import time

import polars as pl
import pytest

from explorer import forecast
from explorer.queries import trends, trends_views

ENGLAND = trends.ENGLAND


def trust_file_england(store) -> tuple[tuple, tuple]:
    """England A&E attendances, Apr 2016 to Mar 2019: NHS England's provider-file totals."""
    rows = (store.values("ae-attendances", area_type="england", category="All types")
            .filter(pl.col("status") == "published").sort("period_start"))
    assert rows.height == 36 and rows["period"][0] == "Apr 2016" and rows["period"][-1] == "Mar 2019"
    return tuple(rows["period_start"]), tuple(rows["value"])


def test_backtest_on_england_ae_attendances_2016_to_2019_beats_naive_seasonal(store):
    starts, values = trust_file_england(store)
    result = forecast.forecast(starts, values, "month", 12, 0.0)
    assert result.spec == "MNM"  # ETS(M,N,M) has the lowest AICc of the four forms
    test = result.backtest
    assert (test.first, test.last, test.held_out) == (dt.date(2018, 4, 1), dt.date(2019, 3, 1), 12)
    assert test.model_mase == pytest.approx(1.246, abs=0.01)
    assert test.naive_mase == pytest.approx(1.797, abs=0.001)  # no fitting: exact
    assert test.model_mape == pytest.approx(2.78, abs=0.05)
    assert test.naive_mape == pytest.approx(4.003, abs=0.001)
    assert test.beats_baseline
    sentences = " ".join(trends_views.backtest_sentences(result, "month"))
    assert "beat the naive seasonal forecast" in sentences and "NOT" not in sentences


def test_backtest_on_england_ae_attendances_summed_from_icbs_2022_to_2025(store):
    indicator = store.indicator("ae-attendances")
    series = trends.series(store, "ae-attendances", ENGLAND, "All types")
    breaks = trends.series_breaks(store, "ae-attendances", ENGLAND, series, "month")
    result = trends_views.run_forecast(series, indicator, "month", breaks, None, 12)
    # Never across the 2019-2022 gap: the history starts after the break.
    assert result.history_first == dt.date(2022, 4, 1) and result.history_last == dt.date(2025, 7, 1)
    assert result.history_points == 38 and result.filled == 2  # Feb and Mar 2025 are missing
    test = result.backtest
    assert test.held_out == 10  # the two missing months are not scored
    assert test.model_mase == pytest.approx(0.31, abs=0.02)
    assert test.naive_mase == pytest.approx(0.703, abs=0.001)
    assert test.beats_baseline
    frame = result.frame
    assert frame["period"].to_list()[:2] == ["Aug 2025", "Sep 2025"] and frame.height == 12


def test_weekly_deaths_model_does_not_beat_the_baseline_and_says_so(store):
    indicator = store.indicator("deaths-weekly-all-causes")
    series = trends.series(store, "deaths-weekly-all-causes", "K04000001", None)
    result = trends_views.run_forecast(series, indicator, "week", [], None, 12)
    test = result.backtest
    assert result.spec is not None and "seasonal period 52" in result.method
    # The held-out weeks end in the first COVID-19 surge (w/e 3 April 2020): last year's figures win.
    assert test.last == dt.date(2020, 3, 28)
    assert not test.beats_baseline
    assert test.naive_mae == pytest.approx(1002.5)  # no fitting: exact
    assert test.naive_mase == pytest.approx(1.549, abs=0.001)
    assert test.model_mase == pytest.approx(1.83, abs=0.1)
    assert test.model_mape == pytest.approx(9.09, abs=0.5) and test.naive_mape == pytest.approx(7.41, abs=0.01)
    assert "did NOT beat the naive seasonal forecast" in " ".join(trends_views.backtest_sentences(result, "week"))


def test_too_little_history_gives_a_reason_not_a_fan(store):
    indicator = store.indicator("iapt-referrals-received")
    series = trends.series(store, "iapt-referrals-received", ENGLAND, None)
    result = trends_views.run_forecast(series, indicator, "month", [], None, 12)
    assert result.frame is None
    assert "only 11 months" in result.reason and "at least 24 months" in result.reason


def test_no_forecast_across_the_four_hour_definition_break(store):
    indicator = store.indicator("ae-within-four-hours")
    series = trends.series(store, "ae-within-four-hours", ENGLAND, "All types")
    breaks = trends.series_breaks(store, "ae-within-four-hours", ENGLAND, series, "month")
    result = trends_views.run_forecast(series, indicator, "month", breaks, None, 6)
    assert result.history_first == dt.date(2023, 6, 1)
    assert result.backtest is None  # 26 months: enough to forecast, too few to hold 12 out
    assert "Not tested" in " ".join(trends_views.backtest_sentences(result, "month"))
    assert result.frame["upper95"].max() <= 100  # a percentage stays a percentage
    # A change point that leaves less than two years refuses to forecast.
    cp = trends_views.change_point_start(series, "Jan 2024")
    short = trends_views.run_forecast(series, indicator, "month", breaks, cp, 6)
    assert short.frame is None and "at least 24 months" in short.reason


def test_intervals_nest_and_repeat_exactly(store):
    starts, values = trust_file_england(store)
    first = forecast.forecast(starts, values, "month", 12, 0.0)
    frame = first.frame
    assert (frame["lower95"] <= frame["lower80"]).all() and (frame["lower80"] <= frame["mean"]).all()
    assert (frame["mean"] <= frame["upper80"]).all() and (frame["upper80"] <= frame["upper95"]).all()
    forecast.cache_clear()
    again = forecast.forecast(starts, values, "month", 12, 0.0)  # refitted: simulations use a fixed seed
    assert again.frame.equals(frame)


def test_fits_are_cached(store):
    starts, values = trust_file_england(store)
    forecast.forecast(starts, values, "month", 12, 0.0)
    clock = time.perf_counter()
    forecast.forecast(starts, values, "month", 12, 0.0)
    assert time.perf_counter() - clock < 0.01
    clock = time.perf_counter()
    other = forecast.forecast(starts, values, "month", 6, 0.0)  # new horizon: no refit
    assert time.perf_counter() - clock < 0.5 and other.frame.height == 6


def test_period_arithmetic():
    assert forecast.next_starts(dt.date(2024, 11, 1), "month", 3) == [
        dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
    assert forecast.next_starts(dt.date(2020, 3, 28), "week", 1) == [dt.date(2020, 4, 4)]
    assert forecast.period_label(dt.date(2020, 3, 28), "week") == "w/e 2020-04-03"
    assert forecast.period_label(dt.date(2025, 8, 1), "month") == "Aug 2025"
