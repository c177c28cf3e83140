"""URL fuzzing: 500+ generated links per page through each page's pure state-reading function.

Every page turns st.query_params into a validated state in a function without Streamlit calls
(explore_options.resolve, profile_options.resolve, ui_trends.resolve, download_url.from_query and
queries.page_state.* for Home and the catalogue-side pages). Each link must give: no exception;
only values the page offers (or its defaults); a plain, non-empty notice whenever a parameter the
page reads holds markup or other text no id can contain; and a canonical query that reads back to
the same state without notices (so the link the page writes back is stable). The About page reads
no parameters; it is covered by the AppTest sample (test_url_apptest.py).

Real ids are drawn often enough that deep states (an area's period, sex, breakdown …) are reached,
not only the fallbacks. The run is derandomized (repeatable) and takes about a minute.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from explorer import catalogue, coherence, releases, schema
from explorer.export import FORMATS
from explorer.queries import catalogue as q
from explorer.queries import download_spec as ds
from explorer.queries import download_url, explore_options, indicator_detail, page_state, profile_options
from explorer.queries import producers as producer_queries
from explorer.queries import trends as trend_queries
from tests.fuzz import links

LINKS = settings(derandomize=True, deadline=None, database=None, max_examples=500,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])


def _hostile_in(raw: dict[str, str], keys) -> list[str]:
    return [k for k in keys if k in raw and links.hostile(raw[k])]


def _must_notice(raw: dict[str, str], keys, notices: list[str]) -> None:
    links.notices_ok(notices)
    bad = _hostile_in(raw, keys)
    assert not bad or notices, f"no notice for {bad} in {raw}"


# --- Home ---------------------------------------------------------------------------------------
def test_home_links(store):
    from explorer.queries import home

    @LINKS
    @given(raw=links.query_strategy({"q": ["diabetes", "A&E waits", "fat", "sugar"]}))
    def check(raw):
        state, query = page_state.home_state(raw)
        _must_notice(raw, ["q"], state.notices)
        assert isinstance(query, str) and len(query) <= 200 and links.SAFE.match(query)
        home.search_results(store, query)  # what the page does with it
        again, same = page_state.home_state(state.query())
        assert same == query and not again.notices

    check()


# --- Indicators (catalogue) ---------------------------------------------------------------------
def test_catalogue_links(store):
    options = q.filter_options(store)
    known = {"q": ["diabetes", "smoking", "A&E"], "t": list(options["topics"]), "pr": options["producers"],
             "at": list(options["area_types"]), "from": [str(y) for y in options["years"]],
             "to": [str(y) for y in options["years"]]}

    @LINKS
    @given(raw=links.query_strategy(known))
    def check(raw):
        link = page_state.catalogue_state(raw, options)
        _must_notice(raw, ["t", "pr", "at", "from", "to"], link.state.notices)
        assert set(link.topics) <= set(options["topics"]) and set(link.producers) <= set(options["producers"])
        assert set(link.area_types) <= set(options["area_types"])
        assert link.year_from in (None, *options["years"]) and link.year_to in (None, *options["years"])
        assert not (link.year_from and link.year_to and link.year_from > link.year_to)
        q.find_indicators(store, link.query, link.topics, link.producers, link.area_types, link.year_from,
                          link.year_to)
        again = page_state.catalogue_state(link.state.query(), options)
        assert not again.state.notices
        assert (again.query, again.topics, again.producers, again.area_types, again.year_from, again.year_to) == (
            link.query, link.topics, link.producers, link.area_types, link.year_from, link.year_to)

    check()


# --- Indicator definition, Producers ------------------------------------------------------------
def test_indicator_links(store):
    ids = list(q.indicator_choices(store))

    @LINKS
    @given(raw=links.query_strategy({"i": ids}))
    def check(raw):
        state, indicator_id = page_state.indicator_state(raw, ids)
        _must_notice(raw, ["i"], state.notices)
        assert indicator_id is None or indicator_id in ids
        if indicator_id:
            assert indicator_detail.indicator_detail(store, indicator_id) is not None
        assert page_state.indicator_state(state.query(), ids)[1] == indicator_id

    check()


def test_producers_links(store):
    producers = producer_queries.producers_overview(store)["Producer"].to_list()

    @LINKS
    @given(raw=links.query_strategy({"pr": producers}))
    def check(raw):
        state, producer = page_state.producer_state(raw, producers)
        _must_notice(raw, ["pr"], state.notices)
        assert producer is None or producer in producers
        again, same = page_state.producer_state(state.query(), producers)
        assert same == producer and not again.notices

    check()


# --- Compare producers (coherence) --------------------------------------------------------------
def test_coherence_links(store):
    overlaps = coherence.overlapping_indicators(store)
    periods = {i: [a for a, _ in coherence.compare(store, i).pairs] for i in overlaps}
    all_periods = sorted({p for ps in periods.values() for p in ps})

    @LINKS
    @given(raw=links.query_strategy({"i": overlaps, "p": all_periods}))
    def check(raw):
        state, indicator_id = page_state.coherence_state(raw, overlaps)
        period = page_state.coherence_period(state, raw, periods.get(indicator_id))
        _must_notice(raw, ["i", "p"], state.notices)
        assert indicator_id is None or indicator_id in overlaps
        assert period is None or period in periods[indicator_id]

    check()


# --- Release calendar ---------------------------------------------------------------------------
def test_releases_links(store):
    summary = releases.revision_summary(store)
    sources = releases.sources_with_revisions(summary)

    def periods_of(source_id):
        return releases.revised_periods(summary, source_id)

    def indicators_of(source_id, period):
        return releases.revised_indicators(store, source_id, period)

    known = {"s": sources, "per": sorted({p for s in sources for p in periods_of(s)}),
             "i": sorted({i for s in sources for p in periods_of(s) for i in indicators_of(s, p)})}

    @LINKS
    @given(raw=links.query_strategy(known))
    def check(raw):
        link = page_state.releases_state(raw, sources, periods_of, indicators_of)
        _must_notice(raw, ["s", "per", "i"] if sources else [], link.state.notices)
        if sources:
            assert link.source_id in sources and link.period in periods_of(link.source_id)
            assert link.indicator_id is None or link.indicator_id in indicators_of(link.source_id, link.period)
        again = page_state.releases_state(link.state.query(), sources, periods_of, indicators_of)
        assert (again.source_id, again.period, again.indicator_id) == (link.source_id, link.period,
                                                                       link.indicator_id)

    check()


# --- Download -----------------------------------------------------------------------------------
def test_download_links(store):
    topics = {t["id"]: t["title"] for t in catalogue.topics()}
    pool = ["diabetes-recorded-prevalence", "ae-attendances", "campylobacter-rate", "healthy-life-expectancy"]
    known = {"q": ["diabetes", "waits"], "tp": list(topics), "i": pool, "pr": ["NHS Digital", "ONS"],
             "at": ["ccg", "icb", "utla", "region", "england"], "a": ["E38000006", "E54000008", "E92000001"],
             "from": ["2015/16", "2019/20", "2019", "Apr 2022"], "to": ["2019/20", "2020", "Mar 2023"],
             "sx": list(schema.SEXES), "ag": ["17+", "All ages"], "cat": ["All types"],
             "st": list(schema.STATUSES), "cols": list(ds.COLUMN_GROUPS), "f": list(FORMATS)}
    always = ["tp", "i", "pr", "at", "from", "to", "sx", "ag", "cat", "st", "cols", "f", "q"]

    @settings(LINKS, max_examples=500)
    @given(raw=links.query_strategy(known))
    def check(raw):
        page = download_url.from_query(store, raw, FORMATS, topics)
        f = page.filter
        _must_notice(raw, always, page.notices)
        ids = set(store.indicators()["indicator_id"])
        assert set(f.indicators) <= ids and len(f.indicators) <= ds.P_INDICATORS.max_items
        assert page.fmt in FORMATS and page.topic in (None, *topics)
        offered = download_url.choices(store, f.indicators)
        assert f.area_type is None or f.area_type in offered.area_types
        assert not f.areas or f.area_type, "areas without an area type"
        if f.area_type:
            scoped = download_url.choices(store, f.indicators, f.area_type)
            assert set(f.areas) <= set(scoped.areas)
            assert f.period_from in (None, *scoped.periods) and f.period_to in (None, *scoped.periods)
        assert set(f.statuses) <= set(schema.STATUSES) and set(f.columns) <= set(ds.COLUMN_GROUPS)
        again = download_url.from_query(store, download_url.page_query(page), FORMATS, topics)
        assert again.filter == f and again.fmt == page.fmt and not again.notices

    check()


# --- Trends -------------------------------------------------------------------------------------
def test_trends_links(store):
    from explorer import ui_trends

    ids = trend_queries.trend_indicators(store)["indicator_id"].to_list()
    known = {"i": ids[:6], "a": ["E92000001", "E54000008", "E54000057", "E38000006", "RR8"],
             "c": ["All types", "Type 1"], "v": list(ui_trends.VIEWS), "cp": ["Jan 2023", "Apr 2022", "2020-W10"],
             "h": ["3", "6", "12", "24", "52", "0", "-1", "1e9"]}

    @settings(LINKS, max_examples=500)
    @given(raw=links.query_strategy(known))
    def check(raw):
        sel = ui_trends.resolve(store, raw)
        _must_notice(raw, ["i", "a", "v", "h"], sel.state.notices)
        assert sel.indicator_id in ids and sel.area in sel.areas["area_code"].to_list()
        assert sel.view in ui_trends.VIEWS and sel.horizon in ui_trends.HORIZONS[sel.period_type]
        assert sel.category is None or sel.category in sel.categories
        assert sel.change_label == ui_trends.NO_CHANGE or sel.change_label in sel.frame["period"].to_list()
        again = ui_trends.resolve(store, sel.state.query())
        assert not again.state.notices, (raw, sel.state.query(), again.state.notices)
        assert (again.indicator_id, again.area, again.category, again.view, again.change_label, again.horizon) == (
            sel.indicator_id, sel.area, sel.category, sel.view, sel.change_label, sel.horizon)

    check()


# --- Explore ------------------------------------------------------------------------------------
def test_explore_links(store):
    ids = ["diabetes-recorded-prevalence", "ae-attendances", "campylobacter-rate", "healthy-life-expectancy",
           "imd-average-score", "ae-within-four-hours", "iapt-recovery"]
    known = {"t": ["long-term-conditions", "mental-health", "lifestyle", "deprivation"], "i": ids,
             "at": ["ccg", "icb", "utla", "ltla", "region", "trust", "sub_icb"], "pr": ["NHS Digital", "ONS"],
             "cb": ["1", "0"], "p": ["2019/20", "2018/19", "2019", "2018 - 20", "Apr 2023"],
             "sx": list(schema.SEXES), "ag": ["17+", "All ages"], "ct": ["All types", "Type 1"],
             "bm": ["england", "parent"], "a": ["E38000006", "E38000232~E38000006", "E10000002", "E54000008"],
             "c": list(explore_options.COLOUR_MODES), "v": list(explore_options.COMPARE_VIEWS)}
    always = ["t", "i", "at", "pr", "p", "sx", "ag", "ct", "bm", "a", "c", "v"]

    @LINKS
    @given(raw=links.query_strategy(known))
    def check(raw):
        sel = explore_options.resolve(store, raw)
        _must_notice(raw, always, sel.notices)
        for key, value in (("t", sel.topic), ("i", sel.indicator_id), ("at", sel.area_type), ("pr", sel.producer),
                           ("p", sel.period), ("sx", sel.sex), ("ag", sel.age), ("ct", sel.category),
                           ("bm", sel.benchmark), ("c", sel.colour), ("v", sel.view)):
            assert value in sel.choices[key], (key, value, sel.choices[key])
        assert set(sel.areas) <= set(sel.choices["a"]) and len(sel.areas) <= 10
        again = explore_options.resolve(store, sel.query)
        assert again.query == sel.query and again.key == sel.key and again.areas == sel.areas
        assert not again.notices, (raw, sel.query, again.notices)

    check()


# --- Area profile -------------------------------------------------------------------------------
def test_area_profile_links(store):
    areas = ["E38000006", "E54000008", "E10000002", "E06000001", "02P", "Barnsley", "E38000232"]
    known = {"a": areas, "at": ["ccg", "icb", "utla", "sub_icb", "ltla"], "from": ["E38000006", "E38000232"],
             "old": ["1"], "t": ["all", "long-term-conditions", "deprivation"], "b": ["england", "parent", "peers"],
             "v": list(profile_options.VIEWS), "p": ["E38000006~E38000007", "E54000008"],
             "fi": ["diabetes-recorded-prevalence"], "c": ["E38000007~E38000008"],
             "ci": ["diabetes-recorded-prevalence", "healthy-life-expectancy:male"]}

    @LINKS
    @given(raw=links.query_strategy(known))
    def check(raw):
        sel = profile_options.resolve(store, raw)
        links.notices_ok(sel.notices)
        assert not _hostile_in(raw, ["a", "b", "v"]) or sel.notices, raw
        assert sel.view in profile_options.VIEWS and sel.benchmark in ("england", "parent", "peers")
        if sel.code is not None:
            for key, value in (("t", sel.topic), ("b", sel.benchmark), ("v", sel.view)):
                assert value in sel.choices[key], (key, value)
            assert set(sel.peers) <= set(sel.choices["p"]) and len(sel.compare) <= 10
            assert sel.funnel_row is None or sel.funnel_row in sel.choices["fi"]
            assert sel.compare_row is None or sel.compare_row in sel.choices["ci"]
        again = profile_options.resolve(store, sel.query)
        assert again.query == sel.query and (again.code, again.area_type, again.topic, again.benchmark,
                                             again.view) == (sel.code, sel.area_type, sel.topic, sel.benchmark,
                                                             sel.view)

    check()
