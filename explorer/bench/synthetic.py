"""A synthetic store with the real store's shape, scaled to N rows, for the benchmarks.

The real values table is copied as many times as needed: copy k ≥ 1 of indicator X becomes
"synthetic-{k:04d}-X", with the same areas, periods, breakdowns, statuses, nulls and sources, and
its values and intervals moved by a seeded per-row factor (so no two copies are identical). Copy
0 keeps the real ids (values moved too, titles marked "(synthetic)") because some page code
names real indicators (the Explore default, the population used to find peers). The ids'
fixed-width copy number keeps the file sorted by indicator_id without a global sort (copy 0 is
split around the "synthetic-" block), so the copies stream straight to Parquet with the build's
row-group size. The catalogue, breaks and
revisions are copied the same way; areas, links, sources and boundaries are the real ones, so the
pages' map, names and benchmarks work unchanged. The area-sorted copy of the values and the area
profile's tables are then written from the synthetic values by the build's own functions
(`explorer.values_by_area.write`, `explorer.profile_tables.write`).

Everything is written under a fresh temporary directory (never data/store) and the manifest says
`"synthetic": true`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl

from explorer import paths, profile_tables, values_by_area

PREFIX = "synthetic-"
ROW_GROUP_SIZE = 65_536  # as explorer/build.py writes values.parquet
SMALL_TABLES = ("areas", "area_links", "sources", "boundaries")
INTERVALS = ("value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998")


def synthetic_id(copy: int, indicator_id: str | pl.Expr) -> str | pl.Expr:
    """Copy 0 keeps the real id; copy k ≥ 1 is "synthetic-{k:04d}-<id>"."""
    if copy == 0:
        return indicator_id
    head = f"{PREFIX}{copy:04d}-"
    return head + indicator_id if isinstance(indicator_id, str) else pl.lit(head) + indicator_id


def _values_copy(real: pl.LazyFrame, copy: int, seed: int) -> pl.LazyFrame:
    """Copy `copy` of the real values: new ids, values scaled by 0.9–1.1 per row (seeded)."""
    # A row index rather than int_range(len()) keeps the plan streamable (bounded memory).
    noise = (pl.col("_row").hash(seed + copy) % 10_000).cast(pl.Float64) / 10_000
    factor = 0.9 + 0.2 * noise
    return real.with_row_index("_row").with_columns(
        synthetic_id(copy, pl.col("indicator_id")).alias("indicator_id"),
        *[(pl.col(c) * factor).alias(c) for c in INTERVALS]).drop("_row")


def _renamed(frame: pl.DataFrame, copies: int, title_suffix: bool = False) -> pl.DataFrame:
    parts = []
    for copy in range(copies):
        label = f" (synthetic copy {copy})" if copy else " (synthetic)"
        extra = [pl.col("title") + label] if title_suffix else []
        renamed = synthetic_id(copy, pl.col("indicator_id")).alias("indicator_id")
        parts.append(frame.with_columns(renamed, *extra))
    return pl.concat(parts) if parts else frame.clear()


def generate(rows: int = 10_000_000, source: Path | str | None = None, out: Path | str | None = None,
             seed: int = 20261121) -> Path:
    """Write a synthetic store of `rows` values; returns its directory (a new temp dir by default)."""
    source = Path(source or paths.STORE_DIR).resolve()
    target = Path(out) if out else Path(tempfile.mkdtemp(prefix="explorer-bench-store-"))
    if target.resolve() == source or target.resolve() == paths.STORE_DIR.resolve():
        raise ValueError("refusing to write a synthetic store over the real one")
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    real_rows = pl.scan_parquet(source / paths.VALUES).select(pl.len()).collect().item()
    copies = max(1, math.ceil(rows / real_rows))
    real = pl.scan_parquet(source / paths.VALUES)
    first = _values_copy(real, 0, seed)
    if rows <= real_rows:
        values = first.head(rows)
    else:  # copy 0 whole, then as many copied rows as it takes, inside copy 0's sort order
        before = pl.col("indicator_id") < PREFIX
        extra = pl.concat([_values_copy(real, k, seed) for k in range(1, copies)]).head(rows - real_rows)
        values = pl.concat([first.filter(before), extra, first.filter(~before)])
    values.sink_parquet(target / paths.VALUES, row_group_size=ROW_GROUP_SIZE, statistics=True,
                        engine="streaming")
    values_by_area.write(target / paths.VALUES, target / values_by_area.FILE)  # as the build writes it
    written = pl.scan_parquet(target / paths.VALUES).select(
        pl.len(), pl.col("indicator_id").n_unique()).collect().row(0)

    kept = pl.scan_parquet(target / paths.VALUES).select(pl.col("indicator_id").unique()).collect()
    indicators = _renamed(pl.read_parquet(source / "indicators.parquet"), copies, title_suffix=True)
    indicators = indicators.join(kept, on="indicator_id", how="semi")
    indicators.write_parquet(target / "indicators.parquet")
    for name in ("breaks", "revisions"):
        if (source / f"{name}.parquet").exists():
            frame = pl.read_parquet(source / f"{name}.parquet")
            if "indicator_id" in frame.columns:
                frame = _renamed(frame, copies).join(kept, on="indicator_id", how="semi")
            frame.write_parquet(target / f"{name}.parquet")
    for name in SMALL_TABLES:
        if (source / f"{name}.parquet").exists():
            shutil.copy2(source / f"{name}.parquet", target / f"{name}.parquet")
    if (source / paths.BOUNDARIES_DIR).is_dir():
        shutil.copytree(source / paths.BOUNDARIES_DIR, target / paths.BOUNDARIES_DIR, dirs_exist_ok=True)
    pl.read_parquet(source / paths.REJECTS).clear().write_parquet(target / paths.REJECTS)
    # The area profile's tables, by the build's own function (streaming: bounded memory at 10M rows).
    breaks = pl.read_parquet(target / "breaks.parquet") if (target / "breaks.parquet").exists() else None
    profile_rows = profile_tables.write(pl.scan_parquet(target / paths.VALUES), indicators,
                                        pl.read_parquet(target / "areas.parquet"), target, breaks)
    manifest = {"synthetic": True, "seed": seed, "rows": written[0], "indicators": written[1],
                "copies": copies, "copied_from": str(source), "profile_rows": profile_rows,
                "built_at": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ"),
                "seconds": round(time.perf_counter() - started, 2)}
    (target / paths.MANIFEST).write_text(json.dumps(manifest, indent=2))
    return target


def is_synthetic(store_dir: Path | str) -> bool:
    try:
        return bool(json.loads((Path(store_dir) / paths.MANIFEST).read_text()).get("synthetic"))
    except (OSError, ValueError):
        return False
