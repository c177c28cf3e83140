"""OHID Fingertips native CSV export (26 columns), as downloaded from the Fingertips site.

Quirks handled: the indicator name holds a line break inside quotes; 99.8% limits are blank;
deprivation-decile rows sit among area rows (kept as categories of England); combined areas
(Isles of Scilly, City of London) have no value but a value note, kept as status missing.
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
COLUMNS = ["Indicator ID", "Area Code", "Area Type", "Sex", "Age", "Category Type", "Category",
           "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
           "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note",
           "Time period Sortable"]
NUMBERS = {"Value": "value", "Lower CI 95.0 limit": "lower_ci95", "Upper CI 95.0 limit": "upper_ci95",
           "Lower CI 99.8 limit": "lower_ci998", "Upper CI 99.8 limit": "upper_ci998",
           "Count": "count", "Denominator": "denominator"}


def run(ctx: StepContext) -> None:
    from explorer.geography import areas  # heavy imports: only when the step runs

    known = list(areas.known_codes("local"))
    for path in ctx.files():
        frame = readers.read_csv(path, required=COLUMNS)
        frame = periods.parse_column(frame, "Time period Sortable", "fingertips_sortable")
        indicator = pl.col("Indicator ID").replace_strict(META["indicator_ids"], default=None)
        area_type = pl.col("Area Type").replace_strict(META["area_types"], default=None)
        bad = [readers.bad_number(pl.col(c)) for c in NUMBERS]
        reason = (
            pl.when(indicator.is_null()).then(pl.lit("unknown Fingertips indicator ID"))
            .when(area_type.is_null()).then(pl.lit("unknown Fingertips area type"))
            .when(~pl.col("Area Code").is_in(known).fill_null(False))
            .then(pl.format("unknown area code '{}' (not in the ONS lookups)",
                            pl.col("Area Code").fill_null("")))
            .when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
            .when(pl.any_horizontal(bad)).then(pl.lit("a numeric column holds text"))
        )
        frame = frame.with_columns(reason.alias("_reason"))
        rejects = readers.rejects_where(frame, pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        category = pl.when(pl.col("Category").is_not_null()).then(
            pl.concat_str([pl.col("Category Type"), pl.col("Category")], separator=": "))
        values = good.select(
            "_row",
            indicator.alias("indicator_id"),
            pl.col("Area Code").alias("area_code"),
            area_type.alias("area_type"),
            "period", "period_start", "period_end", "period_type",
            pl.col("Sex").alias("sex"),
            pl.col("Age").str.replace(" yrs", "").alias("age"),
            category.alias("category"),
            *[readers.number(pl.col(src)).alias(dst) for src, dst in NUMBERS.items()],
            pl.when(readers.number(pl.col("Value")).is_null()).then(pl.lit("missing"))
            .otherwise(pl.lit("published")).alias("status"),
            pl.col("Value note").alias("note"),
            pl.when(pl.col("Lower CI 95.0 limit").is_not_null()).then(pl.lit("as published"))
            .alias("ci_method"),
            pl.col("Area Code").alias("original_area_code"),
            pl.col("Time period").alias("original_period"),
        )
        ctx.record(path, values, rejects, rows_read=frame.height)
