"""Nearest-neighbour peers on the real IMD 2019, population and Health Index data in the store.

The expected peer lists below are what the method documented in explorer/peers.py gives on the
store built from data/raw: they change only if the raw files or the method change (then check the
new lists make sense and update them here)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from explorer import peers

BRADFORD_SUB_ICB = "E38000232"
# 2019 CCGs that merged into NHS Bradford District and Craven CCG in April 2020
BRADFORD_2019 = {"E38000018": "02W Bradford City", "E38000019": "02R Bradford Districts",
                 "E38000001": "02N Airedale, Wharfedale and Craven"}


@pytest.mark.parametrize(("key", "size"), [("ccg2021", 106), ("sub_icb", 106), ("ccg2019", 191), ("icb", 42)])
def test_nhs_feature_tables_cover_every_area(store, key, size):
    table = peers.feature_table(store, key)
    assert table.height == size
    assert table.null_count().sum_horizontal()[0] == 0


@pytest.mark.parametrize("key", ["ltla", "utla"])
def test_local_authority_feature_tables(store, key):
    table = peers.feature_table(store, key)
    current = store.areas().filter(pl.col("area_type") == key, pl.col("valid_to").is_null()).height
    assert table.height >= 0.9 * current  # only authorities created after the 2021 data are missing
    assert table["share_65"].is_between(5, 40).all() and table["hi_places"].is_between(60, 140).all()


def test_ccg21_imd_is_the_list_weighted_mean_of_the_2019_ccgs_it_was_made_of(store):
    imd = store.values(indicator="imd-average-score", area_type="ccg", periods=["2019"], areas=list(BRADFORD_2019))
    lists = store.values(indicator="hypertension-recorded-prevalence", area_type="ccg", periods=["2018/19"],
                         areas=list(BRADFORD_2019), include_reestimated=False)
    both = imd.select("area_code", "value").join(lists.select("area_code", "denominator"), on="area_code")
    assert both.height == 3
    expected = (both["value"] * both["denominator"]).sum() / both["denominator"].sum()
    got = peers.feature_table(store, "ccg2021").filter(pl.col("area_code") == BRADFORD_SUB_ICB)["imd"][0]
    assert got == pytest.approx(expected) == pytest.approx(34.959, abs=1e-3)


def test_sub_icb_peers_are_deterministic_and_documented(store):
    result = peers.nearest_peers(store, BRADFORD_SUB_ICB, "sub_icb")
    assert result.method.key == "sub_icb" and result.pool_size == 106 and result.left_out == []
    # Black Country, Birmingham and Solihull, Oldham, Bolton, Leicester City, Heywood Middleton and
    # Rochdale, East Lancashire, Stoke-on-Trent, Tees Valley, Salford: big, deprived, young populations
    assert result.codes == ["E38000259", "E38000258", "E38000135", "E38000016", "E38000097", "E38000080",
                            "E38000050", "E38000175", "E38000247", "E38000143"]
    again = peers.distances(peers.feature_table(store, "sub_icb"), result.method, BRADFORD_SUB_ICB)
    assert again["area_code"].head(10).to_list() == result.codes


def test_distance_is_the_weighted_euclidean_distance_of_z_scores(store):
    method = peers.METHODS["sub_icb"]
    table = peers.feature_table(store, "sub_icb")
    cols = [f.column for f in method.features]
    x = table.select(cols).to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0)  # population SD, as documented
    codes = table["area_code"].to_list()
    a, b = codes.index(BRADFORD_SUB_ICB), codes.index("E38000135")
    w = np.array([1.0, 1.0, 0.5, 0.5])
    expected = float(np.sqrt((w * (z[a] - z[b]) ** 2).sum()))
    got = peers.distances(table, method, BRADFORD_SUB_ICB).filter(pl.col("area_code") == "E38000135")["distance"][0]
    assert got == pytest.approx(expected)


def test_ties_are_broken_by_area_code():
    method = peers.Method("t", "test", (peers.Feature("x", "x", 1.0, "test"),))
    table = pl.DataFrame({"area_code": ["E3", "E1", "E0", "E2"], "x": [1.0, 1.0, 0.0, -1.0]})
    order = peers.distances(table, method, "E0")["area_code"].to_list()
    assert order == ["E1", "E2", "E3"]  # all three 1 SD-unit away: code order


def test_old_ccgs_use_the_2019_method_and_peers_of_their_own_configuration(store):
    result = peers.nearest_peers(store, "E38000088", "ccg")  # NHS Islington CCG
    assert result.method.key == "ccg2019" and len(result.codes) == 10
    assert set(result.codes) <= set(peers.feature_table(store, "ccg2019")["area_code"])
    assert "E38000027" in result.codes  # Camden, its neighbour in inner London
    ccg21 = peers.nearest_peers(store, BRADFORD_SUB_ICB, "ccg")
    assert ccg21.method.key == "ccg2021"


def test_local_authority_peers(store):
    result = peers.nearest_peers(store, "E08000032", "utla")  # Bradford
    assert result.method.key == "utla" and len(result.codes) == 10
    assert {"E08000019", "E08000026", "E08000012"} <= set(result.codes)  # Sheffield, Coventry, Liverpool
    assert result.table["rank"].to_list() == list(range(11))
    assert result.table["distance"].is_sorted()


def test_kinds_without_features_have_no_computed_peers(store):
    result = peers.nearest_peers(store, "E12000003", "region")
    assert result.method is None and result.codes == []
    assert peers.describe(peers.METHODS["ltla"])[2].startswith("Health Index: healthy people: weight 1/3")
