"""Code systems: ODS ↔ GSS for CCGs, sub-ICB locations and ICBs; names → codes for regions.

Producers identify the same place with different codes (CCG '02P' = 'E38000006'; ICB 'QYG' =
'E54000008'). These lookups come from the ONS and ODS files in data/raw/lookups_*; source steps
use them to put every value on GSS codes and keep the producer's own code in
`original_area_code`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from explorer import paths
from explorer.sources import readers

ENGLAND = "E92000001"
ENGLAND_AND_WALES = "K04000001"
WALES = "W92000004"

LOOKUPS = paths.RAW_DIR / "lookups_ons"

# GSS entity prefixes → area type. E06 (unitary) sits in both tiers: the caller says which.
PREFIX_TYPES = {
    "E92": "england", "E12": "region", "E40": "nhs_region", "E54": "icb", "E38": "ccg",
    "E10": "utla", "E07": "ltla", "E08": "utla", "E09": "utla", "E06": "utla", "E47": "combined_authority",
    "K04": "country", "W92": "country", "E13": "region",
}


def area_type_for(code: str, unitary_as: str = "utla") -> str | None:
    """The area type a GSS code's prefix implies; unitaries (E06, E08, E09) as `unitary_as`."""
    if not code or len(code) < 3:
        return None
    kind = PREFIX_TYPES.get(code[:3])
    if kind == "utla" and code[:3] in ("E06", "E08", "E09"):
        return unitary_as
    return kind


def _read(name: str) -> pl.DataFrame:
    return readers.read_csv(LOOKUPS / name).drop("_row")


@lru_cache(maxsize=1)
def ccg_codes() -> pl.DataFrame:
    """Every (ods_code, gss_code, name, vintage) pair the ONS lookups give for CCGs (2020, 2021)
    and sub-ICB locations (2022). Vintage is the April (or July, 2022) of the code list."""
    frames = [
        _read("CCG20_codes_names.csv").select(
            pl.col("CCG20CDH").alias("ods_code"), pl.col("CCG20CD").alias("gss_code"),
            pl.col("CCG20NM").alias("name"), pl.lit("2020").alias("vintage")),
        _read("CCG21_codes_names.csv").select(
            pl.col("CCG21CDH").alias("ods_code"), pl.col("CCG21CD").alias("gss_code"),
            pl.col("CCG21NM").alias("name"), pl.lit("2021").alias("vintage")),
        _read("SICBL22_ICB22_LTLA22_distinct_from_LSOA11_lookup.csv").select(
            pl.col("sicbl22_code_h").alias("ods_code"), pl.col("sicbl22_code").alias("gss_code"),
            pl.col("sicbl22_name").alias("name"), pl.lit("2022").alias("vintage")).unique(),
    ]
    return pl.concat(frames).unique().sort("vintage", "ods_code")


def ccg_gss_by_ods() -> dict[str, str]:
    """ODS → GSS for CCG/sub-ICB codes; the latest vintage wins where a pair changed."""
    latest = ccg_codes().sort("vintage").unique("ods_code", keep="last")
    return dict(zip(latest["ods_code"], latest["gss_code"], strict=True))


@lru_cache(maxsize=1)
def icb_codes() -> pl.DataFrame:
    """ICB (July 2022) ODS 'Qxx' ↔ GSS 'E54…' with names."""
    return _read("SICBL22_ICB22_LTLA22_distinct_from_LSOA11_lookup.csv").select(
        pl.col("icb22_code_h").alias("ods_code"), pl.col("icb22_code").alias("gss_code"),
        pl.col("icb22_name").alias("name")).unique().sort("ods_code")


def icb_gss_by_ods() -> dict[str, str]:
    table = icb_codes()
    return dict(zip(table["ods_code"], table["gss_code"], strict=True))


@lru_cache(maxsize=1)
def region_codes() -> pl.DataFrame:
    """ONS regions (E12) with names, plus England, Wales and England and Wales."""
    regions = _read("LTLA21_RGN21.csv").select(
        pl.col("region21_code").alias("gss_code"), pl.col("region21_name").alias("name")).unique()
    extra = pl.DataFrame({"gss_code": [ENGLAND, WALES, ENGLAND_AND_WALES],
                          "name": ["England", "Wales", "England and Wales"]})
    return pl.concat([regions, extra]).sort("gss_code")


def normalise_name(name: str) -> str:
    """'Yorkshire and the Humber' ≈ 'Yorkshire and The Humber' ≈ 'YORKSHIRE & HUMBER'."""
    s = name.lower().replace("&", "and")
    s = re.sub(r"\b(the|region|nhs|ccg|icb)\b", " ", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def region_code_by_name() -> dict[str, str]:
    table = region_codes()
    return {normalise_name(n): c for n, c in zip(table["name"], table["gss_code"], strict=True)}


def ods_from_sub_icb_name(name: str) -> str | None:
    """Sub-ICB names carry the ODS code: 'NHS South Yorkshire ICB - 02P' → '02P'."""
    m = re.search(r"-\s*([0-9A-Z]{3})\s*$", name or "")
    return m.group(1) if m else None
