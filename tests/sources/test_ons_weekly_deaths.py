"""ons_weekly_deaths on the real NHSRdatasets copy of ONS weekly deaths, plus corrupted copies."""

import copy
import datetime as dt

import polars as pl
import pytest

from explorer import paths
from explorer.sources import ons_weekly_deaths as step
from explorer.sources.base import SourceError, StepContext

RAW = paths.RAW_DIR / "ons_weekly_deaths" / "ons_mortality_weekly_nhsrdatasets.csv"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def one(values, **where):
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_row_accounting(result):
    _, rejects, reports = result
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (18803, 18750, 53)
    unlabelled = rejects.filter(pl.col("reason").str.starts_with("no category: "))
    # Lines 7231-7282: 52 weeks of 2014 with blank category_1 and category_2 (2 with counts).
    assert unlabelled["row_number"].to_list() == list(range(7231, 7283))
    assert unlabelled.filter(pl.col("row_number") == 7231)["raw"].to_list() == [
        " |  | 1779.0 | 2014-01-03 | 1"]


def test_week_ending_3_april_2020(result):
    values, _, _ = result
    week = {"period": "w/e 2020-04-03"}
    ew = {"area_code": "K04000001", "area_type": "country", "sex": "Persons", "age": "All ages", **week}
    # Lines 17782, 17796, 17810, 17824 of the file.
    assert one(values, indicator_id="deaths-weekly-all-causes", **ew)["value"] == 16387
    assert one(values, indicator_id="deaths-weekly-five-year-average", **ew)["value"] == 10305
    assert one(values, indicator_id="deaths-weekly-respiratory", **ew)["value"] == 2106
    assert one(values, indicator_id="deaths-weekly-covid-mentioned", **ew)["value"] == 3475
    # Lines 18104 (Persons,90+,3413) and 18384 (Males,90+,1327).
    all_causes = {"indicator_id": "deaths-weekly-all-causes", **week}
    assert one(values, sex="Persons", age="90+", **all_causes)["value"] == 3413
    assert one(values, sex="Male", age="90+", **all_causes)["value"] == 1327
    # Line 18748: Region,East,1717 → East of England E12000006; line 18804: Region,Wales,920.
    east = one(values, indicator_id="deaths-weekly-all-causes", area_code="E12000006", **week)
    assert east["value"] == 1717 and east["area_type"] == "region" and east["original_area_code"] == "East"
    wales = one(values, indicator_id="deaths-weekly-all-causes", area_code="W92000004", **week)
    assert wales["value"] == 920 and wales["area_type"] == "country"
    assert east["period_type"] == "week" and east["original_period"] == "2020-04-03"
    assert (east["period_start"], east["period_end"]) == (dt.date(2020, 3, 28), dt.date(2020, 4, 3))


def test_age_labels_and_sexes(result):
    values, _, _ = result
    week = {"indicator_id": "deaths-weekly-all-causes", "period": "w/e 2010-01-08"}
    # Line 158: Persons,Under 1 year,61; line 210: Persons,01-14,24; line 522: Males,Under 1 year,25.
    assert one(values, sex="Persons", age="<1", **week)["value"] == 61
    assert one(values, sex="Persons", age="1-14", **week)["value"] == 24
    assert one(values, sex="Male", age="<1", **week)["value"] == 25
    ages = set(values.filter(pl.col("sex") == "Female")["age"].unique())
    assert {"<1", "1-14", "15-44", "85+", "1-4", "85-89", "90+"} <= ages
    assert not any(a.startswith("0") for a in ages)
    assert set(values["sex"].unique()) == {"Persons", "Male", "Female"}


def test_coding_versions_and_blank_count(result):
    values, rejects, _ = result
    resp = {"indicator_id": "deaths-weekly-respiratory"}
    # w/e 2011-01-07 is published under v 2001 (line 1874: 2645) and v 2010 (line 1875: 2706).
    kept = one(values, period="w/e 2011-01-07", **resp)
    assert kept["value"] == 2706 and kept["note"] == "Underlying cause coded with ICD-10 v 2010"
    assert rejects.filter(pl.col("row_number") == 1874)["reason"].str.starts_with("superseded: ").all()
    assert rejects.filter(pl.col("row_number") == 1874).height == 1
    # Line 7179: respiratory v 2013 (IRIS), w/e 2014-01-03, blank count → missing, not rejected.
    blank = one(values, period="w/e 2014-01-03", **resp)
    assert blank["value"] is None and blank["status"] == "missing"
    assert blank["note"] == "Underlying cause coded with ICD-10 v 2013 (IRIS); [x] not available"
    # One respiratory value per week: 535 weeks, 2010-01-08 to 2020-04-03.
    assert values.filter(pl.col("indicator_id") == "deaths-weekly-respiratory").height == 535


def test_every_period_ends_on_a_friday(result):
    values, _, _ = result
    assert (values["period_end"].dt.weekday() == 5).all()
    assert values["period"].n_unique() == 535


def _copy_with(tmp_path, edit):
    target = tmp_path / "ons_weekly_deaths" / RAW.name
    target.parent.mkdir()
    target.write_text(edit(RAW.read_text()))
    return StepContext(copy.deepcopy(step.META), raw_dir=tmp_path)


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    def edit(text):
        lines = text.splitlines(keepends=True)
        lines[1] = lines[1].replace("2010-01-08", "2010-01-09")          # line 2: a Saturday
        lines[2] = lines[2].replace("2010-01-15", "2010-13-15")          # line 3: no such date
        lines[3] = lines[3].replace("11762.0", "lots")                    # line 4: text count
        lines[157] = lines[157].replace("Under 1 year", "Under one")      # line 158: unknown age
        east = next(i for i, line in enumerate(lines) if line.startswith("Region,East,"))
        lines[east] = lines[east].replace("Region,East", "Region,Narnia")
        lines[5] = lines[5].replace("Total deaths,all ages", "Total deaths,some ages")  # line 6
        return "".join(lines)

    ctx = _copy_with(tmp_path, edit)
    step.run(ctx)
    values, rejects, reports = ctx.result()
    reasons = dict(rejects.select("row_number", "reason").rows())
    assert reasons[2] == "week-ending date 2010-01-09 is not a Friday"
    assert reasons[3].startswith("bad week-ending date: ")
    assert reasons[4] == "count is not a number: 'lots'"
    assert reasons[158] == "unrecognised age band: 'Under one'"
    assert reasons[6] == "unrecognised category pair: 'Total deaths' / 'some ages'"
    narnia = [r for r in reasons.values() if "Narnia" in r]
    assert narnia == ["unknown region name: 'Narnia'"]
    assert reports.select("rows_read", "rows_rejected").row(0) == (18803, 59)


def test_missing_column_stops_the_build(tmp_path):
    ctx = _copy_with(tmp_path, lambda text: text.replace("category_1,category_2,", "cat1,cat2,", 1))
    with pytest.raises(SourceError, match=r"missing column\(s\) \['category_1', 'category_2'\]"):
        step.run(ctx)
