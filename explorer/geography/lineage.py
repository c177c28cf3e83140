"""CCG predecessor → successor links, derived from the code lists (there is no published table).

Each step between two consecutive configurations (see `vintages`) is derived in four ways:

1. A GSS code in both lists is **unchanged** (ONS issues a new GSS code whenever a boundary moves).
2. 2020 → 2021: **spatial**. Each April-2020 CCG polygon is intersected with the April-2021
   polygons (British National Grid); every 2020 CCG lies ≥ 93 % inside one 2021 CCG (the rest is
   generalisation noise between the BUC and BSC files), so it merged into that CCG.
3. 2021 → 2022 sub-ICB locations: **LSOA best fit**. LSOA11 → CCG21 → LAD21 gives each CCG's
   LSOAs by local authority; the sub-ICB lookup (SICBL22 → LTLA22) says where each local
   authority's part went (Glossop, in High Peak, moved from Tameside and Glossop to Derby and
   Derbyshire). LSOA11 populations are not in data/raw, so each LSOA is weighted by the mean LSOA
   population of its local authority (ONS mid-2020): shares are population estimates.
4. Earlier steps: **names and places**. A successor with the same ODS code but a new GSS code had
   its boundary redrawn ("boundary changed": shares unknown). Every other closed CCG is matched to
   the new CCG whose name or local authorities share its place names (LTLA/UTLA names of every
   year → LAD21 → CCG21), with the STP and NHS region as tie-breaks; the QOF list sizes of the
   year both workbooks show then check each merger (successor list ≈ sum of predecessors').

Closed and new codes that are tied together form a **change group**: the group's old areas cover
the same ground as its new areas. A group with one new area is a merger (weight 1, exact); a
group with several new areas and unknown shares is a boundary redraw, which re-aggregation only
crosses when all of the group's new areas end up in the same target area.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from explorer import paths
from explorer.geography import codes, vintages
from explorer.geography.places import (  # noqa: F401  (re-exported: areas, local_authorities)
    GENERIC,
    _lads_named,
    lad21_population,
    lsoa_ccg21,
    ltla_history,
    place_lads,
    place_tokens,
)
from explorer.sources import readers

LINK_SCHEMA = {
    "from_code": pl.String,
    "from_type": pl.String,
    "from_vintage": pl.String,
    "to_code": pl.String,
    "to_type": pl.String,
    "to_vintage": pl.String,
    "change_date": pl.Date,
    "kind": pl.String,
    "weight": pl.Float64,
    "method": pl.String,
    "change_group": pl.String,
}


@lru_cache(maxsize=1)
def ccg20_to_ccg21() -> pl.DataFrame:
    """April-2020 → April-2021 CCGs by area of intersection (EPSG:27700)."""
    import geopandas as gpd  # heavy import kept local: only the build needs it

    c20 = gpd.read_file(
        paths.RAW_DIR / "boundaries_ccg" / "Clinical_Commissioning_Groups_April_2020_EN_BUC.geojson"
    )
    c21 = gpd.read_file(paths.RAW_DIR / "boundaries_ccg" / "CCG_APR_2021_EN_BSC_100M.geojson")
    c20 = c20.rename(columns=str.lower)[["ccg20cd", "geometry"]].to_crs(27700)
    c21 = c21.rename(columns=str.lower)[["ccg21cd", "geometry"]].to_crs(27700)
    pairs = gpd.sjoin(c20, c21, how="inner", predicate="intersects")
    right = c21.geometry.values[pairs["index_right"].to_numpy()]
    share = pairs.geometry.values.intersection(right).area / pairs.geometry.values.area
    frame = pl.DataFrame(
        {"from_code": pairs["ccg20cd"].to_list(), "to_code": pairs["ccg21cd"].to_list(), "share": share}
    )
    return frame.sort("share", descending=True).unique("from_code", keep="first")


def _links(frame: pl.DataFrame) -> pl.DataFrame:
    for name, dtype in LINK_SCHEMA.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    return frame.select(list(LINK_SCHEMA)).cast(LINK_SCHEMA)


def _unchanged(a: pl.DataFrame, b: pl.DataFrame, va: str, vb: str, to_type: str = "ccg") -> pl.DataFrame:
    same = a.join(b, on="gss", how="semi")
    return _links(
        same.select(
            pl.col("gss").alias("from_code"),
            pl.lit("ccg").alias("from_type"),
            pl.lit(va).alias("from_vintage"),
            pl.col("gss").alias("to_code"),
            pl.lit(to_type).alias("to_type"),
            pl.lit(vb).alias("to_vintage"),
            pl.lit(vintages.vintage_start(vb)).alias("change_date"),
            pl.lit("unchanged").alias("kind"),
            pl.lit(1.0).alias("weight"),
            pl.lit("same GSS code in both code lists").alias("method"),
        )
    )


def _spatial_2020_2021(configs: pl.DataFrame) -> pl.DataFrame:
    a = configs.filter(pl.col("vintage") == "2020")
    b = configs.filter(pl.col("vintage") == "2021")
    best = ccg20_to_ccg21().join(a.select(pl.col("gss").alias("from_code")), on="from_code", how="semi")
    best = best.filter(~pl.col("from_code").is_in(b["gss"].implode()))
    n_from = best.group_by("to_code").len()
    moved = best.join(n_from, on="to_code").with_columns(
        pl.lit("ccg").alias("from_type"),
        pl.lit("2020").alias("from_vintage"),
        pl.lit("ccg").alias("to_type"),
        pl.lit("2021").alias("to_vintage"),
        pl.lit(vintages.vintage_start("2021")).alias("change_date"),
        pl.when(pl.col("len") > 1).then(pl.lit("merged into")).otherwise(pl.lit("recoded as")).alias("kind"),
        pl.lit(1.0).alias("weight"),
        pl.format(
            "boundaries: {}% of the April-2020 area lies in the April-2021 CCG (ONS BUC/BSC "
            "polygons, EPSG:27700)",
            (pl.col("share") * 100).round(1),
        ).alias("method"),
        ("2021:" + pl.col("to_code")).alias("change_group"),
    )
    return pl.concat([_unchanged(a, b, "2020", "2021"), _links(moved)])


def _check(group_from: list[str], group_to: list[str], va: str, vb: str) -> str:
    """List-size check of a derived change: successor's list vs the predecessors' (same year)."""
    sizes = vintages.list_sizes()
    years_a = set(sizes.filter(pl.col("vintage") == va)["year"].to_list())
    years_b = set(sizes.filter(pl.col("vintage") == vb)["year"].to_list())
    common = sorted(years_a & years_b)
    if not common:
        return "no common QOF year to check list sizes"
    year = common[-1]

    def total(v: str, gss: list[str]) -> float | None:
        got = sizes.filter(pl.col("vintage") == v, pl.col("year") == year, pl.col("gss").is_in(gss))
        return float(got["list_size"].sum()) if got.height == len(gss) else None

    before, after = total(va, group_from), total(vb, group_to)
    if not before or not after:
        return f"QOF {year} list sizes incomplete for the check"
    return f"QOF {year} list size {after:,.0f} after vs {before:,.0f} before ({after / before - 1:+.1%})"


def _score(g: dict, n: dict, pool: list[dict], new_lads: dict[str, set[str]]) -> float:
    """How strongly closed CCG `g` points at new CCG `n`: each place word of g's name counts by
    how few of the candidates it points at (a word that fits one candidate only counts fully), via
    local-authority names (×3) and the new CCG's own name (×2); the same STP adds 1."""
    table = place_lads()
    score = 0.0
    for token in place_tokens(g["name"]):
        lads = table.get(token, set())
        by_lad = [c["gss"] for c in pool if lads & new_lads[c["gss"]]]
        by_name = [c["gss"] for c in pool if token in place_tokens(c["name"])]
        score += 3 * (n["gss"] in by_lad) / max(len(by_lad), 1) + 2 * (n["gss"] in by_name) / max(
            len(by_name), 1
        )
    return score + (g["stp"] is not None and g["stp"] == n["stp"])


