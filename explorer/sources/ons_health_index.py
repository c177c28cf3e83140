"""ONS Health Index for England (2015–2021), as tidied by the British Red Cross healthyr package:
one file by lower-tier local authority (ltla21_code) and one by ICB (icb22_code, E54).

Quirks handled: the two files name the domain columns differently ('healthy_people_domain_score'
vs 'healthy_people_domain'), so each file's layout comes from the YAML; the year is a bare
integer (calendar year); each row carries four scores, reshaped to one value per indicator.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from explorer import periods
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)


def layout_for(meta: dict, path: Path) -> dict:
    layout = meta["file_layouts"].get(path.name)
    if layout is None:
        raise SourceError(path, f"no layout for this file in the YAML; known: {sorted(meta['file_layouts'])}")
    return layout


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        layout = layout_for(ctx.meta, path)
        code_col, scores = layout["code_column"], layout["scores"]
        frame = readers.read_csv(path, required=[code_col, "year", *scores])
        raw_columns = frame.columns  # what a rejected row shows: the file's own cells
        frame = periods.parse_column(frame, "year", "calendar_year")
        code = pl.col(code_col).fill_null("")
        reason = (
            pl.when(~code.str.contains(layout["code_pattern"]))
            .then(pl.format("code '{}' is not a valid {} code", code, pl.lit(layout["area_type"])))
            .when(pl.col("period_error").is_not_null())
            .then(pl.format("bad year: {}", pl.col("period_error")))
            .when(pl.any_horizontal([readers.bad_number(pl.col(c)) for c in scores]))
            .then(pl.lit("a score column holds text that is not a number"))
        )
        frame = frame.with_columns(reason.alias("_reason"))
        rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                        pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        keys = ["_row", code_col, "year", "period", "period_start", "period_end", "period_type"]
        long = good.select(*keys, *scores).unpivot(index=keys, variable_name="_column",
                                                   value_name="_cell")
        values = long.select(
            "_row",
            pl.col("_column").replace_strict(scores, return_dtype=pl.String).alias("indicator_id"),
            pl.col(code_col).alias("area_code"),
            pl.lit(layout["area_type"]).alias("area_type"),
            "period", "period_start", "period_end", "period_type",
            readers.number(pl.col("_cell")).alias("value"),
            readers.marker_status(pl.col("_cell")).alias("status"),
            readers.marker_note(pl.col("_cell")).alias("note"),
            pl.col(code_col).alias("original_area_code"),
            pl.col("year").alias("original_period"),
        )
        ctx.record(path, values, rejects, rows_read=frame.height)
