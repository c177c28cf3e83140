"""Every format on the real store: round trip (download → read back → equals the filtered store
rows), Excel structure (Analysis Function guidance), the Fingertips layout against a genuine
Fingertips export, metadata, reproducibility and the size guard."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import polars as pl
import pyarrow.parquet as pq
import pytest

from explorer import catalogue, export, paths
from explorer.export import excel
from explorer.queries import download as dq
from explorer.queries import download_url as du

DM = "diabetes-recorded-prevalence"
RETRIEVED = dt.datetime(2025, 1, 31, 12, 0, 5, tzinfo=dt.UTC)
F = dq.Filter(indicators=[DM], area_type="ccg", period_from="2018/19", period_to="2019/20",
              columns=list(dq.COLUMN_GROUPS))
STORE_COLUMNS = ["indicator_id", "area_code", "area_type", "period", "period_start", "period_end", "sex", "age",
                 "category", "value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998", "count",
                 "denominator", "status", "note", "producer", "source_id", "ci_method", "original_area_code",
                 "original_period", "release"]
KEY = ["area_code", "period", "producer", "status"]
NATIVE = paths.RAW_DIR / "ohid_fingertips_native" / "indicators-CountyUA.data.csv"


@pytest.fixture(scope="module")
def expected(store):
    """The store's own rows for the filter, independently selected."""
    return store.values(indicator=DM, area_type="ccg", periods=["2018/19", "2019/20"]).select(STORE_COLUMNS)


def test_csv_round_trip_equals_the_store_rows(store, expected):
    back = export.read_csv(export.export(store, F, "csv", RETRIEVED))
    assert back.height == expected.height > 288  # two years of CCGs, published and re-estimated
    assert back.select(STORE_COLUMNS).sort(KEY).equals(expected.sort(KEY))
    assert back.columns == F.columns_out()


def test_zip_holds_the_same_csv_metadata_and_readme(store, expected):
    archive = zipfile.ZipFile(io.BytesIO(export.export(store, F, "zip", RETRIEVED)))
    assert archive.namelist() == ["data.csv", "metadata.json", "README.txt"]
    assert archive.read("data.csv") == export.export(store, F, "csv", RETRIEVED)
    meta = json.loads(archive.read("metadata.json"))
    readme = archive.read("README.txt").decode()
    assert meta["link"] in readme and meta["citation"] in readme and f"{expected.height:,} rows" in readme


def test_json_and_parquet_round_trip(store, expected):
    payload = json.loads(export.export(store, F, "json", RETRIEVED))
    assert payload["metadata"]["rows"] == expected.height
    frame = pl.DataFrame(payload["data"], infer_schema_length=None).select(STORE_COLUMNS).with_columns(
        pl.col("period_start", "period_end").str.to_date())
    assert frame.cast(dict(expected.schema)).sort(KEY).equals(expected.sort(KEY))
    raw = export.export(store, F, "parquet", RETRIEVED)
    assert pl.read_parquet(io.BytesIO(raw)).select(STORE_COLUMNS).sort(KEY).equals(expected.sort(KEY))
    meta = json.loads(pq.read_metadata(io.BytesIO(raw)).metadata[b"explorer.metadata"])
    assert meta["retrieved"] == "2025-01-31T12:00:05Z"


def test_csv_is_one_clean_tidy_table(store, expected):
    text = export.export(store, F, "csv", RETRIEVED).decode("utf-8")
    lines = text.split("\n")
    assert not text.startswith("\ufeff") and lines[0].startswith("indicator_id,indicator,unit,area_code")
    assert lines[-1] == "" and all(lines[:-1]) and len(lines) == expected.height + 2
    assert ",2019-04-01,2020-03-31," in text  # ISO dates
    assert ",44137,495381," in text  # Bradford's count and denominator as whole numbers


