import datetime as dt

import polars as pl
import pytest

from explorer.store import Store, StoreMissing


def test_indicator_slice_equals_filter(store):
    all_rows = store.all_values()
    for indicator_id in ["diabetes-recorded-prevalence", "campylobacter-rate", "ae-attendances"]:
        sliced = store.indicator_slice(indicator_id)
        filtered = all_rows.filter(pl.col("indicator_id") == indicator_id)
        assert sliced.height == filtered.height > 0
        assert sliced.equals(filtered)


def test_values_filters_combine(store):
    rows = store.values(indicator="diabetes-recorded-prevalence", area_type="ccg", periods=["2019/20"],
                        areas=["E38000006"], include_reestimated=False)
    assert rows.height == 1
    row = rows.row(0, named=True)
    # NHS Digital QOF 2019-20, sheet DM, NHS Barnsley CCG (02P): register 16496, list 17+ 212961.
    assert (row["count"], row["denominator"]) == (16496.0, 212961.0)
    assert round(row["value"], 6) == 7.746019
    assert row["lower_ci95"] < row["value"] < row["upper_ci95"]
    assert row["ci_method"] == "recomputed: Wilson score"


def test_period_range_and_unknown_indicator(store):
    rows = store.values(indicator="ae-attendances", area_type="england",
                        period_from=dt.date(2018, 1, 1), period_to=dt.date(2018, 12, 31))
    assert set(rows["period_start"].dt.year().unique()) == {2018}
    assert store.values(indicator="no-such-indicator").is_empty()
    assert store.values(indicator=[]).is_empty()


def test_current_boundaries_give_one_series_per_icb(store):
    icb = store.values(indicator="diabetes-recorded-prevalence", boundaries="icb", age="17+")
    per_period = icb.group_by("period").agg(pl.col("area_code").n_unique().alias("n"), pl.len())
    assert (per_period["n"] == per_period["len"]).all()  # no area twice in a period
    assert per_period.filter(pl.col("period") == "2019/20")["n"].item() == 42
    assert set(icb["status"].unique()) == {"re-estimated"}
    ccg = store.values(indicator="diabetes-recorded-prevalence", boundaries="ccg", periods=["2018/19"])
    latest = set(store.latest_codes().filter(pl.col("area_type") == "ccg")["area_code"])
    assert set(ccg["area_code"]) <= latest and len(latest) == 106


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreMissing, match="python -m explorer build"):
        Store.open(tmp_path)
