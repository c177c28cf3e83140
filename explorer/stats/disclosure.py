"""Statistical disclosure control for counts derived from record-level data.

Rule applied (NHS Digital's published practice for record-level derived statistics such as HES,
applied sub-nationally): counts of 1 to 7 are suppressed, every other count is rounded to the
nearest 5, and anything derived from a suppressed count (the value/rate and its confidence
limits) is suppressed with it. Zero is not disclosive and is kept as 0.

This is applied only where the caller says so (the store build decides from the indicator's
metadata flag, and can restrict it to some rows with `where`). Values of unsuppressed rows are
left as published (computed from the unrounded count, as NHS Digital publishes them). The rule
does not attempt secondary suppression (recovering a suppressed cell by differencing totals).
"""

from __future__ import annotations

import polars as pl

SUPPRESSED_NOTE = "Count of 1–7 suppressed (NHS Digital disclosure rule)"
ROUNDED_NOTE = "Count rounded to the nearest 5 (NHS Digital disclosure rule)"
DERIVED_COLUMNS = ("value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998")


def _append_note(existing: pl.Expr, note: str) -> pl.Expr:
    return (
        pl.when(existing.is_null() | (existing == ""))
        .then(pl.lit(note))
        .when(existing.str.contains(note, literal=True))
        .then(existing)
        .otherwise(existing + pl.lit("; " + note))
    )


def suppress_small_counts(
    frame: pl.DataFrame,
    *,
    count_col: str = "count",
    derived_cols: tuple[str, ...] = DERIVED_COLUMNS,
    low: float = 1,
    high: float = 7,
    base: float = 5,
    where: pl.Expr | None = None,
) -> pl.DataFrame:
    """Apply the small-number rule to `frame` and return it (same rows, same order).

    For rows selected by `where` (default: all rows) whose `count_col` is between `low` and `high`
    (1-7): the count and every column of `derived_cols` present in the frame are set to null,
    ``status`` to "suppressed" and SUPPRESSED_NOTE is appended to ``note``. Other non-null counts
    are rounded to the nearest `base` (5) -- halves round up, so 8 -> 10, 12 -> 10, 13 -> 15 -- and
    ROUNDED_NOTE is appended to ``note`` where the count changed; 0 stays 0 and null stays null.
    ``status``/``note`` columns are created (null) if absent. Other columns are untouched.
    """
    out = frame
    for name in ("status", "note"):
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.String).alias(name))
        elif out.schema[name] != pl.String:
            out = out.with_columns(pl.col(name).cast(pl.String))
    selected = pl.lit(True) if where is None else where.fill_null(False)
    c = pl.col(count_col).cast(pl.Float64)
    small = (selected & (c >= low) & (c <= high)).fill_null(False)
    rounded = (c / base + 0.5).floor() * base
    changes = (selected & ~small & (rounded != c)).fill_null(False)
    present = [d for d in derived_cols if d in out.columns]
    return out.with_columns(
        *[pl.when(small).then(None).otherwise(pl.col(d)).alias(d) for d in present],
        pl.when(small)
        .then(None)
        .when(selected)
        .then(rounded.cast(out.schema[count_col]))
        .otherwise(pl.col(count_col))
        .alias(count_col),
        pl.when(small).then(pl.lit("suppressed")).otherwise(pl.col("status")).alias("status"),
        pl.when(small)
        .then(_append_note(pl.col("note"), SUPPRESSED_NOTE))
        .when(changes)
        .then(_append_note(pl.col("note"), ROUNDED_NOTE))
        .otherwise(pl.col("note"))
        .alias("note"),
    )


def control_flagged(frame: pl.DataFrame, flagged: list[str], count_valued: list[str] = ()) -> pl.DataFrame:
    """The rule on the rows of the `flagged` indicators, whatever holds the count.

    Most indicators carry their numerator in `count`. An indicator whose value *is* a count
    (value_type "count": attendances, deaths, referrals) has no `count` column filled in, so the
    value itself is the count: it is suppressed (1-7, with its intervals) or rounded to 5 the same
    way. Rows of other indicators are untouched; applying it twice changes nothing."""
    if frame.is_empty() or not flagged:
        return frame
    is_flagged = pl.col("indicator_id").is_in(list(flagged))
    value_is_count = pl.col("indicator_id").is_in(list(count_valued)) & pl.col("count").is_null()
    marked = frame.with_columns(value_is_count.fill_null(False).alias("_value_is_count"))
    out = suppress_small_counts(marked, where=is_flagged & ~pl.col("_value_is_count"))
    if count_valued:
        out = suppress_small_counts(out, count_col="value", derived_cols=DERIVED_COLUMNS[1:],
                                    where=is_flagged & pl.col("_value_is_count"))
    return out.drop("_value_is_count")


def control_revisions(revisions: pl.DataFrame, flagged: list[str], count_valued: list[str] = ()) -> pl.DataFrame:
    """The same rule on the revision log (old and new count, value and the change between them),
    so the release calendar never shows a small count a later release replaced."""
    if revisions.is_empty() or not flagged:
        return revisions
    out = revisions
    for side in ("old", "new"):
        count, value = f"{side}_count", f"{side}_value"
        # Each side as a frame of the store's shape, controlled, then put back.
        view = out.select(pl.col("indicator_id"), pl.col(count).alias("count"), pl.col(value).alias("value"),
                          pl.col("change").alias("lower_ci95"))
        done = control_flagged(view, flagged, count_valued)
        out = out.with_columns(done["count"].alias(count), done["value"].alias(value),
                               done["lower_ci95"].alias("change"))
    return out
