"""mhclg_oflog_asc on the real Oflog adult social care file, plus corrupted copies."""

import copy
import datetime as dt

import polars as pl
import pytest

from explorer import paths, schema
from explorer.sources import mhclg_oflog_asc as step
from explorer.sources.base import SourceError, StepContext

FOLDER = "mhclg_oflog_asc"
RAW = paths.RAW_DIR / FOLDER / "oflog_ASC_data.csv"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def one(values, **where):
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_row_accounting(result):
    _, rejects, reports = result
    # 6,376 data rows, all the council's own figures (Grouping LA_Raw), none rejected.
    assert reports.select("file", "rows_read", "rows_loaded", "rows_rejected").rows() == [
        (f"{FOLDER}/oflog_ASC_data.csv", 6376, 6376, 0)]
    assert rejects.height == 0


def test_values_match_the_file(result):
    values, _, _ = result
    # line 214: 2018-19,E08000009,Trafford,…,ASC1,7.3   (carer quality of life)
    row = one(values, indicator_id="asc-carer-quality-of-life", area_code="E08000009", period="2018/19")
    assert row["value"] == pytest.approx(7.3) and row["status"] == "published"
    assert (row["period_start"], row["period_end"]) == (dt.date(2018, 4, 1), dt.date(2019, 3, 31))
    assert row["period_type"] == "financial_year" and row["original_period"] == "2018-19"
    assert row["area_type"] == "utla" and row["original_area_code"] == "E08000009"
    # line 4575: Trafford 2018-19 ASC6 = 4151.759713786505
    row = one(values, indicator_id="asc-requests-resulting-in-service", area_code="E08000009",
              period="2018/19")
    assert row["value"] == pytest.approx(4151.759713786505)
    # line 6300: Lancashire 2022-23 ASC7 = 27.15447654
    row = one(values, indicator_id="asc-workforce-turnover", area_code="E10000017", period="2022/23")
    assert row["value"] == pytest.approx(27.15447654)
    # line 495: Devon 2016-17 ASC2 = 0.389
    row = one(values, indicator_id="asc-quality-of-life-impact", area_code="E10000008", period="2016/17")
    assert row["value"] == pytest.approx(0.389)


def test_blanks_and_placeholder_zeros_are_missing(result):
    values, _, _ = result
    # line 5767: Trafford 2018-19 ASC7 blank; line 53: Isles of Scilly 2016-17 ASC1 blank
    for where in ({"indicator_id": "asc-workforce-turnover", "area_code": "E08000009", "period": "2018/19"},
                  {"indicator_id": "asc-carer-quality-of-life", "area_code": "E06000053",
                   "period": "2016/17"}):
        row = one(values, **where)
        assert (row["value"], row["status"], row["note"]) == (None, "missing", "[x] not available")
    # line 938: Wokingham 2019-20 ASC2 = 0, a placeholder → missing with a note
    row = one(values, indicator_id="asc-quality-of-life-impact", area_code="E06000041", period="2019/20")
    assert row["value"] is None and row["status"] == "missing"
    assert row["note"].startswith("Oflog's file gives 0")
    # 298 blank values + 5 ASC2 zeros in 2019-20
    missing = values.filter(pl.col("status") == "missing")
    assert missing.height == 303
    assert missing.filter(pl.col("note").str.starts_with("Oflog")).height == 5
    # a real 0 elsewhere stays: line 3093, Isles of Scilly 2016-17 ASC5 = 0
    row = one(values, indicator_id="asc-short-term-support-outcome", area_code="E06000053",
              period="2016/17")
    assert (row["value"], row["status"]) == (0, "published")


def test_coverage_and_vocabularies(result):
    values, _, _ = result
    assert values.columns == list(schema.VALUE_SCHEMA)
    assert set(values["indicator_id"].unique()) == {i["id"] for i in step.META["indicators"]}
    assert values["area_code"].n_unique() == 157
    assert set(values["area_type"].unique()) == {"utla"}
    assert values["period"].unique().sort().to_list() == [
        "2015/16", "2016/17", "2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]


def test_polarity_agrees_with_oflog_rank_order():
    # Oflog ranks 'desc'/'DESC' measures with high values first; 'None' measures are unranked.
    raw = pl.read_csv(RAW, infer_schema=False).filter(pl.col("rank_order").is_not_null())
    order = dict(raw.group_by("Code").agg(pl.col("rank_order").str.to_lowercase().first()).rows())
    polarity = {i["id"]: i["polarity"] for i in step.META["indicators"]}
    for code, indicator_id in step.META["measure_codes"].items():
        if order[code] == "desc":
            assert polarity[indicator_id] == "high is good", code
    assert polarity["asc-requests-resulting-in-service"] == "no judgement"
    assert polarity["asc-workforce-turnover"] == "low is good"


def _corrupted_copy(tmp_path, extra_lines):
    lines = RAW.read_text(encoding="utf-8").splitlines()
    (tmp_path / FOLDER).mkdir()
    (tmp_path / FOLDER / "oflog.csv").write_text("\n".join([*lines[:3], *extra_lines]) + "\n",
                                                  encoding="utf-8")
    meta = copy.deepcopy(step.META)
    meta["files"] = [f"{FOLDER}/oflog.csv"]
    return meta


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    good = RAW.read_text(encoding="utf-8").splitlines()[1]  # line 2: Darlington 2016-17 ASC1 7.6
    extra = [
        good,                                                   # line 4: duplicate of line 2
        good.replace("LA_Raw", "England_Median"),               # line 5: not a council value
        good.replace(",ASC1,", ",ASC9,"),                       # line 6: unknown measure
        good.replace("E06000005", "E07000117"),                 # line 7: district, not a council
        good.replace("2016-17", "2016-18"),                     # line 8: two-year span
        good.replace(",ASC1,7.6,", ",ASC1,n.k.,"),              # line 9: text value
    ]
    ctx = StepContext(_corrupted_copy(tmp_path, extra), raw_dir=tmp_path)
    step.run(ctx)
    _, rejects, reports = ctx.result()
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons == {
        4: "duplicate of row 2",
        5: "grouping 'England_Median' is not a council's own value",
        6: "unknown Oflog measure code 'ASC9'",
        7: "'E07000117' is not an upper-tier council GSS code",
        8: "'2016-18' spans 3 years, not one financial year",
        9: "value 'n.k.' is neither a number nor a missing-value marker",
    }
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (8, 2, 6)


def test_missing_column_stops_the_build(tmp_path):
    text = RAW.read_text(encoding="utf-8").replace("Local authority code", "LA code", 1)
    (tmp_path / FOLDER).mkdir()
    (tmp_path / FOLDER / "oflog.csv").write_text(text, encoding="utf-8")
    meta = copy.deepcopy(step.META)
    meta["files"] = [f"{FOLDER}/oflog.csv"]
    with pytest.raises(SourceError, match=r"oflog.csv.*missing column\(s\) \['Local authority code'\]"):
        step.run(StepContext(meta, raw_dir=tmp_path))
