"""Re-estimate CCG-level counts and denominators on the latest boundaries.

A QOF year is published on the CCGs of its time (211 in 2013, 135 in 2020). To follow one place
over time every year is re-estimated on April-2021 CCGs and on July-2022 ICBs: the registers
(counts) and list sizes (denominators) of the CCGs that became the target area are summed, and the
value is recomputed as count / denominator × multiplier with a Wilson score interval. Only
proportions with both count and denominator are re-estimated; a rate without them is never
re-aggregated (`breaks` flags the change instead).

Which CCGs make up a target comes from area_links (see `lineage`): merged CCGs count whole; where
a CCG was later split (Tameside and Glossop, July 2022) its count and denominator are shared out by
population (LSOA best fit) and the note says so; where boundaries were redrawn with unknown shares
(e.g. Cumbria and Lancashire North in 2017) a target that received such an area is not
re-estimated for those years. A target is only re-estimated when every CCG that feeds it has a
count and denominator for that year. England and NHS-region totals are summed the same way when a
year's CCG coverage is complete and the producer did not publish them ("aggregated").
"""

from __future__ import annotations

import polars as pl

from explorer import schema
from explorer.geography import codes, lineage, vintages

try:  # another engineer owns explorer.stats; fall back to the same formula if it is missing
    from explorer.stats import wilson
except ImportError:  # pragma: no cover
    wilson = None

KEY = ["indicator_id", "period", "sex", "age", "category"]
SUMMED = "sum of counts over sum of denominators (for QOF, registers over list sizes)"
NOTE = {
    "ccg": f"re-estimated on April-2021 CCG boundaries: {SUMMED} of the CCGs (as published for the year) "
    "that make up the area",
    "icb": f"re-estimated on July-2022 ICB boundaries: {SUMMED} of the CCGs (as published for the year) "
    "that make up the ICB",
    "nhs_region": f"aggregated: {SUMMED} of all CCGs in the NHS region (April-2021 regions)",
    "england": f"aggregated: {SUMMED} of all CCGs in England",
}
STATUS = {"ccg": "re-estimated", "icb": "re-estimated", "nhs_region": "aggregated", "england": "aggregated"}
APPORTIONED = "; part of a CCG apportioned by population (LSOA best fit)"


def _wilson(count: pl.Series, denominator: pl.Series, confidence: float) -> tuple[pl.Series, pl.Series]:
    if wilson is not None:
        lower, upper = wilson(count, denominator, confidence=confidence)
        return pl.Series(lower, dtype=pl.Float64), pl.Series(upper, dtype=pl.Float64)
    z = 1.959963984540054 if confidence == 0.95 else 3.090232306167813
    p = count / denominator
    centre = p + z * z / (2 * denominator)
    half = z * ((p * (1 - p) + z * z / (4 * denominator)) / denominator).sqrt()
    scale = 1 + z * z / denominator
    return (centre - half) / scale, (centre + half) / scale


def config_codes(links: pl.DataFrame) -> pl.DataFrame:
    """(vintage, code) of every CCG configuration, read back from the links."""
    ccg = links.filter(
        pl.col("from_type") == "ccg", pl.col("to_type").is_in(["ccg", "sub_icb"]), pl.col("kind") != "part of"
    )
    return ccg.select(pl.col("from_vintage").alias("vintage"), pl.col("from_code").alias("code")).unique()


