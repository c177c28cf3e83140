"""Fill missing confidence intervals of a store frame from its counts: `ci_for_frame`.

Called by the store build once per indicator. The rules, precisely:

1. A confidence level (95% or 99.8%) is *published* on a row when both of its limits are non-null.
   Published limits are never changed. A level with only one limit present is left as it is and
   not recomputed.
2. A level with both limits null is *recomputed* when the row has everything the indicator's
   method needs (table below), the row's status is not "suppressed", and the row's value agrees
   with the count: |value - expected| <= max(1% of expected, half a unit in the value's last
   published decimal place), where expected is count / denominator x multiplier (or the count
   itself for counts). The allowance is 0.0505 for a value published to one decimal place and
   tiny for a full-precision value (see `rounding_allowance`); a value that disagrees more (a different denominator, a
   modelled value...) keeps null limits because an interval built from the count would not be
   an interval for that value.
3. ``ci_method`` (store column) becomes:
     * "as published"                         -- nothing recomputed and a level was published
       (an existing non-null ci_method is kept instead, e.g. a source's own description);
     * "recomputed: <method>"                 -- the 95% (and any 99.8%) limits recomputed;
     * "as published; 99.8% recomputed: <m>"  -- 95% published, 99.8% filled from the count;
     * "recomputed: <m>; 99.8% as published"  -- the reverse (rare);
     * null                                   -- no limits at all (nothing published, nothing
       computable): the row keeps null limits.

| value_type                     | needs                           | method (PHEindicatormethods)   |
|--------------------------------|---------------------------------|--------------------------------|
| proportion                     | count, denominator > 0, c <= d  | Wilson score (R/utils.R)       |
| crude rate                     | count, denominator > 0          | Byar, exact Poisson below 10   |
| indirectly standardised ratio  | count (observed), denominator   | Byar, exact Poisson below 10   |
|                                | (expected) > 0                  | (R/ISRatio.R)                  |
| count                          | count                           | Byar, exact Poisson below 10   |
| anything else (DSR, mean, ...) | -- not recomputable from a      | limits stay as published/null  |
|                                |    single count                 |                                |

Default multipliers: proportion 100 (percent), crude rate 100000, ISR 100, count 1; pass the
indicator's own multiplier (e.g. 1000 for a rate per 1,000) to override.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ._common import Z95, Z998
from .intervals import METHOD_BYAR, METHOD_WILSON, _poisson_np, _wilson_np

DEFAULT_MULTIPLIERS = {
    "proportion": 100.0,
    "crude rate": 100000.0,
    "indirectly standardised ratio": 100.0,
    "count": 1.0,
}
METHODS = {
    "proportion": METHOD_WILSON,
    "crude rate": METHOD_BYAR,
    "indirectly standardised ratio": METHOD_BYAR,
    "count": METHOD_BYAR,
}
LEVELS = (("95", 0.95, Z95), ("998", 0.998, Z998))
NEEDED = ("value", "count", "denominator", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998")


def _col(frame: pl.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(frame.height, np.nan)
    return frame[name].cast(pl.Float64, strict=False).to_numpy().astype(np.float64, copy=True)


def _limits(value_type: str, x: np.ndarray, n: np.ndarray, mult: float, conf: float, z: float):
    if value_type == "proportion":
        lo, up = _wilson_np(x, n, z)
        return lo * mult, up * mult
    lo, up = _poisson_np(x, conf, "byar", None)
    if value_type == "count":
        return lo, up
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 0, mult / n, np.nan)
    return lo * scale, up * scale


def rounding_allowance(values: np.ndarray) -> np.ndarray:
    """Half a unit in the last decimal place the value was published to (at most 6 places):
    0.051 for 7.7, 0.0051 for 7.75, ~0 for 7.746019224. A full-precision value must agree with
    its count closely; a rounded one only to its rounding."""
    allowance = np.full(values.shape, 0.5e-6 + 1e-9)
    for places in range(6, -1, -1):
        rounded = np.isclose(values, np.round(values, places), rtol=0, atol=1e-9)
        allowance = np.where(rounded, 0.5 * 10.0 ** -places + 1e-3 * 10.0 ** -places, allowance)
    return allowance


def recomputable(frame: pl.DataFrame, value_type: str, multiplier: float | None = None) -> np.ndarray:
    """Boolean mask of rows that have what `value_type`'s method needs (rule 2 of the module doc)."""
    if value_type not in METHODS:
        return np.zeros(frame.height, dtype=bool)
    mult = DEFAULT_MULTIPLIERS[value_type] if multiplier is None else float(multiplier)
    v, x, n = _col(frame, "value"), _col(frame, "count"), _col(frame, "denominator")
    ok = np.isfinite(v) & np.isfinite(x) & (x >= 0)
    if value_type == "count":
        expected = x
    else:
        ok &= np.isfinite(n) & (n > 0)
        if value_type == "proportion":
            ok &= x <= n
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = x / n * mult
    with np.errstate(invalid="ignore"):
        ok &= np.abs(v - expected) <= np.maximum(0.01 * np.abs(expected), rounding_allowance(v))
    if "status" in frame.columns:
        ok &= ~(frame["status"] == "suppressed").fill_null(False).to_numpy()
    return ok


