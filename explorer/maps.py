"""Choropleth maps that render fully offline (no tiles, no fonts fetched), for the explorer's pages.

Plotly's `go.Choropleth` on a geo subplot with every base layer hidden (no coastlines, land or
frame): the areas are SVG paths in a Mercator projection, fitted to the boundary file's extent.
Why SVG and not `go.Choroplethmap` (MapLibre): a map of a few hundred areas has no need of a tile
renderer, and on a machine without a GPU the WebGL map cost 0.3-0.4 s per redraw reading its
canvas back for the compositor (Chrome trace in BENCHMARKS.md), more than the rest of the page.

plotly.js asks for a world topology for every geo subplot, even with its layers hidden, from
cdn.plot.ly unless told otherwise; the app's plot config (`topojsonURL`, `TOPOJSON_URL`) hands it
an empty topology as a data: URL, so nothing is fetched at all. Boundaries are GeoJSON
FeatureCollections in WGS84 whose features carry `properties.area_code` and
`properties.area_name` (the store's simplified boundaries already do; `keyed_geojson` normalises
ONS downloads such as ICB23CD/ICB23NM).

Colour never carries meaning alone: every area's hover names its value and its category in words,
and the legend lists the categories; the page's table and ranked chart give the same information.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import plotly.graph_objects as go
import polars as pl

from explorer.charts import palette
from explorer.charts.common import (
    Draft,
    IndicatorText,
    apply_layout,
    column_or_none,
    esc,
    hover_lines,
    wrap,
)

COLOUR_BY = ("comparison", "quintile", "value")
BOUNDARY_LINE = "#505A5F"
# plotly.js reads <topojsonURL>/world_110m.json; the '#' turns that suffix into a fragment of an
# empty topology, so the base layers (all hidden) need no file and no network.
TOPOJSON_URL = "data:application/json," + quote('{"type":"Topology","objects":{},"arcs":[]}') + "#"
TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]
HOVER = "%{hovertext}<extra></extra>"


def load_geojson(path: str | Path) -> dict:
    """Read a GeoJSON FeatureCollection; ValueError naming the file if it is not one."""
    with Path(path).open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or "features" not in data:
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    return data


def keyed_geojson(geojson: dict, code_prop: str, name_prop: str) -> dict:
    """The same features with properties reduced to {area_code, area_name} (and id = code), and
    coordinates compacted (`compact_geojson`). KeyError naming the property if a feature lacks it."""
    features = []
    for i, feature in enumerate(geojson["features"]):
        props = feature.get("properties") or {}
        if code_prop not in props:
            raise KeyError(f"feature {i} has no property {code_prop!r} (has {sorted(props)})")
        code = props[code_prop]
        features.append({"type": "Feature", "id": code, "geometry": feature["geometry"],
                         "properties": {"area_code": code, "area_name": props.get(name_prop, code)}})
    return compact_geojson({"type": "FeatureCollection", "features": features})


def _compact_geometry(geometry: dict | None, decimals: int) -> dict | None:
    if not geometry:
        return geometry
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        return {"type": kind, "geometries": [_compact_geometry(g, decimals) for g in geometry["geometries"]]}

    def ring(points: Any) -> np.ndarray:
        return np.round(np.asarray(points, dtype=np.float64)[:, :2], decimals)

    coords = geometry["coordinates"]
    if kind == "Polygon":
        coords = [ring(r) for r in coords]
    elif kind == "MultiPolygon":
        coords = [[ring(r) for r in polygon] for polygon in coords]
    return {"type": kind, "coordinates": coords}


def compact_geojson(geojson: dict, decimals: int = 5) -> dict:
    """Polygon rings as rounded float arrays; idempotent, geometry otherwise unchanged.

    Why: plotly deep-copies a trace's GeoJSON when the figure is built, and copying tens of
    thousands of small Python lists took ~1 s for the ICB file; numpy rings copy in
    milliseconds and serialise to the same JSON. 5 decimal places of a degree is about 1 metre,
    far finer than any generalised boundary, and roughly halves the page payload.
    """
    features = geojson["features"]
    if features and _is_compact(features[0].get("geometry")):
        return geojson
    return {"type": "FeatureCollection",
            "features": [{**f, "geometry": _compact_geometry(f.get("geometry"), decimals)} for f in features]}


def _is_compact(geometry: dict | None) -> bool:
    coords = (geometry or {}).get("coordinates")
    while isinstance(coords, list) and coords:
        coords = coords[0]
    return isinstance(coords, np.ndarray)


def _coordinates(geometry: dict) -> np.ndarray:
    """All (lon, lat) pairs of a (Multi)Polygon / GeometryCollection as an (n, 2) array."""
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = [_coordinates(g) for g in geometry.get("geometries", [])]
        return np.concatenate(parts) if parts else np.empty((0, 2))
    rings: list = []
    if kind == "Polygon":
        rings = geometry["coordinates"]
    elif kind == "MultiPolygon":
        rings = [ring for polygon in geometry["coordinates"] for ring in polygon]
    elif kind in ("LineString", "MultiPoint"):
        rings = [geometry["coordinates"]]
    elif kind == "Point":
        rings = [[geometry["coordinates"]]]
    arrays = [np.asarray(ring, dtype=np.float64)[:, :2] for ring in rings if len(ring)]
    return np.concatenate(arrays) if arrays else np.empty((0, 2))


def geojson_bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees over every feature with geometry."""
    parts = [_coordinates(f["geometry"]) for f in geojson["features"] if f.get("geometry")]
    points = np.concatenate(parts) if parts else np.empty((0, 2))
    if points.size == 0:
        raise ValueError("GeoJSON has no coordinates")
    west, south = points.min(axis=0)
    east, north = points.max(axis=0)
    return float(west), float(south), float(east), float(north)


