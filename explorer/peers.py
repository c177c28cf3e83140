"""Nearest-neighbour peer groups ("the 10 most similar areas"), computed from data in the store.

Method (CIPFA-style nearest neighbours), one kind of area at a time:

1. Each area of the kind gets a few context features: things that drive health statistics but
   that a commissioner or council cannot quickly change (deprivation, size, age structure; for
   local authorities, which have no IMD in the store, the ONS Health Index domains instead).
2. Each feature is standardised over all areas of the kind: z = (x - mean) / standard deviation
   (population SD), so a feature measured in thousands does not outweigh one measured in percent.
3. Distance between two areas is the weighted Euclidean distance
   d = sqrt(sum_f w_f (z_f,a - z_f,b)^2), with the weights below: each *dimension* (deprivation,
   size, age structure, health) counts equally, and a dimension made of several features shares
   its weight between them.
4. The k = 10 areas with the smallest distance are the peers; ties are broken by area code, so
   the same data always gives the same peers. Areas missing any feature are left out of the pool
   (and listed).

Features by kind of area:

* CCGs of April 2021 (106): IMD 2019 average score (CCG figures for the 191 CCGs of April 2019
  from MHCLG, combined into the April-2021 CCGs they merged into, weighted by registered list
  size from QOF 2018/19), weight 1; log10 resident population mid-2020 (ONS, CCG21 file), weight
  1; share of residents aged 0-17 and aged 66+ (same file), weight 1/2 each.
* Sub-ICB locations (106, July 2022): the CCG21 features carried onto sub-ICB boundaries with the
  population shares in area_links (100 kept their CCG's code and boundary; where a CCG was split
  in 2022 its part is assumed to share the whole CCG's deprivation and age profile).
* CCGs of April 2019 (191, e.g. an old CCG shown on its own): IMD 2019 average score, weight 1;
  log10 registered list size (QOF 2018/19), weight 1; share of the list aged under 17 and aged
  50+ (QOF 2018/19 diabetes and osteoporosis denominators over the list size), weight 1/2 each.
* ICBs (42): the same features, summed from their sub-ICB locations (IMD weighted by
  population).
* Lower-tier local authorities: log10 population mid-2020, weight 1; share aged 65+, weight 1;
  ONS Health Index 2021 domains Healthy people, Healthy lives, Healthy places, weight 1/3 each.
* Upper-tier local authorities: the same, with the Health Index domains averaged from their
  lower-tier authorities weighted by population.

Other kinds (regions, NHS regions, combined authorities, old CCGs of other years) have too few
areas or no features in the store: users choose their own peers. Including the Health Index for
local authorities makes peers similar in health as well as context, which suits benchmarking
("places like us") but means peer comparisons of health-index-like outcomes are flattered.
No Streamlit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from explorer.geography import lineage
from explorer.queries.profile_cache import per_store
from explorer.store import Store

K = 10
QOF_LIST_YEAR = "2018/19"
IMD_YEAR = "2019"


@dataclass(frozen=True)
class Feature:
    column: str
    label: str
    weight: float
    source: str


@dataclass(frozen=True)
class Method:
    key: str
    title: str
    features: tuple[Feature, ...]


_IMD = Feature("imd", "IMD 2019 average score", 1.0, "MHCLG English Indices of Deprivation 2019")
_AGE_CCG = (Feature("share_0_17", "Share aged 0-17 (%)", 0.5, "ONS mid-2020 estimates, CCG21 file"),
            Feature("share_66", "Share aged 66+ (%)", 0.5, "ONS mid-2020 estimates, CCG21 file"))
_HEALTH = tuple(Feature(f"hi_{d}", f"Health Index: healthy {d}", 1 / 3, "ONS Health Index 2021")
                for d in ("people", "lives", "places"))
_LA = (Feature("log_pop", "Population (log10)", 1.0, "ONS mid-2020 estimates"),
       Feature("share_65", "Share aged 65+ (%)", 1.0, "ONS mid-2020 estimates"))
METHODS = {
    "ccg2021": Method("ccg2021", "CCGs of April 2021",
                      (_IMD, Feature("log_pop", "Population (log10)", 1.0, "ONS mid-2020 estimates"),
                       *_AGE_CCG)),
    "sub_icb": Method("sub_icb", "Sub-ICB locations",
                      (_IMD, Feature("log_pop", "Population (log10)", 1.0, "ONS mid-2020 estimates"),
                       *_AGE_CCG)),
    "ccg2019": Method("ccg2019", "CCGs of April 2019",
                      (_IMD, Feature("log_pop", "Registered list size (log10)", 1.0, "NHS Digital QOF 2018/19"),
                       Feature("share_0_16", "Share of list aged under 17 (%)", 0.5, "NHS Digital QOF 2018/19"),
                       Feature("share_50", "Share of list aged 50+ (%)", 0.5, "NHS Digital QOF 2018/19"))),
    "icb": Method("icb", "Integrated care boards",
                  (_IMD, Feature("log_pop", "Population (log10)", 1.0, "ONS mid-2020 estimates"), *_AGE_CCG)),
    "ltla": Method("ltla", "Lower-tier local authorities", (*_LA, *_HEALTH)),
    "utla": Method("utla", "Upper-tier local authorities", (*_LA, *_HEALTH)),
}


def _latest(store: Store, indicator: str, area_type: str, ages: list[str] | None = None) -> pl.DataFrame:
    rows = store.values(indicator=indicator, area_type=area_type, include_reestimated=False).filter(
        pl.col("value").is_not_null(), pl.col("sex") == "Persons")
    if ages is not None:
        rows = rows.filter(pl.col("age").is_in(ages))
    latest = rows["period_start"].max()
    return rows.filter(pl.col("period_start") == latest)


def _ccg21_population(store: Store) -> pl.DataFrame:
    rows = _latest(store, "population-total", "ccg", ["All ages", "0-17", "66+"])
    wide = rows.pivot("age", index="area_code", values="value", aggregate_function="first")
    return wide.select("area_code", pl.col("All ages").alias("population"),
                       (pl.col("0-17") / pl.col("All ages") * 100).alias("share_0_17"),
                       (pl.col("66+") / pl.col("All ages") * 100).alias("share_66"),
                       pl.col("0-17").alias("pop_0_17"), pl.col("66+").alias("pop_66"))


def _qof_2019(store: Store) -> pl.DataFrame:
    """IMD 2019 and QOF 2018/19 list sizes of the 191 CCGs of April 2019."""
    imd = store.values(indicator="imd-average-score", area_type="ccg", periods=[IMD_YEAR]).select(
        "area_code", pl.col("value").alias("imd"))
    denominators = []
    for indicator, name in (("hypertension-recorded-prevalence", "list_size"),
                            ("diabetes-recorded-prevalence", "list_17"),
                            ("osteoporosis-recorded-prevalence", "list_50")):
        rows = store.values(indicator=indicator, area_type="ccg", periods=[QOF_LIST_YEAR],
                            include_reestimated=False)
        denominators.append(rows.group_by("area_code").agg(pl.col("denominator").max().alias(name)))
    frame = imd
    for d in denominators:
        frame = frame.join(d, on="area_code", how="left")
    return frame


@per_store
def feature_table(store: Store, key: str) -> pl.DataFrame:
    """area_code plus the raw features of METHODS[key] (rows with any feature missing dropped)."""
    if key == "ccg2019":
        q = _qof_2019(store)
        frame = q.select("area_code", "imd", pl.col("list_size").log10().alias("log_pop"),
                         ((1 - pl.col("list_17") / pl.col("list_size")) * 100).alias("share_0_16"),
                         (pl.col("list_50") / pl.col("list_size") * 100).alias("share_50"))
    elif key in ("ccg2021", "sub_icb", "icb"):
        frame = _ccg21_features(store)
        if key != "ccg2021":
            frame = _sub_icb_features(store, frame)
        if key == "icb":
            frame = _icb_features(store, frame)
    elif key in ("ltla", "utla"):
        frame = _la_features(store, key)
    else:
        raise KeyError(key)
    cols = [f.column for f in METHODS[key].features]
    return frame.select("area_code", *cols).drop_nulls().filter(
        pl.all_horizontal(pl.col(c).is_finite() for c in cols)).sort("area_code")


def _ccg21_features(store: Store) -> pl.DataFrame:
    pop = _ccg21_population(store)
    q = _qof_2019(store)
    # 2019 CCGs -> the April-2021 CCGs they became (all whole merges: weight 1 each).
    reach = lineage.reachable(store.table("area_links"), "2019")
    imd = (q.join(reach, left_on="area_code", right_on="code")
           .with_columns((pl.col("list_size") * pl.col("weight").fill_null(1.0)).alias("w"))
           .group_by("ccg21").agg(((pl.col("imd") * pl.col("w")).sum() / pl.col("w").sum()).alias("imd")))
    return pop.join(imd, left_on="area_code", right_on="ccg21", how="left").with_columns(
        pl.col("population").log10().alias("log_pop"))


def _summed(frame: pl.DataFrame, group: str) -> pl.DataFrame:
    """Populations summed and IMD population-weighted over the rows of each `group`; shares redone."""
    return (frame.group_by(pl.col(group).alias("area_code"))
            .agg(((pl.col("imd") * pl.col("population")).sum() / pl.col("population").sum()).alias("imd"),
                 pl.col("population").sum(), pl.col("pop_0_17").sum(), pl.col("pop_66").sum())
            .with_columns(pl.col("population").log10().alias("log_pop"),
                          (pl.col("pop_0_17") / pl.col("population") * 100).alias("share_0_17"),
                          (pl.col("pop_66") / pl.col("population") * 100).alias("share_66")))


def _sub_icb_features(store: Store, ccg21: pl.DataFrame) -> pl.DataFrame:
    links = store.table("area_links").filter(
        pl.col("from_type") == "ccg", pl.col("to_type") == "sub_icb", pl.col("weight").is_not_null()
    ).select(pl.col("from_code").alias("area_code"), pl.col("to_code").alias("sub_icb"), "weight")
    parts = ccg21.join(links, on="area_code").with_columns(
        *[(pl.col(c) * pl.col("weight")).alias(c) for c in ("population", "pop_0_17", "pop_66")])
    return _summed(parts, "sub_icb")


def _icb_features(store: Store, sub_icb: pl.DataFrame) -> pl.DataFrame:
    parents = store.areas().filter(pl.col("area_type") == "sub_icb").select("area_code", "parent_icb")
    return _summed(sub_icb.join(parents, on="area_code"), "parent_icb")


def _la_features(store: Store, kind: str) -> pl.DataFrame:
    current = store.areas().filter(pl.col("area_type") == kind, pl.col("valid_to").is_null()).select("area_code")
    pop = _latest(store, "population-total", kind, ["All ages"]).select(
        "area_code", pl.col("value").alias("population"))
    old = _latest(store, "population-65-plus-share", kind).select("area_code", pl.col("value").alias("share_65"))
    health = None
    for domain in ("people", "lives", "places"):
        part = _latest(store, f"health-index-healthy-{domain}", "ltla").select(
            "area_code", pl.col("value").alias(f"hi_{domain}"))
        health = part if health is None else health.join(part, on="area_code", how="full", coalesce=True)
    if kind == "utla":
        ltla_pop = _latest(store, "population-total", "ltla", ["All ages"]).select(
            "area_code", pl.col("value").alias("w"))
        parents = store.areas().filter(pl.col("area_type") == "ltla").select("area_code", "parent_utla")
        cols = [f"hi_{d}" for d in ("people", "lives", "places")]
        health = (health.join(ltla_pop, on="area_code").join(parents, on="area_code")
                  .drop_nulls("parent_utla").group_by(pl.col("parent_utla").alias("area_code"))
                  .agg(*[((pl.col(c) * pl.col("w")).sum() / pl.col("w").sum()).alias(c) for c in cols]))
    return (current.join(pop, on="area_code", how="left").join(old, on="area_code", how="left")
            .join(health, on="area_code", how="left")
            .with_columns(pl.col("population").log10().alias("log_pop")))


def method_for(store: Store, code: str, area_type: str) -> Method | None:
    """Which peer method applies to this area (None: no computed peers for it)."""
    if area_type == "ccg" and code in set(feature_table(store, "ccg2021")["area_code"]):
        return METHODS["ccg2021"]
    if area_type == "ccg" and code in set(feature_table(store, "ccg2019")["area_code"]):
        return METHODS["ccg2019"]
    if area_type in ("sub_icb", "icb", "ltla", "utla") and code in set(feature_table(store, area_type)["area_code"]):
        return METHODS[area_type]
    return None


def standardise(features: pl.DataFrame, method: Method) -> pl.DataFrame:
    """z-scores of each feature over the pool (population SD; a constant feature scores 0)."""
    out = []
    for f in method.features:
        col = features[f.column]
        sd = col.std(ddof=0) or 0.0
        out.append(((col - col.mean()) / sd if sd > 0 else col * 0.0).alias(f.column))
    return features.select("area_code", *out)


def distances(features: pl.DataFrame, method: Method, code: str) -> pl.DataFrame:
    """Weighted Euclidean distance from `code` to every other area of the pool, nearest first
    (ties broken by area code)."""
    z = standardise(features, method)
    cols = [f.column for f in method.features]
    weights = np.array([f.weight for f in method.features])
    matrix = z.select(cols).to_numpy()
    codes = z["area_code"].to_list()
    if code not in codes:
        return pl.DataFrame(schema={"area_code": pl.String, "distance": pl.Float64})
    me = matrix[codes.index(code)]
    d = np.sqrt(((matrix - me) ** 2 * weights).sum(axis=1))
    return (pl.DataFrame({"area_code": codes, "distance": d})
            .filter(pl.col("area_code") != code).sort("distance", "area_code"))


@dataclass(frozen=True)
class Peers:
    method: Method | None
    table: pl.DataFrame  # area_code, distance, rank and the raw features (the area itself first, rank 0)
    pool_size: int
    left_out: list[str]  # areas of the kind with a missing feature

    @property
    def codes(self) -> list[str]:
        if self.table.is_empty():
            return []
        return self.table.filter(pl.col("rank") > 0)["area_code"].to_list()


@per_store
def nearest_peers(store: Store, code: str, area_type: str, k: int = K) -> Peers:
    """The k most similar areas to `code` by the method for its kind (see the module docstring)."""
    method = method_for(store, code, area_type)
    if method is None:
        return Peers(None, pl.DataFrame(), 0, [])
    features = feature_table(store, method.key)
    near = distances(features, method, code).head(k).with_row_index("rank", offset=1)
    me = pl.DataFrame({"area_code": [code], "distance": [0.0]}).with_columns(pl.lit(0, pl.UInt32).alias("rank"))
    table = (pl.concat([me, near.select("area_code", "distance", "rank")], how="vertical_relaxed")
             .join(features, on="area_code", how="left"))
    pool = store.areas().filter(pl.col("area_type") == area_type)
    left_out = [] if method.key.startswith("ccg") else sorted(
        set(pool.filter(pl.col("valid_to").is_null())["area_code"]) - set(features["area_code"]))
    return Peers(method, table, features.height, left_out)


def describe(method: Method) -> list[str]:
    """Plain-English lines for the page: one per feature with its weight and source."""
    return [f"{f.label}: weight {_fraction(f.weight)} ({f.source})" for f in method.features]


def _fraction(weight: float) -> str:
    for whole, text in ((1.0, "1"), (0.5, "1/2"), (1 / 3, "1/3")):
        if math.isclose(weight, whole):
            return text
    return f"{weight:.2f}"
