"""explorer.stats.funnel: funnel-plot limits and flags against PHEindicatormethods' published test data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from explorer.stats import funnel_axis, funnel_flag, funnel_limits, wilson
from explorer.stats.funnel import HIGH_001, HIGH_025, LOW_001, LOW_025, NOT_SIG

# ukhsa-collaboration/PHEindicatormethods tests/testthat/testdata_funnel_prop_outputs.csv:
# Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit, Upper3s0001limit (baseline 80.642448)
PROP_BASELINE = 0.80642448
PROP_OUTPUTS = [
    (1, 3.204264, 100, 0, 100),
    (3, 35.933491, 100, 10.150815, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (9998, 79.867989, 81.416907, 79.421375, 81.863521),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]

# tests/testthat/testdata_funnel_prop_inputs.csv: Area, numerator, denominator, significance
PROP_INPUTS = [
    ("New Forest PCT", 35078.488, 41980, HIGH_001),
    ("Norwich PCT", 24803.6256, 31824, LOW_001),
    ("South Gloucestershire PCT", 50050.7443, 61921, NOT_SIG),
    ("West Norfolk PCT", 26789.238, 33012, HIGH_025),
    ("North Devon PCT", 30277.5312, 37828, LOW_025),
    ("North Tees PCT", 36850.0492, 45449, HIGH_025),
    ("St Helens PCT", 37299.262, 46277, NOT_SIG),
    ("East Devon PCT", 21139.2936, 25992, HIGH_025),
]

# tests/testthat/testdata_funnel_rate_outputs.csv ("rate (dsr per 100,000)", baseline 116.1720835,
# 3 years of data): Events, lower_2s_population_1_year, lower_2s_limit, upper_2s_population_1_year,
# upper_2s_limit, lower_3s_population_1_year, lower_3s_limit, upper_3s_population_1_year, upper_3s_limit.
RATE_BASELINE = 116.1720835 / 100000
RATE_YEARS = 3
RATE_OUTPUTS = [
    (
        1,
        1598.675694,
        20.85059119,
        7.264481402,
        4588.535848,
        2649.348525,
        12.58170943,
        0.287087625,
        116108.569,
    ),
    (
        10,
        5276.757672,
        63.17010446,
        1375.943768,
        242.2579623,
        6924.776769,
        48.13632908,
        849.4639547,
        392.4043292,
    ),
    (
        1360,
        411529.9259,
        110.158048,
        369759.5622,
        122.6021934,
        424043.2424,
        106.9073359,
        358342.3275,
        126.5084525,
    ),
]

# tests/testthat/testdata_funnel_rate_dsr_inputs.csv: count, pop, crude_per_100000_with_0,
# crude_per_100000_without_0 (a selection of its 40 rows is checked in full below).
RATE_SIG = """2419,264102,High (0.001),High (0.001)
2337,259711,High (0.001),High (0.001)
2291,289247,High (0.001),High (0.001)
2242,265029,High (0.001),High (0.001)
2218,284649,High (0.001),High (0.001)
2159,293578,High (0.001),High (0.001)
2130,286718,High (0.001),High (0.001)
2111,307381,Not significant,Not significant
2105,274145,High (0.001),High (0.001)
2083,297424,High (0.025),Not significant
2078,272628,High (0.001),High (0.001)
2062,269656,High (0.001),High (0.001)
2061,294692,High (0.025),Not significant
2033,277710,High (0.001),High (0.025)
2033,259213,High (0.001),High (0.001)
2010,285516,High (0.025),Not significant
2004,269449,High (0.001),High (0.001)
2002,290888,Not significant,Not significant
1977,287112,Not significant,Not significant
1944,286492,Not significant,Not significant
1932,287012,Not significant,Not significant
1922,291277,Not significant,Not significant
1912,289859,Not significant,Not significant
1881,289653,Not significant,Low (0.025)
1844,282519,Not significant,Low (0.025)
1835,274220,Not significant,Not significant
1833,280271,Not significant,Low (0.025)
1825,284206,Not significant,Low (0.025)
1816,274508,Not significant,Not significant
1809,288384,Low (0.025),Low (0.001)
1798,287072,Low (0.025),Low (0.001)
1754,282744,Low (0.001),Low (0.001)
1746,289208,Low (0.001),Low (0.001)
1709,287736,Low (0.001),Low (0.001)
1694,296175,Low (0.001),Low (0.001)
1688,303255,Low (0.001),Low (0.001)
1649,285959,Low (0.001),Low (0.001)
1553,274661,Low (0.001),Low (0.001)
1332,281425,Low (0.001),Low (0.001)
0,297820,Low (0.001),"""


def test_proportion_limits_match_phe_published_outputs():
    at = [row[0] for row in PROP_OUTPUTS]
    out = funnel_limits([1], [1], "proportion", 100, baseline=PROP_BASELINE, at=at)
    assert out.columns == ["denominator", "baseline", "lower_95", "upper_95", "lower_998", "upper_998"]
    expected = np.array([row[1:] for row in PROP_OUTPUTS], dtype=float)
    got = out.select("lower_95", "upper_95", "lower_998", "upper_998").to_numpy()
    assert np.allclose(got, expected, atol=2e-6)
    assert out["baseline"].to_list() == pytest.approx([80.642448] * len(at))


def test_proportion_axis_matches_phe_population_column():
    # max denominator in the PHE inputs is 102950 (Sutton and Merton PCT), min > half of it is false
    axis = funnel_axis([41980, 102950])
    assert axis.size == 100
    assert axis[:16].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18]
    assert axis[-5:].tolist() == [72486, 80452, 89294, 99108, 110000]
    assert 1008 in axis and 9998 in axis


def test_proportion_flags_match_phe_published_significance():
    x = [row[1] for row in PROP_INPUTS]
    n = [row[2] for row in PROP_INPUTS]
    out = funnel_flag(pl.Series(x), pl.Series(n), "proportion", baseline=PROP_BASELINE)
    assert out.to_list() == [row[3] for row in PROP_INPUTS]


def test_rate_limits_match_phe_published_poisson_funnel():
    for events, lo_pop, lo95, up_pop, up95, lo_pop3, lo998, up_pop3, up998 in RATE_OUTPUTS:
        at = [lo_pop * RATE_YEARS, up_pop * RATE_YEARS, lo_pop3 * RATE_YEARS, up_pop3 * RATE_YEARS]
        out = funnel_limits([1], [1], "rate", 100000, baseline=RATE_BASELINE, at=at)
        # PHE's bisection stops at 1e-7; agreement to ~1e-6 relative
        assert out["lower_95"][0] == pytest.approx(lo95, rel=1e-5), events
        assert out["upper_95"][1] == pytest.approx(up95, rel=1e-5), events
        assert out["lower_998"][2] == pytest.approx(lo998, rel=1e-5), events
        assert out["upper_998"][3] == pytest.approx(up998, rel=1e-5), events


def test_rate_flags_match_phe_published_significance_with_and_without_zero_row():
    rows = [line.split(",") for line in RATE_SIG.splitlines()]
    x = np.array([float(r[0]) for r in rows])
    n = np.array([float(r[1]) for r in rows])
    with_zero = funnel_flag(x, n, "rate")
    assert with_zero.tolist() == [r[2] for r in rows]
    without_zero = funnel_flag(x[:-1], n[:-1], "rate")
    assert without_zero.tolist() == [r[3] for r in rows[:-1]]


def test_limits_widen_as_denominator_shrinks_and_contain_baseline():
    for statistic, mult in (("proportion", 100), ("rate", 100000)):
        out = funnel_limits(np.array([30.0, 300, 3000]), np.array([1000.0, 10000, 100000]), statistic, mult)
        assert out.height == 100
        base = out["baseline"][0]
        inner = out.filter(pl.col("denominator") >= 50)
        assert (inner["lower_998"] <= inner["lower_95"]).all() and (inner["lower_95"] <= base).all()
        assert (inner["upper_95"] >= base).all() and (inner["upper_998"] >= inner["upper_95"]).all()
        widths = (inner["upper_95"] - inner["lower_95"]).to_numpy()
        assert (np.diff(widths) <= 1e-9).all()


def test_proportion_flag_consistent_with_wilson_interval_of_the_area():
    # An area is outside the 95% funnel exactly when the baseline is outside its own Wilson interval.
    rng = np.random.default_rng(11)
    n = rng.integers(100, 5000, 400).astype(float)
    x = np.floor(rng.uniform(0.2, 0.4, 400) * n)
    base = 0.3
    flags = funnel_flag(x, n, "proportion", baseline=base)
    lo, up = wilson(x, n)
    outside = (base < lo) | (base > up)
    assert np.array_equal(outside, flags != NOT_SIG)


def test_missing_inputs_give_null_flags():
    out = funnel_flag(pl.Series([10.0, None]), pl.Series([100.0, 100.0]), baseline=0.1)
    assert out.to_list() == [NOT_SIG, None]
    with pytest.raises(ValueError):
        funnel_flag([1], [2], "ratio")


@pytest.mark.parametrize("statistic", ["proportion", "rate"])
def test_flag_with_one_baseline_per_area_matches_one_call_per_area(statistic):
    x = np.array([5.0, 40.0, 120.0, 3.0, 900.0, 0.0])
    n = np.array([100.0, 400.0, 1000.0, 50.0, 10000.0, 80.0])
    base = np.array([0.05, 0.2, 0.1, 0.01, 0.08, 0.02])
    together = funnel_flag(x, n, statistic, baseline=base)
    one_by_one = [funnel_flag(xi, ni, statistic, baseline=bi) for xi, ni, bi in zip(x, n, base, strict=True)]
    assert list(together) == one_by_one and len(set(one_by_one)) >= 2
