"""Shared plumbing for the chart builders: escaping, number formats, indicator fields, layout.

Every string that comes from data (area and indicator names, units, notes, period labels) goes
through `esc` before it reaches a figure: plotly renders a subset of HTML in titles, tick labels,
legends, annotations and hover text, so an area called '<b>x</b>' must show as typed.
"""

from __future__ import annotations

import functools
import html
import math
import os
import textwrap
from typing import Any

import plotly.graph_objects as go

from explorer.stats import normalise_polarity

from . import palette

VALIDATE_FIGURES = os.environ.get("EXPLORER_VALIDATE_FIGURES") == "1"

# Value types that cannot be negative: their value axes start at zero so a small change does not
# look like a large one.
NON_NEGATIVE = {"proportion", "crude rate", "directly standardised rate", "count",
                "indirectly standardised ratio"}
TITLE_WIDTH = 80


def esc(value: Any) -> str:
    """Text from data made safe for plotly's HTML subset.

    quote=False on purpose: plotly decodes only a few named entities (&amp; &lt; &gt; ... but not
    &quot;), so escaping quotes would show "&quot;" on screen; and with < and > escaped no tag, and
    so no attribute where a quote could matter, can be formed.
    """
    return "" if value is None else html.escape(str(value), quote=False)


def is_number(value: Any) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def number(value: Any, decimals: int | None = None) -> str:
    """A value as people read it: thousands separators, 1 decimal place for everyday sizes."""
    if not is_number(value):
        return "no value"
    if decimals is None:
        size = abs(value)
        decimals = 0 if size >= 1000 or size == 0 else 1 if size >= 1 else 2
    return f"{value:,.{decimals}f}"


class IndicatorText:
    """The catalogue fields a chart needs, escaped once. `indicator` is a catalogue row as a dict."""

    def __init__(self, indicator: dict | None):
        row = indicator or {}
        self.id = esc(row.get("indicator_id"))
        self.title = esc(row.get("title") or row.get("short_title") or row.get("indicator_id") or "")
        self.short_title = esc(row.get("short_title") or row.get("title") or "Value")
        self.unit = esc(row.get("unit") or "")
        self.value_type = row.get("value_type")
        self.polarity = normalise_polarity(row.get("polarity"))
        target = row.get("target")
        self.target = float(target) if is_number(target) else None

    def value(self, value: Any) -> str:
        """"94.7 per 100,000", "12.3%", "£1,200"; "no value" for null."""
        text = number(value)
        if not is_number(value) or not self.unit:
            return text
        if self.unit == "%":
            return text + "%"
        if self.unit == "£":
            return "£" + text
        return f"{text} {self.unit}"

    def interval(self, lower: Any, upper: Any) -> str:
        if not (is_number(lower) and is_number(upper)):
            return "not available"
        return f"{number(lower)} to {number(upper)}"

    @property
    def axis_title(self) -> str:
        return f"{self.short_title} ({self.unit})" if self.unit else self.short_title

    @property
    def starts_at_zero(self) -> bool:
        return self.value_type in NON_NEGATIVE


@functools.lru_cache(maxsize=20_000)
def wrap(text: str, width: int = TITLE_WIDTH) -> str:
    """Break a long (already escaped) title into lines; plotly does not wrap titles itself.
    Cached: the same titles are wrapped on every profile (textwrap was a third of a spine chart)."""
    return "<br>".join(textwrap.wrap(text, width)) if text else ""


def hover_lines(*lines: str | None) -> str:
    """Join already escaped hover lines; the first is the heading (bold)."""
    kept = [line for line in lines if line]
    if not kept:
        return ""
    return "<br>".join([f"<b>{kept[0]}</b>", *kept[1:]])


HOVER = "%{hovertext}<extra></extra>"  # hover shows only our escaped text, never raw trace names

_AXIS = {"gridcolor": palette.GRID, "linecolor": palette.GRID, "zeroline": False, "automargin": True,
         "ticks": "", "title": {"standoff": 12}}
