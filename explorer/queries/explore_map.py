"""Explore page map layers: which boundary file matches a period's area codes, and how the
browser gets its polygons (embedded in the figure, or fetched from a same-origin static copy).
No Streamlit here."""

from __future__ import annotations

import os
import shutil

import polars as pl

from explorer import maps, paths
from explorer.queries.explore_options import memo
from explorer.store import Store


def layer_vintages(store: Store, area_type: str) -> list[str]:
    """The vintages of this area type's boundary files (from the store's index: no file is read)."""
    index = store.table("boundaries")
    return [] if index.is_empty() else index.filter(pl.col("area_type") == area_type)["vintage"].to_list()


def boundary_layers(store: Store, area_type: str) -> dict[str, set[str]]:
    """vintage → the area codes of its boundary file, for this area type."""
    def compute() -> dict[str, set[str]]:
        return {vintage: set(_geojson(store, area_type, vintage)["_codes"])
                for vintage in layer_vintages(store, area_type)}
    return memo(store, ("layers", area_type), compute)


def _geojson(store: Store, area_type: str, vintage: str) -> dict:
    def compute() -> dict:
        data = maps.compact_geojson(maps.load_geojson(store.boundary_file(area_type, vintage)))
        return {**data, "_codes": [f["properties"]["area_code"] for f in data["features"]]}
    return memo(store, ("geojson", area_type, vintage), compute)


def best_layer(store: Store, area_type: str, codes: list[str]) -> tuple[str | None, int]:
    """The boundary vintage matching most of `codes` (ties: the newest) and how many it matches."""
    wanted = set(codes)
    scores = [(len(wanted & layer), vintage) for vintage, layer in boundary_layers(store, area_type).items()]
    if not scores or not wanted:
        return None, 0
    matched, vintage = max(scores)
    return (vintage, matched) if matched else (None, 0)


def geojson(store: Store, area_type: str, vintage: str) -> dict:
    data = _geojson(store, area_type, vintage)
    return {"type": data["type"], "features": data["features"]}


# Boundary files the browser fetches itself (Streamlit's static serving: ./static -> /app/static/),
# so the map's polygons are not re-serialised into every rerun's message.
STATIC_BOUNDARIES = paths.ROOT / "static" / "boundaries"
BUILDS_DIR = paths.ROOT / "data" / "builds"
STATIC_URL = "app/static/boundaries"  # relative: resolves under the app's base URL


def static_url(store: Store, area_type: str, vintage: str) -> str | None:
    """The URL `boundary_url` gives the layer, without copying anything (benchmarks)."""
    source = store.boundary_file(area_type, vintage)
    return None if source is None else f"{STATIC_URL}/{store.path.name}/{source.name}"


def boundary_url(store: Store, area_type: str, vintage: str) -> str | None:
    """A same-origin URL for the layer's GeoJSON, copying the file for this build once; older
    builds' copies are removed. None when the file cannot be written (the map then embeds it)."""
    def compute() -> str | None:
        source = store.boundary_file(area_type, vintage)
        if source is None or not source.exists():
            return None
        build = store.path.name
        target = STATIC_BOUNDARIES / build / source.name
        try:
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(f".{os.getpid()}.part")
                shutil.copyfile(source, partial)
                partial.replace(target)
                # Copies of builds that still exist stay: another server may be serving one.
                for old in STATIC_BOUNDARIES.iterdir():
                    if old.is_dir() and old.name != build and not (BUILDS_DIR / old.name).is_dir():
                        shutil.rmtree(old, ignore_errors=True)
        except OSError:
            return None
        return static_url(store, area_type, vintage)
    return memo(store, ("boundary-url", area_type, vintage), compute)


def layer_bounds(store: Store, area_type: str, vintage: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the layer: the map's view, computed once per layer."""
    return memo(store, ("bounds", area_type, vintage),
                lambda: maps.geojson_bounds(geojson(store, area_type, vintage)))