def map_view(bounds: tuple[float, float, float, float], margin: float = 0.03) -> dict:
    """Geo layout that shows `bounds` (west, south, east, north) with a small margin and no base
    layers: plotly fits those longitude and latitude ranges into the plot area (Mercator)."""
    west, south, east, north = bounds
    pad_lon, pad_lat = max(east - west, 1e-6) * margin, max(north - south, 1e-6) * margin
    return {"visible": False, "projection": {"type": "mercator"}, "bgcolor": "rgba(0,0,0,0)",
            "lonaxis": {"range": [west - pad_lon, east + pad_lon]},
            "lataxis": {"range": [south - pad_lat, north + pad_lat]}}


def _category(frame: pl.DataFrame, colour_by: str, polarity: str | None, bench: str) -> tuple[list, dict]:
    """Per-row legend key and {key: (colour, legend text)} in legend order."""
    if colour_by == "comparison":
        keys = [palette.comparison_key(c) for c in column_or_none(frame, "comparison", frame.height)]
        styles = {k: (palette.COMPARISON_STYLE[k].colour, palette.comparison_legend(k, bench))
                  for k in palette.COMPARISON_ORDER}
        return keys, styles
    colours = palette.quintile_colours(polarity)
    labels = column_or_none(frame, "quintile", frame.height)
    keys = []
    styles: dict[str, tuple[str, str]] = {}
    for label in labels:
        index = palette.quintile_index(label)
        key = f"Q{index + 1}" if index is not None else "not compared"
        keys.append(key)
        if index is not None and key not in styles:
            styles[key] = (colours[index], esc(label))
    ordered = {k: styles[k] for k in sorted(styles)}
    ordered["not compared"] = (palette.COMPARISON_STYLE["not compared"].colour, "Not compared")
    return keys, ordered


def _subset(geojson: dict, codes: list) -> dict:
    """Only the features a trace draws: each trace carries its own GeoJSON into the page, so
    passing the whole file to every layer would multiply the payload (and plotly's validation)."""
    wanted = set(codes)
    return {"type": "FeatureCollection",
            "features": [f for f in geojson["features"] if f["properties"]["area_code"] in wanted]}


def _trace(geojson: dict | str, codes: list, name: str, **style: Any) -> dict:
    """One layer drawing `codes` only (see `_subset`); a URL string (the browser fetches the
    polygons itself) is passed through as it is."""
    style.setdefault("marker", {"line": {"color": BOUNDARY_LINE, "width": 0.6}, "opacity": 1})
    shapes = geojson if isinstance(geojson, str) else _subset(geojson, codes)
    return {"type": "choropleth", "geojson": shapes, "locations": codes,
            "featureidkey": "properties.area_code", "name": name, **style}


def _flat(geojson: dict | str, codes: list, hover: list, colour: str, name: str) -> dict:
    """A single-colour layer with its own legend entry (one per category)."""
    return _trace(geojson, codes, name, z=[1] * len(codes), colorscale=[[0, colour], [1, colour]],
                  showscale=False, showlegend=True, hovertext=hover, hovertemplate=HOVER)


def _feature_names(geojson: dict) -> dict:
    try:
        return {f["properties"]["area_code"]: f["properties"].get("area_name") for f in geojson["features"]}
    except (KeyError, TypeError) as exc:
        raise ValueError("boundary features need properties.area_code: pass the file through "
                         "keyed_geojson(geojson, code_prop, name_prop) first") from exc


