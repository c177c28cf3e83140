"""explorer.stats.trend: Fingertips recent-trend marker (TrendMarkerCalculator.cs)."""

from __future__ import annotations

import polars as pl
import pytest

from explorer.stats import recent_trend, recent_trend_by_group
from explorer.stats.trend import CHI_SQUARE_THRESHOLD, trend_statistics

HIGH, LOW, NONE = "high is good", "low is good", "no judgement"


def ci(values, half_width):
    return [v - half_width for v in values], [v + half_width for v in values]


# --- published test cases ---------------------------------------------------------------------
# ukhsa-collaboration/fingertips-open PholioVisualisationWS/AnalysisTest/TrendMarkerCalculatorTest.cs,
# GetTrendData_Set1 (years 2014..2018, listed there newest first) -> significant, chi-square 46.77;
# GetTrendData_Set2 -> not significant.
SET1 = {
    "value": [24.67, 24.6, 28, 30.2, 30.6],
    "lower": [23.16, 23.15, 26.44, 28.63, 28.98],
    "upper": [26.25, 26.19, 29.64, 31.9, 32.25],
}
SET2 = {
    "value": [20.5506, 19.5952, 19.0349, 21.3966, 18.4372],
    "lower": [18.1803, 17.3444, 16.8421, 19.0918, 16.2925],
    "upper": [23.1427, 22.0602, 21.4394, 23.8975, 20.7941],
}


def test_fingertips_published_significant_case():
    result = recent_trend(SET1["value"], SET1["lower"], SET1["upper"], HIGH)
    assert round(result.chi_square, 2) == 46.77
    assert result.label == "Increasing and getting better"
    assert result.points_used == 5 and result.reason is None
    assert (
        recent_trend(SET1["value"], SET1["lower"], SET1["upper"], LOW).label == "Increasing and getting worse"
    )
    assert recent_trend(SET1["value"], SET1["lower"], SET1["upper"], NONE).label == "Increasing"


def test_fingertips_published_not_significant_case():
    result = recent_trend(SET2["value"], SET2["lower"], SET2["upper"], HIGH)
    assert result.label == "No significant change"
    assert result.chi_square < CHI_SQUARE_THRESHOLD


# --- constructed series with known answers ----------------------------------------------------
def test_unit_weights_give_textbook_least_squares():
    # 95% half-width 1.96 -> SE = 3.92/3.92 = 1, weights 1. t = 1..5: S1 = 5, S3 = 15, S5 = 55.
    # slope 1 -> SE(slope) = sqrt(5 / (5*55 - 15^2)) = sqrt(0.1), chi-square = 1 / 0.1 = 10 > 9.5495.
    values = [10.0, 11.0, 12.0, 13.0, 14.0]
    lower, upper = ci(values, 1.96)
    result = recent_trend(values, lower, upper, HIGH)
    assert result.slope == pytest.approx(1.0)
    assert result.chi_square == pytest.approx(10.0)
    assert result.label == "Increasing and getting better"
    # slope 0.9 -> chi-square 8.1 < 9.5495: not significant
    values = [10.0, 10.9, 11.8, 12.7, 13.6]
    lower, upper = ci(values, 1.96)
    result = recent_trend(values, lower, upper, HIGH)
    assert result.chi_square == pytest.approx(8.1)
    assert result.label == "No significant change"


def test_decreasing_labels_by_polarity():
    values = [14.0, 13.0, 12.0, 11.0, 10.0]
    lower, upper = ci(values, 1.96)
    assert recent_trend(values, lower, upper, HIGH).label == "Decreasing and getting worse"
    assert recent_trend(values, lower, upper, LOW).label == "Decreasing and getting better"
    assert recent_trend(values, lower, upper, NONE).label == "Decreasing"


def test_leave_one_out_sign_check_blocks_a_trend_driven_by_one_point():
    values = [1.0, 0.9, 0.8, 0.7, 10.0]
    lower, upper = ci(values, 0.0196)  # SE 0.01: every fit is very precise
    chi2, slope, loo = trend_statistics(values, lower, upper)
    assert slope > 0 and chi2 > CHI_SQUARE_THRESHOLD  # the full fit alone would call it significant
    assert loo[4] < 0 and all(s > 0 for s in loo[:4])  # leaving out the last point reverses the slope
    assert recent_trend(values, lower, upper, HIGH).label == "No significant change"


def test_only_the_last_five_points_are_used():
    values = [100.0, -50.0, 10.0, 11.0, 12.0, 13.0, 14.0]
    lower, upper = ci(values, 1.96)
    result = recent_trend(values, lower, upper, HIGH)
    assert result.chi_square == pytest.approx(10.0)


# --- cannot be calculated ---------------------------------------------------------------------
def test_fewer_than_five_points():
    result = recent_trend([1.0, 2.0, 3.0, 4.0], [0.0] * 4, [5.0] * 4, HIGH)
    assert result.label == "Cannot be calculated" and "fewer than 5" in result.reason
    assert result.chi_square is None


def test_missing_interval_in_last_five():
    values = [10.0, 11.0, 12.0, 13.0, 14.0]
    lower, upper = ci(values, 1.96)
    lower[2] = None
    result = recent_trend(pl.Series(values), pl.Series(lower), pl.Series(upper), HIGH)
    assert result.label == "Cannot be calculated" and "missing" in result.reason


def test_zero_width_interval():
    values = [10.0, 11.0, 12.0, 13.0, 14.0]
    result = recent_trend(values, values, values, HIGH)
    assert result.label == "Cannot be calculated" and "width" in result.reason


def test_break_in_series_inside_window_blocks_the_trend():
    values = [9.0, 10.0, 11.0, 12.0, 13.0, 14.0]
    lower, upper = ci(values, 1.96)
    inside = [False, False, False, True, False, False]
    result = recent_trend(values, lower, upper, HIGH, breaks=inside)
    assert result.label == "Cannot be calculated" and "break" in result.reason
    # a break flagged on the oldest of the five starts the comparable run: allowed
    first_of_window = [False, True, False, False, False, False]
    assert (
        recent_trend(values, lower, upper, HIGH, breaks=first_of_window).label
        == "Increasing and getting better"
    )
    before_window = [True, False, False, False, False, False]
    assert (
        recent_trend(values, lower, upper, HIGH, breaks=before_window).label
        == "Increasing and getting better"
    )


def test_non_consecutive_years():
    values = [10.0, 11.0, 12.0, 13.0, 14.0]
    lower, upper = ci(values, 1.96)
    result = recent_trend(values, lower, upper, HIGH, periods=[2015, 2016, 2017, 2019, 2020])
    assert result.label == "Cannot be calculated" and "consecutive" in result.reason
    ok = recent_trend(values, lower, upper, HIGH, periods=[2016, 2017, 2018, 2019, 2020])
    assert ok.label == "Increasing and getting better"


def test_by_group_sorts_by_period():
    rows = []
    for area, step in (("A", 1.0), ("B", 0.0)):
        for year in (2020, 2016, 2018, 2017, 2019):  # deliberately unsorted
            v = 10.0 + step * (year - 2016)
            rows.append((area, year, v, v - 1.96, v + 1.96))
    frame = pl.DataFrame(
        rows, schema=["area", "period_start", "value", "lower_ci95", "upper_ci95"], orient="row"
    )
    out = recent_trend_by_group(frame, ["area"], HIGH).sort("area")
    assert out["recent_trend"].to_list() == ["Increasing and getting better", "No significant change"]
    assert out["trend_chi_square"][0] == pytest.approx(10.0)
