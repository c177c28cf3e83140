"""Explore page: its URL parameters, and what each selector offers given the picks before it.

`resolve(store, query)` reads a query mapping (st.query_params as a dict) into a `Selection`:
every value checked against what the store holds for the earlier picks (topic → indicator →
area type → producer → period → sex → age → category …), unknown or malformed values replaced by
defaults with a plain-English notice. The selectors' choices come from a small per-indicator
coverage table, computed once per indicator and cached, so resolving costs well under a
millisecond of Polars work. No Streamlit here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from explorer import catalogue, schema
from explorer.queries.memo import memo
from explorer.state import LIST_SEPARATOR, Param, UrlState
from explorer.store import Store

DEFAULT_INDICATOR = "diabetes-recorded-prevalence"
ENGLAND = "E92000001"
REESTIMATED = "re-estimated"
# The area type shown first when a link does not say: the most familiar comparison units first.
AREA_TYPE_PREFERENCE = ("utla", "ccg", "sub_icb", "icb", "ltla", "trust", "region", "nhs_region",
                        "combined_authority", "country", "england")
# Whose parent an area is compared with when the benchmark is "parent" (areas.parquet columns).
PARENTS = {"ltla": ("region", "parent_region"), "utla": ("region", "parent_region"),
           "ccg": ("icb", "parent_icb"), "sub_icb": ("icb", "parent_icb"),
           "icb": ("nhs_region", "parent_nhs_region")}
PARENT_WORDS = {"region": "its region", "icb": "its ICB", "nhs_region": "its NHS region"}
COLOUR_MODES = {"comparison": "Compared with benchmark", "quintile": "Quintiles", "value": "Value"}
COMPARE_VIEWS = {"ranked": "Ranked areas", "funnel": "Funnel plot"}
# The results' views, one shown at a time (as OWID's grapher and Fingertips do): only the open one
# is computed and drawn, so a new period redraws one view, not four (BENCHMARKS.md, session 6).
TABS = {"map": "Map", "compare": "Compare areas", "trend": "Trend", "table": "Table"}
FUNNEL_TYPES = {"proportion": "proportion", "crude rate": "rate"}
YEARLY = ("financial_year", "calendar_year")
ALL = "All"  # label of the rows with no category (the total)

P = {p.key: p for p in (
    Param("t", "topic", "Topic the indicator list is filtered by"),
    Param("i", "indicator", "Indicator id, as in the catalogue"),
    Param("at", "area type", "Kind of area mapped and compared (ccg, icb, utla …)"),
    Param("pr", "producer", "Organisation whose figures are shown"),
    Param("cb", "current-boundaries option", "1 = show the series re-estimated on current boundaries"),
    Param("p", "period", "Time period label, e.g. 2019/20"),
    Param("sx", "sex", "Persons, Male or Female"),
    Param("ag", "age group", "Age band, e.g. 17+"),
    Param("ct", "breakdown", "Category within the indicator (e.g. A&E department type)"),
    Param("bm", "benchmark", "england or parent (region / ICB / NHS region)", default="england"),
    Param("a", "areas", "Chosen area codes joined by ~", many=True, max_items=10),
    Param("c", "colour mode", "comparison, quintile or value"),
    Param("v", "compare view", "ranked or funnel", default="ranked"),
    Param("tab", "view", "map, compare, trend or table (default: map, or compare where there is no map)"),
)}
KEYS = tuple(P)


def coverage(store: Store, indicator_id: str) -> pl.DataFrame:
    """One row per (area type, producer, period, sex, age, category, re-estimated?) with counts."""
    def compute() -> pl.DataFrame:
        return (store.indicator_slice(indicator_id)
                .with_columns((pl.col("status") == REESTIMATED).alias("reestimated"))
                .group_by("area_type", "producer", "period", "period_start", "period_end", "period_type",
                          "sex", "age", "category", "reestimated")
                .agg(pl.len().alias("rows"), pl.col("value").is_not_null().sum().alias("values"),
                     (pl.col("lower_ci95").is_not_null() & pl.col("upper_ci95").is_not_null())
                     .sum().alias("intervals"),
                     (pl.col("count").is_not_null() & pl.col("denominator").is_not_null())
                     .sum().alias("counts"))
                .sort("period_end", "period_start"))
    return memo(store, ("coverage", indicator_id), compute)


def indicator_table(store: Store) -> pl.DataFrame:
    """The catalogue columns the selectors need, sorted by title."""
    return memo(store, ("indicators",), lambda: store.indicators().select(
        "indicator_id", "title", "short_title", "topic", "producers", "n_published").sort("title"))


@functools.lru_cache(maxsize=1)
def _topics() -> tuple[tuple[str, str], ...]:
    return tuple((t["id"], t["title"]) for t in catalogue.topics())


def topic_titles() -> dict[str, str]:
    """Topic id → title, from explorer/topics.yaml (read once per process)."""
    return dict(_topics())


@dataclass(frozen=True)
class Selection:
    """Everything the Explore page shows, resolved and valid, plus the selectors' choices."""

    indicator_id: str
    indicator: dict
    topic: str | None
    area_type: str
    producer: str
    current: bool
    period: str
    sex: str
    age: str
    category: str | None
    benchmark: str
    areas: list[str]
    colour: str
    view: str
    tab: str = "map"
    choices: dict[str, list] = field(default_factory=dict)
    labels: dict[str, dict] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    period_type: str = ""
    reestimated_offered: bool = False   # the area type has re-estimated rows and published ones
    reestimated_only: bool = False      # this period exists for the area type only as re-estimated
    has_intervals: bool = False
    funnel_ok: bool = False
    parent_type: str | None = None

    @property
    def key(self) -> tuple:
        """Hashable identity of the data shown (not of the chart styling)."""
        return (self.indicator_id, self.area_type, self.producer, self.current, self.period,
                self.sex, self.age, self.category, self.benchmark)


