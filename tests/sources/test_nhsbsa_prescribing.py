"""nhsbsa_prescribing on the real OpenPrescribing anticoagulant file, plus corrupted copies."""

import datetime as dt

import polars as pl
import pytest

from explorer import paths
from explorer.geography import codes
from explorer.sources import nhsbsa_prescribing as step
from explorer.sources.base import SourceError
from tests.sources.helpers import one, run_on_text, run_step

NAMES = paths.RAW_DIR / "openprescribing_nice" / "anticoag_df_sicbl_names.csv"
HEADER = "date,chemical,bnf_code,ods_code,gss_code,items,quantity,actual_cost,total_list_size\n"


@pytest.fixture(scope="module")
def result():
    return run_step(step)



def run_on(tmp_path, text):
    return run_on_text(step, tmp_path, "op/anticoag.csv", text)


def test_row_accounting(result):
    _, rejects, reports = result
    row = reports.row(0, named=True)
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (31792, 31792, 0)
    assert rejects.height == 0


def test_values_match_the_file(result):
    values, _, _ = result
    where = {"area_code": "E38000130", "period": "Oct 2017"}
    # Line 2: 2017-10-01,Apixaban,0208020Z0,00L,E38000130,2205.0,95891.0,84369.07,324350.0
    items = one(values, indicator_id="anticoagulant-items", category="Apixaban", **where)
    assert items["value"] == 2205 and items["area_type"] == "sub_icb"
    assert items["original_area_code"] == "00L" and items["original_period"] == "2017-10-01"
    assert (items["period_start"], items["period_end"]) == (dt.date(2017, 10, 1), dt.date(2017, 10, 31))
    assert one(values, indicator_id="anticoagulant-cost", category="Apixaban", **where)["value"] == 84369.07
    rate = one(values, indicator_id="anticoagulant-items-per-1000-patients", category="Apixaban", **where)
    assert rate["value"] == pytest.approx(2205 / 324350 * 1000)
    assert (rate["count"], rate["denominator"]) == (2205, 324350)
    # Lines 6362, 12722, 19082, 25434: dabigatran 365, rivaroxaban 3006, edoxaban 16, warfarin 4433.
    assert one(values, indicator_id="anticoagulant-items", category="Warfarin", **where)["value"] == 4433
    total = one(values, indicator_id="anticoagulant-items", category="All five oral anticoagulants", **where)
    assert total["value"] == 2205 + 365 + 3006 + 16 + 4433 and total["note"] is None
    cost = one(values, indicator_id="anticoagulant-cost", category="All five oral anticoagulants", **where)
    assert cost["value"] == pytest.approx(84369.07 + 16036.83 + 120386.55 + 906.41 + 4724.36)
    share = one(values, indicator_id="doac-share-of-anticoagulant-items", category=None, **where)
    assert (share["count"], share["denominator"]) == (2205 + 365 + 3006 + 16, 10025)
    assert share["value"] == pytest.approx(5592 / 10025 * 100)


def test_missing_edoxaban_rows_are_noted_not_invented(result):
    values, _, _ = result
    edoxaban = values.filter(pl.col("indicator_id") == "anticoagulant-items",
                             pl.col("category") == "Edoxaban")
    assert edoxaban.height == 6360 - 8  # 8 sub-ICB months have no edoxaban row
    noted = values.filter(pl.col("note").is_not_null())
    assert noted.height == 8 * 4  # items, cost and rate totals plus the DOAC share
    assert noted["note"].unique().to_list() == [
        "no row in the file for Edoxaban (none dispensed): sum of the others"]


def test_codes_keys_and_units(result):
    values, _, _ = result
    assert values["area_code"].n_unique() == 106 and values["period"].n_unique() == 60
    assert values.group_by("indicator_id", "area_code", "period", "category").len()["len"].max() == 1
    share = values.filter(pl.col("indicator_id") == "doac-share-of-anticoagulant-items")["value"]
    assert share.min() > 0 and share.max() <= 100


def test_names_file_agrees_with_the_ons_lookup():
    names = pl.read_csv(NAMES, infer_schema=False).select("ods_code", "gss_code")
    sicbl22 = codes.ccg_codes().filter(pl.col("vintage") == "2022").select("ods_code", "gss_code")
    assert names.height == 106
    assert names.join(sicbl22, on=["ods_code", "gss_code"], how="anti").is_empty()


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    text = (HEADER + "2017-10-01,Apixaban,0208020Z0,00L,E38000130,2205.0,95891.0,84369.07,324350.0\n"
            "2017-10-01,Heparin,0208010,00L,E38000130,1.0,1.0,1.0,324350.0\n"          # not catalogued
            "2017-10-15,Warfarin sodium,0208020V0,00L,E38000130,1.0,1.0,1.0,324350.0\n"  # mid-month
            "2017-10-01,Warfarin sodium,0208020V0,00L,E38000163,1.0,1.0,1.0,324350.0\n"  # not a pair
            "2017-10-01,Edoxaban,0208020AA,00L,E38000130,abc,1.0,1.0,324350.0\n")       # not a number
    values, rejects, _ = run_on(tmp_path, text)
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons == {3: "chemical not catalogued: Heparin",
                       4: "date is not the first of a month",
                       5: "sub-ICB codes 00L / E38000163 are not a pair in the July 2022 ONS lookup",
                       6: "a number column holds text that is neither a number nor a marker"}
    total = one(values, indicator_id="anticoagulant-items", category="All five oral anticoagulants")
    assert total["value"] == 2205 and "Dabigatran, Edoxaban, Rivaroxaban, Warfarin" in total["note"]


def test_markers_become_missing_not_rejects(tmp_path):
    text = (HEADER + "2017-10-01,Apixaban,0208020Z0,00L,E38000130,2205.0,95891.0,84369.07,324350.0\n"
            "2017-10-01,Warfarin sodium,0208020V0,00L,E38000130,x,1.0,,324350.0\n")
    values, rejects, _ = run_on(tmp_path, text)
    assert rejects.is_empty()
    warfarin = one(values, indicator_id="anticoagulant-items", category="Warfarin")
    assert warfarin["value"] is None and warfarin["status"] == "missing"
    assert warfarin["note"] == "[x] not available"
    total = one(values, indicator_id="anticoagulant-cost", category="All five oral anticoagulants")
    assert total["value"] is None and total["status"] == "missing"
    share = one(values, indicator_id="doac-share-of-anticoagulant-items", category=None)
    assert share["value"] is None and share["status"] == "missing"


def test_missing_column_stops_the_build(tmp_path):
    with pytest.raises(SourceError, match=r"missing column\(s\) \['total_list_size'\]"):
        run_on(tmp_path, HEADER.replace(",total_list_size", ""))
