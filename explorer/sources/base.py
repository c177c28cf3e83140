"""The one shape every source step has: load the producer's files → process → record.

A step module `explorer/sources/<id>.py` sits beside its metadata side file `<id>.yaml` and
defines `run(ctx: StepContext) -> None`. It reads each file named by the metadata's `files`
globs, turns rows into harmonised values (see `explorer.schema.VALUE_SCHEMA`) and calls
`ctx.record(...)` once per file or sheet with the loaded values, the rejected rows (with reasons)
and the number of raw data rows read. `record` checks the row accounting: every raw row read is
either loaded (it produced at least one value) or rejected, never silently dropped.

A file the step cannot make sense of at all (missing header, wrong columns) raises `SourceError`
naming the file, sheet and row; the build stops and the previous store stays in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from explorer import paths, schema


class SourceError(Exception):
    """A file that cannot be ingested at all. The message names file, sheet/row and problem."""

    def __init__(self, file: Path | str, problem: str, sheet: str | None = None,
                 row: int | None = None):
        where = Path(file).name
        if sheet:
            where += f", sheet {sheet!r}"
        if row:
            where += f", row {row}"
        super().__init__(f"{where}: {problem}")
        self.file, self.sheet, self.row, self.problem = str(file), sheet, row, problem


def load_meta(step_file: str | Path) -> dict:
    """Read the YAML side file that sits beside a step module (same name, .yaml)."""
    path = Path(step_file).with_suffix(".yaml")
    with path.open(encoding="utf-8") as fh:
        meta = yaml.safe_load(fh)
    for key in ("id", "producer", "title", "licence", "files"):
        if key not in meta:
            raise SourceError(path, f"metadata is missing required key {key!r}")
    meta["_path"] = str(path)
    return meta


def sha256(path: Path) -> str:
    # Cached per (file, size, mtime): steps that record a workbook sheet by sheet hash it once.
    stat = Path(path).stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def relative(path: Path) -> str:
    """A raw file's path as recorded in the store: relative to data/raw, with forward slashes."""
    try:
        return Path(path).resolve().relative_to(paths.RAW_DIR.resolve()).as_posix()
    except ValueError:
        return Path(path).name


# A value's identity within one file: two raw rows giving the same key are a duplicate.
DUPLICATE_KEY = ("indicator_id", "area_type", "area_code", "period", "sex", "age", "category")


def _reject_duplicates(values: pl.DataFrame, rejects: pl.DataFrame, summed_rows):
    """Reject every raw row whose values share a key with another raw row's (a row repeated in
    the file, or two rows for the same area and period): which one is right cannot be known,
    so neither is loaded, and each is kept with the rows it clashes with as the reason."""
    key = [c for c in DUPLICATE_KEY if c in values.columns]  # absent columns take one default
    if not values.height or not {"_row", "indicator_id", "area_code", "period"} <= set(values.columns):
        return values, rejects, summed_rows
    clash = values.filter(pl.col("_row").n_unique().over(key) > 1)
    if clash.is_empty():
        return values, rejects, summed_rows
    groups = clash.group_by(key).agg(pl.col("_row").unique().sort().alias("_rows"))
    per_row = (clash.join(groups, on=key, how="left", nulls_equal=True)
               .group_by("_row").agg(pl.col("_rows").first(), *[pl.col(c).first() for c in key]))
    dup_rejects = per_row.select(
        pl.col("_row").cast(pl.Int64).alias("row_number"),
        pl.format("duplicate: rows {} give the same indicator, area, period and breakdown",
                  pl.col("_rows").cast(pl.List(pl.String)).list.join(", ")).alias("reason"),
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in key], separator=" | ").alias("raw"))
    dropped = dup_rejects["row_number"].implode()
    values = values.filter(~pl.col("_row").is_in(dropped))
    if summed_rows is not None:
        summed = pl.Series(summed_rows, dtype=pl.Int64)
        summed_rows = summed.filter(~summed.is_in(dropped))
    return values, pl.concat([rejects.select("row_number", "reason", "raw"), dup_rejects]), summed_rows


