"""Local authorities 2016–2024: lower tier (LTLA) and upper tier (UTLA), their code changes.

The ONS code history table (LTLA16 … LTLA24 side by side) gives every lower-tier change: Dorset
and Bournemouth, Christchurch and Poole (2019), Somerset West and Taunton, East and West Suffolk
(2019), Buckinghamshire (2020), North and West Northamptonshire (2021), Cumberland, Westmorland
and Furness, North Yorkshire and Somerset (2023). Changes take effect on 1 April. Upper-tier
code lists come from the ONS population files (2019, 2020), the LTLA21→UTLA21 lookup and the
December-2023 county/unitary boundaries; a closed county's successors are the unitaries its
districts became, weighted by the districts' mid-2020 populations.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from explorer import paths
from explorer.geography import codes, lineage
from explorer.sources import readers

YEARS = list(range(16, 25))
UNITARY = ("E06", "E08", "E09")


def _start(year: int) -> dt.date:
    return dt.date(2000 + year, 4, 1)


@lru_cache(maxsize=1)
def ltla_years() -> pl.DataFrame:
    """(year 16…24, code, name) for every English LTLA code in force that April."""
    hist = lineage.ltla_history()
    frames = [
        hist.select(
            pl.lit(y).alias("year"),
            pl.col(f"ltla{y}_code").alias("code"),
            pl.col(f"ltla{y}_name").alias("name"),
        )
        for y in YEARS
    ]
    return pl.concat(frames).unique(["year", "code"])


@lru_cache(maxsize=1)
def utla_years() -> pl.DataFrame:
    """(year, code, name) for English upper-tier codes in the lists held: 2019, 2020, 2021, 2023."""
    pop = paths.RAW_DIR / "ons_population"
    frames = []
    for y in (19, 20):
        f = readers.read_csv(pop / f"ons_mye_population{y}_utla{y}.csv", required=[f"utla{y}_code"])
        frames.append(
            f.select(
                pl.lit(y).alias("year"),
                pl.col(f"utla{y}_code").alias("code"),
                pl.col(f"utla{y}_name").alias("name"),
                readers.number(pl.col("total_population")).alias("population"),
            )
        )
    lk = readers.read_csv(codes.LOOKUPS / "LTLA21_UTLA21.csv", required=["utla21_code"])
    frames.append(
        lk.select(
            pl.lit(21).alias("year"), pl.col("utla21_code").alias("code"), pl.col("utla21_name").alias("name")
        ).unique()
    )
    from explorer.geography.areas import _geojson_properties  # shared GeoJSON property reader

    ctyua = _geojson_properties(
        "boundaries_ons", "Counties_and_Unitary_Authorities_December_2023_Boundaries_UK_BSC.geojson"
    )
    frames.append(
        ctyua.select(
            pl.lit(23).alias("year"), pl.col("ctyua23cd").alias("code"), pl.col("ctyua23nm").alias("name")
        )
    )
    return (
        pl.concat(frames, how="diagonal").filter(pl.col("code").str.starts_with("E")).unique(["year", "code"])
    )


def _span(years: pl.DataFrame, kind: str, all_years: list[int]) -> pl.DataFrame:
    first, last = all_years[0], all_years[-1]
    nxt = {y: all_years[i + 1] for i, y in enumerate(all_years[:-1])}
    out = (
        years.sort("year")
        .group_by("code")
        .agg(
            pl.col("year").min().alias("first"),
            pl.col("year").max().alias("last"),
            pl.col("year")
            .cast(pl.String)
            .map_elements(lambda y: f"20{y}", return_dtype=pl.String)
            .str.join(",")
            .alias("vintages"),
            pl.col("name").last().alias("area_name"),
        )
    )
    return out.with_columns(
        pl.col("code").alias("area_code"),
        pl.lit(kind).alias("area_type"),
        ("20" + pl.col("first").cast(pl.String)).alias("vintage"),
        pl.when(pl.col("first") == first)
        .then(None)
        .otherwise(pl.col("first").map_elements(_start, return_dtype=pl.Date))
        .alias("valid_from"),
        pl.when(pl.col("last") == last)
        .then(None)
        .otherwise(
            pl.col("last").map_elements(lambda y: _start(nxt[y]) - dt.timedelta(days=1), return_dtype=pl.Date)
        )
        .alias("valid_to"),
    )


def la_areas() -> pl.DataFrame:
    ltla = _span(ltla_years(), "ltla", YEARS)
    utla = _span(utla_years(), "utla", [19, 20, 21, 23])
    # Unitary authorities are both tiers: add pre-2019 unitaries from the LTLA lists to UTLA.
    unitary_only = ltla.filter(
        pl.col("area_code").str.slice(0, 3).is_in(list(UNITARY)),
        ~pl.col("area_code").is_in(utla["area_code"].implode()),
    ).with_columns(pl.lit("utla").alias("area_type"))
    rgn = readers.read_csv(codes.LOOKUPS / "LTLA21_RGN21.csv", required=["ltla21_code", "region21_code"])
    up = readers.read_csv(codes.LOOKUPS / "LTLA21_UTLA21.csv", required=["ltla21_code", "utla21_code"])
    hist = lineage.ltla_history()
    to21 = pl.concat([hist.select(pl.col(f"ltla{y}_code").alias("area_code"), "ltla21_code") for y in YEARS])
    region = (
        to21.join(rgn.select("ltla21_code", "region21_code"), on="ltla21_code")
        .group_by("area_code")
        .agg(pl.col("region21_code").mode().first().alias("parent_region"))
    )
    utla_region = (
        up.join(rgn.select("ltla21_code", "region21_code"), on="ltla21_code")
        .group_by(pl.col("utla21_code").alias("area_code"))
        .agg(pl.col("region21_code").mode().first().alias("parent_region"))
    )
    region = pl.concat([region, utla_region]).unique("area_code", keep="first")
    parent_utla = up.select(
        pl.col("ltla21_code").alias("area_code"), pl.col("utla21_code").alias("parent_utla")
    )
    pop20 = readers.read_csv(
        paths.RAW_DIR / "ons_population" / "ons_mye_population20_ltla20.csv", required=["ltla20_code"]
    ).select(
        pl.col("ltla20_code").alias("area_code"),
        readers.number(pl.col("total_population")).alias("population"),
    )
    upop = (
        utla_years()
        .filter(pl.col("year") == 20)
        .select(pl.col("code").alias("area_code"), pl.col("population").alias("upop"))
    )
    current = to_current()
    out = (
        pl.concat([ltla, utla, unitary_only], how="diagonal")
        .join(region, on="area_code", how="left")
        .join(parent_utla, on="area_code", how="left")
        .join(pop20, on="area_code", how="left")
        .join(upop, on="area_code", how="left")
        .join(current, on="area_code", how="left")
    )
    return out.with_columns(
        pl.coalesce("population", "upop").alias("population"),
        pl.when(pl.coalesce("population", "upop").is_not_null())
        .then(pl.lit("ONS mid-2020 estimates"))
        .alias("population_source"),
        pl.when(pl.col("area_type") == "utla")
        .then(None)
        .otherwise(pl.col("parent_utla"))
        .alias("parent_utla"),
    ).drop("upop", "first", "last", "code", "year", strict=False)


def to_current() -> pl.DataFrame:
    """Each LTLA code → the 2024 LTLA it wholly became (all LTLA changes 2016-24 are mergers)."""
    hist = lineage.ltla_history()
    pairs = pl.concat(
        [hist.select(pl.col(f"ltla{y}_code").alias("area_code"), pl.col("ltla24_code")) for y in YEARS]
    ).unique()
    whole = (
        pairs.group_by("area_code")
        .agg(pl.col("ltla24_code").unique())
        .filter(pl.col("ltla24_code").list.len() == 1)
    )
    return whole.select("area_code", pl.col("ltla24_code").list.first().alias("current_code"))


def la_links() -> pl.DataFrame:
    """LTLA and UTLA code changes as links (from → to, on 1 April of the change)."""
    hist = lineage.ltla_history()
    rows = []
    for y in YEARS[:-1]:
        step = hist.select(
            pl.col(f"ltla{y}_code").alias("from_code"), pl.col(f"ltla{y + 1}_code").alias("to_code")
        )
        step = step.unique().filter(pl.col("from_code") != pl.col("to_code"))
        rows.append(
            step.with_columns(
                pl.lit(f"20{y}").alias("from_vintage"),
                pl.lit(f"20{y + 1}").alias("to_vintage"),
                pl.lit(_start(y + 1)).alias("change_date"),
            )
        )
    ltla = pl.concat(rows).with_columns(
        pl.lit("ltla").alias("from_type"),
        pl.lit("ltla").alias("to_type"),
        pl.when(pl.len().over("to_code", "to_vintage") > 1)
        .then(pl.lit("merged into"))
        .otherwise(pl.lit("recoded as"))
        .alias("kind"),
        pl.lit(1.0).alias("weight"),
        pl.lit("ONS code history (LTLA16→LTLA24): whole districts").alias("method"),
    )
    unitary_ltla = ltla.filter(pl.col("from_code").str.slice(0, 3).is_in(list(UNITARY))).with_columns(
        pl.lit("utla").alias("from_type"), pl.lit("utla").alias("to_type")
    )
    return pl.concat([ltla, unitary_ltla, _county_links()], how="diagonal")


def _county_links() -> pl.DataFrame:
    """Closed counties (E10) → the unitaries their districts became, by district population."""
    utla = utla_years()
    years = sorted(utla["year"].unique().to_list())
    hist = lineage.ltla_history()
    pop = lineage.lad21_population()
    up21 = readers.read_csv(codes.LOOKUPS / "LTLA21_UTLA21.csv", required=["ltla21_code", "utla21_code"])
    rows = []
    for a, b in zip(years[:-1], years[1:], strict=True):
        gone = set(utla.filter(pl.col("year") == a)["code"]) - set(utla.filter(pl.col("year") == b)["code"])
        for county in sorted(c for c in gone if c.startswith("E10")):
            name = utla.filter(pl.col("code") == county)["name"][0]
            b_code = b
            if a >= 21:  # districts known from the 2021 lookup
                districts = up21.filter(pl.col("utla21_code") == county)["ltla21_code"].to_list()
            else:  # districts whose later unitary carries the county's place name
                tokens = lineage.place_tokens(name)
                districts = []
                for y in range(b, YEARS[-1] + 1):  # the unitary may come a year after the county list
                    later = hist.filter(
                        pl.col(f"ltla{y}_code").str.starts_with("E06"),
                        ~pl.col("ltla16_code").str.starts_with("E06"),
                    )
                    later = later.filter(
                        pl.col(f"ltla{y}_name").map_elements(
                            lambda n, t=tokens: bool(lineage.place_tokens(n) & t), return_dtype=pl.Boolean
                        )
                    )
                    districts = later["ltla21_code"].unique().to_list()
                    if districts:
                        b_code = y
                        break
                else:
                    continue
            dest = (
                hist.filter(pl.col("ltla21_code").is_in(districts))
                .select(pl.col("ltla21_code").alias("lad21"), pl.col(f"ltla{b_code}_code").alias("to_code"))
                .unique()
            )
            dest = dest.join(pop, on="lad21", how="left").group_by("to_code").agg(pl.col("population").sum())
            total = dest["population"].sum()
            for to_code, p in dest.iter_rows():
                rows.append(
                    {
                        "from_code": county,
                        "to_code": to_code,
                        "weight": p / total if total else None,
                        "from_vintage": f"20{a}",
                        "to_vintage": f"20{b_code}",
                    }
                )
    frame = pl.DataFrame(
        rows,
        schema={
            "from_code": pl.String,
            "to_code": pl.String,
            "weight": pl.Float64,
            "from_vintage": pl.String,
            "to_vintage": pl.String,
        },
    )
    return frame.with_columns(
        pl.lit("utla").alias("from_type"),
        pl.lit("utla").alias("to_type"),
        pl.col("to_vintage")
        .map_elements(lambda v: _start(int(v) - 2000), return_dtype=pl.Date)
        .alias("change_date"),
        pl.when(pl.len().over("from_code") > 1)
        .then(pl.lit("split into"))
        .otherwise(pl.lit("recoded as"))
        .alias("kind"),
        pl.lit(
            "county's districts → their unitary successor, weighted by district population (ONS mid-2020)"
        ).alias("method"),
    )
