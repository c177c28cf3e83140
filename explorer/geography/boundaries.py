"""Boundaries for every vintage held, simplified for the app's maps.

Reads data/raw/boundaries_*/*.geojson (the July-2022 sub-ICB file is in British National Grid;
the UK-wide LA files are cut to England), simplifies each layer as a coverage with shapely's
`coverage_simplify` (shared borders stay shared, so no slivers or gaps appear between
neighbours), and writes WGS84 GeoJSON `<area_type>_<vintage>.geojson` with `area_code` and
`area_name` properties, coordinates rounded to 4 decimals (~10 m).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import shapely

from explorer import paths

# (folder, file, area_type, vintage, code property, name property, simplify tolerance in metres)
LAYERS = [
    (
        "boundaries_ccg",
        "Clinical_Commissioning_Groups_April_2020_EN_BUC.geojson",
        "ccg",
        "2020",
        "ccg20cd",
        "ccg20nm",
        150,
    ),
    ("boundaries_ccg", "CCG_APR_2021_EN_BSC_100M.geojson", "ccg", "2021", "ccg21cd", "ccg21nm", 400),
    (
        "boundaries_nhs",
        "SICBL_July_2022_EN_BNG_strokemaps.geojson",
        "sub_icb",
        "2022",
        "sicbl22cd",
        "sicbl22nm",
        150,
    ),
    (
        "boundaries_nhs",
        "NHS_SubICB_April_2023_EN_BSC.geojson",
        "sub_icb",
        "2023",
        "sicbl23cd",
        "sicbl23nm",
        400,
    ),
    (
        "boundaries_nhs",
        "Integrated_Care_Boards_April_2023_EN_BSC.geojson",
        "icb",
        "2023",
        "icb23cd",
        "icb23nm",
        400,
    ),
    (
        "boundaries_nhs",
        "NHS_England_Regions_January_2024_EN_BSC.geojson",
        "nhs_region",
        "2024",
        "nhser24cd",
        "nhser24nm",
        500,
    ),
    (
        "boundaries_ons",
        "Regions_December_2023_Boundaries_EN_BUC.geojson",
        "region",
        "2023",
        "rgn23cd",
        "rgn23nm",
        300,
    ),
    (
        "boundaries_ons",
        "Counties_and_Unitary_Authorities_December_2023_Boundaries_UK_BSC.geojson",
        "utla",
        "2023",
        "ctyua23cd",
        "ctyua23nm",
        300,
    ),
    (
        "boundaries_ons",
        "Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson",
        "ltla",
        "2024",
        "lad24cd",
        "lad24nm",
        250,
    ),
    (
        "boundaries_ons",
        "Combined_Authorities_December_2023_Boundaries_EN_BUC.geojson",
        "combined_authority",
        "2023",
        "cauth23cd",
        "cauth23nm",
        300,
    ),
]
INDEX_SCHEMA = {
    "area_type": pl.String,
    "vintage": pl.String,
    "file": pl.String,
    "features": pl.Int64,
    "bytes": pl.Int64,
}


def _layer(path: Path, code_prop: str, name_prop: str, tolerance: float) -> tuple[list, list, list]:
    import geopandas as gpd  # heavy import kept local

    frame = gpd.read_file(path)
    frame = frame.rename(columns={c: c.lower() for c in frame.columns if c != "geometry"})
    frame = frame[frame[code_prop].astype(str).str.startswith("E")]  # England only (UK-wide LA files)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    frame = frame.to_crs(27700)
    geoms = shapely.make_valid(frame.geometry.values)
    simple = shapely.coverage_simplify(geoms, tolerance)
    out = gpd.GeoSeries(simple, crs=27700).to_crs(4326)
    out = shapely.set_precision(out.values, 1e-4)
    return frame[code_prop].tolist(), frame[name_prop].tolist(), list(out)


def build_boundaries(out_dir: Path) -> pl.DataFrame:
    """Write one simplified GeoJSON per layer into `out_dir`; return the index frame."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for folder, name, area_type, vintage, code_prop, name_prop, tolerance in LAYERS:
        path = paths.RAW_DIR / folder / name
        if not path.exists():
            continue
        codes, names, geoms = _layer(path, code_prop, name_prop, tolerance)
        features = [
            {
                "type": "Feature",
                "properties": {"area_code": c, "area_name": n},
                "geometry": json.loads(shapely.to_geojson(g)),
            }
            for c, n, g in zip(codes, names, geoms, strict=True)
        ]
        target = out_dir / f"{area_type}_{vintage}.geojson"
        target.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")),
            encoding="utf-8",
        )
        rows.append(
            {
                "area_type": area_type,
                "vintage": vintage,
                "file": target.name,
                "features": len(features),
                "bytes": target.stat().st_size,
            }
        )
    return pl.DataFrame(rows, schema=INDEX_SCHEMA)
