"""explorer.stats.ci_frame.ci_for_frame: filling missing intervals for the store build."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from explorer.paths import RAW_DIR
from explorer.stats import byar, ci_for_frame, crude_rate_ci, wilson

WILSON = "recomputed: Wilson score"
BYAR = "recomputed: Byar (exact Poisson below 10)"


def frame(**columns) -> pl.DataFrame:
    base = {
        "lower_ci95": None,
        "upper_ci95": None,
        "lower_ci998": None,
        "upper_ci998": None,
        "ci_method": None,
        "status": "published",
    }
    size = len(next(iter(columns.values())))
    data = {k: [v] * size for k, v in base.items()}
    data.update(columns)
    return pl.DataFrame(
        data,
        schema_overrides={
            k: pl.Float64
            for k in (
                "value",
                "count",
                "denominator",
                "lower_ci95",
                "upper_ci95",
                "lower_ci998",
                "upper_ci998",
            )
        }
        | {"ci_method": pl.String},
    )


def test_proportion_recomputed_with_wilson_in_percent():
    out = ci_for_frame(frame(value=[25.0], count=[25.0], denominator=[100.0]), "proportion")
    row = out.row(0, named=True)
    lo, up = wilson(25, 100)
    lo9, up9 = wilson(25, 100, 0.998)
    assert (row["lower_ci95"], row["upper_ci95"]) == pytest.approx((lo * 100, up * 100))
    assert (row["lower_ci998"], row["upper_ci998"]) == pytest.approx((lo9 * 100, up9 * 100))
    assert row["ci_method"] == WILSON


def test_crude_rate_count_and_isr_use_byar_with_exact_below_10():
    out = ci_for_frame(
        frame(
            value=[5 / 20000 * 100000, 40 / 20000 * 100000], count=[5.0, 40.0], denominator=[20000.0, 20000.0]
        ),
        "crude rate",
    )
    lo, up = crude_rate_ci(np.array([5.0, 40.0]), np.array([20000.0, 20000.0]))
    assert np.allclose(out["lower_ci95"].to_numpy(), lo) and np.allclose(out["upper_ci95"].to_numpy(), up)
    assert out["ci_method"].to_list() == [BYAR, BYAR]

    counts = ci_for_frame(frame(value=[7.0], count=[7.0], denominator=[None]), "count")
    assert counts["lower_ci95"][0] == pytest.approx(byar(7)[0])
    assert counts["ci_method"][0] == BYAR

    ratio = ci_for_frame(
        frame(value=[120.0], count=[120.0], denominator=[100.0]), "indirectly standardised ratio"
    )
    assert ratio["upper_ci95"][0] == pytest.approx(byar(120)[1])


def test_published_limits_are_kept_and_labelled_and_missing_998_filled():
    out = ci_for_frame(
        frame(
            value=[25.0, 25.0],
            count=[25.0, 25.0],
            denominator=[100.0, 100.0],
            lower_ci95=[20.0, 20.0],
            upper_ci95=[30.0, 30.0],
            lower_ci998=[None, 15.0],
            upper_ci998=[None, 35.0],
        ),
        "proportion",
    )
    assert out["lower_ci95"].to_list() == [20.0, 20.0] and out["upper_ci95"].to_list() == [30.0, 30.0]
    assert out["lower_ci998"][0] == pytest.approx(wilson(25, 100, 0.998)[0] * 100)
    assert out["lower_ci998"][1] == 15.0
    assert out["ci_method"].to_list() == ["as published; 99.8% recomputed: Wilson score", "as published"]


def test_existing_ci_method_kept_when_nothing_recomputed():
    out = ci_for_frame(
        frame(
            value=[25.0],
            count=[None],
            denominator=[None],
            lower_ci95=[20.0],
            upper_ci95=[30.0],
            ci_method=["Wilson (producer)"],
        ),
        "proportion",
    )
    assert out["ci_method"][0] == "Wilson (producer)"


def test_rows_lacking_inputs_keep_null_limits_and_null_method():
    out = ci_for_frame(
        frame(
            value=[None, 10.0, 10.0, 10.0, 10.0, 50.0],
            count=[5.0, None, 5.0, 15.0, 5.0, 5.0],
            denominator=[50.0, 50.0, 0.0, 10.0, 50.0, 50.0],
            status=["published", "published", "published", "published", "suppressed", "published"],
        ),
        "proportion",
    )
    # no value / no count / zero denominator / count > denominator / suppressed / value != 100 x count/den
    assert out["lower_ci95"].null_count() == 6 and out["lower_ci998"].null_count() == 6
    assert out["ci_method"].null_count() == 6


def test_value_published_to_one_decimal_place_is_accepted():
    out = ci_for_frame(frame(value=[33.3], count=[1.0], denominator=[3.0]), "proportion")
    assert out["ci_method"][0] == WILSON


def test_other_value_types_are_not_recomputed():
    data = frame(
        value=[120.0, 120.0],
        count=[30.0, 30.0],
        denominator=[20000.0, 20000.0],
        lower_ci95=[100.0, None],
        upper_ci95=[140.0, None],
    )
    out = ci_for_frame(data, "directly standardised rate")
    assert out["ci_method"].to_list() == ["as published", None]
    assert out["lower_ci95"].to_list() == [100.0, None]


def test_missing_columns_are_created_and_other_columns_pass_through():
    data = pl.DataFrame({"area_code": ["E1"], "value": [10.0], "count": [10.0], "denominator": [100.0]})
    out = ci_for_frame(data, "proportion")
    assert out["area_code"].to_list() == ["E1"]
    assert {"lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998", "ci_method"} <= set(out.columns)
    assert out.height == 1


def test_campylobacter_export_published_rows_kept_aggregates_recomputed():
    raw = pl.read_csv(
        RAW_DIR / "ohid_fingertips_native" / "indicators-CountyUA.data.csv", infer_schema_length=0
    )
    data = raw.select(
        pl.col("Value").cast(pl.Float64).alias("value"),
        pl.col("Count").cast(pl.Float64).alias("count"),
        pl.col("Denominator").cast(pl.Float64).alias("denominator"),
        pl.col("Lower CI 95.0 limit").cast(pl.Float64).alias("lower_ci95"),
        pl.col("Upper CI 95.0 limit").cast(pl.Float64).alias("upper_ci95"),
    )
    out = ci_for_frame(data, "crude rate", 100000)
    published = data["lower_ci95"].is_not_null()
    assert (out.filter(published)["lower_ci95"] == data.filter(published)["lower_ci95"]).all()
    labels = out["ci_method"].value_counts().sort("ci_method")
    counts = dict(zip(labels["ci_method"].to_list(), labels["count"].to_list(), strict=True))
    assert counts["as published; 99.8% recomputed: Byar (exact Poisson below 10)"] == 755
    # the deprivation-decile aggregates had no published limits: recomputed from their counts
    assert counts[BYAR] == 87
    assert counts[None] == 10  # rows with no value and no count
    recomputed = out.filter(pl.col("ci_method") == BYAR)
    assert (
        (recomputed["lower_ci95"] <= recomputed["value"]) & (recomputed["value"] <= recomputed["upper_ci95"])
    ).all()
