"""explorer.stats.intervals: Wilson, Byar/exact Poisson, crude rates, ISRs, means.

Checked against (1) a real native Fingertips export, (2) NHS Digital QOF prevalence, (3) values
worked by hand, (4) independent implementations (scipy chi-square, statsmodels), and (5) properties.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from explorer.paths import RAW_DIR
from explorer.stats import Z95, Z998, byar, crude_rate_ci, exact_poisson, isr, mean_ci, smr, wilson

CAMPYLOBACTER = RAW_DIR / "ohid_fingertips_native" / "indicators-CountyUA.data.csv"
QOF_1314 = RAW_DIR / "nhsd_qof_ccg" / "qof_1314_prevalencebyccg.csv"


def agrees_to_sig_figs(computed: np.ndarray, published: np.ndarray, figures: int = 4) -> np.ndarray:
    """True where |computed - published| <= half a unit in the published value's `figures`-th figure."""
    exponent = np.floor(np.log10(np.abs(published)))
    return np.abs(computed - published) <= 0.5 * 10.0 ** (exponent - (figures - 1))


def read_campylobacter() -> pl.DataFrame:
    frame = pl.read_csv(CAMPYLOBACTER, infer_schema_length=0)  # every column as text
    frame = frame.rename({frame.columns[0]: frame.columns[0].lstrip("\ufeff")})  # BOM-proof
    numeric = {
        "Value": "value",
        "Count": "count",
        "Denominator": "denominator",
        "Lower CI 95.0 limit": "lower95",
        "Upper CI 95.0 limit": "upper95",
        "Lower CI 99.8 limit": "lower998",
        "Upper CI 99.8 limit": "upper998",
    }
    return frame.with_columns(pl.col(k).cast(pl.Float64).alias(v) for k, v in numeric.items())


# --- the native Fingertips export -------------------------------------------------------------
def test_campylobacter_file_reads_with_embedded_newline_and_expected_shape():
    frame = read_campylobacter()
    assert frame.columns[0] == "Indicator ID"
    assert frame.height == 852
    assert frame["Indicator Name"][0].startswith("Campylobacter incidence rate/100,000")
    assert set(frame["Indicator ID"].unique()) == {"93356"}


