"""One area's headline rows for the area profile, as {area_code: rows}. No Streamlit here.

Two ways of holding them, with the same interface (`get`, `[]`, `in`, `len`, `many`, `scan`):

* `Sliced`: a frame in memory sorted by area code, read through zero-copy slices (small stores,
  which read the whole profile_headline.parquet once);
* `AreaFile`: only an offset index (area_code → row range, from one streaming pass over the
  area_code column of the area-sorted profile_headline.parquet); an area's rows are read by row
  range when first asked for (one scan kept open, so the footer is parsed once; the file's small
  row groups keep a read to a couple of milliseconds) and kept in an LRU cache bounded by rows,
  like `Store.indicator_slice` does for indicators.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import polars as pl

# Rows of areas an AreaFile keeps in memory (~5,000 rows an area at 10M values: ~40 areas).
AREA_CACHE_ROWS = int(os.environ.get("EXPLORER_AREA_CACHE_ROWS", 200_000))


class Sliced:
    """A frame sorted by one key column, read as {key: rows} through zero-copy slices (one
    frame in memory instead of a thousand small ones). `Sliced.read` leaves the key column out
    (it is the same on every row of a slice)."""

    def __init__(self, frame: pl.DataFrame, key: str):
        self.frame = frame.sort(key, maintain_order=True)
        runs = self.frame.select(pl.col(key)).with_row_index("_i").group_by(key, maintain_order=True).agg(
            pl.col("_i").min().alias("start"), pl.len().alias("n"))
        self.offsets = {k: (start, n) for k, start, n in runs.iter_rows()}

    @classmethod
    def read(cls, file: Path, key: str) -> Sliced:
        """A file sorted by `key`, read without its key column (offsets from a streaming pass over
        it, as `AreaFile` does): a large file's key strings never take memory."""
        out = cls.__new__(cls)
        out.offsets = _runs(file, key)
        out.frame = pl.read_parquet(file, columns=[c for c in pl.read_parquet_schema(file) if c != key])
        return out

    def get(self, key: str, default=None) -> pl.DataFrame | None:
        hit = self.offsets.get(key)
        return default if hit is None else self.frame.slice(*hit)

    def __getitem__(self, key: str) -> pl.DataFrame:
        return self.frame.slice(*self.offsets[key])

    def __contains__(self, key: object) -> bool:
        return key in self.offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def many(self, keys: Iterable[str]) -> dict[str, pl.DataFrame]:
        """{key: rows} of the keys held (unknown keys left out)."""
        return {k: self[k] for k in keys if k in self}

    def scan(self, keys: Iterable[str]) -> list[pl.LazyFrame]:
        """The rows of each key held, as LazyFrames to select from and filter in one query."""
        return [self[k].lazy() for k in dict.fromkeys(keys) if k in self]


class AreaFile:
    """{key: rows} over a Parquet file sorted by `key`: rows read by row range on demand."""

    def __init__(self, file: Path, key: str = "area_code", cache_rows: int | None = None, keep: object = None):
        self.file = Path(file)
        self.keep = keep  # e.g. the TemporaryDirectory the file lives in: alive as long as we are
        self.cache_rows = AREA_CACHE_ROWS if cache_rows is None else cache_rows
        self.schema = pl.read_parquet_schema(self.file)
        self.offsets = _runs(self.file, key)
        self._cache: OrderedDict[str, pl.DataFrame] = OrderedDict()
        self._lock = threading.Lock()
        # One scan for every read: a new scan parses the file's footer (~1 MB at 10M values, ~9 ms).
        self._scan = pl.scan_parquet(self.file)

    def get(self, key: str, default=None) -> pl.DataFrame | None:
        return self.many([key]).get(key, default)

    def __getitem__(self, key: str) -> pl.DataFrame:
        if key not in self.offsets:
            raise KeyError(key)
        return self.many([key])[key]

    def __contains__(self, key: object) -> bool:
        return key in self.offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def scan(self, keys: Iterable[str]) -> list[pl.LazyFrame]:
        """The rows of each key held, as LazyFrames (cached rows, or a row range of the file not
        read yet): a query selecting a few columns and filtering reads only what it needs, and
        does not fill the cache."""
        out = []
        with self._lock:
            for k in dict.fromkeys(keys):
                if k in self._cache:
                    out.append(self._cache[k].lazy())
                elif k in self.offsets:
                    out.append(self._scan.slice(*self.offsets[k]))
        return out

    def many(self, keys: Iterable[str]) -> dict[str, pl.DataFrame]:
        """{key: rows} of the keys held (unknown keys left out); the ones not cached are read in one
        parallel query."""
        wanted = list(dict.fromkeys(k for k in keys if k in self.offsets))
        out: dict[str, pl.DataFrame] = {}
        with self._lock:
            for k in wanted:
                if k in self._cache:
                    self._cache.move_to_end(k)
                    out[k] = self._cache[k]
        missing = [k for k in wanted if k not in out]
        if missing:
            # Read outside the lock: two sessions asking at once may both read; both get equal rows.
            frames = pl.collect_all([self._scan.slice(*self.offsets[k]) for k in missing])
            fresh = dict(zip(missing, frames, strict=True))
            out.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                cached = sum(f.height for f in self._cache.values())
                while cached > self.cache_rows and len(self._cache) > 1:
                    cached -= self._cache.popitem(last=False)[1].height
        return {k: out[k] for k in wanted}


def _runs(file: Path, key: str) -> dict[str, tuple[int, int]]:
    """{key: (first row, rows)} of a Parquet file sorted by `key`, from one streaming pass over
    that column; a file whose key values are not contiguous is refused."""
    runs = (pl.scan_parquet(file).select(key).with_row_index("_i").group_by(key)
            .agg(pl.col("_i").min().alias("start"), pl.col("_i").max().alias("last"), pl.len().alias("n"))
            .collect(engine="streaming"))
    if (runs["last"] - runs["start"] + 1 != runs["n"]).any():
        raise ValueError(f"{Path(file).name} is not sorted by {key}: rebuild the store")
    return {k: (start, n) for k, start, n in runs.select(key, "start", "n").iter_rows()}
