"""NHS England monthly A&E figures by integrated care board (ICB), April 2022 onwards, as
extracted by healthyr from the "System Level Data" sheet (one row per ICB and month, counts plus
rounded fractions).

Quirks handled: percentages are fractions rounded to 2 places, so the four-hour percentage is
recomputed from the counts (rows whose fraction contradicts the counts are rejected as shifted
columns). Some months are exact copies of an earlier month for every ICB (healthyr attached the
wrong workbook), so they are rejected rather than stored under the wrong month. ICBs with trusts
that were field-testing new standards undercount breaches until May 2023, so their four-hour
percentage is left blank for those months (see the YAML).
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
COUNTS = {
    "total_attendances": "ae-attendances",
    "attendances_over_4hours": "ae-four-hour-breaches",
    "total_emergency_admissions": "emergency-admissions",
    "emergency_admissions_over_4hours": "ae-trolley-waits-over-four-hours",
}
FRACTION = "pct_attendance_over_4hours"
COLUMNS = ["icb22_code", *COUNTS, FRACTION, "pct_emergency_admissions_over_4hours", "date"]
# Indicators broken down by A&E department type in the provider file: here always all types.
BY_TYPE = {"ae-attendances", "ae-four-hour-breaches"}
FIELD_TEST_NOTE = ("incomplete: trust(s) in this ICB field-testing new A&E standards did not "
                   "report four-hour breaches")


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        frame = readers.read_csv(path, required=COLUMNS)
        rows_read = frame.height
        frame, rejects = _screen(frame)
        values = _values(frame)
        ctx.record(path, values, rejects, rows_read=rows_read)


def _screen(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw_columns = frame.columns
    frame = periods.parse_column(frame, "date", "month")
    known_icb = set(codes.icb_codes()["gss_code"])
    number = {c: readers.number(pl.col(c)) for c in [*COUNTS, FRACTION]}
    att, br = number["total_attendances"], number["attendances_over_4hours"]
    computed = (br / att).round(2)
    reason = (
        pl.when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(~pl.col("icb22_code").is_in(list(known_icb)).fill_null(False))
        .then(pl.format("unknown ICB code {} (not in the July 2022 ICB list)",
                        pl.col("icb22_code").fill_null("(blank)")))
        .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in number]))
        .then(pl.lit("a numeric column holds text that is not a number"))
        .when(pl.any_horizontal([e < 0 for e in number.values()])).then(pl.lit("negative count"))
        .when(br > att).then(pl.lit("attendances over four hours exceed attendances"))
        .when(((computed - number[FRACTION]).abs() > META["fraction_tolerance"]).fill_null(False))
        .then(pl.format("published fraction {} disagrees with the counts ({}): columns shifted?",
                        pl.col(FRACTION), computed))
        .when(pl.len().over("icb22_code", "period") > 1)
        .then(pl.lit("duplicate row for this ICB and month"))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    frame = frame.with_columns(_copied_month(frame).alias("_copy")).with_columns(
        pl.coalesce("_reason", "_copy").alias("_reason"))
    rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                    pl.col("_reason").is_not_null(), pl.col("_reason"))
    return frame.filter(pl.col("_reason").is_null()), rejects


def _copied_month(frame: pl.DataFrame) -> pl.Expr:
    """A reason for every row of a month whose figures are, ICB for ICB, identical to an earlier
    month's: real monthly counts for 42 ICBs never repeat exactly, so the later month is a copy."""
    cells = pl.concat_str([pl.col(c) for c in ["icb22_code", *COUNTS]], separator="|")
    months = (frame.filter(pl.col("period_start").is_not_null())
              .group_by("period_start", "period")
              .agg(cells.sort().str.join(";").hash().alias("_h"), pl.len().alias("_n"))
              .sort("period_start")
              .with_columns(pl.col("period").first().over("_h").alias("_first"),
                            pl.col("period_start").rank("ordinal").over("_h").alias("_rank")))
    copies = months.filter((pl.col("_rank") > 1) & (pl.col("_n") > 1))
    table = dict(zip(copies["period"], copies["_first"], strict=True))
    return pl.col("period").replace_strict(
        {p: f"every ICB's figures are identical to {first}: a copy, not {p}'s data"
         for p, first in table.items()}, default=None, return_dtype=pl.String)


def _values(frame: pl.DataFrame) -> pl.DataFrame:
    test = META["four_hour_not_reported"]
    last = periods.parse(str(test["last_month"]), "month").start
    field_test = pl.col("icb22_code").is_in(test["icbs"]) & (pl.col("period_start") <= last)
    common = [
        "_row", "period", "period_start", "period_end", "period_type",
        pl.col("icb22_code").alias("area_code"), pl.lit("icb").alias("area_type"),
        pl.col("icb22_code").alias("original_area_code"), pl.col("date").alias("original_period"),
    ]
    parts = []
    for column, indicator in COUNTS.items():
        note = (pl.when(field_test).then(pl.lit(FIELD_TEST_NOTE))
                if indicator == "ae-four-hour-breaches" else pl.lit(None, dtype=pl.String))
        category = META["all_types_label"] if indicator in BY_TYPE else None
        parts.append(frame.select(
            *common, pl.lit(indicator).alias("indicator_id"),
            pl.lit(category, dtype=pl.String).alias("category"),
            readers.number(pl.col(column)).alias("value"),
            readers.marker_status(pl.col(column)).alias("status"),
            pl.coalesce(readers.marker_note(pl.col(column)), note).alias("note")))
    att = readers.number(pl.col("total_attendances"))
    within = att - readers.number(pl.col("attendances_over_4hours"))
    keep = (~field_test & (att > 0) & within.is_not_null()).fill_null(False)
    parts.append(frame.select(
        *common, pl.lit("ae-within-four-hours").alias("indicator_id"),
        pl.lit(META["all_types_label"]).alias("category"),
        pl.when(keep).then(within / att * 100).alias("value"),
        pl.when(keep).then(within).alias("count"), pl.when(keep).then(att).alias("denominator"),
        pl.when(keep).then(pl.lit("published")).otherwise(pl.lit("missing")).alias("status"),
        pl.when(field_test).then(pl.lit(FIELD_TEST_NOTE + "; percentage not shown"))
        .when(within.is_null()).then(pl.lit("attendances or breaches not available"))
        .when(~keep).then(pl.lit("no attendances this month")).alias("note")))
    return pl.concat(parts, how="diagonal_relaxed")
