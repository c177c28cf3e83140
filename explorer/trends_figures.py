"""Figures for the Trends page that explorer.charts does not have, and additions to its SPC chart.

* `mark_breaks`, `show_gaps`: additions to explorer.charts.spc_figure (breaks in series and the
  change point as labelled vertical lines; the value line broken where periods are missing).
* `seasonal_figure`, `excess_figure`: the year-on-year chart and the excess-deaths chart.

Plotly only, no Streamlit. Text from data is escaped with explorer.charts.common.esc.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from explorer.charts import palette
from explorer.charts.common import HOUSE_TEMPLATE, HOVER, IndicatorText, esc, hover_lines, marker, wrap
from explorer.queries.trends import periods_between

OLDER_YEARS = "#A7AEB3"  # pale grey: earlier years are context, the latest two carry the meaning


def _between(a: dt.date, b: dt.date) -> dt.date:
    return a + (b - a) / 2


def mark_breaks(fig: go.Figure, starts: list[dt.date], breaks: list[dict], change_point: dt.date | None,
                change_label: str | None) -> go.Figure:
    """A dotted line before each break's first period ("Break") and a dashed one at the change point."""
    marks = [(b["start"], "Break in series", "dot") for b in breaks]
    if change_point:
        marks.append((change_point, f"Limits recalculated from {esc(change_label)}", "dash"))
    half = dt.timedelta(days=3 if len(starts) > 1 and (starts[1] - starts[0]).days < 10 else 15)
    for start, text, dash in marks:
        earlier = [s for s in starts if s < start]
        x = max(_between(earlier[-1], start), start - half) if earlier else start  # just before it
        fig.add_shape(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                      line={"color": palette.TEXT, "dash": dash, "width": 1.5})
        fig.add_annotation(x=x, xref="x", yref="paper", y=1, yanchor="bottom", text=text, showarrow=False,
                           font={"size": 12}, bgcolor="white", xanchor="left" if x == starts[0] else "center")
    return fig


def show_gaps(fig: go.Figure, starts: list[dt.date], period_type: str) -> go.Figure:
    """Break spc_figure's connecting value line wherever periods are missing, so a gap looks like one."""
    for trace in fig.data:
        if trace.name != "values":
            continue
        xs, ys = list(trace.x), list(trace.y)
        out_x, out_y = [xs[0]], [ys[0]]
        for i in range(1, len(xs)):
            if periods_between(xs[i - 1], xs[i], period_type) > 0:
                out_x.append(None)
                out_y.append(None)
            out_x.append(xs[i])
            out_y.append(ys[i])
        trace.update(x=out_x, y=out_y, connectgaps=False)
    return fig


def iso_dates(fig: go.Figure) -> go.Figure:
    """Dates on the x axis as ISO text: plotly's JSON encoder turns each date object into text one
    by one (25 ms for a 535-week chart on every rerun); text is passed straight through (6 ms)."""
    for trace in fig.data:
        xs = trace.x
        if xs is not None and any(isinstance(v, dt.date) for v in xs):
            trace.x = [v.isoformat() if isinstance(v, dt.date) else v for v in xs]
    return fig


def _line(x: list, y: list, name: str, line: dict, hovertext: list, **extra) -> dict:
    return {"type": "scatter", "x": x, "y": y, "name": name, "line": line, "mode": "lines",
            "hovertemplate": HOVER, "hovertext": hovertext, **extra}


