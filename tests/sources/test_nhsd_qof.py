"""nhsd_qof: NHS Digital QOF recorded prevalence by CCG, run on the real files in data/raw."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml

from explorer import paths
from explorer.sources import nhsd_qof
from explorer.sources import nhsd_qof_layout as layout
from explorer.sources.base import SourceError, StepContext

RAW = "nhsd_qof_ccg/"
F1415, F1617, F1718 = (RAW + f for f in ("qof-1415-ccg-all.xlsx", "qof-1617-prev-ach-exc-ccg.xlsx",
                                         "qof-1718-prev-ach-exc-ccg.xlsx"))
F1819, F1920 = RAW + "qof-1819-prev-ach-exc-ccg.xlsx", RAW + "qof-1920-prev-ach-pca-ccg.xlsx"
CSV = RAW + "qof_1314_prevalencebyccg.csv"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(nhsd_qof.META)
    nhsd_qof.run(ctx)
    return ctx.result()


def one(values: pl.DataFrame, **where) -> dict:
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_diabetes_barnsley_2019_20_equals_the_workbook(result):
    values, _, _ = result
    # qof-1920-prev-ach-pca-ccg.xlsx, sheet DM, row 16: 02P | E38000006 | NHS Barnsley CCG |
    # 2018-19: 33 practices, list size ages 17+ 211628, register 16201, prevalence 7.655414217 |
    # 2019-20: 33, list size ages 17+ 212961, list size ages 40+ 137850, register 16496, 7.746019224
    row = one(values, release=F1920, indicator_id="diabetes-recorded-prevalence",
              area_code="E38000006", period="2019/20")
    assert row["count"] == 16496 and row["denominator"] == 212961  # the 17+ list, not the 40+
    assert row["value"] == pytest.approx(7.746019224, abs=1e-9)
    assert (row["age"], row["area_type"], row["status"]) == ("17+", "ccg", "published")
    assert (row["original_area_code"], row["original_period"]) == ("E38000006", "2019-20")
    assert (row["period_start"], row["period_end"]) == (dt.date(2019, 4, 1), dt.date(2020, 3, 31))
    assert row["period_type"] == "financial_year" and row["producer"] == "NHS Digital"
    assert row["lower_ci95"] is None and row["ci_method"] is None  # the build recomputes them
    earlier = one(values, release=F1920, indicator_id="diabetes-recorded-prevalence",
                  area_code="E38000006", period="2018/19")
    assert (earlier["count"], earlier["denominator"]) == (16201, 211628)
    assert earlier["value"] == pytest.approx(7.655414217, abs=1e-9)


def test_same_year_from_two_releases_is_kept_for_the_build(result):
    values, _, _ = result
    # 2018-19 appears in the 2018-19 and the 2019-20 workbooks; both are emitted (release = file).
    rows = values.filter(pl.col("indicator_id") == "diabetes-recorded-prevalence",
                         pl.col("area_code") == "E38000006", pl.col("period") == "2018/19")
    assert sorted(rows["release"].to_list()) == [F1819, F1920]


def test_2013_14_csv_values_mapped_from_ods(result):
    values, _, _ = result
    # qof_1314_prevalencebyccg.csv line 1043: 02P,DM,Diabetes,14080,252445,5.5774525144
    row = one(values, release=CSV, indicator_id="diabetes-recorded-prevalence", area_code="E38000006")
    assert (row["count"], row["denominator"]) == (14080, 252445)
    assert row["value"] == pytest.approx(5.5774525144)
    assert (row["original_area_code"], row["period"], row["original_period"]) == ("02P", "2013/14", "2013-14")
    assert row["age"] == "All ages" and "whole registered list" in row["note"]
    # line 2: 00C,AF,Atrial Fibrillation,1880,106303,1.7685295805; 00C = E38000042 in the 2014-15
    # workbook (sheet AF row 59: 00C | E38000042 | NHS DARLINGTON CCG)
    row = one(values, release=CSV, indicator_id="atrial-fibrillation-recorded-prevalence",
              original_area_code="00C")
    assert row["area_code"] == "E38000042" and row["value"] == pytest.approx(1.7685295805)


def test_2014_15_workbook_values_and_estimated_lists(result):
    values, _, _ = result
    # qof-1415-ccg-all.xlsx, sheet DM, row 16: 02Y | E38000052 | NHS EAST RIDING OF YORKSHIRE CCG |
    # 2013-14: list 300957, 82.72% 17+, estimated list size 17+ 248950.673223768, register 16958,
    # prevalence 6.81179118 | 2014-15: 301715, 82.85%, 249981.061292225, 17487, 6.99532993
    dm = {r["period"]: r for r in values.filter(
        pl.col("release") == F1415, pl.col("indicator_id") == "diabetes-recorded-prevalence",
        pl.col("area_code") == "E38000052").iter_rows(named=True)}
    assert dm["2014/15"]["count"] == 17487
    assert dm["2014/15"]["denominator"] == pytest.approx(249981.061292225)
    assert dm["2014/15"]["value"] == pytest.approx(6.99532993)
    assert dm["2013/14"]["count"] == 16958 and dm["2013/14"]["value"] == pytest.approx(6.81179118)
    assert dm["2013/14"]["age"] == "17+" and "Estimated List Size 17+" in dm["2013/14"]["note"]
    # sheet OST row 16, 2014-15: estimated lists 50-75 104723.026691112 and 75+ 32123.418592882,
    # register 173, prevalence 0.126419067 = 173 / (sum of the two) × 100
    ost = one(values, release=F1415, indicator_id="osteoporosis-recorded-prevalence",
              area_code="E38000052", period="2014/15")
    assert ost["denominator"] == pytest.approx(104723.026691112 + 32123.418592882)
    assert ost["value"] == pytest.approx(0.126419067) and ost["age"] == "50+"


def test_age_bands_read_from_headers(result):
    values, _, _ = result
    workbooks = values.filter(pl.col("release") != CSV)
    ages = dict(workbooks.filter(pl.col("period") == "2019/20")
                .group_by("indicator_id").agg(pl.col("age").first()).iter_rows())
    assert ages["diabetes-recorded-prevalence"] == "17+"
    assert ages["depression-recorded-prevalence"] == "18+"
    assert ages["obesity-recorded-prevalence"] == "18+"
    assert ages["cvd-primary-prevention-recorded-prevalence"] == "30-74"
    assert ages["hypertension-recorded-prevalence"] == "All ages"
    ld = workbooks.filter(pl.col("indicator_id") == "learning-disability-recorded-prevalence",
                          pl.col("release") == F1415)
    assert dict(ld.group_by("period").agg(pl.col("age").first()).iter_rows()) == {
        "2013/14": "18+", "2014/15": "All ages"}  # 'Previously 18+, now all ages'


def test_ccgs_per_release_and_year(result):
    values, _, _ = result
    counts = dict(values.group_by("release").agg(pl.col("area_code").n_unique()).iter_rows())
    assert counts == {F1415: 209, F1617: 207, F1718: 194, F1819: 191, F1920: 135, CSV: 208}
    periods = dict(values.group_by("release").agg(pl.col("period").unique().sort()).iter_rows())
    assert periods[F1920] == ["2018/19", "2019/20"] and periods[F1415] == ["2013/14", "2014/15"]
    assert set(values["area_type"].unique()) == {"ccg"}  # no England/region totals in the files


def test_z_and_colon_markers_become_missing(result):
    values, _, _ = result
    # qof-1819, sheet LD, row 189: Barnsley 2017-18 register 'z', prevalence 'z' (label
    # '2017-181'; note 1: learning disability codes changed, 2017-18 not comparable)
    ld = values.filter(pl.col("release") == F1819, pl.col("period") == "2017/18",
                       pl.col("indicator_id") == "learning-disability-recorded-prevalence")
    assert ld.height == 191 and set(ld["status"]) == {"missing"}
    assert ld["value"].null_count() == 191 and ld["count"].null_count() == 191
    assert set(ld["original_period"]) == {"2017-181"}
    assert ld["note"].str.contains(r"\[z\] not applicable; footnote 1\. The clinical codes").all()
    # qof-1819, sheet AF, row 67: 14Y | E38000223 | NHS Buckinghamshire CCG, 2017-18 cells ':'
    row = one(values, release=F1819, indicator_id="atrial-fibrillation-recorded-prevalence",
              area_code="E38000223", period="2017/18")
    assert row["status"] == "missing" and row["value"] is None and row["note"] == "[x] not available"


def test_row_accounting_for_every_sheet(result):
    _, rejects, reports = result
    assert (reports["rows_read"] == reports["rows_loaded"] + reports["rows_rejected"]).all()
    by_file = {r["file"]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
               for r in reports.iter_rows(named=True)}
    groups = ["AF", "CHD", "CVD-PP", "HF", "HYP", "PAD", "STIA", "AST", "COPD", "OB", "CAN", "CKD",
              "DM", "PC", "DEM", "DEP", "EP", "LD", "MH", "OST", "RA"]
    for release, ccgs in {F1415: 209, F1617: 207, F1718: 194, F1819: 191, F1920: 135}.items():
        sheets = {f.split("#")[1] for f in by_file if f.startswith(release + "#")}
        assert sheets == set(groups)  # BP, SMOK, CS, CON, PS, EoLC have no register
        for group in groups:
            assert by_file[f"{release}#{group}"] == (ccgs, ccgs, 0)
    assert by_file[CSV] == (5064, 4576, 488)
    reasons = rejects.filter(pl.col("file") == CSV).group_by("reason").len()
    counts = {r[:30]: n for r, n in reasons.iter_rows()}
    assert counts == {"sub-register of heart failure ": 211, "not a disease register: the sm": 211,
                      "ODS code not among the CCG cod": 66}  # 00F, 00G, 00H (2015 merger)
    unmapped = rejects.filter(pl.col("reason").str.starts_with("ODS code"))["raw"].str.slice(0, 3)
    assert set(unmapped) == {"00F", "00G", "00H"}


def test_indicators_are_defined_once_with_topics():
    meta = nhsd_qof.META
    ids = [i["id"] for i in meta["indicators"]]
    assert len(ids) == len(set(ids)) and set(meta["groups"].values()) == set(ids)
    topics = {t["id"] for t in yaml.safe_load((paths.ROOT / "explorer/topics.yaml").read_text())}
    for ind in meta["indicators"]:
        assert ind["topic"] in topics
        assert (ind["unit"], ind["multiplier"], ind["value_type"], ind["polarity"]) == (
            "%", 100, "proportion", "no judgement")
    copd = next(i for i in meta["indicators"] if i["id"] == "copd-recorded-prevalence")
    assert {"COPD", "chronic obstructive pulmonary disease", "lung", "emphysema"} <= set(copd["synonyms"])


def test_layout_helpers():
    assert layout.year_of("2017-181") == "2017-18" and layout.year_of("2013-14 ") == "2013-14"
    assert layout.year_of("Year on year change") is None and layout.year_of("2019-21") is None
    assert layout.age_band("Estimated List Size 17+") == "17+"
    assert layout.age_band("List size ages 30-74") == "30-74" and layout.age_band("List Size") == "All ages"
    assert layout.combined_band(["50-75", "75+"]) == "50+"


# --- a new year's workbook, built here, must be read without code changes -------------------
HEADER = ["CCG ODS code (practice parent)", "CCG ONS code (practice parent)", "CCG name",
          "Number of practices", "List size ages 17+", "Register", "Prevalence (%)",
          "Number of practices", "List size ages 17+", "List size ages 40+", "Register",
          "Prevalence (%)", "Year on year change (percentage point)"]


def _workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def _dm_sheet(header=HEADER, rows=None) -> list[list]:
    rows = rows or [
        ["02P", "E38000006", "NHS Barnsley CCG", 33, 212961, 16496, 7.746019224, 33, 215000, 140000,
         17000, 17000 / 215000 * 100, 0.16],
        ["99E", "E38000007", "NHS Basildon", 35, 224802, 14843, 6.602699264, 35, 230000, 150000,
         "z", "z", "z"],
        ["XXX", "not a code", "Unknown", 1, 100, 1, 1.0, 1, 100, 50, 1, 1.0, 0],
    ]
    return [[], [], ["Table 15: diabetes, 2020-21, CCG level"], [], [None, None, None, "Prevalence"],
            [None, None, None, "2019-20", None, None, None, "2020-21"], header, *rows, [],
            ["Copyright © 2021, NHS Digital"]]


def _run(tmp_path: Path, files: list[str]):
    meta = dict(nhsd_qof.META, files=files)
    ctx = StepContext(meta, raw_dir=tmp_path)
    nhsd_qof.run(ctx)
    return ctx.result()


def test_new_year_workbook_is_read_by_labels(tmp_path):
    smok = [[], ["CCG code", "CCG ONS code", "List size ages 15+"], ["02P", "E38000006", 1]]
    ndh = _dm_sheet()
    _workbook(tmp_path / "qof-2021-prev-ach-pca-ccg.xlsx",
              {"Title sheet": [["Quality and Outcomes Framework 2020-21"]], "DM": _dm_sheet(),
               "SMOK": smok, "NDH": ndh})
    values, rejects, reports = _run(tmp_path, ["qof-*.xlsx"])
    by_file = {r["file"].split("#")[1]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
               for r in reports.iter_rows(named=True)}
    assert by_file == {"DM": (3, 2, 1), "NDH": (3, 0, 3)}  # Title and SMOK have no register
    new = one(values, area_code="E38000006", period="2020/21")
    assert (new["count"], new["denominator"], new["age"]) == (17000, 215000, "17+")
    basildon = one(values, area_code="E38000007", period="2020/21")
    assert basildon["status"] == "missing" and basildon["note"] == "[z] not applicable"
    dm_rejects = rejects.filter(pl.col("sheet") == "DM")
    assert dm_rejects["row_number"].to_list() == [10]  # the Excel row of the 'XXX' line
    assert dm_rejects["reason"][0].startswith("no CCG GSS code")
    assert rejects.filter(pl.col("sheet") == "NDH")["reason"][0].startswith("QOF group 'NDH' has no")


def test_prevalence_sheet_without_register_column_stops_the_build(tmp_path):
    header = [h for h in HEADER if h != "Register"]
    _workbook(tmp_path / "qof-2021-broken.xlsx", {"DM": _dm_sheet(header=header)})
    with pytest.raises(SourceError, match=r"qof-2021-broken.xlsx, sheet 'DM'.*Register"):
        _run(tmp_path, ["qof-*.xlsx"])


def test_csv_bad_rows_are_rejected_with_reasons(tmp_path):
    # A 2014-15-style workbook supplies the (ODS, GSS) pairs for 2013-14.
    header = ["CCG Code", "CCG Geography Code", "CCG Name", "Number of Practices", "List Size",
              "Register", "Prevalence (per cent)", "Number of Practices", "List Size", "Register",
              "Prevalence (per cent)"]
    rows = [["02P", "E38000006", "NHS BARNSLEY CCG", 33, 252445, 4285, 1.6973994335, 33, 250000,
             4300, 1.72]]
    sheet = [[None, None, None, "Prevalence"], [None, None, None, "2013-14", None, None, None,
                                                 "2014-15"], header, *rows]
    _workbook(tmp_path / "qof-1415-mini.xlsx", {"AF": sheet})
    (tmp_path / "qof_1314_prevalencebyccg.csv").write_text(
        "ccgcode,indicator_group,Register_description,disease_register_size,ccg_listsize,prevalence\n"
        "02P,AF,Atrial Fibrillation,4285,252445,1.6973994335\n"
        "02P,DM,Diabetes,14080,252445,five\n"
        "ZZZ,AF,Atrial Fibrillation,1,10,10\n"
        "02P,SMOK,Smoking Indicators,66776,252445,26.45\n", encoding="utf-8")
    values, rejects, reports = _run(tmp_path, ["qof-*.xlsx", "qof_*prevalencebyccg.csv"])
    csv = values.filter(pl.col("release") == "qof_1314_prevalencebyccg.csv")
    assert csv["area_code"].to_list() == ["E38000006"] and csv["value"][0] == pytest.approx(1.6973994335)
    reasons = dict(rejects.filter(pl.col("sheet").is_null()).select("row_number", "reason").iter_rows())
    assert reasons[3] == "register, list size or prevalence holds text"
    assert reasons[4].startswith("ODS code not among the CCG code pairs")
    assert reasons[5].startswith("not a disease register")
    report = reports.filter(pl.col("file") == "qof_1314_prevalencebyccg.csv").row(0, named=True)
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (4, 1, 3)
