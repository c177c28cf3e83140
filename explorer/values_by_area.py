"""values_by_area.parquet: the values again, sorted by area, so one area's rows are one row range.

values.parquet is sorted by indicator_id then period (one indicator = one row range), so every
area has rows in nearly every row group and a filter on area_code reads the whole file (~0.3 s
at 10 million values). This second copy holds the same rows sorted by area_code and then by
their row in values.parquet, kept as the column `_row` so that the rows of several areas can be
put back into the store's own order. Row groups are small (16k rows), so one area (~5,000 rows
of a local authority at 10M values) is a read of one or two row groups.

The file carries its own index in its key-value metadata (`explorer:area_rows`: area_code →
[first row, rows], JSON), so finding an area needs only the footer. `Store.values(areas=…)` uses
it when the filter is led by areas (no indicator given) on a lazily opened store; stores built
before this file existed fall back to a scan of values.parquet.

Written by the build right after values.parquet, and by `explorer.bench.synthetic` with the same
function, in batches of whole areas (bounded memory at 10M values): each batch is one filtered
streaming pass over values.parquet, sorted in memory and written to a part file; the parts are
then streamed into the one file (a single batch, as for the real store, is written directly).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

FILE = "values_by_area.parquet"
ROW = "_row"  # the row's position in values.parquet
INDEX_KEY = "explorer:area_rows"
ROW_GROUP_SIZE = 16_384
BATCH_ROWS = 500_000  # rows sorted in memory at once (~200 MB of String columns)


def whole_area_batches(counts: pl.DataFrame, max_rows: int) -> list[list[str]]:
    """Consecutive area codes of `counts` (area_code, len; sorted) grouped so each group holds at
    most `max_rows` rows, never splitting an area (an area bigger than that is a group alone); one
    empty group when there are no areas. Used by the build's area-sorted writers to bound memory."""
    batches: list[list[str]] = [[]]
    size = 0
    for code, n in counts.iter_rows():
        if size and size + n > max_rows:
            batches.append([])
            size = 0
        batches[-1].append(code)
        size += n
    return batches


def write(values_file: Path | str, out: Path | str) -> int:
    """Write the area-sorted copy of `values_file` to `out`; returns its number of rows."""
    values_file, out = Path(values_file), Path(out)
    rows = pl.scan_parquet(values_file, row_index_name=ROW)
    counts = (pl.scan_parquet(values_file).group_by("area_code").len().sort("area_code")
              .collect(engine="streaming"))
    starts = counts["len"].cum_sum() - counts["len"]
    index = {code: [int(start), int(n)] for code, start, n in
             zip(counts["area_code"].to_list(), starts.to_list(), counts["len"].to_list(), strict=True)}
    metadata = {INDEX_KEY: json.dumps(index, separators=(",", ":"))}
    batches = whole_area_batches(counts, BATCH_ROWS)

    def batch(codes: list[str]) -> pl.DataFrame:
        # Rows come in values.parquet's order (_row ascending), so a stable sort on the area alone
        # keeps _row ascending within each area; sorting on the codes' positions (an Enum of the
        # batch's sorted codes) rather than the strings is quicker.
        picked = rows if len(batches) == 1 else rows.filter(pl.col("area_code").is_in(codes))
        return picked.collect(engine="streaming").sort(pl.col("area_code").cast(pl.Enum(codes)),
                                                       maintain_order=True)

    if len(batches) == 1:
        batch(batches[0]).write_parquet(out, row_group_size=ROW_GROUP_SIZE, statistics=True, metadata=metadata)
        return int(counts["len"].sum())
    parts = [out.with_name(f".{out.stem}-{i:04d}.parquet") for i in range(len(batches))]
    try:
        for codes, part in zip(batches, parts, strict=True):
            batch(codes).write_parquet(part, compression="lz4", statistics=False)  # read once, whole
        pl.scan_parquet(parts).sink_parquet(out, row_group_size=ROW_GROUP_SIZE, statistics=True,
                                            metadata=metadata, engine="streaming")
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return int(counts["len"].sum())


def read_index(file: Path | str) -> dict[str, tuple[int, int]]:
    """area_code → (first row, rows) from the file's footer (no data read)."""
    raw = pl.read_parquet_metadata(file).get(INDEX_KEY)
    if raw is None:
        raise ValueError(f"{Path(file).name} has no area index: rebuild the store")
    return {code: (start, n) for code, (start, n) in json.loads(raw).items()}


class AreaRows:
    """The rows of given areas, read by row range from values_by_area.parquet, in the order they
    have in values.parquet. One scan is kept open so the footer is parsed once."""

    def __init__(self, file: Path | str, columns: list[str]):
        self.file = Path(file)
        self.columns = columns
        self.offsets = read_index(self.file)
        self._scan = pl.scan_parquet(self.file)

    def rows(self, codes: list[str], filters: list[pl.Expr]) -> pl.DataFrame:
        """Rows of `codes` (unknown codes have none) matching every filter, in values.parquet order."""
        ranges = [self.offsets[c] for c in dict.fromkeys(codes) if c in self.offsets]
        if not ranges:
            return pl.DataFrame(schema=self._scan.select(self.columns).collect_schema())
        reads = [self._scan.slice(start, n) for start, n in ranges]
        parts = pl.collect_all([read.filter(*filters) for read in reads] if filters else reads)
        if len(parts) == 1:
            return parts[0].select(self.columns)
        return pl.concat(parts).sort(ROW).select(self.columns)  # each part is in _row order already
