"""Re-estimation of QOF CCG values on 2021 CCGs and ICBs, on the real QOF step output."""

import polars as pl
import pytest

from explorer import paths, schema
from explorer.geography import areas as areas_mod
from explorer.geography import breaks, links, reaggregate
from explorer.sources import nhsd_qof, readers
from explorer.sources.base import StepContext

DM = "diabetes-recorded-prevalence"


@pytest.fixture(scope="module")
def store():
    ctx = StepContext(nhsd_qof.META)
    nhsd_qof.run(ctx)
    values, _, _ = ctx.result()
    indicators = pl.DataFrame(
        [
            {"indicator_id": i["id"], "multiplier": float(i["multiplier"]), "value_type": i["value_type"]}
            for i in nhsd_qof.META["indicators"]
        ]
    )
    a = areas_mod.build_areas()
    lk = links.build_links(a)
    return values, indicators, lk, reaggregate.reaggregate(values, indicators, lk, a)


def _published(values, release, period, codes):
    return values.filter(
        pl.col("indicator_id") == DM,
        pl.col("period") == period,
        pl.col("age") == "17+",
        pl.col("release").str.contains(release),
        pl.col("area_code").is_in(codes),
    )


def test_2021_merger_equals_sum_of_predecessors(store):
    values, _, _, new = store
    # NHS Kirklees CCG (E38000254, April 2021) = Greater Huddersfield + North Kirklees (2019-20 workbook).
    parts = _published(values, "qof-1920", "2019/20", ["E38000064", "E38000121"])
    assert parts.height == 2
    row = new.filter(
        pl.col("indicator_id") == DM,
        pl.col("area_code") == "E38000254",
        pl.col("period") == "2019/20",
        pl.col("age") == "17+",
    )
    assert row.height == 1
    expected = parts["count"].sum() / parts["denominator"].sum() * 100
    assert row["value"][0] == pytest.approx(expected)
    assert row["count"][0] == parts["count"].sum() and row["status"][0] == "re-estimated"
    assert "re-estimated on April-2021 CCG boundaries" in row["note"][0]
    assert row["ci_method"][0] == "recomputed: Wilson score"
    assert row["lower_ci95"][0] < row["value"][0] < row["upper_ci95"][0]


def test_2020_merger_carried_back_to_2017_18(store):
    values, _, _, new = store
    # Bradford District and Craven (E38000232, April 2020) from its three 2019 CCGs, 2018-19 workbook.
    parts = _published(values, "qof-1819", "2017/18", ["E38000001", "E38000018", "E38000019"])
    assert parts.height == 3
    row = new.filter(
        pl.col("indicator_id") == DM,
        pl.col("area_code") == "E38000232",
        pl.col("period") == "2017/18",
        pl.col("age") == "17+",
    )
    assert row["value"][0] == pytest.approx(parts["count"].sum() / parts["denominator"].sum() * 100)


def test_every_qof_year_on_icbs(store):
    _, _, _, new = store
    icb = new.filter(pl.col("area_type") == "icb", pl.col("indicator_id") == DM)
    assert {"2013/14", "2014/15", "2015/16", "2016/17", "2017/18", "2018/19", "2019/20"} <= set(icb["period"])
    assert icb.filter(pl.col("period") == "2019/20", pl.col("age") == "17+")["area_code"].n_unique() == 42


def test_icb_2019_20_diabetes_is_register_weighted_ccg_value(store):
    values, _, _, new = store
    lookup = readers.read_csv(
        paths.RAW_DIR / "lookups_ons" / "SICBL22_ICB22_LTLA22_distinct_from_LSOA11_lookup.csv"
    )
    members = lookup.filter(pl.col("icb22_code") == "E54000008")["sicbl22_code"].unique().to_list()
    ccgs = _published(values, "qof-1920", "2019/20", members)  # Cheshire and Merseyside: 9 whole CCGs
    assert ccgs.height == len(members) == 9
    weighted = (ccgs["value"] * ccgs["denominator"]).sum() / ccgs["denominator"].sum()
    row = new.filter(
        pl.col("area_code") == "E54000008",
        pl.col("indicator_id") == DM,
        pl.col("period") == "2019/20",
        pl.col("age") == "17+",
    )
    assert row["value"][0] == pytest.approx(weighted, rel=1e-9)
    assert row["area_type"][0] == "icb"


def test_england_total_only_when_complete(store):
    values, _, _, new = store
    eng = new.filter(pl.col("area_type") == "england", pl.col("indicator_id") == DM, pl.col("age") == "17+")
    dm20 = _published(values, "qof-1920", "2019/20", values["area_code"].unique().to_list())
    row = eng.filter(pl.col("period") == "2019/20")
    assert row["count"][0] == dm20["count"].sum() and row["status"][0] == "aggregated"
    assert dm20["area_code"].n_unique() == 135


def test_no_duplicate_of_published_rows(store):
    values, _, _, new = store
    key = ["indicator_id", "area_code", "area_type", "period", "sex", "age", "category"]
    assert new.join(values, on=key, how="semi", nulls_equal=True).height == 0
    assert new.columns == list(schema.VALUE_SCHEMA)
    assert set(new["status"]) == {"re-estimated", "aggregated"}


def test_rate_without_numerator_and_denominator_is_never_reaggregated(store):
    values, indicators, lk, _ = store
    stripped = values.with_columns(pl.lit(None, pl.Float64).alias("count"))
    assert reaggregate.reaggregate(stripped, indicators, lk).height == 0


def test_redrawn_boundaries_are_not_re_estimated_but_flagged(store):
    values, indicators, lk, new = store
    # Cumbria CCG's 2017 redraw: North East and North Cumbria ICB cannot be re-estimated for 2014/15.
    icb = new.filter(pl.col("area_code") == "E54000050", pl.col("indicator_id") == DM)
    assert "2014/15" not in set(icb["period"]) and "2019/20" in set(icb["period"])
    brk = breaks.series_breaks(values, lk, indicators)
    flagged = brk.filter(pl.col("indicator_id") == DM, pl.col("area_code") == "E54000050")
    assert flagged.height == 1 and flagged["reason"][0].startswith("boundary change")
    assert flagged["period"][0] == "2015/16"


def test_definition_breaks_from_catalogue():
    indicators = pl.DataFrame(
        {
            "indicator_id": ["x"],
            "multiplier": [100.0],
            "value_type": ["proportion"],
            "breaks": [[{"period": "2019/20", "reason": "register now 17+"}]],
        }
    )
    out = breaks.series_breaks(schema.empty(schema.VALUE_SCHEMA), pl.DataFrame(), indicators)
    assert out.to_dicts() == [
        {
            "indicator_id": "x",
            "area_code": None,
            "area_type": None,
            "period": "2019/20",
            "reason": "definition change: register now 17+",
        }
    ]
