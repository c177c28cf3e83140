"""Smoke tests for the benchmark harness (explorer.bench) and the lazy Store it led to.

Small N only and no timing asserts: the harness must build a synthetic store with the real
store's shape, run the pages' functions and the DuckDB replay on it, and a lazily opened store
must answer exactly as an eagerly opened one.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from explorer import paths
from explorer.bench import duck, synthetic
from explorer.bench import queries as bench_queries
from explorer.bench.__main__ import markdown, merge
from explorer.store import Store


@pytest.fixture(scope="module")
def small_store(store, tmp_path_factory):
    """Real rows plus 5,000 rows of a second, renamed copy (so both kinds of id are present)."""
    out = tmp_path_factory.mktemp("bench") / "store"
    return synthetic.generate(store.height + 5_000, source=store.path, out=out, seed=7)


def test_synthetic_store_has_the_real_shape_and_is_labelled(store, small_store):
    manifest = json.loads((small_store / paths.MANIFEST).read_text())
    assert manifest["synthetic"] is True and synthetic.is_synthetic(small_store)
    assert not synthetic.is_synthetic(store.path)
    assert manifest["rows"] == store.height + 5_000 and manifest["copies"] == 2
    values = pl.read_parquet(small_store / paths.VALUES)
    assert values.schema == store.all_values().schema
    assert values["indicator_id"].is_sorted()
    copied = values.filter(pl.col("indicator_id").str.starts_with(synthetic.PREFIX))
    assert copied.height == 5_000 and copied["indicator_id"].str.starts_with("synthetic-0001-").all()
    # Copy 0 keeps the real ids and rows, with values moved by at most 10%.
    real = store.indicator_slice("diabetes-recorded-prevalence")
    fake = Store.open(small_store).indicator_slice("diabetes-recorded-prevalence")
    assert fake.drop(synthetic.INTERVALS).equals(real.drop(synthetic.INTERVALS))
    ratio = (fake["value"] / real["value"]).drop_nulls()
    assert ratio.min() >= 0.9 and ratio.max() <= 1.1 and ratio.n_unique() > 100
    indicators = pl.read_parquet(small_store / "indicators.parquet")
    assert indicators["title"].str.contains("synthetic").all()


def test_synthetic_store_never_overwrites_the_real_one(store):
    with pytest.raises(ValueError, match="refusing"):
        synthetic.generate(10, source=store.path, out=store.path)


@pytest.mark.parametrize("path", ["real", "small"])
def test_lazy_store_answers_as_the_eager_one(store, small_store, path):
    root = store.path if path == "real" else small_store
    eager, lazy = Store.open(root, lazy=False), Store.open(root, lazy=True)
    assert lazy.lazy and not eager.lazy and lazy.height == eager.height
    assert lazy._offsets == eager._offsets
    for indicator_id in ["diabetes-recorded-prevalence", "ae-attendances", "no-such-indicator"]:
        assert lazy.indicator_slice(indicator_id).equals(eager.indicator_slice(indicator_id))
    asks = [dict(indicator="diabetes-recorded-prevalence", area_type="ccg", periods=["2019/20"]),
            dict(indicator=["campylobacter-rate", "ae-attendances"], area_type="england",
                 period_from=dt.date(2018, 1, 1)),
            dict(indicator=[]),
            dict(areas=["E38000006"], include_reestimated=False),
            dict(indicator="diabetes-recorded-prevalence", boundaries="icb", age="17+")]
    for ask in asks:
        assert lazy.values(**ask).equals(eager.values(**ask)), ask
    assert lazy.scan().select(pl.len()).collect().item() == eager.height
    producers = sorted(eager.all_values()["producer"].unique().to_list())
    assert lazy.distinct("producer") == eager.distinct("producer") == producers
    assert lazy.all_values().equals(eager.all_values())


def test_lazy_slice_cache_is_bounded(store, monkeypatch):
    from explorer import store as store_module

    monkeypatch.setattr(store_module, "SLICE_CACHE_ROWS", 1_000)
    lazy = Store.open(store.path, lazy=True)
    for indicator_id in store.indicators()["indicator_id"].to_list()[:20]:
        lazy.indicator_slice(indicator_id)
    cached = sum(frame.height for frame in lazy._cache.values())
    assert len(lazy._cache) == 1 or cached <= 1_000


def test_harness_runs_the_page_functions_and_the_duckdb_replay(small_store, tmp_path):
    out = tmp_path / "polars.json"
    result = bench_queries.run(small_store, out, iterations=2, seed=3)
    names = [q["name"] for q in result["queries"]]
    for expected in ("explore: open an indicator: data", "explore: open an indicator: whole rerun",
                     "profile: open an area: data", "download: change the filter (count + preview)",
                     "catalogue: search", "store: one area, every indicator (values(areas=…))"):
        assert expected in names, (expected, result["notes"])
    assert not [n for n in result["notes"] if "failed" in n or "stopped" in n]
    assert result["rows"] > 0 and result["rss_mb"] > 0 and all(q["n"] >= 1 for q in result["queries"])
    replayed = duck.run(small_store, result["replay"])
    assert {q["name"] for q in replayed["queries"]} == set(result["replay"])
    rows = merge(result, replayed)
    data = next(r for r in rows if r["name"] == "explore: open an indicator: data")
    assert data["duckdb_p95_ms"] is not None and data["ratio"] is not None
    text = markdown({**result, "synthetic": True, "queries": rows}, "python -m explorer.bench --rows 5",
                    {"cpu": "test", "cores": 2, "memory_mb": 1024, "python": "3", "polars": "2",
                     "duckdb": "2", "load_average": [0.0, 0.0, 0.0]})
    assert "| explore: open an indicator: data |" in text and "synthetic" in text


def test_duckdb_queries_return_what_the_page_shows(store):
    """The replayed period rows are the explore page's rows: one per area, same values."""
    from explorer.queries import explore, explore_options

    sel = explore_options.resolve(store, {"i": "diabetes-recorded-prevalence", "at": "ccg", "p": "2019/20"})
    rows = explore.explore(store, sel).frame.sort("area_code")
    con = duck.connect(store.path)
    params = {"i": sel.indicator_id, "at": sel.area_type, "pr": sel.producer, "sx": sel.sex, "ag": sel.age,
              "ct": sel.category, "p": sel.period, "cur": False}
    replayed = duck.fetch(con, duck.PERIOD_ROWS, params).sort("area_code")
    assert replayed["area_code"].to_list() == rows["area_code"].to_list()
    assert replayed["value"].to_list() == rows["value"].to_list()


def test_synthetic_store_has_the_profile_tables_of_its_own_values(small_store, tmp_path):
    from polars.testing import assert_frame_equal

    from explorer import profile_tables
    from explorer.queries import profile

    assert profile_tables.present(small_store)
    again = profile_tables.write(pl.scan_parquet(small_store / paths.VALUES),
                                 pl.read_parquet(small_store / "indicators.parquet"),
                                 pl.read_parquet(small_store / "areas.parquet"), tmp_path,
                                 pl.read_parquet(small_store / "breaks.parquet"))
    assert json.loads((small_store / paths.MANIFEST).read_text())["profile_rows"] == again
    for name in profile_tables.FILES:
        assert_frame_equal(pl.read_parquet(small_store / name), pl.read_parquet(tmp_path / name))
    head = pl.read_parquet(small_store / paths.PROFILE_HEADLINE)
    assert head["indicator_id"].str.starts_with(synthetic.PREFIX).any()
    eager, lazy = Store.open(small_store, lazy=False), Store.open(small_store, lazy=True)
    for code, kind in [("E38000232", "sub_icb"), ("E08000032", "utla")]:
        assert profile.full_profile(lazy, code, kind).equals(profile.full_profile(eager, code, kind))
