"""NHS England consultant-led referral to treatment (RTT) flows by STP/ICB, April 2020 onwards,
as summed by healthyr from the monthly full CSV files (one row per STP and month).

Quirks handled: the area is an NHS ODS STP code ('QE1'), a third code system, mapped to the July
2022 ICB GSS code (an unmapped code is a reject naming it). `date`, `year` and `month` repeat
one another and must agree. The `incomplete` column is deliberately not loaded: healthyr double
counts pathways with a decision to admit (see the YAML).
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
COUNTS = {"completed": "rtt-completed-pathways", "new": "rtt-new-pathways"}
COLUMNS = ["stp20_nhs_code", "date", "year", "month", *COUNTS, "incomplete"]


def run(ctx: StepContext) -> None:
    icb_by_ods = codes.icb_gss_by_ods()
    for path in ctx.files():
        frame = readers.read_csv(path, required=COLUMNS)
        raw_columns = frame.columns
        frame = periods.parse_column(frame, "date", "month").with_columns(
            pl.col("stp20_nhs_code").str.strip_chars()
            .replace_strict(icb_by_ods, default=None).alias("area_code"))
        start = pl.col("period_start")
        same_month = (pl.col("year").str.strip_chars() == start.dt.year().cast(pl.String)) & (
            pl.col("month").str.strip_chars().str.to_lowercase()
            == start.dt.strftime("%b").str.to_lowercase())
        reason = (
            pl.when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
            .when(pl.col("area_code").is_null())
            .then(pl.format("STP code {} has no July 2022 ICB with the same ODS code",
                            pl.col("stp20_nhs_code").fill_null("(blank)")))
            .when(~same_month.fill_null(False)).then(pl.lit("date, year and month disagree"))
            .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in COUNTS]))
            .then(pl.lit("a count holds text that is not a number"))
            .when(pl.any_horizontal([readers.number(pl.col(c)) < 0 for c in COUNTS]))
            .then(pl.lit("negative count"))
            .when(pl.len().over("stp20_nhs_code", "period") > 1)
            .then(pl.lit("duplicate row for this STP and month"))
        )
        frame = frame.with_columns(reason.alias("_reason"))
        rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                        pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        values = pl.concat([
            good.select(
                "_row", pl.lit(indicator).alias("indicator_id"), "area_code",
                pl.lit("icb").alias("area_type"), "period", "period_start", "period_end",
                "period_type", readers.number(pl.col(column)).alias("value"),
                readers.marker_status(pl.col(column)).alias("status"),
                readers.marker_note(pl.col(column)).alias("note"),
                pl.col("stp20_nhs_code").alias("original_area_code"),
                pl.col("date").alias("original_period"))
            for column, indicator in COUNTS.items()
        ])
        ctx.record(path, values, rejects, rows_read=frame.height)
