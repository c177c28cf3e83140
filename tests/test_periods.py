import datetime as dt

import polars as pl
import pytest

from explorer import periods


@pytest.mark.parametrize("text", ["2019-20", "2019/20", "201920", "2019/2020", " 2019-20 "])
def test_financial_year_forms_agree(text):
    p = periods.parse(text, "financial_year")
    assert (p.label, p.start, p.end, p.type) == (
        "2019/20", dt.date(2019, 4, 1), dt.date(2020, 3, 31), "financial_year")


def test_financial_year_century_rollover():
    assert periods.parse("1999-00", "financial_year").label == "1999/00"
    assert periods.parse("1999-00", "financial_year").end == dt.date(2000, 3, 31)


@pytest.mark.parametrize("bad", ["2019-21", "19-20", "2019", "abcd-ef", ""])
def test_financial_year_rejects(bad):
    with pytest.raises(periods.PeriodError):
        periods.parse(bad, "financial_year")


def test_pooled_years():
    p = periods.parse("2009-11", "pooled_years")
    assert (p.label, p.start, p.end, p.type) == ("2009-11", dt.date(2009, 1, 1),
                                                 dt.date(2011, 12, 31), "multi_year")


@pytest.mark.parametrize(("text", "label", "kind"), [
    ("2020", "2020", "calendar_year"),
    ("202021", "2020/21", "financial_year"),
    ("201820", "2018-20", "multi_year"),
    ("201618", "2016-18", "multi_year"),
])
def test_ons_compact_codes(text, label, kind):
    p = periods.parse(text, "compact")
    assert (p.label, p.type) == (label, kind)


@pytest.mark.parametrize(("text", "start"), [
    ("MAR2019", dt.date(2019, 3, 1)), ("April 2022", dt.date(2022, 4, 1)),
    ("Apr-2022", dt.date(2022, 4, 1)), ("2022-04", dt.date(2022, 4, 1)),
    ("2017-10-01", dt.date(2017, 10, 1)), ("sept 2020", None),
])
def test_months(text, start):
    if start is None:
        with pytest.raises(periods.PeriodError):
            periods.parse(text, "month")
        return
    p = periods.parse(text, "month")
    assert p.start == start and p.type == "month"
    assert p.end.month == start.month and (p.end + dt.timedelta(days=1)).day == 1


def test_month_label_house_style():
    assert periods.parse("MAR2019", "month").label == "Mar 2019"
    assert periods.parse("February 2020", "month").end == dt.date(2020, 2, 29)


def test_fingertips_sortable():
    assert periods.parse("20150000", "fingertips_sortable").label == "2015"
    with pytest.raises(periods.PeriodError):
        periods.parse("2015", "fingertips_sortable")


def test_week_ending_and_mid_year():
    w = periods.parse("2010-01-08", "week_ending")
    assert (w.start, w.end, w.type, w.label) == (dt.date(2010, 1, 2), dt.date(2010, 1, 8), "week",
                                                 "w/e 2010-01-08")
    m = periods.parse("2019", "mid_year")
    assert (m.label, m.start, m.type) == ("mid-2019", dt.date(2019, 6, 30), "point")


def test_parse_column_reports_errors_without_dropping_rows():
    frame = pl.DataFrame({"p": ["2019-20", "nonsense", None, "2019-20"]})
    out = periods.parse_column(frame, "p", "financial_year")
    assert out.height == 4
    assert out["period"].to_list() == ["2019/20", None, None, "2019/20"]
    assert out["period_error"][1].startswith("'nonsense'")
    assert out["period_error"][2] == "period is blank"


def test_unknown_kind():
    with pytest.raises(periods.PeriodError, match="unknown period kind"):
        periods.parse("2019", "fortnight")