def _first(frame: pl.DataFrame, column: str) -> list:
    return frame.get_column(column).unique(maintain_order=True).to_list()


def _default_area_type(cov: pl.DataFrame) -> str:
    """The preferred area type among those reaching the indicator's latest period."""
    mapped = cov.filter(pl.col("area_type") != "england")
    pool = mapped if mapped.height else cov
    latest = pool.group_by("area_type").agg(pl.col("period_end").max())
    newest = latest["period_end"].max()
    candidates = set(latest.filter(pl.col("period_end") == newest)["area_type"])
    return next(a for a in (*AREA_TYPE_PREFERENCE, *sorted(candidates)) if a in candidates)


def _default_producer(cov: pl.DataFrame, home: str | None) -> str:
    """The producer with the most recent period; ties go to the indicator's own source."""
    by = cov.group_by("producer").agg(pl.col("period_end").max(), pl.col("rows").sum())
    by = by.with_columns((pl.col("producer") == (home or "")).alias("home"))
    # Ties (same period, rows) go to the first name: group_by's order is not stable between runs.
    return by.sort(["period_end", "home", "rows", "producer"], descending=[True, True, True, False])["producer"][0]


def _usual_age(cov: pl.DataFrame) -> str:
    """The age band with the most rows; ties go to all ages, then the first band by name (group_by's
    order is not stable between runs, so an unbroken tie picked a different default each time)."""
    by = cov.group_by("age").agg(pl.col("rows").sum()).with_columns((pl.col("age") == schema.ALL_AGES).alias("all"))
    return by.sort(["rows", "all", "age"], descending=[True, True, False])["age"][0]


def _home_producer(store: Store, indicator: dict) -> str | None:
    sources = store.table("sources")
    if sources.is_empty():
        return None
    own = sources.filter(pl.col("source_id") == indicator.get("defined_by"))["producer"]
    return own[0] if len(own) else None


def _default_of(options: list, preferred: tuple) -> object:
    return next((p for p in preferred if p in options), options[0] if options else None)


def used_topics(store: Store) -> list[str]:
    """Topics (in topics.yaml order) that have at least one indicator in the store."""
    def compute() -> list[str]:
        present = set(indicator_table(store)["topic"])
        return [t for t in topic_titles() if t in present]
    return memo(store, ("used-topics",), compute)


def indicator_labels(store: Store) -> dict[str, str]:
    """indicator_id → the indicator picker's label: "title · producer, producer"."""
    def compute() -> dict[str, str]:
        indicators = indicator_table(store)
        return {i: f"{title} · {', '.join(producers or [])}" for i, title, producers in
                zip(indicators["indicator_id"].to_list(), indicators["title"].to_list(),
                    indicators["producers"].to_list(), strict=True)}
    return memo(store, ("indicator-labels",), compute)