def _hover(rows: pl.DataFrame, features: dict, ind: IndicatorText, bench: str) -> list[str]:
    n = rows.height
    codes = rows["area_code"].to_list()
    names = [esc(name or features.get(code) or code)
             for name, code in zip(column_or_none(rows, "area_name", n), codes, strict=True)]
    values = rows["value"].to_list()
    lower, upper = column_or_none(rows, "lower_ci95", n), column_or_none(rows, "upper_ci95", n)
    comparisons, quintiles = column_or_none(rows, "comparison", n), column_or_none(rows, "quintile", n)
    return [hover_lines(
        names[i], f"Value: {ind.value(values[i])}",
        f"95% confidence interval: {ind.interval(lower[i], upper[i])}" if lower[i] is not None else None,
        palette.comparison_legend(comparisons[i], bench) if comparisons[i] else None,
        f"Quintile: {esc(quintiles[i])}" if quintiles[i] else None) for i in range(n)]


def _plural(count: int, text: str) -> str:
    return f"{count} area{'s' if count != 1 else ''} {text}"


def choropleth(
    frame: pl.DataFrame,
    geojson: dict,
    indicator: dict,
    colour_by: str = "comparison",
    highlight: list[str] | None = None,
    benchmark_label: str = "England",
    title: str | None = None,
    height: int = 680,
    *,
    geojson_url: str | None = None,
    hover_text: Mapping[str, str] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> go.Figure:
    """Map of `frame` (area_code, area_name, value, optional lower/upper_ci95, comparison, quintile)
    over `geojson` (features keyed by properties.area_code: see `keyed_geojson`).

    `colour_by`: "comparison" (categorical legend, explorer.stats.compare labels), "quintile"
    (categorical, explorer.stats.quintiles labels) or "value" (continuous colour bar). Areas of
    the boundary file with no row or no value are grey with "No data" in the hover; `highlight`
    codes are outlined thickly. The view is fitted to the features' bounds.

    `geojson_url`: a same-origin URL of the same boundary file; the traces then point the browser
    at it instead of carrying the polygons (and `geojson` is read only for its codes, names and
    extent). `hover_text`: area_code → hover text replacing the default one (areas it lacks keep
    theirs). `bounds`: `geojson_bounds(geojson)` when the caller already has it.
    """
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by must be one of {COLOUR_BY}")
    ind = IndicatorText(indicator)
    bench = esc(benchmark_label)
    if geojson_url is None:
        geojson = compact_geojson(geojson)
    features = _feature_names(geojson)
    shapes = geojson_url if geojson_url is not None else geojson
    rows = frame.filter(pl.col("area_code").is_in(list(features)) & pl.col("value").is_finite())
    codes = rows["area_code"].to_list()
    if hover_text is None:
        hover = _hover(rows, features, ind, bench)
    else:
        missing = [c for c in codes if c not in hover_text]
        default = dict(zip(missing, _hover(rows.filter(pl.col("area_code").is_in(missing)), features, ind, bench),
                           strict=True)) if missing else {}
        hover = [hover_text[c] if c in hover_text else default[c] for c in codes]

    fig = Draft()
    if colour_by == "value":
        fig.data.append(_trace(
            shapes, codes, "Value", z=rows["value"].to_list(), colorscale=palette.VALUE_SCALE,
            showlegend=False, hovertext=hover, hovertemplate=HOVER,
            colorbar={"title": {"text": ind.unit or "Value", "side": "right"}, "thickness": 16}))
    else:
        keys, styles = _category(rows, colour_by, ind.polarity, bench)
        for key, (colour, legend) in styles.items():
            idx = [i for i, k in enumerate(keys) if k == key]
            if idx:
                picked = [codes[i] for i in idx]
                fig.data.append(_flat(shapes, picked, [hover[i] for i in idx], colour, legend))
    drawn = set(codes)
    no_data = [c for c in features if c not in drawn]
    if no_data:
        given = hover_text or {}
        no_data_hover = [given[c] if c in given else hover_lines(esc(features[c] or c), "No data")
                         for c in no_data]
        fig.data.append(_flat(shapes, no_data, no_data_hover, palette.NO_DATA, "No data"))
    chosen = [c for c in (highlight or []) if c in features]
    if chosen:
        # Transparent fill, thick dark outline, drawn last so it sits on top.
        fig.data.append(_trace(
            shapes, chosen, "Selected area" + ("s" if len(chosen) > 1 else "") + " (thick outline)",
            z=[1] * len(chosen), colorscale=TRANSPARENT, showscale=False, showlegend=True, hoverinfo="skip",
            marker={"line": {"color": palette.TEXT, "width": 3.5}}))
    outside = frame.filter(~pl.col("area_code").is_in(list(features))).height
    notes = [_plural(len(no_data), "with no data (grey).")] if no_data else []
    if outside:
        notes.append(_plural(outside, "not on this map's boundaries."))
    apply_layout(fig, title=wrap(esc(title) if title else ind.title), subtitle="<br>".join(notes) or None,
                 height=height, legend=colour_by != "value" or bool(no_data or chosen))
    fig.layout.update(geo=map_view(bounds or geojson_bounds(geojson)), dragmode="pan")
    return fig.figure()
