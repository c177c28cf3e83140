"""What the indicator page asks: one indicator's full description, from its definition and the
producers' datasets to coverage, related indicators, "not the same as" pairs, Fingertips IDs and
breaks in series. No Streamlit here; results are computed once per store (`per_store`)."""

from __future__ import annotations

import functools

import polars as pl

from explorer import fingertips_meta, schema
from explorer.queries.catalogue import (
    area_names,
    area_types_text,
    per_store,
    short_area_type,
    source_metas,
    topic_titles,
)
from explorer.sources.base import SourceError
from explorer.store import Store

SHOWN_STATUSES = ("published", "revised", "provisional", "aggregated")


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
