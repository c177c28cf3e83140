"""Reading producers' files as published: CSV with BOMs, latin-1 and preamble lines; Excel
sheets whose header row moves; numbers with thousands separators and shorthand markers.

Everything is read as text first so that no cell is lost to type inference; numbers are parsed
afterwards with `number`, and cells that are neither a number nor a known marker are reported by
`bad_number` so the step can reject the row with a reason.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import lru_cache
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from explorer.sources.base import SourceError

# Producers' shorthand for a missing value → (store status, note). GSS "Releasing statistics in
# spreadsheets" markers are kept in the note so downloads can show them.
MARKERS: dict[str, tuple[str, str]] = {
    "z": ("missing", "[z] not applicable"),
    "[z]": ("missing", "[z] not applicable"),
    "x": ("missing", "[x] not available"),
    "[x]": ("missing", "[x] not available"),
    "*": ("suppressed", "[c] suppressed by the producer (small numbers)"),
    "c": ("suppressed", "[c] suppressed by the producer (small numbers)"),
    "[c]": ("suppressed", "[c] suppressed by the producer (small numbers)"),
    "..": ("missing", "[x] not available"),
    ":": ("missing", "[x] not available"),
    "-": ("missing", "[x] not available"),
    "n/a": ("missing", "[z] not applicable"),
    "na": ("missing", "[x] not available"),
    "": ("missing", "[x] not available"),
}


def decode(path: Path) -> str:
    """Text of a file: UTF-8 (BOM stripped) or, failing that, latin-1 (cp1252)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def read_csv(path: Path, skip_lines: int = 0, has_header: bool = True,
             required: list[str] | None = None) -> pl.DataFrame:
    """All cells as strings plus `_row`, the 1-based line number of the row in the file (the
    header line included), valid for files without quoted line breaks inside data rows.

    `skip_lines` drops preamble lines above the header (e.g. ONS notes). `required` names columns
    that must be present; a file without them stops the build with a clear error.
    """
    text = decode(path)
    lines = text.splitlines(keepends=True)
    body = "".join(lines[skip_lines:])
    try:
        frame = pl.read_csv(io.StringIO(body), infer_schema=False, has_header=has_header)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise SourceError(path, f"not a readable CSV: {str(exc).splitlines()[0]}") from exc
    frame = frame.rename({c: c.strip() for c in frame.columns})
    if required:
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise SourceError(path, f"missing column(s) {missing}; found {frame.columns}",
                              row=skip_lines + 1)
    first = skip_lines + (2 if has_header else 1)
    return frame.with_row_index("_row", offset=first).with_columns(pl.col("_row").cast(pl.Int64))


@lru_cache(maxsize=4)
def _workbook(path: str, mtime: float) -> CalamineWorkbook:
    return CalamineWorkbook.from_path(path)


def workbook(path: Path) -> CalamineWorkbook:
    """An open workbook, reused while the file is unchanged (a step reads many sheets)."""
    try:
        return _workbook(str(path), Path(path).stat().st_mtime)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise SourceError(path, f"not a readable Excel workbook: {exc}") from exc


def sheet_names(path: Path) -> list[str]:
    return workbook(path).sheet_names


def _cell_text(value: object) -> str | None:
    """A cell as text, losing no precision: 8.6090411062893 stays so (a float is written with
    repr, whole numbers without '.0'), empty cells become None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_sheet_raw(path: Path, sheet: str) -> pl.DataFrame:
    """A sheet as a grid of strings, columns c0…cN, plus `_row` (the Excel row number).

    Read with calamine's native cell values rather than a typed reader so numbers keep their
    full stored precision and nothing is lost to type inference."""
    try:
        rows = workbook(path).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(path, f"cannot read sheet: {exc}", sheet=sheet) from exc
    width = max((len(r) for r in rows), default=0)
    columns = {f"c{i}": [_cell_text(r[i]) if i < len(r) else None for r in rows] for i in range(width)}
    grid = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    return grid.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


def find_header_row(grid: pl.DataFrame, must_contain: list[str], path: Path, sheet: str) -> int:
    """Index (0-based, in `grid`) of the first row whose cells include every label in
    `must_contain` (case-insensitive substring match), for workbooks whose header moves."""
    wanted = [w.lower() for w in must_contain]
    cells = [c for c in grid.columns if c != "_row"]
    for i, row in enumerate(grid.select(cells).iter_rows()):
        texts = [str(v).lower() for v in row if v is not None]
        if all(any(w in t for t in texts) for w in wanted):
            return i
    raise SourceError(path, f"no header row containing {must_contain}", sheet=sheet)


def clean_label(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip() if text is not None else ""


def is_marker(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_lowercase().is_in(list(MARKERS)) | expr.is_null()


def number(expr: pl.Expr) -> pl.Expr:
    """Text → Float64: strips spaces, thousands separators, '%' and '£'; markers → null."""
    cleaned = expr.str.strip_chars().str.replace_all(r"[,£%\s]", "")
    parsed = cleaned.cast(pl.Float64, strict=False)
    # 'NaN', 'inf' and overflowing exponents ('1e999') parse as floats but are not figures:
    # null here, so `bad_number` rejects the row with its reason instead of storing them.
    return pl.when(parsed.is_finite()).then(parsed)


def bad_number(expr: pl.Expr) -> pl.Expr:
    """True where a cell holds text that is neither a number nor a known marker."""
    return ~is_marker(expr) & number(expr).is_null()


def marker_status(expr: pl.Expr) -> pl.Expr:
    """'published' for a number, else the marker's status (missing/suppressed)."""
    key = expr.str.strip_chars().str.to_lowercase().fill_null("")
    mapping = {k: v[0] for k, v in MARKERS.items()}
    return pl.when(number(expr).is_not_null()).then(pl.lit("published")).otherwise(
        key.replace_strict(mapping, default="missing"))


def marker_note(expr: pl.Expr) -> pl.Expr:
    key = expr.str.strip_chars().str.to_lowercase().fill_null("")
    mapping = {k: v[1] for k, v in MARKERS.items()}
    return pl.when(number(expr).is_not_null()).then(pl.lit(None, dtype=pl.String)).otherwise(
        key.replace_strict(mapping, default=None, return_dtype=pl.String))


def raw_text(frame: pl.DataFrame, exclude: tuple[str, ...] = ("_row",)) -> pl.Expr:
    """One string per row holding every cell, so a rejected row keeps all it had."""
    cols = [c for c in frame.columns if c not in exclude and not c.startswith("_")]
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in cols], separator=" | ")


def rejects_where(frame: pl.DataFrame, condition: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    """The rows matching `condition` in the reject layout (row_number, reason, raw)."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.filter(condition).select(
        pl.col("_row").alias("row_number"), reason_expr.cast(pl.String).alias("reason"),
        raw_text(frame).alias("raw"))
