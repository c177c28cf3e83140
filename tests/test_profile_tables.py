"""The area profile's precomputed tables (explorer.profile_tables), as the build writes them into
the real store: sorted by area, England apart, spread and England figures checked against the
values, and the batched sort used for large stores giving the same file as one sort."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from explorer import paths, profile_tables
from explorer.geography.codes import ENGLAND


@pytest.fixture(scope="module")
def written(store):
    return {name: pl.read_parquet(store.path / name) for name in profile_tables.FILES}


def test_the_build_writes_the_files_with_their_row_counts(store, written):
    assert profile_tables.present(store.path)
    manifest = json.loads((store.path / paths.MANIFEST).read_text())
    assert manifest["profile_rows"] == {name: frame.height for name, frame in written.items()}


def test_headline_rows_are_sorted_by_area_and_leave_england_out(written):
    head = written[paths.PROFILE_HEADLINE]
    assert head.columns == [*profile_tables.HEADLINE_COLUMNS, *profile_tables.TREND_COLUMNS, "cell_id"]
    assert head.height > 100_000
    assert head["area_code"].is_sorted()
    assert head.select(pl.col("period_start").is_sorted().over("area_code")).to_series().all()
    assert not head.filter(profile_tables.is_england()).height
    assert ENGLAND not in set(head["area_code"])


def test_cell_id_numbers_each_indicator_breakdown_and_period_across_areas(written):
    head = written[paths.PROFILE_HEADLINE]
    cells = head.select(*profile_tables.CELL, "cell_id").unique()
    assert cells.height == cells["cell_id"].n_unique() == head.select(profile_tables.CELL).unique().height
    assert head["cell_id"].null_count() == 0 and cells["cell_id"].max() == cells.height - 1
    shared = head.group_by("cell_id").agg(pl.col("area_code").n_unique())
    assert shared["area_code"].max() > 100  # e.g. one QOF period across every CCG


def test_one_headline_series_per_indicator_and_kind_except_sex_only(store, written):
    head = written[paths.PROFILE_HEADLINE]
    per_kind = head.select(profile_tables.KEY).unique().group_by("indicator_id", "area_type").agg(
        pl.len(), pl.col("sex"), pl.col("age").n_unique().alias("ages"))
    assert (per_kind["ages"] == 1).all()
    several = per_kind.filter(pl.col("len") > 1)
    assert set(several["indicator_id"]) == {"healthy-life-expectancy"}
    assert several["sex"].list.sort().to_list()[0] == ["Female", "Male"]
    # every row of a chosen series is kept, every period
    bradford = store.values(indicator="diabetes-recorded-prevalence", areas=["E38000232"], area_type="ccg",
                            age="17+")
    kept = head.filter(pl.col("area_code") == "E38000232", pl.col("indicator_id") == "diabetes-recorded-prevalence")
    assert kept.height == bradford.height > 5 and set(kept["age"]) == {"17+"}


def test_spread_counts_published_rows_only_where_a_period_was_re_estimated(store, written):
    spread = written[paths.PROFILE_SPREAD]
    row = spread.filter(pl.col("indicator_id") == "diabetes-recorded-prevalence", pl.col("area_type") == "ccg",
                        pl.col("period") == "2019/20", pl.col("sex") == "Persons").row(0, named=True)
    published = store.values(indicator="diabetes-recorded-prevalence", area_type="ccg", periods=["2019/20"],
                             age="17+", include_reestimated=False)["value"].to_numpy()
    assert row["n_areas"] == published.size == 135
    assert (row["q25"], row["q75"]) == pytest.approx((np.percentile(published, 25), np.percentile(published, 75)))
    assert (row["minimum"], row["maximum"]) == (published.min(), published.max())
    assert spread.select(profile_tables.SPREAD_KEY).is_unique().all()


def test_england_published_or_summed_from_every_area(store, written):
    england = written[paths.PROFILE_ENGLAND]
    assert england.select(profile_tables.JOIN).is_unique().all()
    summed = england.filter(pl.col("indicator_id") == "doac-share-of-anticoagulant-items",
                            pl.col("summed_n").is_not_null())
    assert summed.height > 0 and set(summed["summed_type"]) == {"sub_icb"} and set(summed["summed_n"]) == {106}
    row = summed.sort("period").row(-1, named=True)
    rows = store.values(indicator="doac-share-of-anticoagulant-items", area_type="sub_icb", periods=[row["period"]])
    assert row["england_value"] == pytest.approx(rows["count"].sum() / rows["denominator"].sum() * 100)
    assert row["england_source"] is None  # worded by the app
    published = england.filter(pl.col("summed_n").is_null())
    assert set(published["england_source"]) <= {"published", "summed by us from the producer's areas"}
    diabetes = published.filter(pl.col("indicator_id") == "diabetes-recorded-prevalence", pl.col("period") == "2019/20",
                                pl.col("age") == "17+")
    assert diabetes["england_value"].item() == pytest.approx(7.0826, abs=1e-4)


def test_batched_sort_writes_the_same_file(store, written, tmp_path, monkeypatch):
    monkeypatch.setattr(profile_tables, "SORT_BATCH_ROWS", 20_000)  # ~10 batches on the real store
    counts = profile_tables.write(store.scan(), store.indicators(), store.areas(), tmp_path, store.table("breaks"))
    assert counts == {name: frame.height for name, frame in written.items()}
    for name in profile_tables.FILES:
        assert_frame_equal(pl.read_parquet(tmp_path / name), written[name])
    assert not list(tmp_path.glob(".*"))  # the unsorted file and the sorted parts are removed
    pq = pytest.importorskip("pyarrow.parquet")
    for folder in (tmp_path, store.path):  # small row groups, so one area is read without the rest
        groups = pq.ParquetFile(folder / paths.PROFILE_HEADLINE).metadata
        assert groups.num_row_groups >= groups.num_rows // profile_tables.ROW_GROUP_SIZE > 10


def test_empty_values_write_empty_files(store, tmp_path):
    counts = profile_tables.write(store.scan().head(0), store.indicators(), store.areas(), tmp_path, None)
    assert set(counts.values()) == {0} and profile_tables.present(tmp_path)


def test_latest_file_holds_each_series_latest_value_with_its_spread_and_england(written):
    head, latest = written[paths.PROFILE_HEADLINE], written[paths.PROFILE_LATEST]
    series = ["area_code", *profile_tables.KEY]
    # the definition, the slow way: the last row (file order) with a value, else the last row
    indexed = head.with_row_index("_i")
    valued = indexed.filter(pl.col("value").is_not_null()).group_by(series).agg(pl.col("_i").max())
    fallback = indexed.group_by(series).agg(pl.col("_i").max()).join(valued, on=series, how="anti", nulls_equal=True)
    picked = pl.concat([valued, fallback])["_i"].sort()
    assert latest.height == head.select(series).unique().height == picked.len()
    assert latest.height < head.height / 2  # every period of a series in the headline, one row here
    assert_frame_equal(latest.select(head.columns), head[picked])
    assert latest["area_code"].is_sorted() and latest.select(series).is_unique().all()
    assert latest["value"].null_count() > 0  # series with no value at all keep a row (for the topic list)
    for name, key, columns in ((paths.PROFILE_SPREAD, profile_tables.SPREAD_KEY, profile_tables.SPREAD_COLUMNS),
                               (paths.PROFILE_ENGLAND, profile_tables.JOIN, profile_tables.ENGLAND_COLUMNS)):
        joined = latest.select(key).join(written[name], on=key, how="left", nulls_equal=True, maintain_order="left")
        assert_frame_equal(latest.select(columns), joined.select(columns))
    assert latest["n_areas"].null_count() < latest.height and latest["england_value"].null_count() < latest.height


def test_peer_values_are_every_row_with_a_value_in_some_areas_latest_cell(written):
    head, latest, peers = (written[name] for name in (paths.PROFILE_HEADLINE, paths.PROFILE_LATEST,
                                                      paths.PROFILE_PEERS))
    cells = latest.filter(pl.col("value").is_not_null())["cell_id"].unique().implode()
    expected = head.filter(pl.col("value").is_not_null(), pl.col("cell_id").is_in(cells))
    assert_frame_equal(peers, expected.select(profile_tables.PEER_COLUMNS))
    assert 0 < peers.height < head.height
