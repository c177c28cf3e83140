"""Benchmark comparison and quintiles, as Fingertips does them.

References (ukhsa-collaboration/fingertips-open, PholioVisualisationWS/Analysis/):

* SingleOverlappingCIsForOneCILevelComparer.cs -- comparison method 1 (the default): "similar" when
  the benchmark *value* lies inside the area's 95% interval (limits inclusive); otherwise the area
  is "better"/"worse" according to whether its value is above or below the benchmark and the
  indicator's polarity (IndicatorComparer.AdjustForPolarity swaps the two for "low is good").
* SingleOverlappingCIsForTwoCILevelsComparer.cs -- with 99.8% limits too: benchmark between the
  95% and 99.8% limits -> better/worse; beyond the 99.8% limits -> best/worst.
* QuintilesComparer.cs + ValueCategoriesCalculator.cs -- quintile bounds from the sorted values
  with the interpolated percentile at rank (N - 1)p + 1; a value goes to the first quintile whose
  upper bound it does not exceed; needs at least 5 values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ._common import (
    POLARITY_HIGH,
    POLARITY_LOW,
    POLARITY_NONE,
    broadcast,
    normalise_polarity,
    result_kind,
    to_array,
    wrap_strings,
)

NOT_COMPARED = "not compared"
SIMILAR = "similar"
# Outcome words by polarity for (area higher, area lower) at the 95% and 99.8% levels.
_WORDS = {
    POLARITY_HIGH: ("better", "worse", "best", "worst"),
    POLARITY_LOW: ("worse", "better", "worst", "best"),
    POLARITY_NONE: ("higher", "lower", "higher", "lower"),
}


_POLARITY_CODES = {None: 0, POLARITY_HIGH: 1, POLARITY_LOW: 2, POLARITY_NONE: 3}
# Outcome codes: 0 not compared, 1 similar, 2 area higher, 3 area lower, 4 highest, 5 lowest.
_LABELS = np.array(
    [[NOT_COMPARED] * 6]
    + [[NOT_COMPARED, SIMILAR, *_WORDS[p]] for p in (POLARITY_HIGH, POLARITY_LOW, POLARITY_NONE)],
    dtype=object,
)


def _polarity_codes(polarity: Any, size: int) -> np.ndarray:
    if isinstance(polarity, (pl.Series, list, tuple, np.ndarray)):
        values = polarity.to_list() if isinstance(polarity, pl.Series) else list(polarity)
        if len(values) != size:
            raise ValueError(f"polarity has {len(values)} entries for {size} values")
        codes = {v: _POLARITY_CODES[normalise_polarity(v)] for v in set(values)}
        return np.fromiter((codes[v] for v in values), dtype=np.int8, count=size)
    return np.full(size, _POLARITY_CODES[normalise_polarity(polarity)], dtype=np.int8)


def compare(
    value: Any,
    lower: Any,
    upper: Any,
    benchmark: Any,
    polarity: Any,
    lower998: Any = None,
    upper998: Any = None,
) -> Any:
    """Compare each area with a benchmark (e.g. England) the Fingertips way; returns labels.

    Labels: "similar", "better", "worse" (polarity "high is good"/"low is good"), "higher",
    "lower" ("no judgement"), and with the 99.8% limits given also "best"/"worst" (RAG polarities;
    "no judgement" stays "higher"/"lower"), or "not compared" when the value, the benchmark or the
    95% interval is missing, or the polarity is None/"not applicable".

    Rule (method 1): benchmark inside [lower, upper] (inclusive) -> "similar"; else area value
    below the benchmark -> "worse" if high is good, "better" if low is good, "lower" if no judgement;
    area value above -> the opposite. With `lower998`/`upper998`: benchmark in [lower998, lower]
    or [upper, upper998] -> better/worse as above; benchmark beyond the 99.8% interval -> best/worst.
    A row whose own 99.8% limits are missing falls back to the 95% rule (Fingertips would say "not
    compared"; the 95% answer is still valid).

    Inputs are scalars, arrays or Series (polarity may be a scalar or one per row); a Series in
    gives a ``pl.Series`` of strings out, scalars give a str.
    """
    kind = result_kind(value, lower, upper, benchmark, lower998, upper998)
    v, lo, up, b = broadcast(to_array(value), to_array(lower), to_array(upper), to_array(benchmark))
    size = v.size
    pol = _polarity_codes(polarity, size)
    ok = np.isfinite(v) & np.isfinite(lo) & np.isfinite(up) & np.isfinite(b) & (pol > 0)
    inside = ok & (b >= lo) & (b <= up)
    outside = ok & ~inside
    below = v < b
    code = np.zeros(size, dtype=np.int8)
    code[inside] = 1
    code[outside & ~below] = 2
    code[outside & below] = 3
    if lower998 is not None and upper998 is not None:
        lo9, up9 = (np.broadcast_to(a, (size,)) for a in broadcast(to_array(lower998), to_array(upper998)))
        has9 = outside & np.isfinite(lo9) & np.isfinite(up9)
        # Fingertips tests the benchmark's position between the bands, then falls back on value < benchmark.
        band_higher = has9 & (b <= lo) & (b >= lo9)
        band_lower = has9 & (b >= up) & (b <= up9)
        beyond = has9 & ~band_higher & ~band_lower
        code[band_higher] = 2
        code[band_lower] = 3
        code[beyond & ~below] = 4
        code[beyond & below] = 5
    return wrap_strings(_LABELS[pol, code], kind, "comparison")


# --- quintiles --------------------------------------------------------------------------------
def _percentile(sorted_values: np.ndarray, fraction: float) -> float:
    """Fingertips' legacy percentile: rank n = (N - 1)p + 1, linear interpolation, rounded to 10 dp."""
    count = sorted_values.size
    n = (count - 1) * fraction + 1
    if n == 1:
        return float(sorted_values[0])
    if n == count:
        return float(sorted_values[-1])
    k = int(n)
    d = n - k
    return round(float(sorted_values[k - 1] + d * (sorted_values[k] - sorted_values[k - 1])), 10)


def quintile_bounds(values: Any) -> list[float]:
    """[min, P20, P40, P60, P80, max] of the non-null values (ValueCategoriesCalculator.cs); [] if < 5."""
    arr = to_array(values).reshape(-1)
    arr = np.sort(arr[np.isfinite(arr)])
    if arr.size < 5:
        return []
    return [float(arr[0])] + [_percentile(arr, i / 5) for i in range(1, 5)] + [float(arr[-1])]


def quintile_labels(polarity: Any = POLARITY_NONE) -> tuple[str, ...]:
    """The five labels `quintiles` uses for a polarity, Q1 (lowest values) first."""
    pol = normalise_polarity(polarity)
    if pol == POLARITY_HIGH:
        return ("Q1 (lowest, worst)", "Q2", "Q3", "Q4", "Q5 (highest, best)")
    if pol == POLARITY_LOW:
        return ("Q1 (lowest, best)", "Q2", "Q3", "Q4", "Q5 (highest, worst)")
    return ("Q1 (lowest)", "Q2", "Q3", "Q4", "Q5 (highest)")


def quintiles(values: Any, polarity: Any = POLARITY_NONE) -> Any:
    """Quintile label for each area's value, among all the non-null values given.

    Q1 always holds the lowest values and Q5 the highest (the numbering never flips with
    polarity); polarity only adds "best"/"worst" to the end labels: "high is good" ->
    "Q1 (lowest, worst)" ... "Q5 (highest, best)"; "low is good" -> "Q1 (lowest, best)" ...
    "Q5 (highest, worst)"; "no judgement" (or None) -> "Q1 (lowest)" ... "Q5 (highest)".
    A value goes to the first quintile whose upper bound (P20, P40, P60, P80, max) it does not
    exceed, so a value equal to a bound falls in the lower quintile. "not compared" for null
    values, and for every area when fewer than 5 values are non-null (QuintilesComparer.cs).
    """
    kind = result_kind(values)
    arr = np.atleast_1d(to_array(values))
    labels = quintile_labels(polarity)
    out = np.full(arr.size, NOT_COMPARED, dtype=object)
    bounds = quintile_bounds(arr)
    if bounds:
        ok = np.isfinite(arr)
        # first category c in 1..5 with value <= bounds[c]
        category = np.searchsorted(np.asarray(bounds[1:]), arr[ok], side="left")
        out[ok] = np.asarray(labels, dtype=object)[np.minimum(category, 4)]
    return wrap_strings(out, kind, "quintile")
