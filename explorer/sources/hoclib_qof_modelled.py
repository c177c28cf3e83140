"""House of Commons Library: QOF 2019-20 prevalence modelled for local authority districts.

The Library shares each GP practice's QOF register and list size out to the districts its
patients live in, so register and list are modelled (non-integer) numbers. The file publishes
prevalence as a fraction (0.0224); the store holds percent, so values are multiplied by 100.
QOF groups map to the same catalogue indicators as NHS Digital's own CCG figures (defined in
nhsd_qof.yaml); the producer column tells the two apart.

Quirks handled: the file has no period column (the period comes from the YAML, per file); seven
Welsh districts appear with lists of one to a few thousand patients (only residents registered
with English practices) and are rejected with the reason.
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.schema import ALL_AGES
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)
COLUMNS = ["lad_code", "lad_name", "group_code", "register", "list", "prevalence"]
NUMBERS = ["register", "list", "prevalence"]
LAD_CODE = r"^E0[6-9]\d{6}$"  # English unitary, district, metropolitan and London borough codes


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        period = (META.get("periods") or {}).get(path.name)
        if period is None:
            raise SourceError(path, "no period for this file under `periods:` in the YAML "
                              "(the file has no period column)")
        frame = readers.read_csv(path, required=COLUMNS)
        frame = frame.with_columns(pl.lit(str(period)).alias("_period"),
                                   pl.col("lad_code").str.strip_chars().alias("_code"))
        frame = periods.parse_column(frame, "_period", "financial_year")
        indicator = pl.col("group_code").str.strip_chars().replace_strict(
            META["group_indicators"], default=None)
        age = pl.col("group_code").str.strip_chars().replace_strict(
            META.get("group_ages") or {}, default=ALL_AGES)
        prefix_reason = pl.col("_code").str.slice(0, 1).replace_strict(
            META.get("rejected_code_prefixes") or {}, default=None, return_dtype=pl.String)
        reason = (
            pl.when(indicator.is_null()).then(pl.lit("QOF group_code not in group_indicators"))
            .when(prefix_reason.is_not_null()).then(prefix_reason)
            .when(~pl.col("_code").fill_null("").str.contains(LAD_CODE))
            .then(pl.lit("not an English local authority district code (E06/E07/E08/E09)"))
            .when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
            .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in NUMBERS]))
            .then(pl.lit("register, list or prevalence holds text"))
        )
        frame = frame.with_columns(reason.alias("_reason"))
        rejects = readers.rejects_where(frame, pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        prevalence = pl.col("prevalence")
        values = good.select(
            "_row", indicator.alias("indicator_id"), pl.col("_code").alias("area_code"),
            pl.lit("ltla").alias("area_type"), "period", "period_start", "period_end", "period_type",
            age.alias("age"),
            (readers.number(prevalence) * 100).alias("value"),  # published as a fraction
            readers.number(pl.col("register")).alias("count"),
            readers.number(pl.col("list")).alias("denominator"),
            readers.marker_status(prevalence).alias("status"),
            pl.concat_str([readers.marker_note(prevalence), pl.lit(META["value_note"])],
                          separator="; ", ignore_nulls=True).alias("note"),
            pl.col("lad_code").alias("original_area_code"),
            pl.lit(str(period)).alias("original_period"),
        )
        ctx.record(path, values, rejects, rows_read=frame.height)
