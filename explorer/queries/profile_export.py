"""Downloads of the area profile: CSV and Excel tables, PNG and SVG charts. No Streamlit here.

Text cells are neutralised against formula injection (CSV/Excel "DDE" attacks): a cell that
starts with =, +, -, @, a tab or a carriage return could be run as a formula by a spreadsheet, so
CSV text gets a leading apostrophe (OWASP's advice) and Excel cells are written as text with
Excel's "quote prefix" style (shown without the apostrophe, never evaluated). Numbers stay numbers.

Charts: plotly's static export needs kaleido, which drives a Chromium. Kaleido only ever uses
the browser it finds (Debian's /usr/bin/chromium, via BROWSER_PATH); it downloads one only when
asked to with kaleido.get_chrome(), which nothing here calls. When kaleido or Chromium is
missing, `figure_image` raises ExportUnavailable and pages fall back on plotly's own download
button (SVG/PNG drawn in the user's browser).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import threading

import polars as pl

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
CHROMIUM = "/usr/bin/chromium"
LICENCE = ("Contains public sector information licensed under the Open Government Licence v3.0. "
           "House of Commons Library data under the Open Parliament Licence v3.0.")

# column in the profile frame -> heading in the download (order kept)
COLUMNS = {
    "topic": "Topic", "indicator_id": "Indicator id", "title": "Indicator", "breakdown": "Breakdown",
    "area_code": "Area code", "area_name": "Area", "area_type": "Compared across", "period": "Period", "unit": "Unit",
    "value": "Value", "lower_ci95": "Lower 95% CI", "upper_ci95": "Upper 95% CI",
    "lower_ci998": "Lower 99.8% CI", "upper_ci998": "Upper 99.8% CI", "count": "Count",
    "denominator": "Denominator", "status": "Status", "england_value": "England",
    "england_source": "England figure", "parent_code": "Parent area code", "parent_value": "Parent area",
    "benchmark": "Benchmark", "benchmark_value": "Benchmark value", "comparison": "Compared with benchmark",
    "comparison_england": "Compared with England", "comparison_parent": "Compared with parent",
    "trend": "Recent trend", "trend_reason": "Why no trend", "n_areas": "Areas compared",
    "minimum": "Lowest area", "q25": "25th percentile", "q75": "75th percentile", "maximum": "Highest area",
    "peer_n": "Peers with a value", "peer_average": "Peer average", "peer_lower": "Peer average lower 95% CI",
    "peer_upper": "Peer average upper 95% CI", "peer_average_method": "Peer average method",
    "peer_comparison": "Compared with peer average", "peer_rank": "Rank among area and peers",
    "peer_rank_of": "Ranked out of", "funnel_flag": "Funnel plot position (vs England)",
    "polarity": "Polarity", "note": "Note",
}


class ExportUnavailable(RuntimeError):
    """Static chart export cannot run here (kaleido or Chromium missing)."""


def neutralise(text: object) -> object:
    """A text cell made safe to open in a spreadsheet; other values unchanged."""
    if isinstance(text, str) and text.startswith(DANGEROUS_START):
        return "'" + text
    return text


def is_dangerous(text: object) -> bool:
    return isinstance(text, str) and text.startswith(DANGEROUS_START)


def table(frame: pl.DataFrame) -> pl.DataFrame:
    """The profile as published: chosen columns with plain headings, in a stable order."""
    if frame.is_empty():
        return pl.DataFrame({v: [] for v in COLUMNS.values()})
    present = [c for c in COLUMNS if c in frame.columns]
    return frame.select([pl.col(c).alias(COLUMNS[c]) for c in present])


def to_csv(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads accents), text cells neutralised."""
    safe = frame.with_columns(
        pl.col(c).map_elements(neutralise, return_dtype=pl.String)
        for c, dtype in frame.schema.items() if dtype == pl.String)
    return ("\ufeff" + safe.write_csv()).encode("utf-8")


def to_xlsx(frame: pl.DataFrame, about: list[tuple[str, str]], sheet: str = "Profile") -> bytes:
    """An Excel workbook: the table (header row frozen, numbers as numbers, text as text) and an
    "About" sheet with the `about` (label, text) lines, the date made and the licence."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    quoted = book.add_format({"quote_prefix": True})
    ws = book.add_worksheet(sheet[:31])
    for j, name in enumerate(frame.columns):
        ws.write_string(0, j, name, bold)
        ws.set_column(j, j, min(45, max(10, len(name) + 2)))
    for i, row in enumerate(frame.iter_rows(), start=1):
        for j, cell in enumerate(row):
            _write(ws, i, j, cell, quoted)
    ws.freeze_panes(1, 0)
    if frame.height:
        ws.autofilter(0, 0, frame.height, max(frame.width - 1, 0))
    info = book.add_worksheet("About")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 100)
    lines = [*about, ("Made", dt.datetime.now().strftime("%d %B %Y %H:%M")), ("Licence", LICENCE)]
    for i, (label, text) in enumerate(lines):
        info.write_string(i, 0, label, bold)
        _write(info, i, 1, text, quoted)
    book.close()
    return buffer.getvalue()


def _write(ws, i: int, j: int, cell: object, quoted) -> None:
    if cell is None:
        return
    if isinstance(cell, bool):
        ws.write_boolean(i, j, cell)
    elif isinstance(cell, int | float):
        ws.write_number(i, j, cell)
    elif isinstance(cell, dt.date):
        ws.write_string(i, j, cell.isoformat())
    else:
        text = str(cell)
        ws.write_string(i, j, text, quoted if is_dangerous(text) else None)


# --- charts -----------------------------------------------------------------------------------
_server_lock = threading.Lock()
_server_started = False


def static_export_available() -> bool:
    """kaleido importable and a Chromium on this machine (never a downloaded one)."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get("BROWSER_PATH") or os.path.exists(CHROMIUM) or shutil.which("chromium"))


def figure_image(fig, fmt: str, width: int = 1200, height: int | None = None) -> bytes:
    """PNG or SVG bytes of a plotly figure, drawn by kaleido in the local Chromium. The first call
    starts one browser for the process (a few seconds); later calls take a fraction of a second."""
    global _server_started
    if fmt not in ("png", "svg"):
        raise ValueError("fmt must be 'png' or 'svg'")
    if not static_export_available():
        raise ExportUnavailable("static export needs the kaleido package and Debian's chromium")
    import kaleido

    if os.path.exists(CHROMIUM):
        os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    with _server_lock:
        if not _server_started:
            kaleido.start_sync_server(silence_warnings=True)
            _server_started = True
    try:
        return fig.to_image(format=fmt, width=width, height=height or fig.layout.height or 600, scale=1 if
                            fmt == "svg" else 2)
    except Exception as exc:  # kaleido reports a missing or broken browser in several ways
        raise ExportUnavailable(f"the chart could not be drawn for download: {exc}") from exc
