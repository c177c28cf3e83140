"""Disclosure: no count of 1-7 (nor a value derived from one) of an indicator flagged for
disclosure control reaches any screen or file.

A synthetic store is cut from the real one with two indicators flagged `disclosure_control`:
- diabetes prevalence (a proportion with count and denominator): seven CCGs get counts 1-7 in
  2019/20, with values and limits that occur nowhere else (77.7…, 66.6…, 88.8…), plus a count of 8
  (must show as 10) and a count of 0 (kept);
- A&E attendances (a count indicator: the value *is* the count and the count column is empty):
  two ICBs get values between 1 and 7 in seven months of 2023 (fractional, as re-estimated counts
  can be), again numbers found nowhere else;
- and the revision log gets earlier releases with counts 1-7.
The values then go through the build's own rule (harmonise.apply_disclosure) and are written in the
store layout. Every path that shows or exports values is then scanned for those numbers: the query
functions behind Explore (table, map, ranked chart, trend), Area profile (profile, peers, compare),
Trends (series, SPC), Download (preview table) and Compare producers; every export format; the
release calendar's revisions; and the pages themselves run with AppTest (markdown, tables, figures).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from explorer import coherence, coherence_tables, export, harmonise, paths, releases
from explorer.queries import download as dq
from explorer.queries import explore_figures, explore_options, profile, profile_peers, trends, trends_views
from explorer.queries.explore import explore, table_frame
from tests.fuzz import stores

DIABETES, AE = "diabetes-recorded-prevalence", "ae-attendances"
SMALL_CCGS = ["E38000006", "E38000004", "E38000007", "E38000008", "E38000010", "E38000014", "E38000020"]
ROUNDED_CCG, ZERO_CCG = "E38000015", "E38000016"
SMALL_ICBS = ["E54000008", "E54000057"]
AE_MONTHS = [f"{m} 2023" for m in ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct")]
VALUES = [77.7 + k * 0.0137 for k in range(1, 8)]
LOWER = [66.6 + k * 0.0137 for k in range(1, 8)]
UPPER = [88.8 + k * 0.0137 for k in range(1, 8)]
AE_SMALL = [1.2345, 2.7183, 3.1416, 4.4444, 5.4321, 6.1803, 6.9871]
SENTINELS = [*VALUES, *LOWER, *UPPER, *AE_SMALL]
# How a sentinel could be printed (2-4 decimals; 3-4 for the small A&E counts, whose shorter forms
# are common), matched as a whole number token so that e.g. 4.4446 does not match 4.444.
SENTINEL_FORMS = {f"{v:.{d}f}" for v in [*VALUES, *LOWER, *UPPER] for d in (2, 3, 4)} | {
    f"{v:.{d}f}" for v in AE_SMALL for d in (3, 4)} | {repr(v) for v in SENTINELS}
NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*")


class _Forms:
    def search(self, text: str) -> bool:
        return any(token in SENTINEL_FORMS for token in NUMBER_TOKEN.findall(text))


SENTINEL_TEXT = _Forms()
RETRIEVED = dt.datetime(2025, 1, 31, tzinfo=dt.UTC)


def _plant(values: pl.DataFrame) -> pl.DataFrame:
    """Small counts as a producer's file could hold them, before the build's rule runs."""
    ae = pl.col("indicator_id") == AE
    # Real A&E counts of 1-7 would be indistinguishable from planted ones: drop them first.
    values = values.filter(~(ae & pl.col("value").is_between(1, 7)).fill_null(False))
    dm = (pl.col("indicator_id") == DIABETES) & (pl.col("area_type") == "ccg") & (pl.col("period") == "2019/20")
    edits = []
    for k, code in enumerate(SMALL_CCGS):
        hit = dm & (pl.col("area_code") == code)
        edits.append((hit, {"count": float(k + 1), "value": VALUES[k], "lower_ci95": LOWER[k],
                            "upper_ci95": UPPER[k], "lower_ci998": LOWER[k] - 1, "upper_ci998": UPPER[k] + 1}))
    edits.append((dm & (pl.col("area_code") == ROUNDED_CCG), {"count": 8.0}))
    edits.append((dm & (pl.col("area_code") == ZERO_CCG), {"count": 0.0}))
    for i, code in enumerate(SMALL_ICBS):
        for k, month in enumerate(AE_MONTHS):
            hit = ae & (pl.col("area_type") == "icb") & (pl.col("area_code") == code) & (pl.col("period") == month)
            edits.append((hit, {"value": AE_SMALL[(k + i) % 7]}))
    for hit, columns in edits:
        values = values.with_columns([pl.when(hit).then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
                                      for c, v in columns.items()])
    return values


def _plant_revisions(revisions: pl.DataFrame) -> pl.DataFrame:
    if revisions.is_empty():
        return revisions
    base = revisions.filter(pl.col("indicator_id") == DIABETES).head(7)
    planted = base.with_columns(pl.Series("old_count", [float(k) for k in range(1, base.height + 1)]),
                                pl.Series("old_value", VALUES[: base.height]),
                                (pl.col("new_value") - pl.Series(VALUES[: base.height])).alias("change"))
    return pl.concat([revisions.filter(pl.col("indicator_id") != DIABETES), planted])


@pytest.fixture(scope="module")
def controlled(store, tmp_path_factory):
    target = tmp_path_factory.mktemp("disclosure_store")
    flags = {DIABETES: {"disclosure_control": True}, AE: {"disclosure_control": True}}
    catalogue = store.indicators().with_columns(
        pl.col("indicator_id").is_in([DIABETES, AE]).alias("disclosure_control"))

    def build_rule(values: pl.DataFrame) -> pl.DataFrame:
        return harmonise.apply_disclosure(_plant(values), catalogue)  # the build's own step

    ids = sorted({DIABETES, AE, "ae-within-four-hours", *stores.peer_inputs(store)})
    synthetic = stores.write_store(store, target, ids, indicator_edits=flags, edit_values=build_rule,
                                   edit_revisions=_plant_revisions)
    with stores.serving(target):
        yield synthetic


# --- the oracle -----------------------------------------------------------------------------------
def _numbers_leak(numbers) -> list[float]:
    return [x for x in numbers if x is not None and any(abs(x - s) < 1e-9 for s in SENTINELS)]


def assert_frame_clean(frame: pl.DataFrame, where: str) -> None:
    numeric = [c for c, t in frame.schema.items() if t.is_numeric()]
    for column in numeric:
        leaked = _numbers_leak(frame[column].drop_nulls().to_list())
        assert not leaked, f"{where}: {column} shows {leaked[:3]}"
        if re.search(r"count|register|numerator", column, re.IGNORECASE):
            small = frame.filter(pl.col(column).is_between(1, 7, closed="both"))
            assert small.is_empty(), f"{where}: {column} holds a count of 1-7: {small.head(3).rows()}"
    for column in (c for c, t in frame.schema.items() if t == pl.String):
        texts = [t for t in frame[column].drop_nulls().to_list() if SENTINEL_TEXT.search(t)]
        assert not texts, f"{where}: {column} shows {texts[:3]}"


def assert_figure_clean(fig, where: str) -> None:
    spec = fig if isinstance(fig, dict) else json.loads(fig.to_json())
    assert not _numbers_leak(stores.figure_numbers(spec)), f"{where}: a figure plots a suppressed value"
    texts = [s for s in stores.strings(spec) if SENTINEL_TEXT.search(s)]
    assert not texts, f"{where}: a figure's text shows {texts[:3]}"


# --- the store itself -----------------------------------------------------------------------------
def test_the_build_rule_suppresses_and_rounds(controlled):
    values = controlled.values(indicator=[DIABETES, AE])
    assert_frame_clean(values, "store")
    dm = values.filter(pl.col("area_type") == "ccg", pl.col("period") == "2019/20")
    small = dm.filter(pl.col("area_code").is_in(SMALL_CCGS))
    assert small.height == len(SMALL_CCGS) and small["status"].unique().to_list() == ["suppressed"]
    nulls = small.select(pl.min_horizontal(pl.col("value", "count", "lower_ci95").null_count())).item()
    assert nulls == len(SMALL_CCGS)
    assert dm.filter(pl.col("area_code") == ROUNDED_CCG)["count"].to_list() == [10.0]
    assert dm.filter(pl.col("area_code") == ZERO_CCG)["count"].to_list() == [0.0]
    ae = values.filter(pl.col("indicator_id") == AE, pl.col("area_code").is_in(SMALL_ICBS),
                       pl.col("period").is_in(AE_MONTHS), pl.col("area_type") == "icb")
    assert ae.height == 14 and ae["value"].null_count() == 14 and set(ae["status"]) == {"suppressed"}
    counts = values.filter(pl.col("indicator_id") == AE, pl.col("value").is_not_null())["value"]
    assert (counts % 5 == 0).all(), "a count indicator's other values are rounded to 5"


# --- every query function behind a page -----------------------------------------------------------
@pytest.mark.parametrize("query", [
    {"i": DIABETES, "at": "ccg", "p": "2019/20", "a": "~".join(SMALL_CCGS[:5])},
    {"i": DIABETES, "at": "ccg", "p": "2019/20", "v": "funnel", "c": "value"},
    {"i": AE, "at": "icb", "p": "Jun 2023", "a": "~".join(SMALL_ICBS), "c": "value"},
])
def test_explore_paths(controlled, query):
    sel = explore_options.resolve(controlled, query)
    data = explore(controlled, sel)
    for name, frame in (("frame", data.frame), ("table", table_frame(sel, data)), ("trend", data.trend),
                        ("trend benchmark", data.trend_benchmark)):
        if frame is not None:
            assert_frame_clean(frame, f"explore {name}")
    for build in (explore_figures.compare_figure, explore_figures.trend_figure):
        fig = build(controlled, sel, data)
        if fig is not None:
            assert_figure_clean(fig, f"explore {build.__name__}")
    fig = explore_figures.map_figure(controlled, sel, data, None)
    if fig is not None:
        assert_figure_clean(fig, "explore map")


@pytest.mark.parametrize(("code", "area_type"), [("E38000006", "ccg"), ("E54000008", "icb")])
def test_profile_paths(controlled, code, area_type):
    frame = profile.profile(controlled, code, area_type, profile.ALL_TOPICS)
    assert_frame_clean(frame, "profile")
    peers = tuple(c for c in (SMALL_CCGS if area_type == "ccg" else SMALL_ICBS) if c != code)
    benchmarked = profile_peers.benchmarked(controlled, code, area_type, peers)
    assert_frame_clean(benchmarked, "profile with peers")
    assert_frame_clean(profile_peers.compare_table(controlled, [code, *peers], area_type), "compare table")
    for row in profile_peers.funnel_rows(benchmarked).iter_rows(named=True):
        data = profile_peers.funnel_data(controlled, row)
        for value in data.values():
            if isinstance(value, pl.DataFrame):
                assert_frame_clean(value, "funnel data")


@pytest.mark.parametrize("area", SMALL_ICBS)
def test_trends_paths(controlled, area):
    indicator = controlled.indicator(AE)
    for category in trends.categories(controlled, AE, area):
        series = trends.series(controlled, AE, area, category)
        assert_frame_clean(series, "trend series")
        table, _ = trends_views.spc(series, indicator, [], None)
        assert_frame_clean(table, "SPC table")
        assert_frame_clean(trends_views.spc_display(table), "SPC display")


# The planted rows' slices (CCGs in 2019/20, ICBs in 2023), both indicators in one file.
DOWNLOAD = dq.Filter(indicators=[DIABETES, AE], area_type=None, period_from="2019/20", period_to="Oct 2023",
                     columns=list(dq.COLUMN_GROUPS))


def test_download_preview_tables(controlled):
    for f in (DOWNLOAD, dq.Filter(indicators=[DIABETES], area_type="ccg", areas=SMALL_CCGS),
              dq.Filter(indicators=[AE], area_type="icb", areas=SMALL_ICBS)):
        assert_frame_clean(dq.table(controlled, f, limit=None), "download table")
        assert_frame_clean(export.fingertips.table(controlled, f, limit=None), "fingertips table")


@pytest.mark.parametrize("fmt", sorted(export.FORMATS))
def test_every_download_format(controlled, fmt):
    planted = dq.rows(controlled, DOWNLOAD).filter(pl.col("area_code").is_in([*SMALL_CCGS, *SMALL_ICBS]))
    assert planted.height >= len(SMALL_CCGS) + 2 * len(AE_MONTHS)  # the planted rows are in the file
    data = export.export(controlled, DOWNLOAD, fmt, RETRIEVED)
    for frame in _frames_in(data, fmt):
        assert_frame_clean(frame, f"{fmt} download")


def _frames_in(data: bytes, fmt: str) -> list[pl.DataFrame]:
    if fmt in ("csv", "fingertips"):
        return [pl.read_csv(io.BytesIO(data), infer_schema_length=None)]
    if fmt == "parquet":
        return [pl.read_parquet(io.BytesIO(data))]
    if fmt == "json":
        doc = json.loads(data)
        rows = doc["data"] if isinstance(doc, dict) else doc
        return [pl.DataFrame(rows, infer_schema_length=None)]
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [pl.read_csv(io.BytesIO(archive.read(n)), infer_schema_length=None)
                    for n in archive.namelist() if n.endswith(".csv")]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        rows = [[c for c in row] for ws in book for row in ws.iter_rows(values_only=True)]
        cells = [c for row in rows for c in row if c is not None]
        return [pl.DataFrame({"cell": [str(c) for c in cells]}),
                pl.DataFrame({"number": [float(c) for c in cells if isinstance(c, int | float)]})]
    raise AssertionError(f"unknown format {fmt}")


@pytest.mark.parametrize("indicator_id", [DIABETES, AE])
def test_coherence_paths(controlled, indicator_id):
    # Both are published twice (QOF and the Commons Library's model; trusts and ICBs); the pairs
    # compared are whatever periods and areas both cover.
    assert indicator_id in coherence.overlapping_indicators(controlled)
    comp = coherence.compare(controlled, indicator_id)
    for pair in comp.pairs:
        rows = comp.for_pair(pair)
        assert_frame_clean(rows, "coherence rows")
        assert_frame_clean(coherence_tables.comparison_table(rows, "A", "B"), "coherence table")


def test_release_calendar_revisions(controlled):
    summary = releases.revision_summary(controlled)
    for source in releases.sources_with_revisions(summary):
        for period in releases.revised_periods(summary, source):
            detail = releases.revisions_detail(controlled, source, period)
            assert_frame_clean(detail.rename({c: c.replace("count", "count ") for c in detail.columns}),
                               "revisions")


# --- the pages as users see them ------------------------------------------------------------------
PAGES = [
    ("explore", {"i": DIABETES, "at": "ccg", "p": "2019/20", "a": "~".join(SMALL_CCGS[:4])}),
    ("explore", {"i": AE, "at": "icb", "p": "Jun 2023", "a": SMALL_ICBS[0]}),
    ("area", {"a": "E38000006", "at": "ccg"}),
    ("area", {"a": "E38000006", "at": "ccg", "v": "compare", "c": "~".join(SMALL_CCGS[1:4])}),
    ("trends", {"i": AE, "a": SMALL_ICBS[0]}),
    ("trends", {"i": AE, "a": SMALL_ICBS[1], "v": "forecast"}),
    ("download", {"i": f"{DIABETES}~{AE}", "at": "ccg", "a": "~".join(SMALL_CCGS)}),
    ("coherence", {"i": AE}),
    ("releases", {}),
]


@pytest.mark.parametrize(("page", "query"), PAGES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(PAGES)])
def test_pages_show_no_small_count(controlled, page, query):
    at = AppTest.from_file(str(paths.ROOT / "pages" / f"{page}.py"), default_timeout=240)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = stores.rendered(at)
    for body in shown["markdown"]:
        assert not SENTINEL_TEXT.search(body), f"{page}: {body[:200]!r}"
    for spec in shown["figures"]:
        assert_figure_clean(spec, f"{page} figure")
    for grid in shown["grids"]:
        assert_frame_clean(pl.from_pandas(grid.astype({c: str for c in grid.columns
                                                       if grid[c].dtype == object})), f"{page} table")