def ci_for_frame(frame: pl.DataFrame, value_type: str, multiplier: float | None = None) -> pl.DataFrame:
    """Return `frame` with missing 95%/99.8% limits filled from count/denominator and ``ci_method`` set.

    See the module docstring for the exact rules. Columns used: value, count, denominator,
    lower_ci95, upper_ci95, lower_ci998, upper_ci998, ci_method, status (the limit and ci_method
    columns are created as nulls if absent). Other columns pass through untouched; row order and
    count are preserved.
    """
    out = frame
    for name in NEEDED[3:]:
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))
    if "ci_method" not in out.columns:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("ci_method"))
    elif out.schema["ci_method"] != pl.String:
        out = out.with_columns(pl.col("ci_method").cast(pl.String))

    mult = DEFAULT_MULTIPLIERS.get(value_type, 1.0) if multiplier is None else float(multiplier)
    can = recomputable(out, value_type, mult)
    x, n = _col(out, "count"), _col(out, "denominator")
    published: dict[str, np.ndarray] = {}
    filled: dict[str, np.ndarray] = {}
    new_cols = []
    for suffix, conf, z in LEVELS:
        lo, up = _col(out, f"lower_ci{suffix}"), _col(out, f"upper_ci{suffix}")
        has_lo, has_up = np.isfinite(lo), np.isfinite(up)
        published[suffix] = has_lo & has_up
        todo = can & ~has_lo & ~has_up
        if todo.any():
            clo, cup = _limits(value_type, x[todo], n[todo], mult, conf, z)
            good = np.isfinite(clo) & np.isfinite(cup)
            idx = np.flatnonzero(todo)[good]
            lo[idx], up[idx] = clo[good], cup[good]
            todo = np.zeros_like(todo)
            todo[idx] = True
        filled[suffix] = todo
        new_cols += [
            pl.Series(f"lower_ci{suffix}", lo).fill_nan(None),
            pl.Series(f"upper_ci{suffix}", up).fill_nan(None),
        ]

    method = METHODS.get(value_type, "")
    p95, p998, f95, f998 = (
        pl.lit(pl.Series(a)) for a in (published["95"], published["998"], filled["95"], filled["998"])
    )
    label = (
        pl.when(f95 & p998)
        .then(pl.lit(f"recomputed: {method}; 99.8% as published"))
        .when(f95)
        .then(pl.lit(f"recomputed: {method}"))
        .when(f998 & p95)
        .then(pl.lit(f"as published; 99.8% recomputed: {method}"))
        .when(f998)
        .then(pl.lit(f"99.8% recomputed: {method}"))
        # nothing recomputed: keep an existing description, else "as published" if a level was published
        .when(p95 | p998)
        .then(pl.coalesce(pl.col("ci_method"), pl.lit("as published")))
        .otherwise(pl.col("ci_method"))
    )
    return out.with_columns(*new_cols).with_columns(label.cast(pl.String).alias("ci_method"))
