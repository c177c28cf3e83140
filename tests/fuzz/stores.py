"""Synthetic stores for the escaping and disclosure tests: a few real indicators cut from the real
store, edited (hostile names, small counts, a disclosure flag) and written to a temporary folder
in the store layout (values.parquet sorted as the build sorts it, the other tables, the boundary
files with their names edited too, manifest.json), then opened with Store.open like the real one.

`serving(store_dir)` points the app's cached store (ui.get_store) at such a folder for AppTest
runs in this process, and puts the real one back afterwards.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import polars as pl

from explorer import paths, schema
from explorer.store import TABLES, Store
from tests.app.helpers import figure_of


def peer_inputs(real: Store) -> list[str]:
    """The indicators the area profile's peer finder reads (population, deprivation, QOF list
    sizes, the ONS Health Index), so a cut-down store still has peers."""
    ind = real.indicators()
    from_sources = ind.filter(pl.col("source_ids").list.eval(pl.element().is_in(
        ["ons_population", "ons_health_index"])).list.any())["indicator_id"].to_list()
    return sorted({*from_sources, "imd-average-score", "hypertension-recorded-prevalence",
                   "osteoporosis-recorded-prevalence", "diabetes-recorded-prevalence"})


def write_store(real: Store, target: Path, indicator_ids: list[str], *,
                area_names: dict[str, str] | None = None,
                indicator_edits: dict[str, dict] | None = None,
                edit_values: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
                edit_revisions: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> Store:
    target.mkdir(parents=True, exist_ok=True)
    area_names = area_names or {}
    values = real.values(indicator=indicator_ids)
    if edit_values:
        values = edit_values(values)
    values = schema.conform(values).sort(schema.SORT_KEYS, nulls_last=True)
    values.write_parquet(target / paths.VALUES, row_group_size=65_536, statistics=True)

    tables = {name: real.table(name) for name in TABLES}
    indicators = tables["indicators"].filter(pl.col("indicator_id").is_in(indicator_ids))
    for indicator_id, edits in (indicator_edits or {}).items():
        indicators = indicators.with_columns(
            [pl.when(pl.col("indicator_id") == indicator_id).then(pl.lit(v, dtype=indicators.schema[k]))
             .otherwise(pl.col(k)).alias(k) for k, v in edits.items()])
    tables["indicators"] = indicators
    tables["areas"] = _renamed(tables["areas"], area_names)
    for name in ("breaks", "revisions", "rejects"):
        frame = tables[name]
        if "indicator_id" in frame.columns:
            tables[name] = frame.filter(pl.col("indicator_id").is_in(indicator_ids))
    if edit_revisions:
        tables["revisions"] = edit_revisions(tables["revisions"])
    for name, frame in tables.items():
        if not frame.is_empty() or frame.width:
            frame.write_parquet(target / f"{name}.parquet")
    _copy_boundaries(real, target, area_names)
    manifest = {**real.manifest, "built_at": f"synthetic-{uuid.uuid4().hex}", "rows": values.height,
                "indicators": indicators.height}
    (target / paths.MANIFEST).write_text(json.dumps(manifest))
    return Store.open(target)


def _renamed(areas: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    if not names:
        return areas
    return areas.with_columns(pl.col("area_code").replace_strict(names, default=None).fill_null(pl.col("area_name"))
                              .alias("area_name"))


def _copy_boundaries(real: Store, target: Path, names: dict[str, str]) -> None:
    folder = target / paths.BOUNDARIES_DIR
    folder.mkdir(exist_ok=True)
    for source in (real.path / paths.BOUNDARIES_DIR).glob("*.geojson"):
        data = json.loads(source.read_text())
        for feature in data.get("features", []):
            props = feature.get("properties") or {}
            if props.get("area_code") in names:
                props["area_name"] = names[props["area_code"]]
        (folder / source.name).write_text(json.dumps(data))


@contextlib.contextmanager
def serving(store_dir: Path):
    """The app's cached store (ui.get_store) opened from `store_dir` for AppTest runs. The Explore
    map's boundary copies go to a folder beside it, not to the project's static/ (where they would
    replace the running app's copies for the real build)."""
    from explorer import ui
    from explorer.queries import explore_map

    saved = paths.STORE_DIR, explore_map.STATIC_BOUNDARIES
    paths.STORE_DIR = Path(store_dir)
    explore_map.STATIC_BOUNDARIES = Path(store_dir).parent / f"{Path(store_dir).name}-static"
    ui.get_store.clear()
    try:
        yield
    finally:
        paths.STORE_DIR, explore_map.STATIC_BOUNDARIES = saved
        ui.get_store.clear()


# --- what a page sends to the browser ---------------------------------------------------------------
MARKDOWN_TYPES = {"Markdown", "Caption", "Title", "Header", "Subheader", "Info", "Warning", "Error", "Success",
                  "Text", "Toast", "Metric"}


def rendered(at) -> dict[str, list]:
    """An AppTest run's output by how the browser renders it: markdown bodies (incl. st.table
    cells, metric values and page-link labels), plotly figure specs, st.dataframe frames."""
    out: dict[str, list] = {"markdown": [], "figures": [], "grids": []}
    for element in [*at.main, *at.sidebar]:
        kind = type(element).__name__
        if kind == "Metric":
            out["markdown"] += [str(element.label), str(element.value)]
        elif kind in MARKDOWN_TYPES:
            out["markdown"].append(str(element.value))
        elif kind == "Table":
            out["markdown"] += [str(v) for v in element.value.to_numpy().ravel()]
        elif kind == "Dataframe":
            out["grids"].append(element.value)
        elif kind == "UnknownElement" and figure_of(element) is not None:
            out["figures"].append(figure_of(element))
        elif kind == "UnknownElement" and element.type == "page_link":
            out["markdown"].append(element.proto.label)
    return out


def strings(node) -> list[str]:
    """Every string in a JSON-like tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def figure_numbers(spec: dict) -> list[float]:
    """Every number a plotly figure carries in its traces (typed arrays decoded by plotly)."""
    import numpy as np
    import plotly.io as pio

    fig = pio.from_json(json.dumps(spec), skip_invalid=True)
    found: list[float] = []
    for trace in fig.data:
        for name in ("x", "y", "z", "customdata", "text", "hovertext", "error_x", "error_y", "base"):
            value = getattr(trace, name, None) if name in trace else None
            if value is None:
                continue
            if hasattr(value, "to_plotly_json"):
                value = value.to_plotly_json().get("array")
                if value is None:
                    continue
            array = np.asarray(value, dtype=object).ravel()
            for item in array:
                if isinstance(item, int | float) and not isinstance(item, bool):
                    found.append(float(item))
                elif isinstance(item, list | tuple | np.ndarray):
                    found += [float(v) for v in np.asarray(item, dtype=object).ravel()
                              if isinstance(v, int | float) and not isinstance(v, bool)]
    return found
