"""Office for Local Government (Oflog) adult social care metrics by council with adult social
services responsibilities (upper-tier authorities), one row per council, measure and year.

Quirks handled: `Financial year` is '2016-17'; blank `Value` cells (with blank MADs/rank_order)
are values not available, kept as status missing; `MEDIAN`, `MADs_from_median` and `rank_order`
are Oflog's own derived comparisons and are not stored (the store recomputes comparisons); only
`Grouping` values listed in the YAML (LA_Raw) are councils' own figures. A measure listed under
`zero_means_missing` stores an exact 0 as missing (see the YAML for why). Rows repeating an
earlier (measure, council, year) are rejected as duplicates.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from explorer import periods
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
REQUIRED = ["Financial year", "Local authority code", "Local authority name", "Grouping", "Code",
            "Measure", "Value"]
# Councils with adult social services responsibilities: unitaries, metropolitan districts,
# London boroughs (and the City) and counties.
UTLA_CODE = r"^E(06|08|09|10)\d{6}$"
ZERO_NOTE = "Oflog's file gives 0, a placeholder for no survey result; not a score"


def duplicate_reason(keys: list[str], ok: pl.Expr) -> pl.Expr:
    """'duplicate of row N' for every `ok` row after the first `ok` row with the same keys."""
    first = pl.when(ok).then(pl.col("_row")).min().over(keys)
    return pl.when(ok & (pl.col("_row") != first)).then(pl.format("duplicate of row {}", first))


def read(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The Oflog CSV → (values with `_row`, rejects, rows read)."""
    frame = readers.read_csv(path, required=REQUIRED)
    # Not "_raw": periods.parse_column uses (and drops) a column of that name.
    frame = frame.with_columns(readers.raw_text(frame).alias("_raw_cells"))
    frame = periods.parse_column(frame, "Financial year", "financial_year")
    indicator = pl.col("Code").replace_strict(META["measure_codes"], default=None,
                                              return_dtype=pl.String)
    code = pl.col("Local authority code").str.strip_chars()
    problem = (
        pl.when(indicator.is_null()).then(pl.format("unknown Oflog measure code '{}'", pl.col("Code")))
        .when(~pl.col("Grouping").is_in(META["groupings"]).fill_null(False))
        .then(pl.format("grouping '{}' is not a council's own value", pl.col("Grouping")))
        .when(~code.str.contains(UTLA_CODE).fill_null(False))
        .then(pl.format("'{}' is not an upper-tier council GSS code", code))
        .when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(readers.bad_number(pl.col("Value")))
        .then(pl.format("value '{}' is neither a number nor a missing-value marker",
                        pl.col("Value")))
    )
    frame = frame.with_columns(problem.alias("_reason"), indicator.alias("_indicator"),
                               code.alias("_code"))
    keys = ["_indicator", "_code", "period"]
    frame = frame.with_columns(pl.coalesce(
        pl.col("_reason"), duplicate_reason(keys, pl.col("_reason").is_null())).alias("_reason"))
    rejects = frame.filter(pl.col("_reason").is_not_null()).select(
        pl.col("_row").alias("row_number"), pl.col("_reason").alias("reason"),
        pl.col("_raw_cells").alias("raw"))
    good = frame.filter(pl.col("_reason").is_null())

    number = readers.number(pl.col("Value"))
    placeholder = pl.col("Code").is_in(META.get("zero_means_missing") or []) & (number == 0)
    values = good.select(
        "_row",
        pl.col("_indicator").alias("indicator_id"),
        pl.col("_code").alias("area_code"),
        pl.lit("utla").alias("area_type"),
        "period", "period_start", "period_end", "period_type",
        pl.when(placeholder).then(None).otherwise(number).alias("value"),
        pl.when(placeholder).then(pl.lit("missing"))
        .otherwise(readers.marker_status(pl.col("Value"))).alias("status"),
        pl.when(placeholder).then(pl.lit(ZERO_NOTE))
        .otherwise(readers.marker_note(pl.col("Value"))).alias("note"),
        pl.col("_code").alias("original_area_code"),
        pl.col("Financial year").alias("original_period"),
    )
    return values, rejects, frame.height


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        values, rejects, rows_read = read(path)
        ctx.record(path, values, rejects, rows_read=rows_read)
