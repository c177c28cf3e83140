"""explorer.fingertips_meta on the real FingertipsNext files, plus broken copies."""

import json
import shutil

import polars as pl
import pytest

from explorer import fingertips_meta, paths, schema
from explorer.sources.base import SourceError

SOURCE = paths.RAW_DIR / fingertips_meta.FOLDER


@pytest.fixture(scope="module")
def meta():
    return fingertips_meta.load()


def test_one_row_per_indicator_from_both_files(meta):
    # 35 JSON records + 2 CSV-only rows (337 GP registered population, 92708 resident population)
    assert meta.height == 37
    assert meta["fingertips_id"].is_unique().all()
    assert list(meta.schema) == list(fingertips_meta.SCHEMA)
    csv_only = meta.filter(pl.col("fingertips_id") == 92708).row(0, named=True)
    assert csv_only["title"] == "Resident population" and csv_only["value_type"] == "Count"
    assert csv_only["definition"] is None and csv_only["polarity"] is None


def test_known_definitions_and_units(meta):
    imd = fingertips_meta.lookup(93553)
    assert imd["title"] == "Deprivation score (Index of Multiple Deprivation 2019)"
    assert imd["definition"].startswith("The English Indices of Deprivation 2019 use 39 separate")
    assert imd["polarity"] == "low is good" and imd["value_type"] == "Score"
    assert imd["data_source"].startswith("English indices of deprivation 2019")
    hle = fingertips_meta.lookup(90362)
    assert hle["unit"] == "Years" and hle["unit_value"] == "1"
    assert hle["ci_method"] == "Other method - see below"
    # FingertipsNext's copy says 'Low is good' for healthy life expectancy (a quirk of that
    # repository; Fingertips itself treats it as high is good): we report what the file says.
    assert hle["fingertips_polarity"] == "Low is good"
    assert fingertips_meta.lookup(999999) is None


def test_text_is_cleaned(meta):
    text_cols = [c for c, t in fingertips_meta.SCHEMA.items() if t == pl.String]
    joined = meta.select(pl.concat_str([pl.col(c).fill_null("") for c in text_cols])).to_series()
    assert not joined.str.contains("&nbsp;|&rsquo;|&ldquo;|\r|\xa0").any()
    method = fingertips_meta.lookup(90362)["method"]
    assert "\u201cHow is your health in general" in method  # was &ldquo;
    assert set(meta["polarity"].drop_nulls().unique()) <= set(schema.POLARITIES)


@pytest.mark.parametrize(("text", "expected"), [
    ("Low is good", "low is good"), ("RAG - High is good", "high is good"),
    ("No judgement", "no judgement"), ("BOB - Blue orange blue", "no judgement"), ("", None)])
def test_polarity_normalised(text, expected):
    assert fingertips_meta.normalise_polarity(text) == expected


def _copy(tmp_path):
    """Writable copies of the two metadata files (data/raw is read-only)."""
    folder = tmp_path / fingertips_meta.FOLDER
    folder.mkdir()
    for name in (fingertips_meta.JSON_FILE, fingertips_meta.CSV_FILE):
        shutil.copyfile(SOURCE / name, folder / name)
    return folder


def test_broken_json_is_a_source_error(tmp_path):
    folder = _copy(tmp_path)
    (folder / fingertips_meta.JSON_FILE).write_text("[{", encoding="utf-8")
    with pytest.raises(SourceError, match="fingertipsnext_indicators.json: not readable JSON"):
        fingertips_meta.load(tmp_path)


def test_record_without_id_and_duplicate_ids_are_errors(tmp_path):
    folder = _copy(tmp_path)
    path = folder / fingertips_meta.JSON_FILE
    records = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps([*records, {"indicatorName": "no id"}]), encoding="utf-8")
    with pytest.raises(SourceError, match="record 36 has no indicatorID"):
        fingertips_meta.load(tmp_path)
    path.write_text(json.dumps([*records, records[0]]), encoding="utf-8")
    with pytest.raises(SourceError, match=r"listed twice: \[41101\]"):
        fingertips_meta.load(tmp_path)