def test_campylobacter_values_are_count_over_denominator_per_100000():
    frame = read_campylobacter().filter(pl.col("count").is_not_null())
    expected = frame["count"] / frame["denominator"] * 100000
    assert frame.height > 0
    assert np.allclose(frame["value"].to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_campylobacter_published_95_limits_all_ages_are_exact_poisson():
    """The 'All ages' rows were published with exact Poisson limits for every count."""
    rows = read_campylobacter().filter((pl.col("Age") == "All ages") & pl.col("lower95").is_not_null())
    lower, upper = crude_rate_ci(rows["count"], rows["denominator"], 100000, 0.95, method="exact")
    assert rows.height == 453
    assert agrees_to_sig_figs(lower.to_numpy(), rows["lower95"].to_numpy()).all()
    assert agrees_to_sig_figs(upper.to_numpy(), rows["upper95"].to_numpy()).all()
    # and far closer than 4 figures: identical method
    assert np.allclose(lower.to_numpy(), rows["lower95"].to_numpy(), rtol=1e-6)


def test_campylobacter_published_95_limits_0_9_years_are_byar_with_z_1_96():
    """The '0-9 yrs' rows were published with Byar's method for every count (even 1 and 2), z = 1.96."""
    rows = read_campylobacter().filter((pl.col("Age") == "0-9 yrs") & pl.col("lower95").is_not_null())
    lower, upper = crude_rate_ci(rows["count"], rows["denominator"], 100000, method="byar only", z=1.96)
    assert rows.height == 302
    assert rows["count"].min() == 1  # small counts included
    assert agrees_to_sig_figs(lower.to_numpy(), rows["lower95"].to_numpy()).all()
    assert agrees_to_sig_figs(upper.to_numpy(), rows["upper95"].to_numpy()).all()
    assert np.allclose(lower.to_numpy(), rows["lower95"].to_numpy(), rtol=1e-8)


def test_campylobacter_every_published_95_row_reproduced_to_4_significant_figures():
    frame = read_campylobacter()
    published = frame.filter(pl.col("lower95").is_not_null() & pl.col("upper95").is_not_null())
    compared = 0
    for age, kwargs in {
        "All ages": {"method": "exact"},
        "0-9 yrs": {"method": "byar only", "z": 1.96},
    }.items():
        rows = published.filter(pl.col("Age") == age)
        lower, upper = crude_rate_ci(rows["count"], rows["denominator"], 100000, **kwargs)
        assert agrees_to_sig_figs(lower.to_numpy(), rows["lower95"].to_numpy()).all()
        assert agrees_to_sig_figs(upper.to_numpy(), rows["upper95"].to_numpy()).all()
        compared += rows.height
    assert compared == published.height == 755
    # No 99.8% limits are published in this export, so there is nothing to compare at that level.
    assert frame["lower998"].null_count() == frame.height
    assert frame["upper998"].null_count() == frame.height


def test_campylobacter_default_rule_agrees_to_3_figures_where_count_at_least_10():
    """PHEindicatormethods' default (exact < 10, Byar >= 10, z = qnorm(0.975)) -- the rule used when we
    recompute -- differs from these published variants only in the 4th figure for counts >= 10."""
    rows = read_campylobacter().filter(pl.col("lower95").is_not_null() & (pl.col("count") >= 10))
    lower, upper = crude_rate_ci(rows["count"], rows["denominator"])
    assert rows.height > 700
    assert agrees_to_sig_figs(lower.to_numpy(), rows["lower95"].to_numpy(), 3).all()
    assert agrees_to_sig_figs(upper.to_numpy(), rows["upper95"].to_numpy(), 3).all()


# --- QOF prevalence (NHS Digital) -------------------------------------------------------------
def test_qof_prevalence_is_register_over_list_size_and_wilson_brackets_it():
    qof = pl.read_csv(QOF_1314)
    x, n = qof["disease_register_size"], qof["ccg_listsize"]
    assert qof.height > 5000
    assert np.allclose((x / n * 100).to_numpy(), qof["prevalence"].to_numpy(), atol=1e-8)
    lower, upper = wilson(x, n)
    lo998, up998 = wilson(x, n, 0.998)
    p = qof["prevalence"].to_numpy()
    assert (lower.to_numpy() * 100 <= p).all() and (p <= upper.to_numpy() * 100).all()
    assert (lo998.to_numpy() <= lower.to_numpy()).all() and (upper.to_numpy() <= up998.to_numpy()).all()


def test_qof_wilson_hand_computed_values():
    qof = pl.read_csv(QOF_1314).filter(pl.col("ccgcode") == "00C")
    af = qof.filter(pl.col("indicator_group") == "AF").row(0, named=True)
    ast = qof.filter(pl.col("indicator_group") == "AST").row(0, named=True)
    assert (af["disease_register_size"], af["ccg_listsize"]) == (1880, 106303)
    # By hand, z = 1.959964: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
    #   2x + z^2 = 3763.841459, z sqrt(3.841459 + 7520 x 0.982315) = 168.53..., 2(n + z^2) = 212613.68
    lower, upper = wilson(af["disease_register_size"], af["ccg_listsize"])
    assert lower * 100 == pytest.approx(1.69102, abs=5e-6)
    assert upper * 100 == pytest.approx(1.84952, abs=5e-6)
    lower, upper = wilson(ast["disease_register_size"], ast["ccg_listsize"])
    assert lower * 100 == pytest.approx(5.89307, abs=5e-6)
    assert upper * 100 == pytest.approx(6.17938, abs=5e-6)
    lower, upper = wilson(1880, 106303, 0.998)
    assert (lower * 100, upper * 100) == pytest.approx((1.64787, 1.89786), abs=5e-6)


def test_wilson_matches_statsmodels_on_all_qof_rows():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    qof = pl.read_csv(QOF_1314)
    x, n = qof["disease_register_size"].to_numpy(), qof["ccg_listsize"].to_numpy()
    lower, upper = wilson(x, n)
    ref_lower, ref_upper = proportion.proportion_confint(x, n, alpha=0.05, method="wilson")
    assert np.allclose(lower, ref_lower, rtol=1e-10) and np.allclose(upper, ref_upper, rtol=1e-10)


# --- reference formulas and worked values -----------------------------------------------------
def test_z_values():
    assert pytest.approx(1.959964, abs=1e-6) == Z95
    assert pytest.approx(3.090232, abs=1e-6) == Z998


def test_byar_hand_computed():
    # x = 100, z = 1.959964: 100 (1 - 1/900 - z/30)^3 and 101 (1 - 1/909 + z/(3 sqrt 101))^3
    lower, upper = byar(100)
    assert lower == pytest.approx(100 * (1 - 1 / 900 - Z95 / 30) ** 3, rel=1e-12)
    assert lower == pytest.approx(81.36210, abs=5e-5)
    assert upper == pytest.approx(121.62794, abs=5e-5)
    # confidence given as a percentage, as PHEindicatormethods accepts
    assert byar(100, 95) == byar(100, 0.95)


def test_exact_poisson_below_10_matches_chi_square_form():
    counts = np.arange(0, 10)
    lower, upper = byar(counts)
    ref_lower = np.where(counts > 0, chi2.ppf(0.025, 2 * np.maximum(counts, 1)) / 2, 0.0)
    ref_upper = chi2.ppf(0.975, 2 * counts + 2) / 2
    assert np.allclose(lower, ref_lower, rtol=1e-12) and np.allclose(upper, ref_upper, rtol=1e-12)
    assert byar(0) == (0.0, pytest.approx(3.688879, abs=1e-6))  # the "rule of 3.69" for zero events
    lo, up = exact_poisson(np.array([37.0]))
    assert lo[0] == pytest.approx(chi2.ppf(0.025, 74) / 2, rel=1e-12)
    assert up[0] == pytest.approx(chi2.ppf(0.975, 76) / 2, rel=1e-12)


def test_byar_switches_at_10():
    lower, _ = byar(np.array([9.0, 10.0]))
    assert lower[0] == pytest.approx(chi2.ppf(0.025, 18) / 2)
    assert lower[1] == pytest.approx(10 * (1 - 1 / 90 - Z95 / (3 * math.sqrt(10))) ** 3)


def test_byar_only_negative_lower_is_missing_like_phe():
    lower, upper = byar(1, 0.998, method="byar only")
    assert math.isnan(lower) and upper > 1


def test_crude_rate_scales_by_multiplier_over_denominator():
    lower, upper = crude_rate_ci(50, 20000, 100000)
    lo_count, up_count = byar(50)
    assert lower == pytest.approx(lo_count / 20000 * 100000)
    assert upper == pytest.approx(up_count / 20000 * 100000)
    assert all(math.isnan(v) for v in crude_rate_ci(5, 0))


def test_isr_and_smr():
    value, lower, upper = isr(120, 100)
    assert value == pytest.approx(120.0)
    lo, up = byar(120)
    assert (lower, upper) == pytest.approx((lo, up))  # x 100 / 100
    assert smr is isr
    value, lower, upper = isr(np.array([5.0]), np.array([10.0]))
    assert lower[0] == pytest.approx(chi2.ppf(0.025, 10) / 2 / 10 * 100)


def test_mean_ci_student_t():
    lower, upper = mean_ci(10.0, 2.0, 25)
    half = 2.063899 * 2.0 / 5.0  # qt(0.975, 24) = 2.063899
    assert (lower, upper) == pytest.approx((10 - half, 10 + half), abs=1e-6)
    assert all(math.isnan(v) for v in mean_ci(1.0, 1.0, 1))


# --- input/output kinds -----------------------------------------------------------------------
def test_series_in_series_out_with_nulls_for_missing_or_impossible():
    lower, upper = wilson(pl.Series([5, None, 12, -1]), pl.Series([10, 10, 10, 10]))
    assert isinstance(lower, pl.Series) and lower.dtype == pl.Float64
    assert lower.null_count() == 3 and upper.null_count() == 3  # null, count > denominator, negative


def test_scalars_in_floats_out_and_arrays_in_arrays_out():
    lower, upper = wilson(1, 4)
    assert isinstance(lower, float) and isinstance(upper, float)
    lower, _ = wilson([1, 2], [4, 4])
    assert isinstance(lower, np.ndarray) and lower.shape == (2,)


def test_polars_expressions_are_accepted():
    frame = pl.DataFrame({"count": [1, 5, 50], "denominator": [100, 100, 100]})
    lower, upper = wilson(pl.col("count"), pl.col("denominator"))
    out = frame.with_columns(lower.alias("lo"), upper.alias("up"))
    ref_lower, ref_upper = wilson(frame["count"], frame["denominator"])
    assert np.allclose(out["lo"].to_numpy(), ref_lower.to_numpy())
    rate_lower, _ = crude_rate_ci(pl.col("count"), pl.col("denominator"), 1000)
    assert frame.select(rate_lower)["lower"][2] == pytest.approx(byar(50)[0] / 100 * 1000)


def test_no_streamlit_import_in_stats_package():
    package = Path(__file__).resolve().parent.parent / "explorer" / "stats"
    for source in package.glob("*.py"):
        assert "streamlit" not in source.read_text(), source.name


# --- properties -------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**7), st.data())
def test_wilson_contains_proportion_and_998_contains_95(n, data):
    x = data.draw(st.integers(0, n))
    lo95, up95 = wilson(x, n)
    lo998, up998 = wilson(x, n, 0.998)
    p = x / n
    assert 0.0 <= lo998 <= lo95 <= p <= up95 <= up998 <= 1.0


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 1000), st.integers(1, 1000), st.integers(2, 50))
def test_wilson_narrows_as_counts_grow_for_fixed_proportion(a, b, factor):
    n = a + b
    x = a
    lo1, up1 = wilson(x, n)
    lo2, up2 = wilson(x * factor, n * factor)
    assert up2 - lo2 < up1 - lo1


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 10**8))
def test_rate_limits_contain_rate_and_998_contains_95(x, n):
    lo95, up95 = crude_rate_ci(x, n)
    lo998, up998 = crude_rate_ci(x, n, confidence=0.998)
    rate = x / n * 100000
    assert lo998 <= lo95 <= rate <= up95 <= up998


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**5), st.integers(2, 50))
def test_rate_limits_narrow_relative_to_rate_as_counts_grow(x, factor):
    n = 10**7
    lo1, up1 = crude_rate_ci(x, n)
    lo2, up2 = crude_rate_ci(x * factor, n * factor)
    assert up2 - lo2 < up1 - lo1
