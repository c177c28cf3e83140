"""MHCLG English Indices of Deprivation: clinical commissioning group (CCG) summary workbooks
(IoD2015 and IoD2019), one sheet per domain.

Every sheet has one header row ('Clinical Commissioning Group Code (2019)', '… - Average score',
…) followed by one row per CCG with GSS E38 codes. Column sets drift between editions (2019 adds
'scale' columns, renames 'IMD - Extent' to 'IMD 2019 - Extent'), so columns are found by the text
after the last ' - ' in their header, as listed in the YAML `sheets`. The edition year comes from
the code column's header ('(2019)'); values are stored for calendar year 2019 (or 2015) with
original_period 'IoD2019'. Fractions (income, employment, IDACI, IDAOPI scores and the share of
LSOAs in the most deprived 10%) are stored as percentages.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from explorer import periods
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)
CODE_HEADER = "Clinical Commissioning Group Code"
CCG_CODE = r"^E38\d{6}$"
# Catalogue unit "%" ← the workbook's fractions.
SCALE = {ind["id"]: (100.0 if ind["unit"] == "%" else 1.0) for ind in META["indicators"]}


def column_key(label: object) -> str:
    """'IMD - Rank of average score' → 'rank of average score' (text after the last ' - ')."""
    return readers.clean_label(label).rsplit(" - ", 1)[-1].strip().lower()


def edition_year(label: str, path: Path, sheet: str) -> int:
    """The IoD edition from the code column's header: 'Clinical … Code (2019)' → 2019."""
    m = re.search(r"\((\d{4})\)", label)
    if not m:
        raise SourceError(path, f"code column header {label!r} names no edition year", sheet=sheet)
    return int(m.group(1))


def _known_ccgs() -> list[str]:
    from explorer.geography import areas  # heavy imports: only when the step runs

    return list(areas.known_codes("ccg"))


def read_sheet(path: Path, sheet: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """One sheet → (values with `_row`, rejects, rows read)."""
    grid = readers.read_sheet_raw(path, sheet)
    header_at = readers.find_header_row(grid, [CODE_HEADER], path, sheet)
    cells = [c for c in grid.columns if c != "_row"]
    header = dict(zip(cells, grid.select(cells).row(header_at), strict=True))
    header_row = int(grid["_row"][header_at])
    code_col = next(c for c, label in header.items()
                    if label and CODE_HEADER.lower() in readers.clean_label(label).lower())
    year = edition_year(readers.clean_label(header[code_col]), path, sheet)
    # Rows with no cell at all (Excel's trailing formatting) are not data rows.
    body = grid.slice(header_at + 1).filter(pl.any_horizontal(pl.col(cells).is_not_null()))
    body = body.with_columns(readers.raw_text(body).alias("_raw"))

    wanted = META["sheets"].get(sheet)
    if wanted is None:
        rejects = body.select(pl.col("_row").alias("row_number"),
                              pl.lit(f"sheet {sheet!r} is not mapped to an indicator").alias("reason"),
                              pl.col("_raw").alias("raw"))
        return pl.DataFrame(schema={"_row": pl.Int64}), rejects, body.height

    columns: dict[str, str] = {}  # grid column → indicator id
    for key, indicator_id in wanted.items():
        found = [c for c, label in header.items() if label and column_key(label) == key.lower()]
        if not found:
            raise SourceError(path, f"no column headed '… - {key}'", sheet=sheet, row=header_row)
        columns[found[0]] = indicator_id

    code = pl.col(code_col).str.strip_chars()
    known = _known_ccgs()
    bad_cols = [pl.when(readers.bad_number(pl.col(c))).then(pl.lit(readers.clean_label(header[c])))
                for c in columns]
    reason = (
        pl.when(code.is_null()).then(pl.lit("no CCG code"))
        .when(~code.str.contains(CCG_CODE))
        .then(pl.format("'{}' is not a CCG GSS code (E38 + 6 digits)", code))
        .when(~code.is_in(known)).then(pl.format("unknown CCG code '{}' (not in the ONS CCG lookups)", code))
        .otherwise(pl.format("not a number in: {}",
                             pl.concat_str(bad_cols, separator=", ", ignore_nulls=True)))
    )
    has_bad_number = pl.any_horizontal([readers.bad_number(pl.col(c)) for c in columns])
    body = body.with_columns(
        pl.when(code.is_null() | ~code.str.contains(CCG_CODE).fill_null(False)
                | ~code.is_in(known).fill_null(False) | has_bad_number)
        .then(reason).alias("_reason"))
    rejects = body.filter(pl.col("_reason").is_not_null()).select(
        pl.col("_row").alias("row_number"), pl.col("_reason").alias("reason"),
        pl.col("_raw").alias("raw"))
    good = body.filter(pl.col("_reason").is_null())

    period = periods.calendar_year(year).as_dict()
    values = pl.concat([
        good.select(
            "_row",
            pl.lit(indicator_id).alias("indicator_id"),
            code.alias("area_code"),
            pl.lit("ccg").alias("area_type"),
            *[pl.lit(v).alias(k) for k, v in period.items()],
            # Rounded so 0.1443 × 100 is stored as 14.43, not 14.430000000000001.
            (readers.number(pl.col(col)) * SCALE[indicator_id]).round(10).alias("value"),
            readers.marker_status(pl.col(col)).alias("status"),
            readers.marker_note(pl.col(col)).alias("note"),
            code.alias("original_area_code"),
            pl.lit(f"IoD{year}").alias("original_period"),
        )
        for col, indicator_id in columns.items()
    ])
    return values, rejects, body.height


def run(ctx: StepContext) -> None:
    skip = set(META.get("skip_sheets") or [])
    for path in ctx.files():
        for sheet in readers.sheet_names(path):
            if sheet in skip:
                continue
            values, rejects, rows_read = read_sheet(path, sheet)
            ctx.record(path, values, rejects, rows_read=rows_read, sheet=sheet)
