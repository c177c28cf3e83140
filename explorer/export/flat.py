"""Tidy CSV, the CSV + metadata zip, JSON and Parquet.

CSV: UTF-8 without a byte-order mark, one header row, one row per value, ISO dates, counts
written as whole numbers. Text cells that a spreadsheet would run as a formula (starting with
= + - @, a tab or a carriage return) are prefixed with a single quote, as OWASP advises; numbers
are never touched, so a negative value stays a number. JSON and Parquet keep text exactly as
held: they are read by programs, not spreadsheets.
"""

from __future__ import annotations

import io
import json
import zipfile

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"
WHOLE_NUMBER_COLUMNS = ("count", "denominator", "Count", "Denominator")


def neutralise_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix a single quote to text cells a spreadsheet would treat as a formula."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c))
        .alias(c) for c in text)


def whole_numbers_as_integers(frame: pl.DataFrame, columns=WHOLE_NUMBER_COLUMNS) -> pl.DataFrame:
    """Counts are stored as floats (some producers publish fractions); write 44137, not 44137.0."""
    exprs = []
    for c in columns:
        if c in frame.columns and frame.schema[c].is_float():
            x = pl.col(c)
            exprs.append(pl.when(x.is_finite() & (x == x.round(0)) & (x.abs() < 2**53))
                         .then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.cast(pl.String)).alias(c))
    return frame.with_columns(exprs) if exprs else frame


def _clean_floats(frame: pl.DataFrame) -> pl.DataFrame:
    """NaN is not a number anyone published: write it as empty/null."""
    return frame.with_columns(pl.col(c).fill_nan(None) for c, t in frame.schema.items() if t.is_float())


def csv_bytes(frame: pl.DataFrame, line_terminator: str = "\n") -> bytes:
    safe = whole_numbers_as_integers(neutralise_text(_clean_floats(frame)))
    return safe.write_csv(line_terminator=line_terminator, date_format="%Y-%m-%d").encode("utf-8")


def json_bytes(frame: pl.DataFrame, meta: dict) -> bytes:
    """{"metadata": {...}, "data": [{column: value, ...}, ...]} in UTF-8."""
    data = _clean_floats(frame).write_json()
    head = json.dumps(meta, ensure_ascii=False, indent=1, default=str)
    return ('{"metadata": ' + head + ',\n"data": ' + data + "}\n").encode("utf-8")


def metadata_bytes(meta: dict) -> bytes:
    return (json.dumps(meta, ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")


def parquet_bytes(frame: pl.DataFrame, meta: dict) -> bytes:
    """Typed columns as held; the metadata travels in the file's key-value metadata
    (key "explorer.metadata", JSON), readable with pyarrow.parquet.read_metadata."""
    buffer = io.BytesIO()
    _clean_floats(frame).write_parquet(buffer, metadata={"explorer.metadata": metadata_bytes(meta).decode()})
    return buffer.getvalue()


def zip_bytes(frame: pl.DataFrame, meta: dict, readme: str) -> bytes:
    """data.csv + metadata.json + README.txt; entry times are the retrieval time so the same
    download is the same bytes."""
    stamp = meta["retrieved"]
    when = (int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]), int(stamp[14:16]),
            int(stamp[17:19]) // 2 * 2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in (("data.csv", csv_bytes(frame)), ("metadata.json", metadata_bytes(meta)),
                              ("README.txt", readme.encode("utf-8"))):
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()
