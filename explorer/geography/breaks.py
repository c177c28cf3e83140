"""Break-in-series markers: the trend test and SPC never run across one.

Two kinds:
- boundary: a series on today's boundaries (re-estimated CCG/ICB) that cannot be carried back past
  a boundary redraw with unpublished shares, or a CCG code born of such a redraw; the break is
  the first period after it.
- definition: an indicator's catalogue `breaks` list (YAML), e.g. a register definition change;
  `area_code` is null, meaning every area.
"""

from __future__ import annotations

import polars as pl

from explorer.geography import reaggregate

BREAK_SCHEMA = {
    "indicator_id": pl.String,
    "area_code": pl.String,
    "area_type": pl.String,
    "period": pl.String,
    "reason": pl.String,
}


def _definition_breaks(indicators: pl.DataFrame) -> pl.DataFrame:
    if "breaks" not in indicators.columns:
        return pl.DataFrame(schema=BREAK_SCHEMA)
    rows = []
    for indicator_id, items in indicators.select("indicator_id", "breaks").iter_rows():
        for item in items or []:
            if isinstance(item, dict):
                period, why = item.get("period"), item.get("reason") or item.get("why") or ""
            else:
                period, _, why = str(item).partition(":")
            rows.append(
                {
                    "indicator_id": indicator_id,
                    "area_code": None,
                    "area_type": None,
                    "period": str(period).strip(),
                    "reason": f"definition change: {why.strip()}",
                }
            )
    return pl.DataFrame(rows, schema=BREAK_SCHEMA)


def _boundary_breaks(values: pl.DataFrame, links: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    if values.is_empty() or "value_type" not in indicators.columns:
        return pl.DataFrame(schema=BREAK_SCHEMA)
    est = reaggregate.estimate(values, indicators, links).filter(pl.col("target_type").is_in(["ccg", "icb"]))
    est = est.with_columns(pl.col("unknown_share").alias("blocked"))
    blocked = (
        est.filter(pl.col("blocked"))
        .group_by("indicator_id", "target_type", "target")
        .agg(pl.col("period_start").max().alias("last_blocked"))
    )
    after = (
        est.filter(~pl.col("blocked"))
        .join(blocked, on=["indicator_id", "target_type", "target"])
        .filter(pl.col("period_start") > pl.col("last_blocked"))
        .sort("period_start")
        .group_by("indicator_id", "target_type", "target")
        .agg(pl.col("period").first())
    )
    redrawn = (
        links.filter(pl.col("kind") == "boundary changed")
        .select(pl.col("to_code").alias("area_code"), "change_date")
        .unique("area_code")
    )
    # Only CCG-vintage series: sources such as OpenPrescribing publish their whole history on
    # today's sub-ICB codes (already re-mapped by the producer), so there is no break to mark.
    born = (
        values.filter(pl.col("area_type") == "ccg").join(redrawn, on="area_code")
        .filter(pl.col("period_start") >= pl.col("change_date"))
        .sort("period_start")
        .group_by("indicator_id", "area_code", "area_type")
        .agg(pl.col("period").first(), pl.col("change_date").first())
    )
    return pl.concat(
        [
            after.select(
                "indicator_id",
                pl.col("target").alias("area_code"),
                pl.col("target_type").alias("area_type"),
                "period",
                pl.lit(
                    "boundary change: earlier years cannot be put on these boundaries (a CCG "
                    "that fed this area had its boundaries redrawn with unpublished shares)"
                ).alias("reason"),
            ),
            born.select(
                "indicator_id",
                "area_code",
                "area_type",
                "period",
                pl.format(
                    "boundary change: area redrawn on {} (same ODS code, new GSS code)", pl.col("change_date")
                ).alias("reason"),
            ),
        ]
    ).cast(BREAK_SCHEMA)


def series_breaks(values: pl.DataFrame, links: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """indicator_id, area_code (null = all areas), area_type, period (first after the break), reason."""
    out = pl.concat([_definition_breaks(indicators), _boundary_breaks(values, links, indicators)])
    return out.unique().sort("indicator_id", "area_code", "period", nulls_last=True)
