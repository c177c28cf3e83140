"""explorer.stats.spc: Making Data Count XmR charts (NHSRplotthedots)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from explorer.stats import xmr
from explorer.stats.spc import (
    COMMON,
    CONCERN,
    IMPROVEMENT,
    NEUTRAL,
    RULE_OUTSIDE,
    RULE_SHIFT,
    RULE_TREND,
    RULE_TWO_OF_THREE,
)

# nhs-r-community/NHSRplotthedots vignettes/NHSRplotthedots.Rmd ("screen_outliers = TRUE by default"):
# caption "UPL = 4.6, Mean = 1.94, LPL = -0.72"; the 10 is the only special-cause point.
VIGNETTE = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
COLUMNS = [
    "x",
    "y",
    "mean",
    "ucl",
    "lcl",
    "upper_2sigma",
    "lower_2sigma",
    "special_cause",
    "rule",
    "variation",
    "trial_limits",
]


def alternating(n: int, low: float = 10.0, high: float = 12.0) -> list[float]:
    return [low if i % 2 == 0 else high for i in range(n)]


def flagged(frame: pl.DataFrame, rule: str) -> list[int]:
    return [i for i, r in enumerate(frame["rule"].to_list()) if r is not None and rule in r]


def test_published_vignette_limits_with_outlier_screening():
    frame, summary = xmr(VIGNETTE)
    assert frame.columns == COLUMNS
    assert (
        round(summary["ucl"], 2) == 4.6
        and round(summary["mean"], 2) == 1.94
        and round(summary["lcl"], 2) == -0.72
    )
    # moving ranges 8 and 9 are >= 3.267 x mean mR (32/17) and are dropped: mean mR = 15/15 = 1
    assert frame["ucl"][0] - frame["mean"][0] == pytest.approx(2.66)
    assert frame["upper_2sigma"][0] - frame["mean"][0] == pytest.approx(2 * 2.66 / 3)
    assert frame["special_cause"].to_list() == [i == 4 for i in range(len(VIGNETTE))]
    assert frame["rule"][4] == RULE_OUTSIDE and frame["variation"][4] == IMPROVEMENT


def test_without_screening_all_moving_ranges_count():
    _, summary = xmr(VIGNETTE, screen_outliers=False)
    assert summary["ucl"] == pytest.approx(35 / 18 + 2.66 * 32 / 17)


def test_variation_depends_on_polarity():
    frame, _ = xmr(VIGNETTE, polarity="low is good")
    assert frame["variation"][4] == CONCERN
    frame, _ = xmr(VIGNETTE, polarity="no judgement")
    assert frame["variation"][4] == NEUTRAL
    assert set(frame["variation"].to_list()) == {COMMON, NEUTRAL}


def test_rule_run_of_seven_increasing_points():
    values = alternating(8) + [9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0] + alternating(7)
    frame, _ = xmr(values)
    assert flagged(frame, RULE_TREND) == list(range(8, 15))
    assert not flagged(frame, RULE_OUTSIDE) and not flagged(frame, RULE_SHIFT)


def test_six_increasing_points_are_not_a_trend_and_a_tie_breaks_the_run():
    six = alternating(8) + [9.5, 10.0, 10.5, 11.0, 11.5, 12.0] + alternating(7, 10.0, 11.0)
    frame, _ = xmr(six)
    assert not flagged(frame, RULE_TREND)
    tie = alternating(8) + [9.0, 9.5, 10.0, 10.0, 11.0, 11.5, 12.0] + alternating(7)
    frame, _ = xmr(tie)
    assert not flagged(frame, RULE_TREND)


def test_rule_seven_decreasing_points_low_is_good_is_improvement_below_mean():
    values = alternating(8) + [12.0, 11.5, 11.0, 10.5, 10.0, 9.5, 9.0] + alternating(7)
    frame, _ = xmr(values, polarity="low is good")
    assert flagged(frame, RULE_TREND) == list(range(8, 15))
    mean = frame["mean"][0]
    for i in range(8, 15):  # point type follows the side of the mean, as NHSRplotthedots does
        expected = IMPROVEMENT if frame["y"][i] < mean else CONCERN
        assert frame["variation"][i] == expected


def test_rule_two_of_three_beyond_two_sigma_same_side():
    values = alternating(20) + [16.0, 11.5, 16.0] + alternating(19)
    frame, _ = xmr(values)
    mean, upper2, ucl = frame["mean"][0], frame["upper_2sigma"][0], frame["ucl"][0]
    assert upper2 < 16.0 < ucl and mean < 11.5  # both 16s in the near-limit band; all three above the mean
    assert flagged(frame, RULE_TWO_OF_THREE) == [20, 22]  # only the near-limit points are flagged
    assert frame["rule"].drop_nulls().to_list() == [RULE_TWO_OF_THREE] * 2
    assert frame["variation"][20] == IMPROVEMENT and frame["variation"][21] == COMMON
    # a single point in the band is not enough
    frame, _ = xmr(alternating(20) + [16.0, 11.5, 11.5] + alternating(19))
    assert not flagged(frame, RULE_TWO_OF_THREE)
    # two in the band, but the middle point is below the mean: not all on one side
    frame, _ = xmr(alternating(20) + [16.0, 10.0, 16.0] + alternating(19))
    assert frame["upper_2sigma"][0] < 16.0 < frame["ucl"][0] and frame["mean"][0] > 10.0
    assert not flagged(frame, RULE_TWO_OF_THREE)


def test_rule_seven_points_one_side_of_mean():
    values = alternating(9) + [11.8, 12.2, 11.9, 12.1, 11.8, 12.2, 11.9] + alternating(7)
    frame, _ = xmr(values)
    mean = frame["mean"][0]
    assert values[8] < mean and values[16] < mean and all(v > mean for v in values[9:16])
    assert flagged(frame, RULE_SHIFT) == list(range(9, 16))
    six = alternating(9) + [11.8, 12.2, 11.9, 12.1, 11.8, 12.2] + alternating(8)
    frame, _ = xmr(six)
    assert not flagged(frame, RULE_SHIFT)


def test_several_rules_on_one_point_are_all_reported():
    values = [10.0, 11.0] * 8 + [30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0]
    frame, _ = xmr(values)
    assert RULE_OUTSIDE in frame["rule"][-1] and RULE_TREND in frame["rule"][-1]
    assert "; " in frame["rule"][-1]


def test_trial_limits_below_12_points():
    frame, summary = xmr(alternating(11))
    assert frame["trial_limits"].all() and summary["trial_limits"]
    frame, summary = xmr(alternating(12))
    assert not frame["trial_limits"].any() and not summary["trial_limits"]


def test_rebase_recalculates_limits_per_segment():
    rng = np.random.default_rng(3)
    before = list(10 + rng.normal(0, 0.5, 15))
    after = list(20 + rng.normal(0, 0.5, 15))
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=30 * i) for i in range(30)]
    unbased, _ = xmr(before + after, x=dates)
    assert unbased["special_cause"].sum() > 10  # one set of limits: the step shows as special cause
    frame, summary = xmr(before + after, x=dates, rebase=[dates[15]])
    assert frame["mean"][0] == pytest.approx(np.mean(before)) and frame["mean"][29] == pytest.approx(
        np.mean(after)
    )
    assert frame["ucl"][0] != frame["ucl"][29]
    assert summary["segments"] == 2 and summary["latest_x"] == dates[29]
    assert frame["trial_limits"].to_list() == [False] * 30
    short, _ = xmr(before + after, x=dates, rebase=[dates[25]])
    assert short["trial_limits"].to_list() == [False] * 25 + [True] * 5
    with pytest.raises(ValueError):
        xmr(before + after, x=dates, rebase=[dt.date(1999, 1, 1)])


def test_assurance_against_target():
    values = alternating(20)  # mean 11, limits 11 -/+ 5.32
    assert xmr(values, target=20)[1]["assurance"] == "consistently failing"
    assert xmr(values, target=3)[1]["assurance"] == "consistently passing"
    assert xmr(values, target=11)[1]["assurance"] == "hit and miss"
    assert xmr(values, polarity="low is good", target=20)[1]["assurance"] == "consistently passing"
    assert xmr(values, polarity="no judgement", target=20)[1]["assurance"] is None
    assert xmr(values)[1]["assurance"] is None


def test_summary_and_invalid_input():
    frame, summary = xmr(VIGNETTE, polarity="low is good")
    assert summary["latest_variation"] == COMMON and summary["points"] == 18
    with pytest.raises(ValueError):
        xmr([1.0, None, 2.0])
