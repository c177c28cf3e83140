"""mhclg_imd on the real IoD2015/IoD2019 CCG workbooks, plus edited copies."""

import copy
import datetime as dt

import openpyxl
import polars as pl
import pytest

from explorer import paths, schema
from explorer.sources import mhclg_imd as step
from explorer.sources.base import SourceError, StepContext

# openpyxl drops the Notes sheet's text box when saving an edited copy; that is expected.
pytestmark = pytest.mark.filterwarnings("ignore:DrawingML support is incomplete")
FOLDER = "mhclg_imd_ccg"
SHEETS = ["IMD", "Income", "Employment", "Education", "Health", "Crime", "Barriers", "Living",
          "IDACI", "IDAOPI"]


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def one(values, **where):
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_row_accounting_per_sheet(result):
    _, rejects, reports = result
    counts = {r["file"]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
              for r in reports.iter_rows(named=True)}
    # One row per CCG on every sheet: 209 CCGs in 2015, 191 in April 2019. The empty 'Notes'
    # sheet is skipped, so it has no report.
    expected = {f"{FOLDER}/IMD_CCG_2015.xlsx#{s}": (209, 209, 0) for s in SHEETS}
    expected |= {f"{FOLDER}/IMD_CCG_2019.xlsx#{s}": (191, 191, 0) for s in SHEETS}
    assert counts == expected
    assert rejects.height == 0
    assert reports.filter(pl.col("file").str.ends_with("2019.xlsx#IMD"))["release_date"][0] == \
        dt.date(2019, 9, 26)


def test_imd_2019_values_match_the_workbook(result):
    values, _, _ = result
    # IMD_CCG_2019.xlsx, sheet IMD, row 4: E38000004 NHS Barking and Dagenham CCG,
    # average score 32.768, rank of average score 17, proportion in most deprived 10% 0.0364
    where = {"area_code": "E38000004", "period": "2019"}
    assert one(values, indicator_id="imd-average-score", **where)["value"] == pytest.approx(32.768)
    assert one(values, indicator_id="imd-rank-average-score", **where)["value"] == 17
    assert one(values, indicator_id="imd-proportion-lsoas-most-deprived-10pct",
               **where)["value"] == pytest.approx(3.64)
    # row 179: E38000217 NHS Manchester CCG, score 40.005, rank 6, proportion 0.4326
    where = {"area_code": "E38000217", "period": "2019"}
    row = one(values, indicator_id="imd-average-score", **where)
    assert row["value"] == pytest.approx(40.005)
    assert row["area_type"] == "ccg" and row["original_period"] == "IoD2019"
    assert (row["period_start"], row["period_end"], row["period_type"]) == (
        dt.date(2019, 1, 1), dt.date(2019, 12, 31), "calendar_year")
    assert one(values, indicator_id="imd-proportion-lsoas-most-deprived-10pct",
               **where)["value"] == 43.26
    # sheet Health, row 4: Barking and Dagenham health deprivation average score 0.204
    assert one(values, indicator_id="imd-health-average-score", area_code="E38000004",
               period="2019")["value"] == pytest.approx(0.204)


def test_imd_2015_values_and_fractions_as_percent(result):
    values, _, _ = result
    # IMD_CCG_2015.xlsx, sheet IMD, row 3: E38000002 NHS Ashford CCG, score 17.333, rank 144,
    # proportion 0; sheet Income row 3: income average score 0.122 → 12.2%
    where = {"area_code": "E38000002", "period": "2015"}
    assert one(values, indicator_id="imd-average-score", **where)["value"] == pytest.approx(17.333)
    assert one(values, indicator_id="imd-rank-average-score", **where)["value"] == 144
    assert one(values, indicator_id="imd-proportion-lsoas-most-deprived-10pct", **where)["value"] == 0
    assert one(values, indicator_id="imd-income-average-score", **where)["value"] == 12.2
    assert one(values, indicator_id="imd-average-score", **where)["original_period"] == "IoD2015"


