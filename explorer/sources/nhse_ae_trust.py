"""NHS England monthly A&E attendances, four-hour breaches and admissions via A&E by provider,
April 2016 to March 2019 (NHSRdatasets `ae_attendances`, one row per provider, month and
department type).

Providers are organisations, not areas: values use area_type "trust" with the ODS code as
area_code (there is no GSS code for a trust). Per provider and month an "All types" total is
summed over department types. England totals are sums over all providers in the file, for months
the YAML judges complete. The four-hour percentage is computed from the counts.
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography.codes import ENGLAND
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
COLUMNS = ["period", "org_code", "type", "attendances", "breaches", "admissions"]
# File column → catalogue indicator (counts published as they are).
COUNTS = {"attendances": "ae-attendances", "breaches": "ae-four-hour-breaches",
          "admissions": "ae-emergency-admissions"}
WITHIN = "ae-within-four-hours"
KEY = ["period", "period_start", "period_end", "period_type", "original_period"]


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        # The file's `period` column would collide with the parsed house label: rename it.
        frame = readers.read_csv(path, required=COLUMNS).rename({"period": "month"})
        rows_read = frame.height
        frame, rejects = _screen(frame)
        by_type = frame.select(
            "_row", *KEY[:-1], pl.col("month").alias("original_period"),
            pl.col("org_code").str.strip_chars().alias("area_code"),
            pl.col("type").str.strip_chars().str.to_lowercase()
            .replace_strict(META["department_types"]).alias("category"),
            *[readers.number(pl.col(c)).alias(c) for c in COUNTS],
            pl.lit(None, dtype=pl.String).alias("note"),
        )
        totals = _sum(by_type, ["area_code"], META["all_types_label"], "sum of department types")
        providers = pl.concat([by_type, totals], how="diagonal_relaxed").with_columns(
            pl.lit("trust").alias("area_type"), pl.col("area_code").alias("original_area_code"))
        england = _england(by_type)
        values = pl.concat([_long(providers), _long(england)], how="diagonal_relaxed")
        ctx.record(path, values, rejects, rows_read=rows_read)


def _screen(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse periods and split rows into those we can load and rejects with a reason (the
    reject keeps the row's own cells only)."""
    raw_columns = frame.columns
    frame = periods.parse_column(frame, "month", "month")
    known_type = pl.col("type").str.strip_chars().str.to_lowercase().is_in(
        list(META["department_types"])).fill_null(False)
    bad_number = pl.any_horizontal([readers.bad_number(pl.col(c)) for c in COUNTS])
    att, br = readers.number(pl.col("attendances")), readers.number(pl.col("breaches"))
    duplicate = pl.len().over("month", "org_code", "type") > 1
    reason = (
        pl.when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(pl.col("org_code").str.strip_chars().fill_null("") == "")
        .then(pl.lit("provider code (org_code) is blank"))
        .when(~known_type).then(pl.format("unknown department type {}", pl.col("type").fill_null("(blank)")))
        .when(bad_number).then(pl.lit("a count column holds text that is not a number"))
        .when((att < 0) | (br < 0) | (readers.number(pl.col("admissions")) < 0))
        .then(pl.lit("negative count"))
        .when(br > att).then(pl.lit("four-hour breaches exceed attendances"))
        .when(duplicate).then(pl.lit("duplicate row for this provider, month and department type"))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                    pl.col("_reason").is_not_null(), pl.col("_reason"))
    return frame.filter(pl.col("_reason").is_null()).drop("_reason"), rejects


def _sum(frame: pl.DataFrame, by: list[str], category: str, note: str) -> pl.DataFrame:
    """Totals over department types (or providers). A total with any blank part stays blank;
    `_row` is the first contributing raw row, already loaded through its own values."""
    complete = pl.all_horizontal([pl.col(c).is_not_null().all() for c in COUNTS])
    return frame.group_by([*KEY, *by]).agg(
        pl.col("_row").min(),
        *[pl.when(complete).then(pl.col(c).sum()).alias(c) for c in COUNTS],
    ).with_columns(pl.lit(category).alias("category"), pl.lit(note).alias("note"))


def _england(by_type: pl.DataFrame) -> pl.DataFrame:
    """England per month, by department type and all types, summed over providers; only for
    months with enough providers to be a complete national count."""
    providers = by_type.group_by("period").agg(pl.col("area_code").n_unique().alias("_n"))
    complete = providers.filter(pl.col("_n") >= META["england_min_providers"])["period"]
    frame = by_type.filter(pl.col("period").is_in(complete.implode()))
    note = "sum of providers in this file"
    per_type = frame.group_by([*KEY, "category"]).agg(
        pl.col("_row").min(), *[pl.col(c).sum() for c in COUNTS])
    all_types = _sum(frame, [], META["all_types_label"], note)
    return pl.concat([per_type.with_columns(pl.lit(note).alias("note")), all_types],
                     how="diagonal_relaxed").with_columns(
        pl.lit(ENGLAND).alias("area_code"), pl.lit("england").alias("area_type"),
        pl.lit(None, dtype=pl.String).alias("original_area_code"))


def _long(frame: pl.DataFrame) -> pl.DataFrame:
    """One value row per indicator: the three counts as published and the four-hour percentage
    computed from attendances and breaches."""
    common = ["_row", *KEY, "area_code", "area_type", "original_area_code", "category"]
    counts = [
        frame.select(*common, pl.lit(indicator).alias("indicator_id"), pl.col(column).alias("value"),
                     _status(pl.col(column)), pl.col("note"))
        for column, indicator in COUNTS.items()
    ]
    att, br = pl.col("attendances"), pl.col("breaches")
    usable = att.is_not_null() & br.is_not_null() & (att > 0)
    within = frame.select(
        *common, pl.lit(WITHIN).alias("indicator_id"),
        pl.when(usable).then((att - br) / att * 100).alias("value"),
        pl.when(usable).then(att - br).alias("count"),
        pl.when(usable).then(att).alias("denominator"),
        pl.when(usable).then(pl.lit("published")).otherwise(pl.lit("missing")).alias("status"),
        pl.when(usable).then(pl.col("note"))
        .when(att == 0).then(pl.lit("no attendances this month"))
        .otherwise(pl.lit("attendances or breaches not available")).alias("note"),
    )
    return pl.concat([*counts, within], how="diagonal_relaxed")


def _status(value: pl.Expr) -> pl.Expr:
    return pl.when(value.is_null()).then(pl.lit("missing")).otherwise(pl.lit("published")).alias(
        "status")
