"""explorer.stats.compare: Fingertips benchmarking (method 1 and two CI levels) and quintiles.

Rules from ukhsa-collaboration/fingertips-open PholioVisualisationWS/Analysis/
SingleOverlappingCIsForOneCILevelComparer.cs, SingleOverlappingCIsForTwoCILevelsComparer.cs,
IndicatorComparer.cs (AdjustForPolarity), QuintilesComparer.cs, ValueCategoriesCalculator.cs.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from explorer.stats import compare, quintile_bounds, quintiles

HIGH, LOW, NONE = "high is good", "low is good", "no judgement"


# --- method 1 (95% only) ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "lower", "upper", "benchmark", "polarity", "expected"),
    [
        (50, 45, 55, 52, HIGH, "similar"),
        (50, 45, 55, 45, HIGH, "similar"),  # benchmark on the lower limit: inclusive
        (50, 45, 55, 55, LOW, "similar"),  # on the upper limit: inclusive
        (50, 45, 55, 40, HIGH, "better"),  # area above the benchmark, high is good
        (50, 45, 55, 60, HIGH, "worse"),
        (50, 45, 55, 40, LOW, "worse"),  # area above the benchmark, low is good
        (50, 45, 55, 60, LOW, "better"),
        (50, 45, 55, 40, NONE, "higher"),
        (50, 45, 55, 60, NONE, "lower"),
        (None, 45, 55, 60, HIGH, "not compared"),  # no value
        (50, None, 55, 60, HIGH, "not compared"),  # no interval
        (50, 45, None, 60, HIGH, "not compared"),
        (50, 45, 55, None, HIGH, "not compared"),  # no benchmark
        (50, 45, 55, 60, None, "not compared"),  # polarity not applicable
        (50, 45, 55, 60, "not applicable", "not compared"),
    ],
)
def test_method_1_every_branch(value, lower, upper, benchmark, polarity, expected):
    assert compare(value, lower, upper, benchmark, polarity) == expected


def test_fingertips_polarity_spellings_are_accepted():
    assert compare(50, 45, 55, 40, "RAG - Low is good") == "worse"
    assert compare(50, 45, 55, 40, "BOB") == "higher"
    with pytest.raises(ValueError):
        compare(50, 45, 55, 40, "sideways")


# --- two CI levels ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("benchmark", "polarity", "expected"),
    [
        (52, HIGH, "similar"),
        (43, HIGH, "better"),  # benchmark between lower 99.8% (40) and lower 95% (45)
        (40, HIGH, "better"),  # on the 99.8% limit: still only "better"
        (35, HIGH, "best"),  # benchmark below the 99.8% interval
        (57, HIGH, "worse"),
        (65, HIGH, "worst"),
        (43, LOW, "worse"),
        (35, LOW, "worst"),
        (57, LOW, "better"),
        (65, LOW, "best"),
        (35, NONE, "higher"),  # no judgement: no best/worst, just higher/lower
        (65, NONE, "lower"),
        (43, NONE, "higher"),
    ],
)
def test_two_levels_every_branch(benchmark, polarity, expected):
    assert compare(50, 45, 55, benchmark, polarity, lower998=40, upper998=60) == expected


def test_two_levels_row_without_998_falls_back_to_95_rule():
    out = compare(
        pl.Series([50.0, 50.0]),
        pl.Series([45.0, 45.0]),
        pl.Series([55.0, 55.0]),
        30.0,
        HIGH,
        lower998=pl.Series([40.0, None]),
        upper998=pl.Series([60.0, None]),
    )
    assert out.to_list() == ["best", "better"]


def test_vectorised_over_series_with_per_row_polarity():
    value = pl.Series([50.0, 50.0, 50.0, None])
    lower = pl.Series([45.0, 45.0, 45.0, 1.0])
    upper = pl.Series([55.0, 55.0, 55.0, 2.0])
    benchmark = pl.Series([60.0, 60.0, 50.0, 1.5])
    polarity = pl.Series([HIGH, LOW, NONE, HIGH])
    out = compare(value, lower, upper, benchmark, polarity)
    assert isinstance(out, pl.Series) and out.dtype == pl.String
    assert out.to_list() == ["worse", "better", "similar", "not compared"]


def test_england_benchmark_applied_to_a_frame():
    frame = pl.DataFrame(
        {"value": [94.7, 120.0, 80.0], "lower_ci95": [93.9, 110.0, 70.0], "upper_ci95": [95.5, 130.0, 90.0]}
    )
    england = 94.7
    out = frame.with_columns(
        compare(frame["value"], frame["lower_ci95"], frame["upper_ci95"], england, LOW).alias("vs_england")
    )
    assert out["vs_england"].to_list() == ["similar", "worse", "better"]


# --- quintiles --------------------------------------------------------------------------------
def test_quintile_bounds_use_n_minus_1_p_plus_1_interpolation():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    # rank = 9p + 1: P20 -> 2.8, P40 -> 4.6, P60 -> 6.4, P80 -> 8.2
    assert quintile_bounds(values) == pytest.approx([1, 2.8, 4.6, 6.4, 8.2, 10])
    assert quintile_bounds([3, 1, 2, 5, 4]) == pytest.approx([1, 1.8, 2.6, 3.4, 4.2, 5])
    assert quintile_bounds([1, 2, 3, 4]) == []


def test_quintiles_labels_and_boundaries():
    values = pl.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, None])
    out = quintiles(values)
    assert out.to_list() == [
        "Q1 (lowest)",
        "Q1 (lowest)",
        "Q2",
        "Q2",
        "Q3",
        "Q3",
        "Q4",
        "Q4",
        "Q5 (highest)",
        "Q5 (highest)",
        "not compared",
    ]
    # a value equal to a bound goes to the lower quintile (value <= bound)
    assert quintiles([1, 2, 3, 4, 5]).tolist() == ["Q1 (lowest)", "Q2", "Q3", "Q4", "Q5 (highest)"]
    # six values: rank 5p + 1 is a whole number, so the bounds are data values (20, 30, 40, 50)
    assert quintiles([10, 20, 30, 40, 50, 60]).tolist() == [
        "Q1 (lowest)",
        "Q1 (lowest)",
        "Q2",
        "Q3",
        "Q4",
        "Q5 (highest)",
    ]


def test_quintiles_polarity_only_names_best_and_worst():
    values = np.arange(10.0)
    high = quintiles(values, HIGH)
    low = quintiles(values, LOW)
    assert high[0] == "Q1 (lowest, worst)" and high[-1] == "Q5 (highest, best)"
    assert low[0] == "Q1 (lowest, best)" and low[-1] == "Q5 (highest, worst)"
    assert high[4] == low[4] == "Q3"


def test_quintiles_not_compared_with_fewer_than_5_values():
    out = quintiles(pl.Series([1.0, 2.0, None, 4.0, 5.0]))
    assert out.to_list() == ["not compared"] * 5
