"""ons_subnational on the real ONS machine-readable download, plus corrupted copies."""

import copy
import datetime as dt

import polars as pl
import pytest

from explorer import paths
from explorer.sources import ons_subnational as step
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext

RAW = paths.RAW_DIR / "ons_subnational_indicators" / "subnational_indicators_machine_readable.csv"


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
    row = reports.row(0, named=True)
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (10758, 3493, 7265)
    assert rejects.height == 7265
    reasons = rejects["reason"]
    # Economy, education, transport, housing and homicide rows: 10,758 - 3,981 health rows.
    assert reasons.str.starts_with("out of scope: not a health indicator (").sum() == 6777
    assert (reasons == "out of scope: not a health indicator (Homicide)").sum() == 55
    assert (reasons == "geography level not held: Welsh Health Board").sum() == 14
    assert (reasons == "geography level not held: Public Health England centre").sum() == 18
    assert (reasons == "geography level not held: Metropolitan County").sum() == 12
    assert reasons.str.starts_with("outside England: ").sum() == 444


def test_named_values_match_the_file(result):
    values, _, _ = result
    # Line 6681: W92000004,Wales,Country,Male Healthy Life Expectancy (HLE),…,201820,…,61.46
    wales = one(values, indicator_id="healthy-life-expectancy", area_code="W92000004", sex="Male")
    assert wales["value"] == 61.46 and wales["area_type"] == "country"
    # County Durham (E06000047, Unitary Authority) HLE 2018-20: male 58.76, female 59.86.
    durham_m = one(values, indicator_id="healthy-life-expectancy", area_code="E06000047", sex="Male")
    durham_f = one(values, indicator_id="healthy-life-expectancy", area_code="E06000047", sex="Female")
    assert (durham_m["value"], durham_f["value"]) == (58.76, 59.86)
    assert durham_m["area_type"] == "utla" and durham_m["age"] == "All ages"
    assert durham_m["period"] == "2018-20" and durham_m["period_type"] == "multi_year"
    assert (durham_m["period_start"], durham_m["period_end"]) == (dt.date(2018, 1, 1), dt.date(2020, 12, 31))
    assert durham_m["original_period"] == "201820"
    # Line 8490: England U75 preventable CVD mortality 201618 = 45.3 per 100,000.
    eng = one(values, indicator_id="under-75-cvd-mortality-preventable", area_code="E92000001")
    assert eng["value"] == 45.3 and eng["area_type"] == "england" and eng["period"] == "2016-18"
    # Line 6742: Allerdale (E07000026, Non-metropolitan District) adult smoking 2020 = 9.1.
    allerdale = one(values, indicator_id="smoking-prevalence-adults", area_code="E07000026")
    assert allerdale["value"] == 9.1 and allerdale["area_type"] == "ltla" and allerdale["age"] == "18+"
    assert allerdale["period"] == "2020" and allerdale["period_type"] == "calendar_year"
    # Line 9802: Allerdale anxiety 202021 = 3 → financial year 2020/21.
    anxiety = one(values, indicator_id="wellbeing-anxiety", area_code="E07000026")
    assert anxiety["value"] == 3.0 and anxiety["period"] == "2020/21"
    assert anxiety["period_type"] == "financial_year" and anxiety["period_start"] == dt.date(2020, 4, 1)
    # Line 6406: Greater Manchester (Combined Authority) female HLE = 60.87.
    gm = one(values, indicator_id="healthy-life-expectancy", area_code="E47000001", sex="Female")
    assert gm["value"] == 60.87 and gm["area_type"] == "combined_authority"


def test_codes_fit_their_area_types(result):
    values, _, _ = result
    prefixes = values.group_by("area_type").agg(pl.col("area_code").str.slice(0, 3).unique().sort())
    got = dict(prefixes.rows())
    assert got["utla"] == ["E06", "E08", "E09", "E10"]
    assert got["ltla"] == ["E07"]
    assert got["region"] == ["E12"]
    assert got["england"] == ["E92"]
    assert got["country"] == ["K02", "N92", "S92", "W92"]
    assert not values["area_code"].str.starts_with("S12").any()
    assert values["producer"].unique().to_list() == ["ONS"]



def test_na_marker_becomes_missing(result):
    values, _, _ = result
    # R's 'NA' is the producer's blank: Isles of Scilly and City of London HLE (male and female).
    missing = values.filter(pl.col("status") == "missing")
    assert sorted(missing["area_code"].to_list()) == ["E06000053", "E06000053", "E09000001", "E09000001"]
    assert missing["value"].is_null().all() and missing["note"].unique().to_list() == ["[x] not available"]
    assert values.filter(pl.col("status") == "published")["value"].is_not_null().all()


def test_preamble_and_latin1_are_handled(result):
    _, rejects, _ = result
    # The header is on line 3 (a note and a blank line above it): the first data row is line 4.
    assert step.header_line(RAW) == 2
    first = rejects.filter(pl.col("row_number") == 4).row(0, named=True)
    # Hartlepool GVA per hour: the unit '£' is byte 0xA3 in the latin-1 file.
    assert first["raw"].startswith("E06000001 | Hartlepool | Unitary Authority | Gross Value Added")
    assert " | £ | 31.85 | " in first["raw"]
    # Line 6420: a Welsh Health Board row keeps its line number.
    assert rejects.filter(pl.col("row_number") == 6420)["reason"].to_list() == [
        "geography level not held: Welsh Health Board"]


