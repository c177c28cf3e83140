"""Compare chart: every area ranked by value, with 95% intervals, against a benchmark.

Fingertips' "compare areas" bar chart as a dot plot: one row per area (highest value at the top),
the 95% interval as whiskers, the benchmark as a dashed vertical line, and each area coloured AND
symbol-coded by its comparison with the benchmark. Chosen areas get a bold label and a ring.
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

LABELS_UP_TO = 60  # more rows than this and area labels would overlap: only chosen areas are named
ROW_PX_LABELLED = 20
ROW_PX_UNLABELLED = 6


def _rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Areas with a value, lowest first (plotly draws the first category at the bottom)."""
    extra = [] if "comparison" in frame.columns else [pl.lit(None, pl.String).alias("comparison")]
    names = [] if "area_name" in frame.columns else [pl.col("area_code").alias("area_name")]
    return (frame.with_columns(*extra, *names)
            .filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
            .sort("value", "area_name", nulls_last=True))


def compare_figure(
    frame: pl.DataFrame,
    indicator: dict,
    benchmark_value: float | None,
    benchmark_label: str = "England",
    highlight: list[str] | None = None,
    show_labels: bool | None = None,
    period: str | None = None,
) -> go.Figure:
    """Areas ranked by value (horizontal), with 95% interval whiskers and the benchmark line.

    `frame`: one row per area with area_code, area_name, value, lower_ci95, upper_ci95 and
    `comparison` (explorer.stats.compare labels; absent = "not compared"). `highlight`: area codes
    to pick out. `show_labels`: name every area (default: only when there are at most 60; chosen
    areas are always named). Height grows with the number of areas. Areas with no value are left
    out and counted in the subtitle.
    """
    ind = IndicatorText(indicator)
    chosen = set(highlight or [])
    rows = _rows(frame)
    missing = frame.height - rows.height
    bench = esc(benchmark_label or "benchmark")
    labelled = rows.height <= LABELS_UP_TO if show_labels is None else show_labels

    codes = rows["area_code"].to_list()
    names = [esc(n) for n in rows["area_name"].to_list()]
    values = rows["value"].to_list()
    lower = column_or_none(rows, "lower_ci95", rows.height)
    upper = column_or_none(rows, "upper_ci95", rows.height)
    keys = [palette.comparison_key(c) for c in rows["comparison"].to_list()]
    hover = [hover_lines(
        names[i], f"Value: {ind.value(values[i])}",
        f"95% confidence interval: {ind.interval(lower[i], upper[i])}",
        f"Compared with {bench}: {palette.comparison_legend(keys[i], bench)}",
        f"Rank: {rows.height - i} of {rows.height} (1 = highest value)") for i in range(rows.height)]

    fig = Draft()
    for key in palette.COMPARISON_ORDER:
        idx = [i for i, k in enumerate(keys) if k == key]
        if not idx:
            continue
        style = palette.COMPARISON_STYLE[key]
        big = [codes[i] in chosen for i in idx]
        # One size for the whole trace unless an area in it is chosen: per-point sizes make plotly
        # style every marker separately on each redraw.
        size, line_width = ([14 if b else 10 for b in big], [3 if b else 1 for b in big]) if any(big) else (10, 1)
        fig.add("scatter",
            x=[values[i] for i in idx], y=[codes[i] for i in idx], mode="markers",
            name=palette.comparison_legend(key, bench),
            marker=marker(style.colour, style.symbol, size=size, line_width=line_width),
            error_x={"type": "data", "symmetric": False, "color": palette.TEXT, "thickness": 1.2,
                     "width": 0 if rows.height > LABELS_UP_TO else 3,
                     "array": [_gap(upper[i], values[i]) for i in idx],
                     "arrayminus": [_gap(values[i], lower[i]) for i in idx]},
            hovertext=[hover[i] for i in idx], hovertemplate=HOVER)
    _chosen_rings(fig, codes, values, chosen)
    if is_number(benchmark_value):
        fig.shape(type="line", xref="x", yref="paper", x0=benchmark_value, x1=benchmark_value,
                      y0=0, y1=1, line={"color": palette.BENCHMARK, "width": 2, "dash": "dash"},
                      showlegend=True, name=f"{bench}: {ind.value(benchmark_value)}")

    tick_codes = codes if labelled else [c for c in codes if c in chosen]
    label_of = {c: (f"<b>{n}</b>" if c in chosen else n) for c, n in zip(codes, names, strict=True)}
    notes = [f"{rows.height} areas, highest value at the top. Lines show 95% confidence intervals."]
    if missing:
        notes.append(f"{missing} area{'s' if missing != 1 else ''} with no value not shown.")
    title = ind.title + (f", {esc(period)}" if period else "")
    per_row = ROW_PX_LABELLED if labelled else ROW_PX_UNLABELLED
    apply_layout(fig, title=wrap(title), subtitle="<br>".join(notes), x_title=ind.axis_title,
                 y_title=None if labelled else "Areas, ranked by value",
                 height=max(360, 200 + per_row * rows.height))
    fig.axis("yaxis", type="category", categoryorder="array", categoryarray=codes, tickmode="array",
                     tickvals=tick_codes, ticktext=[label_of[c] for c in tick_codes], showgrid=False,
                     range=[-1, max(rows.height, 1)])
    if ind.starts_at_zero:
        fig.axis("xaxis", rangemode="tozero")
    return fig.figure()


def _gap(a: float | None, b: float | None) -> float | None:
    return a - b if is_number(a) and is_number(b) else None


def _chosen_rings(fig: Draft, codes: list, values: list, chosen: set[str]) -> None:
    """An open black ring around each chosen area, with its own legend entry."""
    idx = [i for i, c in enumerate(codes) if c in chosen]
    if not idx:
        return
    fig.add("scatter",
        x=[values[i] for i in idx], y=[codes[i] for i in idx], mode="markers",
        name="Selected area" + ("s" if len(idx) > 1 else ""), hoverinfo="skip",
        marker={"symbol": "circle-open", "size": 24, "color": palette.TEXT, "line": {"width": 2.5}})
