"""explorer.stats.dsr: directly standardised rates with Dobson limits (PHEindicatormethods R/DSR.R).

PHEindicatormethods' own DSR test inputs live in Excel workbooks (tests/testthat/testdata_DSR_ISR.xlsx)
that could not be read here, so the checks are a hand-worked example, the identities the method must
satisfy, and agreement between the single-group and grouped functions.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from explorer.stats import ESP2013, Z95, byar, crude_rate_ci, dobson, dsr_by_group


def test_hand_worked_three_band_example():
    counts = [10, 20, 30]
    pops = [1000, 2000, 1500]
    std = [3000, 2000, 1000]
    value, lower, upper = dobson(counts, pops, std, multiplier=100000)
    # DSR = (10*3000/1000 + 20*2000/2000 + 30*1000/1500) / 6000 = (30 + 20 + 20) / 6000
    assert value == pytest.approx(70 / 6000 * 100000)  # 1166.667
    # var = (10*(3)^2 + 20*(1)^2 + 30*(2/3)^2) / 6000^2 = (90 + 20 + 13.3333) / 36e6
    var = (90 + 20 + 30 * (2 / 3) ** 2) / 6000**2
    o = 60
    lo_o = o * (1 - 1 / (9 * o) - Z95 / (3 * math.sqrt(o))) ** 3
    up_o = (o + 1) * (1 - 1 / (9 * (o + 1)) + Z95 / (3 * math.sqrt(o + 1))) ** 3
    assert lower == pytest.approx(value + math.sqrt(var / o) * (lo_o - o) * 100000)
    assert upper == pytest.approx(value + math.sqrt(var / o) * (up_o - o) * 100000)
    # sqrt(var / 60) = 2.38953e-4; Byar(60) = (45.7838, 77.2332): 1166.667 - 339.70, 1166.667 + 411.79
    assert (lower, upper) == pytest.approx((826.96, 1578.46), abs=0.01)


def test_single_band_reduces_to_crude_rate_with_byar_limits():
    value, lower, upper = dobson([250], [80000], [5000])
    lo, up = crude_rate_ci(250, 80000)
    assert value == pytest.approx(250 / 80000 * 100000)
    assert (lower, upper) == pytest.approx((lo, up))


def test_equal_age_specific_rates_give_the_crude_rate():
    pops = np.array([1000.0, 4000.0, 2500.0] * 6 + [3000.0])
    counts = pops * 0.01
    value, lower, upper = dobson(counts, pops, ESP2013)
    assert value == pytest.approx(1000.0)
    assert lower < value < upper


def test_na_when_total_count_below_10_and_missing_counts_are_zero():
    assert all(math.isnan(v) for v in dobson([3, 6, 0], [100, 100, 100], [1, 1, 1]))
    value, _, _ = dobson([4, None, 6], [100, 100, 100], [1, 1, 1])
    assert value == pytest.approx(10 / 300 * 100000)


def test_99_8_interval_contains_95():
    counts = [12, 30, 41, 80]
    pops = [9000, 12000, 11000, 7000]
    std = [5000, 6000, 7000, 4000]
    _, lo95, up95 = dobson(counts, pops, std)
    _, lo998, up998 = dobson(counts, pops, std, confidence=0.998)
    assert lo998 < lo95 < up95 < up998


def test_invalid_inputs_raise():
    with pytest.raises(ValueError):
        dobson([1, 2], [10, 10, 10], [1, 1, 1])
    with pytest.raises(ValueError):
        dobson([10, 2], [10, 0], [1, 1])


def test_dsr_by_group_matches_single_group_calls():
    rng = np.random.default_rng(7)
    rows = []
    for area in ("A", "B", "C"):
        for band, weight in enumerate(ESP2013):
            rows.append(
                (
                    area,
                    band,
                    float(rng.poisson(3 if area == "C" else 40)),
                    float(rng.integers(2000, 9000)),
                    float(weight),
                )
            )
    frame = pl.DataFrame(
        rows, schema=["area", "band", "count", "population", "standard_population"], orient="row"
    )
    frame = frame.with_columns(
        pl.when(pl.col("area") == "C").then(0.0).otherwise(pl.col("count")).alias("count")
    )
    out = dsr_by_group(frame, ["area"])
    assert out.columns == [
        "area",
        "count",
        "denominator",
        "value",
        "lower_ci95",
        "upper_ci95",
        "lower_ci998",
        "upper_ci998",
        "ci_method",
        "note",
    ]
    for area in ("A", "B"):
        part = frame.filter(pl.col("area") == area)
        row = out.filter(pl.col("area") == area).row(0, named=True)
        value, lower, upper = dobson(part["count"], part["population"], part["standard_population"])
        _, lo998, up998 = dobson(part["count"], part["population"], part["standard_population"], 0.998)
        assert (row["value"], row["lower_ci95"], row["upper_ci95"]) == pytest.approx((value, lower, upper))
        assert (row["lower_ci998"], row["upper_ci998"]) == pytest.approx((lo998, up998))
        assert row["ci_method"] == "Dobson" and row["note"] is None
    c = out.filter(pl.col("area") == "C").row(0, named=True)
    assert c["value"] is None and c["lower_ci95"] is None and c["ci_method"] is None
    assert c["note"] == "DSR not calculated: total count < 10"


def test_byar_of_total_is_used_not_exact():
    # total of exactly 10 events: Byar (not the exact branch) drives the limits, as in R/DSR.R
    value, lower, _ = dobson([10], [1000], [1])
    lo_byar, _ = byar(10, method="byar only")
    assert lower == pytest.approx(lo_byar / 1000 * 100000)
    assert value == pytest.approx(1000.0)
