"""Mutating copies of the real raw files for the ingestion fuzz tests, and running a real source
step on them.

A CSV is cut into records (preamble lines kept as they are) so that row-level damage (duplicated
rows, unknown area codes, added, dropped or renamed columns, garbled cells) is applied to real
rows; then byte-level damage (truncation at a random byte, flipped bytes, another encoding) is
applied to the file as written. A workbook sheet is read into a grid with the project's own
reader, damaged the same way (header row removed, columns dropped, rows duplicated …) and written
back with xlsxwriter; a truncated workbook is the real file cut short.
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from explorer import paths
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext

# Codes no area has: wrong pattern, wrong prefix, well-formed but unused, markup, blank.
UNKNOWN_CODES = ["X99999999", "E38999999", "E06999999", "E54999999", "E10999998", "E3800000",
                 "<script>alert(1)</script>", "", "E38000006; DROP TABLE", "e12000001x", "ZZZ"]
GARBAGE = ["", "n/a", "∞", "1e999", "-5", "NaN", "12,,3", "<img src=x onerror=alert(1)>",
           "=HYPERLINK(\"http://x\")", "\u202e123", "ðŸ˜€", "999999999999999999999", "0x1F", " "]
ENCODINGS = ["utf-16", "utf-16-be", "latin-1", "cp1252", "utf-8-sig", "utf-32"]


@dataclass
class CsvDoc:
    preamble: list[str]  # lines above the header, as text
    header: list[str]
    rows: list[list[str]]

    @classmethod
    def read(cls, path: Path, preamble_lines: int = 0, max_rows: int | None = None,
             start: int = 0) -> CsvDoc:
        text = readers.decode(path)
        lines = text.splitlines(keepends=True)
        records = list(csv.reader(io.StringIO("".join(lines[preamble_lines:]))))
        rows = records[1:]
        if max_rows is not None:
            rows = rows[start % max(len(rows), 1):][:max_rows]
        return cls([ln.rstrip("\r\n") for ln in lines[:preamble_lines]], records[0], rows)

    def text(self) -> str:
        out = io.StringIO()
        for line in self.preamble:
            out.write(line + "\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue()


def mutate_records(doc: CsvDoc, ops: list[tuple], code_column: str | None) -> tuple[CsvDoc, set[str]]:
    """Row and column damage. Returns the damaged copy and the unknown codes injected."""
    doc = CsvDoc(list(doc.preamble), list(doc.header), [list(r) for r in doc.rows])
    injected: set[str] = set()
    for op in ops:
        kind, n = op[0], op[1]
        rows = doc.rows
        if kind == "duplicate" and rows:
            i = n % len(rows)
            rows.insert(i + 1, list(rows[i]))
        elif kind == "unknown_code" and rows and code_column in doc.header:
            code = op[2]
            rows[n % len(rows)][doc.header.index(code_column)] = code
            injected.add(code)
        elif kind == "garble_cell" and rows and doc.header:
            row = rows[n % len(rows)]
            if row:
                row[op[2] % len(row)] = op[3]
        elif kind == "add_column":
            doc.header.insert(n % (len(doc.header) + 1), op[2])
            for row in rows:
                row.insert(min(n % (len(doc.header)), len(row)), "extra")
        elif kind == "drop_column" and doc.header:
            j = n % len(doc.header)
            del doc.header[j]
            for row in rows:
                if j < len(row):
                    del row[j]
        elif kind == "rename_column" and doc.header:
            doc.header[n % len(doc.header)] = op[2]
        elif kind == "short_row" and rows:
            row = rows[n % len(rows)]
            del row[len(row) // 2:]
        elif kind == "drop_rows":
            del rows[n % (len(rows) + 1):]
    return doc, injected


def mutate_bytes(data: bytes, text: str, op: tuple | None) -> bytes:
    """Byte-level damage to a file written as UTF-8 (`data`) from `text`."""
    if op is None:
        return data
    kind = op[0]
    if kind == "truncate":
        return data[: int(len(data) * op[1])]
    if kind == "flip":
        out = bytearray(data)
        for position, value in op[1]:
            if out:
                out[position % len(out)] = value
        return bytes(out)
    if kind == "encode":
        return text.encode(op[1], errors="replace")
    if kind == "nul":
        return data.replace(b",", b",\x00", op[1])
    return data


# Excel ------------------------------------------------------------------------------------------

def sheet_grid(path: Path, sheet: str) -> list[list[str | None]]:
    grid = readers.read_sheet_raw(path, sheet)
    return [list(r) for r in grid.drop("_row").rows()]


def mutate_grid(grid: list[list[str | None]], ops: list[tuple], header_index: int,
                code_column: int | None) -> tuple[list[list[str | None]], set[str]]:
    grid = [list(r) for r in grid]
    injected: set[str] = set()
    body = max(len(grid) - header_index - 1, 1)
    for op in ops:
        kind, n = op[0], op[1]
        if kind == "remove_header" and header_index < len(grid):
            del grid[header_index]
        elif kind == "blank_header" and header_index < len(grid):
            grid[header_index] = [None] * len(grid[header_index])
        elif kind == "duplicate":
            i = header_index + 1 + n % body
            if i < len(grid):
                grid.insert(i + 1, list(grid[i]))
        elif kind == "unknown_code" and code_column is not None:
            i = header_index + 1 + n % body
            if i < len(grid) and code_column < len(grid[i]):
                grid[i][code_column] = op[2] or None
                injected.add(op[2])
        elif kind == "garble_cell":
            i = header_index + 1 + n % body
            if i < len(grid) and grid[i]:
                grid[i][op[2] % len(grid[i])] = op[3] or None
        elif kind == "drop_column" and grid and grid[0]:
            j = n % len(grid[0])
            for row in grid:
                if j < len(row):
                    del row[j]
        elif kind == "rename_column" and header_index < len(grid) and grid[header_index]:
            row = grid[header_index]
            row[n % len(row)] = op[2]
        elif kind == "add_column":
            for i, row in enumerate(grid):
                row.insert(n % (len(row) + 1), op[2] if i == header_index else "extra")
        elif kind == "shift_rows":  # the header row moves down (a new note above the table)
            grid[:0] = [[f"note {k}"] for k in range(n % 5 + 1)]
            header_index += n % 5 + 1
        elif kind == "drop_rows":
            del grid[header_index + 1 + n % body:]
    return grid, injected


def write_workbook(path: Path, sheets: dict[str, list[list[str | None]]]) -> None:
    """Cells are written as text, which is what the readers see anyway (they read text first)."""
    book = xlsxwriter.Workbook(str(path))
    for name, grid in sheets.items():
        ws = book.add_worksheet(name)
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                if cell is not None:
                    ws.write_string(i, j, str(cell))
    book.close()


# Running a step ---------------------------------------------------------------------------------

def step_meta(module, files: list[str]) -> dict:
    meta = copy.deepcopy(module.META)
    meta["files"] = files
    return meta


@dataclass
class Outcome:
    error: SourceError | None
    values: pl.DataFrame | None = None
    rejects: pl.DataFrame | None = None
    reports: pl.DataFrame | None = None


def run(module, meta: dict, raw_dir: Path) -> Outcome:
    """Run the step; a SourceError is an accepted outcome, any other exception propagates."""
    ctx = StepContext(meta, raw_dir=raw_dir)
    try:
        module.run(ctx)
    except SourceError as exc:
        return Outcome(exc)
    values, rejects, reports = ctx.result()
    return Outcome(None, values, rejects, reports)


VALUE_KEY = ["indicator_id", "area_type", "area_code", "period", "sex", "age", "category", "release"]


def check(outcome: Outcome, files: list[Path], injected: set[str] = frozenset()) -> None:
    """The fuzz oracle: a clear error naming a file, or complete row accounting with reasons,
    no value for an unknown area code and no key loaded twice."""
    if outcome.error is not None:
        names = {Path(f).name for f in files}
        message = str(outcome.error)
        assert any(message.startswith(n) for n in names), f"error does not name the file: {message}"
        assert outcome.error.problem.strip(), "error without a problem"
        return
    reports = outcome.reports
    assert reports.height >= 1, "no file recorded"
    bad = reports.filter(pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_rejected"))
    assert bad.is_empty(), f"row accounting: {bad.rows()}"
    rejects = outcome.rejects
    assert rejects["reason"].null_count() == 0, "a reject without a reason"
    assert (rejects["reason"].str.strip_chars().str.len_chars() > 0).all(), "a reject with an empty reason"
    for column in ("indicator_id", "area_code", "area_type", "period", "period_start", "status"):
        assert outcome.values[column].null_count() == 0, f"values with a null {column}"
    for column in ("value", "count", "denominator", "lower_ci95", "upper_ci95"):
        finite = outcome.values[column].drop_nulls()
        assert finite.is_finite().all(), f"a non-finite {column} was loaded"
    loaded_unknown = set(outcome.values["area_code"].unique().to_list()) & {c for c in injected}
    assert not loaded_unknown, f"unknown area codes loaded: {loaded_unknown}"
    dupes = outcome.values.group_by(VALUE_KEY).len().filter(pl.col("len") > 1)
    assert dupes.is_empty(), f"a key loaded twice: {dupes.head(3).rows()}"


def raw(relative: str) -> Path:
    return paths.RAW_DIR / relative