def test_metadata_carries_definitions_sources_licence_citation_and_link(store, expected):
    meta = export.export_metadata(store, F, "csv", RETRIEVED, base_url="https://example.org/")
    assert meta["retrieved"] == "2025-01-31T12:00:05Z" and meta["rows"] == expected.height
    assert meta["indicators"][0]["definition"].startswith("The percentage of registered patients aged 17")
    assert [s["source_id"] for s in meta["sources"]] == ["nhsd_qof"]
    assert meta["sources"][0]["producer"] == "NHS Digital" and meta["sources"][0]["latest_release_date"]
    assert meta["licences"] == ["Open Government Licence v3.0"]
    assert meta["citation"].startswith("NHS Digital. Diabetes – recorded prevalence")
    assert "retrieved 31 January 2025" in meta["citation"]
    assert meta["command"].startswith(f"python -m explorer export --indicator {DM} --area-type ccg")
    link = urlsplit(meta["link"])
    assert (link.scheme, link.netloc, link.path) == ("https", "example.org", "/download")
    reopened = du.from_query(store, dict(parse_qsl(link.query)), export.FORMATS,
                             [t["id"] for t in catalogue.topics()])
    assert reopened.filter == F and reopened.fmt == "csv" and not reopened.notices
    described = {c["name"] for c in meta["columns"] if c["description"]}
    assert described == set(F.columns_out())


@pytest.mark.parametrize("fmt", ["csv", "zip", "json", "fingertips", "parquet", "xlsx"])
def test_same_retrieval_time_gives_the_same_bytes(store, fmt):
    assert export.export(store, F, fmt, RETRIEVED) == export.export(store, F, fmt, RETRIEVED)


# --- Excel --------------------------------------------------------------------------------------------
def _book(store, f=F) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(export.export(store, f, "xlsx", RETRIEVED)))


def test_excel_sheets_cover_and_one_table_per_sheet(store):
    book = _book(store)
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Definitions", "Sources", "Data"]
    for sheet in book:
        assert not sheet.merged_cells.ranges, sheet.title
    cover = [r[0] for r in book["Cover"].iter_rows(values_only=True)]
    assert cover[0].startswith("Health statistics for England: Diabetes")
    for needed in ("Source", "Licence and attribution", "How to cite", "Retrieved", "Reopen this selection",
                   "Shorthand"):
        assert needed in cover
    assert "2025-01-31T12:00:05Z" in cover and any(c.startswith("[c] confidential") for c in cover)
    link = cover[cover.index("Reopen this selection") + 1]
    assert link.startswith("http") and "/download?i=diabetes-recorded-prevalence" in link
    assert book["Cover"].cell(cover.index("Reopen this selection") + 2, 1).hyperlink.target == link
    assert "Open Government Licence" in cover[cover.index("Licence and attribution") + 1]
    for name in ("Contents", "Notes", "Definitions", "Sources", "Data"):
        sheet = book[name]
        assert len(sheet.tables) == 1, name
        assert sheet["A1"].value and sheet["A2"].value.startswith("This worksheet contains one table")
        (table,) = sheet.tables.values()
        assert table.ref.startswith("A3:")
    notes = [r[1] for r in book["Notes"].iter_rows(min_row=4, values_only=True)]
    assert any("[c]" in n and "[x]" in n and "[z]" in n for n in notes)


