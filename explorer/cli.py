"""Command line: `python -m explorer build|validate|info|ensure`.

Other commands (export, search) register themselves in COMMANDS from their own modules so this
file stays a thin dispatcher.
"""

from __future__ import annotations

import argparse
import sys

from explorer import paths


def cmd_build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from explorer.build import BUILDS_DIR, CACHE_ROOT, build
    from explorer.sources.base import SourceError

    try:
        build(force=args.force, only=args.source or None,
              store_link=Path(args.store) if args.store else paths.STORE_DIR,
              builds_dir=Path(args.builds_dir) if args.builds_dir else BUILDS_DIR,
              cache_root=Path(args.cache_dir) if args.cache_dir else CACHE_ROOT)
    except SourceError as exc:
        print(f"build stopped: {exc}\nThe previous store (if any) is unchanged.", file=sys.stderr)
        return 2
    return 0


def cmd_ensure(args: argparse.Namespace) -> int:
    """Build only when the store is missing or stale (used by `make run`)."""
    from explorer.build import is_stale

    if is_stale():
        print("The store is missing or out of date: building it from data/raw …", flush=True)
        return cmd_build(argparse.Namespace(force=False, source=None, store=None, builds_dir=None,
                                            cache_dir=None))
    print("The store is up to date.")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from explorer.validate import validate

    report = validate(args.store or paths.STORE_DIR)
    print(report.text())
    return 0 if report.ok else 1


def cmd_info(args: argparse.Namespace) -> int:
    import polars as pl

    from explorer.store import Store

    store = Store.open(args.store)
    sources = store.table("sources")
    print(f"store: {store.path}\nvalues: {store.height:,}\n"
          f"indicators: {store.indicators().height}\nareas: {store.areas().height:,}")
    totals = (sources.group_by("source_id", "producer")
              .agg(pl.col("rows_read", "rows_loaded", "rows_rejected").sum()).sort("source_id"))
    with pl.Config(tbl_rows=100, tbl_cols=12, fmt_str_lengths=60, tbl_width_chars=160):
        print(totals)
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m explorer", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the store from data/raw (incremental, atomic)")
    b.add_argument("--force", action="store_true", help="re-run every source step")
    b.add_argument("--source", action="append", help="re-run only this source (repeatable)")
    b.add_argument("--store", help="store symlink to switch (default data/store)")
    b.add_argument("--builds-dir", help="where builds are written (default data/builds)")
    b.add_argument("--cache-dir", help="per-source cache (default data/.build-cache)")
    b.set_defaults(func=cmd_build)
    e = sub.add_parser("ensure", help="build the store only if it is missing or stale")
    e.set_defaults(func=cmd_ensure)
    v = sub.add_parser("validate", help="schema and consistency checks on the built store")
    v.add_argument("--store", help="store directory (default data/store)")
    v.set_defaults(func=cmd_validate)
    i = sub.add_parser("info", help="what the store holds, per source")
    i.add_argument("--store")
    i.set_defaults(func=cmd_info)
    for register in _extensions():
        register(sub)
    return ap


def _extensions():
    """Subcommands defined beside the modules they serve (export, search …)."""
    found = []
    for name in ("explorer.export_cli", "explorer.search_cli"):
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError:
            continue
        found.append(module.register)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
