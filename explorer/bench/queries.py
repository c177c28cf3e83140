"""Time what the pages run per interaction, on one store, in a fresh process.

`python -m explorer.bench.queries --store DIR --out FILE [--iterations N] [--skip profile,...]`
opens the store the way the app does (once), then replays page reruns on seeded random
selections, calling the same functions in the same order as pages/explore.py,
pages/area.py, pages/download.py and pages/indicators.py (everything but Streamlit's own
rendering). Each interaction is timed twice: its data part (what DuckDB replays, see
explorer.bench.duck) and the whole rerun (data, figures, tables, footers). FILE gets latencies,
one-off costs, RSS and the resolved selections; it is rewritten after each page, so a page that
runs out of memory (the watchdog stops the process above --max-rss-mb) leaves the others.

Each timed call is a cold one for its selection (a new indicator, area or filter each time):
the query modules cache per selection, so a repeat costs a dictionary look-up. One-off costs
(boundary layers, profile tables, search index) are paid in an untimed warm-up and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from pathlib import Path

from explorer.bench.measure import Stopwatch, peak_rss_mb, rss_mb, sample_rss, start_rss_sampler, summary, timed

SEARCHES = ("diabetes", "obesity in children", "smoking", "a&e waiting times", "mental health",
            "life expectancy", "deaths", "fat kids", "dementia", "antibiotic prescribing", "diabetis",
            "alcohol admissions", "cancer screening", "flu vaccination", "physical activity")
GROUPS = ("explore", "download", "search", "store", "profile")  # profile last: it needs the most memory
PROFILE_TYPES = ("utla", "sub_icb", "icb", "ltla")
# The app serves boundary files statically (.streamlit/config.toml), so its map figures carry a URL
# rather than the polygons; EXPLORER_BENCH_EMBED_MAP=1 times the embedded-polygons path instead.
STATIC_MAP = os.environ.get("EXPLORER_BENCH_EMBED_MAP") != "1"


class Runner:
    """The store, the seeded choices and the results of one benchmark process."""

    def __init__(self, store_dir: Path, iterations: int, seed: int, out: Path):
        from explorer.store import Store

        self.rng = random.Random(seed)
        self.iterations = iterations
        self.out = out
        self.results: list[dict] = []
        self.replay: dict[str, list[dict]] = {}
        self.once: dict[str, float] = {}
        self.notes: list[str] = []
        (self.once["load_s"], _), self.store = timed(lambda: Store.open(store_dir))
        self.once["rss_after_load_mb"] = round(rss_mb(), 1)
        self.header = {"store": str(store_dir), "rows": self.store.height, "iterations": iterations,
                       "seed": seed, "lazy": getattr(self.store, "lazy", False)}
        ids = self.store.indicators()["indicator_id"].to_list()
        self.indicators = self.rng.sample(ids, min(len(ids), iterations))
        self.spare = [i for i in ids if i not in set(self.indicators)]

    def record(self, name: str, samples: list[float], replay: list[dict] | None = None) -> None:
        self.results.append(summary(name, samples))
        if replay is not None:
            self.replay[name] = replay

    def save(self) -> None:
        result = {**self.header, "rss_mb": round(peak_rss_mb(), 1), "rss_end_mb": round(rss_mb(), 1),
                  **{k: round(v, 3) for k, v in self.once.items()}, "queries": self.results,
                  "replay": self.replay, "notes": self.notes}
        self.out.write_text(json.dumps(result, indent=2, default=str))

    def pair(self, label: str, data: list[float], whole: list[float], replay: list[dict]) -> None:
        self.record(f"{label}: data", data, replay)
        self.record(f"{label}: whole rerun", whole)

    # --- Explore (pages/explore.py) --------------------------------------------------------------
    def explore(self) -> None:
        from explorer.queries import explore, explore_options

        def warm_up() -> None:  # once per process per area type: boundary layers and area names
            for area_type in self.store.table("boundaries")["area_type"].unique().to_list():
                explore.boundary_layers(self.store, area_type)
                explore_options.names(self.store, area_type)
            for indicator_id in self.spare[:min(12, 2 * self.iterations)]:
                _explore_rerun(self.store, {"i": indicator_id})

        (self.once["explore_warmup_s"], _), _ = timed(warm_up)
        runs = {"open": ([], [], []), "area": ([], [], []), "period": ([], [], [])}
        for indicator_id in self.indicators:
            sel, data_s, whole_s = _explore_rerun(self.store, {"i": indicator_id})
            _add(runs["open"], data_s, whole_s, sel)
            if sel.choices.get("a"):
                query = {**sel.query, "a": self.rng.choice(sel.choices["a"])}
                _add(runs["area"], *_explore_rerun(self.store, query)[1:],
                     explore_options.resolve(self.store, query))
            others = [p for p in sel.choices.get("p", []) if p != sel.period]
            if others:
                query = {**sel.query, "p": self.rng.choice(others)}
                _add(runs["period"], *_explore_rerun(self.store, query)[1:],
                     explore_options.resolve(self.store, query))
        for key, label in (("open", "explore: open an indicator"), ("area", "explore: choose an area"),
                           ("period", "explore: change period")):
            data, whole, sels = runs[key]
            self.pair(label, data, whole, [_selection(s) for s in sels])

    # --- Area profile (pages/area.py) ------------------------------------------------------
    def profile(self) -> None:
        from explorer.queries import profile, profile_areas, profile_options

        (self.once["profile_tables_s"], _), _ = timed(lambda: profile.tables(self.store))
        self.once["rss_after_profile_tables_mb"] = round(rss_mb(), 1)
        areas = profile_areas.area_table(self.store)
        pool = areas.filter(areas["area_type"].is_in(PROFILE_TYPES) & ~areas["superseded"])
        picks = [pool.row(self.rng.randrange(pool.height), named=True) for _ in range(self.iterations)]

        def warm_up() -> None:  # once per process per kind of area: peer features, lookups, chart imports
            chosen = {a["area_code"] for a in picks}
            for kind in PROFILE_TYPES:
                spare = pool.filter(pool["area_type"] == kind, ~pool["area_code"].is_in(list(chosen)))
                if spare.height:
                    _profile_rerun(self.store, {"a": spare["area_code"][0], "at": kind})

        (self.once["profile_warmup_s"], _), _ = timed(warm_up)
        data, whole, replay = [], [], []
        for area in picks:
            query = {"a": area["area_code"], "at": area["area_type"]}
            (data_s, whole_s), _ = _profile_rerun(self.store, query)
            data.append(data_s)
            whole.append(whole_s)
            sel = profile_options.resolve(self.store, query)  # untimed: what DuckDB needs to replay it
            replay.append({"area_code": sel.code, "area_type": sel.area_type, "parent": sel.parent_code,
                           "parent_type": sel.parent_type, "peers": list(sel.peers)})
        self.pair("profile: open an area", data, whole, replay)

    # --- Download (pages/download.py) ------------------------------------------------------------
    def download(self) -> None:
        from explorer import export  # noqa: F401  (pages/download.py imports it once per process)
        from explorer.queries import download as dq

        self._search_index()
        opened, changed, replay = [], [], []
        for n, indicator_id in enumerate(self.indicators):
            offer = dq.choices(self.store, [indicator_id])
            if not offer.area_types:
                continue
            area_type = self.rng.choice(offer.area_types)
            raw = {"i": indicator_id, "at": area_type}
            if n < 5:  # a few samples tell (the link's choices are the same work as below)
                spent, _ = timed(lambda raw=raw: _download_rerun(self.store, raw, from_link=True))
                opened.append(spent)
            scoped = dq.choices(self.store, [indicator_id], area_type)
            if len(scoped.periods) > 1:
                raw = {**raw, "from": scoped.periods[-min(5, len(scoped.periods))], "to": scoped.periods[-1]}
            spent, f = timed(lambda raw=raw: _download_rerun(self.store, raw, from_link=False))
            changed.append(spent)
            start, end = dq.period_bounds(f.period_from), dq.period_bounds(f.period_to)
            replay.append({"indicator_id": indicator_id, "area_type": area_type,
                           "start": start[0].isoformat() if start else None,
                           "end": end[1].isoformat() if end else None})
        self.record("download: open a link (whole rerun)", opened)
        self.record("download: change the filter (count + preview)", changed, replay)

    # --- Catalogue search (pages/indicators.py) ---------------------------------------------------
    def search(self) -> None:
        from explorer.queries import catalogue

        self._search_index()
        catalogue.results_table(catalogue.find_indicators(self.store, "warm-up"))  # topic titles: once
        samples, replay = [], []
        for i in range(self.iterations):
            query = SEARCHES[i % len(SEARCHES)] + ("" if i < len(SEARCHES) else f" {i}")
            seconds, _ = timed(lambda query=query: catalogue.results_table(
                catalogue.find_indicators(self.store, catalogue.clean_query(query))))
            samples.append(seconds)
            replay.append({"query": query})
        self.record("catalogue: search", samples, replay)

    def _search_index(self) -> None:
        """Build the catalogue's search index once, timed apart (the first search of a process)."""
        from explorer import search

        if "search_index_s" not in self.once:
            (self.once["search_index_s"], _), _ = timed(lambda: search.index_for(self.store.indicators()))

    # --- Store-level -----------------------------------------------------------------------------
    def store_level(self) -> None:
        areas = self.store.areas()
        codes = areas.filter(areas["area_type"] == "utla")["area_code"].unique().sort().to_list()
        samples, replay = [], []
        for indicator_id in self.indicators:
            seconds, _ = timed(lambda i=indicator_id: self.store.values(indicator=i, area_type="utla"))
            samples.append(seconds)
            replay.append({"indicator_id": indicator_id})
        self.record("store: one indicator (values(indicator=…, area_type=…))", samples, replay)
        samples, replay = [], []
        for _ in range(max(3, self.iterations // 3)):
            code = self.rng.choice(codes)
            seconds, _ = timed(lambda code=code: self.store.values(areas=[code]))
            samples.append(seconds)
            replay.append({"area_code": code})
        self.record("store: one area, every indicator (values(areas=…))", samples, replay)


def _add(bucket: tuple[list, list, list], data_s: float, whole_s: float, sel) -> None:
    bucket[0].append(data_s)
    bucket[1].append(whole_s)
    bucket[2].append(sel)


def _explore_rerun(store, query: dict):
    """pages/explore.py without Streamlit: (selection, seconds for the data, seconds in all)."""
    from explorer import queries
    from explorer.queries import explore, explore_figures, explore_map, explore_options, summary

    watch = Stopwatch()
    sel = explore_options.resolve(store, query)
    data = explore.explore(store, sel)
    data_s = watch.lap()
    rows = {r["area_code"]: r for r in data.frame.iter_rows(named=True) if r["area_code"] in set(sel.areas)}
    for code in sel.areas:
        if code in rows:
            summary.area_sentence(sel.indicator, sel.period, rows[code], data.benchmark_label)
        summary.trend_sentence(rows.get(code, {}).get("area_name", code), data.trends.get(code))
    summary.overview_sentences(sel.indicator, sel.period, sel.area_type, data.frame, data.england,
                               data.benchmark_label)
    explore_figures.effective_colour(sel, data)
    # As the app (server.enableStaticServing): the map points the browser at the boundary file.
    url = explore_map.static_url(store, sel.area_type, data.vintage) if data.vintage and STATIC_MAP else None
    explore_figures.map_figure(store, sel, data, url)
    explore_figures.compare_figure(store, sel, data)
    explore_figures.trend_figure(store, sel, data)
    explore.table_frame(sel, data)
    for _ in range(4):  # ui.source_footer under the map, compare chart, trend and table
        queries.source_info(store, sel.indicator_id, sel.producer)
    return sel, data_s, watch.lap()


def _profile_rerun(store, query: dict):
    """pages/area.py (default view) without Streamlit: ((data s, whole s), frame)."""
    from explorer import charts
    from explorer.queries import profile, profile_areas, profile_options, profile_peers

    watch = Stopwatch()
    sel = profile_options.resolve(store, query)
    full = profile_peers.benchmarked(store, sel.code, sel.area_type, tuple(sel.peers))
    frame = profile.with_benchmark(profile.profile_topic(full, sel.topic), sel.benchmark)
    profile.chance_summary(frame)
    profile.needs_attention(frame)
    data_s = watch.lap()
    spine = profile.spine_shown(profile.spine_data(frame))
    if spine.height:
        name = profile_areas.area_name(store, sel.code)
        charts.spine_figure(spine, area_name=name, benchmark_label="England",
                            title=f"{name} compared with England")
    return (data_s, watch.lap()), frame


def _download_rerun(store, raw: dict, from_link: bool):
    """pages/download.py without Streamlit: read the link (first view only), the choices, the live
    row count and the 100-row preview."""
    import importlib

    from explorer import export, search
    from explorer.queries import catalogue
    from explorer.queries import download as dq

    topics = dict(catalogue.topic_titles())  # ui_download.topic_titles
    if from_link:  # ui_download.sync_from_url: the link is read when it changed from outside
        url = importlib.import_module("explorer.queries.download_url")
        f = url.from_query(store, raw, export.FORMATS, topics).filter
    else:
        f = dq.Filter(indicators=[raw["i"]], area_type=raw["at"], period_from=raw.get("from"),
                      period_to=raw.get("to"))
    search.search(store.indicators(), "", limit=None)
    dq.choices(store, f.indicators)
    dq.choices(store, f.indicators, f.area_type)
    dq.row_count(store, f)
    dq.table(store, f, limit=100)
    return f


def _selection(sel) -> dict:
    return {"indicator_id": sel.indicator_id, "area_type": sel.area_type, "producer": sel.producer,
            "period": sel.period, "sex": sel.sex, "age": sel.age, "category": sel.category,
            "current": bool(sel.current or sel.reestimated_only), "areas": list(sel.areas)}


def watchdog(limit_mb: float, runner_ref: list) -> None:
    """Stop the process (after saving what it has) if RSS passes limit_mb: a shared machine must
    not be pushed into swap or the OOM killer by a page that does not scale."""
    while True:
        time.sleep(0.05)
        if sample_rss() > limit_mb:
            runner = runner_ref[0] if runner_ref else None
            if runner is not None:
                group = runner.header.get("group")
                runner.notes.append(f"stopped: RSS passed {limit_mb:.0f} MB during {group}")
                runner.save()
            os._exit(3)


def run(store_dir: Path, out: Path, iterations: int = 30, seed: int = 1, skip: tuple[str, ...] = (),
        max_rss_mb: float = 8000) -> dict:
    ref: list = []
    start_rss_sampler()
    threading.Thread(target=watchdog, args=(max_rss_mb, ref), daemon=True).start()
    runner = Runner(store_dir, iterations, seed, out)
    ref.append(runner)
    steps = {"explore": runner.explore, "profile": runner.profile, "download": runner.download,
             "search": runner.search, "store": runner.store_level}
    for group in GROUPS:
        if group in skip:
            runner.notes.append(f"{group}: skipped (--skip)")
            continue
        runner.header["group"] = group
        try:
            steps[group]()
        except Exception as exc:  # a page module changed under us: keep the other pages' figures
            runner.notes.append(f"{group}: failed ({type(exc).__name__}: {str(exc)[:200]})")
        runner.save()
    runner.header.pop("group", None)
    runner.save()
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", default="", help="groups to leave out: " + ",".join(GROUPS))
    parser.add_argument("--max-rss-mb", type=float, default=8000)
    args = parser.parse_args(argv)
    run(Path(args.store), Path(args.out), args.iterations, args.seed,
        tuple(s.strip() for s in args.skip.split(",") if s.strip()), args.max_rss_mb)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
