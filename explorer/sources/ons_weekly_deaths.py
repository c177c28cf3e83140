"""ONS weekly death registrations in England and Wales, 2010 to w/e 2020-04-03, as gathered by
the NHS-R Community (NHSRdatasets `ons_mortality`).

Quirks handled: one long file whose (category_1, category_2) pairs mean different things
(category_2 is an age band, a region name, an ICD-10 coding version or a fixed label); areas are
names only ('East', 'Wales', England and Wales implied); respiratory deaths for w/e 2011-01-07 are
published under two ICD-10 coding versions (the newer is loaded); 52 rows in 2014 have no
category at all (rejected); blank counts become status missing. Labels are parsed once per
distinct pair, not per row.
"""

from __future__ import annotations

import re

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import StepContext, load_meta

META = load_meta(__file__)
COLUMNS = ["category_1", "category_2", "counts", "date"]
FRIDAY = 5  # polars weekday: Monday = 1
SERIES_SCHEMA = {"category_1": pl.String, "category_2": pl.String, "indicator_id": pl.String,
                 "sex": pl.String, "age": pl.String, "area_code": pl.String, "area_type": pl.String,
                 "note": pl.String, "original_area_code": pl.String, "_coding_rank": pl.Int64,
                 "_label_error": pl.String}


def age_label(meta: dict, text: str) -> str | None:
    """'01-14' → '1-14', 'Under 1 year' → '<1', '85+' stays; None when it is not an age band."""
    label = meta["age_labels"].get(text.strip())
    if label:
        return label
    label = re.sub(r"\b0+(\d)", r"\1", text.strip())
    return label if re.fullmatch(r"\d+(-\d+|\+)", label) else None


def area_for(meta: dict, name: str) -> tuple[str, str] | None:
    """A region (or Wales) name → (GSS code, area type), via the ONS lookup's names."""
    name = meta["area_aliases"].get(name.strip(), name.strip())
    code = codes.region_code_by_name().get(codes.normalise_name(name))
    return (code, codes.area_type_for(code)) if code else None


def rule_for(meta: dict, cat1: str | None, cat2: str | None) -> dict | None:
    for rule in meta["series"]:
        if rule["category_1"] != cat1:
            continue
        if "category_2_is" in rule or rule.get("category_2") == cat2:
            return rule
    return None


def describe(meta: dict, cat1: str | None, cat2: str | None) -> dict:
    """What one (category_1, category_2) pair means, or why it cannot be loaded."""
    out = {"category_1": cat1, "category_2": cat2, "indicator_id": None, "sex": "Persons",
           "age": "All ages", "area_code": codes.ENGLAND_AND_WALES, "area_type": "country",
           "note": None, "original_area_code": None, "_coding_rank": 0, "_label_error": None}
    if cat1 is None and cat2 is None:
        return {**out, "_label_error": "no category: category_1 and category_2 are blank, so the "
                "series this count belongs to is unknown"}
    rule = rule_for(meta, cat1, cat2)
    if rule is None:
        return {**out, "_label_error": f"unrecognised category pair: {cat1!r} / {cat2!r}"}
    out.update(indicator_id=rule["indicator"], sex=rule.get("sex", "Persons"))
    kind = rule.get("category_2_is")
    if kind == "age":
        out["age"] = age_label(meta, cat2 or "")
        if out["age"] is None:
            out["_label_error"] = f"unrecognised age band: {cat2!r}"
    elif kind == "area":
        area = area_for(meta, cat2 or "")
        if area is None:
            out["_label_error"] = f"unknown region name: {cat2!r}"
        else:
            out["area_code"], out["area_type"] = area
            out["original_area_code"] = cat2  # the producer identifies regions by name only
    elif kind == "coding" and cat2 is not None:
        versions = meta["coding_versions"]
        if cat2 not in versions:
            out["_label_error"] = f"unknown ICD-10 coding version: {cat2!r}"
        else:
            out["note"] = f"Underlying cause coded with ICD-10 {cat2}"
            out["_coding_rank"] = versions.index(cat2) + 1
    return out


def series_table(meta: dict, frame: pl.DataFrame) -> pl.DataFrame:
    pairs = frame.select("category_1", "category_2").unique().rows()
    return pl.DataFrame([describe(meta, a, b) for a, b in pairs], schema=SERIES_SCHEMA)


def duplicate_reason() -> pl.Expr:
    """Among otherwise good rows (sorted by row), one value per series and week: an older ICD-10
    coding loses to a newer one; any other repeat is rejected rather than silently chosen."""
    key = ["indicator_id", "area_code", "sex", "age", "period"]
    best = pl.col("_coding_rank").max().over(key)
    nth = pl.int_range(pl.len()).over([*key, "_coding_rank"])
    return (
        pl.when(pl.col("_coding_rank") < best)
        .then(pl.lit("superseded: the same week is also published under a newer ICD-10 coding "
                     "version, which is loaded instead"))
        .when(nth > 0)
        .then(pl.lit("duplicate: the same series and week appears earlier in the file"))
    )


def run(ctx: StepContext) -> None:
    for path in ctx.files():
        frame = readers.read_csv(path, required=COLUMNS)
        raw_columns = frame.columns  # what a rejected row shows: the file's own cells
        frame = periods.parse_column(frame, "date", "week_ending")
        frame = frame.join(series_table(ctx.meta, frame), on=["category_1", "category_2"], how="left",
                           nulls_equal=True)
        reason = (
            pl.when(pl.col("_label_error").is_not_null()).then(pl.col("_label_error"))
            .when(pl.col("period_error").is_not_null())
            .then(pl.format("bad week-ending date: {}", pl.col("period_error")))
            .when(pl.col("period_end").dt.weekday() != FRIDAY)
            .then(pl.format("week-ending date {} is not a Friday", pl.col("date")))
            .when(readers.bad_number(pl.col("counts")))
            .then(pl.format("count is not a number: '{}'", pl.col("counts")))
        )
        frame = frame.with_columns(reason.alias("_reason")).sort("_row")
        # Duplicates are judged among rows that are otherwise loadable, so a rejected row never
        # displaces a good one.
        frame = pl.concat([
            frame.filter(pl.col("_reason").is_null()).with_columns(duplicate_reason().alias("_reason")),
            frame.filter(pl.col("_reason").is_not_null())]).sort("_row")
        rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                        pl.col("_reason").is_not_null(), pl.col("_reason"))
        good = frame.filter(pl.col("_reason").is_null())
        marker_note = readers.marker_note(pl.col("counts"))
        values = good.select(
            "_row", "indicator_id", "area_code", "area_type",
            "period", "period_start", "period_end", "period_type", "sex", "age",
            readers.number(pl.col("counts")).alias("value"),
            readers.marker_status(pl.col("counts")).alias("status"),
            pl.concat_str([pl.col("note"), marker_note], separator="; ", ignore_nulls=True)
            .alias("note"),
            "original_area_code",
            pl.col("date").alias("original_period"),
        )
        ctx.record(path, values, rejects, rows_read=frame.height)
