"""Offline choropleths on real boundaries and data.

* ICB boundaries: data/raw/boundaries_nhs/Integrated_Care_Boards_April_2023_EN_BSC.geojson (42
  features, ICB23CD/ICB23NM, WGS84) with the ONS Health Index by ICB
  (data/raw/humaniverse_healthyr/england_health_index_ics.csv; line 8: E54000008 NHS Cheshire and
  Merseyside ICB, 2021, overall score 97). The CSV uses 2022 ICB codes, so Surrey Heartlands and
  Sussex (E54000052/53) have no April 2023 boundary and E54000063/64 have no data: a real
  mismatch the map must show rather than hide.
* Upper-tier LA boundaries (Counties_and_Unitary_Authorities_December_2023, England only) with
  the native Fingertips Campylobacter rates for 2017 and their published comparisons.
"""

from __future__ import annotations

import json
import time

import numpy as np
import polars as pl
import pytest

from explorer import maps, paths, stats
from explorer.charts import palette
from tests.test_charts import EVIL, INDICATOR, utla

ICB_FILE = paths.RAW_DIR / "boundaries_nhs" / "Integrated_Care_Boards_April_2023_EN_BSC.geojson"
UTLA_FILE = (paths.RAW_DIR / "boundaries_ons"
             / "Counties_and_Unitary_Authorities_December_2023_Boundaries_UK_BSC.geojson")
HEALTH_INDEX = paths.RAW_DIR / "humaniverse_healthyr" / "england_health_index_ics.csv"
HEALTH = {"indicator_id": "health-index", "title": "Health Index overall score",
          "short_title": "Health Index", "unit": "index", "value_type": "index",
          "polarity": "high is good", "target": None}
CHESHIRE = "E54000008"


@pytest.fixture(scope="module")
def icb() -> dict:
    return maps.keyed_geojson(maps.load_geojson(ICB_FILE), "ICB23CD", "ICB23NM")


@pytest.fixture(scope="module")
def utla_boundaries() -> dict:
    raw = maps.load_geojson(UTLA_FILE)
    england = [f for f in raw["features"] if f["properties"]["CTYUA23CD"].startswith("E")]
    return maps.keyed_geojson({"type": "FeatureCollection", "features": england}, "CTYUA23CD", "CTYUA23NM")


@pytest.fixture(scope="module")
def health_index() -> pl.DataFrame:
    frame = (pl.read_csv(HEALTH_INDEX).filter(pl.col("year") == 2021)
             .select(pl.col("icb22_code").alias("area_code"), pl.col("icb22_name").alias("area_name"),
                     pl.col("overall_score").alias("value")))
    return frame.with_columns(quintile=stats.quintiles(frame["value"], "high is good"))


def map_traces(fig) -> dict:
    return {t.name: t for t in fig.data}


# --- boundaries ---------------------------------------------------------------------------------
def test_keyed_geojson_normalises_properties(icb):
    assert len(icb["features"]) == 42
    first = icb["features"][0]
    assert first["properties"] == {"area_code": CHESHIRE,
                                   "area_name": "NHS Cheshire and Merseyside Integrated Care Board"}
    assert isinstance(first["geometry"]["coordinates"][0], np.ndarray)  # compacted
    with pytest.raises(KeyError, match="ICB22CD"):
        maps.keyed_geojson(maps.load_geojson(ICB_FILE), "ICB22CD", "ICB22NM")


def test_load_geojson_rejects_other_json(tmp_path):
    path = tmp_path / "not_boundaries.json"
    path.write_text(json.dumps({"type": "Feature", "geometry": None}), encoding="utf-8")
    with pytest.raises(ValueError, match="not_boundaries.json"):
        maps.load_geojson(path)