def _fill_by_list_size(tied: list[tuple[dict, list[str]]], assign: dict[str, str], va: str, vb: str) -> None:
    """Closed CCGs the names could not place: give each to the tied candidate whose list size
    (same QOF year, both workbooks) is short by about the closed CCG's list size."""
    sizes = vintages.list_sizes()
    common = sorted(
        set(sizes.filter(pl.col("vintage") == va)["year"])
        & set(sizes.filter(pl.col("vintage") == vb)["year"])
    )
    if not common:
        return
    year = sizes.filter(pl.col("year") == common[-1])
    before = dict(year.filter(pl.col("vintage") == va).select("gss", "list_size").iter_rows())
    after = dict(year.filter(pl.col("vintage") == vb).select("gss", "list_size").iter_rows())
    for g, candidates in sorted(tied, key=lambda t: -(before.get(t[0]["gss"]) or 0)):
        own = before.get(g["gss"])
        gaps = []
        for c in candidates:
            if after.get(c) is None or not own:
                continue
            gap = after[c] - sum(before.get(k) or 0 for k, v in assign.items() if v == c)
            gaps.append((abs(gap - own) / own, c))
        if gaps and min(gaps)[0] < 0.25:
            assign[g["gss"]] = min(gaps)[1]


def _derive(configs: pl.DataFrame, va: str, vb: str, successors: dict[str, set[str]]) -> pl.DataFrame:
    """Links from configuration `va` to `vb` for codes that closed, by ODS reuse and place names.
    `successors` maps each `vb` code to the CCG21 codes it became (for its local authorities)."""
    a = configs.filter(pl.col("vintage") == va)
    b = configs.filter(pl.col("vintage") == vb)
    gone = a.join(b, on="gss", how="anti").to_dicts()
    new = b.join(a, on="gss", how="anti").to_dicts()
    ccg21_lads = lsoa_ccg21().group_by("ccg21").agg(pl.col("lad21").unique())
    lads21 = dict(zip(ccg21_lads["ccg21"], [set(x) for x in ccg21_lads["lad21"].to_list()], strict=True))
    new_lads = {
        n["gss"]: set().union(*[lads21.get(c, set()) for c in successors.get(n["gss"], set())]) for n in new
    }
    assign: dict[str, str] = {}
    redrawn: set[str] = set()
    tied: list[tuple[dict, list[str]]] = []
    for g in gone:
        same_ods = [n for n in new if n["ods"] and n["ods"] == g["ods"]]
        if same_ods:
            assign[g["gss"]] = same_ods[0]["gss"]
            redrawn |= {g["gss"], same_ods[0]["gss"]}
            continue
        pool = [n for n in new if n["nhs_region"] == g["nhs_region"]] or new
        scored = sorted(((_score(g, n, pool, new_lads), n["gss"]) for n in pool), reverse=True)
        if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            assign[g["gss"]] = scored[0][1]
        elif scored:
            tied.append((g, [c for s, c in scored if s == scored[0][0]]))
    _fill_by_list_size(tied, assign, va, vb)
    # Change groups: each new code with its predecessors; redrawn pairs in one region join up.
    groups: dict[str, set[str]] = {n["gss"]: {n["gss"]} for n in new}
    region = {r["gss"]: r["nhs_region"] for r in gone + new}
    redrawn_new = sorted(c for c in redrawn if c in groups)
    for i, c in enumerate(redrawn_new):
        for d in redrawn_new[i + 1 :]:
            if region.get(c) == region.get(d):
                merged = groups[c] | groups[d]
                for member in merged:
                    groups[member] = merged
    rows = []
    for g in gone:
        target = assign.get(g["gss"])
        if target is None:
            rows.append(
                {
                    "from_code": g["gss"],
                    "kind": "closed",
                    "method": "successor not found from names, places or ODS code; not linked",
                    "to_code": None,
                }
            )
            continue
        members_to = sorted(groups[target])
        members_from = sorted(k for k, v in assign.items() if v in groups[target])
        group_id = f"{vb}:" + "+".join(members_to)
        check = _check(members_from, members_to, va, vb)
        if len(members_to) == 1:
            kind = "merged into" if len(members_from) > 1 else "recoded as"
            rows.extend(
                [
                    {
                        "from_code": g["gss"],
                        "to_code": target,
                        "kind": kind,
                        "weight": 1.0,
                        "method": f"derived from code lists, names and places; {check}",
                        "change_group": group_id,
                    }
                ]
            )
        else:
            rows.extend(
                [
                    {
                        "from_code": g["gss"],
                        "to_code": t,
                        "kind": "boundary changed",
                        "weight": None,
                        "method": "boundaries redrawn among " + ", ".join(members_to) + " (same ODS codes, "
                        f"new GSS codes); shares not published; {check}",
                        "change_group": group_id,
                    }
                    for t in members_to
                ]
            )
    frame = pl.DataFrame(
        rows,
        schema={
            k: LINK_SCHEMA[k] for k in ("from_code", "to_code", "kind", "weight", "method", "change_group")
        },
    )
    frame = frame.with_columns(
        pl.lit("ccg").alias("from_type"),
        pl.lit(va).alias("from_vintage"),
        pl.lit("ccg").alias("to_type"),
        pl.lit(vb).alias("to_vintage"),
        pl.lit(vintages.vintage_start(vb)).alias("change_date"),
    )
    return pl.concat([_unchanged(a, b, va, vb), _links(frame)])


