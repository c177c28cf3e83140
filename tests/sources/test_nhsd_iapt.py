"""nhsd_iapt on the real healthyr IAPT sub-ICB file, plus corrupted copies."""

import datetime as dt

import polars as pl
import pytest

from explorer.sources import nhsd_iapt as step
from explorer.sources.base import SourceError
from tests.sources.helpers import one, run_on_text, run_step

HEADER = '"sicbl22_code","date","name","value"\n'


@pytest.fixture(scope="module")
def result():
    return run_step(step)



def run_on(tmp_path, text):
    return run_on_text(step, tmp_path, "h/iapt.csv", text)


def test_row_accounting(result):
    _, rejects, reports = result
    row = reports.row(0, named=True)
    # Every one of the 11 measure names is catalogued: nothing rejected.
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (12826, 12826, 0)
    assert rejects.height == 0


def test_values_match_the_file(result):
    values, _, _ = result
    where = {"area_code": "E38000130", "period": "Jul 2022"}
    # Line 2: "E38000130","July 2022","Count_ReferralsReceived","560"
    received = one(values, indicator_id="iapt-referrals-received", **where)
    assert received["value"] == 560 and received["area_type"] == "sub_icb"
    assert received["original_period"] == "July 2022" and received["period_start"] == dt.date(2022, 7, 1)
    # Line 4: Percentage_AccessingServices6WeeksFinishedCourseTreatment "55" (a percent, kept as is)
    assert one(values, indicator_id="iapt-first-treatment-within-6-weeks", **where)["value"] == 55
    # Line 11: Percentage_Recovery "49"; line 10: Count_Deterioration "20".
    assert one(values, indicator_id="iapt-recovery", **where)["value"] == 49
    assert one(values, indicator_id="iapt-reliable-deterioration-count", **where)["value"] == 20


def test_na_is_suppressed(result):
    values, _, _ = result
    # Line 43: "E38000014","July 2022","Count_Deterioration",NA ('*' in NHS Digital's file).
    row = one(values, indicator_id="iapt-reliable-deterioration-count", area_code="E38000014",
              period="Jul 2022")
    assert row["value"] is None and row["status"] == "suppressed" and "suppressed" in row["note"]
    assert values.filter(pl.col("status") == "suppressed").height == 79
    assert set(values["status"].unique()) == {"published", "suppressed"}


def test_percentages_are_percent_not_fractions(result):
    values, _, _ = result
    percent_ids = [m["id"] for m in step.META["measures"].values() if m["kind"] == "percent"]
    pct = values.filter(pl.col("indicator_id").is_in(percent_ids))["value"].drop_nulls()
    assert pct.max() <= 100 and pct.min() >= 1 and pct.mean() > 5
    assert values["area_code"].n_unique() == 106 and values["period"].n_unique() == 11


def test_metadata_synonyms_and_topic():
    for entry in step.META["indicators"]:
        assert entry["topic"] == "mental-health"
        for word in ("talking therapies", "IAPT", "NHS Talking Therapies", "counselling", "anxiety",
                     "depression"):
            assert word in entry["synonyms"]
    assert {m["id"] for m in step.META["measures"].values()} == {i["id"] for i in step.META["indicators"]}


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    text = (HEADER + '"E38000130","July 2022","Count_ReferralsReceived","560"\n'
            '"E38000130","July 2022","Count_SomethingNew","5"\n'     # not catalogued
            '"E38999999","July 2022","Count_ReferralsReceived","5"\n'  # unknown sub-ICB
            '"E38000130","July 2022","Percentage_Recovery","abc"\n'   # not a number
            '"E38000130","July 2022","Percentage_Improvement","150"\n')  # over 100
    values, rejects, _ = run_on(tmp_path, text)
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons == {3: "measure not catalogued: Count_SomethingNew",
                       4: "unknown sub-ICB code E38999999 (not in the July 2022 list)",
                       5: "value is neither a number nor a known marker",
                       6: "percentage above 100"}
    assert values.height == 1


def test_missing_column_stops_the_build(tmp_path):
    with pytest.raises(SourceError, match="missing column"):
        run_on(tmp_path, '"sicbl22_code","date","value"\n')
