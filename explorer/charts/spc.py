"""Statistical process control chart in the style of NHS England's "Making Data Count".

Input is explorer.stats.xmr's frame (x, y, mean, ucl, lcl, special_cause, variation,
trial_limits, optional rule). Points are coloured AND shaped by their variation: common cause
grey circles, special cause improvement blue triangles up, concern orange triangles down, neutral
purple diamonds (colours from NHSRplotthedots). The mean is solid, the process limits dashed, a
target (if any) red dotted. `add_forecast` overlays a forecast fan.
"""

from __future__ import annotations

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

TRIAL_NOTE = ("Limits are provisional (trial limits): they rest on fewer than 12 points and may "
              "change as more data arrive.")


def _segmented(x: list, y: list, mean: list) -> tuple[list, list]:
    """A limit line per segment: a gap (None) wherever the limits are recalculated, so the
    line steps instead of sloping between segments."""
    xs: list = []
    ys: list = []
    for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
        if i and mean[i] != mean[i - 1]:
            xs.append(None)
            ys.append(None)
        xs.append(xi)
        ys.append(yi if is_number(yi) else None)
    return xs, ys


def _x_labels(x: list) -> list[str]:
    return [esc(v.strftime("%b %Y") if hasattr(v, "strftime") else v) for v in x]


def spc_figure(
    spc: pl.DataFrame,
    indicator: dict,
    target: float | None = None,
    area_name: str | None = None,
) -> go.Figure:
    """XmR chart of `spc` (explorer.stats.xmr output). `target` defaults to the indicator's own."""
    ind = IndicatorText(indicator)
    target = target if is_number(target) else ind.target
    x, y, mean = spc["x"].to_list(), spc["y"].to_list(), spc["mean"].to_list()
    labels = _x_labels(x)
    rules = column_or_none(spc, "rule", spc.height)
    variation = [v if v in palette.SPC_STYLE else "common cause" for v in spc["variation"].to_list()]

    fig = Draft()
    fig.add("scatter", x=x, y=y, mode="lines", line={"color": palette.SPC_LINE, "width": 2},
            hoverinfo="skip", showlegend=False, name="values")
    for name, column, dash, colour in (("Mean", "mean", "solid", palette.SPC_MEAN),
                                       ("Process limits (upper and lower)", "ucl", "dash", palette.SPC_LIMIT),
                                       ("Lower process limit", "lcl", "dash", palette.SPC_LIMIT)):
        xs, ys = _segmented(x, spc[column].to_list(), mean)
        fig.add("scatter", x=xs, y=ys, mode="lines", name=name, hoverinfo="skip", showlegend=column != "lcl",
                legendgroup=None if column == "mean" else "limits",  # one legend entry for both limits
                line={"color": colour, "dash": dash, "width": 1.8})
    for key, style in palette.SPC_STYLE.items():
        idx = [i for i, v in enumerate(variation) if v == key]
        if not idx:
            continue
        fig.add("scatter", x=[x[i] for i in idx], y=[y[i] for i in idx], mode="markers", name=style.legend,
                marker=marker(style.colour, style.symbol, size=10), hovertemplate=HOVER,
                hovertext=[hover_lines(labels[i], f"Value: {ind.value(y[i])}", style.legend,
                                       f"Rule: {esc(rules[i])}" if rules[i] else None,
                                       f"Mean: {ind.value(mean[i])}") for i in idx])
    if is_number(target):
        fig.add("scatter", x=[x[0], x[-1]], y=[target, target], mode="lines", hoverinfo="skip",
                name=f"Target: {ind.value(target)}",
                line={"color": palette.SPC_TARGET, "dash": "dot", "width": 2})
    notes = []
    if area_name:
        notes.append(esc(area_name))
    if "trial_limits" in spc.columns and spc["trial_limits"].any():
        notes.append(TRIAL_NOTE)
    apply_layout(fig, title=wrap(ind.title), subtitle="<br>".join(notes) or None,
                 x_title="Time period", y_title=ind.axis_title, height=500)
    if not hasattr(x[0], "strftime"):
        fig.axis("xaxis", type="category", tickmode="array", tickvals=x, ticktext=labels)
    return fig.figure()


def add_forecast(fig: go.Figure, forecast: pl.DataFrame, indicator: dict | None = None) -> go.Figure:
    """Add a forecast fan to an SPC (or trend) figure: the central forecast (dashed) with 80% and
    95% prediction bands. `forecast` columns: x, mean, lower80, upper80, lower95, upper95.
    Modifies and returns `fig`."""
    ind = IndicatorText(indicator)
    x = forecast["x"].to_list()
    labels = _x_labels(x)
    colour = palette.OKABE_ITO["reddish_purple"]
    bands = []
    for level, alpha in (("95", 0.15), ("80", 0.3)):
        lower, upper = forecast[f"lower{level}"].to_list(), forecast[f"upper{level}"].to_list()
        bands.append(go.Scatter(
            x=x + x[::-1], y=upper + lower[::-1], mode="lines", fill="toself", hoverinfo="skip",
            line={"width": 0}, fillcolor=f"rgba(204, 121, 167, {alpha})", legendgroup="forecast",
            name=f"Forecast: {level}% prediction interval"))
    mean = forecast["mean"].to_list()
    low80, up80 = forecast["lower80"].to_list(), forecast["upper80"].to_list()
    low95, up95 = forecast["lower95"].to_list(), forecast["upper95"].to_list()
    central = go.Scatter(
        x=x, y=mean, mode="lines+markers", name="Forecast", legendgroup="forecast",
        line={"color": colour, "dash": "dash", "width": 2}, marker=marker(colour, "circle", size=7),
        hovertext=[hover_lines(f"{labels[i]} (forecast)", f"Forecast: {ind.value(mean[i])}",
                               f"80% interval: {ind.interval(low80[i], up80[i])}",
                               f"95% interval: {ind.interval(low95[i], up95[i])}") for i in range(len(x))],
        hovertemplate=HOVER)
    fig.add_traces([*bands, central])
    if fig.layout.xaxis.tickvals is not None:  # category axis with escaped tick labels: extend it
        fig.update_xaxes(tickvals=list(fig.layout.xaxis.tickvals) + x,
                         ticktext=list(fig.layout.xaxis.ticktext) + labels)
    return fig
