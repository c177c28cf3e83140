"""Seasonal forecasts for monthly and weekly series: exponential smoothing (ETS) with prediction
intervals, tested against a naive seasonal baseline. No Streamlit here.

Method (Hyndman & Athanasopoulos, "Forecasting: principles and practice", ch. 8), with statsmodels'
`ETSModel` (innovations state space form, maximum likelihood):

* Candidates: ETS(A,N,A) and ETS(A,Ad,A) (additive errors and seasonality, no trend or a damped
  trend); for all-positive series also ETS(M,N,M) and ETS(M,Ad,M) (multiplicative). The one with
  the lowest AICc is kept. Seasonal period 12 for months, 52 for weeks (53-week years are
  approximated, as usual). Initial states are estimated for months; for weeks the 52 initial
  seasonal states come from the classical decomposition of the first two years ("heuristic"),
  because estimating 52 extra parameters is slow and overfits.
* History: the caller passes one unbroken stretch (after the last break in series or change
  point). A few missing periods inside it are filled by straight-line interpolation for fitting
  only; the fan, the table and the backtest never show filled values as data.
* Needs at least two full seasons (24 months / 104 weeks); less gives a plain reason, no fan.
* Prediction intervals at 80% and 95%: analytic for additive-error models, from 1,000 simulated
  paths (fixed seed, so the same data give the same fan) for multiplicative ones.
* Backtest: the last 12 points are held out, the chosen model form is refitted on the rest and its
  12-step forecast compared with the naive seasonal forecast (the same period a season earlier).
  Errors: MASE (mean absolute error over the in-sample mean absolute seasonal difference) and
  MAPE. The model "beats the baseline" only if its mean absolute error is lower.

Fits are cached with functools.lru_cache keyed on the history itself (dates and values as tuples)
plus the horizon: any change of indicator, area, category, last period or change point changes
the key, and an unchanged series never refits.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from explorer import periods

SEASON = {"month": 12, "week": 52}
UNIT_WORDS = {"month": ("month", "months"), "week": ("week", "weeks")}
MIN_SEASONS = 2
HELD_OUT = 12
SIMULATIONS = 1000
SEED = 20240401
SPECS = {  # name -> ETSModel arguments
    "ANA": {"error": "add", "trend": None, "seasonal": "add"},
    "AAdA": {"error": "add", "trend": "add", "damped_trend": True, "seasonal": "add"},
    "MNM": {"error": "mul", "trend": None, "seasonal": "mul"},
    "MAdM": {"error": "mul", "trend": "add", "damped_trend": True, "seasonal": "mul"},
}
SPEC_WORDS = {
    "ANA": "additive errors, no trend, additive seasonality",
    "AAdA": "additive errors, damped additive trend, additive seasonality",
    "MNM": "multiplicative errors, no trend, multiplicative seasonality",
    "MAdM": "multiplicative errors, damped additive trend, multiplicative seasonality",
}


@dataclass(frozen=True)
class Backtest:
    held_out: int  # held-out points with an observed value
    first: dt.date
    last: dt.date
    model_mae: float
    naive_mae: float
    model_mase: float
    naive_mase: float
    model_mape: float | None
    naive_mape: float | None

    @property
    def beats_baseline(self) -> bool:
        return self.model_mae < self.naive_mae


@dataclass(frozen=True)
class Forecast:
    """A forecast fan, or the plain reason there is none (`frame` is None)."""

    reason: str | None = None
    frame: pl.DataFrame | None = None  # x, period, mean, lower80, upper80, lower95, upper95
    spec: str | None = None
    method: str | None = None
    history_first: dt.date | None = None
    history_last: dt.date | None = None
    history_points: int = 0
    filled: int = 0
    backtest: Backtest | None = None
    backtest_reason: str | None = None
    fit_seconds: float = 0.0


def next_starts(last_start: dt.date, period_type: str, count: int) -> list[dt.date]:
    """The start dates of the `count` periods after the one starting `last_start`."""
    if period_type == "week":
        return [last_start + dt.timedelta(days=7 * (i + 1)) for i in range(count)]
    out = []
    year, month = last_start.year, last_start.month
    for _ in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(dt.date(year, month, 1))
    return out


def period_label(start: dt.date, period_type: str) -> str:
    if period_type == "week":
        return periods.week_ending(start + dt.timedelta(days=6)).label
    return periods.month(start.year, start.month).label


def _fit(y: np.ndarray, spec: str, season: int):
    import pandas as pd  # imported on first fit only: the SPC and seasonal views never need them
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    init = "estimated" if season <= 12 else "heuristic"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; failures are caught by the caller
        model = ETSModel(pd.Series(y), seasonal_periods=season, initialization_method=init, **SPECS[spec])
        return model.fit(disp=False, maxiter=2000)


def _choose(y: np.ndarray, season: int):
    """(spec name, fitted results) of the candidate with the lowest finite AICc."""
    names = ["ANA", "AAdA"] + (["MNM", "MAdM"] if np.all(y > 0) else [])
    best = None  # (name, results, number of candidates)
    for name in names:
        try:
            res = _fit(y, name, season)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.isfinite(res.aicc) and (best is None or res.aicc < best[1].aicc):
            best = (name, res, len(names))
    return best


def _fill(values: tuple) -> tuple[np.ndarray, int]:
    y = np.array([np.nan if v is None else float(v) for v in values])
    missing = np.isnan(y)
    if missing.any():
        idx = np.arange(y.size)
        y[missing] = np.interp(idx[missing], idx[~missing], y[~missing])
    return y, int(missing.sum())


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    keep = actual != 0
    return float(100 * np.mean(np.abs((actual[keep] - predicted[keep]) / actual[keep]))) if keep.any() else None


def backtest(starts: tuple, values: tuple, spec: str, season: int) -> tuple[Backtest | None, str | None]:
    """Hold out the last HELD_OUT points, refit `spec` on the rest, compare with naive seasonal."""
    observed = np.array([np.nan if v is None else float(v) for v in values])
    if observed.size - HELD_OUT < MIN_SEASONS * season:
        return None, "too short"
    y, _ = _fill(values)
    train, actual = y[:-HELD_OUT], observed[-HELD_OUT:]
    try:
        model = _fit(train, spec, season).forecast(HELD_OUT).to_numpy()
    except (ValueError, np.linalg.LinAlgError):
        return None, "the model could not be refitted without the last points"
    naive = train[train.size - season:][:HELD_OUT]
    keep = ~np.isnan(actual)
    if not keep.any():
        return None, "no observed values in the held-out points"
    obs_train = observed[:-HELD_OUT]
    diffs = np.abs(obs_train[season:] - obs_train[:-season])
    scale = float(np.nanmean(diffs)) if np.isfinite(diffs).any() else float("nan")
    model_mae = float(np.mean(np.abs(actual[keep] - model[keep])))
    naive_mae = float(np.mean(np.abs(actual[keep] - naive[keep])))
    held = [s for s, k in zip(starts[-HELD_OUT:], keep, strict=True) if k]
    return Backtest(
        held_out=int(keep.sum()), first=held[0], last=held[-1], model_mae=model_mae, naive_mae=naive_mae,
        model_mase=model_mae / scale if scale else float("nan"),
        naive_mase=naive_mae / scale if scale else float("nan"),
        model_mape=_mape(actual[keep], model[keep]), naive_mape=_mape(actual[keep], naive[keep]),
    ), None


@lru_cache(maxsize=64)
def _fitted(starts: tuple, values: tuple, period_type: str):
    """Everything that does not depend on the horizon: chosen model, its fit and the backtest."""
    season = SEASON[period_type]
    clock = time.perf_counter()
    y, filled = _fill(values)
    chosen = _choose(y, season)
    if chosen is None:
        return None, filled, None, "no model could be fitted", time.perf_counter() - clock
    spec, res, candidates = chosen
    test, why = backtest(starts, values, spec, season)
    return (spec, res, candidates), filled, test, why, time.perf_counter() - clock


def _too_short(points: int, period_type: str) -> str:
    one, many = UNIT_WORDS[period_type]
    need = MIN_SEASONS * SEASON[period_type]
    return (f"There are only {points} {one if points == 1 else many} of comparable data since the last "
            f"break in the series or change point. A seasonal forecast needs at least {need} {many} "
            f"(two full years) to tell the usual seasonal pattern from change, so none is shown.")


@lru_cache(maxsize=256)
def forecast(starts: tuple, values: tuple, period_type: str, horizon: int,
             lower_bound: float | None = None, upper_bound: float | None = None) -> Forecast:
    """Forecast `horizon` periods after an unbroken history.

    `starts`: period start dates, one per consecutive period (no skipped periods); `values`: the
    observed values, None where a period is missing. Intervals are clipped to the bounds given
    (e.g. 0 for counts, 0-100 for percentages).
    """
    if period_type not in SEASON:
        return Forecast(reason=f"Forecasts are made for monthly and weekly series only, not {period_type}.")
    # Trim missing values at either end: the history is what was observed.
    keep = [i for i, v in enumerate(values) if v is not None]
    if not keep:
        return Forecast(reason=_too_short(0, period_type))
    starts, values = starts[keep[0]: keep[-1] + 1], values[keep[0]: keep[-1] + 1]
    season = SEASON[period_type]
    if len(values) < MIN_SEASONS * season:
        return Forecast(reason=_too_short(len(keep), period_type))
    fitted, filled, test, why, seconds = _fitted(starts, values, period_type)
    if fitted is None:
        return Forecast(reason=f"The forecast model could not be fitted to this series ({why}).")
    spec, res, candidates = fitted
    clock = time.perf_counter()
    n = len(values)
    pred = res.get_prediction(start=n, end=n + horizon - 1, simulate_repetitions=SIMULATIONS,
                              rng=np.random.default_rng(SEED))
    bands = {}
    for level in (80, 95):
        interval = np.asarray(pred.pred_int(alpha=1 - level / 100))
        bands[f"lower{level}"], bands[f"upper{level}"] = interval[:, 0], interval[:, 1]
    mean = np.asarray(pred.predicted_mean)
    future = next_starts(starts[-1], period_type, horizon)
    frame = pl.DataFrame({
        "x": future, "period": [period_label(s, period_type) for s in future], "mean": mean, **bands,
    }).with_columns(pl.col("mean", "lower80", "upper80", "lower95", "upper95").clip(lower_bound, upper_bound))
    return Forecast(
        frame=frame, spec=spec, method=describe(spec, season, candidates), history_first=starts[0],
        history_last=starts[-1], history_points=len(keep), filled=filled, backtest=test,
        backtest_reason=why, fit_seconds=seconds + time.perf_counter() - clock,
    )


def describe(spec: str, season: int, candidates: int = len(SPECS)) -> str:
    name = {"ANA": "A,N,A", "AAdA": "A,Ad,A", "MNM": "M,N,M", "MAdM": "M,Ad,M"}[spec]
    return (f"exponential smoothing ETS({name}) ({SPEC_WORDS[spec]}, seasonal period {season}), "
            f"chosen by AICc from {candidates} candidate forms (statsmodels ETSModel)")


def cache_clear() -> None:
    _fitted.cache_clear()
    forecast.cache_clear()
