"""Download queries on the real store: the filter selects exactly the store's rows, the
comparison with England matches the Explore page's rule, the URL round-trips, the size guard
and the shared disclosure rule behave."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from explorer import catalogue, stats
from explorer.export import FORMATS
from explorer.queries import download as dq
from explorer.queries import download_url as du

DM = "diabetes-recorded-prevalence"
BRADFORD = "E38000232"  # NHS Bradford District and Craven CCG (docs/ARCHITECTURE.md's example value)
DM_CCG_1920 = dq.Filter(indicators=[DM], area_type="ccg", period_from="2019/20", period_to="2019/20")


def test_rows_are_exactly_the_store_rows_the_filter_names(store):
    expected = store.values(indicator=DM, area_type="ccg", periods=["2019/20"])
    got = dq.rows(store, DM_CCG_1920)
    assert got.height == expected.height == dq.row_count(store, DM_CCG_1920) == 144
    key = ["area_code", "producer", "source_id", "status"]
    assert got.sort(key).equals(expected.sort(key))


def test_table_holds_the_published_value_and_comparison_for_bradford(store):
    row = dq.table(store, DM_CCG_1920).filter(pl.col("area_code") == BRADFORD).to_dicts()
    assert len(row) == 1
    row = row[0]
    assert row["area_name"] == "NHS Bradford District and Craven CCG"
    assert row["indicator"].startswith("Diabetes – recorded prevalence")
    assert row["value"] == pytest.approx(8.9097, abs=1e-4)
    assert (row["count"], row["denominator"]) == (44137.0, 495381.0)
    assert row["england_value"] == pytest.approx(7.0826, abs=1e-4)
    assert row["compared_with_england"] == "higher"  # diabetes has no polarity: higher/lower, not worse
    assert (row["period_start"], row["period_end"]) == (dt.date(2019, 4, 1), dt.date(2020, 3, 31))
    assert (row["producer"], row["source_id"], row["status"]) == ("NHS Digital", "nhsd_qof", "published")


def test_comparison_uses_the_explore_page_england_value_and_rule(store):
    from explorer.queries.explore import england_rows

    table = dq.table(store, dq.Filter(indicators=[DM], area_type="icb"))
    sample = table.filter(pl.col("england_value").is_not_null()).head(20)
    assert sample.height > 0
    polarity = store.indicator(DM)["polarity"]
    for r in sample.iter_rows(named=True):
        england = england_rows(store, DM, r["producer"], r["sex"], r["age"], r["category"])
        assert england.filter(pl.col("period") == r["period"])["value"][0] == r["england_value"]
        raw = store.values(indicator=DM, area_type="icb", areas=[r["area_code"]], periods=[r["period"]],
                           producer=r["producer"], status=r["status"]).row(0, named=True)
        assert r["compared_with_england"] == stats.compare(
            raw["value"], raw["lower_ci95"], raw["upper_ci95"], r["england_value"], polarity,
            raw["lower_ci998"], raw["upper_ci998"])


def test_england_rows_are_not_compared_with_themselves(store):
    table = dq.table(store, dq.Filter(indicators=[DM], area_type="england"))
    assert table.height > 0
    assert table["compared_with_england"].null_count() == table.height
    assert table["england_value"].null_count() == table.height


def test_column_choice_changes_columns_not_rows(store):
    narrow = dq.table(store, dq.Filter(indicators=[DM], area_type="ccg", columns=["value"]))
    wide = dq.table(store, dq.Filter(indicators=[DM], area_type="ccg", columns=list(dq.COLUMN_GROUPS)))
    assert narrow.height == wide.height
    assert "lower_ci95" not in narrow.columns and "lower_ci998" in wide.columns
    assert {"producer", "source_id", "status", "note"} <= set(narrow.columns)  # provenance always
    assert wide.columns[-4:] == ["status", "note", "producer", "source_id"]


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2019/20", dt.date(2019, 4, 1), dt.date(2020, 3, 31)),
    ("2019", dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
    ("2009-11", dt.date(2009, 1, 1), dt.date(2011, 12, 31)),
    ("Apr 2022", dt.date(2022, 4, 1), dt.date(2022, 4, 30)),
    ("2022-04", dt.date(2022, 4, 1), dt.date(2022, 4, 30)),
    ("w/e 2010-01-08", dt.date(2010, 1, 2), dt.date(2010, 1, 8)),
    ("mid-2019", dt.date(2019, 6, 30), dt.date(2019, 6, 30)),
    ("2019-04-01", dt.date(2019, 4, 1), dt.date(2019, 4, 1)),
])
def test_period_bounds(text, start, end):
    assert dq.period_bounds(text) == (start, end)


def test_bad_period_is_a_plain_error():
    with pytest.raises(ValueError, match="is not a period"):
        dq.period_bounds("last Tuesday")


def test_period_range_keeps_monthly_rows_inside_a_financial_year(store):
    f = dq.Filter(indicators=["ae-attendances"], area_type="england", period_from="2017/18",
                  period_to="2017/18")
    periods = dq.rows(store, f)["period"].unique().to_list()
    assert len(periods) == 12 and "Apr 2017" in periods and "Mar 2018" in periods and "Mar 2017" not in periods


def test_url_round_trip_restores_the_filter(store):
    f = dq.Filter(indicators=[DM, "ae-attendances"], area_type="icb", areas=["E54000055"],
                  period_from="2019/20", period_to="2019/20", ages=["All ages"], statuses=["published"],
                  columns=["value", "ci998"])
    query = f.query("xlsx")
    assert query["i"] == f"{DM}~ae-attendances" and query["f"] == "xlsx" and query["cols"] == "value~ci998"
    page = du.from_query(store, query, FORMATS, [t["id"] for t in catalogue.topics()])
    assert page.notices == []
    assert page.filter == f and page.fmt == "xlsx"
    assert du.page_query(page) == query


def test_unsafe_age_band_travels_as_a_token(store):
    f = dq.Filter(indicators=["under-75-cvd-mortality-preventable"], ages=["<75"])
    assert f.query()["ag"] == "lt75"
    page = du.from_query(store, f.query(), FORMATS, [])
    assert page.filter.ages == ("<75",) and not page.notices


def test_no_optional_columns_survives_the_link(store):
    f = dq.Filter(indicators=[DM], columns=())
    page = du.from_query(store, f.query(), FORMATS, [])
    assert page.filter.columns == ()


def test_bad_link_values_fall_back_with_notices(store):
    page = du.from_query(store, {"i": f"{DM}~no-such-indicator", "at": "<script>", "from": "1066",
                                 "cols": "value~bogus", "f": "exe"}, FORMATS, [])
    assert page.filter.indicators == (DM,) and page.filter.area_type is None
    assert page.filter.period_from is None and page.filter.columns == ("value",) and page.fmt == "zip"
    assert len(page.notices) == 5
    assert any("no-such-indicator" in n for n in page.notices)


def test_choices_follow_the_indicator_and_area_type(store):
    offer = dq.choices(store, [DM])
    assert {"ccg", "icb", "england"} <= set(offer.area_types)
    assert offer.area_types.index("england") < offer.area_types.index("ccg")  # schema order
    ccg = dq.choices(store, [DM], "ccg")
    assert ccg.periods[0] == "2013/14" and ccg.periods[-1] == "2019/20"
    assert ccg.areas[BRADFORD] == "NHS Bradford District and Craven CCG"
    assert dq.choices(store, []).area_types == []


def test_size_guard_points_to_the_command_line():
    assert dq.size_problem(dq.PAGE_ROW_LIMIT, "csv", DM_CCG_1920) is None
    message = dq.size_problem(dq.PAGE_ROW_LIMIT + 1, "csv", DM_CCG_1920)
    assert "200,001 rows" in message and "python -m explorer export" in message
    assert dq.size_problem(150_000, "xlsx", DM_CCG_1920) is not None  # Excel's lower page limit
    assert dq.size_problem(150_000, "parquet", DM_CCG_1920) is None


def test_cli_command_names_every_filter():
    f = dq.Filter(indicators=[DM], area_type="ccg", areas=[BRADFORD], period_from="Apr 2019", ages=["<75"],
                  columns=["value"])
    command = dq.cli_command(f, "xlsx", "out.xlsx")
    assert command == (f"python -m explorer export --indicator {DM} --area-type ccg --area {BRADFORD} "
                       "--from 'Apr 2019' --age '<75' --columns value --format xlsx -o out.xlsx")


# --- disclosure control: one rule for screen and files --------------------------------------------
def _frame(counts: list[float | None], indicator: str = "x") -> pl.DataFrame:
    n = len(counts)
    return pl.DataFrame({"indicator_id": [indicator] * n, "count": counts,
                         "value": [float(i + 1) for i in range(n)], "lower_ci95": [0.5] * n,
                         "upper_ci95": [9.0] * n, "status": ["published"] * n, "note": [None] * n},
                        schema_overrides={"note": pl.String, "count": pl.Float64})


def test_disclosure_rule_for_flagged_indicators_only():
    catalogue_ = pl.DataFrame({"indicator_id": ["x", "y"], "disclosure_control": [True, False]})
    frame = pl.concat([_frame([0, 3, 7, 8, 12, None]), _frame([3], "y")])
    out = dq.disclosure_controlled(frame, catalogue_)
    assert out["count"].to_list() == [0, None, None, 10, 10, None, 3]
    assert out["status"].to_list()[:3] == ["published", "suppressed", "suppressed"]
    assert out["value"].to_list()[1:3] == [None, None] and out["upper_ci95"][2] is None
    assert out["value"][3] == 4.0  # values of unsuppressed rows stay as published
    assert out.row(6, named=True)["count"] == 3 and out["status"][6] == "published"  # y is not flagged
    again = dq.disclosure_controlled(out, catalogue_)
    assert again.equals(out)  # idempotent: rows controlled at build time come out unchanged


def test_real_store_rows_pass_the_rule_unchanged(store):
    rows = dq.rows(store, DM_CCG_1920)
    assert dq.disclosure_controlled(rows, store.indicators()).equals(rows)


def test_rows_come_in_the_store_sort_order(store):
    from explorer import schema

    f = dq.Filter(indicators=["obesity-recorded-prevalence", DM, "ae-attendances"])  # not in id order
    frame = dq.rows(store, f)
    assert frame["indicator_id"].unique(maintain_order=True).to_list() == sorted(f.indicators)
    keys = frame.select(schema.SORT_KEYS).with_row_index("_i")
    resorted = keys.sort(schema.SORT_KEYS, nulls_last=True, maintain_order=True)
    assert resorted["_i"].to_list() == keys["_i"].to_list()
