"""Build the harmonised store from data/raw: idempotent, incremental and atomic.

1. Each source step runs only when its raw files, its code or its metadata changed since the
   last build (fingerprints in data/.build-cache); otherwise its cached output is reused.
2. The steps' values are joined into one table: latest release kept and revisions recorded,
   intervals filled by one method per value type, geography added (areas, links, re-estimated
   series on current boundaries, breaks in series), disclosure control applied.
3. Everything, the area profile's precomputed tables included (`profile_tables`), is written
   to a fresh directory under data/builds/ and only then does the data/store symlink switch
   to it (an atomic rename), so a failed or killed build leaves the previous store readable
   and unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from explorer import catalogue, harmonise, paths, profile_tables, schema, values_by_area
from explorer.sources import discover
from explorer.sources.base import StepContext

BUILDS_DIR = paths.ROOT / "data" / "builds"
CACHE_ROOT = paths.ROOT / "data" / ".build-cache"
# Framework code every step depends on: a change here re-runs every step.
FRAMEWORK_FILES = ["schema.py", "periods.py", "sources/base.py", "sources/readers.py",
                   "geography/codes.py"]
KEEP_BUILDS = 2


def _say(message: str) -> None:
    print(message, flush=True)  # flushed so `make run` shows progress as it happens


@dataclass
class BuildReport:
    store: Path
    reports: pl.DataFrame
    rebuilt: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows: int = 0


def _digest(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()


def fingerprint(module, ctx: StepContext) -> str:
    pkg = Path(__file__).resolve().parent
    step = Path(module.__file__)
    # The step, its YAML and any helper modules named after it (e.g. nhsd_qof_layout.py).
    own = [step, *sorted(step.parent.glob(f"{step.stem}_*.py")), Path(ctx.meta["_path"])]
    parts = [p.read_bytes() for p in own]
    parts += [(pkg / f).read_bytes() for f in FRAMEWORK_FILES]
    for path in ctx.files():
        parts += [str(path.relative_to(ctx.raw_dir)).encode(), path.read_bytes()]
    return _digest(parts)


ASSEMBLY_FILES = ["catalogue.py", "harmonise.py", "build.py", "profile_tables.py", "profile_trend.py",
                  "values_by_area.py", "topics.yaml", "stats", "geography"]
GEOGRAPHY_RAW = ["lookups_ons", "lookups_ods", "ons_population", "boundaries_ccg", "boundaries_nhs",
                 "boundaries_ons"]


def _files_under(root: Path, names: list[str]) -> list[Path]:
    found = []
    for name in names:
        path = root / name
        found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc") \
            if path.is_dir() else [path]
    return found


def assembly_fingerprint(raw_dir: Path, step_keys: dict[str, str]) -> str:
    """Everything the store depends on beyond the steps: assembly code and geography files."""
    pkg = Path(__file__).resolve().parent
    parts = [f"{k}={v}".encode() for k, v in sorted(step_keys.items())]
    # Geography modules read the lookups and boundaries from the project's data/raw.
    for path in _files_under(pkg, ASSEMBLY_FILES) + _files_under(paths.RAW_DIR, GEOGRAPHY_RAW):
        parts += [path.name.encode(), path.read_bytes()]
    return _digest(parts)


def boundaries_cached(cache_root: Path, raw_dir: Path, say: Callable[[str], None]) -> Path:
    """Simplified boundaries depend only on the boundary files and their code: build them once."""
    from explorer.geography import boundaries

    pkg = Path(__file__).resolve().parent
    files = _files_under(paths.RAW_DIR, [n for n in GEOGRAPHY_RAW if n.startswith("boundaries")])
    key = _digest([(pkg / "geography" / "boundaries.py").read_bytes()] + [f.read_bytes() for f in files])
    cache = cache_root / "boundaries"
    stamp = cache / "fingerprint.txt"
    if stamp.exists() and stamp.read_text() == key:
        return cache
    say("  simplifying boundaries")
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    boundaries.build_boundaries(cache / paths.BOUNDARIES_DIR).write_parquet(cache / "boundaries.parquet")
    stamp.write_text(key)
    return cache


def run_step(module, raw_dir: Path, cache_root: Path, force: bool, say: Callable[[str], None],
             key: str):
    """Run one step, or reuse its cached output when nothing it depends on changed."""
    ctx = StepContext(module.META, raw_dir=raw_dir)
    cache = cache_root / ctx.source_id
    stamp = cache / "fingerprint.txt"
    if not force and stamp.exists() and stamp.read_text() == key:
        frames = tuple(pl.read_parquet(cache / f"{n}.parquet") for n in ("values", "rejects", "reports"))
        return (*frames, False)
    started = time.perf_counter()
    module.run(ctx)
    values, rejects, reports = ctx.result()
    cache.mkdir(parents=True, exist_ok=True)
    for name, frame in (("values", values), ("rejects", rejects), ("reports", reports)):
        frame.write_parquet(cache / f"{name}.parquet")
    stamp.write_text(key)
    say(f"  ran {ctx.source_id} in {time.perf_counter() - started:.1f}s")
    return values, rejects, reports, True


def _summary_line(reports: pl.DataFrame, source_id: str, fresh: bool) -> str:
    mine = reports.filter(pl.col("source_id") == source_id)
    read, loaded, rejected = (int(mine[c].sum()) for c in ("rows_read", "rows_loaded", "rows_rejected"))
    flag = "rebuilt" if fresh else "cached "
    return f"{flag} {source_id:<28} read {read:>7,}  loaded {loaded:>7,}  rejected {rejected:>6,}"


def geography_cached(cache_root: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """areas and area_links depend only on the lookups and the geography code, not on any
    source's values: build them once and reuse them until those change (keeps a one-source
    rebuild fast)."""
    from explorer.geography import areas as geo_areas
    from explorer.geography import links as geo_links

    pkg = Path(__file__).resolve().parent
    inputs = _files_under(pkg, ["geography", "schema.py"]) + _files_under(
        paths.RAW_DIR, [n for n in GEOGRAPHY_RAW if not n.startswith("boundaries")])
    key = _digest([p.read_bytes() for p in inputs])
    cache = cache_root / "geography"
    stamp = cache / "fingerprint.txt"
    if stamp.exists() and stamp.read_text() == key:
        return pl.read_parquet(cache / "areas.parquet"), pl.read_parquet(cache / "area_links.parquet")
    areas = geo_areas.build_areas()
    links = geo_links.build_links(areas)
    cache.mkdir(parents=True, exist_ok=True)
    areas.write_parquet(cache / "areas.parquet")
    links.write_parquet(cache / "area_links.parquet")
    stamp.write_text(key)
    return areas, links


def assemble(values: pl.DataFrame, reports: pl.DataFrame, metas: list[dict], cache_root: Path = CACHE_ROOT):
    """Store-wide harmonisation; returns the frames to write."""
    from explorer.geography import breaks as geo_breaks
    from explorer.geography import reaggregate as geo_reagg

    defs = catalogue.definitions(metas)
    values, revisions = harmonise.resolve_releases(values, reports)
    values = harmonise.fill_unitary_tiers(values)
    values = harmonise.add_intervals(values, defs)
    areas, links = geography_cached(cache_root)
    extra = geo_reagg.reaggregate(values, defs, links, areas)
    values = pl.concat([values, schema.conform(extra)]) if extra.height else values
    values = harmonise.apply_disclosure(values, defs)
    values = values.sort(schema.SORT_KEYS, nulls_last=True)
    indicators = catalogue.build(values, defs)
    breaks = geo_breaks.series_breaks(values, links, indicators)
    return {"values": values, "indicators": indicators, "areas": areas, "area_links": links,
            "revisions": revisions, "breaks": breaks}


def write_store(frames: dict[str, pl.DataFrame], reports: pl.DataFrame, rejects: pl.DataFrame,
                builds_dir: Path, store_link: Path, boundary_cache: Path, key: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = builds_dir / stamp
    tmp = builds_dir / f".tmp-{stamp}"
    tmp.mkdir(parents=True)
    try:
        # Row groups of ~64k rows so scans filtered on indicator_id/period skip most of the file.
        frames["values"].write_parquet(tmp / paths.VALUES, row_group_size=65_536, statistics=True)
        # The same rows sorted by area, so `Store.values(areas=…)` reads an area by row range.
        values_by_area.write(tmp / paths.VALUES, tmp / values_by_area.FILE)
        for name, frame in frames.items():
            if name != "values":
                frame.write_parquet(tmp / f"{name}.parquet")
        reports.write_parquet(tmp / paths.SOURCES)
        rejects.write_parquet(tmp / paths.REJECTS)
        shutil.copytree(boundary_cache / paths.BOUNDARIES_DIR, tmp / paths.BOUNDARIES_DIR)
        shutil.copy2(boundary_cache / "boundaries.parquet", tmp / "boundaries.parquet")
        # The area profile's tables, from the values as written (they depend on values, the
        # catalogue, areas and breaks, all rewritten by every build).
        profile_rows = profile_tables.write(pl.scan_parquet(tmp / paths.VALUES), frames["indicators"],
                                            frames["areas"], tmp, frames["breaks"])
        manifest = {"built_at": stamp, "fingerprint": key, "rows": frames["values"].height,
                    "indicators": frames["indicators"].height,
                    "sources": sorted(reports["source_id"].unique().to_list()), "profile_rows": profile_rows}
        (tmp / paths.MANIFEST).write_text(json.dumps(manifest, indent=2))
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_link(store_link, target)
    prune(builds_dir, keep=target)
    return target


def swap_link(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically (rename of a fresh symlink over the old one)."""
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # an old-style real directory from an earlier layout
    tmp_link = link.with_name(f".{link.name}.new")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=True)
    os.replace(tmp_link, link)