@dataclass
class StepContext:
    """What a step gets: its metadata and where the raw files are; collects what it records."""

    meta: dict
    raw_dir: Path = paths.RAW_DIR
    values: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[pl.DataFrame] = field(default_factory=list)
    reports: list[dict] = field(default_factory=list)

    @property
    def source_id(self) -> str:
        return self.meta["id"]

    def files(self, key: str = "files") -> list[Path]:
        """The raw files matched by the metadata's globs, sorted so newer releases come last."""
        found: list[Path] = []
        for pattern in self.meta[key]:
            matches = sorted(self.raw_dir.glob(pattern))
            if not matches and not self.meta.get("optional_files"):
                raise SourceError(self.raw_dir / pattern, "no file matches this pattern in data/raw")
            found.extend(matches)
        return found

    def release_date(self, path: Path) -> dt.date | None:
        releases = self.meta.get("releases") or {}
        value = releases.get(Path(path).name)
        return dt.date.fromisoformat(str(value)) if value else None

    def record(self, path: Path, values: pl.DataFrame, rejects: pl.DataFrame | None,
               rows_read: int, sheet: str | None = None,
               summed_rows: pl.Series | list[int] | None = None) -> None:
        """Record one file's (or sheet's) outcome.

        `values` has the store's value columns plus `_row` (the raw row number it came from);
        `rejects` has `row_number`, `reason` and `raw`. A raw row counts as loaded when it gave
        at least one value; rejected rows must not also be loaded. `summed_rows` names raw rows
        that fed values only through sums (e.g. native rows summed over a breakdown the store does
        not keep, whose values carry one representative `_row`); they count as loaded too.
        """
        rel = relative(path)
        rejects = rejects if rejects is not None else pl.DataFrame(
            schema={"row_number": pl.Int64, "reason": pl.String, "raw": pl.String})
        values, rejects, summed_rows = _reject_duplicates(values, rejects, summed_rows)
        loaded_rows = set(values.get_column("_row").unique().to_list()) if values.height else set()
        if summed_rows is not None:
            loaded_rows |= set(pl.Series(summed_rows, dtype=pl.Int64).unique().to_list())
        rejected_rows = set(rejects.get_column("row_number").unique().to_list())
        overlap = loaded_rows & rejected_rows
        if overlap:
            raise SourceError(path, f"rows both loaded and rejected: {sorted(overlap)[:5]}", sheet)
        if len(loaded_rows) + len(rejected_rows) != rows_read:
            raise SourceError(
                path, f"row accounting does not add up: read {rows_read}, loaded "
                f"{len(loaded_rows)}, rejected {len(rejected_rows)}", sheet)
        defaults = {"source_id": self.source_id, "producer": self.meta["producer"], "release": rel}
        values = values.drop([c for c in values.columns if c.startswith("_")]).with_columns(
            [pl.lit(v).alias(k) for k, v in defaults.items() if k not in values.columns])
        self.values.append(schema.conform(values))
        self.rejects.append(schema.conform(rejects.with_columns(
            pl.lit(self.source_id).alias("source_id"), pl.lit(rel).alias("file"),
            pl.lit(sheet, dtype=pl.String).alias("sheet")), schema.REJECT_SCHEMA))
        self.reports.append({
            "source_id": self.source_id, "producer": self.meta["producer"],
            "title": self.meta["title"], "file": rel + (f"#{sheet}" if sheet else ""),
            "sha256": sha256(Path(path)), "release_date": self.release_date(path),
            "licence": self.meta["licence"], "rows_read": rows_read,
            "rows_loaded": len(loaded_rows), "rows_rejected": len(rejected_rows)})

    def result(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        values = pl.concat(self.values) if self.values else schema.empty(schema.VALUE_SCHEMA)
        rejects = pl.concat(self.rejects) if self.rejects else schema.empty(schema.REJECT_SCHEMA)
        reports = pl.DataFrame(self.reports, schema=schema.FILE_REPORT_SCHEMA)
        return values, rejects, reports
