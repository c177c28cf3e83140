"""Downloads and the data API: the same filtered rows in the format people use.

    from explorer.store import Store
    from explorer.export import Filter, export, table, write

    store = Store.open()
    f = Filter(indicators=["diabetes-recorded-prevalence"], area_type="ccg",
               period_from="2019/20", period_to="2019/20")
    frame = table(store, f)                      # a Polars frame of exactly those rows
    data = export(store, f, "xlsx")             # bytes of the file the download page gives
    write(store, f, "csv", "diabetes.csv")      # file (plus diabetes.csv.metadata.json)

Formats (FORMATS): zip (data.csv + metadata.json + README.txt), csv (tidy table only; its
metadata is a separate file), xlsx, json, parquet and fingertips (Fingertips' native CSV layout).
Every format is built from `explorer.queries.download` (same rows, same disclosure control as the
page), and given the same `retrieved` time the bytes are identical wherever they are made.
No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from explorer.export import excel, fingertips, flat, metadata
from explorer.queries.download import (
    COLUMN_GROUPS,
    EXCEL_ROW_LIMIT,
    Filter,
    cli_command,
    row_count,
    row_limit,
    rows,
    size_problem,
    table,
    tidy,
)
from explorer.store import Store


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    extension: str
    mime: str
    sidecar: bool  # the file holds no metadata: offer metadata.json beside it


FORMATS = {
    "zip": Format("zip", "CSV with metadata (zip)", "zip", "application/zip", False),
    "csv": Format("csv", "CSV (table only)", "csv", "text/csv", True),
    "xlsx": Format("xlsx", "Excel", "xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    "json": Format("json", "JSON", "json", "application/json", False),
    "parquet": Format("parquet", "Parquet", "parquet", "application/vnd.apache.parquet", False),
    "fingertips": Format("fingertips", "Fingertips-style CSV", "csv", "text/csv", True),
}


class ExportTooLarge(ValueError):
    """The request is beyond what the format (or the page) can hold; the message says what to do."""


def file_name(f: Filter, fmt: str) -> str:
    stem = f.indicators[0] if len(f.indicators) == 1 else f"{len(f.indicators)}-indicators"
    suffix = "-fingertips" if fmt == "fingertips" else ""
    return f"{stem}{'-' + f.area_type if f.area_type else ''}{suffix}.{FORMATS[fmt].extension}"


def export_metadata(store: Store, f: Filter, fmt: str, retrieved: dt.datetime | None = None,
                    base_url: str | None = None) -> dict:
    columns = fingertips.COLUMNS if fmt == "fingertips" else None
    return metadata.build(store, f, rows(store, f), fmt, metadata.retrieval_time(retrieved), base_url, columns)


def export(store: Store, f: Filter, fmt: str, retrieved: dt.datetime | None = None,
           base_url: str | None = None, max_rows: int | None = None) -> bytes:
    """The file's bytes. `max_rows` (the page passes its limit) refuses larger selections with
    ExportTooLarge rather than building them; Excel is always limited to one worksheet."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    selected = rows(store, f)
    if max_rows is not None and selected.height > max_rows:
        raise ExportTooLarge(size_problem(selected.height, fmt, f, max_rows))
    if fmt == "xlsx" and selected.height > EXCEL_ROW_LIMIT:
        raise ExportTooLarge(f"{selected.height:,} rows do not fit on one Excel worksheet "
                             f"({EXCEL_ROW_LIMIT:,} at most): use --format csv or parquet.")
    if fmt == "fingertips":
        return fingertips.csv(store, f)
    frame = tidy(store, selected, f)
    meta = export_metadata(store, f, fmt, retrieved, base_url)
    if fmt == "csv":
        return flat.csv_bytes(frame)
    if fmt == "zip":
        return flat.zip_bytes(frame, meta, metadata.readme(meta))
    if fmt == "json":
        return flat.json_bytes(frame, meta)
    if fmt == "parquet":
        return flat.parquet_bytes(frame, meta)
    return excel.workbook(frame, meta)


def metadata_file(store: Store, f: Filter, fmt: str, retrieved: dt.datetime | None = None,
                  base_url: str | None = None) -> bytes:
    """metadata.json for formats that cannot hold it (csv, fingertips)."""
    return flat.metadata_bytes(export_metadata(store, f, fmt, retrieved, base_url))


def write(store: Store, f: Filter, fmt: str, path: str | Path, retrieved: dt.datetime | None = None,
          base_url: str | None = None, sidecar: bool = True) -> list[Path]:
    """Write the file (atomically: a half-written file never appears under its name) and, for
    csv/fingertips, `<path>.metadata.json` beside it. Returns the paths written."""
    moment = metadata.retrieval_time(retrieved)
    target = Path(path)
    outputs = [(target, export(store, f, fmt, moment, base_url))]
    if sidecar and FORMATS[fmt].sidecar:
        outputs.append((target.with_name(target.name + ".metadata.json"),
                        metadata_file(store, f, fmt, moment, base_url)))
    for out, content in outputs:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a download is for sharing
        os.replace(tmp, out)
    return [p for p, _ in outputs]


def read_csv(path_or_bytes) -> pl.DataFrame:
    """Read a tidy CSV download back with the store's types (what the round-trip test does)."""
    from explorer.schema import VALUE_SCHEMA

    source = path_or_bytes if not isinstance(path_or_bytes, bytes) else __import__("io").BytesIO(path_or_bytes)
    overrides = {c: t for c, t in VALUE_SCHEMA.items()}
    overrides.update({"england_value": pl.Float64, "compared_with_england": pl.String, "indicator": pl.String,
                      "unit": pl.String, "area_name": pl.String, "source_title": pl.String})
    return pl.read_csv(source, schema_overrides=overrides, infer_schema=False)


__all__ = ["COLUMN_GROUPS", "FORMATS", "ExportTooLarge", "Filter", "cli_command", "export", "export_metadata",
           "file_name", "metadata_file", "read_csv", "row_count", "row_limit", "rows", "table", "write"]
