"""Trend chart: one or more areas over time with 95% intervals, a benchmark and breaks in series."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import plotly.graph_objects as go
import polars as pl

from . import palette
from .common import (
    HOVER,
    Draft,
    IndicatorText,
    apply_layout,
    column_or_none,
    esc,
    hover_lines,
    is_number,
    marker,
    wrap,
)

MAX_TICKS = 12


def _periods(*frames: pl.DataFrame | None) -> pl.DataFrame:
    """Every (period, period_start) shown, in time order: the x axis's ticks."""
    parts = [f.select("period", "period_start") for f in frames if f is not None and f.height]
    if not parts:
        return pl.DataFrame(schema={"period": pl.String, "period_start": pl.Date})
    return pl.concat(parts).unique(subset="period_start", keep="first").sort("period_start")


def _band(x: list, lower: list, upper: list) -> tuple[list, list]:
    """The 95% interval as closed polygons, one per run of periods with both limits.

    A run is cut where a limit is missing, and runs are separated by None, which plotly's
    fill="toself" closes separately, so a suppressed period leaves a gap in the band too.
    """
    xs: list = []
    ys: list = []
    run: list[int] = []
    for i in range(len(x) + 1):
        if i < len(x) and is_number(lower[i]) and is_number(upper[i]):
            run.append(i)
            continue
        if run:
            if xs:
                xs.append(None)
                ys.append(None)
            xs += [x[j] for j in run] + [x[j] for j in reversed(run)]
            ys += [upper[j] for j in run] + [lower[j] for j in reversed(run)]
            run = []
    return xs, ys


def _hover(ind: IndicatorText, name: str, rows: dict[str, list], i: int) -> str:
    count, denominator = rows["count"][i], rows["denominator"][i]
    status = rows["status"][i]
    return hover_lines(
        name,
        f"Period: {esc(rows['period'][i])}",
        f"Value: {ind.value(rows['value'][i])}",
        f"95% confidence interval: {ind.interval(rows['lower_ci95'][i], rows['upper_ci95'][i])}",
        f"Count: {count:,.0f}" if is_number(count) else None,
        f"Denominator: {denominator:,.0f}" if is_number(denominator) else None,
        f"Status: {esc(status)}" if status and status != "published" else None,
        f"Note: {esc(rows['note'][i])}" if rows["note"][i] else None,
    )


def _columns(frame: pl.DataFrame) -> dict[str, list]:
    names = ("period", "period_start", "value", "lower_ci95", "upper_ci95", "count", "denominator",
             "status", "note")
    return {n: column_or_none(frame, n, frame.height) for n in names}


def _area_traces(fig: Draft, ind: IndicatorText, series: pl.DataFrame) -> int:
    """A band and a line per area; returns the number of missing points (drawn as gaps)."""
    key = "area_code" if "area_code" in series.columns else None
    groups = series.partition_by(key, maintain_order=True) if key else [series]
    gaps = 0
    band_legend = True
    for i, group in enumerate(groups):
        group = group.sort("period_start")
        names = column_or_none(group, "area_name", group.height)
        name = esc(names[0] or (group[key][0] if key else "Area"))
        if not any(is_number(v) for v in group["value"].to_list()):
            name += " (no published values)"
        colour = palette.SERIES_COLOURS[i % len(palette.SERIES_COLOURS)]
        rows = _columns(group)
        x = rows["period_start"]
        bx, by = _band(x, rows["lower_ci95"], rows["upper_ci95"])
        if bx:
            fig.add("scatter",
                x=bx, y=by, mode="lines", fill="toself", line={"width": 0}, hoverinfo="skip",
                fillcolor=_transparent(colour), legendgroup=f"area{i}", showlegend=band_legend,
                name="Shaded band: 95% confidence interval" if len(groups) == 1
                else "Shaded bands: 95% confidence intervals")
            band_legend = False
        gaps += sum(1 for v in rows["value"] if not is_number(v))
        fig.add("scatter",
            x=x, y=[v if is_number(v) else None for v in rows["value"]], mode="lines+markers",
            name=name, legendgroup=f"area{i}", connectgaps=False,
            line={"color": colour, "width": 2.5, "dash": palette.SERIES_DASHES[i % 7]},
            marker=marker(colour, palette.SERIES_SYMBOLS[i % 7], size=9),
            hovertext=[_hover(ind, name, rows, j) for j in range(group.height)], hovertemplate=HOVER)
    return gaps