def _sub_icb_2022(configs: pl.DataFrame) -> pl.DataFrame:
    """CCG21 → sub-ICB 2022 by LSOA best fit, weighted by estimated LSOA population."""
    a = configs.filter(pl.col("vintage") == "2021")
    sicbl = readers.read_csv(
        codes.LOOKUPS / "SICBL22_ICB22_LTLA22_distinct_from_LSOA11_lookup.csv",
        required=["sicbl22_code", "ltla22_code"],
    )
    b = sicbl.select(pl.col("sicbl22_code").alias("gss")).unique()
    gone = a.join(b, on="gss", how="anti")["gss"].to_list()
    new_or_same = sicbl.select(pl.col("sicbl22_code").alias("to_code"), pl.col("ltla22_code").alias("lad21"))
    new_or_same = new_or_same.filter(
        ~pl.col("to_code").is_in(a["gss"].implode()) | pl.col("to_code").is_in(gone)
    )
    lsoa = lsoa_ccg21().filter(pl.col("ccg21").is_in(gone))
    moved = (
        lsoa.join(new_or_same, on="lad21", how="inner")
        .group_by("ccg21", "to_code")
        .agg(pl.col("lsoa_population").sum().alias("pop"), pl.len().alias("lsoas"))
    )
    moved = moved.with_columns((pl.col("pop") / pl.col("pop").sum().over("ccg21")).alias("weight"))
    moved = moved.with_columns(
        pl.col("ccg21").alias("from_code"),
        pl.lit("ccg").alias("from_type"),
        pl.lit("2021").alias("from_vintage"),
        pl.lit("sub_icb").alias("to_type"),
        pl.lit("2022").alias("to_vintage"),
        pl.lit(vintages.SUB_ICB_START).alias("change_date"),
        pl.when(pl.len().over("ccg21") > 1)
        .then(pl.lit("split into"))
        .otherwise(pl.lit("merged into"))
        .alias("kind"),
        pl.format(
            "LSOA11 best fit ({} LSOAs), each weighted by its local authority's mean LSOA population "
            "(ONS mid-2020)",
            pl.col("lsoas"),
        ).alias("method"),
        ("2022:" + pl.col("ccg21")).alias("change_group"),
    )
    kept = _unchanged(a, b.with_columns(pl.lit("2022").alias("vintage")), "2021", "2022", to_type="sub_icb")
    return pl.concat(
        [
            kept.with_columns(
                pl.lit("same GSS code: CCG became a sub-ICB location on 1 July 2022").alias("method")
            ),
            _links(moved),
        ]
    )


