"""Place names and small-area lookups used to derive area successions.

LSOA11 → CCG21 → LAD21 with estimated LSOA populations, the LTLA code history, mid-2020
populations on April-2021 LA codes, and place-name tokens → local authorities.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from explorer import paths
from explorer.geography import codes
from explorer.sources import readers

GENERIC = {
    "nhs",
    "ccg",
    "and",
    "of",
    "the",
    "on",
    "upon",
    "in",
    "with",
    "city",
    "district",
    "districts",
    "rural",
    "borough",
    "north",
    "south",
    "east",
    "west",
    "central",
    "northern",
    "eastern",
    "western",
    "southern",
    "mid",
    "coastal",
    "coast",
    "vale",
    "valley",
    "county",
    "great",
    "greater",
    "royal",
    "peninsula",
    "surrounds",
    "heartlands",
    "s",
    "lsc",
    "partnership",
}


def place_tokens(name: str | None) -> set[str]:
    words = re.split(r"[^a-z]+", (name or "").lower().replace("&", " and "))
    return {w for w in words if len(w) > 2 and w not in GENERIC}


@lru_cache(maxsize=1)
def lsoa_ccg21() -> pl.DataFrame:
    """LSOA11 → CCG21 → LAD21 (ONS best fit), with each LSOA's estimated population: its local
    authority's mid-2020 population divided by the LA's number of LSOAs."""
    frame = readers.read_csv(
        codes.LOOKUPS / "LSOA11_CCG21_LAD21_EN_LU.csv", required=["LSOA11CD", "CCG21CD", "LAD21CD"]
    )
    frame = frame.select(
        pl.col("LSOA11CD").alias("lsoa"), pl.col("CCG21CD").alias("ccg21"), pl.col("LAD21CD").alias("lad21")
    )
    pop = lad21_population()
    return (
        frame.join(pop, on="lad21", how="left")
        .with_columns((pl.col("population") / pl.len().over("lad21")).alias("lsoa_population"))
        .drop("population")
    )


@lru_cache(maxsize=1)
def ltla_history() -> pl.DataFrame:
    """LTLA code history 2016…2024 (England only), one row per LTLA16 and successor."""
    frame = readers.read_csv(
        codes.LOOKUPS / "LTLA16_to_LTLA24_code_changes.csv", required=[f"ltla{y}_code" for y in range(16, 25)]
    )
    return frame.drop("_row").filter(pl.col("ltla16_code").str.starts_with("E")).unique()


@lru_cache(maxsize=1)
def lad21_population() -> pl.DataFrame:
    """Mid-2020 population on April-2021 LAD codes (2020 districts summed into their 2021 LA)."""
    pop = readers.read_csv(
        paths.RAW_DIR / "ons_population" / "ons_mye_population20_ltla20.csv",
        required=["ltla20_code", "total_population"],
    )
    pop = pop.select(pl.col("ltla20_code"), readers.number(pl.col("total_population")).alias("population"))
    to21 = ltla_history().select("ltla20_code", pl.col("ltla21_code").alias("lad21")).unique()
    return (
        pop.join(to21, on="ltla20_code", how="left")
        .with_columns(pl.coalesce("lad21", "ltla20_code").alias("lad21"))
        .group_by("lad21")
        .agg(pl.col("population").sum())
    )


@lru_cache(maxsize=1)
def place_lads() -> dict[str, set[str]]:
    """Place-name token → LAD21 codes, from LTLA names of every year and UTLA names."""
    hist = ltla_history()
    pairs = pl.concat(
        [
            hist.select(pl.col(f"ltla{y}_name").alias("name"), pl.col("ltla21_code").alias("lad"))
            for y in range(16, 25)
        ]
    )
    utla = readers.read_csv(codes.LOOKUPS / "LTLA21_UTLA21.csv", required=["utla21_name", "ltla21_code"])
    pairs = pl.concat(
        [pairs, utla.select(pl.col("utla21_name").alias("name"), pl.col("ltla21_code").alias("lad"))]
    )
    out: dict[str, set[str]] = {}
    for name, lad in pairs.unique().iter_rows():
        for token in place_tokens(name):
            out.setdefault(token, set()).add(lad)
    return out


def _lads_named(name: str) -> set[str]:
    table = place_lads()
    found: set[str] = set()
    for token in place_tokens(name):
        found |= table.get(token, set())
    return found
