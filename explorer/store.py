"""Read the built store: `Store.open().values(indicator=..., area_type=..., ...)`.

The values table is sorted by indicator_id then period, so the rows of one indicator are one
contiguous slice: `Store` keeps an offset index and answers an indicator filter by slicing
before any other filter runs. Frames are never mutated; callers get new frames back.

Two ways of holding values, chosen by size (same API, same String columns either way):
- eager (up to EAGER_MAX_ROWS rows, today's real store): values.parquet is read once into memory
  and a slice is zero-copy;
- lazy (larger stores): only the offset index is held; an indicator's rows are read from the
  Parquet file by row range when first asked for (the file's row groups keep that to a few
  milliseconds) and kept in a small LRU cache bounded by rows. At 10 million rows an eager
  String frame takes ~3.7 GB and even Categorical/Enum columns ~1.3 GB (the seven Float64
  columns alone are 560 MB), so holding everything cannot meet the 1 GB RSS target; the lazy
  store stays near 150 MB plus its cache (see BENCHMARKS.md, Performance). Whole-store work
  should use `scan()` (a LazyFrame, streaming) rather than `all_values()`, which in lazy mode
  reads the whole file on every call.

A filter led by areas (areas given, no indicator) cannot prune values.parquet's row groups, so a
lazy store reads it from values_by_area.parquet, the same rows sorted by area
(`explorer.values_by_area`): each area's row range, back in values.parquet's order. A store
built before that file existed scans values.parquet instead (same rows, slower).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from explorer import paths, values_by_area

TABLES = ("indicators", "areas", "area_links", "sources", "rejects", "revisions", "breaks",
          "boundaries")
# Above this many values the store is opened lazily (see the module docstring). An eager String
# frame costs ~370 bytes of RSS per row, so this keeps an eager store under ~400 MB.
EAGER_MAX_ROWS = int(os.environ.get("EXPLORER_EAGER_MAX_ROWS", 1_000_000))
# Rows of indicator slices a lazy store keeps in memory (~150 MB of String columns).
SLICE_CACHE_ROWS = int(os.environ.get("EXPLORER_SLICE_CACHE_ROWS", 400_000))


class StoreMissing(FileNotFoundError):
    """No built store at the path: run `python -m explorer build` (or `make run`)."""


def _as_list(value) -> list | None:
    if value is None:
        return None
    if isinstance(value, str | int | float):
        return [value]
    return list(value)


@dataclass
class Store:
    path: Path
    _values: pl.DataFrame | None  # None when lazy: rows are read from _file on demand
    _tables: dict[str, pl.DataFrame]
    manifest: dict
    _offsets: dict[str, tuple[int, int]] = field(default_factory=dict)
    _file: Path | None = None
    _schema: dict[str, pl.DataType] = field(default_factory=dict)
    _height: int = 0
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _by_area: values_by_area.AreaRows | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: Path | str | None = None, lazy: bool | None = None) -> Store:
        """Open a built store; `lazy=None` chooses by size (EAGER_MAX_ROWS)."""
        root = Path(path) if path else paths.STORE_DIR
        file = root / paths.VALUES
        if not file.exists():
            raise StoreMissing(f"no store at {root}: run `python -m explorer build` first")
        height = pl.scan_parquet(file).select(pl.len()).collect().item()  # from the footer
        tables = {name: pl.read_parquet(root / f"{name}.parquet") for name in TABLES
                  if (root / f"{name}.parquet").exists()}
        manifest = json.loads((root / paths.MANIFEST).read_text()) if (root / paths.MANIFEST).exists() else {}
        if lazy if lazy is not None else height > EAGER_MAX_ROWS:
            store = cls(root.resolve(), None, tables, manifest, _file=file.resolve(),
                        _schema=dict(pl.read_parquet_schema(file)), _height=height)
            store._offsets = _file_offsets(file, height)
            return store
        values = pl.read_parquet(file)
        store = cls(root.resolve(), values, tables, manifest, _schema=dict(values.schema),
                    _height=values.height)
        store._offsets = _offsets(values)
        return store

    @property
    def lazy(self) -> bool:
        return self._values is None

    @property
    def height(self) -> int:
        """Number of values in the store (without reading them)."""
        return self._height

    # --- tables -------------------------------------------------------------------------------
    def table(self, name: str) -> pl.DataFrame:
        if name not in self._tables:
            return pl.DataFrame()
        return self._tables[name]

    def indicators(self) -> pl.DataFrame:
        return self.table("indicators")

    def areas(self) -> pl.DataFrame:
        return self.table("areas")

    def indicator(self, indicator_id: str) -> dict | None:
        rows = self.indicators().filter(pl.col("indicator_id") == indicator_id)
        return rows.row(0, named=True) if rows.height else None

    def boundary_file(self, area_type: str, vintage: str | None = None) -> Path | None:
        index = self.table("boundaries")
        if index.is_empty():
            return None
        rows = index.filter(pl.col("area_type") == area_type)
        if vintage:
            rows = rows.filter(pl.col("vintage") == vintage)
        if rows.is_empty():
            return None
        name = rows.sort("vintage").row(-1, named=True)["file"]
        return self.path / paths.BOUNDARIES_DIR / Path(name).name

    # --- values -------------------------------------------------------------------------------
    def all_values(self) -> pl.DataFrame:
        """Every value. Lazy stores read the whole file on each call: prefer `scan()`."""
        return self._values if self._values is not None else pl.read_parquet(self._file)

    def scan(self) -> pl.LazyFrame:
        """Every value as a LazyFrame, for whole-store aggregates (streams from the file when lazy)."""
        return self._values.lazy() if self._values is not None else pl.scan_parquet(self._file)

    def distinct(self, column: str) -> list:
        """Sorted distinct non-null values of one values column (e.g. every producer), computed once
        per store: a lazy store streams the one column instead of reading every value."""
        key = f"distinct:{column}"
        if key not in self._tables:
            column_values = pl.col(column).drop_nulls().unique().sort()
            self._tables[key] = self.scan().select(column_values).collect(engine="streaming")
        return self._tables[key][column].to_list()

    def indicator_slice(self, indicator_id: str) -> pl.DataFrame:
        start, end = self._offsets.get(indicator_id, (0, 0))
        if self._values is not None:
            return self._values.slice(start, end - start)
        if end == start:
            return pl.DataFrame(schema=self._schema)
        with self._lock:
            hit = self._cache.get(indicator_id)
            if hit is not None:
                self._cache.move_to_end(indicator_id)
                return hit
        # Read outside the lock: two sessions asking at once may both read; both get equal rows.
        rows = pl.scan_parquet(self._file).slice(start, end - start).collect()
        with self._lock:
            self._cache[indicator_id] = rows
            cached = sum(f.height for f in self._cache.values())
            while cached > SLICE_CACHE_ROWS and len(self._cache) > 1:
                cached -= self._cache.popitem(last=False)[1].height
        return rows

    def values(self, indicator: str | Iterable[str] | None = None, area_type: str | Iterable[str] | None = None,
               areas: Iterable[str] | None = None, periods: Iterable[str] | None = None,
               producer: str | Iterable[str] | None = None, sex: str | Iterable[str] | None = None,
               age: str | Iterable[str] | None = None, category: str | Iterable[str] | None = None,
               status: str | Iterable[str] | None = None, period_from=None, period_to=None,
               include_reestimated: bool = True, boundaries: str | None = None) -> pl.DataFrame:
        """Rows matching every filter given (None = no filter). `period_from`/`period_to` are
        dates compared with period_start/period_end. Re-estimated rows (series moved onto
        current boundaries) are included unless `include_reestimated=False`.

        `boundaries="current"` (or an area type such as "icb" or "ccg", which also sets
        `area_type`) gives one consistent series per area on the latest boundaries of its type:
        the re-estimated rows, plus published rows only for areas whose code is in the latest
        configuration and for which no re-estimated row exists."""
        if boundaries and boundaries != "current":
            area_type = boundaries
        ids, codes = _as_list(indicator), _as_list(areas)
        filters = []
        for column, wanted in (("area_type", area_type), ("period", periods), ("producer", producer),
                               ("sex", sex), ("age", age), ("category", category), ("status", status)):
            wanted = _as_list(wanted)
            if wanted is not None:
                filters.append(pl.col(column).is_in(wanted))
        if period_from is not None:
            filters.append(pl.col("period_start") >= period_from)
        if period_to is not None:
            filters.append(pl.col("period_end") <= period_to)
        if not include_reestimated:
            filters.append(~pl.col("status").is_in(["re-estimated"]))
        if codes is not None and ids is None and (by_area := self.by_area()) is not None:
            # lazy, led by areas: each area's rows by row range from the area-sorted copy
            frame = by_area.rows(codes, filters)
        else:
            if codes is not None:
                filters.append(pl.col("area_code").is_in(codes))
            frame = self._filtered(ids, filters)
        return self._on_current_boundaries(frame) if boundaries else frame

    def _filtered(self, ids: list | None, filters: list[pl.Expr]) -> pl.DataFrame:
        """The rows of indicators `ids` (None: every indicator) matching every filter."""
        if ids is not None:
            frame = (pl.concat([self.indicator_slice(i) for i in ids]) if ids
                     else pl.DataFrame(schema=self._schema))
            return frame.filter(*filters) if filters else frame
        if self._values is not None:
            return self._values.filter(*filters) if filters else self._values
        # lazy, no indicator: one streaming pass over the file with the filters pushed down
        return self.scan().filter(*filters).collect(engine="streaming") if filters else self.all_values()

    def by_area(self) -> values_by_area.AreaRows | None:
        """The area-sorted copy of the values (values_by_area.parquet), opened on first use; None
        for an eager store (an area filter of the frame in memory is quick) or a store built before
        the file existed."""
        if self._values is not None or self._file is None:
            return None
        with self._lock:
            if self._by_area is None:
                file = self.path / values_by_area.FILE
                if not file.exists():
                    return None
                self._by_area = values_by_area.AreaRows(file, list(self._schema))
            return self._by_area

    def latest_codes(self) -> pl.DataFrame:
        """(area_type, area_code) of every area in the latest configuration of its type."""
        if "latest_codes" not in self._tables:
            areas = self.areas().with_columns(pl.col("vintages").str.split(","))
            newest = areas.select("area_type", pl.col("vintages").list.max().alias("v")).group_by(
                "area_type").agg(pl.col("v").max().alias("newest"))
            self._tables["latest_codes"] = (
                areas.join(newest, on="area_type")
                .filter(pl.col("vintages").list.contains(pl.col("newest")))
                .select("area_type", "area_code"))
        return self._tables["latest_codes"]

    def _on_current_boundaries(self, frame: pl.DataFrame) -> pl.DataFrame:
        key = ["indicator_id", "producer", "area_type", "area_code", "period", "sex", "age", "category"]
        reestimated = frame.filter(pl.col("status") == "re-estimated")
        published = (frame.filter(pl.col("status") != "re-estimated")
                     .join(self.latest_codes(), on=["area_type", "area_code"], how="semi")
                     .join(reestimated.select(key), on=key, how="anti", nulls_equal=True))
        return pl.concat([published, reestimated]).sort("period_start", "area_code")


def _offsets(values: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """indicator_id → (first row, end row) in the sorted values table."""
    if values.is_empty():
        return {}
    runs = (values.select(pl.col("indicator_id")).with_row_index("_i")
            .group_by("indicator_id", maintain_order=True)
            .agg(pl.col("_i").min().alias("start"), pl.col("_i").max().alias("last")))
    offsets = {r["indicator_id"]: (r["start"], r["last"] + 1) for r in runs.iter_rows(named=True)}
    total = sum(end - start for start, end in offsets.values())
    if total != values.height:
        raise ValueError("values.parquet is not sorted by indicator_id: rebuild the store")
    return offsets


def _file_offsets(file: Path, height: int) -> dict[str, tuple[int, int]]:
    """The same index as `_offsets`, from one streaming pass over the indicator_id column."""
    if height == 0:
        return {}
    runs = (pl.scan_parquet(file).select("indicator_id").with_row_index("_i")
            .group_by("indicator_id")
            .agg(pl.col("_i").min().alias("start"), pl.col("_i").max().alias("last"), pl.len().alias("n"))
            .collect(engine="streaming"))
    if runs["n"].sum() != height or (runs["last"] - runs["start"] + 1 != runs["n"]).any():
        raise ValueError("values.parquet is not sorted by indicator_id: rebuild the store")
    return {r["indicator_id"]: (r["start"], r["last"] + 1) for r in runs.iter_rows(named=True)}
