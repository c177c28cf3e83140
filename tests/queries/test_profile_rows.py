"""One area's headline rows: read by row range from the area-sorted file (AreaFile, lazy stores)
exactly as sliced from the file held in memory (Sliced, eager stores); bounded cache; an
unsorted file is refused."""

from __future__ import annotations

import polars as pl
import pytest

from explorer import paths
from explorer.queries.profile_rows import AreaFile, Sliced

CODES = ["E38000232", "E08000032", "E54000054", "E12000003", "E38000088", "nowhere"]


@pytest.fixture(scope="module")
def headline(store):
    return store.path / paths.PROFILE_HEADLINE


def test_area_file_reads_what_the_in_memory_slices_hold(headline):
    frame = pl.read_parquet(headline)
    sliced, by_file = Sliced(frame, "area_code"), AreaFile(headline)
    assert len(by_file) == len(sliced) == frame["area_code"].n_unique()
    assert by_file.offsets == sliced.offsets
    for code in CODES:
        assert (code in by_file) == (code in sliced) == (code != "nowhere")
        if code == "nowhere":
            assert by_file.get(code) is None and sliced.get(code) is None
            with pytest.raises(KeyError):
                by_file[code]
            continue
        rows = by_file[code]
        assert rows.equals(sliced[code]) and rows.equals(frame.filter(pl.col("area_code") == code))
        assert rows.height > 0 and by_file.get(code).equals(rows)
    together = by_file.many(CODES)
    assert list(together) == CODES[:-1]
    assert all(together[c].equals(sliced[c]) for c in together)
    assert sliced.many(CODES).keys() == together.keys()


def test_area_cache_is_bounded(headline):
    by_file = AreaFile(headline, cache_rows=1_000)
    for code in list(by_file.offsets)[:30]:
        by_file.get(code)
    cached = sum(f.height for f in by_file._cache.values())
    assert len(by_file._cache) == 1 or cached <= 1_000
    assert 0 < len(by_file._cache) < 30


def test_a_file_not_sorted_by_area_is_refused(headline, tmp_path):
    shuffled = tmp_path / "shuffled.parquet"
    pl.read_parquet(headline).sort("indicator_id", "period_start").write_parquet(shuffled)
    with pytest.raises(ValueError, match="not sorted by area_code"):
        AreaFile(shuffled)


def test_sliced_read_from_the_file_leaves_the_key_column_out(store):
    file = store.path / paths.PROFILE_PEERS
    frame = pl.read_parquet(file)
    read, sliced = Sliced.read(file, "area_code"), Sliced(frame, "area_code")
    assert read.offsets == sliced.offsets and "area_code" not in read.frame.columns
    for code in CODES[:-1]:
        assert read[code].equals(sliced[code].drop("area_code")) and read[code].height > 0
    assert list(read.many(CODES)) == CODES[:-1]
