"""Read the built store: `Store.open().values(indicator=..., area_type=..., ...)`.

The values table is sorted by indicator_id then period, so the rows of one indicator are one
contiguous slice: `Store` keeps an offset index and answers an indicator filter by slicing
(zero-copy) before any other filter runs. Frames are loaded once and never mutated; callers get
new frames back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from explorer import paths

TABLES = ("indicators", "areas", "area_links", "sources", "rejects", "revisions", "breaks",
          "boundaries")


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
    _values: pl.DataFrame
    _tables: dict[str, pl.DataFrame]
    manifest: dict
    _offsets: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        root = Path(path) if path else paths.STORE_DIR
        if not (root / paths.VALUES).exists():
            raise StoreMissing(f"no store at {root}: run `python -m explorer build` first")
        values = pl.read_parquet(root / paths.VALUES)
        tables = {name: pl.read_parquet(root / f"{name}.parquet") for name in TABLES
                  if (root / f"{name}.parquet").exists()}
        manifest = json.loads((root / paths.MANIFEST).read_text()) if (root / paths.MANIFEST).exists() else {}
        store = cls(root.resolve(), values, tables, manifest)
        store._offsets = _offsets(values)
        return store

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
        return self._values

    def indicator_slice(self, indicator_id: str) -> pl.DataFrame:
        start, end = self._offsets.get(indicator_id, (0, 0))
        return self._values.slice(start, end - start)

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
        ids = _as_list(indicator)
        if ids is None:
            frame = self._values
        else:
            frame = pl.concat([self.indicator_slice(i) for i in ids]) if ids else self._values.clear()
        filters = []
        for column, wanted in (("area_type", area_type), ("area_code", areas), ("period", periods),
                               ("producer", producer), ("sex", sex), ("age", age),
                               ("category", category), ("status", status)):
            wanted = _as_list(wanted)
            if wanted is not None:
                filters.append(pl.col(column).is_in(wanted))
        if period_from is not None:
            filters.append(pl.col("period_start") >= period_from)
        if period_to is not None:
            filters.append(pl.col("period_end") <= period_to)
        if not include_reestimated:
            filters.append(~pl.col("status").is_in(["re-estimated"]))
        frame = frame.filter(*filters) if filters else frame
        return self._on_current_boundaries(frame) if boundaries else frame

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
