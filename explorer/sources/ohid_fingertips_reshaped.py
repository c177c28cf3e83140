"""OHID Fingertips indicators for local authorities, in Trafford Data Lab's tidy layout
(area_code, area_name, period, value, indicator, measure, unit, [group], significance).

Quirks handled: Trafford's `unit` column holds the sex ('Persons') except in the healthy life
expectancy file, where it holds 'Years' and the sex is in `group`; missing values are R's 'NA';
period labels differ by indicator ('2010/11' financial years, '2017' calendar years, '2009-11'
pooled years), so each indicator names its period parser in the YAML. Districts (E07) are
lower tier and counties (E10) upper tier; unitaries (E06/E08/E09) sit in both tiers and appear
once per file, so they are stored once, as utla, as every step in the store does (see
codes.area_type_for). Greater Manchester (E47) is a combined authority. `significance` is
Fingertips' comparison with England and is kept in the note (the store recomputes its own).
A row repeating an earlier (indicator, area, period, sex) is rejected as a duplicate.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from explorer import periods, schema
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
REQUIRED = ["area_code", "area_name", "period", "value", "indicator", "measure", "unit",
            "significance"]
# GSS prefix → area type (unitaries as utla); anything else is rejected.
AREA_TYPES = {prefix: kind for prefix, kind in codes.PREFIX_TYPES.items()
              if prefix in ("E92", "E12", "E47", "E10", "E07", "E06", "E08", "E09")}


def _indicator_config() -> pl.DataFrame:
    """YAML `indicator_names` as a frame to join on Trafford's `indicator` text."""
    rows = [{"indicator": name, "indicator_id": cfg["indicator_id"], "expected_measure": cfg["measure"],
             "period_kind": cfg["period_kind"], "age": cfg["age"]}
            for name, cfg in META["indicator_names"].items()]
    return pl.DataFrame(rows)


def _periods(frame: pl.DataFrame) -> pl.DataFrame:
    """Parse each distinct (indicator, period label) once with that indicator's parser."""
    pairs = frame.select("indicator", "period", "period_kind").unique()
    rows = []
    for indicator, label, kind in pairs.iter_rows():
        parsed = {"period": None, "period_start": None, "period_end": None, "period_type": None,
                  "period_error": None}
        if kind is None:
            pass  # an indicator the YAML does not know: that is the reject reason
        elif label is None:
            parsed["period_error"] = "period is blank"
        else:
            try:
                parsed.update(periods.parse(label, kind).as_dict())
            except periods.PeriodError as exc:
                parsed["period_error"] = str(exc)
        rows.append({"indicator": indicator, "_label": label, **parsed})
    table = pl.DataFrame(rows, schema={"indicator": pl.String, "_label": pl.String,
                                       **periods.PERIOD_STRUCT.to_schema()})
    return frame.rename({"period": "_label"}).join(
        table, on=["indicator", "_label"], how="left", nulls_equal=True)


def duplicate_reason(keys: list[str], ok: pl.Expr) -> pl.Expr:
    """'duplicate of row N' for every `ok` row after the first `ok` row with the same keys.

    Only rows without another problem take part, so the row kept is the first good one."""
    first = pl.when(ok).then(pl.col("_row")).min().over(keys)
    return pl.when(ok & (pl.col("_row") != first)).then(pl.format("duplicate of row {}", first))


def read(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """One Trafford file → (values with `_row`, rejects, rows read)."""
    frame = readers.read_csv(path, required=REQUIRED)
    frame = frame.with_columns(readers.raw_text(frame).alias("_raw_cells"))
    rows_read = frame.height
    sex_source = "group" if "group" in frame.columns else "unit"
    frame = frame.join(_indicator_config(), on="indicator", how="left", nulls_equal=True)
    frame = _periods(frame).sort("_row")
    area_type = (pl.when(pl.col("area_code").str.contains(r"^E\d{8}$"))
                 .then(pl.col("area_code").str.slice(0, 3).replace_strict(
                     AREA_TYPES, default=None, return_dtype=pl.String)))
    sex = pl.col(sex_source).str.strip_chars()
    problem = (
        pl.when(pl.col("indicator_id").is_null())
        .then(pl.format("unknown indicator '{}'", pl.col("indicator")))
        .when(pl.col("measure").ne_missing(pl.col("expected_measure")))
        .then(pl.format("measure '{}' is not the expected '{}'", pl.col("measure"),
                        pl.col("expected_measure")))
        .when(area_type.is_null()).then(pl.format("area code '{}' is not a GSS code this step "
                                                  "knows", pl.col("area_code")))
        .when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(~sex.is_in(list(schema.SEXES)).fill_null(True))
        .then(pl.format("sex '{}' is not Persons, Male or Female", sex))
        .when(readers.bad_number(pl.col("value")))
        .then(pl.format("value '{}' is neither a number nor a missing-value marker",
                        pl.col("value")))
    )
    frame = frame.with_columns(problem.alias("_reason"), sex.alias("_sex"),
                               area_type.alias("_area_type"))
    keys = ["indicator_id", "area_code", "_label", "_sex"]
    frame = frame.with_columns(pl.coalesce(
        pl.col("_reason"), duplicate_reason(keys, pl.col("_reason").is_null())).alias("_reason"))
    rejects = frame.filter(pl.col("_reason").is_not_null()).select(
        pl.col("_row").alias("row_number"), pl.col("_reason").alias("reason"),
        pl.col("_raw_cells").alias("raw"))
    good = frame.filter(pl.col("_reason").is_null())
    comparison = pl.when(pl.col("significance").is_not_null()).then(
        pl.format("Fingertips comparison with England: {}", pl.col("significance")))
    values = good.select(
        "_row", "indicator_id", "area_code", pl.col("_area_type").alias("area_type"),
        "period", "period_start", "period_end", "period_type",
        pl.col("_sex").alias("sex"), "age",
        readers.number(pl.col("value")).alias("value"),
        readers.marker_status(pl.col("value")).alias("status"),
        pl.concat_str([readers.marker_note(pl.col("value")), comparison], separator="; ",
                      ignore_nulls=True).alias("note"),
        pl.col("area_code").alias("original_area_code"),
        pl.col("_label").alias("original_period"),
    )
    return values, rejects, rows_read


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        values, rejects, rows_read = read(path)
        ctx.record(path, values, rejects, rows_read=rows_read)
