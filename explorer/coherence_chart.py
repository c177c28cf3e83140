"""Plotly figure for the coherence page: two producers' values of one measure side by side.

Many areas: an agreement plot (producer A across, producer B up, one marker per area, the
diagonal where they would agree exactly; hollow markers where the 95% intervals do not overlap).
A few values (England totals): a dot plot with both values and their intervals per row.
No Streamlit here; text from data is escaped with charts.common.esc.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from explorer.charts import palette
from explorer.charts.common import HOVER, Draft, IndicatorText, apply_layout, esc, hover_lines, marker, number, wrap

COLOURS = (palette.SERIES_COLOURS[0], palette.SERIES_COLOURS[1])
SYMBOLS = ("circle", "diamond")
FEW = 4   # up to this many rows: dot plot instead of a scatter


def agreement_figure(rows: pl.DataFrame, indicator: dict, label_a: str, label_b: str) -> go.Figure:
    """`rows` from coherence.Comparison.for_pair: area_name, sex, period_a/b, value_a/b, lower/upper."""
    ind = IndicatorText(indicator)
    if rows.height <= FEW:
        return _dots(rows, ind, label_a, label_b)
    return _scatter(rows, ind, label_a, label_b)


def _row_label(row: dict) -> str:
    parts = [row.get("area_name") or row.get("area_code")]
    if row.get("sex") and row["sex"] != "Persons":
        parts.append(row["sex"])
    if row.get("category"):
        parts.append(row["category"])
    return esc(", ".join(str(p) for p in parts if p))


def _scatter(rows: pl.DataFrame, ind: IndicatorText, label_a: str, label_b: str) -> go.Figure:
    fig = Draft()
    lo = min(rows["value_a"].min(), rows["value_b"].min())
    hi = max(rows["value_a"].max(), rows["value_b"].max())
    pad = (hi - lo) * 0.05 or 1
    fig.add("scatter", x=[lo - pad, hi + pad], y=[lo - pad, hi + pad], mode="lines",
            line={"color": palette.TEXT, "dash": "dash", "width": 1},
            name="Where the two would agree", hoverinfo="skip")
    sexes = [s for s in rows["sex"].unique(maintain_order=True).to_list()]
    for i, sex in enumerate(sexes):
        part = rows.filter(pl.col("sex") == sex)
        beyond = [v == "beyond intervals" for v in part["intervals"].to_list()]
        name = esc(sex) if len(sexes) > 1 else "Areas"
        fig.add(
            "scatter", x=part["value_a"].to_list(), y=part["value_b"].to_list(), mode="markers", name=name,
            marker=marker(["#FFFFFF" if b else palette.SERIES_COLOURS[i] for b in beyond],
                          palette.SERIES_SYMBOLS[i], size=9),
            hovertext=[hover_lines(_row_label(r), f"{esc(label_a)} ({esc(r['period_a'])}): {ind.value(r['value_a'])}",
                                   f"{esc(label_b)} ({esc(r['period_b'])}): {ind.value(r['value_b'])}",
                                   f"Difference: {number(r['difference'])}",
                                   "Intervals do not overlap" if r["intervals"] == "beyond intervals" else None)
                       for r in part.iter_rows(named=True)],
            hovertemplate=HOVER)
    period_a, period_b = rows["period_a"][0], rows["period_b"][0]
    apply_layout(fig, title=wrap(f"{ind.short_title}: {esc(label_a)} against {esc(label_b)}"),
                 subtitle=f"One marker per area. Points above the dashed line: {esc(label_b)} is higher.",
                 x_title=f"{esc(label_a)}, {esc(period_a)} ({ind.unit})" if ind.unit else esc(label_a),
                 y_title=f"{esc(label_b)}, {esc(period_b)} ({ind.unit})" if ind.unit else esc(label_b),
                 height=520)
    fig.axis("xaxis", range=[lo - pad, hi + pad])
    fig.axis("yaxis", range=[lo - pad, hi + pad])
    return fig.figure()


def _dots(rows: pl.DataFrame, ind: IndicatorText, label_a: str, label_b: str) -> go.Figure:
    fig = Draft()
    labels = [_row_label(r) for r in rows.iter_rows(named=True)]
    for side, label, colour, symbol, offset in (("a", label_a, COLOURS[0], SYMBOLS[0], 0.12),
                                                 ("b", label_b, COLOURS[1], SYMBOLS[1], -0.12)):
        values = rows[f"value_{side}"].to_list()
        lower, upper = rows[f"lower_{side}"].to_list(), rows[f"upper_{side}"].to_list()
        has_ci = all(v is not None for v in lower + upper)
        periods = rows[f"period_{side}"].to_list()
        fig.add(
            "scatter", x=values, y=[i + offset for i in range(rows.height)], mode="markers",
            name=f"{esc(label)} ({esc(periods[0])})",
            marker=marker(colour, symbol, size=12),
            error_x=({"type": "data", "symmetric": False, "array": [u - v for u, v in zip(upper, values, strict=True)],
                      "arrayminus": [v - lo for v, lo in zip(values, lower, strict=True)], "color": colour,
                      "thickness": 1.5, "width": 6} if has_ci else None),
            hovertext=[hover_lines(labels[i], f"{esc(label)} ({esc(periods[i])}): {ind.value(values[i])}",
                                   f"95% interval: {ind.interval(lower[i], upper[i])}")
                       for i in range(rows.height)],
            hovertemplate=HOVER)
    apply_layout(fig, title=wrap(f"{ind.short_title}: {esc(label_a)} and {esc(label_b)}"),
                 subtitle="Markers are the values; bars are 95% confidence intervals where published or computed.",
                 x_title=ind.axis_title, height=200 + 70 * rows.height)
    fig.axis("yaxis", tickvals=list(range(rows.height)), ticktext=labels,
             range=[rows.height - 0.4, -0.6])
    return fig.figure()
