"""values_by_area.parquet and `Store.values(areas=…)` read from it: the same rows, in the same order,
as a plain filter of the whole values table, on the real store and on a small seeded synthetic
store; the writer's batched path writes the same file as its one-batch path; stores without the
file still answer."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import polars as pl
import pytest

from explorer import paths, values_by_area
from explorer.bench import synthetic
from explorer.store import Store

# Areas of several kinds whose rows interleave in values.parquet (same indicators and periods),
# so reading them area by area and not restoring the store's order would fail.
AREAS = ["E38000006", "E92000001", "E08000016", "E10000003", "E06000001"]
ASKS = [
    dict(areas=["E38000006"]),
    dict(areas=AREAS),
    dict(areas=list(reversed(AREAS)) + ["E38000006"]),  # order and repeats of the codes do not matter
    dict(areas=AREAS, sex="Persons", include_reestimated=False),
    dict(areas=AREAS, area_type=["ccg", "utla"], period_from=dt.date(2018, 1, 1)),
    dict(areas=["E38000006", "no-such-area"], status="published"),
    dict(areas=["no-such-area"]),
    dict(areas=[]),
    dict(areas=AREAS, boundaries="current"),
]


@pytest.fixture(scope="module")
def small_store(store, tmp_path_factory):
    """Real rows plus 7,000 rows of a renamed copy (seeded), written by the synthetic generator."""
    out = tmp_path_factory.mktemp("by-area") / "store"
    return synthetic.generate(store.height + 7_000, source=store.path, out=out, seed=11)


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_area_reads_equal_a_filter_of_the_whole_table(store, small_store, which):
    root = store.path if which == "real" else small_store
    lazy = Store.open(root, lazy=True)
    assert lazy.by_area() is not None  # the area path is the one under test
    everything = pl.read_parquet(root / paths.VALUES)
    eager = Store.open(root, lazy=False)  # filters the frame in memory, as every store did before
    assert eager.by_area() is None
    for ask in ASKS:
        assert lazy.values(**ask).equals(eager.values(**ask)), ask
    one = lazy.values(areas=AREAS)
    assert one.equals(everything.filter(pl.col("area_code").is_in(AREAS)))
    assert one["area_code"].n_unique() == len(AREAS) and one.schema == everything.schema


def test_every_area_is_one_row_range_with_its_rows_in_store_order(small_store):
    file = small_store / values_by_area.FILE
    copy = pl.read_parquet(file)
    values = pl.read_parquet(small_store / paths.VALUES)
    assert copy.height == values.height
    assert copy.sort(values_by_area.ROW).drop(values_by_area.ROW).equals(values)
    index = values_by_area.read_index(file)
    assert sum(n for _, n in index.values()) == values.height
    for code in ["E38000006", "E92000001"]:
        start, n = index[code]
        rows = copy.slice(start, n)
        assert (rows["area_code"] == code).all() and rows[values_by_area.ROW].is_sorted()
        assert n == values.filter(pl.col("area_code") == code).height


def test_batched_writes_give_the_same_file(store, tmp_path, monkeypatch):
    whole = tmp_path / "whole.parquet"
    values_by_area.write(store.path / paths.VALUES, whole)
    monkeypatch.setattr(values_by_area, "BATCH_ROWS", 40_000)  # ~10 batches of areas
    batched = tmp_path / "batched.parquet"
    assert values_by_area.write(store.path / paths.VALUES, batched) == store.height
    assert pl.read_parquet(batched).equals(pl.read_parquet(whole))
    assert values_by_area.read_index(batched) == values_by_area.read_index(whole)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batched.parquet", "whole.parquet"]  # no parts left


def test_a_store_without_the_area_copy_still_answers(store, tmp_path):
    root = tmp_path / "old"
    shutil.copytree(store.path, root, ignore=shutil.ignore_patterns("boundaries", values_by_area.FILE))
    old = Store.open(root, lazy=True)
    assert old.by_area() is None
    current = Store.open(store.path, lazy=True)
    for ask in ASKS[:4]:
        assert old.values(**ask).equals(current.values(**ask)), ask


def test_a_file_without_its_index_is_a_clear_error(store, tmp_path):
    bare = tmp_path / values_by_area.FILE
    pl.read_parquet(store.path / values_by_area.FILE).write_parquet(bare)
    with pytest.raises(ValueError, match="no area index"):
        values_by_area.read_index(bare)
    assert json.loads(pl.read_parquet_metadata(store.path / values_by_area.FILE)[values_by_area.INDEX_KEY])


def test_whole_area_batches_never_split_an_area():
    counts = pl.DataFrame({"area_code": ["A", "B", "C", "D"], "len": [3, 3, 7, 1]})
    assert values_by_area.whole_area_batches(counts, 6) == [["A", "B"], ["C"], ["D"]]
    assert values_by_area.whole_area_batches(counts.head(0), 6) == [[]]