def test_excel_data_matches_the_table_with_no_blank_cells(store):
    frame = dq.table(store, F)
    sheet = _book(store)["Data"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == frame.height
    assert all(cell is not None and cell != "" for row in rows for cell in row)  # markers, never blanks
    header = [c.value for c in sheet[3]]
    assert header[:5] == ["Indicator ID", "Indicator", "Unit", "Area code", "Area name"]
    by_code = {(r[3], r[header.index("Period")]): r for r in rows}
    bradford = by_code[("E38000232", "2019/20")]
    assert bradford[header.index("Value")] == pytest.approx(8.909708, abs=1e-6)
    assert bradford[header.index("Period start")] == dt.datetime(2019, 4, 1)
    assert bradford[header.index("Breakdown")] == "[z]"  # no breakdown: not applicable
    first = frame.row(0, named=True)
    assert rows[0][header.index("Value")] == first["value"]


def test_large_excel_is_written_in_constant_memory_with_filters(store, expected, monkeypatch):
    monkeypatch.setattr(excel, "TABLE_MARKUP_MAX_ROWS", 10)
    sheet = _book(store)["Data"]
    assert not sheet.tables and sheet.auto_filter.ref.startswith("A3:")
    assert sheet.max_row == 3 + expected.height and not sheet.merged_cells.ranges


# --- Fingertips layout ----------------------------------------------------------------------------
def test_fingertips_layout_matches_a_native_export(store, expected):
    data = export.export(store, F, "fingertips", RETRIEVED)
    native = NATIVE.read_bytes()
    assert data.split(b"\r\n", 1)[0] == native.split(b"\r\n", 1)[0]  # the same 26-column header
    assert data.count(b"\r\n") == expected.height + 1 and b"\n" not in data.replace(b"\r\n", b"")
    ours = pl.read_csv(io.BytesIO(data), infer_schema=False)
    theirs = pl.read_csv(native, infer_schema=False)
    assert ours.columns == theirs.columns == [c for c in export.fingertips.COLUMNS]
    row = ours.filter(pl.col("Area Code") == "E38000232", pl.col("Time period") == "2019/20").row(0, named=True)
    assert row["Area Type"] == "CCG" and row["Age"] == "17+ yrs" and row["Sex"] == "Persons"
    assert row["Time period Sortable"] == "20190000" and row["Count"] == "44137"
    assert row["Compared to England value or percentiles"] == "Higher"
    assert row["Parent Code"].startswith("E54") and row["Category Type"] is None
    assert float(row["Value"]) == pytest.approx(8.909708, abs=1e-6)


def test_fingertips_names_as_fingertips_does(store):
    f = dq.Filter(indicators=["campylobacter-rate"], period_from="2015", period_to="2015")
    ours = pl.read_csv(io.BytesIO(export.export(store, f, "fingertips", RETRIEVED)), infer_schema=False)
    theirs = pl.read_csv(NATIVE, infer_schema=False).filter(pl.col("Time period") == "2015")
    assert set(ours["Area Type"]) == set(theirs["Area Type"])  # Country, Region, County & UA
    assert set(ours["Time period Sortable"]) == {"20150000"}
    mine = ours.filter(pl.col("Area Type") == "Region")["Area Name"].to_list()
    assert "North East region" in mine  # Fingertips writes "Yorkshire and the Humber": compare ignoring case
    assert {m.lower() for m in mine} <= {t.lower() for t in theirs["Area Name"]}
    county = ours.filter(pl.col("Area Type") == "County & UA", pl.col("Category").is_null()).row(0, named=True)
    assert county["Parent Name"].endswith(" region")
    deciles = ours.filter(pl.col("Category Type").is_not_null())
    assert set(deciles["Category Type"]) <= set(theirs["Category Type"].drop_nulls())


@pytest.mark.parametrize(("fmt", "period", "sortable"), [("ae-attendances", "Apr 2017", "20170400"),
                                                         ("deaths-weekly-all-causes", "w/e 2010-01-08", "20100108")])
def test_fingertips_sortable_codes_for_months_and_weeks(store, fmt, period, sortable):
    f = dq.Filter(indicators=[fmt], area_type="england" if fmt.startswith("ae") else "country",
                  period_from=period, period_to=period)
    ours = pl.read_csv(io.BytesIO(export.export(store, f, "fingertips", RETRIEVED)), infer_schema=False)
    assert ours.height > 0 and set(ours["Time period Sortable"]) == {sortable}


# --- size guard -------------------------------------------------------------------------------------
def test_page_limit_refuses_with_the_command_line(store):
    with pytest.raises(export.ExportTooLarge, match="python -m explorer export --indicator"):
        export.export(store, F, "csv", RETRIEVED, max_rows=100)
    assert export.export(store, F, "csv", RETRIEVED, max_rows=dq.row_count(store, F))


def test_excel_refuses_more_rows_than_a_worksheet_holds(store, monkeypatch):
    monkeypatch.setattr(export, "EXCEL_ROW_LIMIT", 100)
    with pytest.raises(export.ExportTooLarge, match="do not fit on one Excel worksheet"):
        export.export(store, F, "xlsx", RETRIEVED)


def test_the_whole_store_counts_but_is_refused_on_the_page(store):
    everything = dq.Filter(indicators=store.indicators()["indicator_id"].to_list())
    n = dq.row_count(store, everything)
    assert n == store.all_values().height > dq.PAGE_ROW_LIMIT
    with pytest.raises(export.ExportTooLarge):
        export.export(store, everything, "csv", max_rows=dq.row_limit("csv"))