def target_map(links: pl.DataFrame) -> pl.DataFrame:
    """(vintage, code, target_type, target, weight): where each CCG of each configuration ends up.
    weight is null where shares are unknown (boundary redrawn)."""
    ccg21 = links.filter(
        pl.col("from_type") == "ccg", pl.col("from_vintage") == "2021", pl.col("to_type") == "sub_icb"
    )
    to_icb = (
        ccg21.select(pl.col("from_code").alias("ccg21"), "to_code", pl.col("weight").alias("w2"))
        .join(
            links.filter(
                pl.col("from_type") == "sub_icb", pl.col("to_type") == "icb", pl.col("kind") == "part of"
            ).select(pl.col("from_code").alias("to_code"), pl.col("to_code").alias("target")),
            on="to_code",
        )
        .group_by("ccg21", "target")
        .agg(pl.col("w2").sum())
    )
    ccg21_codes = ccg21.select(pl.col("from_code").alias("ccg21")).unique()
    to_region = (
        links.filter(pl.col("from_type") == "ccg", pl.col("to_type") == "nhs_region")
        .select(pl.col("from_code").alias("ccg21"), pl.col("to_code").alias("target"))
        .join(ccg21_codes, on="ccg21", how="semi")
        .unique("ccg21")
        .with_columns(pl.lit(1.0).alias("w2"))
    )
    frames = []
    for v in vintages.CCG_VINTAGES:
        if v == "2021":
            reach = ccg21_codes.select(pl.col("ccg21").alias("code"), "ccg21", pl.lit(1.0).alias("weight"))
        else:
            reach = lineage.reachable(links, v)
        reach = reach.with_columns(pl.lit(v).alias("vintage"))
        frames.append(
            reach.select(
                "vintage",
                "code",
                pl.lit("ccg").alias("target_type"),
                pl.col("ccg21").alias("target"),
                "weight",
            )
        )
        for kind, step in (("icb", to_icb), ("nhs_region", to_region)):
            frames.append(
                reach.join(step, on="ccg21")
                .group_by("vintage", "code", "target")
                .agg(
                    pl.when(pl.col("weight").is_null().any())
                    .then(None)
                    .otherwise((pl.col("weight") * pl.col("w2")).sum())
                    .first()
                    .alias("weight")
                )
                .with_columns(pl.lit(kind).alias("target_type"))
            )
        frames.append(
            reach.select("vintage", "code")
            .unique()
            .with_columns(
                pl.lit("england").alias("target_type"),
                pl.lit(codes.ENGLAND).alias("target"),
                pl.lit(1.0).alias("weight"),
            )
        )
    out = pl.concat([f.select("vintage", "code", "target_type", "target", "weight") for f in frames])
    # A redrawn CCG whose every possible destination lies in one target counts whole there.
    single = pl.len().over("vintage", "code", "target_type") == 1
    return out.with_columns(pl.when(single).then(pl.lit(1.0)).otherwise(pl.col("weight")).alias("weight"))


