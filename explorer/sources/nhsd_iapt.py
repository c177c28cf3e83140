"""NHS Digital IAPT (NHS Talking Therapies) monthly key measures by sub-ICB location, as
extracted by healthyr (long format: sicbl22_code, date 'July 2022', name, value as text).

Quirks handled: values are text; 'NA' is healthyr's rendering of NHS Digital's '*' (suppressed),
so it becomes status suppressed with a note. Percentages are already 0–100. Each measure name
maps to a catalogue indicator in the YAML; an unlisted name is rejected row by row.
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
COLUMNS = ["sicbl22_code", "date", "name", "value"]


def run(ctx: StepContext) -> None:
    sub_icbs = codes.ccg_codes().filter(pl.col("vintage") == "2022")["gss_code"].unique()
    indicator = pl.col("name").replace_strict(
        {name: m["id"] for name, m in META["measures"].items()}, default=None)
    percent = pl.col("name").is_in([n for n, m in META["measures"].items() if m["kind"] == "percent"])
    marker = META["suppressed_marker"]
    for path in ctx.files():
        frame = readers.read_csv(path, required=COLUMNS)
        raw_columns = frame.columns
        frame = periods.parse_column(frame, "date", "month")
        value = readers.number(pl.col("value"))
        suppressed = pl.col("value").str.strip_chars() == marker
        reason = (
            pl.when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
            .when(~pl.col("sicbl22_code").is_in(sub_icbs.implode()).fill_null(False))
            .then(pl.format("unknown sub-ICB code {} (not in the July 2022 list)",
                            pl.col("sicbl22_code").fill_null("(blank)")))
            .when(indicator.is_null())
            .then(pl.format("measure not catalogued: {}", pl.col("name").fill_null("(blank)")))
            .when(readers.bad_number(pl.col("value")) & ~suppressed.fill_null(False))
            .then(pl.lit("value is neither a number nor a known marker"))
            .when(value < 0).then(pl.lit("negative value"))
            .when(percent & (value > 100)).then(pl.lit("percentage above 100"))
            .when(pl.len().over("sicbl22_code", "period", "name") > 1)
            .then(pl.lit("duplicate row for this sub-ICB, month and measure"))
        )
        frame = frame.with_columns(reason.alias("_reason"))
        rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                        pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        values = good.select(
            "_row", indicator.alias("indicator_id"),
            pl.col("sicbl22_code").alias("area_code"), pl.lit("sub_icb").alias("area_type"),
            "period", "period_start", "period_end", "period_type",
            value.alias("value"),
            pl.when(suppressed).then(pl.lit("suppressed"))
            .otherwise(readers.marker_status(pl.col("value"))).alias("status"),
            pl.when(suppressed).then(pl.lit(META["suppressed_note"]))
            .otherwise(readers.marker_note(pl.col("value"))).alias("note"),
            pl.col("sicbl22_code").alias("original_area_code"),
            pl.col("date").alias("original_period"),
        )
        ctx.record(path, values, rejects, rows_read=frame.height)
