"""Release calendar and revisions on the real store: stated release dates, estimates where none is
stated, one-off sources, and real revisions between two QOF workbooks that share a year."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from explorer import releases

TODAY = dt.date(2026, 11, 21)


def source(store, source_id: str, today: dt.date = TODAY) -> dict:
    cal = releases.release_calendar(store, today)
    return cal.filter(pl.col("source_id") == source_id).row(0, named=True)


def test_add_step():
    assert releases.add_step(dt.date(2020, 8, 20), "annual") == dt.date(2021, 8, 20)
    assert releases.add_step(dt.date(2024, 2, 29), "annual") == dt.date(2025, 2, 28)
    assert releases.add_step(dt.date(2025, 1, 31), "monthly") == dt.date(2025, 2, 28)
    assert releases.add_step(dt.date(2025, 12, 15), "monthly") == dt.date(2026, 1, 15)
    assert releases.add_step(dt.date(2020, 4, 3), "weekly") == dt.date(2020, 4, 10)
    assert releases.add_step(dt.date(2020, 4, 3), "one-off") is None


def test_qof_calendar_uses_the_stated_release_date(store):
    qof = source(store, "nhsd_qof")
    assert qof["frequency"] == "annual" and qof["latest_period"] == "2019/20"
    assert qof["released"] == dt.date(2020, 8, 20)
    assert qof["next_expected"] == dt.date(2021, 8, 20) and not qof["estimate"]
    assert qof["status"] == "newer release probably out"
    assert source(store, "nhsd_qof", dt.date(2021, 1, 1))["status"] == "expected"


def test_missing_release_date_gives_a_labelled_estimate(store):
    ae = source(store, "nhse_ae_icb")
    assert ae["released"] is None and ae["released_text"] == "release date not stated"
    assert ae["latest_period"] == "Jul 2025" and ae["estimate"]
    # 31 Jul 2025 + the typical six-week lag for monthly statistics = 11 Sep 2025, then one month.
    assert ae["next_expected"] == dt.date(2025, 10, 11)
    assert ae["basis"].startswith("Estimate: release date not stated")
    table = releases.calendar_table(store, TODAY)
    row = table.filter(pl.col("Dataset").str.contains("integrated care board, April 2022")).row(0, named=True)
    assert row["Next expected"] == "about Oct 2025 (estimate)" and row["Released"] == "release date not stated"


def test_one_off_sources_expect_no_release(store):
    hoc = source(store, "hoclib_qof_modelled")
    assert hoc["next_expected"] is None and hoc["status"] == "no further release"
    imd = source(store, "mhclg_imd")
    assert imd["released"] == dt.date(2019, 9, 26) and imd["latest_period"] == "2019"


def test_weekly_deaths_estimate(store):
    deaths = source(store, "ons_weekly_deaths")
    assert deaths["latest_period"] == "w/e 2020-04-03"
    assert deaths["next_expected"] == dt.date(2020, 4, 3) + dt.timedelta(days=11 + 7)


def test_calendar_covers_every_source(store):
    cal = releases.release_calendar(store, TODAY)
    assert set(cal["source_id"].to_list()) == set(store.table("sources")["source_id"].unique().to_list())


def test_revision_summary_between_qof_workbooks(store):
    summary = releases.revision_summary(store)
    row = summary.filter(pl.col("period") == "2018/19").row(0, named=True)
    assert row["old_release"].endswith("qof-1819-prev-ach-exc-ccg.xlsx")
    assert row["new_release"].endswith("qof-1920-prev-ach-pca-ccg.xlsx")
    assert (row["old_date"], row["new_date"]) == (dt.date(2019, 10, 24), dt.date(2020, 8, 20))
    assert row["values"] == 1449 and row["indicators"] == 21
    assert releases.sources_with_revisions(summary) == ["nhsd_qof"]
    assert releases.revised_periods(summary, "nhsd_qof") == ["2018/19", "2017/18", "2016/17", "2013/14"]


def test_a_real_revision_north_hampshire_diabetes_2018_19(store):
    # The 2018-19 workbook gave NHS North Hampshire CCG 11,141 patients with diabetes out of a list
    # of 212,508 aged 17+; the 2019-20 workbook repeats 2018-19 with the same register but a list
    # of 182,354, so the prevalence was revised from 5.24% to 6.11%.
    detail = releases.revisions_detail(store, "nhsd_qof", "2018/19", "diabetes-recorded-prevalence")
    row = detail.filter(pl.col("Code") == "E38000120").row(0, named=True)
    assert row["Area"] == "NHS North Hampshire CCG"
    assert row["Earlier count"] == row["Later count"] == 11141
    assert (row["Earlier denominator"], row["Later denominator"]) == (212508, 182354)
    assert row["Earlier value"] == pytest.approx(11141 / 212508 * 100)
    assert row["Later value"] == pytest.approx(11141 / 182354 * 100)
    assert row["Change"] == pytest.approx(row["Later value"] - row["Earlier value"])
    assert (row["Earlier release"], row["Later release"]) == ("qof-1819-prev-ach-exc-ccg.xlsx",
                                                              "qof-1920-prev-ach-pca-ccg.xlsx")
    assert detail.row(0, named=True)["Code"] == "E38000120"   # the largest diabetes revision
    kept = store.indicator_slice("diabetes-recorded-prevalence").filter(
        pl.col("area_code") == "E38000120", pl.col("period") == "2018/19", pl.col("area_type") == "ccg")
    assert kept["status"].to_list() == ["revised"] and kept["value"][0] == pytest.approx(row["Later value"])


def test_2017_18_revisions_come_from_the_2018_19_workbook(store):
    detail = releases.revisions_detail(store, "nhsd_qof", "2017/18")
    assert detail.height == 2408
    assert set(detail["Later release"].to_list()) == {"qof-1819-prev-ach-exc-ccg.xlsx"}


def test_revised_indicators_and_summary_table(store):
    indicators = releases.revised_indicators(store, "nhsd_qof", "2018/19")
    assert len(indicators) == 21 and "diabetes-recorded-prevalence" in indicators
    table = releases.summary_table(releases.revision_summary(store))
    first = table.row(0, named=True)
    assert first["Period"] == "2018/19"
    assert first["Revised in"] == "qof-1920-prev-ach-pca-ccg.xlsx (20 Aug 2020)"