def test_bounds_match_every_coordinate_of_the_raw_file(icb):
    raw = json.loads(ICB_FILE.read_text(encoding="utf-8"))
    lons, lats = [], []
    for feature in raw["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                lons += [p[0] for p in ring]
                lats += [p[1] for p in ring]
    west, south, east, north = maps.geojson_bounds(icb)
    # Compacted coordinates are rounded to 5 decimal places (about a metre).
    assert west == pytest.approx(min(lons), abs=1e-5) and east == pytest.approx(max(lons), abs=1e-5)
    assert south == pytest.approx(min(lats), abs=1e-5) and north == pytest.approx(max(lats), abs=1e-5)
    assert -7 < west < -6 and 1.5 < east < 2 and 49.8 < south < 50 and 55.7 < north < 56  # England


# --- quintile and value maps --------------------------------------------------------------------
def test_quintile_map_is_offline_and_keyed(icb, health_index):
    fig = maps.choropleth(health_index, icb, HEALTH, colour_by="quintile", highlight=[CHESHIRE])
    # SVG paths on a geo subplot with every base layer hidden: no tiles, no fonts, no WebGL.
    assert {t.type for t in fig.data} == {"choropleth"}
    assert fig.layout.geo.visible is False and fig.layout.geo.projection.type == "mercator"
    assert "http" not in fig.to_json()
    traces = map_traces(fig)
    colours = palette.quintile_colours("high is good")
    assert traces["Q5 (highest, best)"].colorscale[0][1] == colours[4] == "#2C7BB6"
    assert traces["Q1 (lowest, worst)"].colorscale[0][1] == colours[0] == "#D7191C"
    # Every ICB boundary is drawn exactly once across the category and no-data layers.
    drawn = [c for t in fig.data if not t.name.startswith("Selected") for c in t.locations]
    assert sorted(drawn) == sorted(f["properties"]["area_code"] for f in icb["features"])
    for trace in fig.data:
        carried = [f["properties"]["area_code"] for f in trace.geojson["features"]]
        assert sorted(trace.locations) == sorted(carried)  # each layer carries only its own features
    assert sorted(traces["No data"].locations) == ["E54000063", "E54000064"]
    assert all("No data" in h for h in traces["No data"].hovertext)
    assert traces["No data"].colorscale[0][1] == palette.NO_DATA
    assert "2 areas not on this map's boundaries." in fig.layout.title.subtitle.text
    ring = traces["Selected area (thick outline)"]
    assert list(ring.locations) == [CHESHIRE] and ring.marker.line.width == 3.5


def test_value_map_has_colour_bar_and_hover_values(icb, health_index):
    fig = maps.choropleth(health_index, icb, HEALTH, colour_by="value")
    values = next(t for t in fig.data if t.name == "Value")
    assert values.colorbar.title.text == "index"
    i = list(values.locations).index(CHESHIRE)
    assert values.z[i] == 97.0 and "Value: 97.0 index" in values.hovertext[i]
    west, south, east, north = maps.geojson_bounds(icb)
    lon, lat = fig.layout.geo.lonaxis.range, fig.layout.geo.lataxis.range
    assert lon[0] < west < east < lon[1] and lat[0] < south < north < lat[1]  # every area in view
    assert (lon[1] - lon[0]) < 1.1 * (east - west) and (lat[1] - lat[0]) < 1.1 * (north - south)  # snugly


def test_map_escapes_names_and_rejects_unkeyed_or_unknown_options(icb, health_index):
    frame = health_index.with_columns(
        pl.when(pl.col("area_code") == CHESHIRE).then(pl.lit(EVIL)).otherwise(pl.col("area_name"))
        .alias("area_name"))
    fig = maps.choropleth(frame, icb, HEALTH, colour_by="quintile")
    hover = [h for t in fig.data for h in (t.hovertext or [])]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in h for h in hover)
    assert not any("<script>" in h for h in hover)
    with pytest.raises(ValueError, match="colour_by"):
        maps.choropleth(frame, icb, HEALTH, colour_by="colour")
    with pytest.raises(ValueError, match="keyed_geojson"):
        maps.choropleth(frame, maps.load_geojson(ICB_FILE), HEALTH)


