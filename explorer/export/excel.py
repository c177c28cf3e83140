"""Excel workbook following the Analysis Function guidance "Releasing statistics in spreadsheets".

Sheets: Cover (title, what it holds, source, licence, citation, retrieval time, a link back to
the selection, shorthand), Contents, Notes, Definitions, Sources and Data. Every sheet after the
cover holds one table with its title in A1 and one line about it in A2; no merged cells, no
blank rows inside tables, no blank cells: missing numbers carry [c], [x] or [z], explained on
the cover and in the notes. Text is always written with write_string (strings_to_formulas off
too), so a name such as '=HYPERLINK(...)' stays text and never runs; numbers stay numbers.

Small workbooks mark each table up as an Excel table (what screen readers announce); large ones
are written in xlsxwriter's constant-memory mode, which cannot hold Excel tables, so their data
get a header row with filters instead and memory stays flat whatever the size.
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import xlsxwriter

from explorer.export.metadata import MARKERS
from explorer.queries import download as dq

TABLE_MARKUP_MAX_ROWS = 10_000  # beyond this xlsxwriter's in-memory mode costs >50 MB
DATE_FORMAT = "yyyy-mm-dd"
NUMERIC_NA_MARKER = "[x]"
NOT_APPLICABLE = "[z]"
# Text columns where an empty cell means "none" rather than "not available".
EMPTY_MEANS_NONE = {"category", "note", "original_area_code", "original_period", "source_title", "release",
                    "ci_method"}
EXCEL_URL_LIMIT = 2079  # Excel's longest hyperlink
NOTE_REFS = {"status": 2, "compared_with_england": 3, "england_value": 3, "count": 4}


def _notes(meta: dict) -> list[tuple[str, str]]:
    markers = "; ".join(f"{k} {v}" for k, v in MARKERS.items())
    notes = [
        ("note 1", f"Shorthand used in place of numbers: {markers}."),
        ("note 2", dq.COLUMN_DESCRIPTIONS["status"]),
        ("note 3", meta.get("comparison_method") or "Comparison with England was not requested."),
        ("note 4", meta["disclosure_control"]["rule"]),
        ("note 5", "Confidence intervals are as published where the producer gave them; otherwise the "
                   "explorer computed them (Wilson for proportions, Byar or exact Poisson for rates), "
                   "as recorded in the interval method column when it is included."),
        ("note 6", "Dates are written as YYYY-MM-DD. Financial years run from 1 April to 31 March."),
        ("note 7", f"Reopen this selection: {meta['link']}"),
    ]
    return notes


class _Book:
    def __init__(self, n_rows: int):
        self.buffer = io.BytesIO()
        self.markup = n_rows <= TABLE_MARKUP_MAX_ROWS
        self.book = xlsxwriter.Workbook(self.buffer, {
            "constant_memory": not self.markup, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "in_memory": True})
        self.book.set_properties({"title": "Health statistics for England: data download",
                                  "author": "Health statistics explorer for England",
                                  "created": dt.datetime(2000, 1, 1)})  # fixed: reproducible files
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.heading = self.book.add_format({"bold": True, "font_size": 12})
        self.bold = self.book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.date = self.book.add_format({"num_format": DATE_FORMAT})
        self.link = self.book.add_format({"font_color": "#005EB8", "underline": 1})
        self.tables = 0

    def table_sheet(self, name: str, title: str, about: str, header: list[str], rows, widths: list[int],
                    writers) -> None:
        """A sheet holding one table: title in A1, one line in A2, header in row 3."""
        sheet = self.book.add_worksheet(name)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width, self.wrap if width >= 40 else None)
        sheet.write_string(0, 0, title, self.title)
        sheet.write_string(1, 0, about)
        n = 0
        if not self.markup:
            for col, label in enumerate(header):
                sheet.write_string(2, col, label, self.bold)
        for n, row in enumerate(rows, start=1):
            for col, (write, value) in enumerate(zip(writers, row, strict=True)):
                write(sheet, 2 + n, col, value)
        last = 2 + max(n, 1)
        if n == 0:  # a table needs a body row; say so rather than leave it blank
            sheet.write_string(3, 0, "No rows matched this selection.")
        if self.markup:
            self.tables += 1
            sheet.add_table(2, 0, last, len(header) - 1, {
                "name": f"table_{name.lower()}", "style": "Table Style Light 1",
                "columns": [{"header": h, "header_format": self.bold} for h in header]})
        else:
            sheet.autofilter(2, 0, last, len(header) - 1)
        sheet.freeze_panes(3, 0)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _text(marker: str = NUMERIC_NA_MARKER):
    def write(sheet, row, col, value):
        sheet.write_string(row, col, marker if value is None or value == "" else str(value))
    return write


def _date(book: _Book):
    def write(sheet, row, col, value):
        if value is None:
            sheet.write_string(row, col, NUMERIC_NA_MARKER)
        else:
            sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), book.date)
    return write


def _number():
    def write(sheet, row, col, value):
        if isinstance(value, str):  # a marker chosen per row
            sheet.write_string(row, col, value)
        elif value is None or value != value:
            sheet.write_string(row, col, NUMERIC_NA_MARKER)
        else:
            sheet.write_number(row, col, value)
    return write


def _with_markers(frame: pl.DataFrame) -> pl.DataFrame:
    """Numbers withheld for disclosure become [c]; England compared with itself becomes [z]."""
    suppressed = pl.col("status") == "suppressed"
    england = pl.col("area_type") == "england"
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            marker = (pl.when(pl.col(name).is_null() & suppressed).then(pl.lit("[c]"))
                      .when(pl.col(name).is_null() & england & pl.lit(name == "england_value"))
                      .then(pl.lit(NOT_APPLICABLE)))
            exprs.append(marker.otherwise(None).alias(f"__marker_{name}"))
    if "compared_with_england" in frame.columns:
        exprs.append(pl.when(england).then(pl.lit(NOT_APPLICABLE)).otherwise(pl.col("compared_with_england"))
                     .alias("compared_with_england"))
    return frame.with_columns(exprs)


def _data_rows(frame: pl.DataFrame):
    marked = _with_markers(frame)
    floats = {c for c, t in frame.schema.items() if t.is_float()}
    columns = frame.columns
    marker_cols = [f"__marker_{c}" if c in floats else None for c in columns]
    source = marked.select(*columns, *[m for m in marker_cols if m])
    width = len(columns)
    for row in source.iter_rows():
        values = list(row[:width])
        extra = iter(row[width:])
        for i, m in enumerate(marker_cols):
            if m:
                marker = next(extra)
                if marker is not None:
                    values[i] = marker
        yield values


def workbook(frame: pl.DataFrame, meta: dict) -> bytes:
    """The xlsx bytes for a tidy download table and its metadata."""
    book = _Book(frame.height)
    _cover(book, meta)
    contents = [("Cover", "About this workbook, source, licence and how to cite it"),
                ("Contents", "This list of worksheets"), ("Notes", "Notes and shorthand used in the tables"),
                ("Definitions", "Definitions of the indicators"), ("Sources", "Producers and source datasets"),
                ("Data", f"The data: {frame.height:,} rows")]
    book.table_sheet("Contents", "Contents", "This worksheet contains one table.", ["Sheet name", "Contents"],
                     contents, [16, 70], [_text(), _text()])
    book.table_sheet("Notes", "Notes", "This worksheet contains one table. Note numbers are referred to in "
                     "column headings of the Data worksheet.", ["Note number", "Note text"], _notes(meta),
                     [14, 110], [_text(), _text()])
    fields = [("indicator_id", "Indicator ID", 30), ("title", "Indicator", 40), ("definition", "Definition", 70),
              ("unit", "Unit", 12), ("value_type", "Value type", 18), ("polarity", "Polarity", 14),
              ("method", "Method", 60), ("caveats", "Caveats", 60), ("fingertips_id", "Fingertips ID", 14),
              ("licence", "Licence", 30)]
    book.table_sheet("Definitions", "Definitions of the indicators", "This worksheet contains one table. "
                     "[z] means the catalogue has no entry for that field.", [h for _, h, _ in fields],
                     [[i.get(k) for k, _, _ in fields] for i in meta["indicators"]], [w for _, _, w in fields],
                     [_text(NOT_APPLICABLE)] * len(fields))
    src_fields = [("producer", "Producer", 30), ("source_id", "Source ID", 26), ("title", "Title", 70),
                  ("latest_release_date", "Latest release date", 18), ("licence", "Licence", 30)]
    book.table_sheet("Sources", "Producers and source datasets", "This worksheet contains one table. "
                     "[x] means the release date is not recorded.", [h for _, h, _ in src_fields],
                     [[s.get(k) for k, _, _ in src_fields] for s in meta["sources"]], [w for _, _, w in src_fields],
                     [_text()] * len(src_fields))
    header, writers, widths = [], [], []
    for name, dtype in frame.schema.items():
        label = dq.COLUMN_LABELS.get(name, name)
        header.append(f"{label} [note {NOTE_REFS[name]}]" if name in NOTE_REFS else label)
        if dtype == pl.Date:
            writers.append(_date(book))
            widths.append(12)
        elif dtype.is_numeric():
            writers.append(_number())
            widths.append(14)
        else:
            writers.append(_text(NOT_APPLICABLE if name in EMPTY_MEANS_NONE else NUMERIC_NA_MARKER))
            widths.append(40 if name in ("indicator", "area_name", "note", "source_title") else 16)
    book.table_sheet("Data", f"Data: {frame.height:,} rows", "This worksheet contains one table. Shorthand: "
                     + "; ".join(f"{k} {v.split(':')[0]}" for k, v in MARKERS.items())
                     + " (see the Notes worksheet).", header, _data_rows(frame), widths, writers)
    return book.close()


def _cover(book: _Book, meta: dict) -> None:
    sheet = book.book.add_worksheet("Cover")
    sheet.set_column(0, 0, 120, book.wrap)
    titles = [i["title"] for i in meta["indicators"]]
    lines: list[tuple[str, object]] = [
        ("title", "Health statistics for England: " + ("; ".join(titles[:3]) + (" and more" if len(titles) > 3
                                                                                else ""))),
        ("text", f"This workbook holds {meta['rows']:,} rows selected in the Health statistics explorer for "
                 "England, with the definitions of the indicators, their sources and notes."),
        ("heading", "Source"),
        *[("text", f"{s['producer']}: {s['title']}") for s in meta["sources"]],
        ("heading", "Licence and attribution"), ("text", meta["attribution"]),
        ("heading", "How to cite"), ("text", meta["citation"]),
        ("heading", "Retrieved"), ("text", meta["retrieved"]),
        ("heading", "Reopen this selection"), ("url", meta["link"]),
        ("heading", "The same file from the command line"), ("text", meta["command"]),
        ("heading", "Shorthand"), *[("text", f"{k} {v}") for k, v in MARKERS.items()],
        ("heading", "Contents"), ("text", "Contents, Notes, Definitions, Sources and Data worksheets follow."),
    ]
    styles = {"title": book.title, "heading": book.heading, "text": book.wrap}
    for row, (kind, value) in enumerate(lines):
        if kind == "url" and len(str(value)) <= EXCEL_URL_LIMIT:
            sheet.write_url(row, 0, str(value), book.link, string=str(value))
        else:  # a link too long for Excel to hold as a hyperlink stays readable text
            sheet.write_string(row, 0, str(value), styles.get(kind, book.wrap))
