"""What the catalogue, indicator and producers pages ask: search with filters, one indicator's
full description (definition to breaks in series), and what each producer contributes.

No Streamlit here. Results that depend only on the store are computed once per store object
(`per_store`), so a page interaction costs a dictionary look-up plus a small filter.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
import yaml

from explorer import catalogue, fingertips_meta, paths, schema, search
from explorer.sources.base import SourceError
from explorer.store import Store

SHOWN_STATUSES = ("published", "revised", "provisional", "aggregated")
_UNSAFE_QUERY = re.compile(r"[^\w\-./+ ,:()'&%]", re.UNICODE)


# --- a small per-store cache ----------------------------------------------------------------------
def per_store(fn: Callable) -> Callable:
    """Cache fn(store, *args) per store object (the store is loaded once per process and never
    mutated). The entry keeps the store alive, so its id cannot be reused by another store."""
    cache: dict[tuple, tuple[Store, object]] = {}
    lock = threading.Lock()

    @functools.wraps(fn)
    def wrapper(store: Store, *args):
        key = (id(store), *args)
        hit = cache.get(key)
        if hit is not None and hit[0] is store:
            return hit[1]
        result = fn(store, *args)
        with lock:
            if len(cache) > 256:
                cache.clear()
            cache[key] = (store, result)
        return result

    return wrapper


# --- labels ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def topic_titles() -> dict[str, str]:
    return {t["id"]: t["title"] for t in catalogue.topics()}


def area_type_label(code: str | None) -> str:
    return schema.AREA_TYPES.get(code or "", code or "")


def short_area_type(code: str) -> str:
    """'Clinical commissioning group (CCG)' → 'Clinical commissioning group'."""
    return area_type_label(code).split(" (")[0]


def area_types_text(codes) -> str:
    """Area types (a list or a Polars list element) in the store's order, short labels."""
    order = list(schema.AREA_TYPES)
    held = sorted([] if codes is None else list(codes),
                  key=lambda c: order.index(c) if c in order else len(order))
    return ", ".join(short_area_type(c) for c in held)


@per_store
def area_names(store: Store) -> pl.DataFrame:
    """(area_type, area_code) → area_name: codes are reused across types (a CCG's E38 code is
    later a sub-ICB location's), so names are looked up by both."""
    return store.areas().select("area_type", "area_code", "area_name").unique(["area_type", "area_code"])


def clean_query(text: object) -> str:
    """A search box's text made safe for the URL: characters the URL state refuses ('?', quotes)
    become spaces, which the search ignores anyway."""
    # Cut to 200 characters, then strip again so the cut never leaves a trailing space.
    return " ".join(_UNSAFE_QUERY.sub(" ", str(text or "")).split())[:200].rstrip()


# --- catalogue search -----------------------------------------------------------------------------
@per_store
def filter_options(store: Store) -> dict:
    """The choices the catalogue filters offer: only what the store holds."""
    ind = store.indicators()
    held_topics = set(ind["topic"].to_list())
    producers = sorted({p for ps in ind["producers"].to_list() for p in (ps or [])})
    area_types = [a for a in schema.AREA_TYPES if any(a in (ats or []) for ats in ind["area_types"].to_list())]
    first = ind["first_period_start"].drop_nulls().min()
    last = ind["last_period_end"].drop_nulls().max()
    return {
        "topics": {k: v for k, v in topic_titles().items() if k in held_topics},
        "producers": producers,
        "area_types": {a: area_type_label(a) for a in area_types},
        "years": list(range(first.year, last.year + 1)) if first and last else [],
    }


def find_indicators(store: Store, query: str | None = None, topics: list[str] | None = None,
                    producers: list[str] | None = None, area_types: list[str] | None = None,
                    year_from: int | None = None, year_to: int | None = None) -> pl.DataFrame:
    """Matching indicators, best first (or by topic and title with no query): indicator_id,
    title, topic, producers, latest_period, area_types, matched, first_period."""
    covers = None
    if year_from or year_to:
        years = filter_options(store)["years"] or [dt.date.today().year]
        covers = (dt.date(year_from or years[0], 1, 1), dt.date(year_to or years[-1], 12, 31))
    found = search.search(store.indicators(), query, limit=None, topic=topics or None,
                          producer=producers or None, area_type=area_types or None,
                          covers_period=covers)
    if producers:  # search matches producer words ("MHCLG" finds "Office for … (MHCLG)"): be exact here
        found = found.filter(pl.col("producers").list.eval(pl.element().is_in(producers)).list.any())
    extra = store.indicators().select("indicator_id", "first_period", "short_title")
    return found.join(extra, on="indicator_id", how="left", maintain_order="left")