def _transparent(colour: str, alpha: float = 0.15) -> str:
    r, g, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _benchmark_trace(fig: Draft, ind: IndicatorText, benchmark: pl.DataFrame) -> None:
    benchmark = benchmark.sort("period_start")
    names = column_or_none(benchmark, "area_name", benchmark.height)
    label = esc(names[0] if names and names[0] else "England")
    rows = _columns(benchmark)
    fig.add("scatter",
        x=rows["period_start"], y=[v if is_number(v) else None for v in rows["value"]],
        mode="lines+markers", name=f"{label} (benchmark)", connectgaps=False,
        line={"color": palette.BENCHMARK, "width": 2, "dash": "dash"},
        marker=marker(palette.BENCHMARK, "circle", size=6),
        hovertext=[_hover(ind, f"{label} (benchmark)", rows, j) for j in range(benchmark.height)],
        hovertemplate=HOVER)


def _midpoint(a: dt.date, b: dt.date) -> dt.date:
    return a + (b - a) / 2


def _add_breaks(fig: Draft, periods: pl.DataFrame, breaks: list[dict]) -> list[str]:
    """A dotted vertical line before each break's period, annotated with the reason.

    Returns notes for breaks whose period is not on the chart (they go in the subtitle instead).
    """
    labels = periods["period"].to_list()
    starts = periods["period_start"].to_list()
    unplaced = []
    for k, brk in enumerate(breaks):
        period, reason = brk.get("period"), esc(brk.get("reason") or "reason not recorded")
        if period not in labels:
            unplaced.append(f"Break in series ({esc(period)}): {reason}")
            continue
        i = labels.index(period)
        # Halfway between the last period before the break and the first after it.
        x = _midpoint(starts[i - 1], starts[i]) if i > 0 else starts[i]
        fig.shape(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                      line={"color": palette.TEXT, "width": 1.5, "dash": "dot"})
        fig.annotate(x=x, xref="x", yref="paper", y=1 - 0.12 * (k % 3), yanchor="top",
                           xanchor="left", showarrow=False, align="left",
                           text=f"Break in series: {wrap(reason, 32)}", font={"size": 12},
                           bgcolor="rgba(255,255,255,0.85)")
    return unplaced


def _ticks(periods: pl.DataFrame) -> tuple[list, list]:
    starts, labels = periods["period_start"].to_list(), periods["period"].to_list()
    step = max(1, math.ceil(len(starts) / MAX_TICKS))
    keep = [i for i in range(len(starts)) if i % step == 0 or i == len(starts) - 1]
    return [starts[i] for i in keep], [esc(labels[i]) for i in keep]


def trend_figure(
    series: pl.DataFrame,
    indicator: dict,
    benchmark: pl.DataFrame | None = None,
    breaks: list[dict] | None = None,
    trend_label: str | None = None,
) -> go.Figure:
    """Values over time for one or more areas.

    `series`: store rows (period, period_start, value, lower_ci95, upper_ci95, optional count,
    denominator, status, note) with area_code/area_name, one line per area in order of first
    appearance. `benchmark`: the same columns for England or the parent area (dashed black line).
    `breaks`: [{"period": label, "reason": text}]; a dotted line is drawn just before the period.
    `trend_label`: the recent-trend marker (explorer.stats.recent_trend), shown in the subtitle.
    Missing or suppressed values are gaps in the line and band, never zeros.
    """
    ind = IndicatorText(indicator)
    fig = Draft()
    gaps = _area_traces(fig, ind, series)
    if benchmark is not None and benchmark.height:
        _benchmark_trace(fig, ind, benchmark)
    periods = _periods(series, benchmark)
    notes = _add_breaks(fig, periods, breaks or []) if breaks else []
    if trend_label:
        notes.insert(0, f"Recent trend: {esc(trend_label)}")
    if gaps:
        notes.append("Gaps mark periods with no published value.")
    tickvals, ticktext = _ticks(periods)
    apply_layout(fig, title=wrap(ind.title), subtitle="<br>".join(notes) or None, x_title="Time period",
                 y_title=ind.axis_title, height=500 + 18 * max(0, len(notes) - 1))
    fig.axis("xaxis", tickmode="array", tickvals=tickvals, ticktext=ticktext)
    if ind.starts_at_zero:
        fig.axis("yaxis", rangemode="tozero")
    return fig.figure()


__all__: list[Any] = ["trend_figure"]
