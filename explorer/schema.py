"""The harmonised store's columns, types and controlled vocabularies.

Every source step returns frames with exactly these columns (see `conform`), so a value means the
same thing whichever organisation published it. Vocabularies are plain tuples so tests, pandera
checks and pages can all read them.
"""

from __future__ import annotations

import polars as pl

# --- vocabularies -----------------------------------------------------------------------------
AREA_TYPES = {
    "england": "England",
    "nhs_region": "NHS England region",
    "region": "Region (ONS)",
    "icb": "Integrated care board (ICB) / STP",
    "sub_icb": "Sub-ICB location",
    "ccg": "Clinical commissioning group (CCG)",
    "utla": "Upper-tier local authority",
    "ltla": "Lower-tier local authority",
    "trust": "NHS trust or provider",
    "country": "Country / group of countries",
    "combined_authority": "Combined authority",
}
PERIOD_TYPES = (
    "financial_year",  # 2019/20: 1 April to 31 March
    "calendar_year",  # 2019
    "multi_year",  # pooled calendar years, 2018-20
    "multi_financial_year",  # pooled financial years, 2016/17-2018/19
    "month",  # Apr 2022
    "quarter",
    "week",  # week ending a date
    "point",  # a single date, e.g. mid-year estimate at 30 June
)
SEXES = ("Persons", "Male", "Female")
STATUSES = ("published", "suppressed", "missing", "provisional", "revised", "re-estimated", "aggregated")
POLARITIES = ("high is good", "low is good", "no judgement")
VALUE_TYPES = (
    "proportion",
    "crude rate",
    "directly standardised rate",
    "indirectly standardised ratio",
    "count",
    "mean",
    "median",
    "index",
    "score",
    "rank",
    "years",
    "money",
    "ratio",
)
ALL_AGES = "All ages"

# --- values.parquet ---------------------------------------------------------------------------
VALUE_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String(),
    "area_code": pl.String(),
    "area_type": pl.String(),
    "period": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "period_type": pl.String(),
    "sex": pl.String(),
    "age": pl.String(),
    "category": pl.String(),
    "value": pl.Float64(),
    "lower_ci95": pl.Float64(),
    "upper_ci95": pl.Float64(),
    "lower_ci998": pl.Float64(),
    "upper_ci998": pl.Float64(),
    "count": pl.Float64(),
    "denominator": pl.Float64(),
    "status": pl.String(),
    "note": pl.String(),
    "producer": pl.String(),
    "source_id": pl.String(),
    "ci_method": pl.String(),
    "original_area_code": pl.String(),
    "original_period": pl.String(),
    # Which file (release) the row came from: lets the store keep the latest release and
    # record earlier differing values as revisions.
    "release": pl.String(),
}

# Optional columns a step may leave out; `conform` fills them with nulls or defaults.
VALUE_DEFAULTS: dict[str, object] = {
    "sex": "Persons",
    "age": ALL_AGES,
    "status": "published",
    "ci_method": None,
}

# --- rejects.parquet --------------------------------------------------------------------------
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source_id": pl.String(),
    "file": pl.String(),
    "sheet": pl.String(),
    "row_number": pl.Int64(),  # 1-based, as a spreadsheet or text editor shows it
    "reason": pl.String(),
    "raw": pl.String(),  # the row's cells joined with " | ", so nothing is lost
}

# --- per-file accounting (feeds sources.parquet) ----------------------------------------------
FILE_REPORT_SCHEMA: dict[str, pl.DataType] = {
    "source_id": pl.String(),
    "producer": pl.String(),
    "title": pl.String(),
    "file": pl.String(),
    "sha256": pl.String(),
    "release_date": pl.Date(),
    "licence": pl.String(),
    "rows_read": pl.Int64(),
    "rows_loaded": pl.Int64(),
    "rows_rejected": pl.Int64(),
}

SORT_KEYS = ["indicator_id", "period_start", "area_type", "area_code", "sex", "age", "category"]


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType] = VALUE_SCHEMA) -> pl.DataFrame:
    """Return `frame` with exactly the schema's columns, in order, cast to the schema's types.

    Missing optional columns get their default (or null); unknown columns are an error so a
    typo in a step is caught at build time rather than silently dropped.
    """
    extra = set(frame.columns) - set(schema)
    if extra:
        raise ValueError(f"unexpected columns {sorted(extra)}; the store has {list(schema)}")
    exprs = []
    for name, dtype in schema.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype, strict=True))
        else:
            default = VALUE_DEFAULTS.get(name) if schema is VALUE_SCHEMA else None
            exprs.append(pl.lit(default, dtype=dtype).alias(name))
    return frame.select(exprs)
