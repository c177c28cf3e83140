"""Trends queries on the real store: honest totals, breaks, SPC on real series, the seasonal view,
excess deaths and the download."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest

from explorer.queries import trends, trends_views
from explorer.stats import spc as spc_rules

ENGLAND = trends.ENGLAND
LONDON_NHS = "E40000003"
NW_LONDON_ICB = "E54000027"
ENGLAND_AND_WALES = "K04000001"


def value(frame: pl.DataFrame, period: str) -> float:
    rows = frame.filter(pl.col("period") == period)
    assert rows.height == 1, f"{period}: {rows.height} rows"
    return rows["value"][0]


def test_every_monthly_and_weekly_indicator_is_offered(store):
    ids = set(trends.trend_indicators(store)["indicator_id"])
    assert {"ae-attendances", "ae-within-four-hours", "rtt-new-pathways", "gp-appointments",
            "anticoagulant-items", "iapt-recovery", "deaths-weekly-all-causes"} <= ids
    assert "diabetes-recorded-prevalence" not in ids  # yearly
    assert len(ids) == 30


def test_england_attendances_are_published_then_summed_from_all_42_icbs(store):
    series = trends.series(store, "ae-attendances", ENGLAND, "All types")
    assert value(series, "Apr 2016") == 1_867_781  # NHS England's provider file total
    assert series.filter(pl.col("period") == "Apr 2016")["status"][0] == "published"
    icbs = store.values("ae-attendances", area_type="icb", periods=["Apr 2022"])
    assert icbs.height == 42
    assert value(series, "Apr 2022") == icbs["value"].sum() == 2_028_796
    summed = series.filter(pl.col("period") == "Apr 2022").row(0, named=True)
    assert summed["status"] == "aggregated" and summed["note"] == "Sum of the 42 ICBs"
    # NHS England's ICB file has no Feb or Mar 2025: nothing is invented for them.
    assert not series.filter(pl.col("period").is_in(["Feb 2025", "Mar 2025"])).height


def test_proportions_are_recomputed_from_counts_never_summed(store):
    series = trends.series(store, "ae-within-four-hours", ENGLAND, "All types")
    icbs = store.values("ae-within-four-hours", area_type="icb", periods=["Jun 2023"])
    expected = icbs["count"].sum() / icbs["denominator"].sum() * 100
    assert value(series, "Jun 2023") == pytest.approx(expected) == pytest.approx(73.343257, abs=1e-6)
    assert "summed counts and denominators of the 42 ICBs" in series.filter(
        pl.col("period") == "Jun 2023")["note"][0]
    # Before Jun 2023, 13 ICBs have no four-hour figure, so there is no England total for 2022-23.
    assert not series.filter(pl.col("period_start").is_between(dt.date(2022, 4, 1), dt.date(2023, 5, 1))).height


def test_no_total_when_the_file_covers_only_some_areas(store):
    codes = trends.area_choices(store, "gp-appointments")["area_code"].to_list()
    assert ENGLAND not in codes  # 49 of 106 CCGs: summing them would not be England
    london = trends.series(store, "gp-appointments", LONDON_NHS, "All modes")
    ccgs = store.values("gp-appointments", area_type="ccg", periods=["Mar 2019"], category="All modes")
    london_ccgs = ccgs.filter(pl.col("area_code").is_in(
        store.areas().filter(pl.col("parent_nhs_region") == LONDON_NHS)["area_code"].implode()))
    assert london_ccgs.height == 5
    assert value(london, "Mar 2019") == london_ccgs["value"].sum() == 3_517_045
    # Proportions published without counts (IAPT) are never totalled.
    assert not trends.area_choices(store, "iapt-recovery")["summed"].any()


def test_area_choices_put_england_first_and_label_our_totals(store):
    choices = trends.area_choices(store, "anticoagulant-items")
    assert choices["area_code"][0] == ENGLAND
    labels = dict(zip(choices["area_code"], choices["label"], strict=True))
    assert labels[NW_LONDON_ICB].endswith("– our total")  # ICB summed from its sub-ICB locations
    assert choices.filter(pl.col("area_type") == "sub_icb").height == 106


def test_categories_put_the_all_inclusive_one_first(store):
    assert trends.categories(store, "ae-attendances", ENGLAND) == [
        "All types", "Other (types 3 and 4)", "Type 1", "Type 2"]
    assert trends.categories(store, "deaths-weekly-all-causes", ENGLAND_AND_WALES) == [None]


def test_breaks_from_the_catalogue_gaps_and_changes_of_basis(store):
    four_hours = trends.series(store, "ae-within-four-hours", ENGLAND, "All types")
    breaks = trends.series_breaks(store, "ae-within-four-hours", ENGLAND, four_hours, "month")
    assert [b["period"] for b in breaks] == ["Jun 2023"]
    assert "field-testing new A&E standards" in breaks[0]["reason"]
    assert "no data for 50 months" in breaks[0]["reason"]
    attendances = trends.series(store, "ae-attendances", ENGLAND, "All types")
    breaks = trends.series_breaks(store, "ae-attendances", ENGLAND, attendances, "month")
    assert [b["period"] for b in breaks] == ["Apr 2022"]
    assert "our total (sum of the 42 icbs)" in breaks[0]["reason"].lower()
    # A two-month gap (Feb-Mar 2025) is missing data, not a break.
    icb = trends.series(store, "ae-attendances", NW_LONDON_ICB, "All types")
    assert trends.series_breaks(store, "ae-attendances", NW_LONDON_ICB, icb, "month") == []


def test_history_is_an_unbroken_grid_with_gaps_as_none(store):
    series = trends.series(store, "ae-attendances", ENGLAND, "All types")
    starts, values = trends.history(series, dt.date(2022, 4, 1), "month")
    assert len(starts) == 40 and starts[0] == dt.date(2022, 4, 1) and starts[-1] == dt.date(2025, 7, 1)
    assert [s for s, v in zip(starts, values, strict=True) if v is None] == [dt.date(2025, 2, 1),
                                                                              dt.date(2025, 3, 1)]


def test_spc_on_england_four_hour_performance(store):
    indicator = store.indicator("ae-within-four-hours")
    series = trends.series(store, "ae-within-four-hours", ENGLAND, "All types")
    breaks = trends.series_breaks(store, "ae-within-four-hours", ENGLAND, series, "month")
    table, summary = trends_views.spc(series, indicator, breaks)
    assert summary["segments"] == 2  # limits restart at the Jun 2023 break
    means = table.group_by("mean", maintain_order=True).agg(pl.len())
    assert means["len"].to_list() == [36, 24]
    assert means["mean"].to_list() == pytest.approx([88.470568, 73.220941], abs=1e-5)
    assert summary["ucl"] == pytest.approx(75.953642, abs=1e-5)
    assert summary["assurance"] == "consistently failing"  # 95% target above the upper limit
    assert summary["latest_variation"] == spc_rules.IMPROVEMENT
    reading = " ".join(trends_views.spc_reading(summary, indicator, "76.4%"))
    assert "consistently be missed" in reading and "Jul 2025" in reading


def test_change_point_rebases_the_limits(store):
    indicator = store.indicator("ae-within-four-hours")
    series = trends.series(store, "ae-within-four-hours", ENGLAND, "All types")
    breaks = trends.series_breaks(store, "ae-within-four-hours", ENGLAND, series, "month")
    cp = trends_views.change_point_start(series, "Apr 2024")
    _, summary = trends_views.spc(series, indicator, breaks, cp)
    assert summary["segments"] == 3
    assert summary["mean"] == pytest.approx(74.300891, abs=1e-5)
    assert summary["latest_variation"] == spc_rules.COMMON
    assert trends_views.forecast_since(breaks, cp) == dt.date(2024, 4, 1)


def test_trial_limits_on_a_short_series(store):
    indicator = store.indicator("iapt-recovery")
    code = trends.area_choices(store, "iapt-recovery")["area_code"][0]
    series = trends.series(store, "iapt-recovery", code, None)
    _, summary = trends_views.spc(series, indicator, [])
    assert summary["points"] == 11 and summary["trial_limits"]
    assert any("trial limits" in line for line in trends_views.spc_reading(summary, indicator, "x"))


def test_seasonal_view_and_pre_2020_average(store):
    deaths = trends.series(store, "deaths-weekly-all-causes", ENGLAND_AND_WALES, None)
    table = trends_views.seasonal_table(deaths, "week")
    average = trends_views.pre_pandemic_average(table)
    assert average["years"].max() == 10  # 2010-2019, w/e 3 Jan 2020 counts as 2020
    assert average["average"][1] == pytest.approx(13206.1)
    months = trends_views.seasonal_table(trends.series(store, "ae-attendances", ENGLAND, "All types"), "month")
    first = months.row(0, named=True)
    assert (first["season"], first["position_label"]) == ("2016/17", "Apr")
    assert months.filter(pl.col("period") == "Mar 2017")["season"][0] == "2016/17"
    wide = trends_views.seasonal_pivot(months, trends_views.pre_pandemic_average(months))
    assert wide.columns[0] == "Period of the year" and "Average before 2020" in wide.columns
    assert wide.height == 12


def test_excess_deaths_against_ons_five_year_average(store):
    excess = trends_views.excess_deaths(store, ENGLAND_AND_WALES)
    last = excess.row(-1, named=True)
    assert (last["period"], last["registered"], last["five_year_average"], last["excess"]) == (
        "w/e 2020-04-03", 16387, 10305, 6082)
    assert "2,271 more than usual" in trends_views.excess_sentence(excess)
    assert trends_views.excess_deaths(store, ENGLAND).is_empty()  # ONS gives no average for England alone


def test_england_weekly_deaths_are_the_sum_of_nine_regions(store):
    series = trends.series(store, "deaths-weekly-all-causes", ENGLAND, None)
    assert value(series, "w/e 2020-04-03") == 15443
    assert series["note"][0] == "Sum of the 9 regions" and series.height == 535


def test_download_has_limits_flags_forecast_and_safe_text(store):
    indicator = store.indicator("ae-within-four-hours")
    series = trends.series(store, "ae-within-four-hours", ENGLAND, "All types")
    table, _ = trends_views.spc(series, indicator, [])
    frame = trends_views.download_table(indicator, ENGLAND, "=HYPERLINK(\"x\")", "All types", table, None)
    assert {"upper_process_limit", "variation", "spc_rule", "trial_limits"} <= set(frame.columns)
    data = trends_views.csv_bytes(frame)
    back = pl.read_csv(io.BytesIO(data))
    assert back.height == series.height
    assert back["area_name"][0].startswith("'=")  # a spreadsheet shows it as text, never runs it
    assert back.filter(pl.col("period") == "Jul 2025")["value"][0] == pytest.approx(76.398199, abs=1e-5)
