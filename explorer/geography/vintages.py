"""The CCG code lists of each configuration ("vintage"), read from the producers' own files.

There is no published CCG 2013→2021 successor table in data/raw, so the configurations are read
from the files that carry a complete CCG code list of their time:

| vintage | file(s) | CCGs |
|---|---|---|
| 2013 | ONS CCG13 lookup (GSS, names) | 211 |
| 2014 | QOF 2014-15 workbook (ODS + GSS, region) | 209 |
| 2017 | QOF 2016-17 workbook (+ STP) | 207 |
| 2018 | QOF 2017-18 workbook + ODS eccg openings of 1 April 2018 (Buckinghamshire is | 195 |
|      | missing from the workbook) | |
| 2019 | QOF 2018-19 workbook (+ STP, 7 NHS regions) | 191 |
| 2020 | ONS CCG20 code list | 135 |
| 2021 | ONS CCG21 code list | 106 |
| 2022 | ONS sub-ICB locations (July 2022) | 106 |

Each QOF workbook also gives the register list size of the previous year on its own
configuration, which `lineage` uses to check derived mergers (the sum of the predecessors' list
sizes should be close to the successor's).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import polars as pl

from explorer import paths
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import SourceError

QOF_DIR = paths.RAW_DIR / "nhsd_qof_ccg"
ODS_DIR = paths.RAW_DIR / "lookups_ods"

# QOF workbook → the configuration its CCG list follows (its publication-time configuration).
QOF_WORKBOOKS = {
    "2014": "qof-1415-ccg-all.xlsx",
    "2017": "qof-1617-prev-ach-exc-ccg.xlsx",
    "2018": "qof-1718-prev-ach-exc-ccg.xlsx",
    "2019": "qof-1819-prev-ach-exc-ccg.xlsx",
}
CCG_VINTAGES = ("2013", "2014", "2017", "2018", "2019", "2020", "2021")
CCG_ABOLISHED = dt.date(2022, 6, 30)  # CCGs closed; sub-ICB locations from 1 July 2022
SUB_ICB_START = dt.date(2022, 7, 1)

CONFIG_SCHEMA = {
    "vintage": pl.String,
    "gss": pl.String,
    "ods": pl.String,
    "name": pl.String,
    "stp": pl.String,
    "nhs_region": pl.String,
}


def vintage_start(vintage: str) -> dt.date:
    """The first day a configuration is in force: 1 April of its year (1 July for 2022)."""
    return SUB_ICB_START if vintage == "2022" else dt.date(int(vintage), 4, 1)


def tidy_name(name: str | None) -> str | None:
    """'NHS NORTH & WEST READING CCG' → 'NHS North and West Reading CCG' (older workbooks shout)."""
    if name is None:
        return None
    name = re.sub(r"\s+", " ", name.replace("&", "and")).strip()
    if name.upper() != name:
        return name
    small = {"and", "of", "on", "the", "upon", "in", "with"}
    words = []
    for i, word in enumerate(name.lower().split(" ")):
        if word.upper() in ("NHS", "CCG", "STP", "ICB"):
            words.append(word.upper())
        elif i and word in small:
            words.append(word)
        else:
            words.append("-".join(p.capitalize() for p in word.split("-")))
    return " ".join(words)


def _header_index(cells: list[str], test) -> int | None:
    for i, cell in enumerate(cells):
        if test(cell):
            return i
    return None


@lru_cache(maxsize=8)
def qof_ccg_list(path: Path) -> pl.DataFrame:
    """A QOF CCG workbook's code list (DM sheet): ods, gss, name, stp, nhs_region and, per year
    shown, the DM list size (`year`, `list_size`, long format)."""
    grid = readers.read_sheet_raw(path, "DM")
    header = readers.find_header_row(grid, ["CCG name"], path, "DM")
    cols = [c for c in grid.columns if c != "_row"]
    cells = [str(v or "").strip().lower() for v in grid.select(cols).row(header)]
    ods = _header_index(
        cells, lambda v: v.startswith("ccg") and "code" in v and "geography" not in v and "ons" not in v
    )
    gss = _header_index(cells, lambda v: v.startswith("ccg") and ("geography" in v or "ons code" in v))
    name = _header_index(cells, lambda v: v.startswith("ccg") and "name" in v)
    stp = _header_index(cells, lambda v: v.startswith("stp") and "code" in v)
    stp_name = _header_index(cells, lambda v: v.startswith("stp") and "name" in v)
    region_name = _header_index(cells, lambda v: v.startswith("region") and "name" in v)
    region = _header_index(cells, lambda v: v.startswith("region") and ("geography" in v or "ons" in v))
    if None in (ods, gss, name):
        raise SourceError(path, "DM sheet has no CCG code/name columns", sheet="DM", row=header + 1)
    # Year labels sit in the rows above the header; each year's block starts at its label.
    years: dict[str, str] = {}
    for r in range(max(0, header - 4), header):
        for i, value in enumerate(grid.select(cols).row(r)):
            label = str(value or "").strip()
            if re.fullmatch(r"20\d\d-\d\d", label) and label not in years:
                j = _header_index(cells[i:], lambda v: v.startswith("list size"))
                if j is not None:
                    years[label] = cols[i + j]
    body = grid.slice(header + 1).filter(pl.col(cols[gss]).str.starts_with("E38"))
    base = body.select(
        pl.col(cols[ods]).str.strip_chars().alias("ods"),
        pl.col(cols[gss]).str.strip_chars().alias("gss"),
        pl.col(cols[name]).map_elements(tidy_name, return_dtype=pl.String).alias("name"),
        (pl.col(cols[stp]) if stp is not None else pl.lit(None, pl.String)).alias("stp"),
        (pl.col(cols[region]) if region is not None else pl.lit(None, pl.String)).alias("nhs_region"),
        (pl.col(cols[stp_name]) if stp_name is not None else pl.lit(None, pl.String)).alias("stp_name"),
        (pl.col(cols[region_name]) if region_name is not None else pl.lit(None, pl.String)).alias(
            "nhs_region_name"
        ),
        *[readers.number(pl.col(c)).alias(y) for y, c in years.items()],
    )
    return base.unpivot(
        index=["ods", "gss", "name", "stp", "nhs_region", "stp_name", "nhs_region_name"],
        variable_name="year",
        value_name="list_size",
    )


@lru_cache(maxsize=1)
def eccg() -> pl.DataFrame:
    """ODS CCG reference (no header): code, name, open and close dates; CCGs only (hubs dropped)."""
    path = ODS_DIR / "eccg_2018_11.csv"
    frame = readers.read_csv(path, has_header=False)
    if frame.width < 13:
        raise SourceError(path, f"expected the 27-column ODS layout, found {frame.width - 1} columns")
    day = "%Y%m%d"
    return frame.select(
        pl.col("column_0").alias("ods"),
        pl.col("column_1").map_elements(tidy_name, return_dtype=pl.String).alias("name"),
        pl.col("column_10").str.to_date(day, strict=False).alias("opened"),
        pl.col("column_11").str.to_date(day, strict=False).alias("closed"),
    ).filter(pl.col("name").str.ends_with("CCG"))


@lru_cache(maxsize=1)
def ccg21_population() -> pl.DataFrame:
    """ONS CCG21 resident population (mid-2020, SAPE) with STP21 and NHS region parents."""
    frame = readers.read_csv(
        paths.RAW_DIR / "ons_population" / "ons_ccg21_population_estimates_age_bands.csv",
        required=["CCG Code", "STP21 Code", "NHSER21 Code", "All Ages"],
    )
    return frame.select(
        pl.col("CCG Code").alias("gss"),
        pl.col("STP21 Code").alias("stp"),
        pl.col("STP21 Name").alias("stp_name"),
        pl.col("NHSER21 Code").alias("nhs_region"),
        pl.col("NHSER21 Name").alias("nhs_region_name"),
        readers.number(pl.col("All Ages")).alias("population"),
    )


def _qof_config(vintage: str) -> pl.DataFrame:
    frame = qof_ccg_list(QOF_DIR / QOF_WORKBOOKS[vintage])
    return (
        frame.select("gss", "ods", "name", "stp", "nhs_region")
        .unique("gss", keep="first")
        .with_columns(pl.lit(vintage).alias("vintage"))
    )


@lru_cache(maxsize=1)
def ccg_configurations() -> pl.DataFrame:
    """One row per (vintage, CCG GSS code): ods, name, stp (E54, where known), nhs_region (E40)."""
    lists = codes.ccg_codes()
    ccg13 = readers.read_csv(
        codes.LOOKUPS / "CCG13_NHSAT13_NHSCR13_EW_LU.csv", required=["CCG13CD", "CCG13NM", "NHSCR13CD"]
    )
    ods_by_gss = pl.concat([_qof_config(v) for v in QOF_WORKBOOKS]).select("gss", "ods").unique("gss")
    frames = [
        ccg13.filter(pl.col("CCG13CD").str.starts_with("E38"))
        .select(
            pl.lit("2013").alias("vintage"),
            pl.col("CCG13CD").alias("gss"),
            (pl.col("CCG13NM") + " CCG").alias("name"),
            pl.lit(None, pl.String).alias("stp"),
            pl.col("NHSCR13CD").alias("nhs_region"),
        )
        .join(ods_by_gss, on="gss", how="left"),
        *[_qof_config(v) for v in QOF_WORKBOOKS],
    ]
    # Buckinghamshire CCG (opened 1 April 2018) is missing from the 2017-18 workbook: add the
    # CCGs ODS lists as opened on 1 April 2018, with their GSS code from the later lists.
    opened_2018 = eccg().filter(pl.col("opened") == dt.date(2018, 4, 1)).select("ods", "name")
    later = pl.concat(
        [
            _qof_config("2019").select("ods", "gss", "stp", "nhs_region"),
            lists.filter(pl.col("vintage") == "2020").select(
                pl.col("ods_code").alias("ods"), pl.col("gss_code").alias("gss")
            ),
        ],
        how="diagonal",
    ).unique("ods", keep="first")
    frames.append(opened_2018.join(later, on="ods").with_columns(pl.lit("2018").alias("vintage")))
    pop = ccg21_population()
    for vintage in ("2020", "2021"):
        frames.append(
            lists.filter(pl.col("vintage") == vintage)
            .select(
                "vintage",
                pl.col("gss_code").alias("gss"),
                pl.col("ods_code").alias("ods"),
                "name",
            )
            .join(pop.select("gss", "stp", "nhs_region"), on="gss", how="left")
        )
    frame = pl.concat([f.select(list(CONFIG_SCHEMA)).cast(CONFIG_SCHEMA) for f in frames])
    # 2013 codes that changed before the 2014-15 workbook: their ODS code by name from ODS eccg.
    by_name = eccg().select(pl.col("name").str.to_lowercase().alias("_key"), pl.col("ods").alias("_ods"))
    frame = (
        frame.with_columns(pl.col("name").str.to_lowercase().alias("_key"))
        .join(by_name.unique("_key"), on="_key", how="left")
        .with_columns(pl.coalesce("ods", "_ods").alias("ods"))
        .drop("_key", "_ods")
    )
    return frame.unique(["vintage", "gss"], keep="first").sort("vintage", "gss")


@lru_cache(maxsize=1)
def list_sizes() -> pl.DataFrame:
    """(vintage, gss, year, list_size): each QOF workbook's list sizes on its own configuration;
    the 2019-20 workbook is on the 2020 configuration."""
    frames = [
        qof_ccg_list(QOF_DIR / name).with_columns(pl.lit(v).alias("vintage"))
        for v, name in {**QOF_WORKBOOKS, "2020": "qof-1920-prev-ach-pca-ccg.xlsx"}.items()
    ]
    return pl.concat(frames).select("vintage", "gss", "year", "list_size").drop_nulls()