def test_polarity_agrees_with_ons_metadata():
    meta = readers.read_csv(paths.RAW_DIR / step.META["metadata_file"])
    by_sheet = {"HLEMale": "healthy-life-expectancy", "HLEFemale": "healthy-life-expectancy",
                "Smoke": "smoking-prevalence-adults", "Overweight (adult)": "obesity-prevalence-adults",
                "Overweight (child)": "obesity-prevalence-children",
                "CancerDiagnosis": "cancer-early-stage-diagnosis",
                "Under75MortalityRate": "under-75-cvd-mortality-preventable",
                "LifeSatisfaction": "wellbeing-life-satisfaction", "Happiness": "wellbeing-happiness",
                "Worthwhile": "wellbeing-worthwhile", "Anxiety": "wellbeing-anxiety"}
    polarity = {e["id"]: e["polarity"] for e in step.META["indicators"]}
    checked = 0
    for sheet, ons_polarity in meta.select("Worksheet", "Polarity").rows():
        if sheet in by_sheet:
            ours = polarity[by_sheet[sheet]]
            assert (ours == "low is good") == (ons_polarity == "Negative"), sheet
            checked += 1
    assert checked == len(by_sheet)


def _corrupted_copy(tmp_path, edit):
    """Write an edited copy of the real file (latin-1, as published) under tmp_path."""
    text = readers.decode(RAW)
    target = tmp_path / "ons_subnational_indicators" / RAW.name
    target.parent.mkdir()
    target.write_bytes(edit(text).encode("cp1252"))
    meta = copy.deepcopy(step.META)
    return StepContext(meta, raw_dir=tmp_path)


def test_thousands_separator_bad_values_and_periods(tmp_path):
    eng_u75 = ('E92000001,England,Country,"Under 75 mortality rate from cardiovascular diseases '
               'considered preventable (per 100,000 population)",Spreading opportunity and improving '
               'public services,201618,')

    def edit(text):
        assert eng_u75 + '"Rate per 100, 000 population","per 100, 000 population",45.3,' in text
        text = text.replace(eng_u75 + '"Rate per 100, 000 population","per 100, 000 population",45.3,',
                            eng_u75 + '"Rate per 100, 000 population","per 100, 000 population","1,335",')
        text = text.replace("E07000026,Allerdale,Non-metropolitan District,Smoking prevalence of adults,"
                            "Spreading opportunity and improving public services,2020,Percentage,%,9.1,",
                            "E07000026,Allerdale,Non-metropolitan District,Smoking prevalence of adults,"
                            "Spreading opportunity and improving public services,2O20,Percentage,%,9.1,")
        return text.replace("E07000026,Allerdale,Non-metropolitan District,Average anxiety ratings,"
                            "Spreading opportunity and improving public services,202021,Rating,"
                            "Score out of 10,3,",
                            "E07000026,Allerdale,Non-metropolitan District,Average anxiety ratings,"
                            "Spreading opportunity and improving public services,202021,Rating,"
                            "Score out of 10,three,")

    ctx = _corrupted_copy(tmp_path, edit)
    step.run(ctx)
    values, rejects, reports = ctx.result()
    eng = one(values, indicator_id="under-75-cvd-mortality-preventable", area_code="E92000001")
    assert eng["value"] == 1335.0
    bad_period = rejects.filter(pl.col("row_number") == 6742)["reason"].to_list()
    assert len(bad_period) == 1 and bad_period[0].startswith("bad period: '2O20' is not a compact period")
    assert rejects.filter(pl.col("row_number") == 9802)["reason"].to_list() == [
        "value is not a number: 'three'"]
    assert reports.select("rows_read", "rows_loaded", "rows_rejected").row(0) == (10758, 3491, 7267)


def test_blank_value_is_missing_not_rejected(tmp_path):
    def edit(text):
        return text.replace("Female Healthy Life Expectancy (HLE),Spreading opportunity and improving "
                            "public services,201820,Years,yrs,60.87,",
                            "Female Healthy Life Expectancy (HLE),Spreading opportunity and improving "
                            "public services,201820,Years,yrs,,")

    ctx = _corrupted_copy(tmp_path, edit)
    step.run(ctx)
    values, _, _ = ctx.result()
    gm = one(values, indicator_id="healthy-life-expectancy", area_code="E47000001", sex="Female")
    assert gm["value"] is None and gm["status"] == "missing" and gm["note"] == "[x] not available"


def test_file_without_header_stops_the_build(tmp_path):
    ctx = _corrupted_copy(tmp_path, lambda text: text.replace("AREACD,AREANM", "CODE,NAME", 1))
    with pytest.raises(SourceError, match="no header line starting 'AREACD,'"):
        step.run(ctx)
