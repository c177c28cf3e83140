"""`python -m explorer.bench [--rows N] [--json FILE]`: the app's speed at scale.

1. Writes a synthetic store of N rows (default 10 million) with the real store's shape under a
   temporary directory (explorer.bench.synthetic; never data/store) and times that build.
2. In a fresh process, opens it as the app does and times the functions the pages call per
   interaction (explorer.bench.queries): p50/p95 per query, one-off costs, peak RSS.
3. In another fresh process, replays the same selections in DuckDB on the same Parquet
   (explorer.bench.duck) and prints the ratio Polars p95 / DuckDB p95.

`--store DIR` benchmarks an existing store instead (e.g. data/store, the real one, read only).
`--pages` also times the Explore and area-profile pages in headless Chromium on the real store
(explorer.bench.pages); `--build` times full and one-source rebuilds of the real raw files on
copies (explorer.bench.build_time). `--markdown FILE` appends the run's tables to FILE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Targets from the performance issue (2 cores).
TARGET_P95_MS = 100.0
TARGET_RATIO = 1.0
TARGET_RSS_MB = 1024.0


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    import duckdb
    import polars

    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_mb": mem,
            "python": platform.python_version(), "polars": polars.__version__, "duckdb": duckdb.__version__,
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def _child(module: str, *args: str) -> int:
    """Run a step in a fresh process (its own peak RSS); a step that stops early has saved what
    it measured, which the report shows with the reason."""
    return subprocess.run([sys.executable, "-m", module, *args], check=False).returncode


def merge(polars_run: dict, duck_run: dict) -> list[dict]:
    duck = {q["name"]: q for q in duck_run["queries"]}
    out = []
    for q in polars_run["queries"]:
        row = {k: q.get(k) for k in ("name", "n", "p50_ms", "p95_ms", "cpu_p50_ms", "cpu_p95_ms")}
        d = duck.get(q["name"])
        row["duckdb_p50_ms"] = d["p50_ms"] if d else None
        row["duckdb_p95_ms"] = d["p95_ms"] if d else None
        row["duckdb_cpu_p95_ms"] = d.get("cpu_p95_ms") if d else None
        row["ratio"] = round(q["p95_ms"] / d["p95_ms"], 2) if d and d["p95_ms"] else None
        row["cpu_ratio"] = (round(q["cpu_p95_ms"] / d["cpu_p95_ms"], 2)
                            if d and d.get("cpu_p95_ms") and q.get("cpu_p95_ms") is not None else None)
        if d and d.get("note"):
            row["duckdb_note"] = d["note"]
        out.append(row)
    return out


def run(rows: int, store: Path | None, iterations: int, seed: int, keep: bool, skip: str = "",
        max_rss_mb: float = 8000) -> dict:
    from explorer.bench import synthetic

    work = Path(tempfile.mkdtemp(prefix="explorer-bench-"))
    built = None
    try:
        if store is None:
            print(f"writing a synthetic store of {rows:,} rows under {work} …", flush=True)
            started = time.perf_counter()
            store = synthetic.generate(rows, out=work / "store", seed=seed)
            built = time.perf_counter() - started
        is_synthetic = synthetic.is_synthetic(store)
        print(f"timing the page queries on {store} ({iterations} selections each) …", flush=True)
        code = _child("explorer.bench.queries", "--store", str(store), "--out", str(work / "polars.json"),
                      "--iterations", str(iterations), "--seed", str(seed), "--skip", skip,
                      "--max-rss-mb", str(max_rss_mb))
        if not (work / "polars.json").exists():
            raise SystemExit(f"the query process failed (exit {code}) before measuring anything")
        print("replaying them in DuckDB …", flush=True)
        _child("explorer.bench.duck", "--store", str(store), "--replay", str(work / "polars.json"),
               "--out", str(work / "duckdb.json"))
        polars_run = json.loads((work / "polars.json").read_text())
        duck_run = json.loads((work / "duckdb.json").read_text())
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    once = {k: polars_run[k] for k in polars_run if k.endswith("_s") or k.endswith("_mb")}
    once["notes"] = polars_run.get("notes", [])
    once["lazy"] = polars_run.get("lazy")
    return {"rows": polars_run["rows"], "rss_mb": polars_run["rss_mb"], "synthetic": is_synthetic,
            "build_s": round(built, 2) if built else None, **once,
            "duckdb_rss_mb": duck_run["rss_mb"], "iterations": iterations, "seed": seed,
            "queries": merge(polars_run, duck_run)}


def _ms(value) -> str:
    return "–" if value is None else f"{value:,.1f}"


def _ratio(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def _verdict(q: dict) -> str:
    def met(p95, ratio):
        return p95 is not None and p95 <= TARGET_P95_MS and (ratio is None or ratio <= TARGET_RATIO)
    if met(q["p95_ms"], q.get("ratio")):
        return "yes"
    return "CPU only" if met(q.get("cpu_p95_ms"), q.get("cpu_ratio")) else "**no**"


def markdown(result: dict, command: str, info: dict) -> str:
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    kind = "synthetic" if result.get("synthetic") else "real"
    kind += ", lazy Store" if result.get("lazy") else ""
    lines = [f"### {result['rows']:,} rows ({kind} store), {when}", "",
             f"Command: `{command}`. Machine: {info['cpu']}, {info['cores']} cores, "
             f"{info['memory_mb'] / 1024:.0f} GiB; Python {info['python']}, Polars {info['polars']}, "
             f"DuckDB {info['duckdb']}; load average {info['load_average']} at the start "
             f"(shared machine: other jobs were running, so figures are noisy).", "",
             "Wall-clock p50/p95, and p95 of CPU time (all threads; what the work costs on idle cores). "
             "Ratio = Polars p95 / DuckDB p95 (wall, then CPU). Target: p95 ≤ 100 ms and ratio ≤ 1.0; "
             "“CPU only” = met on CPU time but not on the shared machine's wall clock.", "",
             "| query | p50 ms | p95 ms | CPU p95 ms | DuckDB p95 ms | DuckDB CPU p95 ms | ratio | CPU ratio "
             "| target met |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for q in result["queries"]:
        note = f" ({q['duckdb_note']})" if q.get("duckdb_note") else ""
        lines.append(f"| {q['name']} | {_ms(q['p50_ms'])} | {_ms(q['p95_ms'])} | {_ms(q.get('cpu_p95_ms'))} "
                     "| "
                     f"{_ms(q['duckdb_p95_ms'])}{note} | {_ms(q.get('duckdb_cpu_p95_ms'))} | "
                     f"{_ratio(q.get('ratio'))} | {_ratio(q.get('cpu_ratio'))} | {_verdict(q)} |")
    for note in result.get("notes") or []:
        lines.append(f"\nNote: {note}.")
    lines += ["", "| one-off | value |", "|---|---:|"]
    for key, label in (("build_s", "synthetic store written (s)"), ("load_s", "Store.open (s)"),
                       ("rss_after_load_mb", "RSS after Store.open (MB)"),
                       ("explore_warmup_s", "explore warm-up: boundary layers + 12 first views (s)"),
                       ("profile_tables_s", "profile tables, once per process (s)"),
                       ("rss_after_profile_tables_mb", "RSS after the profile tables (MB)"),
                       ("profile_warmup_s", "profile warm-up: first view of each kind of area (s)"),
                       ("search_index_s", "search index, once per process (s)"),
                       ("rss_mb", "peak RSS of the query process (MB)"),
                       ("rss_end_mb", "RSS at the end (MB)"),
                       ("duckdb_rss_mb", "peak RSS of the DuckDB process (MB)")):
        if result.get(key) is not None:
            lines.append(f"| {label} | {result[key]:,} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the synthetic store")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--store", help="benchmark this existing store instead of a synthetic one")
    parser.add_argument("--iterations", type=int, default=30, help="selections timed per query")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--keep", action="store_true", help="keep the temporary store and raw results")
    parser.add_argument("--markdown", help="append the tables to this file (e.g. BENCHMARKS.md)")
    parser.add_argument("--pages", action="store_true", help="also time pages in Chromium (real store)")
    parser.add_argument("--build", action="store_true", help="also time full and one-source rebuilds")
    parser.add_argument("--skip-queries", action="store_true", help="only --pages / --build")
    parser.add_argument("--skip", default="", help="query groups to leave out (explore, profile, download, "
                        "search, store), comma-separated")
    parser.add_argument("--max-rss-mb", type=float, default=8000,
                        help="stop the query process above this RSS (protects a shared machine)")
    args = parser.parse_args(argv)
    command = "python -m explorer.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    info = machine()
    result: dict = {"machine": info, "command": command,
                    "date": dt.datetime.now().isoformat(timespec="seconds")}
    text = ""
    if not args.skip_queries:
        result.update(run(args.rows, Path(args.store) if args.store else None, args.iterations, args.seed,
                          args.keep, args.skip, args.max_rss_mb))
        text += markdown(result, command, info)
    if args.pages:
        from explorer.bench import pages

        result["pages"] = pages.run()
        text += "\n" + pages.markdown(result["pages"])
    if args.build:
        from explorer.bench import build_time

        result["build"] = build_time.run()
        text += "\n" + build_time.markdown(result["build"])
    print("\n" + text)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    if args.markdown:
        with Path(args.markdown).open("a") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
