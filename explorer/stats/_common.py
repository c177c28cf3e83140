"""Shared plumbing for `explorer.stats`: input coercion, output wrapping, confidence levels, polarity.

Every public function in the package accepts scalars, numpy arrays, lists or `polars.Series` (and the
interval functions also `polars.Expr`), does the arithmetic in numpy/scipy, and hands back the same
kind of thing it was given:

* scalars in  -> Python floats out (``nan`` where the result is undefined);
* Series in   -> ``pl.Series`` out, with *null* (not NaN) where the result is undefined;
* arrays in   -> ``np.ndarray`` out (NaN where undefined).

Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import norm

# z for the two levels Fingertips publishes. qnorm(0.975) and qnorm(0.999), as PHEindicatormethods
# computes them (R/utils.R: z <- qnorm(confidence + (1 - confidence) / 2)).
Z95 = float(norm.ppf(0.975))  # 1.959964
Z998 = float(norm.ppf(0.999))  # 3.090232

POLARITY_HIGH = "high is good"
POLARITY_LOW = "low is good"
POLARITY_NONE = "no judgement"
_POLARITY_ALIASES = {
    "high is good": POLARITY_HIGH,
    "rag - high is good": POLARITY_HIGH,
    "high": POLARITY_HIGH,
    "1": POLARITY_HIGH,
    "low is good": POLARITY_LOW,
    "rag - low is good": POLARITY_LOW,
    "low": POLARITY_LOW,
    "0": POLARITY_LOW,
    "no judgement": POLARITY_NONE,
    "no judgment": POLARITY_NONE,
    "bob": POLARITY_NONE,
    "blue orange blue": POLARITY_NONE,
    "neutral": POLARITY_NONE,
    "99": POLARITY_NONE,
}


def normalise_polarity(polarity: Any) -> str | None:
    """Map a polarity spelling to one of the store's three (schema.POLARITIES), or None.

    Accepts the store's vocabulary, Fingertips' names ("RAG - High is good", "BOB") and its ids
    (1 high is good, 0 low is good, 99 no judgement). None, "" and -1 / "not applicable" give None,
    which callers treat as "cannot judge". Anything else is a programming error: ValueError.
    """
    if polarity is None:
        return None
    key = str(polarity).strip().lower()
    if key in ("", "-1", "not applicable", "n/a", "none", "null", "nan"):
        return None
    try:
        return _POLARITY_ALIASES[key]
    except KeyError:
        raise ValueError(
            f"unknown polarity {polarity!r}; use 'high is good', 'low is good' or 'no judgement'"
        ) from None


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile for a confidence level given as 0.95 or 95 (PHEindicatormethods style)."""
    conf = float(confidence)
    if conf > 1:
        conf /= 100.0
    if not 0.5 <= conf < 1:
        raise ValueError(f"confidence must be in [0.5, 1) or [50, 100); got {confidence!r}")
    return float(norm.ppf(conf + (1 - conf) / 2))


def confidence_fraction(confidence: float) -> float:
    """0.95 or 95 -> 0.95 (validated as in `z_value`)."""
    z_value(confidence)
    conf = float(confidence)
    return conf / 100.0 if conf > 1 else conf


def _kind(x: Any) -> str:
    if isinstance(x, pl.Series):
        return "series"
    if isinstance(x, pl.Expr):
        return "expr"
    if x is None or np.isscalar(x) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return "scalar"
    return "array"


def to_array(x: Any) -> np.ndarray:
    """Float64 numpy view of a scalar/list/array/Series; null and None become NaN."""
    if isinstance(x, pl.Series):
        return x.cast(pl.Float64, strict=False).to_numpy().astype(np.float64, copy=False)
    if x is None:
        return np.array(np.nan)
    return np.asarray(x, dtype=np.float64)


def result_kind(*args: Any) -> str:
    """The kind of output for these inputs: 'series' beats 'array' beats 'scalar'."""
    kinds = {_kind(a) for a in args}
    if "expr" in kinds:
        return "expr"
    if "series" in kinds:
        return "series"
    if "array" in kinds:
        return "array"
    return "scalar"


def wrap(values: np.ndarray, kind: str, name: str = "") -> Any:
    """Return `values` as the caller's kind (see module docstring)."""
    if kind == "scalar":
        return float(np.asarray(values, dtype=np.float64).reshape(-1)[0])
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if kind == "series":
        return pl.Series(name, arr, dtype=pl.Float64).fill_nan(None)
    return arr


def wrap_strings(values: np.ndarray, kind: str, name: str = "") -> Any:
    """Like `wrap` for string (object) results; None stays null."""
    if kind == "scalar":
        return np.asarray(values, dtype=object).reshape(-1)[0]
    arr = np.atleast_1d(np.asarray(values, dtype=object))
    if kind == "series":
        return pl.Series(name, arr.tolist(), dtype=pl.String)
    return arr


def broadcast(*arrays: np.ndarray) -> list[np.ndarray]:
    """np.broadcast_arrays, returned as writable 1-d-or-more float arrays."""
    out = np.broadcast_arrays(*[np.atleast_1d(a) for a in arrays])
    return [np.array(a, dtype=np.float64) for a in out]


def expr_outputs(
    fn: Callable[..., Sequence[Any]], exprs: Sequence[Any], n_out: int, names: Sequence[str], **kwargs: Any
) -> tuple[pl.Expr, ...]:
    """Lift a numpy function returning `n_out` arrays into `n_out` Polars expressions.

    Used when a caller passes `pl.col(...)` expressions, e.g.
    ``frame.with_columns(*wilson(pl.col("count"), pl.col("denominator")))``. Each output expression
    re-runs `fn` on the batch (cheap: these are closed-form numpy computations).
    """
    cols = [e if isinstance(e, pl.Expr) else pl.lit(e) for e in exprs]

    def make(i: int) -> pl.Expr:
        def run(series: list[pl.Series]) -> pl.Series:
            out = fn(*series, **kwargs)
            return pl.Series(names[i], np.asarray(to_array(out[i]), dtype=np.float64)).fill_nan(None)

        return pl.map_batches(cols, run, return_dtype=pl.Float64).alias(names[i])

    return tuple(make(i) for i in range(n_out))
