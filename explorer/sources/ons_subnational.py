"""ONS Subnational indicators explorer (Levelling Up metrics), machine-readable download.

Quirks handled: latin-1 text ('£' as 0xA3) with preamble lines above the header (found by
looking for the 'AREACD,' line rather than trusting a fixed count); one long file mixing 36
indicators and twenty geography levels; period codes collapsed to digits ('201820' = 2018-20,
'202021' = 2020/21); thousands separators ('1,335') and blank values. Only the health and
wellbeing indicators are loaded; every other row is rejected with its reason so the row
accounting still adds up.
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)
COLUMNS = ["AREACD", "AREANM", "Geography", "Indicator", "Period", "Value"]
HEADER_SEARCH_LINES = 20


def header_line(path) -> int:
    """0-based index of the header line: ONS puts a note (and a blank line) above it."""
    for i, line in enumerate(readers.decode(path).splitlines()[:HEADER_SEARCH_LINES]):
        if line.lstrip().startswith("AREACD,"):
            return i
    raise SourceError(path, f"no header line starting 'AREACD,' in the first {HEADER_SEARCH_LINES} lines")


def indicator_table(meta: dict) -> pl.DataFrame:
    """The YAML's file-indicator map as a join table (Indicator → indicator_id, sex, age)."""
    rows = [{"Indicator": name, "indicator_id": spec["id"], "sex": spec.get("sex", "Persons"),
             "age": spec.get("age", "All ages")} for name, spec in meta["file_indicators"].items()]
    return pl.DataFrame(rows, schema={"Indicator": pl.String, "indicator_id": pl.String,
                                      "sex": pl.String, "age": pl.String})


def area_type_expr(meta: dict) -> pl.Expr:
    """Country rows split into England and other countries by code; other levels from the YAML."""
    country = pl.when(pl.col("AREACD") == codes.ENGLAND).then(pl.lit("england")).otherwise(
        pl.lit("country"))
    level = pl.col("Geography").replace_strict(meta["geography_area_types"], default=None,
                                               return_dtype=pl.String)
    return pl.when(pl.col("Geography") == "Country").then(country).otherwise(level)


def reject_reason(meta: dict, known: list[str]) -> pl.Expr:
    """Why a row is not loaded (null when it is), in the order the checks matter."""
    # Blank cells become text so a reason is never null (a null reason would load the row).
    code, level = pl.col("AREACD").fill_null(""), pl.col("Geography").fill_null("")
    name, indicator = pl.col("AREANM").fill_null("").str.strip_chars(), pl.col("Indicator").fill_null("")
    pattern = pl.col("_area_type").replace_strict(meta["area_code_patterns"], default="^$",
                                                  return_dtype=pl.String)
    return (
        pl.when(pl.col("indicator_id").is_null())
        .then(pl.format("out of scope: not a health indicator ({})", indicator))
        .when(level.is_in(meta["levels_not_held"]))
        .then(pl.format("geography level not held: {}", level))
        .when((level != "Country") & ~code.str.starts_with("E"))
        .then(pl.format("outside England: {} ({}, {})", name, code, level))
        .when(pl.col("_area_type").is_null())
        .then(pl.format("geography level not held: {}", level))
        .when(~code.str.contains(pattern))
        .then(pl.format("area code '{}' is not a valid {} code", code, pl.col("_area_type")))
        .when(~code.is_in(known))
        .then(pl.format("unknown area code '{}' (not in the ONS lookups)", code))
        .when(pl.col("period_error").is_not_null())
        .then(pl.format("bad period: {}", pl.col("period_error")))
        .when(readers.bad_number(pl.col("Value")))
        .then(pl.format("value is not a number: '{}'", pl.col("Value")))
    )


def run(ctx: StepContext) -> None:
    from explorer.geography import areas  # heavy imports: only when the step runs

    known = list(areas.known_codes("local"))
    for path in ctx.files():
        frame = readers.read_csv(path, skip_lines=header_line(path), required=COLUMNS)
        raw_columns = frame.columns  # what a rejected row shows: the file's own cells
        frame = periods.parse_column(frame, "Period", "compact")
        frame = frame.join(indicator_table(ctx.meta), on="Indicator", how="left")
        frame = frame.with_columns(area_type_expr(ctx.meta).alias("_area_type"))
        frame = frame.with_columns(reject_reason(ctx.meta, known).alias("_reason"))
        rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                        pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        values = good.select(
            "_row", "indicator_id",
            pl.col("AREACD").alias("area_code"),
            pl.col("_area_type").alias("area_type"),
            "period", "period_start", "period_end", "period_type", "sex", "age",
            readers.number(pl.col("Value")).alias("value"),
            readers.marker_status(pl.col("Value")).alias("status"),
            readers.marker_note(pl.col("Value")).alias("note"),
            pl.col("AREACD").alias("original_area_code"),
            pl.col("Period").alias("original_period"),
        )
        ctx.record(path, values, rejects, rows_read=frame.height)