def prune(builds_dir: Path, keep: Path) -> None:
    builds = sorted(p for p in builds_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in builds[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in builds_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def build_lock(builds_dir: Path):
    """One build at a time per data directory (tests run in parallel; two shells may race)."""
    builds_dir.mkdir(parents=True, exist_ok=True)
    with (builds_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(force: bool = False, only: list[str] | None = None, raw_dir: Path = paths.RAW_DIR,
          store_link: Path = paths.STORE_DIR, builds_dir: Path = BUILDS_DIR,
          cache_root: Path = CACHE_ROOT, say: Callable[[str], None] = None,
          steps: dict | None = None) -> BuildReport:
    """Build the store; `steps` (id → module) defaults to every discovered source step."""
    with build_lock(builds_dir):
        return _build(force, only, raw_dir, store_link, builds_dir, cache_root, say, steps)


def _build(force, only, raw_dir, store_link, builds_dir, cache_root, say, steps) -> BuildReport:
    started = time.perf_counter()
    say = say or _say
    steps = steps if steps is not None else discover()
    if only:
        unknown = set(only) - set(steps)
        if unknown:
            raise SystemExit(f"unknown source(s) {sorted(unknown)}; known: {sorted(steps)}")
    keys = {sid: fingerprint(m, StepContext(m.META, raw_dir=raw_dir)) for sid, m in steps.items()}
    key = assembly_fingerprint(raw_dir, keys)
    if not force and not only and _manifest(store_link).get("fingerprint") == key:
        say(f"store is up to date ({store_link}); nothing to rebuild")
        return BuildReport(store_link.resolve(), pl.read_parquet(store_link / paths.SOURCES),
                           [], sorted(steps), time.perf_counter() - started,
                           _manifest(store_link).get("rows", 0))
    values, rejects, reports, rebuilt, reused = [], [], [], [], []
    for i, (source_id, module) in enumerate(sorted(steps.items()), 1):
        say(f"[{i}/{len(steps)}] {source_id}")
        forced = force or bool(only and source_id in only)
        v, r, rep, fresh = run_step(module, raw_dir, cache_root, forced, say, keys[source_id])
        values.append(v)
        rejects.append(r)
        reports.append(rep)
        (rebuilt if fresh else reused).append(source_id)
        say("  " + _summary_line(rep, source_id, fresh))
    reports_frame = pl.concat(reports)
    say("assembling the store (releases, intervals, geography)")
    frames = assemble(pl.concat(values), reports_frame, [m.META for m in steps.values()], cache_root)
    boundary_cache = boundaries_cached(cache_root, raw_dir, say)
    target = write_store(frames, reports_frame, pl.concat(rejects), builds_dir, store_link,
                         boundary_cache, key)
    seconds = time.perf_counter() - started
    say(f"store written to {target.relative_to(paths.ROOT) if target.is_relative_to(paths.ROOT) else target}"
        f" ({frames['values'].height:,} values, {frames['indicators'].height} indicators) in {seconds:.1f}s")
    return BuildReport(target, reports_frame, rebuilt, reused, seconds, frames["values"].height)


def _manifest(store_link: Path) -> dict:
    try:
        return json.loads((store_link / paths.MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def is_stale(raw_dir: Path = paths.RAW_DIR, store_link: Path = paths.STORE_DIR) -> bool:
    """True when the store is missing or anything it was built from has changed."""
    steps = discover()
    keys = {sid: fingerprint(m, StepContext(m.META, raw_dir=raw_dir)) for sid, m in steps.items()}
    return _manifest(store_link).get("fingerprint") != assembly_fingerprint(raw_dir, keys)
