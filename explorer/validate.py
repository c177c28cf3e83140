"""`python -m explorer validate`: schema (pandera) and consistency checks on the built store.

Each check yields a line in the report; the command exits non-zero when any check fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandera.polars as pa
import polars as pl

from explorer import paths, schema, values_by_area

PROFILE_FILES = (paths.PROFILE_HEADLINE, paths.PROFILE_SPREAD, paths.PROFILE_ENGLAND, paths.PROFILE_LATEST,
                 paths.PROFILE_PEERS)

# Published limits are rounded; allow for that when checking lower ≤ value ≤ upper.
TOLERANCE = 1e-6


def _in(values) -> pa.Check:
    return pa.Check.isin(list(values))


VALUES_SCHEMA = pa.DataFrameSchema(
    {
        "indicator_id": pa.Column(pl.String, nullable=False),
        "area_code": pa.Column(pl.String, nullable=False),
        "area_type": pa.Column(pl.String, _in(schema.AREA_TYPES), nullable=False),
        "period": pa.Column(pl.String, nullable=False),
        "period_start": pa.Column(pl.Date, nullable=False),
        "period_end": pa.Column(pl.Date, nullable=False),
        "period_type": pa.Column(pl.String, _in(schema.PERIOD_TYPES), nullable=False),
        "sex": pa.Column(pl.String, _in(schema.SEXES), nullable=False),
        "age": pa.Column(pl.String, nullable=False),
        "status": pa.Column(pl.String, _in(schema.STATUSES), nullable=False),
        "producer": pa.Column(pl.String, nullable=False),
        "source_id": pa.Column(pl.String, nullable=False),
        **{c: pa.Column(pl.Float64, nullable=True) for c in
           ("value", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998", "count", "denominator")},
    },
    checks=[
        pa.Check(lambda d: d.lazyframe.select(pl.col("period_start") <= pl.col("period_end")),
                 name="period_start ≤ period_end"),
        pa.Check(lambda d: d.lazyframe.select(
            (pl.col("lower_ci95") <= pl.col("value") + TOLERANCE * pl.col("value").abs().clip(1))
            .fill_null(True)), name="lower_ci95 ≤ value"),
        pa.Check(lambda d: d.lazyframe.select(
            (pl.col("upper_ci95") >= pl.col("value") - TOLERANCE * pl.col("value").abs().clip(1))
            .fill_null(True)), name="value ≤ upper_ci95"),
        pa.Check(lambda d: d.lazyframe.select(
            ((pl.col("lower_ci998") <= pl.col("lower_ci95") + TOLERANCE)
             & (pl.col("upper_ci998") >= pl.col("upper_ci95") - TOLERANCE)).fill_null(True)),
            name="99.8% interval contains the 95% interval"),
    ],
    strict=False,
)

KEY = ["indicator_id", "producer", "source_id", "area_type", "area_code", "period", "sex", "age",
       "category", "status"]


@dataclass
class Report:
    lines: list[tuple[bool, str, str]] = field(default_factory=list)

    def add(self, ok: bool, check: str, detail: str = "") -> None:
        self.lines.append((ok, check, detail))

    @property
    def ok(self) -> bool:
        return all(ok for ok, _, _ in self.lines)

    def text(self) -> str:
        rows = [f"{'PASS' if ok else 'FAIL'}  {check}" + (f" — {detail}" if detail else "")
                for ok, check, detail in self.lines]
        rows.append(f"{sum(ok for ok, _, _ in self.lines)}/{len(self.lines)} checks passed")
        return "\n".join(rows)


def validate(store_dir: Path | str = paths.STORE_DIR) -> Report:
    root = Path(store_dir)
    report = Report()
    values = pl.read_parquet(root / paths.VALUES)
    try:
        VALUES_SCHEMA.validate(values, lazy=True)
        report.add(True, "values.parquet matches the schema", f"{values.height:,} rows")
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.select("check", "column", "failure_case").head(10)
        report.add(False, "values.parquet matches the schema", str(cases.rows()))
    _consistency(root, values, report)
    _profile_files(root, report)
    _area_copy(root, values, report)
    return report


def _area_copy(root: Path, values: pl.DataFrame, report: Report) -> None:
    """values_by_area.parquet (`Store.values(areas=…)` reads an area from it by row range) holds the
    rows of values.parquet, each once, sorted by area, and the index in its footer matches."""
    file = root / values_by_area.FILE
    report.add(file.exists(), f"{values_by_area.FILE} was written (the values sorted by area)")
    if not file.exists():
        return
    copy = pl.read_parquet(file)
    report.add(copy.height == values.height, f"{values_by_area.FILE} holds as many rows as values.parquet",
               f"{copy.height:,} rows, values.parquet {values.height:,}")
    row = pl.col(values_by_area.ROW)
    in_store_order = copy.sort(row)
    same = (copy.height == values.height and in_store_order[values_by_area.ROW].equals(
        pl.Series(values_by_area.ROW, range(values.height), dtype=copy.schema[values_by_area.ROW]))
        and in_store_order.drop(values_by_area.ROW).equals(values))
    report.add(same, f"{values_by_area.FILE} holds the rows of values.parquet, each once (by {values_by_area.ROW})")
    code = pl.col("area_code")
    later = (code > code.shift(1)) | ((code == code.shift(1)) & (row > row.shift(1)))
    runs = copy.select(code).with_row_index("start").group_by("area_code").agg(
        pl.col("start").min(), pl.len().alias("n"))
    try:
        index = values_by_area.read_index(file)
    except ValueError:
        index = {}
    ok = bool(copy.select(later.fill_null(True).all()).item()) and index == {
        c: (start, n) for c, start, n in runs.iter_rows()}
    report.add(ok, f"{values_by_area.FILE} sorted by area_code then {values_by_area.ROW}, its footer index matching")


def _profile_files(root: Path, report: Report) -> None:
    """The area profile's precomputed tables exist, hold the rows the build wrote and are sorted by
    area (so the app can read one area by row range)."""
    missing = [name for name in PROFILE_FILES if not (root / name).exists()]
    report.add(not missing, "the area profile's tables were written", ", ".join(missing))
    if missing:
        return
    manifest = json.loads((root / paths.MANIFEST).read_text()) if (root / paths.MANIFEST).exists() else {}
    expected = manifest.get("profile_rows", {})
    counts = {name: pl.scan_parquet(root / name).select(pl.len()).collect().item() for name in PROFILE_FILES}
    wrong = {n: (c, expected.get(n)) for n, c in counts.items() if expected.get(n) != c}
    report.add(not wrong, "profile tables hold the rows the build wrote (manifest)",
               f"rows (file, manifest): {wrong}" if wrong else ", ".join(f"{n} {c:,}" for n, c in counts.items()))
    code, start = pl.col("area_code"), pl.col("period_start")
    later = (code > code.shift(1)) | ((code == code.shift(1)) & (start >= start.shift(1)))
    order = pl.scan_parquet(root / paths.PROFILE_HEADLINE).select(
        later.fill_null(True).all()).collect(engine="streaming").item()
    report.add(bool(order), "profile_headline.parquet sorted by area_code then period_start (so reads by area prune)")


def _consistency(root: Path, values: pl.DataFrame, report: Report) -> None:
    dupes = values.group_by(KEY).len().filter(pl.col("len") > 1)
    report.add(dupes.is_empty(), "one value per indicator, producer, area, period and breakdown",
               f"{dupes.height} duplicated keys, e.g. {dupes.head(3).rows()}" if dupes.height else "")
    ids = values["indicator_id"]
    report.add(bool((ids.head(ids.len() - 1) <= ids.tail(ids.len() - 1)).all()) if ids.len() > 1 else True,
               "values sorted by indicator_id (so scans prune)")
    sources = pl.read_parquet(root / paths.SOURCES)
    bad = sources.filter(pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_rejected"))
    report.add(bad.is_empty(), "every file: rows read = rows loaded + rows rejected",
               str(bad.select("file", "rows_read", "rows_loaded", "rows_rejected").rows()) if bad.height else
               f"{sources.height} files, {int(sources['rows_read'].sum()):,} rows read")
    rejects = pl.read_parquet(root / paths.REJECTS)
    per_file = rejects.with_columns(
        pl.concat_str([pl.col("file"), pl.col("sheet")], separator="#", ignore_nulls=True).alias("f")
    ).group_by("f").len()
    joined = sources.join(per_file, left_on="file", right_on="f", how="left").with_columns(
        pl.col("len").fill_null(0))
    mismatch = joined.filter(pl.col("len") != pl.col("rows_rejected"))
    report.add(mismatch.is_empty(), "rejects.parquet holds every rejected row with its reason",
               str(mismatch.select("file", "rows_rejected", "len").rows()[:5]) if mismatch.height else "")
    indicators = pl.read_parquet(root / paths.INDICATORS)
    empty = indicators.filter(pl.col("n_values") == 0)["indicator_id"].to_list()
    report.add(not empty, "every catalogued indicator has values", ", ".join(empty))
    orphan = set(values["indicator_id"].unique()) - set(indicators["indicator_id"])
    report.add(not orphan, "every value's indicator is in the catalogue", ", ".join(sorted(orphan)))
    areas_path = root / paths.AREAS
    if areas_path.exists():
        areas = pl.read_parquet(areas_path).select("area_code").unique()
        codes = values.filter(pl.col("area_type") != "trust").select("area_code").unique()
        unknown = codes.join(areas, on="area_code", how="anti")["area_code"].to_list()
        report.add(not unknown, "every area code (trusts aside) is in areas.parquet",
                   f"{len(unknown)} unknown, e.g. {sorted(unknown)[:8]}" if unknown else "")