def indicator_pool(store: Store, topic: str | None) -> tuple[list[str], str, dict[str, str]]:
    """The indicator picker for a topic (None = all): ids in title order, the default id, labels."""
    def compute() -> tuple[list[str], str, dict[str, str]]:
        indicators = indicator_table(store)
        pool = indicators.filter(pl.col("topic") == topic) if topic else indicators
        ids = pool["indicator_id"].to_list()
        fallback = DEFAULT_INDICATOR if DEFAULT_INDICATOR in ids else (
            pool.sort("n_published", descending=True)["indicator_id"][0])
        everyone = indicator_labels(store)
        return ids, fallback, {i: everyone[i] for i in ids}
    return memo(store, ("indicator-pool", topic), compute)


def indicator_row(store: Store, indicator_id: str) -> tuple[dict, str | None]:
    """The indicator's catalogue row (empty if unknown) and the producer of its defining source."""
    def compute() -> tuple[dict, str | None]:
        indicator = store.indicator(indicator_id) or {}
        return indicator, _home_producer(store, indicator)
    return memo(store, ("indicator-row", indicator_id), compute)


def resolve(store: Store, query: Mapping[str, object]) -> Selection:
    """The Selection a query asks for, with notices for whatever had to fall back. Cached per query:
    an interaction resolves the same query twice (in the widget's callback, then in the page run),
    and fragments resolve it again."""
    frozen = tuple(sorted((str(k), tuple(v) if isinstance(v, list | tuple) else v) for k, v in query.items()))
    return memo(store, ("selection", frozen), lambda: _resolve(store, query), size=64)


def _resolve(store: Store, query: Mapping[str, object]) -> Selection:
    from explorer.queries.explore_map import layer_vintages  # it imports this module's memo

    state = UrlState(query)
    topics = topic_titles()
    offered_topics = used_topics(store)
    topic = state.pick(P["t"], offered_topics)
    ids, fallback, picker_labels = indicator_pool(store, topic)
    indicator_id = state.pick(P["i"], ids, default=fallback)
    indicator, home = indicator_row(store, indicator_id)
    cov = coverage(store, indicator_id)

    area_types = [a for a in AREA_TYPE_PREFERENCE if a in set(cov["area_type"])]
    area_types = [a for a in area_types if a != "england"] or area_types
    area_type = state.pick(P["at"], area_types, default=_default_area_type(cov))
    cov_at = cov.filter(pl.col("area_type") == area_type)

    producers = sorted(set(cov_at["producer"]))
    producer = state.pick(P["pr"], producers, default=_default_producer(cov_at, home))
    cov_pr = cov_at.filter(pl.col("producer") == producer)

    has_reest = bool(cov_pr["reestimated"].any())
    has_published = not bool(cov_pr["reestimated"].all())
    offered = has_reest and has_published
    current = state.pick(P["cb"], ["1"]) == "1" if offered else False
    if not offered:
        state.set("cb", None)

    periods = _first(cov_pr.sort("period_end", "period_start", descending=True), "period")
    period = state.pick(P["p"], periods, default=periods[0])
    cov_p = cov_pr.filter(pl.col("period") == period)
    reest_only = not bool((~cov_p["reestimated"]).any())
    shown = cov_p if (current or reest_only) else cov_p.filter(~pl.col("reestimated"))

    sexes = [s for s in schema.SEXES if s in set(shown["sex"])]
    sex = state.pick(P["sx"], sexes, default=sexes[0])
    shown = shown.filter(pl.col("sex") == sex)
    ages = sorted(set(shown["age"]), key=lambda a: (a != schema.ALL_AGES, a))
    usual_age = _usual_age(cov_pr)
    age = state.pick(P["ag"], ages, default=_default_of(ages, (usual_age, schema.ALL_AGES)))
    shown = shown.filter(pl.col("age") == age)
    categories = sorted({c for c in shown["category"] if c is not None})
    has_total = shown["category"].is_null().any()
    default_category = None if has_total else _default_of(
        categories, tuple(c for c in categories if c.lower().startswith("all")))
    category = state.pick(P["ct"], categories, default=default_category)
    if category is None and not has_total:
        category = default_category
    shown = shown.filter(pl.col("category").is_null() if category is None else pl.col("category") == category)

    parent = PARENTS.get(area_type)
    benchmarks = ["england", "parent"] if parent else ["england"]
    benchmark = state.pick(P["bm"], benchmarks)

    area_names = names(store, area_type)
    codes = shown_codes(store, indicator_id, area_type, producer, period, sex, age, category,
                        current or reest_only)
    areas = state.pick(P["a"], codes)
    state.notices += _left_out_areas(store, query, codes)

    has_intervals = int(shown["intervals"].sum()) > 0
    colour = state.pick(P["c"], list(COLOUR_MODES),
                        default="comparison" if has_intervals else "quintile")
    funnel_ok = (indicator.get("value_type") in FUNNEL_TYPES and int(shown["counts"].sum()) >= 5)
    view = state.pick(P["v"], list(COMPARE_VIEWS) if funnel_ok else ["ranked"])
    first_tab = "map" if layer_vintages(store, area_type) else "compare"  # no boundaries: no map
    tab = state.pick(P["tab"], list(TABS), default=first_tab)
    if tab == first_tab:
        state.set("tab", None)  # links stay short, and the view follows the area type's default

    choices = {"t": [None, *offered_topics], "i": ids, "at": area_types, "pr": producers, "p": periods,
               "sx": sexes, "ag": ages, "ct": ([None] if has_total else []) + categories,
               "bm": benchmarks, "a": codes, "c": list(COLOUR_MODES),
               "v": list(COMPARE_VIEWS) if funnel_ok else ["ranked"], "tab": list(TABS)}
    labels = {
        "t": {None: "All topics", **topics},
        "i": picker_labels,
        "at": {a: schema.AREA_TYPES.get(a, a) for a in area_types},
        "ct": {None: ALL, **{c: c for c in categories}},
        "bm": {"england": "England", "parent": f"Parent area ({PARENT_WORDS[parent[0]][4:]})" if parent else ""},
        "a": {c: area_names.get(c, c) for c in codes},
        "c": COLOUR_MODES, "v": COMPARE_VIEWS, "tab": TABS,
    }
    return Selection(
        indicator_id=indicator_id, indicator=indicator, topic=topic, area_type=area_type,
        producer=producer, current=current, period=period, sex=sex, age=age, category=category,
        benchmark=benchmark, areas=list(areas), colour=colour, view=view, tab=tab, choices=choices,
        labels=labels, notices=list(dict.fromkeys(state.notices)), query=_query(state),
        period_type=cov_p["period_type"][0], reestimated_offered=offered,
        reestimated_only=reest_only, has_intervals=has_intervals, funnel_ok=funnel_ok,
        parent_type=parent[0] if parent else None)