def results_table(found: pl.DataFrame) -> pl.DataFrame:
    """Search results as the page shows them, with links to the indicator page and Explore."""
    titles = topic_titles()
    return found.select(
        pl.col("title").alias("Indicator"),
        pl.concat_str(pl.lit("/indicator?i="), pl.col("indicator_id")).alias("Details"),
        pl.concat_str(pl.lit("/explore?i="), pl.col("indicator_id")).alias("Explore"),
        pl.col("producers").list.join(", ").alias("Producer(s)"),
        pl.col("latest_period").alias("Latest period"),
        pl.concat_str(pl.col("first_period").fill_null("?"), pl.lit(" to "),
                      pl.col("latest_period").fill_null("?")).alias("Periods"),
        _area_types_text(found["area_types"]).alias("Area types"),
        pl.col("topic").replace(titles).alias("Topic"),
        pl.col("matched").alias("Matched on"),
    )


def _area_types_text(column: pl.Series) -> pl.Series:
    """`area_types_text` of each list, worked out once per distinct list (a few dozen)."""
    return pl.Series([None if key is None else _area_types_key(key) for key in column.list.join(",").to_list()],
                     dtype=pl.String)


@functools.lru_cache(maxsize=1024)
def _area_types_key(key: str) -> str:
    return area_types_text(key.split(",") if key else [])


# --- one indicator --------------------------------------------------------------------------------
@per_store
def indicator_choices(store: Store) -> dict[str, str]:
    """indicator_id → title, by title, for pickers."""
    ind = store.indicators().sort("title")
    return dict(zip(ind["indicator_id"].to_list(), ind["title"].to_list(), strict=True))


@per_store
def indicator_detail(store: Store, indicator_id: str) -> dict | None:
    """Everything the indicator page shows, as plain values and small frames."""
    row = store.indicator(indicator_id)
    if row is None:
        return None
    values = store.indicator_slice(indicator_id)
    shown = values.filter(pl.col("status").is_in([*SHOWN_STATUSES, "missing", "suppressed"]))
    return {
        "row": row,
        "topic_title": topic_titles().get(row["topic"], row["topic"]),
        "datasets": _datasets(store, values),
        "coverage": _coverage(shown),
        "periods": shown.select("period", "period_start").unique().sort("period_start")["period"].to_list(),
        "related": _related(store, row),
        "fingertips": fingertips_links(indicator_id, row.get("fingertips_id")),
        "not_same_as": _not_same_as_for(store, indicator_id),
        "breaks": _breaks(store, row),
        "revisions": store.table("revisions").filter(pl.col("indicator_id") == indicator_id).height
        if not store.table("revisions").is_empty() else 0,
        "interval_methods": _interval_methods(shown),
        "re_estimated": values.filter(pl.col("status") == "re-estimated").height,
        "aggregated": values.filter(pl.col("status") == "aggregated").height,
    }


def _datasets(store: Store, values: pl.DataFrame) -> pl.DataFrame:
    """One row per producer's dataset: title, release dates, licence, what it contributes."""
    per_source = values.group_by("producer", "source_id").agg(
        pl.col("period").sort_by("period_start").first().alias("first"),
        pl.col("period").sort_by("period_end").last().alias("latest"),
        pl.col("area_type").unique().sort().alias("area_types"),
        pl.len().alias("values"))
    sources = store.table("sources")
    if sources.is_empty():
        return per_source
    releases = (sources.group_by("source_id").agg(
        pl.col("title").first(), pl.col("licence").first(),
        pl.col("file").str.split("#").list.first().n_unique().alias("files"),
        pl.col("release_date").drop_nulls().unique().sort().alias("release_dates")))
    return per_source.join(releases, on="source_id", how="left").sort("producer", "source_id")


def datasets_table(detail: dict) -> list[dict]:
    """The indicator page's "Producers and source datasets" rows."""
    return [{"Producer": d["producer"], "Dataset": d.get("title") or d["source_id"],
             "Periods": d["first"] if d["first"] == d["latest"] else f"{d['first']} to {d['latest']}",
             "Release dates": ", ".join(f"{x:%d %b %Y}" for x in d.get("release_dates") or []) or "not stated",
             "Files": d.get("files"), "Values": d["values"],
             "Area types": area_types_text(d["area_types"]), "Licence": d.get("licence")}
            for d in detail["datasets"].iter_rows(named=True)]


def coverage_table(detail: dict) -> pl.DataFrame:
    """The indicator page's "Periods and area types available" table."""
    return detail["coverage"].select(
        pl.col("area_type").map_elements(short_area_type, return_dtype=pl.String).alias("Area type"),
        pl.col("producer").alias("Producer"), pl.col("first").alias("First period"),
        pl.col("latest").alias("Latest period"), pl.col("periods").alias("Periods"), pl.col("areas").alias("Areas"))


