"""Funnel plot: each area's value against its size, with 95% and 99.8% control limits.

Small areas scatter more by chance, so the limits narrow as the denominator grows; an area outside
the 99.8% limits is unlikely (about 1 in 500) to differ from the benchmark by chance alone. Limits
come from explorer.stats.funnel_limits (columns lower_95 ... or lower95 ..., both accepted).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from explorer.stats import POLARITY_HIGH, POLARITY_LOW

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

ABOVE_998 = "Above upper 99.8% limit"
ABOVE_95 = "Above upper 95% limit only"
WITHIN = "Within 95% limits"
BELOW_95 = "Below lower 95% limit only"
BELOW_998 = "Below lower 99.8% limit"
NO_POSITION = "Not placed (no value or size)"
POSITIONS = (ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998, NO_POSITION)
LIMIT_NAMES = ("lower95", "upper95", "lower998", "upper998")


def _limit_columns(limits: pl.DataFrame) -> pl.DataFrame:
    """Accept stats.funnel_limits' names (lower_95) and the short ones (lower95); sorted by size."""
    renames = {f"{side}_{level}": f"{side}{level}" for side in ("lower", "upper") for level in ("95", "998")}
    limits = limits.rename({k: v for k, v in renames.items() if k in limits.columns})
    missing = [c for c in ("denominator", *LIMIT_NAMES) if c not in limits.columns]
    if missing:
        raise ValueError(f"limits frame lacks {missing}")
    return limits.sort("denominator")


def funnel_positions(frame: pl.DataFrame, limits: pl.DataFrame, x: str = "denominator") -> pl.Series:
    """Where each area's value sits against the limits at its own size (one of POSITIONS).

    The limits are interpolated linearly between the grid points of `limits`; limits at exactly
    the value count as inside (as PHEindicatormethods' flags do).
    """
    lim = _limit_columns(limits)
    grid = lim["denominator"].to_numpy()
    size = frame[x].cast(pl.Float64).to_numpy()
    value = frame["value"].cast(pl.Float64).to_numpy()
    at = {name: np.interp(size, grid, lim[name].cast(pl.Float64).fill_null(np.nan).to_numpy())
          for name in LIMIT_NAMES}
    ok = np.isfinite(size) & np.isfinite(value)
    out = np.full(value.size, WITHIN, dtype=object)
    with np.errstate(invalid="ignore"):
        out[value > at["upper95"]] = ABOVE_95
        out[value > at["upper998"]] = ABOVE_998
        out[value < at["lower95"]] = BELOW_95
        out[value < at["lower998"]] = BELOW_998
    out[~ok] = NO_POSITION
    return pl.Series("funnel_position", out.tolist(), dtype=pl.String)


def position_judgement(position: str, polarity: str | None) -> str:
    """The comparison label (palette key) a funnel position means under the polarity."""
    high = {ABOVE_998: "best", ABOVE_95: "better", BELOW_95: "worse", BELOW_998: "worst"}
    low = {ABOVE_998: "worst", ABOVE_95: "worse", BELOW_95: "better", BELOW_998: "best"}
    neutral = {ABOVE_998: "higher", ABOVE_95: "higher", BELOW_95: "lower", BELOW_998: "lower"}
    if position == WITHIN:
        return "similar"
    table = high if polarity == POLARITY_HIGH else low if polarity == POLARITY_LOW else neutral
    return table.get(position, "not compared")


def _limit_lines(fig: Draft, lim: pl.DataFrame, benchmark_value: float | None,
                 ind: IndicatorText) -> None:
    grid = lim["denominator"].to_list()
    for level, dash, width in (("998", "solid", 1.8), ("95", "dash", 1.5)):
        for k, side in enumerate(("upper", "lower")):
            fig.add("scatter",
                x=grid, y=lim[f"{side}{level}"].to_list(), mode="lines", hoverinfo="skip",
                line={"color": palette.TEXT, "dash": dash, "width": width}, legendgroup=level,
                showlegend=k == 0, name="99.8% control limits" if level == "998" else "95% control limits")
    if is_number(benchmark_value):
        fig.add("scatter",
            x=[grid[0], grid[-1]], y=[benchmark_value, benchmark_value], mode="lines", hoverinfo="skip",
            line={"color": palette.BENCHMARK, "width": 2.5}, name=f"Benchmark: {ind.value(benchmark_value)}")


