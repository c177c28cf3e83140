"""area_links.parquet: how areas succeed one another and which area each sits in.

Succession links (`merged into`, `split into`, `recoded as`, `boundary changed`, `unchanged`,
`closed`) come from `lineage` (CCGs, sub-ICB locations) and `local_authorities` (LTLA, UTLA);
`part of` links are the hierarchy of each area row (CCG → STP/ICB → NHS region, LTLA → UTLA →
region → England). `weight` is the share of the from-area's population that went to the to-area
(1 for whole areas, null where the producer's files do not tell), `method` says how it was found.
"""

from __future__ import annotations

import polars as pl

from explorer.geography import codes, lineage, local_authorities, vintages

SUCCESSION_KINDS = ("merged into", "split into", "recoded as", "boundary changed", "unchanged", "closed")


def _hierarchy(areas: pl.DataFrame) -> pl.DataFrame:
    parents = {
        "parent_icb": "icb",
        "parent_nhs_region": "nhs_region",
        "parent_utla": "utla",
        "parent_region": "region",
    }
    frames = []
    for column, parent_type in parents.items():
        rows = areas.filter(pl.col(column).is_not_null(), pl.col(column) != pl.col("area_code"))
        frames.append(
            rows.select(
                pl.col("area_code").alias("from_code"),
                pl.col("area_type").alias("from_type"),
                pl.col("vintage").alias("from_vintage"),
                pl.col(column).alias("to_code"),
                pl.lit(parent_type).alias("to_type"),
                pl.col("vintage").alias("to_vintage"),
                pl.col("valid_from").alias("change_date"),
            )
        )
    regions = areas.filter(pl.col("area_type").is_in(["region", "nhs_region"]), pl.col("valid_to").is_null())
    frames.append(
        regions.select(
            pl.col("area_code").alias("from_code"),
            pl.col("area_type").alias("from_type"),
            pl.col("vintage").alias("from_vintage"),
            pl.lit(codes.ENGLAND).alias("to_code"),
            pl.lit("england").alias("to_type"),
            pl.col("vintage").alias("to_vintage"),
            pl.col("valid_from").alias("change_date"),
        )
    )
    out = pl.concat(frames).with_columns(
        pl.lit("part of").alias("kind"),
        pl.lit(1.0).alias("weight"),
        pl.lit("parent in the producer's lookup for that vintage").alias("method"),
    )
    # Unitary authorities are their own upper tier: no self-links.
    return out.filter(pl.col("from_code") != pl.col("to_code"))


def _stp_to_icb() -> pl.DataFrame:
    """STPs of April 2021 → ICBs of July 2022, by the population of their CCGs' parts."""
    pop = vintages.ccg21_population().select(pl.col("gss").alias("from_code"), "stp", "population")
    sub = lineage.ccg_links().filter(pl.col("to_type") == "sub_icb").select("from_code", "to_code", "weight")
    from explorer.geography.areas import sicbl22

    icb = (
        sicbl22().select(pl.col("sicbl22_code").alias("to_code"), pl.col("icb22_code").alias("icb")).unique()
    )
    shares = (
        sub.join(pop, on="from_code")
        .join(icb, on="to_code")
        .group_by("stp", "icb")
        .agg((pl.col("weight") * pl.col("population")).sum().alias("p"))
    )
    shares = shares.with_columns((pl.col("p") / pl.col("p").sum().over("stp")).alias("weight"))
    return shares.select(
        pl.col("stp").alias("from_code"),
        pl.lit("icb").alias("from_type"),
        pl.lit("2021").alias("from_vintage"),
        pl.col("icb").alias("to_code"),
        pl.lit("icb").alias("to_type"),
        pl.lit("2022").alias("to_vintage"),
        pl.lit(vintages.SUB_ICB_START).alias("change_date"),
        pl.when(pl.len().over("stp") > 1)
        .then(pl.lit("split into"))
        .when(pl.col("stp") == pl.col("icb"))
        .then(pl.lit("unchanged"))
        .otherwise(pl.lit("recoded as"))
        .alias("kind"),
        "weight",
        pl.lit("population of its April-2021 CCGs (ONS mid-2020), moved parts by LSOA best fit").alias(
            "method"
        ),
    )


def build_links(areas: pl.DataFrame) -> pl.DataFrame:
    """area_links.parquet for the areas frame `build_areas` returns."""
    frames = [lineage.ccg_links(), local_authorities.la_links(), _stp_to_icb(), _hierarchy(areas)]
    out = pl.concat([lineage._links(f) for f in frames])
    return out.unique().sort("from_type", "from_code", "to_vintage", "to_code")
