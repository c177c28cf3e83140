import datetime as dt

import polars as pl

from explorer import harmonise, schema


def _frame(rows):
    base = {"indicator_id": "dm", "source_id": "qof", "producer": "NHS Digital", "area_type": "ccg",
            "area_code": "E38000006", "period": "2018/19", "period_start": dt.date(2018, 4, 1),
            "period_end": dt.date(2019, 3, 31), "period_type": "financial_year", "status": "published"}
    return schema.conform(pl.DataFrame([{**base, **r} for r in rows]))


def _reports(releases):
    return pl.DataFrame({"source_id": ["qof"] * len(releases), "file": list(releases),
                         "release_date": [dt.date.fromisoformat(d) for d in releases.values()]})


def test_latest_release_wins_and_revision_recorded():
    values = _frame([
        {"release": "qof-1819.xlsx", "value": 7.50, "count": 100.0, "denominator": 1333.0},
        {"release": "qof-1920.xlsx", "value": 7.60, "count": 101.0, "denominator": 1329.0},
        {"release": "qof-1920.xlsx", "period": "2019/20", "period_start": dt.date(2019, 4, 1),
         "period_end": dt.date(2020, 3, 31), "value": 7.7},
    ])
    reports = _reports({"qof-1819.xlsx": "2019-10-10", "qof-1920.xlsx": "2020-10-01"})
    kept, revisions = harmonise.resolve_releases(values, reports)
    assert kept.height == 2
    row = kept.filter(pl.col("period") == "2018/19").row(0, named=True)
    assert row["value"] == 7.6 and row["status"] == "revised"
    assert "qof-1819.xlsx" in row["note"] and "7.5" in row["note"]
    assert revisions.select("old_value", "new_value", "old_release", "new_release").row(0) == (
        7.5, 7.6, "qof-1819.xlsx", "qof-1920.xlsx")


def test_identical_repeat_is_not_a_revision():
    values = _frame([{"release": "a.xlsx", "value": 5.0}, {"release": "b.xlsx", "value": 5.0}])
    kept, revisions = harmonise.resolve_releases(values, _reports({"a.xlsx": "2019-01-01",
                                                                   "b.xlsx": "2020-01-01"}))
    assert kept.height == 1 and kept["status"][0] == "published" and kept["release"][0] == "b.xlsx"
    assert revisions.is_empty()


def test_release_order_falls_back_to_latest_period_covered():
    values = _frame([
        {"release": "z-old.csv", "value": 1.0},
        {"release": "a-new.xlsx", "value": 2.0},
        {"release": "a-new.xlsx", "period": "2019/20", "period_start": dt.date(2019, 4, 1),
         "period_end": dt.date(2020, 3, 31), "value": 3.0},
    ])
    reports = pl.DataFrame({"source_id": ["qof", "qof"], "file": ["z-old.csv", "a-new.xlsx"],
                            "release_date": [None, None]}, schema_overrides={"release_date": pl.Date})
    kept, revisions = harmonise.resolve_releases(values, reports)
    assert kept.filter(pl.col("period") == "2018/19")["value"].to_list() == [2.0]
    assert revisions["old_release"].to_list() == ["z-old.csv"]


def test_intervals_recomputed_and_labelled():
    values = _frame([
        {"release": "r", "value": 10.0, "count": 10.0, "denominator": 100.0},
        {"release": "r", "area_code": "E38000007", "value": 5.0, "lower_ci95": 4.0, "upper_ci95": 6.0,
         "ci_method": "as published"},
        {"release": "r", "area_code": "E38000008", "value": 5.0},
    ])
    catalogue = pl.DataFrame({"indicator_id": ["dm"], "value_type": ["proportion"], "multiplier": [100.0]})
    out = harmonise.add_intervals(values, catalogue).sort("area_code")
    first = out.row(0, named=True)
    assert first["ci_method"] == "recomputed: Wilson score"
    # Wilson 95% for 10/100 (PHEindicatormethods gives 5.522854 – 17.436566 %).
    assert round(first["lower_ci95"], 4) == 5.5229 and round(first["upper_ci95"], 4) == 17.4366
    assert first["lower_ci998"] < first["lower_ci95"]
    assert out.row(1, named=True)["ci_method"] == "as published"
    assert out.row(1, named=True)["lower_ci95"] == 4.0
    assert out.row(2, named=True)["lower_ci95"] is None and out.row(2, named=True)["ci_method"] is None


def test_unitaries_fill_both_tiers_only_where_both_are_published():
    rows = [
        {"release": "r", "area_type": "utla", "area_code": "E10000002", "value": 1.0},
        {"release": "r", "area_type": "utla", "area_code": "E06000001", "value": 2.0},
        {"release": "r", "area_type": "ltla", "area_code": "E07000004", "value": 3.0},
        {"release": "r", "indicator_id": "other", "area_type": "utla", "area_code": "E06000001", "value": 4.0},
    ]
    out = harmonise.fill_unitary_tiers(_frame(rows))
    copies = out.filter((pl.col("area_type") == "ltla") & (pl.col("area_code") == "E06000001"))
    assert copies["indicator_id"].to_list() == ["dm"] and copies["value"].to_list() == [2.0]
    assert out.height == 5
    assert harmonise.fill_unitary_tiers(out).height == 5  # idempotent