def test_map_can_point_at_a_url_and_take_hover_text_and_bounds(icb, health_index):
    url = "app/static/boundaries/build/icb_2023.geojson"
    given = {CHESHIRE: "Cheshire, as the page words it", "E54000063": "No value: suppressed (*)"}
    plain = maps.choropleth(health_index, icb, HEALTH, colour_by="quintile", highlight=[CHESHIRE])
    fig = maps.choropleth(health_index, icb, HEALTH, colour_by="quintile", highlight=[CHESHIRE],
                          geojson_url=url, hover_text=given, bounds=maps.geojson_bounds(icb))
    assert {t.geojson for t in fig.data} == {url}  # the browser fetches the polygons itself
    assert fig.layout.geo == plain.layout.geo
    for ours, theirs in zip(fig.data, plain.data, strict=True):
        assert list(ours.locations) == list(theirs.locations) and ours.name == theirs.name
        if theirs.hovertext is None:  # the outline of the chosen areas has no hover
            assert ours.hovertext is None
            continue
        for code, mine, default in zip(ours.locations, ours.hovertext, theirs.hovertext, strict=True):
            assert mine == given.get(code, default)  # given text replaces the default, others keep theirs
    hovers = {c: h for t in fig.data for c, h in zip(t.locations, t.hovertext or [], strict=False)}
    assert hovers[CHESHIRE] == given[CHESHIRE] and hovers["E54000063"] == given["E54000063"]
    nearby = maps.choropleth(health_index, icb, HEALTH, bounds=(-3.0, 53.0, -2.0, 54.0))
    assert sum(nearby.layout.geo.lonaxis.range) / 2 == pytest.approx(-2.5)


def test_the_empty_world_topology_is_inline_and_valid():
    """plotly.js fetches <topojsonURL>/world_110m.json for any geo subplot: the app's URL is a data:
    URL whose fragment swallows that suffix, so the browser reads an empty topology, offline."""
    from urllib.parse import unquote

    url = maps.TOPOJSON_URL + "/world_110m.json"
    assert url.startswith("data:application/json,")
    payload = unquote(url.removeprefix("data:application/json,").split("#", 1)[0])
    assert json.loads(payload) == {"type": "Topology", "objects": {}, "arcs": []}


# --- comparison map -----------------------------------------------------------------------------
def test_comparison_map_uses_the_comparison_palette(utla_boundaries):
    frame = utla()
    fig = maps.choropleth(frame, utla_boundaries, INDICATOR, colour_by="comparison")
    traces = map_traces(fig)
    assert list(traces)[:3] == ["Better than England (95% confidence)", "Similar to England",
                                "Worse than England (95% confidence)"]
    for key in ("better", "similar", "worse"):
        trace = traces[palette.comparison_legend(key, "England")]
        assert trace.colorscale[0][1] == palette.COMPARISON_STYLE[key].colour
        on_map = frame.filter(pl.col("comparison") == key, pl.col("area_code").is_in(list(trace.locations)))
        assert on_map.height == len(trace.locations)
    # 2017 codes replaced by 2023 (Dorset, Buckinghamshire, Northamptonshire, Cumbria, North
    # Yorkshire, Somerset ...) are off the map; their successors, plus Isles of Scilly and City of
    # London (published combined, no value), are "No data".
    assert "8 areas not on this map's boundaries." in fig.layout.title.subtitle.text
    no_data = set(traces["No data"].locations)
    assert {"E06000053", "E09000001", "E06000059", "E06000060", "E06000066"} <= no_data
    assert len(no_data) == 11


def test_map_build_time(icb, health_index, utla_boundaries, record_property):
    frame = utla()
    for name, build in {
        "ICB quintile map (42 areas)": lambda: maps.choropleth(health_index, icb, HEALTH, "quintile"),
        "UTLA comparison map (153 areas)": lambda: maps.choropleth(frame, utla_boundaries, INDICATOR),
    }.items():
        build()
        ms = min(_timed(build) for _ in range(5))  # best of 5: other work shares the machine
        record_property(name, round(ms, 1))
        print(f"build time {name}: {ms:.1f} ms")


def _timed(build) -> float:
    start = time.perf_counter()
    build()
    return (time.perf_counter() - start) * 1000
