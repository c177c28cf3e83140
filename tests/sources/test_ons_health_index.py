"""ons_health_index on the real healthyr copies of the ONS Health Index, plus corrupted copies."""

import copy
import datetime as dt

import polars as pl
import pytest

from explorer import paths
from explorer.sources import ons_health_index as step
from explorer.sources.base import SourceError, StepContext

FOLDER = paths.RAW_DIR / "humaniverse_healthyr"
LTLA_FILE = "humaniverse_healthyr/england_health_index.csv"
ICB_FILE = "humaniverse_healthyr/england_health_index_ics.csv"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def scores(values, code, year):
    rows = values.filter(pl.col("area_code") == code, pl.col("period") == year)
    return dict(rows.select("indicator_id", "value").rows())


def test_row_accounting(result):
    values, rejects, reports = result
    got = {r["file"]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
           for r in reports.iter_rows(named=True)}
    assert got == {LTLA_FILE: (2149, 2149, 0), ICB_FILE: (294, 294, 0)}
    assert rejects.height == 0
    # Four scores per row: 2,149 × 4 LTLA values and 294 × 4 ICB values.
    assert values.group_by("area_type").len().sort("area_type").rows() == [("icb", 1176), ("ltla", 8596)]


def test_values_match_the_files(result):
    values, _, _ = result
    # england_health_index.csv line 37: "E06000047",2015,95.9,85.4,97,107.2 (County Durham)
    assert scores(values, "E06000047", "2015") == {
        "health-index-overall": 95.9, "health-index-healthy-people": 85.4,
        "health-index-healthy-lives": 97.0, "health-index-healthy-places": 107.2}
    # england_health_index_ics.csv line 2: "E54000008",…Cheshire and Merseyside…,2015,96.3,91.3,95,104.4
    assert scores(values, "E54000008", "2015") == {
        "health-index-overall": 96.3, "health-index-healthy-people": 91.3,
        "health-index-healthy-lives": 95.0, "health-index-healthy-places": 104.4}
    # england_health_index.csv line 43: "E06000047",2021,95.7,83.6,97.5,108.1
    assert scores(values, "E06000047", "2021")["health-index-healthy-places"] == 108.1


def test_periods_areas_and_units(result):
    values, _, _ = result
    row = values.filter(pl.col("area_code") == "E06000047", pl.col("period") == "2018").row(0, named=True)
    assert row["period_type"] == "calendar_year" and row["original_period"] == "2018"
    assert (row["period_start"], row["period_end"]) == (dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert sorted(values["period"].unique().to_list()) == [str(y) for y in range(2015, 2022)]
    assert values.filter(pl.col("area_type") == "icb")["area_code"].str.starts_with("E54").all()
    assert values.filter(pl.col("area_type") == "ltla")["area_code"].n_unique() == 307
    assert values["status"].unique().to_list() == ["published"]
    units = {e["id"]: (e["unit"], e["value_type"], e["polarity"], e["topic"])
             for e in step.META["indicators"]}
    assert set(units.values()) == {("index (England 2015 = 100)", "index", "high is good", "overall-health")}
    assert set(units) == set(values["indicator_id"].unique())


def _copy_with(tmp_path, name, edit):
    target = tmp_path / "humaniverse_healthyr" / name
    target.parent.mkdir(exist_ok=True)
    target.write_text(edit((FOLDER / name).read_text()))
    meta = copy.deepcopy(step.META)
    meta["files"] = [f"humaniverse_healthyr/{name}"]
    return StepContext(meta, raw_dir=tmp_path)


def test_bad_rows_are_rejected_and_markers_are_missing(tmp_path):
    def edit(text):
        lines = text.splitlines(keepends=True)
        lines[1] = lines[1].replace('"E06000001"', '"W06000001"')     # line 2: a Welsh code
        lines[2] = lines[2].replace(",2016,", ",20x6,")               # line 3: bad year
        lines[3] = lines[3].replace(",86.3,", ",high,")               # line 4: text score
        lines[4] = lines[4].replace(",85.6,", ",NA,")                  # line 5: R's NA marker
        return "".join(lines)

    ctx = _copy_with(tmp_path, "england_health_index.csv", edit)
    step.run(ctx)
    values, rejects, reports = ctx.result()
    reasons = dict(rejects.select("row_number", "reason").rows())
    assert reasons[2] == "code 'W06000001' is not a valid ltla code"
    assert reasons[3].startswith("bad year: ")
    assert reasons[4] == "a score column holds text that is not a number"
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (2149, 2146, 3)
    missing = values.filter(pl.col("status") == "missing")
    assert missing.select("area_code", "period", "indicator_id").rows() == [
        ("E06000001", "2018", "health-index-overall")]


def test_unknown_layout_or_missing_column_stops_the_build(tmp_path):
    ctx = _copy_with(tmp_path, "england_health_index_ics.csv",
                     lambda text: text.replace('"healthy_lives_domain"', '"lives"', 1))
    with pytest.raises(SourceError, match=r"missing column\(s\) \['healthy_lives_domain'\]"):
        step.run(ctx)
    meta = copy.deepcopy(step.META)
    meta["files"] = ["humaniverse_healthyr/england_health_index_ics.csv"]
    meta["file_layouts"] = {}
    with pytest.raises(SourceError, match="no layout for this file"):
        step.run(StepContext(meta, raw_dir=tmp_path))
