"""What the catalogue page asks (search with filters, the results table), and what the catalogue,
indicator and producers pages share: the per-store cache, labels for topics and area types, area
names, indicator choices and the sources' YAML side files. One indicator's full description is in
queries/indicator_detail.py, each producer's contribution in queries/producers.py.

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

from explorer import catalogue, paths, schema, search
from explorer.store import Store

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


# --- indicator pickers ----------------------------------------------------------------------------
@per_store
def indicator_choices(store: Store) -> dict[str, str]:
    """indicator_id → title, by title, for pickers."""
    ind = store.indicators().sort("title")
    return dict(zip(ind["indicator_id"].to_list(), ind["title"].to_list(), strict=True))


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
