"""Explore page figures: the map, the compare-areas chart (ranked or funnel) and the trend.

Thin wrappers that feed `ExploreData` to the shared builders in explorer.charts and
explorer.maps, cached per selection so a rerun that changes nothing a figure depends on costs
nothing. Figures are never mutated after they are cached (Streamlit only serialises them).
No Streamlit here.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from explorer import charts, maps, schema, stats
from explorer.charts.common import IndicatorText, esc, hover_lines, is_number
from explorer.charts.palette import comparison_legend
from explorer.queries.explore import ExploreData
from explorer.queries.explore_map import layer_bounds
from explorer.queries.explore_options import FUNNEL_TYPES, Selection, memo
from explorer.queries.summary import PLURAL
from explorer.store import Store


def effective_colour(sel: Selection, data: ExploreData) -> tuple[str, str | None]:
    """The colour mode used and, when it differs from the one asked for, why."""
    if sel.colour != "comparison":
        return sel.colour, None
    if data.frame.is_empty() or data.frame["benchmark_value"].is_null().all():
        return "quintile", (f"There is no {data.benchmark_label} value to compare with, so areas are coloured "
                            "by quintile.")
    if data.frame["comparison"].is_in(["not compared"]).all():
        return "quintile", ("No confidence intervals are available, so areas cannot be tested against the "
                            "benchmark; they are coloured by quintile instead.")
    return "comparison", None


def _title(sel: Selection) -> str:
    title = sel.indicator.get("short_title") or sel.indicator.get("title") or sel.indicator_id
    kind = PLURAL.get(sel.area_type, schema.AREA_TYPES.get(sel.area_type, sel.area_type))
    full = f"{title}, {sel.period}: {kind}"
    return full if len(full) <= 48 else f"{title}, {sel.period}"  # the map sits in half the page


def map_figure(store: Store, sel: Selection, data: ExploreData, geojson_url: str | None = None) -> go.Figure | None:
    """Choropleth of the areas with polygons, or None when the area type has no boundary layer.

    With `geojson_url` (a same-origin URL of the same boundary file) the traces point the browser
    at it instead of carrying the polygons: serialising the polygons took 30-80 ms a rerun."""
    if data.geojson is None:
        return None
    colour, _ = effective_colour(sel, data)
    key = ("fig-map", *sel.key, colour, tuple(sel.areas), geojson_url)

    def build() -> go.Figure:
        frame = data.frame.filter(pl.col("on_map"))
        return maps.choropleth(frame, data.geojson, sel.indicator, colour_by=colour, highlight=sel.areas,
                               benchmark_label=data.benchmark_label, title=_title(sel), height=620,
                               geojson_url=geojson_url, hover_text=map_hover(sel, data),
                               bounds=layer_bounds(store, sel.area_type, data.vintage))
    return memo(store, key, build, size=64)


def map_hover(sel: Selection, data: ExploreData) -> dict[str, str]:
    """area_code → hover text for every area with a row: name, value, 95% interval, count and
    denominator, comparison (in words), quintile, status when not as published, and the producer;
    for an area without a value, why (suppressed, not published …) and the producer."""
    ind = IndicatorText(sel.indicator)
    bench = esc(data.benchmark_label)

    def hover(r: dict) -> str:
        counts = (f"Count: {r['count']:,.0f} of {r['denominator']:,.0f}"
                  if is_number(r["count"]) and is_number(r["denominator"]) else None)
        status = f"Status: {esc(r['status'])}" if r["status"] not in ("published", None) else None
        return hover_lines(
            esc(r["area_name"]), f"Value: {ind.value(r['value'])}",
            f"95% confidence interval: {ind.interval(r['lower_ci95'], r['upper_ci95'])}", counts,
            comparison_legend(r["comparison"], bench), f"Quintile: {esc(r['quintile'])}", status,
            f"Producer: {esc(r['producer'])}")

    def no_value(r: dict) -> str:
        why = "suppressed (*)" if r["status"] == "suppressed" else esc(r["status"] or "no value")
        return hover_lines(esc(r["area_name"]), f"No value: {why}", esc(r["note"]) if r["note"] else None,
                           f"Producer: {esc(r['producer'])}")

    columns = ("area_code", "area_name", "value", "lower_ci95", "upper_ci95", "count", "denominator",
               "comparison", "quintile", "status", "note", "producer")
    return {r["area_code"]: hover(r) if is_number(r["value"]) else no_value(r)
            for r in data.frame.select(columns).iter_rows(named=True)}


def compare_figure(store: Store, sel: Selection, data: ExploreData) -> go.Figure:
    """All areas ranked with interval whiskers and the benchmark line, or the funnel plot."""
    key = ("fig-compare", *sel.key, sel.view, tuple(sel.areas))
    return memo(store, key, lambda: _compare(sel, data), size=64)


def _short(indicator: dict) -> dict:
    """The indicator with its short title as the title: the chart sits in half the page's width."""
    return {**indicator, "title": indicator.get("short_title") or indicator.get("title")}


def _compare(sel: Selection, data: ExploreData) -> go.Figure:
    england = data.england["value"] if data.england else None
    single = england if sel.benchmark == "england" else None
    if sel.view == "funnel" and sel.funnel_ok:
        rows = data.frame.filter(pl.col("count").is_not_null() & pl.col("denominator").is_not_null()
                                 & (pl.col("denominator") > 0))
        multiplier = float(sel.indicator.get("multiplier") or 1)
        baseline = england / multiplier if is_number(england) else None
        limits = stats.funnel_limits(rows["count"], rows["denominator"], FUNNEL_TYPES[sel.indicator["value_type"]],
                                     multiplier, baseline=baseline)
        return charts.funnel_figure(rows, _short(sel.indicator), england, limits, highlight=sel.areas)
    return charts.compare_figure(data.frame, _short(sel.indicator), single, benchmark_label=data.benchmark_label,
                                 highlight=sel.areas, period=sel.period)


def trend_figure(store: Store, sel: Selection, data: ExploreData) -> go.Figure | None:
    """The chosen areas over time against the benchmark; England alone when no area is chosen."""
    key = ("fig-trend", *sel.key, tuple(sel.areas))
    return memo(store, key, lambda: _trend(store, sel, data), size=64)


def _trend(store: Store, sel: Selection, data: ExploreData) -> go.Figure | None:
    from explorer.queries.explore import england_rows, slice_periods, with_gaps

    if not sel.areas or data.trend is None or data.trend.is_empty():
        england = england_rows(store, sel.indicator_id, sel.producer, sel.sex, sel.age, sel.category)
        if england.is_empty():
            return None
        return charts.trend_figure(with_gaps(england, slice_periods(store, sel)), _short(sel.indicator))
    labels = []
    area_names = dict(zip(data.trend["area_code"], data.trend["area_name"], strict=False))
    for code, result in data.trends.items():
        text = result.label if not result.reason else "cannot be calculated (the summary says why)"
        labels.append(f"{area_names.get(code, code)}: {text}" if len(sel.areas) > 1 else text)
    return charts.trend_figure(data.trend, _short(sel.indicator), benchmark=data.trend_benchmark, breaks=data.breaks,
                               trend_label="; ".join(labels) or None)
