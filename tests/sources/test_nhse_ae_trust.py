"""nhse_ae_trust on the real NHSRdatasets A&E file, plus corrupted copies."""

import datetime as dt

import polars as pl
import pytest

from explorer import paths
from explorer.sources import nhse_ae_trust as step
from explorer.sources.base import SourceError
from tests.sources.helpers import one, run_on_text, run_step

RAW = paths.RAW_DIR / "nhse_ae_attendances" / "ae_attendances_nhsrdatasets.csv"
HEADER = "period,org_code,type,attendances,breaches,admissions\n"


@pytest.fixture(scope="module")
def result():
    return run_step(step)



def run_on(tmp_path, text):
    return run_on_text(step, tmp_path, "ae/ae.csv", text)


def test_row_accounting(result):
    _, rejects, reports = result
    row = reports.row(0, named=True)
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (12765, 12765, 0)
    assert rejects.height == 0


def test_provider_values_match_the_file(result):
    values, _, _ = result
    # Lines 2-4: 2017-03-01,RF4 type 1: 21289 attendances, 2879 breaches, 5060 admissions;
    # type 2: 813/22/0; other: 2850/6/0.
    where = {"area_code": "RF4", "period": "Mar 2017"}
    t1 = one(values, indicator_id="ae-attendances", category="Type 1", **where)
    assert t1["value"] == 21289 and t1["area_type"] == "trust" and t1["original_area_code"] == "RF4"
    assert (t1["period_start"], t1["period_end"], t1["period_type"]) == (
        dt.date(2017, 3, 1), dt.date(2017, 3, 31), "month")
    assert t1["original_period"] == "2017-03-01" and t1["producer"] == "NHS England"
    assert one(values, indicator_id="ae-four-hour-breaches", category="Type 1", **where)["value"] == 2879
    assert one(values, indicator_id="ae-emergency-admissions", category="Type 1", **where)["value"] == 5060
    other = one(values, indicator_id="ae-attendances", category="Other (types 3 and 4)", **where)
    assert other["value"] == 2850
    within = one(values, indicator_id="ae-within-four-hours", category="Type 1", **where)
    assert within["value"] == pytest.approx((21289 - 2879) / 21289 * 100)
    assert (within["count"], within["denominator"]) == (21289 - 2879, 21289)


def test_all_types_total_is_the_sum_of_department_types(result):
    values, _, _ = result
    where = {"area_code": "RF4", "period": "Mar 2017", "category": "All types"}
    total = one(values, indicator_id="ae-attendances", **where)
    assert total["value"] == 21289 + 813 + 2850 and total["note"] == "sum of department types"
    within = one(values, indicator_id="ae-within-four-hours", **where)
    assert within["value"] == pytest.approx((24952 - (2879 + 22 + 6)) / 24952 * 100)


def test_england_totals(result):
    values, _, _ = result
    england = values.filter(pl.col("area_type") == "england")
    assert england["area_code"].unique().to_list() == ["E92000001"]
    assert england["period"].n_unique() == 36  # every month judged complete (226-237 providers)
    # Sum over all 226 providers of March 2019 (checked with an independent awk over the file).
    att = one(values, indicator_id="ae-attendances", area_code="E92000001", period="Mar 2019",
               category="All types")
    assert att["value"] == 2167550 and att["note"] == "sum of providers in this file"
    within = one(values, indicator_id="ae-within-four-hours", area_code="E92000001",
                 period="Mar 2019", category="All types")
    assert within["value"] == pytest.approx(86.604, abs=0.001)


def test_one_value_per_key_and_units(result):
    values, _, _ = result
    key = ["indicator_id", "area_code", "period", "category"]
    assert values.group_by(key).len()["len"].max() == 1
    pct = values.filter(pl.col("indicator_id") == "ae-within-four-hours")["value"]
    assert pct.min() >= 0 and pct.max() <= 100 and pct.mean() > 50  # percent, not a fraction
    assert set(values["category"].unique()) == {"Type 1", "Type 2", "Other (types 3 and 4)", "All types"}
    assert set(values["status"].unique()) == {"published"}


def test_indicator_metadata():
    by_id = {i["id"]: i for i in step.META["indicators"]}
    assert by_id["ae-within-four-hours"]["target"] == 95
    assert by_id["ae-within-four-hours"]["polarity"] == "high is good"
    assert by_id["ae-four-hour-breaches"]["polarity"] == "low is good"
    words = " ".join(" ".join(i["synonyms"]) for i in by_id.values()).lower()
    for word in ("a&e", "emergency department", "casualty"):
        assert word in words


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    text = (HEADER + "2017-03-01,RF4,1,100.0,10.0,5.0\n"
            "2017-13-01,RF4,2,10.0,1.0,0.0\n"      # no month 13
            "2017-03-01,RF4,9,10.0,1.0,0.0\n"      # no department type 9
            "2017-03-01,R1H,1,abc,1.0,0.0\n"       # not a number
            "2017-03-01,R1H,2,10.0,11.0,0.0\n"     # more breaches than attendances
            "2017-03-01,R1H,other,,,\n"            # blanks: kept, status missing
            "2017-03-01,RF4,,10.0,1.0,0.0\n")      # blank department type
    values, rejects, reports = run_on(tmp_path, text)
    assert reports.row(0, named=True)["rows_rejected"] == 5
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert "not a month" in reasons[3]
    assert reasons[4] == "unknown department type 9"
    assert reasons[5] == "a count column holds text that is not a number"
    assert reasons[6] == "four-hour breaches exceed attendances"
    assert reasons[8] == "unknown department type (blank)"
    blank = one(values, indicator_id="ae-attendances", area_code="R1H", category="Other (types 3 and 4)")
    assert blank["value"] is None and blank["status"] == "missing"
    # Two providers in the month is far short of a national count: no England values.
    assert values.filter(pl.col("area_type") == "england").is_empty()


def test_missing_column_stops_the_build(tmp_path):
    with pytest.raises(SourceError, match=r"missing column\(s\) \['breaches'\]"):
        run_on(tmp_path, "period,org_code,type,attendances,admissions\n2017-03-01,RF4,1,1,1\n")
