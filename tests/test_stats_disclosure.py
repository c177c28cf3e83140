"""explorer.stats.disclosure: NHS Digital small-number rule (1-7 suppressed, others rounded to 5)."""

from __future__ import annotations

import polars as pl

from explorer.stats import suppress_small_counts
from explorer.stats.disclosure import ROUNDED_NOTE, SUPPRESSED_NOTE


def store_frame(counts: list[float | None]) -> pl.DataFrame:
    n = len(counts)
    return pl.DataFrame(
        {
            "area_code": [f"E{i:02d}" for i in range(n)],
            "count": counts,
            "denominator": [1000.0] * n,
            "value": [None if c is None else c / 10 for c in counts],
            "lower_ci95": [None if c is None else c / 10 - 0.5 for c in counts],
            "upper_ci95": [None if c is None else c / 10 + 0.5 for c in counts],
            "lower_ci998": [None if c is None else c / 10 - 0.9 for c in counts],
            "upper_ci998": [None if c is None else c / 10 + 0.9 for c in counts],
            "status": ["published"] * n,
            "note": [None] * n,
        },
        schema_overrides={"count": pl.Float64, "value": pl.Float64},
    )


def test_one_to_seven_suppressed_with_derived_values():
    out = suppress_small_counts(store_frame([1.0, 4.0, 7.0]))
    assert out["count"].null_count() == 3
    for column in ("value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998"):
        assert out[column].null_count() == 3, column
    assert out["status"].to_list() == ["suppressed"] * 3
    assert out["note"].to_list() == [SUPPRESSED_NOTE] * 3
    assert SUPPRESSED_NOTE == "Count of 1–7 suppressed (NHS Digital disclosure rule)"
    assert out["denominator"].to_list() == [1000.0] * 3  # the population is not disclosive


def test_zero_kept_and_others_rounded_to_nearest_five():
    out = suppress_small_counts(store_frame([0.0, 8.0, 12.0, 13.0, 10.0, 1234.0, None]))
    assert out["count"].to_list() == [0.0, 10.0, 10.0, 15.0, 10.0, 1235.0, None]
    assert out["status"].to_list() == ["published"] * 7
    # values are kept as published (from the unrounded count)
    assert out["value"].to_list()[:4] == [0.0, 0.8, 1.2, 1.3]
    assert out["note"].to_list() == [None, ROUNDED_NOTE, ROUNDED_NOTE, ROUNDED_NOTE, None, ROUNDED_NOTE, None]


def test_integer_counts_stay_integer_and_notes_are_appended():
    frame = store_frame([5.0, 8.0]).with_columns(
        pl.col("count").cast(pl.Int64), pl.Series("note", ["provisional", None], dtype=pl.String)
    )
    out = suppress_small_counts(frame)
    assert out["count"].dtype == pl.Int64
    assert out["count"].to_list() == [None, 10]
    assert out["note"][0] == "provisional; " + SUPPRESSED_NOTE


def test_applied_only_where_the_caller_says():
    frame = store_frame([3.0, 3.0, 12.0]).with_columns(pl.Series("record_level", [True, False, False]))
    out = suppress_small_counts(frame, where=pl.col("record_level"))
    assert out["count"].to_list() == [None, 3.0, 12.0]
    assert out["status"].to_list() == ["suppressed", "published", "published"]
    assert out["value"].to_list()[1:] == [0.3, 1.2]


def test_status_and_note_columns_created_when_absent_and_idempotent():
    frame = pl.DataFrame({"count": [2.0, 9.0], "value": [0.2, 0.9]})
    once = suppress_small_counts(frame)
    assert once.columns == ["count", "value", "status", "note"]
    assert once["status"].to_list() == ["suppressed", None]
    twice = suppress_small_counts(once)
    assert twice.equals(once)