def funnel_figure(
    frame: pl.DataFrame,
    indicator: dict,
    benchmark_value: float | None,
    limits: pl.DataFrame,
    x: str = "denominator",
    x_title: str | None = None,
    highlight: list[str] | None = None,
) -> go.Figure:
    """Funnel plot of `frame` (area_code, area_name, value, and `x`: "denominator" or "count").

    `limits`: denominator plus lower/upper 95% and 99.8% limits on the value's scale. Points are
    coloured and symbol-coded by where they sit against the limits, judged with the indicator's
    polarity (above the upper limits is "better" when high is good, "worse" when low is good).
    """
    ind = IndicatorText(indicator)
    lim = _limit_columns(limits)
    chosen = set(highlight or [])
    positions = funnel_positions(frame, lim, x).to_list()
    names = [esc(n) for n in column_or_none(frame, "area_name", frame.height)]
    codes = frame["area_code"].to_list()
    values, sizes = frame["value"].to_list(), frame[x].to_list()
    size_word = "Denominator" if x == "denominator" else "Count"

    fig = Draft()
    _limit_lines(fig, lim, benchmark_value, ind)
    for position in POSITIONS[:-1]:
        idx = [i for i, p in enumerate(positions) if p == position]
        if not idx:
            continue
        style = palette.comparison_style(position_judgement(position, ind.polarity))
        judged = position_judgement(position, ind.polarity)
        legend = position if judged in ("similar", "higher", "lower") else f"{position} ({judged})"
        fig.add("scatter",
            x=[sizes[i] for i in idx], y=[values[i] for i in idx], mode="markers", name=legend,
            marker=marker(style.colour, style.symbol, size=[14 if codes[i] in chosen else 10 for i in idx],
                          line_width=[3 if codes[i] in chosen else 1 for i in idx]),
            hovertext=[hover_lines(names[i] or esc(codes[i]), f"Value: {ind.value(values[i])}",
                                   f"{size_word}: {sizes[i]:,.0f}", legend) for i in idx],
            hovertemplate=HOVER)
    unplaced = positions.count(NO_POSITION)
    notes = ["Areas outside the 99.8% limits are unlikely to differ from the benchmark by chance."]
    if unplaced:
        notes.append(f"{unplaced} area{'s' if unplaced != 1 else ''} with no value or size not shown.")
    apply_layout(fig, title=wrap(ind.title), subtitle="<br>".join(notes),
                 x_title=x_title or f"{size_word} (size of the population or group)", y_title=ind.axis_title,
                 height=600)
    fig.axis("yaxis", range=_y_range(values, sizes, lim, benchmark_value, ind.starts_at_zero))
    fig.axis("xaxis", rangemode="tozero", tickformat=",.0f")
    return fig.figure()


def _y_range(values: list, sizes: list, lim: pl.DataFrame, benchmark: float | None, zero: bool) -> list:
    """The points' span and the limits where points are: near a denominator of 1 the limits run
    off to hundreds of times the benchmark, which would squash every point onto the axis."""
    points = [v for v, s in zip(values, sizes, strict=True) if is_number(v) and is_number(s)]
    smallest = min((s for s in sizes if is_number(s)), default=None)
    span = points + ([benchmark] if is_number(benchmark) else [])
    if smallest is not None:
        near = lim.filter(pl.col("denominator") >= smallest)
        for name in LIMIT_NAMES:
            span += [v for v in near[name].head(1).to_list() if is_number(v)]
    if not span:
        return [None, None]
    low, high = min(span), max(span)
    pad = 0.05 * (high - low or abs(high) or 1.0)
    return [max(0.0, low - pad) if zero else low - pad, high + pad]
