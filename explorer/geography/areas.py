"""areas.parquet: every area the store knows, with its life span, parents and population.

One row per (area_code, area_type, vintage), where `vintage` is the first code list the code
appears in and `vintages` lists every configuration it belongs to ("2013,2014,…"). `valid_from`
and `valid_to` bound the code's life (null `valid_to` = current; null `valid_from` = already in
the earliest list held). `current_code` names the area on the latest boundaries that the code
wholly became (CCG → April-2021 CCG / sub-ICB; LA → 2024 LA), null when it was split.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from explorer import paths
from explorer.geography import codes, lineage, local_authorities, vintages
from explorer.sources import readers

AREA_SCHEMA = {
    "area_code": pl.String,
    "area_name": pl.String,
    "area_type": pl.String,
    "vintage": pl.String,
    "vintages": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "ods_code": pl.String,
    "parent_region": pl.String,
    "parent_icb": pl.String,
    "parent_nhs_region": pl.String,
    "parent_utla": pl.String,
    "population": pl.Float64,
    "population_source": pl.String,
    "current_code": pl.String,
}
POP_CCG21 = "ONS mid-2020 small-area estimates on April-2021 CCGs"


def conform_areas(frame: pl.DataFrame) -> pl.DataFrame:
    for name, dtype in AREA_SCHEMA.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    return frame.select(list(AREA_SCHEMA)).cast(AREA_SCHEMA)


def _geojson_properties(folder: str, name: str) -> pl.DataFrame:
    with (paths.RAW_DIR / folder / name).open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    rows = [{k.lower(): v for k, v in f["properties"].items()} for f in features]
    return pl.DataFrame(rows, infer_schema_length=None)


@lru_cache(maxsize=1)
def sicbl22() -> pl.DataFrame:
    frame = readers.read_csv(
        codes.LOOKUPS / "SICBL22_ICB22_LTLA22_distinct_from_LSOA11_lookup.csv",
        required=["sicbl22_code", "icb22_code", "ltla22_code"],
    )
    return frame.drop("_row")


def _ccg_region21() -> pl.DataFrame:
    """CCG21 → ONS region (E12) of most of its LSOAs."""
    rgn = readers.read_csv(codes.LOOKUPS / "LTLA21_RGN21.csv", required=["ltla21_code", "region21_code"])
    lsoa = lineage.lsoa_ccg21().join(
        rgn.select(pl.col("ltla21_code").alias("lad21"), "region21_code"), on="lad21", how="left"
    )
    return (
        lsoa.group_by("ccg21", "region21_code")
        .len()
        .sort("len", descending=True)
        .unique("ccg21", keep="first")
        .select(pl.col("ccg21").alias("current_code"), pl.col("region21_code").alias("parent_region"))
    )


def ccg_areas() -> pl.DataFrame:
    configs = vintages.ccg_configurations()
    order = list(vintages.CCG_VINTAGES)
    spans = (
        configs.sort("vintage")
        .group_by("gss")
        .agg(
            pl.col("vintage").first().alias("vintage"),
            pl.col("vintage").last().alias("last"),
            pl.col("vintage").str.join(",").alias("vintages"),
            pl.col("name").last().alias("area_name"),
            pl.col("ods").drop_nulls().last().alias("ods_code"),
            pl.col("stp").drop_nulls().last().alias("parent_icb"),
            pl.col("nhs_region").drop_nulls().last().alias("parent_nhs_region"),
        )
    )
    next_start = {
        v: vintages.vintage_start(order[i + 1]) - dt.timedelta(days=1) for i, v in enumerate(order[:-1])
    }
    next_start[order[-1]] = vintages.CCG_ABOLISHED
    spans = spans.with_columns(
        pl.col("vintage")
        .map_elements(lambda v: None if v == "2013" else vintages.vintage_start(v), return_dtype=pl.Date)
        .alias("valid_from"),
        pl.col("last").replace_strict(next_start, return_dtype=pl.Date).alias("valid_to"),
    )
    # current_code: the April-2021 CCG a code wholly became (null where its area was split).
    links = lineage.ccg_links()
    current = [
        pl.DataFrame(
            {
                "area_code": configs.filter(pl.col("vintage") == "2021")["gss"],
                "current_code": configs.filter(pl.col("vintage") == "2021")["gss"],
            }
        )
    ]
    for v in order[:-1]:
        reach = lineage.reachable(links, v).group_by("code").agg(pl.col("ccg21"), pl.col("weight"))
        reach = reach.filter(pl.col("ccg21").list.len() == 1).select(
            pl.col("code").alias("area_code"), pl.col("ccg21").list.first().alias("current_code")
        )
        current.append(reach)
    current_frame = pl.concat(current).unique("area_code", keep="first")
    spans = spans.rename({"gss": "area_code"}).join(current_frame, on="area_code", how="left")
    spans = spans.join(_ccg_region21(), on="current_code", how="left")
    pop = vintages.ccg21_population().select(pl.col("gss").alias("area_code"), "population")
    spans = spans.join(pop, on="area_code", how="left").with_columns(
        pl.when(pl.col("population").is_not_null() & pl.col("vintages").str.contains("2021"))
        .then(pl.lit(POP_CCG21))
        .alias("population_source"),
        pl.when(pl.col("vintages").str.contains("2021")).then(pl.col("population")).alias("population"),
        pl.lit("ccg").alias("area_type"),
    )
    return conform_areas(spans)


def nhs_areas(ccgs: pl.DataFrame) -> pl.DataFrame:
    """Sub-ICB locations (July 2022), ICBs and STPs (E54), NHS regions (E40)."""
    lk = sicbl22()
    links = lineage.ccg_links().filter(pl.col("to_type") == "sub_icb")
    pop21 = vintages.ccg21_population()
    sub_pop = (
        links.join(pop21.select(pl.col("gss").alias("from_code"), "population"), on="from_code")
        .group_by(pl.col("to_code").alias("area_code"))
        .agg((pl.col("weight") * pl.col("population")).sum().alias("population"))
    )
    sub23 = set(_geojson_properties("boundaries_nhs", "NHS_SubICB_April_2023_EN_BSC.geojson")["sicbl23cd"])
    region_of = pop21.select(
        pl.col("gss").alias("area_code"), pl.col("nhs_region").alias("parent_nhs_region")
    )
    sub = (
        lk.select(
            pl.col("sicbl22_code").alias("area_code"),
            pl.col("sicbl22_name").alias("area_name"),
            pl.col("sicbl22_code_h").alias("ods_code"),
            pl.col("icb22_code").alias("parent_icb"),
        )
        .unique()
        .join(sub_pop, on="area_code", how="left")
        .with_columns(
            pl.lit("sub_icb").alias("area_type"),
            pl.lit("2022").alias("vintage"),
            pl.when(pl.col("area_code").is_in(list(sub23)))
            .then(pl.lit("2022,2023"))
            .otherwise(pl.lit("2022"))
            .alias("vintages"),
            pl.lit(vintages.SUB_ICB_START).alias("valid_from"),
            pl.col("area_code").alias("current_code"),
            pl.lit("ONS mid-2020 estimates; moved parts by LSOA best fit").alias("population_source"),
        )
    )
    sub = sub.join(ccgs.select("area_code", "parent_region"), on="area_code", how="left")
    # A sub-ICB's NHS region: the April-2021 CCG it (mostly) came from.
    main_from = (
        links.sort("weight", descending=True)
        .unique("to_code", keep="first")
        .select(pl.col("to_code").alias("area_code"), pl.col("from_code"))
    )
    sub = (
        sub.join(main_from, on="area_code", how="left")
        .join(region_of.rename({"area_code": "from_code"}), on="from_code", how="left")
        .drop("from_code")
    )
    icb = sub.group_by(pl.col("parent_icb").alias("area_code")).agg(
        pl.col("population").sum(), pl.col("parent_nhs_region").mode().first()
    )
    icb = icb.join(
        lk.select(
            pl.col("icb22_code").alias("area_code"),
            pl.col("icb22_name").alias("area_name"),
            pl.col("icb22_code_h").alias("ods_code"),
        ).unique(),
        on="area_code",
    ).with_columns(
        pl.lit("icb").alias("area_type"),
        pl.lit("2022").alias("vintage"),
        pl.lit("2022,2023").alias("vintages"),
        pl.lit(vintages.SUB_ICB_START).alias("valid_from"),
        pl.col("area_code").alias("current_code"),
        pl.lit("sum of its sub-ICB locations").alias("population_source"),
    )
    stps = _stp_areas(set(icb["area_code"]))
    regions = _nhs_regions()
    return pl.concat([conform_areas(sub), conform_areas(icb), stps, regions])


def _stp_areas(icb_codes: set[str]) -> pl.DataFrame:
    """STPs / ICSs (E54) before July 2022, from the QOF workbooks (2017-2019) and ONS STP21."""
    frames = []
    for v, name in vintages.QOF_WORKBOOKS.items():
        if v == "2014":
            continue
        got = (
            vintages.qof_ccg_list(vintages.QOF_DIR / name)
            .select(pl.col("stp").alias("area_code"), pl.col("stp_name").alias("area_name"))
            .drop_nulls()
            .unique()
        )
        frames.append(got.with_columns(pl.lit(v).alias("vintage")))
    pop21 = vintages.ccg21_population()
    frames.append(
        pop21.group_by(pl.col("stp").alias("area_code"))
        .agg(pl.col("stp_name").first().alias("area_name"), pl.col("population").sum().alias("population21"))
        .with_columns(pl.lit("2021").alias("vintage"))
    )
    stp = (
        pl.concat(frames, how="diagonal")
        .sort("vintage")
        .group_by("area_code")
        .agg(
            pl.col("vintage").first(),
            pl.col("vintage").unique(maintain_order=True).str.join(",").alias("vintages"),
            pl.col("area_name").last().map_elements(vintages.tidy_name, return_dtype=pl.String),
            pl.col("population21").drop_nulls().first().alias("population"),
            pl.col("vintage").last().alias("last"),
        )
    )
    stp = stp.filter(~pl.col("area_code").is_in(list(icb_codes))).with_columns(
        pl.lit("icb").alias("area_type"),
        pl.col("vintage").map_elements(vintages.vintage_start, return_dtype=pl.Date).alias("valid_from"),
        pl.when(pl.col("last") == "2021")
        .then(pl.lit(vintages.CCG_ABOLISHED))
        .otherwise(
            pl.col("last").map_elements(
                lambda v: vintages.vintage_start(str(int(v) + 1)) - dt.timedelta(days=1), return_dtype=pl.Date
            )
        )
        .alias("valid_to"),
        pl.when(pl.col("population").is_not_null()).then(pl.lit(POP_CCG21)).alias("population_source"),
    )
    return conform_areas(stp)


def _nhs_regions() -> pl.DataFrame:
    frames = []
    ccg13 = readers.read_csv(codes.LOOKUPS / "CCG13_NHSAT13_NHSCR13_EW_LU.csv", required=["NHSCR13CD"])
    frames.append(
        ccg13.select(pl.col("NHSCR13CD").alias("area_code"), pl.col("NHSCR13NM").alias("area_name"))
        .unique()
        .with_columns(pl.lit("2013").alias("vintage"))
    )
    for v, name in vintages.QOF_WORKBOOKS.items():
        got = (
            vintages.qof_ccg_list(vintages.QOF_DIR / name)
            .select(pl.col("nhs_region").alias("area_code"), pl.col("nhs_region_name").alias("area_name"))
            .drop_nulls()
        )
        frames.append(got.unique().with_columns(pl.lit(v).alias("vintage")))
    pop21 = (
        vintages.ccg21_population()
        .group_by(pl.col("nhs_region").alias("area_code"))
        .agg(pl.col("nhs_region_name").first().alias("area_name"), pl.col("population").sum())
    )
    frames.append(pop21.with_columns(pl.lit("2021").alias("vintage")))
    er24 = _geojson_properties("boundaries_nhs", "NHS_England_Regions_January_2024_EN_BSC.geojson")
    frames.append(
        er24.select(
            pl.col("nhser24cd").alias("area_code"), pl.col("nhser24nm").alias("area_name")
        ).with_columns(pl.lit("2024").alias("vintage"))
    )
    out = (
        pl.concat(frames, how="diagonal")
        .filter(pl.col("area_code").str.starts_with("E40"))
        .sort("vintage")
        .group_by("area_code")
        .agg(
            pl.col("vintage").first(),
            pl.col("vintage").unique(maintain_order=True).str.join(",").alias("vintages"),
            pl.col("area_name").last().map_elements(vintages.tidy_name, return_dtype=pl.String),
            pl.col("population").drop_nulls().first(),
            pl.col("vintage").last().alias("last"),
        )
    )
    out = out.with_columns(
        pl.lit("nhs_region").alias("area_type"),
        pl.when(pl.col("vintage") == "2013")
        .then(None)
        .otherwise(pl.col("vintage").map_elements(vintages.vintage_start, return_dtype=pl.Date))
        .alias("valid_from"),
        pl.when(pl.col("last").is_in(["2021", "2024"]))
        .then(None)
        .otherwise(
            pl.col("last").map_elements(
                lambda v: vintages.vintage_start(str(int(v) + 1)) - dt.timedelta(days=1), return_dtype=pl.Date
            )
        )
        .alias("valid_to"),
        pl.when(pl.col("population").is_not_null()).then(pl.lit(POP_CCG21)).alias("population_source"),
    )
    return conform_areas(out)


def admin_areas() -> pl.DataFrame:
    """England, ONS regions, countries, combined authorities."""
    rgn = readers.read_csv(codes.LOOKUPS / "LTLA21_RGN21.csv", required=["ltla21_code", "region21_code"])
    pop = lineage.lad21_population()
    regions = (
        rgn.join(pop.rename({"lad21": "ltla21_code"}), on="ltla21_code", how="left")
        .group_by(pl.col("region21_code").alias("area_code"))
        .agg(pl.col("region21_name").first().alias("area_name"), pl.col("population").sum())
    )
    regions = regions.with_columns(
        pl.lit("region").alias("area_type"),
        pl.lit("2021").alias("vintage"),
        pl.lit("ONS mid-2020 estimates (sum of local authorities)").alias("population_source"),
    )
    england = pl.DataFrame(
        {
            "area_code": [codes.ENGLAND],
            "area_name": ["England"],
            "area_type": ["england"],
            "population": [regions["population"].sum()],
            "population_source": ["ONS mid-2020 estimates (sum of local authorities)"],
        }
    )
    countries = pl.DataFrame(
        {
            "area_code": [codes.WALES, codes.ENGLAND_AND_WALES],
            "area_name": ["Wales", "England and Wales"],
            "area_type": ["country", "country"],
        }
    )
    ca = _geojson_properties("boundaries_ons", "Combined_Authorities_December_2023_Boundaries_EN_BUC.geojson")
    ca = ca.select(
        pl.col("cauth23cd").alias("area_code"), pl.col("cauth23nm").alias("area_name")
    ).with_columns(pl.lit("combined_authority").alias("area_type"), pl.lit("2023").alias("vintage"))
    extra = pl.DataFrame(_extra_areas()).with_columns(pl.col("valid_to").cast(pl.Date))
    out = pl.concat([conform_areas(f) for f in (regions, england, countries, ca, extra)])
    return out.with_columns(
        pl.col("vintage").fill_null("2024"),
        pl.col("vintage").fill_null("2024").alias("vintages"),
        pl.col("area_code").alias("current_code"),
        pl.when(pl.col("area_type") == "region").then(pl.col("area_code")).alias("parent_region"),
    )


def _extra_areas() -> list[dict]:
    """Historical and UK-level codes producers use that no lookup in data/raw lists."""
    with (Path(__file__).parent / "extra_areas.yaml").open(encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)
    keys = ("area_code", "area_name", "area_type", "vintage", "valid_to")
    return [{k: (str(r[k]) if k != "valid_to" and r.get(k) is not None else r.get(k)) for k in keys}
            for r in rows]


@lru_cache(maxsize=2)
def known_codes(family: str) -> frozenset[str]:
    """GSS codes that name an area in the lookups, for source steps to reject unknown codes
    cheaply (build_areas works out lineage and takes seconds): "ccg" = every CCG code 2013–2021;
    "local" = local authorities (both tiers, all vintages held), regions, England, countries,
    combined authorities and the historical codes in extra_areas.yaml."""
    if family == "ccg":
        return frozenset(vintages.ccg_configurations()["gss"].to_list())
    if family == "local":
        frames = [local_authorities.la_areas(), admin_areas()]
        return frozenset(c for f in frames for c in f["area_code"].to_list())
    raise ValueError(f"unknown code family {family!r}")


def build_areas() -> pl.DataFrame:
    """areas.parquet (see module docstring)."""
    ccgs = ccg_areas()
    out = pl.concat([ccgs, nhs_areas(ccgs), admin_areas(), conform_areas(local_authorities.la_areas())])
    dupes = out.group_by("area_code", "area_type", "vintage").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ValueError(f"areas: duplicate (code, type, vintage) rows: {dupes.head(5).to_dicts()}")
    return out.sort("area_type", "area_code", "vintage")
