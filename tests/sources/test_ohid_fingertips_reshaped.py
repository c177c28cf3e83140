"""ohid_fingertips_reshaped on the real Trafford Data Lab files, plus corrupted copies."""

import copy
import datetime as dt

import polars as pl
import pytest
import yaml

from explorer import paths, schema
from explorer.sources import ohid_fingertips_reshaped as step
from explorer.sources.base import SourceError, StepContext

FOLDER = "trafford_fingertips_derived"


@pytest.fixture(scope="module")
def result():
    ctx = StepContext(step.META)
    step.run(ctx)
    return ctx.result()


def one(values, **where):
    rows = values.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"{where}: {rows.height} rows"
    return rows.row(0, named=True)


def test_row_accounting_per_file(result):
    _, rejects, reports = result
    counts = {r["file"]: (r["rows_read"], r["rows_loaded"], r["rows_rejected"])
              for r in reports.iter_rows(named=True)}
    # Data rows per file as counted in PROVENANCE.md; nothing in the real files is rejected.
    assert counts == {
        f"{FOLDER}/admissions_self_harm.csv": (2624, 2624, 0),
        f"{FOLDER}/dementia_diagnosis.csv": (656, 656, 0),
        f"{FOLDER}/healthy_life_expectancy_at_birth.csv": (2454, 2454, 0),
        f"{FOLDER}/smoking_adults.csv": (2610, 2610, 0),
    }
    assert rejects.height == 0


def test_self_harm_value_period_and_tiers(result):
    values, _, _ = result
    # admissions_self_harm.csv line 2563: E08000009,Trafford,2017/18,163.4,…,Persons,Better
    row = one(values, indicator_id="self-harm-admissions", area_code="E08000009", period="2017/18")
    assert row["value"] == pytest.approx(163.4)
    assert (row["period_start"], row["period_end"]) == (dt.date(2017, 4, 1), dt.date(2018, 3, 31))
    assert row["period_type"] == "financial_year" and row["original_period"] == "2017/18"
    assert row["area_type"] == "utla"  # metropolitan district: single tier, stored as utla
    assert row["sex"] == "Persons" and row["age"] == "All ages"
    assert row["note"] == "Fingertips comparison with England: Better"
    # line 10: England 2010/11 = 197.6
    row = one(values, indicator_id="self-harm-admissions", area_code="E92000001", period="2010/11")
    assert row["value"] == pytest.approx(197.6) and row["area_type"] == "england"
    # line 2163: Ashfield (E07 district) 2016/17 is 'NA' → missing, kept with its note
    row = one(values, indicator_id="self-harm-admissions", area_code="E07000170", period="2016/17")
    assert row["area_type"] == "ltla"
    assert row["value"] is None and row["status"] == "missing"
    assert row["note"] == "[x] not available; Fingertips comparison with England: Not compared"


def test_dementia_and_smoking_values(result):
    values, _, _ = result
    # dementia_diagnosis.csv line 5: E06000001,Hartlepool,2017,80.8,…,Better
    row = one(values, indicator_id="dementia-diagnosis-rate", area_code="E06000001", period="2017")
    assert row["value"] == pytest.approx(80.8) and row["age"] == "65+"
    assert row["period_type"] == "calendar_year"
    # line 2: Greater Manchester combined authority 2017 = 77.1
    row = one(values, indicator_id="dementia-diagnosis-rate", area_code="E47000001", period="2017")
    assert row["value"] == pytest.approx(77.1) and row["area_type"] == "combined_authority"
    # smoking_adults.csv line 2299: England 2018 = 14.4; line 1135: Burnley 2014 = 27.7 (Worse)
    row = one(values, indicator_id="smoking-prevalence-adults", area_code="E92000001", period="2018")
    assert row["value"] == pytest.approx(14.4) and row["age"] == "18+"
    row = one(values, indicator_id="smoking-prevalence-adults", area_code="E07000117", period="2014")
    assert row["value"] == pytest.approx(27.7) and row["area_type"] == "ltla"
    assert values.filter(pl.col("indicator_id") == "smoking-prevalence-adults",
                         pl.col("status") == "missing").height == 16  # 16 'NA' cells


def test_healthy_life_expectancy_by_sex_and_pooled_period(result):
    values, _, _ = result
    hle = values.filter(pl.col("indicator_id") == "healthy-life-expectancy")
    assert sorted(hle["sex"].unique().to_list()) == ["Female", "Male"]
    # healthy_life_expectancy_at_birth.csv lines 1128-1129: Lancashire 2016-18 M 60.4, F 64.6
    male = one(hle, area_code="E10000017", period="2016-18", sex="Male")
    female = one(hle, area_code="E10000017", period="2016-18", sex="Female")
    assert (male["value"], female["value"]) == (pytest.approx(60.4), pytest.approx(64.6))
    assert male["period_type"] == "multi_year"
    assert (male["period_start"], male["period_end"]) == (dt.date(2016, 1, 1), dt.date(2018, 12, 31))
    assert male["area_type"] == "utla"
    # line 670: England 2009-11 male 63
    assert one(hle, area_code="E92000001", period="2009-11", sex="Male")["value"] == 63