def _interval_methods(values: pl.DataFrame) -> list[dict]:
    """How each producer's confidence intervals were obtained, with how many values have one."""
    with_ci = values.filter(pl.col("lower_ci95").is_not_null())
    out = [{"producer": r["producer"], "method": r["ci_method"] or "as published", "values": r["len"]}
           for r in with_ci.group_by("producer", "ci_method").len().sort("producer").iter_rows(named=True)]
    for producer in sorted(set(values["producer"].to_list()) - set(with_ci["producer"].to_list())):
        out.append({"producer": producer, "method": "no confidence intervals published", "values": 0})
    return out


def _coverage(values: pl.DataFrame) -> pl.DataFrame:
    """Per area type and producer: periods and number of areas held."""
    order = {a: i for i, a in enumerate(schema.AREA_TYPES)}
    return (values.group_by("area_type", "producer").agg(
        pl.col("period").sort_by("period_start").first().alias("first"),
        pl.col("period").sort_by("period_end").last().alias("latest"),
        pl.col("period").n_unique().alias("periods"),
        pl.col("area_code").n_unique().alias("areas"))
        .with_columns(pl.col("area_type").replace_strict(order, default=99).alias("_o"))
        .sort("_o", "producer").drop("_o"))


def _related(store: Store, row: dict) -> pl.DataFrame:
    """Same topic, other indicators; those from producers this one lacks come first."""
    own = set(row.get("producers") or [])
    return (store.indicators()
            .filter(pl.col("topic") == row["topic"], pl.col("indicator_id") != row["indicator_id"])
            .with_columns(pl.col("producers").list.eval(~pl.element().is_in(list(own))).list.any()
                          .alias("other_producer"))
            .sort(pl.col("other_producer"), pl.col("title"), descending=[True, False])
            .select("indicator_id", "title", "producers", "other_producer", "latest_period"))


def _breaks(store: Store, row: dict) -> dict:
    """Breaks in the series: whole-series breaks (catalogue and store) and, per area, how many
    areas had a boundary or other change, with the individual rows for a table."""
    table = store.table("breaks")
    rows = table.filter(pl.col("indicator_id") == row["indicator_id"]) if not table.is_empty() else table
    whole = [{"period": b["period"], "reason": b["reason"]} for b in row.get("breaks") or []]
    if not rows.is_empty():
        for b in rows.filter(pl.col("area_code").is_null()).iter_rows(named=True):
            if not any(w["period"] == b["period"] for w in whole):
                whole.append({"period": b["period"], "reason": b["reason"]})
        per_area = rows.filter(pl.col("area_code").is_not_null())
        per_area = (per_area.join(area_names(store), on=["area_type", "area_code"], how="left")
                    .select("period", "area_type", "area_code", "area_name", "reason").sort("period", "area_name"))
    else:
        per_area = pl.DataFrame()
    return {"whole_series": whole, "per_area": per_area}


def _not_same_as_for(store: Store, indicator_id: str) -> pl.DataFrame:
    """This indicator's own "not the same as" entries (`why` describes the other measure), plus
    entries other indicators record against it that it does not record back (`why` then
    describes this one, as written on the other indicator: recorded_by_other)."""
    pairs = not_same_as_pairs(store)
    own = pairs.filter(pl.col("indicator_id") == indicator_id).with_columns(
        pl.lit(False).alias("recorded_by_other"))
    theirs = (pairs.filter(pl.col("other_id") == indicator_id, ~pl.col("indicator_id").is_in(own["other_id"].to_list()))
              .select(pl.col("other_id").alias("indicator_id"), pl.col("other_title").alias("title"),
                      pl.col("producers"), pl.col("indicator_id").alias("other_id"),
                      pl.col("title").alias("other_title"), pl.lit(True).alias("other_held"), pl.col("why"),
                      pl.lit(True).alias("recorded_by_other")))
    return pl.concat([own, theirs], how="vertical_relaxed")


@per_store
def not_same_as_pairs(store: Store) -> pl.DataFrame:
    """Every "similar name, different measure" pair the catalogue records, with the explanation,
    read in both directions (each side states why the other is different)."""
    ind = store.indicators()
    titles = dict(zip(ind["indicator_id"].to_list(), ind["title"].to_list(), strict=True))
    rows = []
    for r in ind.select("indicator_id", "title", "producers", "not_same_as").iter_rows(named=True):
        for pair in r["not_same_as"] or []:
            rows.append({"indicator_id": r["indicator_id"], "title": r["title"],
                         "producers": ", ".join(r["producers"] or []),
                         "other_id": pair["id"], "other_title": titles.get(pair["id"], pair["id"]),
                         "other_held": pair["id"] in titles, "why": pair["why"]})
    schema_ = {"indicator_id": pl.String, "title": pl.String, "producers": pl.String,
               "other_id": pl.String, "other_title": pl.String, "other_held": pl.Boolean, "why": pl.String}
    return pl.DataFrame(rows, schema=schema_)


