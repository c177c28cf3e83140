"""What the Trends page shows of one series: the SPC chart's data and its plain-English reading, the
forecast's inputs and wording, the seasonal (year-on-year) view, excess deaths, and the download
(CSV written by explorer.export.flat, which makes text formula-injection safe).

No Streamlit here. SPC itself is explorer.stats.xmr (NHS "Making Data Count"); forecasts are
explorer.forecast.
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from explorer import forecast, stats
from explorer.export import flat
from explorer.queries import trends
from explorer.store import Store

PRE_PANDEMIC = dt.date(2020, 1, 1)
DEATHS = "deaths-weekly-all-causes"
FIVE_YEAR_AVERAGE = "deaths-weekly-five-year-average"
FY_MONTHS = [calendar.month_abbr[(m + 3) % 12 + 1] for m in range(12)]  # Apr .. Mar
VARIATION_WORDS = {
    stats.spc.COMMON: "common cause variation: no sign of real change",
    stats.spc.IMPROVEMENT: "special cause variation, improving",
    stats.spc.CONCERN: "special cause variation, of concern",
    stats.spc.NEUTRAL: "special cause variation (higher or lower is neither better nor worse)",
}
ASSURANCE_WORDS = {
    "consistently passing": "the process limits are all on the right side of the target, so the target "
                            "will consistently be met if nothing changes",
    "consistently failing": "the process limits are all on the wrong side of the target, so the target "
                            "will consistently be missed unless something changes",
    "hit and miss": "the target lies between the process limits, so it will be met in some periods "
                    "and missed in others",
}


def bounds(indicator: dict) -> tuple[float | None, float | None]:
    """Values a forecast interval cannot pass: counts are never negative, percentages stay 0-100."""
    unit, value_type = indicator.get("unit"), indicator.get("value_type")
    if value_type == "proportion" and unit == "%":
        return 0.0, 100.0
    if value_type in {"count", "money", "crude rate", "proportion", "mean"}:
        return 0.0, None
    return None, None


def spc(frame: pl.DataFrame, indicator: dict, breaks: list[dict],
        change_point: dt.date | None = None) -> tuple[pl.DataFrame, dict]:
    """xmr over the observed values; limits restart at every break and at the change point."""
    starts = frame["period_start"].to_list()
    rebase = sorted({b["start"] for b in breaks} | ({change_point} if change_point else set()))
    rebase = [r for r in rebase if starts[0] < r <= starts[-1] and r in set(starts)]
    table, summary = stats.xmr(frame["value"], starts, indicator.get("polarity"), rebase=rebase or None,
                               target=indicator.get("target"))
    table = table.with_columns(frame.select("period", "status", "note", "count", "denominator"))
    summary["latest_period"] = frame["period"][-1]
    return table, summary


def spc_reading(summary: dict, indicator: dict, value_text: str) -> list[str]:
    """Sentences under the SPC chart, in plain English."""
    out = [f"Latest ({summary['latest_period']}): {value_text}, "
           f"{VARIATION_WORDS.get(summary['latest_variation'], summary['latest_variation'])}."]
    if summary.get("assurance"):
        out.append(f"Against the target: {ASSURANCE_WORDS[summary['assurance']]}.")
    elif indicator.get("target") is not None and indicator.get("polarity") == "no judgement":
        out.append("The target is shown but not assessed: the indicator has no better direction.")
    if summary.get("trial_limits"):
        out.append("The current limits rest on fewer than 12 points (trial limits), so they may move "
                   "as more data arrive.")
    return out


def totals_sentence(frame: pl.DataFrame) -> str | None:
    """What we summed for this series, if any of it is our total rather than a published figure."""
    ours = frame.filter(pl.col("status") == "aggregated")
    if ours.is_empty():
        return None
    parts = [f"{first} to {last}: {note[:1].lower() + note[1:]}" for note, first, last in
             ours.group_by("note").agg(pl.col("period").first().alias("first"), pl.col("period").last().alias("last"),
                                       pl.col("period_start").min().alias("_s")).sort("_s")
             .select("note", "first", "last").iter_rows()]
    return ("Our totals (not published by the producer): " + "; ".join(parts) + ". A month or week is totalled "
            "only when every one of those areas reported it; rates and percentages are recomputed from the "
            "summed counts and denominators, never added up.")


def change_point_start(frame: pl.DataFrame, label: str | None) -> dt.date | None:
    if not label:
        return None
    hit = frame.filter(pl.col("period") == label)
    return hit["period_start"][0] if hit.height else None


def forecast_since(breaks: list[dict], change_point: dt.date | None) -> dt.date | None:
    """The forecast is fitted only after the last break and the change point."""
    dates = [b["start"] for b in breaks] + ([change_point] if change_point else [])
    return max(dates) if dates else None


def run_forecast(frame: pl.DataFrame, indicator: dict, period_type: str, breaks: list[dict],
                 change_point: dt.date | None, horizon: int) -> forecast.Forecast:
    starts, values = trends.history(frame, forecast_since(breaks, change_point), period_type)
    low, high = bounds(indicator)
    return forecast.forecast(starts, values, period_type, horizon, low, high)


def backtest_sentences(result: forecast.Forecast, period_type: str) -> list[str]:
    """Method, history used and the backtest, stated plainly under the forecast chart."""
    one, many = forecast.UNIT_WORDS[period_type]
    label = forecast.period_label
    out = [f"Method: {result.method}. Shaded bands are 80% and 95% prediction intervals.",
           f"History used: {result.history_points} {many} with data, {label(result.history_first, period_type)} "
           f"to {label(result.history_last, period_type)} (everything after the last break in series or "
           f"change point)."]
    if result.filled:
        out.append(f"{result.filled} missing {one if result.filled == 1 else many} inside that stretch "
                   "were filled by straight-line interpolation to fit the model; they are not shown as data.")
    test = result.backtest
    if test is None:
        season = forecast.SEASON[period_type]
        need = forecast.MIN_SEASONS * season + forecast.HELD_OUT
        out.append(f"Not tested: checking the forecast against held-out data needs {need} {many} of history "
                   f"(two full years plus {forecast.HELD_OUT} {many} to hold out); treat it with extra caution.")
        return out
    mape = (f"; mean absolute percentage error {test.model_mape:.1f}% against {test.naive_mape:.1f}%"
            if test.model_mape is not None and test.naive_mape is not None else "")
    out.append(f"Backtest: refitted without the last {forecast.HELD_OUT} {many} "
               f"({label(test.first, period_type)} to {label(test.last, period_type)}), the model's error "
               f"(MASE) was {test.model_mase:.2f}, against {test.naive_mase:.2f} for a naive seasonal forecast "
               f"(the same {one} a year earlier){mape}.")
    if test.beats_baseline:
        out.append("The model beat the naive seasonal forecast on the held-out data.")
    else:
        out.append(f"The model did NOT beat the naive seasonal forecast: simply repeating last year's "
                   f"figures was more accurate over the held-out {many}. Use the fan with care.")
    return out


def seasonal_table(frame: pl.DataFrame, period_type: str) -> pl.DataFrame:
    """One row per observed period: season (financial year for months, calendar year for weeks),
    position within it (0-based), position label and value."""
    if period_type == "week":
        rows = frame.with_columns(pl.col("period_end").dt.year().cast(pl.String).alias("season"))
        rows = rows.with_columns((pl.col("period_end").rank("ordinal").over("season") - 1).cast(pl.Int32)
                                 .alias("position"))
        return rows.select("season", "position",
                           (pl.col("position") + 1).cast(pl.String).alias("position_label"),
                           "period", "period_start", "period_end", "value")
    year, month = pl.col("period_start").dt.year(), pl.col("period_start").dt.month()
    fy = pl.when(month >= 4).then(year).otherwise(year - 1)
    rows = frame.with_columns(
        (fy.cast(pl.String) + "/" + ((fy + 1) % 100).cast(pl.String).str.zfill(2)).alias("season"),
        ((month.cast(pl.Int32) - 4) % 12).alias("position"))
    return rows.select("season", "position",
                       pl.col("position").replace_strict(dict(enumerate(FY_MONTHS)), return_dtype=pl.String)
                       .alias("position_label"), "period", "period_start", "period_end", "value")


def pre_pandemic_average(table: pl.DataFrame) -> pl.DataFrame:
    """Mean of each position over periods before 2020, with how many years went into it."""
    return (table.filter(pl.col("period_end") < PRE_PANDEMIC)
            .group_by("position", "position_label")
            .agg(pl.col("value").mean().alias("average"), pl.col("season").n_unique().alias("years"))
            .sort("position"))


def seasonal_pivot(table: pl.DataFrame, average: pl.DataFrame, years: int = 6) -> pl.DataFrame:
    """The seasonal chart as a table: a row per month or week, a column per recent year, and the
    pre-2020 average (the chart's text alternative)."""
    seasons = sorted(table["season"].unique().to_list())[-years:]
    wide = (table.filter(pl.col("season").is_in(seasons))
            .pivot("season", index=["position", "position_label"], values="value", aggregate_function="first")
            .sort("position"))
    if not average.is_empty():
        wide = wide.join(average.select("position", pl.col("average").alias("Average before 2020")),
                         on="position", how="left")
    return wide.drop("position").rename({"position_label": "Period of the year"})


def spc_display(table: pl.DataFrame) -> pl.DataFrame:
    """The SPC chart as a table with plain column names."""
    return table.select(
        pl.col("period").alias("Period"), pl.col("y").alias("Value"), pl.col("mean").alias("Mean"),
        pl.col("lcl").alias("Lower process limit"), pl.col("ucl").alias("Upper process limit"),
        pl.col("variation").str.to_titlecase().str.replace("Special Cause", "Special cause")
        .str.replace("Common Cause", "Common cause").alias("Variation"),
        pl.col("rule").alias("Rule"), pl.col("trial_limits").alias("Trial limits"),
        pl.col("status").alias("Status"), pl.col("note").alias("Note"))


def forecast_display(result: forecast.Forecast) -> pl.DataFrame:
    return result.frame.select(
        pl.col("period").alias("Period"), pl.col("mean").alias("Forecast"),
        pl.col("lower80").alias("80% interval: lower"), pl.col("upper80").alias("80% interval: upper"),
        pl.col("lower95").alias("95% interval: lower"), pl.col("upper95").alias("95% interval: upper"))


def excess_deaths(store: Store, area_code: str) -> pl.DataFrame:
    """Registered deaths against ONS's own five-year average, week by week (empty where ONS
    publishes no average for the area)."""
    average = trends.series(store, FIVE_YEAR_AVERAGE, area_code, None)
    deaths = trends.series(store, DEATHS, area_code, None)
    if average.is_empty() or deaths.is_empty():
        return pl.DataFrame()
    return (deaths.select("period", "period_start", "period_end", pl.col("value").alias("registered"))
            .join(average.select("period", pl.col("value").alias("five_year_average")), on="period")
            .with_columns((pl.col("registered") - pl.col("five_year_average")).alias("excess"))
            .sort("period_start"))


def excess_sentence(excess: pl.DataFrame) -> str:
    """The latest year's excess deaths so far, in words."""
    year = excess["period_end"].dt.year().max()
    latest = excess.filter(pl.col("period_end").dt.year() == year)
    total = latest["excess"].sum()
    return (f"In {year} up to {latest['period'][-1]}, {latest['registered'].sum():,.0f} deaths were registered "
            f"against a five-year average of {latest['five_year_average'].sum():,.0f}: {abs(total):,.0f} "
            f"{'more' if total >= 0 else 'fewer'} than usual. Excess deaths = registered deaths minus ONS's own "
            f"five-year average for the same week.")


def excess_display(excess: pl.DataFrame) -> pl.DataFrame:
    return excess.select(pl.col("period").alias("Week"), pl.col("registered").alias("Registered"),
                         pl.col("five_year_average").alias("Five-year average"),
                         pl.col("excess").alias("Excess")).reverse()


def download_table(indicator: dict, area_code: str, area_name: str, category: str | None,
                   spc_table: pl.DataFrame, result: forecast.Forecast | None) -> pl.DataFrame:
    """The series with its limits and flags, then the forecast rows (if any)."""
    meta = [pl.lit(indicator.get("indicator_id")).alias("indicator_id"),
            pl.lit(indicator.get("title")).alias("indicator"), pl.lit(area_code).alias("area_code"),
            pl.lit(area_name).alias("area_name"), pl.lit(category, pl.String).alias("category")]
    observed = spc_table.select(
        *meta, "period", pl.col("x").alias("period_start"), pl.lit("observed").alias("row_type"),
        pl.col("y").alias("value"), "count", "denominator", pl.col("mean").alias("spc_mean"),
        pl.col("lcl").alias("lower_process_limit"), pl.col("ucl").alias("upper_process_limit"),
        "lower_2sigma", "upper_2sigma", "variation", pl.col("rule").alias("spc_rule"), "trial_limits",
        "status", "note")
    if result is None or result.frame is None:
        return observed
    future = result.frame.select(
        *meta, "period", pl.col("x").alias("period_start"), pl.lit("forecast").alias("row_type"),
        pl.col("mean").alias("forecast"), "lower80", "upper80", "lower95", "upper95",
        pl.lit(result.method).alias("note"))
    return pl.concat([observed, future], how="diagonal_relaxed")


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The download as CSV, through the export module (formula-injection-safe text, ISO dates)."""
    return flat.csv_bytes(frame)
