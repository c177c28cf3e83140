"""NHSBSA monthly primary-care prescribing of five oral anticoagulants by sub-ICB location, as
served by OpenPrescribing and packaged by NICE (one row per month, sub-ICB and chemical: items,
quantity, actual cost, registered list size).

Quirks handled: ISO first-of-month dates; a chemical with nothing dispensed has no row (so the
all-anticoagulant total sums what is present); list size repeats on every chemical's row and
must agree. `quantity` (tablets and other units, not comparable between medicines) is not
loaded. Totals and the DOAC share are sums over a month's rows, so `record` is told which raw
rows fed them.
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
NUMBERS = ["items", "quantity", "actual_cost", "total_list_size"]
COLUMNS = ["date", "chemical", "bnf_code", "ods_code", "gss_code", *NUMBERS]
KEY = ["gss_code", "ods_code", "date", "period", "period_start", "period_end", "period_type"]


def run(ctx: StepContext) -> None:
    chemicals = META["chemicals"]
    lookup = codes.ccg_codes().filter(pl.col("vintage") == META["sub_icb_vintage"])
    pairs = lookup.select(pl.concat_str("ods_code", "gss_code", separator="|").alias("p"))["p"]
    for path in ctx.files():
        frame = readers.read_csv(path, required=COLUMNS)
        raw_columns = frame.columns
        frame = periods.parse_column(frame, "date", "month")
        number = {c: readers.number(pl.col(c)) for c in NUMBERS}
        list_sizes = number["total_list_size"].drop_nulls().n_unique().over("gss_code", "date")
        reason = (
            pl.when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
            .when(pl.col("date").str.strip_chars().str.slice(8) != "01")
            .then(pl.lit("date is not the first of a month"))
            .when(~pl.concat_str("ods_code", "gss_code", separator="|").is_in(pairs.implode())
                  .fill_null(False))
            .then(pl.format("sub-ICB codes {} / {} are not a pair in the July 2022 ONS lookup",
                            pl.col("ods_code").fill_null("(blank)"), pl.col("gss_code").fill_null("(blank)")))
            .when(~pl.col("chemical").is_in(list(chemicals)).fill_null(False))
            .then(pl.format("chemical not catalogued: {}", pl.col("chemical").fill_null("(blank)")))
            .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in NUMBERS]))
            .then(pl.lit("a number column holds text that is neither a number nor a marker"))
            .when(pl.any_horizontal([e < 0 for e in number.values()])).then(pl.lit("negative number"))
            .when(number["total_list_size"] == 0).then(pl.lit("registered list size is zero"))
            .when(pl.len().over("gss_code", "date", "chemical") > 1)
            .then(pl.lit("duplicate row for this sub-ICB, month and chemical"))
            .when(list_sizes > 1).then(pl.lit("list size differs between chemicals in this month"))
        )
        frame = frame.with_columns(reason.alias("_reason"))
        rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                        pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null()).with_columns(
            pl.col("chemical").replace_strict({k: v["label"] for k, v in chemicals.items()})
            .alias("category"),
            pl.col("chemical").replace_strict({k: v["doac"] for k, v in chemicals.items()},
                                              return_dtype=pl.Boolean).alias("_doac"),
            # A marker (blank, 'x', '*') in a number cell: status and note travel with the value.
            *[readers.marker_status(pl.col(c)).alias(f"{c}_status") for c in ("items", "actual_cost")],
            *[readers.marker_note(pl.col(c)).alias(f"{c}_note") for c in ("items", "actual_cost")],
            *[number[c].alias(c) for c in ("items", "actual_cost", "total_list_size")])
        ctx.record(path, _values(good), rejects, rows_read=frame.height, summed_rows=good["_row"])


def _sum(expr: pl.Expr, name: str) -> pl.Expr:
    """A sum that stays blank when any part is blank."""
    return pl.when(expr.is_null().any()).then(None).otherwise(expr.sum()).alias(name)


def _values(good: pl.DataFrame) -> pl.DataFrame:
    labels = [c["label"] for c in META["chemicals"].values()]
    absent = pl.lit(labels).list.set_difference(pl.col("category")).list.sort().list.join(", ")
    blank = "a chemical's value in this month is not available"
    totals = good.group_by(KEY).agg(
        pl.col("_row").min(), _sum(pl.col("items"), "items"),
        _sum(pl.col("actual_cost"), "actual_cost").round(2),
        pl.col("total_list_size").drop_nulls().first(),
        _sum(pl.col("items").filter(pl.col("_doac")), "doac_items"), pl.col("category"),
    ).with_columns(
        pl.lit(META["all_label"]).alias("category"),
        pl.when(absent != "").then(pl.format("no row in the file for {} (none dispensed): sum of "
                                             "the others", absent)).alias("_absent"),
    ).with_columns(
        *[pl.when(pl.col(c).is_null()).then(pl.lit("missing")).otherwise(pl.lit("published"))
          .alias(f"{c}_status") for c in ("items", "actual_cost")],
        *[pl.when(pl.col(c).is_null()).then(pl.lit(blank)).otherwise(pl.col("_absent"))
          .alias(f"{c}_note") for c in ("items", "actual_cost")])
    table = pl.concat([good, totals], how="diagonal_relaxed")
    where = ["_row", pl.col("gss_code").alias("area_code"), pl.lit("sub_icb").alias("area_type"),
             "period", "period_start", "period_end", "period_type",
             pl.col("ods_code").alias("original_area_code"), pl.col("date").alias("original_period")]
    common = [*where, "category"]
    rate_ok = pl.col("items").is_not_null() & pl.col("total_list_size").is_not_null()
    parts = [
        table.select(*common, pl.lit("anticoagulant-items").alias("indicator_id"),
                     pl.col("items").alias("value"), pl.col("items_status").alias("status"),
                     pl.col("items_note").alias("note")),
        table.select(*common, pl.lit("anticoagulant-cost").alias("indicator_id"),
                     pl.col("actual_cost").alias("value"), pl.col("actual_cost_status").alias("status"),
                     pl.col("actual_cost_note").alias("note")),
        table.select(*common, pl.lit("anticoagulant-items-per-1000-patients").alias("indicator_id"),
                     (pl.col("items") / pl.col("total_list_size") * 1000).alias("value"),
                     pl.col("items").alias("count"), pl.col("total_list_size").alias("denominator"),
                     pl.when(rate_ok).then(pl.lit("published")).otherwise(pl.lit("missing"))
                     .alias("status"),
                     pl.when(rate_ok).then(pl.col("items_note"))
                     .otherwise(pl.lit("items or list size not available")).alias("note")),
    ]
    share_ok = pl.col("items").is_not_null() & pl.col("doac_items").is_not_null()
    share = totals.filter(pl.col("items").is_null() | (pl.col("items") > 0)).select(
        *where, pl.lit("doac-share-of-anticoagulant-items").alias("indicator_id"),
        (pl.col("doac_items") / pl.col("items") * 100).alias("value"),
        pl.col("doac_items").alias("count"), pl.col("items").alias("denominator"),
        pl.when(share_ok).then(pl.lit("published")).otherwise(pl.lit("missing")).alias("status"),
        pl.col("items_note").alias("note"))
    return pl.concat([*parts, share], how="diagonal_relaxed")
