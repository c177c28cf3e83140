"""nhse_ae_icb on the real healthyr ICB A&E file, plus corrupted copies."""

import datetime as dt

import polars as pl
import pytest

from explorer.sources import nhse_ae_icb as step
from explorer.sources.base import SourceError
from tests.sources.helpers import one, run_on_text, run_step

HEADER = ('"icb22_code","total_attendances","attendances_over_4hours","total_emergency_admissions",'
          '"emergency_admissions_over_4hours","pct_attendance_over_4hours",'
          '"pct_emergency_admissions_over_4hours","date"\n')


@pytest.fixture(scope="module")
def result():
    return run_step(step)



def run_on(tmp_path, text):
    return run_on_text(step, tmp_path, "h/icb.csv", text)


def test_row_accounting_and_copied_months(result):
    values, rejects, reports = result
    row = reports.row(0, named=True)
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (1680, 1596, 84)
    # Lines 926 and 1430: E54000040 February 2024 and "February 2025" are the same numbers
    # (28141, 8149, 10018, 1692), and so is every other ICB: the 2025 rows are a copy.
    reasons = rejects["reason"].value_counts().sort("reason")
    assert reasons.rows() == [
        ("every ICB's figures are identical to Feb 2024: a copy, not Feb 2025's data", 42),
        ("every ICB's figures are identical to Mar 2024: a copy, not Mar 2025's data", 42)]
    assert 1430 in rejects["row_number"].to_list()
    assert values.filter(pl.col("period").is_in(["Feb 2025", "Mar 2025"])).is_empty()
    assert values["period"].n_unique() == 38


def test_values_match_the_file(result):
    values, _, _ = result
    # Line 2: "E54000040",25706,7170,8454,2070,0.28,0.24,"April 2022"
    where = {"area_code": "E54000040", "period": "Apr 2022"}
    att = one(values, indicator_id="ae-attendances", **where)
    assert att["value"] == 25706 and att["category"] == "All types" and att["area_type"] == "icb"
    assert att["original_period"] == "April 2022" and att["period_start"] == dt.date(2022, 4, 1)
    assert one(values, indicator_id="ae-four-hour-breaches", **where)["value"] == 7170
    assert one(values, indicator_id="emergency-admissions", **where)["value"] == 8454
    assert one(values, indicator_id="ae-trolley-waits-over-four-hours", **where)["value"] == 2070
    within = one(values, indicator_id="ae-within-four-hours", **where)
    # Percent from counts, consistent with the published fraction 0.28 over four hours.
    assert within["value"] == pytest.approx((25706 - 7170) / 25706 * 100)
    assert abs((100 - within["value"]) / 100 - 0.28) < 0.005
    assert (within["count"], within["denominator"]) == (25706 - 7170, 25706)


def test_field_test_icbs_have_no_four_hour_percentage_before_june_2023(result):
    values, _, _ = result
    # Frimley (E54000034) reported 0 breaches in April 2022 (line with 22797 attendances).
    breaches = one(values, indicator_id="ae-four-hour-breaches", area_code="E54000034", period="Apr 2022")
    assert breaches["value"] == 0 and breaches["status"] == "published"
    assert "field-testing" in breaches["note"]
    within = one(values, indicator_id="ae-within-four-hours", area_code="E54000034", period="Apr 2022")
    assert within["value"] is None and within["status"] == "missing"
    # Line 603: "E54000034",24904,9740,6086,1728,0.39,0.28,"June 2023": reported again.
    june = one(values, indicator_id="ae-within-four-hours", area_code="E54000034", period="Jun 2023")
    assert june["value"] == pytest.approx((24904 - 9740) / 24904 * 100) and june["note"] is None
    missing = values.filter(pl.col("indicator_id") == "ae-within-four-hours", pl.col("status") == "missing")
    assert missing.height == 13 * 14  # 13 ICBs, April 2022 to May 2023


def test_one_value_per_key(result):
    values, _, _ = result
    assert values.group_by("indicator_id", "area_code", "period", "category").len()["len"].max() == 1
    assert values["area_code"].n_unique() == 42


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    text = (HEADER
            + '"E54000040",25706,7170,8454,2070,0.28,0.24,"April 2022"\n'
            + '"E54009999",100,10,10,1,0.1,0.1,"April 2022"\n'           # unknown ICB
            + '"E54000024",100,10,10,1,0.5,0.1,"April 2022"\n'           # fraction ≠ counts
            + '"E54000055",100,10,10,1,0.1,0.1,"Smarch 2022"\n'          # not a month
            + '"E54000008",100,200,10,1,2.0,0.1,"April 2022"\n'         # breaches > attendances
            + '"E54000010",100,,10,1,,0.1,"April 2022"\n')              # blanks: kept as missing
    values, rejects, _ = run_on(tmp_path, text)
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons[3] == "unknown ICB code E54009999 (not in the July 2022 ICB list)"
    assert reasons[4].startswith("published fraction 0.5 disagrees with the counts")
    assert "not a month" in reasons[5]
    assert reasons[6] == "attendances over four hours exceed attendances"
    assert sorted(values["area_code"].unique()) == ["E54000010", "E54000040"]
    blank = one(values, indicator_id="ae-four-hour-breaches", area_code="E54000010")
    assert blank["value"] is None and blank["status"] == "missing"
    within = one(values, indicator_id="ae-within-four-hours", area_code="E54000010")
    assert within["value"] is None and within["status"] == "missing"
    assert one(values, indicator_id="ae-attendances", area_code="E54000010")["value"] == 100


def test_missing_column_stops_the_build(tmp_path):
    with pytest.raises(SourceError, match="missing column"):
        run_on(tmp_path, '"icb22_code","date"\n"E54000040","April 2022"\n')