def test_columns_and_vocabularies(result):
    values, _, _ = result
    assert values.columns == list(schema.VALUE_SCHEMA)
    assert set(values["indicator_id"].unique()) == {
        "self-harm-admissions", "dementia-diagnosis-rate", "healthy-life-expectancy",
        "smoking-prevalence-adults"}
    assert set(values["area_type"].unique()) <= set(schema.AREA_TYPES)
    assert set(values["producer"].unique()) == {"OHID (Fingertips)"}
    assert values.filter(pl.col("status") == "published", pl.col("value").is_null()).height == 0


def test_metadata_defines_only_its_own_indicators():
    defined = {i["id"]: i for i in step.META["indicators"]}
    assert set(defined) == {"self-harm-admissions", "dementia-diagnosis-rate"}
    topics = {t["id"] for t in yaml.safe_load((paths.ROOT / "explorer" / "topics.yaml").read_text())}
    for ind in defined.values():
        assert ind["topic"] in topics
        assert ind["polarity"] in schema.POLARITIES and ind["value_type"] in schema.VALUE_TYPES
    assert defined["dementia-diagnosis-rate"]["not_same_as"][0]["id"] == "dementia-recorded-prevalence"
    ids = {cfg["indicator_id"]: cfg["fingertips_id"] for cfg in step.META["indicator_names"].values()}
    assert ids == {"self-harm-admissions": 21001, "dementia-diagnosis-rate": 92949,
                   "healthy-life-expectancy": 90362, "smoking-prevalence-adults": 92443}


def _copy_meta_with_file(tmp_path, name, text):
    (tmp_path / FOLDER).mkdir()
    (tmp_path / FOLDER / name).write_text(text, encoding="utf-8")
    meta = copy.deepcopy(step.META)
    meta["files"] = [f"{FOLDER}/{name}"]
    return meta


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    src = (paths.RAW_DIR / FOLDER / "admissions_self_harm.csv").read_text(encoding="utf-8")
    lines = src.splitlines()
    header, first = lines[0], lines[1]  # line 2: Greater Manchester 2010/11 249.2
    extra = [
        first,                                               # line 4: duplicate of line 2
        first.replace("E47000001", "X99"),                   # line 5: not a GSS code
        first.replace("2010/11", "2010/13"),                 # line 6: spans three years
        first.replace("2010/11", "FY10"),                    # line 7: not a period at all
        first.replace("249.2", "abc"),                       # line 8: text in the value
        first.replace("Intentional Self-Harm", "Something Else"),  # line 9: unknown indicator
    ]
    text = "\n".join([header, first, lines[2], *extra]) + "\n"
    meta = _copy_meta_with_file(tmp_path, "self_harm.csv", text)
    ctx = StepContext(meta, raw_dir=tmp_path)
    step.run(ctx)
    values, rejects, reports = ctx.result()
    reasons = dict(zip(rejects["row_number"], rejects["reason"], strict=True))
    assert reasons[4] == "duplicate of row 2"
    assert "'X99' is not a GSS code" in reasons[5]
    assert "not one financial year" in reasons[6]
    assert reasons[7] == "'FY10' is not a financial year like 2019-20 or 2019/20"
    assert reasons[8] == "value 'abc' is neither a number nor a missing-value marker"
    assert reasons[9].startswith("unknown indicator")
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (8, 2, 6)
    assert sorted(values["value"].to_list()) == [pytest.approx(248.5), pytest.approx(249.2)]
    assert "E47000001 | Greater Manchester | 2010/11 | 249.2" in rejects.filter(
        pl.col("row_number") == 4)["raw"][0]


def test_missing_column_stops_the_build(tmp_path):
    src = paths.RAW_DIR / FOLDER / "dementia_diagnosis.csv"
    text = src.read_text(encoding="utf-8").replace("significance", "signif", 1)
    meta = _copy_meta_with_file(tmp_path, "dementia.csv", text)
    with pytest.raises(SourceError, match=r"dementia.csv.*missing column\(s\) \['significance'\]"):
        step.run(StepContext(meta, raw_dir=tmp_path))


def test_unexpected_measure_is_rejected(tmp_path):
    src = paths.RAW_DIR / FOLDER / "smoking_adults.csv"
    text = src.read_text(encoding="utf-8").replace(",Proportion,", ",Count,", 1)
    meta = _copy_meta_with_file(tmp_path, "smoking.csv", text)
    ctx = StepContext(meta, raw_dir=tmp_path)
    step.run(ctx)
    _, rejects, reports = ctx.result()
    assert rejects["row_number"].to_list() == [2]
    assert rejects["reason"][0] == "measure 'Count' is not the expected 'Proportion'"
    assert reports["rows_loaded"][0] == 2609
