"""Coherence figures on the real store, for the overlaps listed in data/raw/INVENTORY.md:
healthy life expectancy and adult smoking (ONS vs OHID), QOF prevalence (NHS Digital vs House of
Commons Library, England level) and A&E (NHS England by trust vs by ICB, no common period)."""

from __future__ import annotations

import polars as pl
import pytest

from explorer import coherence, coherence_tables
from explorer.stats import wilson

QOF_IDS = ["diabetes-recorded-prevalence", "asthma-recorded-prevalence", "copd-recorded-prevalence"]


def england_row(comp: coherence.Comparison, sex: str = "Persons") -> dict:
    rows = comp.for_pair().filter(pl.col("area_code") == "E92000001", pl.col("sex") == sex)
    assert rows.height == 1
    return rows.row(0, named=True)


def test_overlaps_are_found_from_the_data(store):
    found = coherence.overlapping_indicators(store)
    for indicator_id in ["healthy-life-expectancy", "smoking-prevalence-adults", "ae-attendances", *QOF_IDS]:
        assert indicator_id in found
    assert "population-total" not in found and "campylobacter-rate" not in found
    assert len(found) == 26


def test_every_overlap_has_its_reasons_written_down(store):
    for indicator_id in coherence.overlapping_indicators(store):
        reasons = coherence.reasons_for(indicator_id)
        missing = {"definition", "population base", "period", "rounding", "modelling"} - set(reasons)
        assert not missing, f"{indicator_id}: no {missing} in coherence_reasons.yaml"


def test_healthy_life_expectancy_periods_never_match_so_nearest_are_compared(store):
    comp = coherence.compare(store, "healthy-life-expectancy")
    assert (comp.a.producer, comp.b.producer) == ("ONS", "OHID (Fingertips)")
    assert comp.level == "areas" and comp.period_match == "nearest"
    assert comp.pairs == [("2018-20", "2016-18")]
    assert any("periods differ" in n for n in comp.notes)
    female = england_row(comp, "Female")
    assert female["value_a"] == pytest.approx(63.87) and female["value_b"] == pytest.approx(63.9)
    assert female["difference"] == pytest.approx(0.03)
    male = england_row(comp, "Male")
    assert male["difference"] == pytest.approx(63.4 - 63.14)
    summary = comp.summary()
    assert summary["areas"] == 147 and summary["comparisons"] == 294
    # No intervals in either file: the share that disagree is left blank, not guessed.
    assert summary["with_intervals"] == 0 and summary["share_beyond"] is None
    assert any("Neither source publishes confidence intervals" in n for n in comp.notes)


def test_healthy_life_expectancy_mean_difference_matches_a_direct_join(store):
    values = store.indicator_slice("healthy-life-expectancy").filter(pl.col("status") == "published")
    ons = values.filter(pl.col("producer") == "ONS", pl.col("period") == "2018-20")
    ohid = values.filter(pl.col("producer") == "OHID (Fingertips)", pl.col("period") == "2016-18")
    joined = ons.join(ohid, on=["area_type", "area_code", "sex"], suffix="_b").filter(
        pl.col("value").is_not_null(), pl.col("value_b").is_not_null())
    expected = (joined["value_b"] - joined["value"]).mean()
    assert coherence.compare(store, "healthy-life-expectancy").summary()["mean_difference"] == pytest.approx(expected)


def test_adult_smoking_compares_2020_with_2018(store):
    comp = coherence.compare(store, "smoking-prevalence-adults")
    assert comp.pairs == [("2020", "2018")] and comp.period_match == "nearest"
    england = england_row(comp)
    assert england["value_a"] == pytest.approx(12.1) and england["value_b"] == pytest.approx(14.4)
    assert england["relative_difference"] == pytest.approx((14.4 - 12.1) / 12.1 * 100)
    assert comp.summary()["share_beyond"] is None