def _eligible(values: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    props = indicators.filter(pl.col("value_type") == "proportion").select("indicator_id", "multiplier")
    return values.filter(pl.col("area_type") == "ccg").join(props, on="indicator_id", how="inner")


def assign_vintage(values: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Each (series key, release) gets the latest configuration that holds all of its CCG codes."""
    configs = config_codes(links)
    groups = values.select(*KEY, "release", "area_code").unique()
    sizes = groups.group_by(*KEY, "release").agg(pl.len().alias("n"))
    hits = (
        groups.join(configs, left_on="area_code", right_on="code")
        .group_by(*KEY, "release", "vintage")
        .agg(pl.len().alias("hit"))
        .join(sizes, on=[*KEY, "release"], nulls_equal=True)
        .filter(pl.col("hit") == pl.col("n"))
    )
    best = hits.sort("vintage", descending=True).unique([*KEY, "release"], keep="first", maintain_order=True)
    # One release per series key: complete coverage first, then the newest configuration.
    size = configs.group_by("vintage").agg(pl.len().alias("size"))
    best = best.join(size, on="vintage").with_columns((pl.col("n") == pl.col("size")).alias("full"))
    best = best.sort("full", "vintage", "release", descending=True).unique(
        KEY, keep="first", maintain_order=True
    )
    return values.join(best.select(*KEY, "release", "vintage"), on=[*KEY, "release"], nulls_equal=True)


def estimate(values: pl.DataFrame, indicators: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Per (series key, target_type, target): summed count and denominator, whether every feeding
    CCG was present (`complete`) and whether the mapping is exact, apportioned or impossible."""
    data = assign_vintage(_eligible(values, indicators), links)
    tmap = target_map(links)
    configs = config_codes(links)
    # Every CCG of the configuration that feeds a target, present or not.
    feed = data.select(
        *KEY,
        "vintage",
        "multiplier",
        "release",
        "source_id",
        "producer",
        "period_start",
        "period_end",
        "period_type",
    ).unique([*KEY, "vintage"], keep="first")
    feed = feed.join(configs, on="vintage").join(tmap, on=["vintage", "code"])
    present = data.filter(
        pl.col("count").is_not_null(), pl.col("denominator").is_not_null(), pl.col("denominator") > 0
    ).select(*KEY, pl.col("area_code").alias("code"), "count", "denominator")
    feed = feed.join(present, on=[*KEY, "code"], how="left", nulls_equal=True)
    return feed.group_by(*KEY, "target_type", "target").agg(
        pl.col(
            "vintage",
            "multiplier",
            "release",
            "source_id",
            "producer",
            "period_start",
            "period_end",
            "period_type",
        ).first(),
        (pl.col("count") * pl.col("weight")).sum().alias("count"),
        (pl.col("denominator") * pl.col("weight")).sum().alias("denominator"),
        (pl.col("count").is_not_null().all()).alias("complete"),
        pl.col("weight").is_null().any().alias("unknown_share"),
        ((pl.col("weight") - 1).abs() > 1e-9).any().alias("apportioned"),
        pl.col("code").sort().str.join(", ").alias("from_codes"),
    )


def reaggregate(
    values: pl.DataFrame, indicators: pl.DataFrame, links: pl.DataFrame, areas: pl.DataFrame | None = None
) -> pl.DataFrame:
    """NEW rows (schema.VALUE_SCHEMA) re-estimated on April-2021 CCGs and ICBs, plus England and
    NHS-region totals where the producer published none. Original rows are never changed."""
    if values.is_empty():
        return schema.empty(schema.VALUE_SCHEMA)
    est = estimate(values, indicators, links).filter(
        pl.col("complete"), ~pl.col("unknown_share"), pl.col("denominator") > 0
    )
    # Never duplicate a published row: skip targets the producer already gives for that key.
    published = values.select(
        *KEY, pl.col("area_type").alias("target_type"), pl.col("area_code").alias("target")
    ).unique()
    est = est.join(published, on=[*KEY, "target_type", "target"], how="anti", nulls_equal=True)
    # A target whose CCGs are all unchanged is the published row itself: nothing to re-estimate.
    est = est.filter(~((pl.col("target_type") == "ccg") & (pl.col("from_codes") == pl.col("target"))))
    if est.is_empty():
        return schema.empty(schema.VALUE_SCHEMA)
    lo95, hi95 = _wilson(est["count"], est["denominator"], 0.95)
    lo998, hi998 = _wilson(est["count"], est["denominator"], 0.998)
    m = est["multiplier"].cast(pl.Float64)
    out = est.with_columns(
        (pl.col("count") / pl.col("denominator") * pl.col("multiplier")).alias("value"),
        (lo95 * m).alias("lower_ci95"),
        (hi95 * m).alias("upper_ci95"),
        (lo998 * m).alias("lower_ci998"),
        (hi998 * m).alias("upper_ci998"),
        pl.col("target").alias("area_code"),
        pl.col("target_type").alias("area_type"),
        pl.col("target_type").replace_strict(STATUS).alias("status"),
        (
            pl.col("target_type").replace_strict(NOTE)
            + pl.when(pl.col("apportioned")).then(pl.lit(APPORTIONED)).otherwise(pl.lit(""))
            + pl.format(
                "; from {} CCGs of {}", pl.col("from_codes").str.count_matches(",") + 1, pl.col("vintage")
            )
        ).alias("note"),
        pl.lit("recomputed: Wilson score").alias("ci_method"),
        pl.lit(None, pl.String).alias("original_area_code"),
        pl.col("period").alias("original_period"),
        ("re-estimated from " + pl.col("release")).alias("release"),
    )
    return schema.conform(out.select([c for c in schema.VALUE_SCHEMA if c in out.columns]))