def seasonal_figure(table: pl.DataFrame, average: pl.DataFrame, indicator: dict, area_name: str,
                    ons_average: pl.DataFrame | None = None) -> go.Figure:
    """One line per year (financial year for months, calendar year for weeks) over the months or
    weeks of the year; the latest two years stand out (colour, line style and marker), earlier
    years are thin grey context, and the pre-2020 average is a black dash-dot line."""
    ind = IndicatorText(indicator)
    seasons = sorted(table["season"].unique().to_list())
    labels = table.select("position", "position_label").unique().sort("position")["position_label"].to_list()
    traces = []  # built as dicts and validated once: add_trace per year re-copies the figure each time
    for n, season in enumerate(seasons):
        rows = table.filter(pl.col("season") == season).sort("position")
        age = len(seasons) - 1 - n  # 0 = latest
        line, symbol = (({"color": palette.OKABE_ITO["blue"], "width": 3, "dash": "solid"}, "circle") if age == 0
                        else ({"color": palette.OKABE_ITO["vermillion"], "width": 2.5, "dash": "dash"}, "square")
                        if age == 1 else ({"color": OLDER_YEARS, "width": 1.2, "dash": "solid"}, None))
        extra = {"mode": "lines+markers", "marker": marker(line["color"], symbol, size=7)} if symbol else {}
        traces.append(_line(
            rows["position_label"].to_list(), rows["value"].to_list(), esc(season) if age < 2 else "Earlier years",
            line, [hover_lines(esc(p), f"Year: {esc(season)}", f"Value: {ind.value(v)}")
                   for p, v in zip(rows["period"], rows["value"], strict=True)],
            legendgroup="older" if age >= 2 else season, showlegend=age <= 2, **extra))
    if not average.is_empty():
        years = int(average["years"].max())
        traces.append(_line(
            average["position_label"].to_list(), average["average"].to_list(),
            f"Average before 2020 ({years} year{'s' if years != 1 else ''})",
            {"color": palette.BENCHMARK, "width": 2, "dash": "dashdot"},
            [hover_lines(esc(p), "Average before 2020", f"Value: {ind.value(v)}")
             for p, v in zip(average["position_label"], average["average"], strict=True)]))
    if ons_average is not None and not ons_average.is_empty():
        traces.append(_line(
            ons_average["position_label"].to_list(), ons_average["value"].to_list(),
            f"ONS five-year average for {esc(seasons[-1])}", {"color": "#CC79A7", "width": 2, "dash": "dot"},
            [hover_lines(esc(p), "ONS five-year average", f"Value: {ind.value(v)}")
             for p, v in zip(ons_average["position_label"], ons_average["value"], strict=True)],
            mode="lines+markers", marker=marker("#CC79A7", "diamond", size=7)))
    weekly = bool(labels) and labels[0].isdigit()
    xaxis = {"type": "category", "categoryorder": "array", "categoryarray": labels, "tickangle": 0,
             "title": {"text": "Week of the year (1 = first week ending in January)" if weekly
                       else "Month (financial year, April to March)"}}
    if weekly:  # every fourth week labelled, so the numbers stay readable
        xaxis.update(tickmode="array", tickvals=labels[::4], ticktext=labels[::4])
    layout = _layout(wrap(f"{ind.title}: each year compared"), esc(area_name), ind.axis_title)
    layout["xaxis"].update(xaxis)
    return go.Figure(data=traces, layout=layout)


def excess_figure(excess: pl.DataFrame, area_name: str) -> go.Figure:
    """Weekly registered deaths minus ONS's five-year average: bars above zero are excess deaths,
    below zero fewer deaths than usual (position carries the meaning, colour repeats it)."""
    values = excess["excess"].to_list()
    colours = [palette.OKABE_ITO["vermillion"] if v >= 0 else palette.OKABE_ITO["sky_blue"] for v in values]
    bars = {"type": "bar", "x": excess["period_end"].to_list(), "y": values, "marker": {"color": colours},
            "name": "Registered deaths minus the five-year average", "hovertemplate": HOVER,
            "hovertext": [hover_lines(esc(p), f"Registered: {r:,.0f}", f"Five-year average: {a:,.0f}",
                                      f"Excess: {e:+,.0f}")
                          for p, r, a, e in excess.select("period", "registered", "five_year_average",
                                                          "excess").iter_rows()]}
    layout = _layout("Excess deaths: registered deaths minus ONS's five-year average", esc(area_name),
                     "Deaths above (+) or below (−) the average")
    layout["xaxis"]["title"] = {"text": "Week ending"}
    layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                         "line": {"color": palette.TEXT, "width": 1}}]
    return go.Figure(data=[bars], layout=layout)


def _layout(title: str, subtitle: str, y_title: str, height: int = 520) -> dict:
    """Title and subtitle top left, the legend under them (as explorer.charts lays out its figures)."""
    lines = 1 + title.count("<br>")
    block = 16 + 24 * lines + 19 + 12
    return {
        "template": HOUSE_TEMPLATE, "height": height, "hovermode": "closest",
        "title": {"text": title, "x": 0, "xanchor": "left", "xref": "container", "y": 1 - 12 / height,
                  "yanchor": "top", "yref": "container", "font": {"size": 18}, "pad": {"l": 12},
                  "subtitle": {"text": subtitle, "font": {"size": 14}}},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "xref": "container", "yref": "container",
                   "y": 1 - block / height, "yanchor": "top", "font": {"size": 13}},
        "margin": {"l": 16, "r": 24, "t": block + 8, "b": 80},
        "xaxis": {}, "yaxis": {"title": {"text": y_title}},
    }