@pytest.mark.parametrize("indicator_id", QOF_IDS)
def test_qof_has_no_common_area_so_england_totals_are_compared(store, indicator_id):
    comp = coherence.compare(store, indicator_id)
    assert (comp.a.producer, comp.b.producer) == ("NHS Digital", "House of Commons Library")
    assert comp.level == "england" and comp.period_match == "same" and comp.pairs == [("2019/20", "2019/20")]
    assert any("No area appears in both" in n for n in comp.notes)
    values = store.indicator_slice(indicator_id).filter(pl.col("period") == "2019/20")
    nhsd = values.filter(pl.col("area_type") == "england", pl.col("status") == "aggregated").row(0, named=True)
    hoc = values.filter(pl.col("producer") == "House of Commons Library", pl.col("area_type") == "ltla")
    assert hoc.height == 314
    hoc_value = hoc["count"].sum() / hoc["denominator"].sum() * 100
    row = comp.for_pair().row(0, named=True)
    assert row["value_a"] == pytest.approx(nhsd["value"])
    assert row["value_b"] == pytest.approx(hoc_value)
    assert row["difference"] == pytest.approx(hoc_value - nhsd["value"])
    lower, upper = wilson(hoc["count"].sum(), hoc["denominator"].sum())
    assert row["lower_b"] == pytest.approx(lower * 100) and row["upper_b"] == pytest.approx(upper * 100)
    apart = row["lower_a"] > row["upper_b"] or row["lower_b"] > row["upper_a"]
    assert row["intervals"] == ("beyond intervals" if apart else "within intervals")


def test_diabetes_england_figures(store):
    row = coherence.compare(store, "diabetes-recorded-prevalence").for_pair().row(0, named=True)
    # NHS Digital: 3,455,176 on the register of 48,783,947 patients aged 17+ in 135 CCGs.
    assert row["value_a"] == pytest.approx(3_455_176 / 48_783_947 * 100)
    assert row["value_b"] == pytest.approx(7.0722, abs=1e-4)
    assert row["difference"] == pytest.approx(-0.0104, abs=1e-4)


def test_ae_trust_and_icb_have_no_common_period(store):
    comp = coherence.compare(store, "ae-attendances")
    assert comp.a.producer == comp.b.producer == "NHS England"
    assert comp.pairs == [] and comp.period_match == "none" and comp.rows.is_empty()
    assert any("3.0 years apart" in n for n in comp.notes)
    assert coherence.publisher_label(comp.a, comp.b, comp.a) == "NHS England (by provider)"
    assert coherence.publisher_label(comp.a, comp.b, comp.b) == "NHS England (by ICB)"


def test_summarise_counts_disagreement_only_where_both_intervals_exist():
    rows = pl.DataFrame({
        "area_code": ["A", "B", "C", "D"], "area_name": ["A", "B", "C", "D"],
        "difference": [1.0, -3.0, 0.5, 2.0], "relative_difference": [10.0, -20.0, 5.0, 10.0],
        "intervals": ["beyond intervals", "within intervals", "no intervals", "beyond intervals"]})
    s = coherence.summarise(rows)
    assert s["with_intervals"] == 3 and s["beyond"] == 2 and s["share_beyond"] == pytest.approx(2 / 3)
    assert s["mean_difference"] == pytest.approx(0.125) and s["max_abs_difference"] == 3.0 and s["max_area"] == "B"


def test_overview_has_one_row_per_overlap(store):
    table = coherence_tables.overview(store)
    assert table.height == 26
    diabetes = table.filter(pl.col("indicator_id") == "diabetes-recorded-prevalence").row(0, named=True)
    assert diabetes["level"] == "England total" and diabetes["main_reason"] == "modelling"
    hle = table.filter(pl.col("indicator_id") == "healthy-life-expectancy").row(0, named=True)
    assert hle["periods"] == "2018-20 vs 2016-18" and hle["main_reason"] == "period" and hle["share_beyond"] is None
    ae = table.filter(pl.col("indicator_id") == "ae-attendances").row(0, named=True)
    assert ae["level"] == "Not comparable"
    links = coherence_tables.overview_table(store)["Compare"].to_list()
    assert "/coherence?i=healthy-life-expectancy" in links


def test_comparison_table_is_the_text_alternative(store):
    comp = coherence.compare(store, "healthy-life-expectancy")
    table = coherence_tables.comparison_table(comp.for_pair(), "ONS", "OHID (Fingertips)")
    assert {"Area", "Sex", "ONS: value", "OHID (Fingertips): value", "Difference", "Intervals"} <= set(table.columns)
    assert table.height == 294
    assert set(table["ONS: 95% interval"].to_list()) == {"not published"}


def test_not_same_as_table(store):
    table = coherence_tables.not_same_as_table(store)
    row = table.filter(pl.col("Measure").str.starts_with("Estimated dementia diagnosis")).row(0, named=True)
    assert row["Is not the same as"].startswith("Dementia")
    assert row["Other link"] == "/indicator?i=dementia-recorded-prevalence"
