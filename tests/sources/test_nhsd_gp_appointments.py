"""nhsd_gp_appointments on the real native and DERIVED files, plus corrupted copies."""

import copy
import datetime as dt

import polars as pl
import pytest

from explorer import paths
from explorer.geography import codes
from explorer.sources import nhsd_gp_appointments as step
from explorer.sources.base import SourceError, StepContext

FOLDER = paths.RAW_DIR / "nhsd_gp_appointments"
DERIVED = "DERIVED_gp_appointments_ccg_month_status_mode.csv"
DERIVED_HEADER = "CCG_CODE,CCG_ONS_CODE,Appointment_Month,APPT_STATUS,APPT_MODE,COUNT_OF_APPOINTMENTS\n"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def one(values, **where):
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def run_on(tmp_path, files: dict[str, str]):
    folder = tmp_path / "gp"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    meta = copy.deepcopy(step.META)
    meta["files"] = ["gp/Regional_CSV_*.csv", f"gp/{step.META['derived_prefix']}*.csv"]
    meta["optional_files"] = True
    ctx = StepContext(meta, raw_dir=tmp_path)
    step.run(ctx)
    return ctx.result()


def test_row_accounting_per_file(result):
    _, rejects, reports = result
    got = {r["file"].split("/")[-1]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
           for r in reports.iter_rows(named=True)}
    assert got == {"Regional_CSV_Devon.csv": (7609, 7609, 0),
                   "Regional_CSV_Dorset.csv": (5638, 5638, 0),
                   DERIVED: (21074, 20174, 900)}
    # The 900 = 2 CCGs x 30 months x 15 status/mode cells, superseded by the native files.
    assert rejects["reason"].value_counts().sort("reason").rows() == [
        ("superseded by native file Regional_CSV_Devon.csv", 450),
        ("superseded by native file Regional_CSV_Dorset.csv", 450)]


def test_native_sums_equal_the_derived_rows_they_replace():
    native = pl.concat([pl.read_csv(FOLDER / f"Regional_CSV_{n}.csv") for n in ("Devon", "Dorset")])
    sums = native.group_by("CCG_CODE", "Appointment_Month", "APPT_STATUS", "APPT_MODE").agg(
        pl.col("COUNT_OF_APPOINTMENTS").sum().alias("native"))
    derived = pl.read_csv(FOLDER / DERIVED).filter(pl.col("CCG_CODE").is_in(["15N", "11J"]))
    joined = derived.join(sums, on=["CCG_CODE", "Appointment_Month", "APPT_STATUS", "APPT_MODE"],
                          how="full", coalesce=True)
    assert joined.height == 900
    assert (joined["native"] == joined["COUNT_OF_APPOINTMENTS"]).all()


def test_derived_values_match_the_file(result):
    values, _, _ = result
    where = {"area_code": "E38000051", "period": "Apr 2019"}
    # Lines 2-16: 03W (E38000051) APR2019, 15 cells. Attended face-to-face 118619.
    f2f = one(values, indicator_id="gp-appointments-attended", category="Face-to-Face", **where)
    assert f2f["value"] == 118619 and f2f["area_type"] == "ccg" and f2f["original_area_code"] == "03W"
    assert f2f["original_period"] == "APR2019" and f2f["period_start"] == dt.date(2019, 4, 1)
    attended = 118619 + 387 + 18745 + 5776 + 1482
    dna = 5539 + 20 + 147 + 185 + 59
    unknown = 9718 + 322 + 1048 + 401 + 34
    all_attended = one(values, indicator_id="gp-appointments-attended", category="All modes", **where)
    assert all_attended["value"] == attended
    total = one(values, indicator_id="gp-appointments", category="All modes", **where)
    assert total["value"] == attended + dna + unknown
    # Face-to-face: attended 118619 + DNA 5539 + unknown 9718.
    assert one(values, indicator_id="gp-appointments", category="Face-to-Face", **where)["value"] == 133876
    rate = one(values, indicator_id="gp-appointments-dna-rate", category="All modes", **where)
    assert (rate["count"], rate["denominator"]) == (dna, attended + dna)
    assert rate["value"] == pytest.approx(dna / (attended + dna) * 100)


