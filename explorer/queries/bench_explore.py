"""Time the Explore page's server-side work per interaction on the real store.

    .venv/bin/python -m explorer.queries.bench_explore [--repeat 5]

An interaction = resolve the URL state, compute the view (areas, comparisons, map layer, trend),
build the three figures and serialise them as st.plotly_chart does (plotly.io.to_json), build the
table and the summary: everything but Streamlit's own widget and dataframe messages. The map
points the browser at the boundary file (static serving, as the app does) unless
--embed-polygons is given.
Each scenario changes one selector from the default view. "first view" empties the per-selection
caches first (so it includes the Polars work and figure building for that selection; boundary
files, area names and the indicator catalogue stay loaded, as they are after the app's first
page); "repeat" is the same view again (served from the caches). Best of --repeat runs, as
wall-clock time and as this process's CPU time (all threads).
"""

from __future__ import annotations

import argparse
import time

import plotly.io

from explorer.queries import explore_figures, explore_options, memo, summary
from explorer.queries.explore import explore, table_frame
from explorer.queries.explore_map import boundary_url
from explorer.store import Store

EMBED = False  # --embed-polygons: measure the map carrying its polygons (no static serving)
# Entries that stay loaded for the life of the process (loaded by the first page view).
PROCESS_WIDE = {"geojson", "layers", "names", "current", "parent", "indicators", "boundary-url", "outline",
                "used-topics", "indicator-labels", "indicator-pool"}
SCENARIOS = {
    "default view (diabetes, CCGs, 2019/20)": {},
    "choose an area": {"a": "E38000232"},
    "area type -> ICB (re-estimated)": {"at": "icb"},
    "area type -> lower-tier LA (314 areas)": {"at": "ltla"},
    "period -> 2018/19": {"p": "2018/19"},
    "current boundaries on": {"cb": "1", "a": "E38000232"},
    "benchmark -> parent ICB": {"bm": "parent", "a": "E38000232"},
    "colour -> quintiles": {"c": "quintile"},
    "funnel plot": {"v": "funnel"},
    "indicator -> smoking (UTLA)": {"i": "smoking-prevalence-adults"},
    "indicator -> A&E 4 hours (ICB, monthly)": {"i": "ae-within-four-hours", "a": "E54000054"},
    "indicator -> self-harm (UTLA, region benchmark)": {"i": "self-harm-admissions", "bm": "parent",
                                                         "a": "E06000001"},
}


def interaction(store: Store, query: dict) -> None:
    sel = explore_options.resolve(store, query)
    data = explore(store, sel)
    url = boundary_url(store, sel.area_type, data.vintage) if (data.vintage and not EMBED) else None
    figures = (explore_figures.map_figure(store, sel, data, url), explore_figures.compare_figure(store, sel, data),
               explore_figures.trend_figure(store, sel, data))
    for figure in figures:
        if figure is not None:  # what st.plotly_chart does with it
            plotly.io.to_json(figure, validate=False)
    table_frame(sel, data)
    summary.overview_sentences(sel.indicator, sel.period, sel.area_type, data.frame, data.england,
                               data.benchmark_label)


def forget_selections() -> None:
    memo.forget(keep=PROCESS_WIDE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--embed-polygons", action="store_true",
                        help="put the polygons in the map figure, as without server.enableStaticServing")
    args = parser.parse_args()
    global EMBED
    EMBED = args.embed_polygons
    store = Store.open()
    for query in SCENARIOS.values():  # warm-up: boundary files, names, imports
        interaction(store, query)
    print(f"{'scenario':50} {'first view':>11} {'(cpu)':>9} {'repeat':>9} {'(cpu)':>9}")
    for name, query in SCENARIOS.items():
        first, again = [], []
        for _ in range(args.repeat):
            forget_selections()
            first.append(timed(store, query))
            again.append(timed(store, query))
        wall1, cpu1 = min(w for w, _ in first), min(c for _, c in first)
        wall2, cpu2 = min(w for w, _ in again), min(c for _, c in again)
        print(f"{name:50} {wall1:8.1f} ms {cpu1:6.1f} ms {wall2:6.1f} ms {cpu2:6.1f} ms")


def timed(store: Store, query: dict) -> tuple[float, float]:
    """(wall-clock ms, CPU ms of this process): on a shared machine the CPU time shows the work
    itself, the wall-clock time what a user waited."""
    wall, cpu = time.perf_counter(), time.process_time()
    interaction(store, query)
    return 1000 * (time.perf_counter() - wall), 1000 * (time.process_time() - cpu)


if __name__ == "__main__":
    main()