# --- source metadata ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def source_metas(sources_dir: Path = paths.SOURCES_DIR) -> tuple[dict, ...]:
    """Every source's YAML side file, read once (with libyaml when present: ten times faster).
    A file that cannot be read is left out here; the build reports it."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    metas = []
    for path in sorted(Path(sources_dir).glob("*.yaml")):
        try:
            meta = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(meta, dict) and meta.get("id"):
            metas.append(meta)
    return tuple(metas)


# --- Fingertips cross-reference -------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _yaml_fingertips_ids() -> dict[str, list[tuple[str, str]]]:
    """indicator_id → [(fingertips_id, source_id)] from every source YAML: catalogue entries and
    per-file mappings (a reshaped Fingertips file names the Fingertips ID of a measure another
    source defines, e.g. healthy life expectancy = PHOF 0.1i, ID 90362)."""
    found: dict[str, list[tuple[str, str]]] = {}

    def walk(node: object, source: str) -> None:
        if isinstance(node, dict):
            ident = node.get("indicator_id") or node.get("id")
            if node.get("fingertips_id") and isinstance(ident, str):
                pair = (str(node["fingertips_id"]), source)
                if pair not in found.setdefault(ident, []):
                    found[ident].append(pair)
            for child in node.values():
                walk(child, source)
        elif isinstance(node, list):
            for child in node:
                walk(child, source)

    for meta in source_metas():
        walk(meta, meta["id"])
    return found


def fingertips_links(indicator_id: str, catalogue_id: str | None) -> list[dict]:
    """The Fingertips indicator IDs for this measure, with FingertipsNext's name, definition,
    unit and polarity where its metadata copy has the ID."""
    pairs = list(_yaml_fingertips_ids().get(indicator_id, []))
    if catalogue_id and all(fid != str(catalogue_id) for fid, _ in pairs):
        pairs.insert(0, (str(catalogue_id), "catalogue"))
    out = []
    for fid, source in pairs:
        try:
            meta = fingertips_meta.lookup(fid)
        except (SourceError, OSError, ValueError):
            meta = None
        out.append({"fingertips_id": fid, "source_id": source, "meta": meta})
    return out


# --- producers ------------------------------------------------------------------------------------
@per_store
def producers_overview(store: Store) -> pl.DataFrame:
    """One row per producer: indicators, topics, area types, periods, datasets, values."""
    values = store.scan().filter(pl.col("status") != "re-estimated")
    ind = store.indicators().select("indicator_id", "topic")
    titles = topic_titles()
    per = (values.group_by("producer").agg(
        pl.col("indicator_id").n_unique().alias("Indicators"),
        pl.col("indicator_id").unique().alias("_ids"),
        pl.col("area_type").unique().alias("_ats"),
        pl.col("period_start").min().alias("From"),
        pl.col("period_end").max().alias("To"),
        pl.col("source_id").n_unique().alias("Datasets"),
        pl.len().alias("Values")).sort("producer").collect(engine="streaming"))
    topics = {r["indicator_id"]: titles.get(r["topic"], r["topic"]) for r in ind.iter_rows(named=True)}
    return per.with_columns(
        pl.col("_ids").map_elements(lambda ids: ", ".join(sorted({topics.get(i, "") for i in ids})),
                                    return_dtype=pl.String).alias("Topics"),
        pl.col("_ats").map_elements(area_types_text, return_dtype=pl.String).alias("Area types"),
    ).select(pl.col("producer").alias("Producer"), "Indicators", "Datasets", "From", "To", "Values",
             "Area types", "Topics")


@per_store
def producer_indicators(store: Store, producer: str) -> pl.DataFrame:
    """What one producer contributes, indicator by indicator, and who else publishes it."""
    values = store.scan().filter(pl.col("producer") == producer, pl.col("status") != "re-estimated")
    per = values.group_by("indicator_id").agg(
        pl.col("period").sort_by("period_start").first().alias("First period"),
        pl.col("period").sort_by("period_end").last().alias("Latest period"),
        pl.col("area_type").unique().alias("_ats"),
        pl.len().alias("Values")).collect(engine="streaming")
    ind = store.indicators().select("indicator_id", "title", "topic", "producers")
    return (per.join(ind, on="indicator_id", how="left")
            .with_columns(
                pl.col("_ats").map_elements(area_types_text, return_dtype=pl.String).alias("Area types"),
                pl.col("producers").list.filter(pl.element() != producer).list.join(", ").alias("Also published by"),
                pl.col("topic").replace(topic_titles()).alias("Topic"),
                pl.concat_str(pl.lit("/indicator?i="), pl.col("indicator_id")).alias("Details"))
            .sort("Topic", "title")
            .select(pl.col("title").alias("Indicator"), "Details", "Latest period", "First period",
                    "Area types", "Also published by", "Topic", "Values"))
