import polars as pl
import pytest

from explorer.sources import readers
from explorer.sources.base import SourceError


def test_csv_bom_and_row_numbers(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffcode,value\nE1,1\nE2,2\n".encode())
    frame = readers.read_csv(path, required=["code"])
    assert frame.columns[1:] == ["code", "value"]
    assert frame["_row"].to_list() == [2, 3]


def test_csv_latin1_with_preamble(tmp_path):
    path = tmp_path / "ons.csv"
    path.write_bytes("Note: provisional\n\nAREA,Value\nE1,\"1,335\"\nE2,caf\xe9\n".encode("latin-1"))
    frame = readers.read_csv(path, skip_lines=2, required=["AREA", "Value"])
    assert frame["Value"].to_list() == ["1,335", "café"]
    assert frame["_row"].to_list() == [4, 5]
    numbers = frame.select(readers.number(pl.col("Value")), readers.bad_number(pl.col("Value")).alias("bad"))
    assert numbers["Value"].to_list() == [1335.0, None]
    assert numbers["bad"].to_list() == [False, True]


def test_missing_column_names_file_and_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match=r"x\.csv, row 1: missing column\(s\) \['code'\]"):
        readers.read_csv(path, required=["code"])


def test_markers_status_and_notes():
    frame = pl.DataFrame({"v": ["12.5", "z", "*", "c", "..", None, " 7 ", "n/a", "oops"]})
    out = frame.select(
        readers.number(pl.col("v")).alias("n"), readers.marker_status(pl.col("v")).alias("s"),
        readers.marker_note(pl.col("v")).alias("note"), readers.bad_number(pl.col("v")).alias("bad"))
    assert out["n"].to_list() == [12.5, None, None, None, None, None, 7.0, None, None]
    assert out["s"].to_list()[:6] == ["published", "missing", "suppressed", "suppressed", "missing", "missing"]
    assert out["note"][1] == "[z] not applicable" and out["note"][2].startswith("[c]")
    assert out["bad"].to_list() == [False] * 8 + [True]


def test_rejects_keep_the_whole_row():
    frame = pl.DataFrame({"_row": [2, 3], "a": ["x", "y"], "b": [None, "2"]})
    rejects = readers.rejects_where(frame, pl.col("a") == "x", "bad thing")
    assert rejects.rows() == [(2, "bad thing", "x | ")]


def test_excel_header_detection_on_a_real_workbook():
    from explorer import paths

    path = paths.RAW_DIR / "nhsd_qof_ccg" / "qof-1920-prev-ach-pca-ccg.xlsx"
    grid = readers.read_sheet_raw(path, "DM")
    i = readers.find_header_row(grid, ["CCG ODS code", "Register"], path, "DM")
    assert grid["_row"][i] == 14  # the header sits on Excel row 14 of the 2019-20 DM sheet
    with pytest.raises(SourceError, match="no header row"):
        readers.find_header_row(grid, ["no such label"], path, "DM")


def test_corrupt_workbook_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceError, match="broken.xlsx"):
        readers.sheet_names(path)
