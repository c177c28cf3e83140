"""The native Fingertips CSV layout, so scripts written against Fingertips exports keep working.

Laid out as data/raw/ohid_fingertips_native/indicators-CountyUA.data.csv: the same 26 columns in
the same order, CRLF line ends, unquoted header, Fingertips' area-type names ("County & UA",
"District & UA", "Region", England as "Country"), region names ending in "region", ages such as
"18+ yrs", counts as whole numbers, comparisons capitalised ("Similar", "Worse", "Not compared")
and "Time period Sortable" as Fingertips codes it: the start year × 10000 (20150000 for 2015 or
2015/16), plus month × 100 for monthly data. Weekly data (which Fingertips does not publish)
add the week-ending day, so weeks sort in order too.

Indicator ID is the Fingertips indicator number where the explorer knows it, else the explorer's
id. Recent trend, comparison with the region, "New data" and "Compared to goal" are not computed
here: they are written as Fingertips writes them when it has none ("Not compared" or empty).
"""

from __future__ import annotations

import polars as pl

from explorer.export.flat import csv_bytes
from explorer.queries import download as dq
from explorer.store import Store

COLUMNS = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name",
           "Area Type", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
           "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
           "Count", "Denominator", "Value note", "Recent Trend", "Compared to England value or percentiles",
           "Compared to Region value or percentiles", "Time period Sortable", "New data", "Compared to goal"]
AREA_TYPE_NAMES = {
    "england": "Country", "country": "Country", "region": "Region", "utla": "County & UA",
    "ltla": "District & UA", "combined_authority": "Combined authority", "nhs_region": "NHS region",
    "icb": "ICB", "sub_icb": "Sub-ICB", "ccg": "CCG", "trust": "NHS trust",
}
# Which parent Fingertips shows for each area type (column of areas.parquet, or England).
PARENT = {"region": "england", "nhs_region": "england", "utla": "parent_region", "ltla": "parent_region",
          "combined_authority": "parent_region", "icb": "parent_nhs_region", "sub_icb": "parent_icb",
          "ccg": "parent_icb"}
ENGLAND_CODE = "E92000001"
ALL_COLUMN_GROUPS = tuple(dq.COLUMN_GROUPS)


def _region_name(name: pl.Expr, area_type: pl.Expr) -> pl.Expr:
    """Fingertips names regions 'North East region'."""
    return (pl.when((area_type == "region") & ~name.str.ends_with("region"))
            .then(name + pl.lit(" region")).otherwise(name))


def _age(age: pl.Expr) -> pl.Expr:
    return pl.when(age.str.contains(r"^[<\d]")).then(age + pl.lit(" yrs")).otherwise(age)


def _time_period(label: pl.Expr, period_type: pl.Expr) -> pl.Expr:
    """Pooled years '2016-18' → '2016 - 18' as Fingertips writes them."""
    return (pl.when(period_type == "multi_year").then(label.str.replace(r"^(\d{4})-(\d{2})$", "$1 - $2"))
            .otherwise(label))


def _sortable(start: pl.Expr, end: pl.Expr, period_type: pl.Expr) -> pl.Expr:
    year = start.dt.year().cast(pl.Int64) * 10000
    return (pl.when(period_type == "month").then(year + start.dt.month().cast(pl.Int64) * 100)
            .when(period_type == "week")
            .then(end.dt.year().cast(pl.Int64) * 10000 + end.dt.month().cast(pl.Int64) * 100
                  + end.dt.day().cast(pl.Int64))
            .otherwise(year).cast(pl.String))


def _parents(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    lookup = dq.area_lookup(store)
    names = lookup.group_by("area_code", maintain_order=True).agg(
        pl.col("area_name").last().alias("_parent_name"), pl.col("area_type").last().alias("_parent_type"))
    parent_cols = [c for c in set(PARENT.values()) if c in lookup.columns]
    out = frame.join(lookup.select("area_code", "area_type", *parent_cols), on=["area_code", "area_type"],
                     how="left", maintain_order="left")
    code = pl.lit(None, pl.String)
    for area_type, column in PARENT.items():
        source = pl.lit(ENGLAND_CODE) if column == "england" else (
            pl.col(column) if column in out.columns else pl.lit(None, pl.String))
        code = pl.when(pl.col("area_type") == area_type).then(source).otherwise(code)
    out = out.with_columns(code.alias("_parent_code")).join(
        names, left_on="_parent_code", right_on="area_code", how="left", maintain_order="left")
    return out.with_columns(_region_name(pl.col("_parent_name"), pl.col("_parent_type")).alias("_parent_name"))


def table(store: Store, f: dq.Filter, limit: int | None = None) -> pl.DataFrame:
    """The filter's rows in the Fingertips layout (every column, whatever the column choice);
    the first `limit` rows for a preview."""
    full = dq.Filter(**{**f.__dict__, "columns": ALL_COLUMN_GROUPS})
    selected = dq.rows(store, full)
    if limit is not None:
        selected = selected.head(limit)
    rows = dq.tidy(store, selected, full).with_columns(selected["period_type"])
    catalogue = store.indicators().select("indicator_id", pl.col("fingertips_id").alias("_ft_id"))
    rows = _parents(store, rows.join(catalogue, on="indicator_id", how="left", maintain_order="left"))
    has_type = pl.col("category").str.contains(": ", literal=True)
    compared = pl.col("compared_with_england")
    return rows.select(
        pl.coalesce("_ft_id", "indicator_id").alias("Indicator ID"),
        pl.col("indicator").alias("Indicator Name"),
        pl.col("_parent_code").alias("Parent Code"),
        pl.col("_parent_name").alias("Parent Name"),
        pl.col("area_code").alias("Area Code"),
        _region_name(pl.col("area_name"), pl.col("area_type")).alias("Area Name"),
        pl.col("area_type").replace_strict(AREA_TYPE_NAMES, default=pl.col("area_type")).alias("Area Type"),
        pl.col("sex").alias("Sex"),
        _age(pl.col("age")).alias("Age"),
        pl.when(has_type).then(pl.col("category").str.split(": ").list.first())
        .when(pl.col("category").is_not_null()).then(pl.lit("Breakdown")).alias("Category Type"),
        pl.when(has_type).then(pl.col("category").str.splitn(": ", 2).struct.field("field_1"))
        .otherwise(pl.col("category")).alias("Category"),
        _time_period(pl.col("period"), pl.col("period_type")).alias("Time period"),
        pl.col("value").alias("Value"),
        pl.col("lower_ci95").alias("Lower CI 95.0 limit"),
        pl.col("upper_ci95").alias("Upper CI 95.0 limit"),
        pl.col("lower_ci998").alias("Lower CI 99.8 limit"),
        pl.col("upper_ci998").alias("Upper CI 99.8 limit"),
        pl.col("count").alias("Count"),
        pl.col("denominator").alias("Denominator"),
        pl.col("note").alias("Value note"),
        pl.lit(None, pl.String).alias("Recent Trend"),
        pl.when(compared.is_null()).then(pl.lit("Not compared"))
        .otherwise(compared.str.slice(0, 1).str.to_uppercase() + compared.str.slice(1))
        .alias("Compared to England value or percentiles"),
        pl.lit("Not compared").alias("Compared to Region value or percentiles"),
        _sortable(pl.col("period_start"), pl.col("period_end"), pl.col("period_type")).alias("Time period Sortable"),
        pl.lit(None, pl.String).alias("New data"),
        pl.lit(None, pl.String).alias("Compared to goal"),
    )


def csv(store: Store, f: dq.Filter) -> bytes:
    return csv_bytes(table(store, f), line_terminator="\r\n")