# The house style as a small layout-only template. Plotly's built-in "plotly_white" would do, but
# it carries defaults for every trace type and costs ~50 ms to apply to each new figure.
HOUSE_TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "font": palette.FONT,
    "colorway": list(palette.SERIES_COLOURS), "xaxis": _AXIS, "yaxis": _AXIS,
    "hoverlabel": {"font": {"size": 14, "family": palette.FONT["family"]}, "bgcolor": "white",
                   "bordercolor": palette.TEXT, "align": "left"},
})


class Draft:
    """A figure under construction as plain dicts, turned into a `go.Figure` once at the end.

    Why not add traces to a go.Figure one by one: plotly validates and re-copies the figure on
    every add_trace / update_layout, which made a 150-area chart take ~150 ms; validating the
    finished dict once takes ~30 ms and gives the same figure.
    """

    def __init__(self) -> None:
        self.data: list[dict] = []
        self.layout: dict[str, Any] = {"xaxis": {}, "yaxis": {}}
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []

    def add(self, kind: str, **trace: Any) -> None:
        self.data.append({"type": kind, **trace})

    def shape(self, **shape: Any) -> None:
        self.shapes.append(shape)

    def annotate(self, **annotation: Any) -> None:
        self.annotations.append(annotation)

    def axis(self, name: str, **settings: Any) -> None:
        self.layout.setdefault(name, {}).update(settings)

    def figure(self) -> go.Figure:
        layout = {**self.layout, "template": HOUSE_TEMPLATE}
        if self.shapes:
            layout["shapes"] = self.shapes
        if self.annotations:
            layout["annotations"] = self.annotations
        # Plotly's property validation costs ~20 ms a figure; the tests switch it back on
        # (EXPLORER_VALIDATE_FIGURES=1 in tests/conftest.py) so a bad property still fails there.
        return go.Figure(data=self.data, layout=layout, _validate=VALIDATE_FIGURES)


def apply_layout(
    fig: Draft,
    *,
    title: str,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = 480,
    legend: bool = True,
) -> Draft:
    """Title top left, legend under it, axis titles (fonts and colours come from HOUSE_TEMPLATE).

    `title`, `subtitle` and the axis titles must already be escaped. The legend is placed in
    container coordinates just below the title block, so plotly's automatic margins push the
    plot down by however many rows the legend wraps to at the page's width.
    """
    lines = 1 + title.count("<br>")
    sub_lines = (1 + subtitle.count("<br>")) if subtitle else 0
    block = 16 + 24 * lines + 19 * sub_lines + 12
    fig.layout.update(
        height=height,
        title={"text": title, "x": 0, "xanchor": "left", "xref": "container", "y": 1 - 12 / height,
               "yanchor": "top", "yref": "container", "font": {"size": 18}, "pad": {"l": 12},
               "subtitle": {"text": subtitle or "", "font": {"size": 14}}},
        # b=80 leaves room for the x tick labels and title: with less, the axes' and the legend's
        # automatic margins can chase each other ("Too many auto-margin redraws").
        margin={"l": 16, "r": 24, "t": block + 8, "b": 80},
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "xref": "container", "yref": "container",
                "y": 1 - block / height, "yanchor": "top", "font": {"size": 13}},
        hovermode="closest",
    )
    fig.axis("xaxis", title={"text": x_title or ""})
    fig.axis("yaxis", title={"text": y_title or ""})
    return fig


def marker(colour: Any, symbol: Any, size: Any = 10, line_width: Any = 1) -> dict:
    """Markers with a dark outline, so pale fills (amber, light blue, white) stay visible."""
    # opacity 1 explicitly: plotly fades markers to 0.7 whenever `size` is an array ("bubbles").
    return {"color": colour, "symbol": symbol, "size": size, "opacity": 1,
            "line": {"color": palette.OUTLINE, "width": line_width}}


def column_or_none(frame: Any, name: str, size: int) -> list:
    """A frame column as a list, or Nones when the column is absent (optional inputs)."""
    return frame[name].to_list() if name in frame.columns else [None] * size
