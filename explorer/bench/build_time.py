"""Build timing on copies: a full build of the real raw files, a no-change build, and the rebuild
after one source's raw file changes. data/store, data/builds and data/.build-cache are never
touched: every build writes to a temporary builds directory, store link and cache.

`python -m explorer.bench.build_time [--json FILE]` (or `python -m explorer.bench --build`):
1. full: `python -m explorer build --force --store T/store --builds-dir T/builds --cache-dir T/cache`
   (reads data/raw, writes only under T);
2. no change: the same build again without --force, on a copy of data/raw (fingerprints match);
3. one source changed: a blank line appended to one CSV of that copy, then the same build:
   the source's step re-runs, the others come from the cache, the store is re-assembled.
Each runs in a fresh interpreter, so the figures include start-up, as a user would see them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from explorer import paths

CHANGED_SOURCE = "ons_subnational"
CHANGED_FILE = "ons_subnational_indicators/subnational_indicators_machine_readable.csv"
TARGET_FULL_S = 60.0
TARGET_ONE_SOURCE_S = 10.0


def _timed(args: list[str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the child: user + system, all threads, stdout) of one build."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=paths.ROOT, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode:
        raise RuntimeError(f"build failed ({' '.join(args)}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, cpu, done.stdout


def _api_build(root: Path, raw: Path) -> list[str]:
    code = ("from pathlib import Path; from explorer.build import build; "
            f"build(raw_dir=Path({str(raw)!r}), store_link=Path({str(root / 'store')!r}), "
            f"builds_dir=Path({str(root / 'builds')!r}), cache_root=Path({str(root / 'cache')!r}))")
    return ["-c", code]


def run() -> dict:
    root = Path(tempfile.mkdtemp(prefix="explorer-bench-build-"))
    try:
        raw = root / "raw"
        shutil.copytree(paths.RAW_DIR, raw)
        cli = ["-m", "explorer", "build", "--force", "--store", str(root / "store"),
               "--builds-dir", str(root / "builds"), "--cache-dir", str(root / "cache")]
        full_s, full_cpu, full_log = _timed(cli)
        noop_s, noop_cpu, noop_log = _timed(_api_build(root, raw))
        changed = raw / CHANGED_FILE
        changed.chmod(changed.stat().st_mode | stat.S_IWUSR)
        with changed.open("a") as fh:
            fh.write("\n")
        one_s, one_cpu, one_log = _timed(_api_build(root, raw))
        rows = json.loads((root / "store" / paths.MANIFEST).read_text()).get("rows")
        return {"full_s": round(full_s, 2), "noop_s": round(noop_s, 2), "one_source_s": round(one_s, 2),
                "full_cpu_s": round(full_cpu, 2), "noop_cpu_s": round(noop_cpu, 2),
                "one_source_cpu_s": round(one_cpu, 2), "load_average": [round(x, 1) for x in os.getloadavg()],
                "changed_source": CHANGED_SOURCE, "changed_file": CHANGED_FILE, "rows": rows,
                "reran": [s.strip() for s in one_log.splitlines() if s.strip().startswith("rebuilt")],
                "full_summary": full_log.strip().splitlines()[-1] if full_log.strip() else "",
                "noop_summary": noop_log.strip().splitlines()[-1] if noop_log.strip() else "",
                "one_source_summary": one_log.strip().splitlines()[-1] if one_log.strip() else ""}
    finally:
        for path in root.rglob("*"):  # copied raw files are read-only
            if path.is_dir():
                os.chmod(path, 0o755)
        shutil.rmtree(root, ignore_errors=True)


def markdown(result: dict) -> str:
    ok_full = "yes" if result["full_s"] <= TARGET_FULL_S else "**no**"
    ok_one = "yes" if result["one_source_s"] <= TARGET_ONE_SOURCE_S else "**no**"
    return "\n".join([
        "#### Build of the real raw files (on copies; a fresh interpreter each)", "",
        f"Load average {result.get('load_average')} at the end. CPU = user + system time of the build "
        "process (all threads).", "",
        "| build | wall s | CPU s | target s | met (wall) |", "|---|---:|---:|---:|---|",
        f"| full (`python -m explorer build --force`, {result['rows']:,} values) | {result['full_s']} "
        f"| {result.get('full_cpu_s', '–')} | {TARGET_FULL_S:.0f} | {ok_full} |",
        f"| nothing changed | {result['noop_s']} | {result.get('noop_cpu_s', '–')} | – | – |",
        f"| one source changed ({result['changed_source']}: a line added to its CSV) "
        f"| {result['one_source_s']} | {result.get('one_source_cpu_s', '–')} | {TARGET_ONE_SOURCE_S:.0f} "
        f"| {ok_one} |", ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    result = run()
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