def reachable(links: pl.DataFrame, start_vintage: str) -> pl.DataFrame:
    """For each code of `start_vintage`: every CCG21 code it leads to, with the composed weight
    (null where a boundary redraw's shares are unknown)."""
    order = list(vintages.CCG_VINTAGES)
    steps = order[order.index(start_vintage) :]
    ccg = links.filter(pl.col("from_type") == "ccg", pl.col("to_type") == "ccg")
    current = (
        ccg.filter(pl.col("from_vintage") == steps[0]).select(
            pl.col("from_code").alias("code"), "to_code", "weight"
        )
        if len(steps) > 1
        else None
    )
    if current is None:
        return pl.DataFrame(
            {"code": [], "ccg21": [], "weight": []},
            schema={"code": pl.String, "ccg21": pl.String, "weight": pl.Float64},
        )
    for va in steps[1:-1]:
        step = ccg.filter(pl.col("from_vintage") == va).select(
            pl.col("from_code").alias("to_code"),
            pl.col("to_code").alias("next"),
            pl.col("weight").alias("w2"),
        )
        current = current.join(step, on="to_code", how="inner").select(
            "code", pl.col("next").alias("to_code"), (pl.col("weight") * pl.col("w2")).alias("weight")
        )
    return current.group_by("code", pl.col("to_code").alias("ccg21")).agg(
        pl.when(pl.col("weight").is_null().any())
        .then(None)
        .otherwise(pl.col("weight").sum())
        .first()
        .alias("weight")
    )


@lru_cache(maxsize=1)
def ccg_links() -> pl.DataFrame:
    """All CCG and sub-ICB succession links, 2013 → 2022."""
    configs = vintages.ccg_configurations()
    parts = [_spatial_2020_2021(configs)]
    order = list(vintages.CCG_VINTAGES)
    for va, vb in reversed(list(zip(order[:-2], order[1:-1], strict=True))):
        so_far = pl.concat(parts)
        ahead = reachable(so_far, vb) if vb != "2021" else None
        successors: dict[str, set[str]] = {}
        if ahead is not None:
            for code, ccg21 in ahead.select("code", "ccg21").iter_rows():
                successors.setdefault(code, set()).add(ccg21)
        parts.append(_derive(configs, va, vb, successors))
    parts.append(_sub_icb_2022(configs))
    return pl.concat(parts).with_columns(
        pl.when(pl.col("change_date") < dt.date(2013, 4, 1))
        .then(None)
        .otherwise(pl.col("change_date"))
        .alias("change_date")
    )