def _left_out_areas(store: Store, query: Mapping[str, object], codes: list[str]) -> list[str]:
    """Why linked areas are missing, when the store knows (e.g. a CCG that merged)."""
    from explorer.geography.history import what_happened

    raw = query.get("a")
    raw = raw[-1] if isinstance(raw, list | tuple) and raw else raw
    wanted = [c for c in str(raw or "").split(LIST_SEPARATOR) if c][: P["a"].max_items]
    shown = set(codes)
    wanted = [c for c in wanted if c not in shown]
    if not wanted:
        return []
    areas, links = store.areas(), store.table("area_links")
    known = set(areas["area_code"]) if not areas.is_empty() else set()
    out = []
    for code in (c for c in wanted if c in known):
        story = what_happened(code, areas, links) if not links.is_empty() else ""
        if story:
            out.append(story)
    return out


def _query(state: UrlState) -> dict[str, str]:
    """The canonical query in a fixed key order (stable, readable links)."""
    query = state.query()
    if query.get("cb") in ("False", "0"):
        query.pop("cb")
    return {k: query[k] for k in KEYS if k in query}


def names(store: Store, area_type: str) -> dict[str, str]:
    """area_code → the latest name it had as this area type (codes only when the store has none)."""
    def compute() -> dict[str, str]:
        areas = store.areas()
        if areas.is_empty():
            return {}
        latest = areas.filter(pl.col("area_type") == area_type).sort("vintage").unique("area_code", keep="last")
        return dict(zip(latest["area_code"], latest["area_name"], strict=True))
    return memo(store, ("names", area_type), compute)


def shown_codes(store: Store, indicator_id: str, area_type: str, producer: str, period: str, sex: str,
                age: str, category: str | None, reestimated: bool) -> list[str]:
    """Area codes with a row in the chosen slice, in name order (the area picker's options)."""
    from explorer.queries.explore import period_rows  # the one place rows are chosen

    rows = period_rows(store, indicator_id, area_type, producer, period, sex, age, category, reestimated)
    area_names = names(store, area_type)
    return sorted(rows["area_code"].to_list(), key=lambda c: (area_names.get(c, c).lower(), c))