def test_coverage_and_vocabularies(result):
    values, _, _ = result
    assert values.columns == list(schema.VALUE_SCHEMA)
    per_year = values.group_by("period").agg(pl.col("area_code").n_unique()).sort("period")
    assert per_year.rows() == [("2015", 209), ("2019", 191)]
    assert values["area_code"].str.contains(r"^E38\d{6}$").all()
    defined = {i["id"] for i in step.META["indicators"]}
    assert set(values["indicator_id"].unique()) == defined
    assert len(defined) == 12
    # the rank is a rank among CCGs: 1..191 in 2019
    ranks = values.filter(pl.col("indicator_id") == "imd-rank-average-score", pl.col("period") == "2019")
    assert (ranks["value"].min(), ranks["value"].max()) == (1, 191)
    assert set(values["status"].unique()) == {"published"}


def test_metadata_is_complete():
    for ind in step.META["indicators"]:
        assert ind["topic"] == "deprivation"
        assert ind["polarity"] in schema.POLARITIES and ind["value_type"] in schema.VALUE_TYPES
        assert ind["multiplier"] == (100 if ind["unit"] == "%" else 1)
    by_id = {i["id"]: i for i in step.META["indicators"]}
    assert by_id["imd-average-score"]["polarity"] == "low is good"
    assert by_id["imd-average-score"]["fingertips_id"] == 93553
    assert by_id["imd-rank-average-score"]["polarity"] == "high is good"  # rank 1 = most deprived


def _edited_copy(tmp_path, edit):
    """The 2019 workbook with `edit(workbook)` applied, and a META pointing at it."""
    wb = openpyxl.load_workbook(paths.RAW_DIR / FOLDER / "IMD_CCG_2019.xlsx")
    edit(wb)
    (tmp_path / FOLDER).mkdir()
    wb.save(tmp_path / FOLDER / "IMD_CCG_2019.xlsx")
    meta = copy.deepcopy(step.META)
    meta["files"] = [f"{FOLDER}/IMD_CCG_2019.xlsx"]
    return meta


def test_bad_rows_and_unmapped_sheet_are_rejected(tmp_path):
    def edit(wb):
        ws = wb["IMD"]
        ws["A2"] = "X38000001"          # not a CCG code
        ws["E3"] = "n/k"                # average score holds text
        ws["G5"] = None                 # blank proportion: missing, not a reject
        extra = wb.create_sheet("Extra")
        extra.append(["Clinical Commissioning Group Code (2019)", "Name", "Something - Average score"])
        extra.append(["E38000001", "NHS Airedale", 1.0])

    ctx = StepContext(_edited_copy(tmp_path, edit), raw_dir=tmp_path)
    step.run(ctx)
    values, rejects, reports = ctx.result()
    imd = rejects.filter(pl.col("sheet") == "IMD")
    reasons = dict(zip(imd["row_number"], imd["reason"], strict=True))
    assert reasons == {2: "'X38000001' is not a CCG GSS code (E38 + 6 digits)",
                       3: "not a number in: IMD - Average score"}
    extra = rejects.filter(pl.col("sheet") == "Extra")
    assert extra["reason"].to_list() == ["sheet 'Extra' is not mapped to an indicator"]
    report = reports.filter(pl.col("file").str.ends_with("#IMD")).row(0, named=True)
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (191, 189, 2)
    blank = one(values, indicator_id="imd-proportion-lsoas-most-deprived-10pct",
                area_code="E38000005")
    assert blank["status"] == "missing" and blank["value"] is None


def test_missing_column_stops_the_build(tmp_path):
    def edit(wb):
        wb["Crime"]["E1"] = "Crime - Mean score"

    meta = _edited_copy(tmp_path, edit)
    with pytest.raises(SourceError, match="sheet 'Crime', row 1: no column headed '… - average score'"):
        step.run(StepContext(meta, raw_dir=tmp_path))


def test_header_without_edition_year_stops_the_build(tmp_path):
    def edit(wb):
        wb["IMD"]["A1"] = "Clinical Commissioning Group Code"

    meta = _edited_copy(tmp_path, edit)
    with pytest.raises(SourceError, match="names no edition year"):
        step.run(StepContext(meta, raw_dir=tmp_path))
