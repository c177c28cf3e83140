"""Safety of every download, on a small synthetic store: spreadsheet formula injection is
neutralised (text only; negative numbers stay numbers), and disclosure control is applied to
flagged indicators in every format exactly as on screen, even when the store was not controlled."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import openpyxl
import polars as pl
import pytest

from explorer import export, schema
from explorer.queries import download as dq
from explorer.store import Store, _offsets

EVIL = ['=HYPERLINK("http://x","y")', "+1", "-cmd", "@SUM(A1)", "\t=1", "\r=2"]
RETRIEVED = dt.datetime(2025, 1, 31, 12, 0, tzinfo=dt.UTC)
IND = "test-indicator"


def synthetic_store(tmp_path, flagged: bool = True) -> Store:
    codes = [f"E1000000{i}" for i in range(len(EVIL))] + ["E10000009"]
    names = [*EVIL, "Plain Town"]
    counts = [12.0, 3.0, 0.0, None, 7.0, 8.0, 40.0]
    values = [-3.5, 2.0, 0.0, 4.0, 5.0, 6.0, 7.5]
    rows = [{"indicator_id": IND, "area_code": code, "area_type": "utla", "period": "2019/20",
             "period_start": dt.date(2019, 4, 1), "period_end": dt.date(2020, 3, 31),
             "period_type": "financial_year", "category": "-5" if i == 6 else None,
             "value": v, "lower_ci95": v - 1, "upper_ci95": v + 1, "count": c, "denominator": 100.0,
             "note": "@note" if i == 6 else None, "producer": "Test producer", "source_id": "test_source",
             "original_area_code": code, "original_period": "2019-20", "release": "test/file.csv"}
            for i, (code, v, c) in enumerate(zip(codes, values, counts, strict=True))]
    rows.append({**rows[-1], "area_code": "E92000001", "area_type": "england", "value": 5.0,
                 "lower_ci95": 4.9, "upper_ci95": 5.1, "count": 1000.0, "category": None, "note": None})
    frame = schema.conform(pl.DataFrame(rows, infer_schema_length=None)).sort(schema.SORT_KEYS)
    indicators = pl.DataFrame([{
        "indicator_id": IND, "title": '=HYPERLINK("http://x","y") rate', "short_title": "Test",
        "definition": "-1 definition", "rationale": None, "method": None, "topic": "lifestyle", "unit": "%",
        "multiplier": 100.0, "value_type": "proportion", "polarity": "low is good", "synonyms": [],
        "caveats": None, "disclosure_control": flagged, "target": None, "fingertips_id": None,
        "licence": "Open Government Licence v3.0", "defined_by": "test_source", "producers": ["Test producer"],
        "source_ids": ["test_source"], "area_types": ["england", "utla"]}])
    areas = pl.DataFrame({"area_code": [*codes, "E92000001"], "area_name": [*names, "England"],
                          "area_type": ["utla"] * len(codes) + ["england"], "vintage": "2021",
                          "parent_region": ["E12000001"] * len(codes) + [None]})
    sources = pl.DataFrame({"source_id": ["test_source"], "producer": ["Test producer"],
                            "title": ["+Test dataset"], "file": ["test/file.csv"],
                            "release_date": [dt.date(2020, 8, 20)], "licence": ["Open Government Licence v3.0"]})
    store = Store(tmp_path, frame, {"indicators": indicators, "areas": areas, "sources": sources}, {})
    store._offsets = _offsets(frame)
    return store


ALL = dq.Filter(indicators=[IND], columns=list(dq.COLUMN_GROUPS))


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


# --- formula injection ------------------------------------------------------------------------------
def test_csv_prefixes_formula_text_with_a_quote_and_leaves_numbers(tmp_path):
    store = synthetic_store(tmp_path)
    rows = _csv_rows(export.export(store, ALL, "csv", RETRIEVED))
    by_code = {r["area_code"]: r for r in rows}
    names = [by_code[f"E1000000{i}"]["area_name"] for i in range(len(EVIL))]
    assert names == ["'" + e for e in EVIL]
    assert all(r["indicator"] == "'" + '=HYPERLINK("http://x","y") rate' for r in rows)
    assert by_code["E10000009"]["category"] == "'-5" and by_code["E10000009"]["note"] == "'@note"
    assert by_code["E10000000"]["value"] == "-3.5"  # a negative number stays a number
    assert by_code["E10000000"]["lower_ci95"] == "-4.5"
    assert by_code["E10000009"]["area_name"] == "Plain Town"
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+@\t\r" and not (value[0] == "-" and not _number(value))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_zip_and_fingertips_csv_are_neutralised_too(tmp_path):
    store = synthetic_store(tmp_path)
    with zipfile.ZipFile(io.BytesIO(export.export(store, ALL, "zip", RETRIEVED))) as archive:
        inner = archive.read("data.csv")
    assert inner == export.export(store, ALL, "csv", RETRIEVED)
    fingertips = _csv_rows(export.export(store, ALL, "fingertips", RETRIEVED))
    names = sorted(r["Area Name"] for r in fingertips)
    assert "'-cmd" in names and "'+1" in names and "'@SUM(A1)" in names
    assert {r["Indicator Name"] for r in fingertips} == {"'" + '=HYPERLINK("http://x","y") rate'}
    assert [r["Value"] for r in fingertips if r["Area Code"] == "E10000000"] == ["-3.5"]


def test_excel_writes_text_as_text_never_formulas(tmp_path):
    store = synthetic_store(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(export.export(store, ALL, "xlsx", RETRIEVED)))
    formulas = [c.coordinate for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    data = book["Data"]
    header = [c.value for c in data[3]]
    name_col, value_col = header.index("Area name"), header.index("Value")
    cells = {row[name_col].value: row for row in data.iter_rows(min_row=4)}
    for evil in EVIL:
        held = evil.replace("\r", "_x000D_")  # OOXML's escape for a carriage return (Excel shows CR)
        assert held in cells, evil  # exactly as held: no quote needed, the cell is a string
        assert cells[held][name_col].data_type == "s"
    assert cells[EVIL[0]][value_col].value == -3.5 and cells[EVIL[0]][value_col].data_type == "n"


def test_json_and_parquet_keep_text_exactly(tmp_path):
    store = synthetic_store(tmp_path)
    data = json.loads(export.export(store, ALL, "json", RETRIEVED))["data"]
    assert sorted(r["area_name"] for r in data if r["area_name"] in EVIL) == sorted(EVIL)
    frame = pl.read_parquet(io.BytesIO(export.export(store, ALL, "parquet", RETRIEVED)))
    assert set(EVIL) <= set(frame["area_name"].to_list())


# --- disclosure control -----------------------------------------------------------------------------
def test_small_counts_are_suppressed_in_every_format_as_on_screen(tmp_path):
    store = synthetic_store(tmp_path)
    screen = dq.table(store, ALL)
    plus_one = screen.filter(pl.col("area_code") == "E10000001").row(0, named=True)   # count 3
    assert plus_one["count"] is None and plus_one["value"] is None and plus_one["status"] == "suppressed"
    assert plus_one["lower_ci95"] is None and plus_one["compared_with_england"] == "not compared"
    assert screen.filter(pl.col("area_code") == "E10000000")["count"][0] == 10  # 12 rounded to 5
    assert screen.filter(pl.col("area_code") == "E10000005")["count"][0] == 10  # 8 rounded to 5
    assert screen.filter(pl.col("area_code") == "E10000004")["status"][0] == "suppressed"  # 7

    rows = {r["area_code"]: r for r in _csv_rows(export.export(store, ALL, "csv", RETRIEVED))}
    assert (rows["E10000001"]["count"], rows["E10000001"]["value"]) == ("", "")
    assert rows["E10000001"]["status"] == "suppressed" and "suppressed" in rows["E10000001"]["note"]
    assert rows["E10000000"]["count"] == "10"
    fingertips = {r["Area Code"]: r for r in _csv_rows(export.export(store, ALL, "fingertips", RETRIEVED))}
    assert (fingertips["E10000001"]["Count"], fingertips["E10000001"]["Value"]) == ("", "")
    data = {r["area_code"]: r for r in json.loads(export.export(store, ALL, "json", RETRIEVED))["data"]}
    assert data["E10000001"]["count"] is None and data["E10000004"]["value"] is None
    parquet = pl.read_parquet(io.BytesIO(export.export(store, ALL, "parquet", RETRIEVED)))
    assert parquet.filter(pl.col("count").is_between(1, 7)).is_empty()

    sheet = openpyxl.load_workbook(io.BytesIO(export.export(store, ALL, "xlsx", RETRIEVED)))["Data"]
    header = [c.value for c in sheet[3]]
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[header.index("Area code")] == "E10000001")
    assert row[header.index("Value")] == "[c]" and row[header.index("Count [note 4]")] == "[c]"
    assert row[header.index("Lower 95% limit")] == "[c]"


def test_unflagged_indicators_keep_their_counts(tmp_path):
    store = synthetic_store(tmp_path, flagged=False)
    rows = {r["area_code"]: r for r in _csv_rows(export.export(store, ALL, "csv", RETRIEVED))}
    assert rows["E10000001"]["count"] == "3" and rows["E10000000"]["count"] == "12"


def test_metadata_names_the_rule_and_the_controlled_indicator(tmp_path):
    store = synthetic_store(tmp_path)
    meta = json.loads(export.metadata_file(store, ALL, "csv", RETRIEVED))
    assert meta["disclosure_control"]["indicators_controlled"] == [IND]
    assert "1 to 7" in meta["disclosure_control"]["rule"]


@pytest.mark.parametrize("fmt", ["csv", "json", "zip", "xlsx", "fingertips", "parquet"])
def test_every_format_builds_from_the_synthetic_store(tmp_path, fmt):
    assert export.export(synthetic_store(tmp_path), ALL, fmt, RETRIEVED)
