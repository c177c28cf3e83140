"""Area profile queries on the real store: area search and successors, headline series, the profile
rows (published values, England, parent, spread of all areas, trend), summed England figures,
peers and funnel columns, exports, and the spine chart's data."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from explorer import charts, profile_tables, stats
from explorer.queries import profile, profile_areas, profile_export, profile_options, profile_peers
from explorer.queries.profile_rows import AreaFile, Sliced
from explorer.store import Store

BRADFORD_SUB_ICB = "E38000232"  # NHS Bradford District and Craven CCG (36J), now a sub-ICB location
WEST_YORKSHIRE_ICB = "E54000054"
ISLINGTON_CCG = "E38000088"  # 08H, merged into North Central London CCG (E38000240) in April 2020
NORTH_CENTRAL_LONDON_CCG = "E38000240"
BRADFORD_LA = "E08000032"


def _row(frame: pl.DataFrame, row_id: str) -> dict:
    hit = frame.filter(pl.col("row_id") == row_id)
    assert hit.height == 1, f"{row_id}: {hit.height} rows"
    return hit.row(0, named=True)


# --- areas ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "code", "kind"), [
    ("08H", ISLINGTON_CCG, "ccg"), ("08h", ISLINGTON_CCG, "ccg"), ("E38000232", BRADFORD_SUB_ICB, "sub_icb"),
    ("36J", BRADFORD_SUB_ICB, "sub_icb"), ("Bradford", BRADFORD_LA, "utla"),
])
def test_search_finds_areas_by_name_gss_or_ods_code(store, text, code, kind):
    hits = profile_areas.search_areas(store, text)
    assert (hits["area_code"][0], hits["area_type"][0]) == (code, kind)


def test_search_by_name_lists_the_ccgs_that_carried_it_and_nothing_for_nonsense(store):
    names = profile_areas.search_areas(store, "bradford")["area_name"].to_list()
    assert "NHS Bradford City CCG" in names and "NHS Bradford District and Craven CCG" in names
    # a sub-ICB location is found by its old CCG's name too
    assert BRADFORD_SUB_ICB in profile_areas.search_areas(store, "district and craven")["area_code"].to_list()
    assert profile_areas.search_areas(store, "zzqx").is_empty()
    assert profile_areas.search_areas(store, "").is_empty()


def test_an_old_code_leads_to_its_successor_with_the_story(store):
    res = profile_areas.resolve(store, "08H", None)
    assert (res.code, res.area_type, res.asked_for) == (NORTH_CENTRAL_LONDON_CCG, "ccg", ISLINGTON_CCG)
    assert "merged" in res.history and "North Central London" in res.history and "1 April 2020" in res.history
    kept = profile_areas.resolve(store, "08H", None, keep_old=True)
    assert (kept.code, kept.asked_for) == (ISLINGTON_CCG, None) and kept.history


def test_unknown_area_and_wrong_kind_fall_back_with_notices(store):
    assert profile_areas.resolve(store, "nowhere-at-all", None).code is None
    res = profile_areas.resolve(store, BRADFORD_LA, "icb")
    assert res.code == BRADFORD_LA and res.area_type in ("utla", "ltla") and res.notices


def test_related_kinds_and_parents(store):
    assert profile_areas.related_types(store, BRADFORD_SUB_ICB, "sub_icb") == ["sub_icb", "ccg"]
    assert profile_areas.parent_of(store, BRADFORD_SUB_ICB, "sub_icb") == (WEST_YORKSHIRE_ICB, "icb")
    assert profile_areas.parent_of(store, BRADFORD_LA, "utla") == ("E12000003", "region")
    assert profile_areas.area_name(store, BRADFORD_SUB_ICB).startswith("Bradford District and Craven")


# --- the profile ------------------------------------------------------------------------------
def test_profile_row_has_the_published_value_england_parent_and_spread(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    row = _row(frame, "diabetes-recorded-prevalence")
    # QOF 2019-20, CCG 36J: register 44,137 of 495,381 patients aged 17+ (published 8.91%)
    assert (row["period"], row["age"], row["area_type"]) == ("2019/20", "17+", "ccg")
    assert row["count"] == 44137 and row["denominator"] == 495381
    assert row["value"] == pytest.approx(8.9097, abs=1e-4)
    assert row["england_value"] == pytest.approx(7.0826, abs=1e-4)
    assert row["parent_code"] == WEST_YORKSHIRE_ICB and row["parent_value"] == pytest.approx(7.6409, abs=1e-4)
    assert row["comparison_england"] == "higher"  # prevalence: no judgement, so higher not worse
    # the spread is over the 135 CCGs QOF 2019-20 was published for (re-estimates left out)
    published = store.values(indicator="diabetes-recorded-prevalence", area_type="ccg", periods=["2019/20"],
                             age="17+", include_reestimated=False)["value"].to_numpy()
    assert row["n_areas"] == published.size == 135
    assert row["q25"] == pytest.approx(np.percentile(published, 25))
    assert row["q75"] == pytest.approx(np.percentile(published, 75))
    assert (row["minimum"], row["maximum"]) == (published.min(), published.max())


def test_profile_draws_on_every_kind_the_code_is_and_keeps_one_row_per_indicator(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    kinds = dict(frame.group_by("area_type").len().iter_rows())
    assert kinds["ccg"] >= 20 and kinds["sub_icb"] >= 10  # QOF as a CCG, talking therapies as a sub-ICB
    assert frame["row_id"].n_unique() == frame.height


def test_headline_breakdown_choice(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    assert _row(frame, "chronic-kidney-disease-recorded-prevalence")["age"] == "18+"
    assert _row(frame, "cvd-primary-prevention-recorded-prevalence")["age"] == "30-74"
    assert _row(frame, "anticoagulant-items")["category"] == "All five oral anticoagulants"
    la = profile.profile(store, BRADFORD_LA, "utla")
    hle = la.filter(pl.col("indicator_id") == "healthy-life-expectancy")
    assert sorted(hle["sex"].to_list()) == ["Female", "Male"]  # published by sex only: one row each
    assert set(hle["row_id"]) == {"healthy-life-expectancy:female", "healthy-life-expectancy:male"}


def test_topic_filter(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb", "mental-health")
    assert frame.height > 0 and set(frame["topic"]) == {"mental-health"}
    assert "mental-health" in profile.topics_for(store, BRADFORD_SUB_ICB, "sub_icb")


def test_recent_trend_matches_the_stats_method_on_the_stored_series(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    row = _row(frame, "atrial-fibrillation-recorded-prevalence")
    series = (store.values(indicator="atrial-fibrillation-recorded-prevalence", area_type="ccg",
                           areas=[BRADFORD_SUB_ICB], age="All ages")
              .filter(pl.col("value").is_not_null()).sort("period_start").tail(5))
    expected = stats.recent_trend(series["value"], series["lower_ci95"], series["upper_ci95"], "no judgement")
    assert row["trend"] == expected.label == "Increasing"


def test_consecutive_periods_allow_rolling_multi_year_and_catch_gaps():
    import datetime as dt

    d = dt.date
    months = profile.consecutive_index([d(2025, 1, 1), d(2025, 4, 1)], [d(2025, 1, 31), d(2025, 4, 30)],
                                       ["month", "month"])
    assert months == [0.0, 2.0]
    rolling = profile.consecutive_index([d(2015, 1, 1), d(2016, 1, 1)], [d(2017, 12, 31), d(2018, 12, 31)],
                                        ["multi_year"] * 2)
    assert rolling == [0.0, 1.0]


def test_england_summed_from_all_sub_icbs_where_none_is_published(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    row = _row(frame, "doac-share-of-anticoagulant-items")
    rows = store.values(indicator="doac-share-of-anticoagulant-items", area_type="sub_icb", periods=[row["period"]])
    assert rows.height == 106
    assert row["england_value"] == pytest.approx(rows["count"].sum() / rows["denominator"].sum() * 100)
    assert row["england_source"] == "summed by us from all 106 sub-ICB locations"
    assert row["comparison_england"] in ("similar", "higher", "lower")


def test_needs_attention_needs_both_worse_and_getting_worse(store):
    fake = pl.DataFrame({"comparison_england": ["worse", "worst", "worse", "better"],
                         "trend": ["Increasing and getting worse", "Decreasing and getting worse",
                                   "No significant change", "Increasing and getting worse"]})
    assert profile.needs_attention(fake).height == 2
    assert profile.worse_without_trend(fake).height == 1
    # real data: Campylobacter in a UTLA worse than England has no trend (only 3 years held)
    la = profile.profile(store, "E08000019", "utla")  # Sheffield
    worse = profile.worse_without_trend(la)
    assert profile.needs_attention(la).is_empty()
    assert set(worse["indicator_id"]) <= {"campylobacter-rate"}


def test_chance_summary_counts_significant_differences():
    frame = pl.DataFrame({"comparison_england": ["better", "similar", "worst", "not compared", "higher"]})
    assert profile.chance_summary(frame) == {"compared": 4, "significant": 3, "expected": 0.2,
                                             "significant_998": 1, "expected_998": 0.01}


# --- where the precomputed tables come from --------------------------------------------------
@pytest.fixture(scope="module")
def old_build(store, tmp_path_factory):
    """The real store as a build from before the profile files left it (links to its other files)."""
    root = tmp_path_factory.mktemp("old-build") / "store"
    root.mkdir()
    for item in store.path.iterdir():
        if item.name not in profile_tables.FILES:
            (root / item.name).symlink_to(item)
    return root


@pytest.mark.parametrize(("where", "lazy"), [("built", True), ("old", False), ("old", True)])
def test_every_way_of_reading_the_tables_gives_the_same_profile(store, old_build, where, lazy):
    """The eager store (the `store` fixture) holds the built headline file in memory; a lazy store
    reads areas by row range; an older build without the files computes them on first use."""
    other = Store.open(store.path if where == "built" else old_build, lazy=lazy)
    mine, theirs = profile.tables(other), profile.tables(store)
    assert isinstance(theirs.by_area, Sliced) and isinstance(mine.by_area, AreaFile if lazy else Sliced)
    assert mine.spread.equals(theirs.spread) and mine.england.equals(theirs.england)
    assert "summed by us from all 106 sub-ICB locations" in set(mine.england["england_source"])
    for code, kind in [(BRADFORD_SUB_ICB, "sub_icb"), (BRADFORD_LA, "utla"), (WEST_YORKSHIRE_ICB, "icb")]:
        assert_frame_equal(profile.profile(other, code, kind), profile.profile(store, code, kind))
        peers = tuple(profile_options.resolve(store, {"a": code, "at": kind}).peers)
        expected = profile_peers.benchmarked(store, code, kind, peers)
        assert expected.height > 10
        assert_frame_equal(profile_peers.benchmarked(other, code, kind, peers), expected)
    assert profile.topics_for(other, BRADFORD_SUB_ICB, "sub_icb") == profile.topics_for(store, BRADFORD_SUB_ICB,
                                                                                          "sub_icb")


# --- spine chart data -------------------------------------------------------------------------
def test_spine_data_centres_the_benchmark_and_orients_by_polarity(store):
    frame = profile.with_benchmark(profile.profile(store, BRADFORD_LA, "utla"), "england")
    spine = profile.spine_data(frame)
    assert spine.height > 0 and spine["england_value"].null_count() == 0  # rows with no benchmark left out
    assert spine.height < frame.height
    pos = charts.spine_positions(spine)
    assert pos["england_pos"].drop_nulls().unique().to_list() == [0.5]
    merged = spine.join(pos.select("indicator_id", "area_pos", "flipped"), on="indicator_id")
    for r in merged.iter_rows(named=True):
        if r["area_pos"] is None or r["area_value"] == r["england_value"]:
            continue
        higher = r["area_value"] > r["england_value"]
        right = r["area_pos"] > 0.5
        assert right == (higher != r["flipped"]), r["indicator_id"]
    # low is good (smoking) is flipped; no judgement and high is good are not
    flips = dict(zip(pos["indicator_id"], pos["flipped"], strict=True))
    assert flips.get("smoking-prevalence-adults") is True


def test_spine_chart_draws_at_most_spine_max_rows_in_profile_order(store, monkeypatch):
    frame = profile.with_benchmark(profile.profile(store, BRADFORD_LA, "utla"), "england")
    spine = profile.spine_data(frame)
    assert profile.spine_shown(spine).equals(spine)  # a real profile is well under the cap
    monkeypatch.setattr(profile, "SPINE_MAX_ROWS", 5)
    shown = profile.spine_shown(spine)
    assert shown.height == 5 and shown.equals(spine.head(5))


def test_benchmark_choice_sets_the_comparison_column(store):
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    parent = profile.with_benchmark(frame, "parent")
    assert parent["benchmark_value"].to_list() == parent["parent_value"].to_list()
    assert parent["comparison"].to_list() == parent["comparison_parent"].to_list()


# --- peers and funnels ------------------------------------------------------------------------
def test_peer_columns_pool_counts_and_rank(store):
    peers = ["E38000135", "E38000016", "E38000097"]  # Oldham, Bolton, Leicester City
    frame = profile_peers.add_peer_columns(store, profile.profile(store, BRADFORD_SUB_ICB, "sub_icb"), peers)
    row = _row(frame, "diabetes-recorded-prevalence")
    rows = store.values(indicator="diabetes-recorded-prevalence", area_type="ccg", areas=peers,
                        periods=["2019/20"], age="17+")
    assert row["peer_n"] == 3 and row["peer_average_method"].startswith("pooled")
    assert row["peer_average"] == pytest.approx(rows["count"].sum() / rows["denominator"].sum() * 100)
    assert row["peer_lower"] < row["peer_average"] < row["peer_upper"]
    everyone = [*rows["value"].to_list(), row["value"]]
    assert row["peer_rank"] == 1 + sum(v > row["value"] for v in everyone) and row["peer_rank_of"] == 4


def test_peer_comparison_counts_both_intervals():
    frame = pl.DataFrame({"value": [10.0, 10.0, 10.0, None], "lower_ci95": [9.0, 9.9, 9.9, None],
                          "upper_ci95": [11.0, 10.1, 10.1, None], "peer_average": [11.5, 11.0, 8.0, 1.0],
                          "peer_lower": [11.0, 10.9, 7.9, 0.5], "peer_upper": [12.0, 11.1, 8.1, 1.5],
                          "polarity": ["high is good", "low is good", "no judgement", "high is good"]})
    # 1: diff 1.5, SE sqrt(0.51^2+0.255^2)=0.57 -> z 2.6: worse; 2: z ~ -7: lower value, low is good -> best
    assert profile_peers.peer_comparison(frame).to_list() == ["worse", "best", "higher", "not compared"]


def test_funnel_data_and_flags(store):
    frame = profile_peers.add_funnel_flags(profile.profile(store, BRADFORD_SUB_ICB, "sub_icb"))
    row = _row(frame, "diabetes-recorded-prevalence")
    assert row["funnel_flag"] == stats.funnel_flag(44137, 495381, "proportion",
                                                   baseline=row["england_value"] / 100) == "High (0.001)"
    data = profile_peers.funnel_data(store, row)
    assert data["points"].height == 135 and data["benchmark"] == row["england_value"]
    assert {"lower_95", "upper_998"} <= set(data["limits"].columns)
    summary = profile_peers.funnel_summary(frame)
    assert summary["placed"] == profile_peers.funnel_rows(frame)["england_value"].is_not_null().sum()
    assert summary["expected_95"] == round(0.05 * summary["placed"], 1)


def test_compare_table_and_series(store):
    codes = [BRADFORD_SUB_ICB, "E38000135"]
    table = profile_peers.compare_table(store, codes, "sub_icb", "long-term-conditions")
    assert table.columns[:4] == ["Indicator", "Period", "Unit", "England"]
    diabetes = table.filter(pl.col("Indicator") == "Diabetes (GP recorded) (aged 17+)").row(0, named=True)
    assert diabetes[profile_areas.area_name(store, BRADFORD_SUB_ICB)] == "8.9 (higher)"
    frame = profile.profile(store, BRADFORD_SUB_ICB, "sub_icb")
    series, england = profile_peers.compare_series(store, codes, _row(frame, "diabetes-recorded-prevalence"))
    assert series["area_code"].n_unique() == 2 and england["value"].null_count() == 0
    assert profile_peers.series_table(series, england).height == 3


# --- URL state --------------------------------------------------------------------------------
def test_resolve_defaults_and_canonical_query(store):
    sel = profile_options.resolve(store, {"a": "36J"})
    assert (sel.code, sel.area_type) == (BRADFORD_SUB_ICB, "sub_icb")
    assert sel.query == {"a": BRADFORD_SUB_ICB, "at": "sub_icb"}
    assert len(sel.peers) == 10 and not sel.custom_peers and sel.compare[0] == BRADFORD_SUB_ICB
    old = profile_options.resolve(store, {"a": "08H"})
    assert old.query["from"] == ISLINGTON_CCG and old.replaced["area_code"] == ISLINGTON_CCG
    bad = profile_options.resolve(store, {"a": BRADFORD_SUB_ICB, "at": "sub_icb", "b": "mars", "v": "x",
                                          "p": "E38000135~NOPE", "fi": "nope"})
    assert bad.benchmark == "england" and bad.view == "profile" and bad.peers == ["E38000135"]
    assert len(bad.notices) == 4


# --- exports ----------------------------------------------------------------------------------
def test_exports_neutralise_formulas_and_keep_numbers(store):
    frame = pl.DataFrame({"Indicator": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "plain"],
                          "Value": [1.5, 2.0, -3.0, None, 5.0, 6.0]})
    csv = profile_export.to_csv(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n'+1," in csv and "\n'-2,-3.0" in csv and "'@SUM" in csv
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(profile_export.to_xlsx(frame, [("Area", "=cmd")])))
    sheet = book["Profile"]
    assert sheet["A2"].value == "=HYPERLINK(\"x\")" and sheet["A2"].data_type == "s"
    assert sheet["A2"].quotePrefix and sheet["B4"].value == -3.0
    assert book["About"]["B1"].data_type == "s"
    table = profile_export.table(profile.profile(store, BRADFORD_SUB_ICB, "sub_icb"))
    assert {"Lower 99.8% CI", "Compared with England", "Recent trend"} <= set(table.columns)


def test_funnel_flags_for_all_rows_at_once_match_one_row_at_a_time(store):
    for code, kind in [(BRADFORD_SUB_ICB, "sub_icb"), (BRADFORD_LA, "utla"), (WEST_YORKSHIRE_ICB, "icb")]:
        frame = profile_peers.add_funnel_flags(profile.profile(store, code, kind))
        one_by_one = []
        for r in frame.iter_rows(named=True):
            statistic = profile_peers.FUNNEL_TYPES.get(r["value_type"])
            base, mult = r["england_value"], r["multiplier"] or 100.0
            ok = statistic and r["count"] is not None and r["denominator"] and base is not None
            one_by_one.append(stats.funnel_flag(r["count"], r["denominator"], statistic, baseline=base / mult)
                              if ok else None)
        assert frame["funnel_flag"].to_list() == one_by_one
        assert frame["funnel_flag"].drop_nulls().n_unique() >= 2


def _peer_comparison_one_by_one(frame: pl.DataFrame) -> list:
    v, lo, up = (frame[c].cast(pl.Float64).to_numpy() for c in ("value", "lower_ci95", "upper_ci95"))
    b, blo, bup = (frame[c].cast(pl.Float64).to_numpy() for c in ("peer_average", "peer_lower", "peer_upper"))
    with np.errstate(invalid="ignore"):
        z = (v - b) / np.sqrt(((up - lo) / 3.92) ** 2 + ((bup - blo) / 3.92) ** 2)
    labels = []
    for zi, pol in zip(z, frame["polarity"].to_list(), strict=True):
        polarity = stats.normalise_polarity(pol)
        if not np.isfinite(zi) or polarity is None:
            labels.append("not compared")
        elif abs(zi) <= stats.Z95:
            labels.append("similar")
        elif polarity == stats.POLARITY_NONE:
            labels.append("higher" if zi > 0 else "lower")
        else:
            strong, good = abs(zi) > stats.Z998, (zi > 0) == (polarity == stats.POLARITY_HIGH)
            labels.append(("best" if strong else "better") if good else ("worst" if strong else "worse"))
    return labels


def _rank_one_by_one(frame: pl.DataFrame, values: list) -> tuple[list, list]:
    ranks, of = [], []
    for value, pool, pol in zip(frame["value"].to_list(), values, frame["polarity"].to_list(), strict=True):
        pool = [x for x in (pool or []) if x is not None]
        if value is None or not pool:
            ranks.append(None)
            of.append(None)
            continue
        low_first = stats.normalise_polarity(pol) == stats.POLARITY_LOW
        ranks.append(1 + sum(1 for x in [*pool, value] if (x < value if low_first else x > value)))
        of.append(len(pool) + 1)
    return ranks, of


def test_peer_comparison_and_rank_for_all_rows_at_once_match_one_row_at_a_time(store):
    compared = set()
    for code, kind in [(BRADFORD_SUB_ICB, "sub_icb"), (BRADFORD_LA, "utla"), (WEST_YORKSHIRE_ICB, "icb")]:
        peers = profile_options.resolve(store, {"a": code, "at": kind}).peers
        frame = profile_peers.add_peer_columns(store, profile.profile(store, code, kind), peers)
        assert frame["peer_comparison"].to_list() == _peer_comparison_one_by_one(frame)
        compared |= set(frame["peer_comparison"])
        pools = profile_peers._peer_values(store, frame, peers).group_by("cell_id").agg(pl.col("value"))
        values = frame.select("cell_id").join(pools, on="cell_id", how="left")
        ranks, of = _rank_one_by_one(frame, values["value"].to_list())
        assert frame["peer_rank"].to_list() == ranks and frame["peer_rank_of"].to_list() == of
        assert frame["peer_rank"].null_count() < frame.height
    assert {"similar", "not compared"} < compared and len(compared) >= 4
    fake = pl.DataFrame({"value": [3.0, None, 2.0, 5.0], "_values": [[1.0, 4.0], [1.0], None, [9.0, 5.0, 1.0]],
                         "polarity": ["low is good", "high is good", "high is good", "high is good"]})
    ranked = profile_peers._with_rank(fake)
    assert ranked["peer_rank"].to_list() == [2, None, None, 2]
    assert ranked["peer_rank_of"].to_list() == [3, None, None, 4]


# --- what the profile reads from the precomputed files ------------------------------------------
AREAS = [(BRADFORD_SUB_ICB, "sub_icb"), (BRADFORD_LA, "utla"), (WEST_YORKSHIRE_ICB, "icb"), (ISLINGTON_CCG, "ccg")]


@pytest.mark.parametrize(("code", "kind"), AREAS)
def test_profile_rows_are_the_latest_headline_values_of_the_areas_kinds(store, code, kind):
    """full_profile reads profile_latest.parquet; the same rows as picking each series' latest value
    from every period of the headline rows (first kind in related_types wins an indicator)."""
    kinds = profile_areas.related_types(store, code, kind)
    rows = profile.area_rows(store, code, kinds).filter(pl.col("value").is_not_null())
    latest = rows.group_by(profile_tables.KEY).agg(pl.all().last()).with_columns(
        pl.col("area_type").replace_strict({k: i for i, k in enumerate(kinds)}).alias("_kind"))
    expected = latest.filter(pl.col("_kind") == pl.col("_kind").min().over("indicator_id"))
    got = profile.full_profile(store, code, kind)
    assert got.height == expected.height > 10
    columns = [*profile_tables.KEY, *profile_tables.VALUE_COLUMNS, "trend", "cell_id"]
    assert_frame_equal(got.select(columns), expected.select(columns), check_row_order=False)
    topics = profile.tables(store).meta.filter(pl.col("indicator_id").is_in(
        profile.area_rows(store, code, kinds)["indicator_id"].implode()))["topic"].unique().sort().to_list()
    assert profile.topics_for(store, code, kind) == topics


@pytest.mark.parametrize(("code", "kind"), AREAS)
def test_peer_values_are_the_peers_headline_values_in_the_areas_cells(store, code, kind):
    frame = profile.profile(store, code, kind)
    peers = profile_options.resolve(store, {"a": code, "at": kind}).peers or ["E38000233", "E38000225"]
    held = profile.tables(store).by_area.many(peers)
    expected = pl.concat(list(held.values())).filter(
        pl.col("cell_id").is_in(frame["cell_id"].implode()), pl.col("value").is_not_null())
    got = profile_peers._peer_values(store, frame, peers)
    assert got.height > 0
    assert_frame_equal(got, expected.select(got.columns))


@pytest.mark.parametrize(("code", "kind"), AREAS[:3])
def test_parent_figures_are_the_parents_headline_values_in_the_same_period(store, code, kind):
    """The parents' figures are read once per store, only for the periods profiles show: the same
    as looking each row up among all of the parent's headline rows."""
    parent, parent_kind = profile_areas.parent_of(store, code, kind)
    assert parent is not None and (parent, parent_kind) in profile.tables(store).parents
    got = profile.full_profile(store, code, kind)
    rows = profile.area_rows(store, parent, [parent_kind]).unique(profile_tables.JOIN, keep="last", maintain_order=True)
    expected = got.select(profile_tables.JOIN).join(rows, on=profile_tables.JOIN, how="left", nulls_equal=True,
                                                    maintain_order="left")
    assert got["parent_value"].to_list() == expected["value"].to_list()
    assert got["parent_upper"].to_list() == expected["upper_ci95"].to_list()
    assert set(got["parent_code"]) == {parent} and got["parent_value"].null_count() < got.height