def test_native_values(result):
    values, _, _ = result
    # Devon (15N) March 2019, summed over HCP type and lead time: 680,415 appointments, equal to
    # the DERIVED rows 10675-10689 it supersedes.
    total = one(values, indicator_id="gp-appointments", category="All modes", area_code="E38000230",
                period="Mar 2019")
    assert total["value"] == 680415 and total["original_area_code"] == "15N"
    assert total["release"] == "nhsd_gp_appointments/Regional_CSV_Devon.csv"


def test_codes_categories_and_keys(result):
    values, _, _ = result
    ccg21 = codes.ccg_codes().filter(pl.col("vintage") == "2021")
    assert values["area_code"].n_unique() == 49
    assert set(values["area_code"].unique()) <= set(ccg21["gss_code"])
    assert set(values["category"].unique()) == {"Face-to-Face", "Telephone", "Home Visit",
                                                "Video/Online", "Unknown", "All modes"}
    assert values.group_by("indicator_id", "area_code", "period", "category").len()["len"].max() == 1
    assert values["period"].n_unique() == 30
    rate = values.filter(pl.col("indicator_id") == "gp-appointments-dna-rate")["value"].drop_nulls()
    assert rate.min() >= 0 and rate.max() <= 100


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    text = (DERIVED_HEADER + "03W,E38000051,APR2019,Attended,Face-to-Face,100\n"
            "03W,E38000051,APR2019,Maybe,Face-to-Face,5\n"        # unknown status
            "03W,E38000051,APR2019,DNA,Carrier pigeon,5\n"        # unknown mode
            "03W,E38000045,APR2019,DNA,Telephone,5\n"             # codes are not a pair
            "03W,E38000051,FOO2019,DNA,Telephone,5\n"             # not a month
            "03W,E38000051,APR2019,DNA,Telephone,-5\n")           # negative
    values, rejects, _ = run_on(tmp_path, {"DERIVED_x.csv": text})
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons[3] == "unknown appointment status Maybe"
    assert reasons[4] == "unknown appointment mode Carrier pigeon"
    assert reasons[5] == "CCG codes 03W / E38000045 are not a pair in the April 2021 ONS lookup"
    assert "not a month" in reasons[6]
    assert reasons[7] == "negative appointment count"
    assert one(values, indicator_id="gp-appointments", category="All modes")["value"] == 100


def test_a_native_file_supersedes_derived_rows(tmp_path):
    native = (FOLDER / "Regional_CSV_Dorset.csv").read_text()
    derived = (DERIVED_HEADER + "11J,E38000045,MAR2019,Attended,Telephone,1\n"
               "03W,E38000051,MAR2019,Attended,Telephone,7\n")
    values, rejects, _ = run_on(tmp_path, {"Regional_CSV_Dorset.csv": native, "DERIVED_x.csv": derived})
    assert rejects.rows()[0][3:5] == (2, "superseded by native file Regional_CSV_Dorset.csv")
    assert set(values["area_code"].unique()) == {"E38000045", "E38000051"}


def test_missing_column_stops_the_build(tmp_path):
    with pytest.raises(SourceError, match="missing column"):
        run_on(tmp_path, {"DERIVED_x.csv": "CCG_CODE,APPT_STATUS\n03W,DNA\n"})


def test_a_blank_count_makes_its_sums_missing_not_a_reject(tmp_path):
    text = (DERIVED_HEADER + "03W,E38000051,APR2019,Attended,Face-to-Face,100\n"
            "03W,E38000051,APR2019,DNA,Home Visit,\n")
    values, rejects, reports = run_on(tmp_path, {"DERIVED_x.csv": text})
    assert rejects.is_empty() and reports.row(0, named=True)["rows_loaded"] == 2
    home = one(values, indicator_id="gp-appointments", category="Home Visit")
    assert home["value"] is None and home["status"] == "missing"
    assert one(values, indicator_id="gp-appointments", category="All modes")["status"] == "missing"
    assert one(values, indicator_id="gp-appointments", category="Face-to-Face")["value"] == 100
