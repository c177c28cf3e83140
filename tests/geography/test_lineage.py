"""CCG vintages and successor links derived from the real code lists in data/raw."""

import datetime as dt

import polars as pl
import pytest

from explorer import schema
from explorer.geography import areas as areas_mod
from explorer.geography import history, lineage, links, vintages


@pytest.fixture(scope="module")
def built():
    a = areas_mod.build_areas()
    return a, links.build_links(a)


def test_configuration_sizes_match_the_published_code_lists():
    sizes = dict(vintages.ccg_configurations().group_by("vintage").len().iter_rows())
    # 211 CCGs in April 2013 (ONS CCG13), 191 in April 2019 (QOF 2018-19), 135 (CCG20), 106 (CCG21);
    # 2018 = 194 in the 2017-18 workbook + Buckinghamshire (ODS: opened 1 April 2018).
    assert sizes == {
        "2013": 211,
        "2014": 209,
        "2017": 207,
        "2018": 195,
        "2019": 191,
        "2020": 135,
        "2021": 106,
    }


def test_2020_merger_bradford_district_and_craven(built):
    _, lk = built
    preds = history.predecessors("E38000232", lk).filter(pl.col("from_type") == "ccg")
    # Airedale, Wharfedale and Craven; Bradford City; Bradford Districts → 1 April 2020.
    assert sorted(preds["from_code"]) == ["E38000001", "E38000018", "E38000019"]
    assert set(preds["kind"]) == {"merged into"}
    assert set(preds["change_date"]) == {dt.date(2020, 4, 1)}
    assert (preds["weight"] == 1.0).all()


def test_2021_merger_is_spatial(built):
    _, lk = built
    preds = history.predecessors("E38000254", lk)  # NHS Kirklees CCG
    assert sorted(preds["from_code"]) == ["E38000064", "E38000121"]
    assert preds["method"].str.contains("boundaries").all()


def test_reused_ods_code_with_new_boundaries_is_not_joined(built):
    a, lk = built
    # ODS 01K: Lancashire North (E38000093) → Morecambe Bay (E38000216, 2017) → E38000228 (2018).
    ccg = a.filter(pl.col("area_type") == "ccg", pl.col("ods_code") == "01K")
    assert sorted(ccg["area_code"]) == ["E38000093", "E38000216", "E38000228"]
    step = lk.filter(pl.col("from_code") == "E38000216", pl.col("to_code") == "E38000228")
    assert step["kind"].to_list() == ["boundary changed"] and step["weight"].is_null().all()
    onward = lk.filter(
        pl.col("from_code") == "E38000093", pl.col("to_code") != "E38000093", pl.col("to_type") == "ccg"
    )
    assert set(onward["kind"]) == {"boundary changed"}
    # ODS 01Y in July 2022: Tameside and Glossop CCG was split, the sub-ICB got a new code.
    split = history.successors("E38000182", lk).filter(pl.col("to_type") == "sub_icb")
    assert sorted(split["to_code"]) == ["E38000261", "E38000263"]
    assert set(split["kind"]) == {"split into"}
    assert split["weight"].sum() == pytest.approx(1.0)
    assert 0.8 < split.filter(pl.col("to_code") == "E38000263")["weight"][0] < 0.95  # Tameside keeps most


def test_reachable_keeps_unknown_shares_unknown(built):
    _, lk = built
    reach = lineage.reachable(lk, "2014").filter(pl.col("code") == "E38000041")  # Cumbria CCG
    assert {"E38000215", "E38000228"} <= set(reach["ccg21"]) and reach["weight"].is_null().all()


def test_areas_unique_and_typed(built):
    a, lk = built
    assert a.group_by("area_code", "area_type", "vintage").len()["len"].max() == 1
    assert set(a["area_type"]) <= set(schema.AREA_TYPES)
    pop = a.filter(pl.col("area_code") == "E38000006", pl.col("area_type") == "ccg")["population"][0]
    assert pop == 248071  # ons_ccg21_population_estimates_age_bands.csv, NHS Barnsley CCG, All Ages
    assert a.filter(pl.col("area_type") == "icb", pl.col("vintage") == "2022").height == 42
    assert a.filter(pl.col("area_type") == "sub_icb").height == 106
    assert {"part of", "merged into", "split into", "unchanged"} <= set(lk["kind"])


def test_local_authority_changes(built):
    _, lk = built
    northants = lk.filter(pl.col("from_code") == "E10000021")  # county split in April 2021
    assert sorted(northants["to_code"]) == ["E06000061", "E06000062"]
    assert northants["weight"].sum() == pytest.approx(1.0)
    bcp = history.predecessors("E06000058", lk).filter(pl.col("from_type") == "ltla")
    assert {"E06000028", "E06000029", "E07000048"} <= set(bcp["from_code"])


def test_what_happened_plain_english(built):
    a, lk = built
    text = history.what_happened("E38000018", a, lk)
    assert text.startswith("NHS Bradford City CCG merged with")
    assert "into NHS Bradford District and Craven CCG on 1 April 2020" in text
    assert "redrawn" in history.what_happened("E38000041", a, lk)
    assert history.what_happened("E38000006", a, lk) == ""  # Barnsley never changed
