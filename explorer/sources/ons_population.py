"""ONS mid-year population estimates: local authorities by single year of age (mid-2019 and
mid-2020, upper and lower tier) and CCGs (April 2021) in broad age bands.

Quirks handled: the mid-year and tier are only in the file name and code column name
('ons_mye_population19_ltla19.csv', 'ltla19_code'); numbers are written as floats ('530094.0');
England and Wales are mixed (Welsh rows are rejected); the CCG file has a UTF-8 BOM and no
mid-year (the best-supported year comes from the YAML, with the doubt in each value's note).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from explorer import periods
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)
MYE_NAME = re.compile(r"ons_mye_population(\d{2})_(ltla|utla)(\d{2})\.csv$")
CCG_NAME = "ons_ccg21_population_estimates_age_bands.csv"
OLDEST = "90+"  # the open-ended last single-year column
TOTAL = "population-total"
SHARE_65 = "population-65-plus-share"


def period_columns(year: int) -> list[pl.Expr]:
    period = periods.mid_year(year)
    return [pl.lit(v).alias(k) for k, v in period.as_dict().items()]


def age_columns(frame: pl.DataFrame, path: Path) -> dict[str, int]:
    """Single-year columns '0' … '89' plus '90+' → the age they start at; all must be there."""
    ages = {c: int(c.rstrip("+")) for c in frame.columns if re.fullmatch(r"\d+\+?", c)}
    expected = {str(a) for a in range(90)} | {OLDEST}
    if set(ages) != expected:
        missing = sorted(expected - set(ages), key=lambda c: int(c.rstrip("+")))
        raise SourceError(path, f"single-year-of-age columns not 0 … 89 and 90+; missing {missing[:5]}",
                          row=1)
    return ages


def band_sum(ages: dict[str, int], first: int, last: int | None) -> pl.Expr:
    """Sum of the (already parsed, `_n`-prefixed) single years in the band; null when any of them
    is blank or a marker, so the band is reported missing rather than too small."""
    cols = [pl.col(f"_n{c}") for c, a in ages.items() if a >= first and (last is None or a <= last)]
    return pl.when(pl.any_horizontal([c.is_null() for c in cols])).then(None).otherwise(
        pl.sum_horizontal(cols))


def mye_file(ctx: StepContext, path: Path, match: re.Match) -> None:
    year, tier = 2000 + int(match.group(1)), match.group(2)
    code_col = f"{tier}{match.group(3)}_code"
    frame = readers.read_csv(path, required=[code_col, "total_population"])
    raw_columns = frame.columns  # what a rejected row shows: the file's own cells
    ages = age_columns(frame, path)
    # Parse every number once; `_n<column>` holds the float (null for blanks and markers).
    frame = frame.with_columns(readers.number(pl.col(c)).alias(f"_n{c}") for c in ["total_population", *ages])
    code = pl.col(code_col).fill_null("")
    name_col = f"{tier}{match.group(3)}_name"
    name = pl.col(name_col).fill_null("") if name_col in frame.columns else pl.lit("")
    all_years = band_sum(ages, 0, None)
    reason = (
        pl.when(~code.str.starts_with("E"))
        .then(pl.format("outside England: {} ({})", code, name))
        .when(~code.str.contains(ctx.meta["tier_code_patterns"][tier]))
        .then(pl.format("code '{}' is not a {} code", code, pl.lit(tier)))
        .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in ["total_population", *ages]]))
        .then(pl.lit("a population cell holds text that is not a number"))
        .when((all_years - pl.col("_ntotal_population")).abs() > 0.5)
        .then(pl.format("single years of age add to {}, not total_population {}", all_years,
                        pl.col("total_population")))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"), pl.col("_reason").is_not_null(),
                                    pl.col("_reason"))
    good = frame.filter(pl.col("_reason").is_null())
    bands = {label: band_sum(ages, first, last) for label, (first, last) in ctx.meta["age_bands"].items()}
    wide = good.select(
        "_row", pl.col(code_col).alias("area_code"),
        pl.col("_ntotal_population").alias("All ages"),
        *[expr.alias(label) for label, expr in bands.items()])
    totals = wide.unpivot(index=["_row", "area_code"], variable_name="age", value_name="value")
    totals = totals.with_columns(pl.lit(TOTAL).alias("indicator_id"))
    share = wide.select(
        "_row", "area_code", pl.lit(SHARE_65).alias("indicator_id"), pl.lit("All ages").alias("age"),
        (pl.col("65+") / pl.col("All ages") * 100).alias("value"),
        pl.col("65+").alias("count"), pl.col("All ages").alias("denominator"))
    values = pl.concat([totals, share], how="diagonal").with_columns(
        pl.lit(tier).alias("area_type"), *period_columns(year),
        pl.when(pl.col("value").is_null()).then(pl.lit("missing")).otherwise(pl.lit("published"))
        .alias("status"),
        pl.col("area_code").alias("original_area_code"),
        pl.lit(str(year)).alias("original_period"))
    ctx.record(path, values, rejects, rows_read=frame.height)


def ccg_file(ctx: StepContext, path: Path) -> None:
    band_cols = ctx.meta["ccg_bands"]
    frame = readers.read_csv(path, required=["CCG Code", *band_cols])
    code = pl.col("CCG Code").fill_null("")
    reason = (
        pl.when(~code.str.contains(r"^E38\d{6}$"))
        .then(pl.format("code '{}' is not an English CCG (E38) code", code))
        .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in band_cols]))
        .then(pl.lit("a population cell holds text that is not a number"))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    rejects = readers.rejects_where(frame, pl.col("_reason").is_not_null(), pl.col("_reason"))
    good = frame.filter(pl.col("_reason").is_null())
    values = good.select(
        "_row", pl.col("CCG Code").alias("area_code"),
        *[readers.number(pl.col(src)).alias(label) for src, label in band_cols.items()],
    ).unpivot(index=["_row", "area_code"], variable_name="age", value_name="value").with_columns(
        pl.lit(TOTAL).alias("indicator_id"), pl.lit("ccg").alias("area_type"),
        *period_columns(int(ctx.meta["ccg_mid_year"])),
        pl.when(pl.col("value").is_null()).then(pl.lit("missing")).otherwise(pl.lit("published"))
        .alias("status"),
        pl.lit(" ".join(ctx.meta["ccg_note"].split())).alias("note"),
        pl.col("area_code").alias("original_area_code"))
    ctx.record(path, values, rejects, rows_read=frame.height)


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        match = MYE_NAME.search(path.name)
        if match:
            mye_file(ctx, path, match)
        elif path.name == CCG_NAME:
            ccg_file(ctx, path)
        else:
            raise SourceError(path, "file name is neither ons_mye_population<YY>_<ltla|utla><YY>.csv "
                              f"nor {CCG_NAME}")
