"""Directly standardised rates with Dobson confidence limits.

Reference: PHEindicatormethods (ukhsa-collaboration/PHEindicatormethods) R/DSR.R ``phe_dsr``:

    DSR   = sum(x_i w_i / n_i) / sum(w_i) x multiplier
    var   = sum(x_i (w_i / n_i)^2) / sum(w_i)^2
    limit = DSR + sqrt(var / O) x (Byar_{L/U}(O) - O) x multiplier,   O = sum(x_i)

with x_i the events, n_i the population and w_i the standard population in standardisation
category i (usually 19 five-year age bands with the 2013 European Standard Population). Missing
event counts count as 0 (``na.zero``). When O < 10 the DSR and its limits are not calculated (NA).
Byar's limits are used for O itself (never the exact Poisson branch, because O >= 10 whenever a
DSR is produced) -- Dobson et al., Stat Med 1991;10:457-62.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from ._common import to_array, z_value
from .intervals import _byar_np

# 2013 European Standard Population, 19 bands 0-4 ... 85-89, 90+
# (PHEindicatormethods data-raw/LoadTestdata.R).
ESP2013 = (
    5000,
    5500,
    5500,
    5500,
    6000,
    6000,
    6500,
    7000,
    7000,
    7000,
    7000,
    6500,
    6000,
    5500,
    5000,
    4000,
    2500,
    1500,
    1000,
)
MIN_DSR_COUNT = 10
DSR_NOTE = "DSR not calculated: total count < 10"


def _dobson_limits(total: np.ndarray, value: np.ndarray, var: np.ndarray, z: float, multiplier: float):
    lo_o, up_o = _byar_np(np.where(total > 0, total, 1.0), z)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd_per_event = np.sqrt(var / total)
        lower = value + sd_per_event * (lo_o - total) * multiplier
        upper = value + sd_per_event * (up_o - total) * multiplier
    return lower, upper


def dobson(
    counts: Any,
    populations: Any,
    standard_populations: Any = ESP2013,
    confidence: float = 0.95,
    multiplier: float = 100000,
) -> tuple[float, float, float]:
    """DSR with Dobson limits for ONE group: returns ``(value, lower, upper)`` as floats.

    `counts`, `populations` and `standard_populations` are aligned per standardisation category
    (same order, same length -- the caller's responsibility, as in PHEindicatormethods). Missing
    counts are treated as 0. Returns NaNs when the total count is below 10. Raises ValueError for
    mismatched lengths or a population <= 0 (PHEindicatormethods errors on those too).
    For many groups at once use `dsr_by_group`.
    """
    x = np.nan_to_num(np.atleast_1d(to_array(counts)), nan=0.0)
    n = np.atleast_1d(to_array(populations))
    w = np.atleast_1d(to_array(standard_populations))
    if not (x.shape == n.shape == w.shape):
        raise ValueError(
            f"counts, populations and standard populations differ in length: {x.shape}, {n.shape}, {w.shape}"
        )
    if np.any(~np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("populations must all be greater than zero")
    if np.any(x < 0):
        raise ValueError("counts must all be greater than or equal to zero")
    total = float(x.sum())
    if total < MIN_DSR_COUNT:
        return float("nan"), float("nan"), float("nan")
    sw = w.sum()
    value = float((x * w / n).sum() / sw * multiplier)
    var = float((x * (w / n) ** 2).sum() / sw**2)
    lower, upper = _dobson_limits(
        np.array([total]), np.array([value]), np.array([var]), z_value(confidence), multiplier
    )
    return value, float(lower[0]), float(upper[0])


def dsr_by_group(
    frame: pl.DataFrame,
    group_cols: Sequence[str],
    count_col: str = "count",
    population_col: str = "population",
    standard_population_col: str = "standard_population",
    multiplier: float = 100000,
) -> pl.DataFrame:
    """DSRs for every group of a long frame (one row per group x standardisation category).

    Returns one row per group with the group columns and ``count`` (total events), ``denominator``
    (total population), ``value``, ``lower_ci95``, ``upper_ci95``, ``lower_ci998``, ``upper_ci998``,
    ``ci_method`` ("Dobson") and ``note`` -- named like the store's value columns. Groups whose
    total count is below 10 get null value and limits, ci_method null and note DSR_NOTE.
    Rows with a null or non-positive population or a null standard population raise ValueError.
    Reference: PHEindicatormethods R/DSR.R ``phe_dsr`` (grouped data frame in, one row per group out).
    """
    group_cols = list(group_cols)
    bad = frame.filter(
        pl.col(population_col).is_null()
        | (pl.col(population_col) <= 0)
        | pl.col(standard_population_col).is_null()
    )
    if bad.height:
        raise ValueError(
            f"{bad.height} rows have a missing/non-positive population or missing standard population"
        )
    x = pl.col(count_col).cast(pl.Float64).fill_null(0.0)
    ratio = pl.col(standard_population_col).cast(pl.Float64) / pl.col(population_col).cast(pl.Float64)
    agg = frame.group_by(group_cols, maintain_order=True).agg(
        x.sum().alias("count"),
        pl.col(population_col).cast(pl.Float64).sum().alias("denominator"),
        (x * ratio).sum().alias("_wsum"),
        (x * ratio * ratio).sum().alias("_sq"),
        pl.col(standard_population_col).cast(pl.Float64).sum().alias("_w"),
    )
    total = agg["count"].to_numpy()
    w = agg["_w"].to_numpy()
    value = agg["_wsum"].to_numpy() / w * multiplier
    var = agg["_sq"].to_numpy() / w**2
    ok = total >= MIN_DSR_COUNT
    cols: dict[str, Any] = {"value": np.where(ok, value, np.nan)}
    for level, suffix in ((0.95, "95"), (0.998, "998")):
        lo, up = _dobson_limits(total, value, var, z_value(level), multiplier)
        cols[f"lower_ci{suffix}"] = np.where(ok, lo, np.nan)
        cols[f"upper_ci{suffix}"] = np.where(ok, up, np.nan)
    out = agg.select(group_cols + ["count", "denominator"]).with_columns(
        [pl.Series(k, v, dtype=pl.Float64).fill_nan(None) for k, v in cols.items()]
    )
    return out.with_columns(
        pl.when(pl.Series(ok)).then(pl.lit("Dobson")).otherwise(None).alias("ci_method"),
        pl.when(pl.Series(ok)).then(None).otherwise(pl.lit(DSR_NOTE)).alias("note"),
    )
