"""hoclib_qof_modelled: House of Commons Library modelled QOF 2019-20 prevalence by district."""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest

from explorer import paths
from explorer.sources import hoclib_qof_modelled, nhsd_qof
from explorer.sources.base import SourceError, StepContext

FILE = "hoc_qof_modelled_prevalence_lad_1920.csv"
RELEASE = "hoclib_qof_modelled/" + FILE
HEADER = "lad_code,lad_name,group_code,register,list,prevalence\n"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(hoclib_qof_modelled.META)
    hoclib_qof_modelled.run(ctx)
    return ctx.result()


def one(values: pl.DataFrame, **where) -> dict:
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_values_equal_the_file_with_prevalence_in_percent(result):
    values, _, _ = result
    # line 2: E06000001,Hartlepool,AF,2182.7136593164687,97496.24677411436,0.0223876685671144
    row = one(values, area_code="E06000001", indicator_id="atrial-fibrillation-recorded-prevalence")
    assert row["value"] == pytest.approx(2.23876685671144)  # fraction × 100
    assert row["count"] == pytest.approx(2182.7136593164687)
    assert row["denominator"] == pytest.approx(97496.24677411436)
    assert (row["age"], row["area_type"], row["status"]) == ("All ages", "ltla", "published")
    assert row["original_area_code"] == "E06000001" and row["producer"] == "House of Commons Library"
    assert "modelled" in row["note"] and "multiplied by 100" in row["note"]
    assert (row["period"], row["period_start"], row["period_end"]) == (
        "2019/20", dt.date(2019, 4, 1), dt.date(2020, 3, 31))
    assert row["release"] == RELEASE and row["lower_ci95"] is None
    # Barnsley: E08000016,Barnsley,DM,15927.157006693153,205730.19910810346,0.07741769111069606
    dm = one(values, area_code="E08000016", indicator_id="diabetes-recorded-prevalence")
    assert dm["value"] == pytest.approx(7.741769111069606) and dm["age"] == "17+"
    assert dm["denominator"] == pytest.approx(205730.19910810346)


def test_row_accounting_and_welsh_districts_rejected(result):
    values, rejects, reports = result
    report = reports.row(0, named=True)
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (6741, 6594, 147)
    assert report["licence"] == "Open Parliament Licence v3.0"
    # 7 Welsh districts × 21 groups, e.g. W06000002 Gwynedd AF: list 1.001 patients
    assert rejects["raw"].str.starts_with("W06").all() and rejects.height == 147
    assert rejects["reason"].str.starts_with("Welsh district").all()
    assert values["area_code"].n_unique() == 314 and values.height == 314 * 21


def test_groups_map_to_the_nhsd_qof_indicators(result):
    values, _, _ = result
    defined = {i["id"] for i in nhsd_qof.META["indicators"]}
    assert set(values["indicator_id"]) <= defined
    assert len(set(values["indicator_id"])) == 21
    assert "indicators" not in hoclib_qof_modelled.META  # defined once, in nhsd_qof.yaml
    ages = dict(values.group_by("indicator_id").agg(pl.col("age").first()).iter_rows())
    assert ages["osteoporosis-recorded-prevalence"] == "50+"
    assert ages["cvd-primary-prevention-recorded-prevalence"] == "30-74"


def _run(tmp_path, text: str, name: str = FILE):
    (tmp_path / name).write_text(text, encoding="utf-8")
    meta = dict(hoclib_qof_modelled.META, files=["hoc_qof_modelled_prevalence_lad_*.csv"])
    ctx = StepContext(meta, raw_dir=tmp_path)
    hoclib_qof_modelled.run(ctx)
    return ctx.result()


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    values, rejects, _ = _run(tmp_path, HEADER
                              + "E06000001,Hartlepool,AF,2182.7,97496.2,0.0224\n"
                              + "E06000001,Hartlepool,DM,5708.7,78371.6,seven\n"
                              + "E06000001,Hartlepool,XYZ,1,2,0.5\n"
                              + "S12000033,Aberdeen City,AF,1,2,0.5\n")
    assert values["value"].to_list() == [pytest.approx(2.24)]
    reasons = dict(rejects.select("row_number", "reason").iter_rows())
    assert reasons == {3: "register, list or prevalence holds text",
                       4: "QOF group_code not in group_indicators",
                       5: "not an English local authority district code (E06/E07/E08/E09)"}


def test_file_without_a_period_or_columns_stops(tmp_path):
    with pytest.raises(SourceError, match="no period"):
        _run(tmp_path, HEADER, name="hoc_qof_modelled_prevalence_lad_2021.csv")
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    with pytest.raises(SourceError, match="missing column"):
        _run(tmp_path, "lad_code,group_code,prevalence\nE06000001,AF,0.02\n")
    assert (paths.RAW_DIR / RELEASE).exists()
