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
