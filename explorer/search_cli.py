"""`python -m explorer search "QUERY"`: the catalogue search from the command line.

The ranking is explorer.search.search, the same the app's search box uses. It reads the built
store's catalogue (indicators.parquet, read on its own so a search does not load every value);
with no store built yet it falls back to the definitions in the source YAML files, which know
each indicator's defining producer but not its coverage, and says so on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import polars as pl
import yaml

from explorer import catalogue, paths, search
from explorer.sources.base import SourceError, load_meta


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="search the indicator catalogue in plain words")
    p.add_argument("query", nargs="*", help='words to search for, e.g. "blood pressure" (none: list all)')
    p.add_argument("--json", action="store_true", help="print a JSON list of "
                   "{indicator_id, title, producers, score}")
    p.add_argument("--limit", type=int, default=20, help="at most this many matches (default 20)")
    p.add_argument("--topic", action="append", help="only this topic id (repeatable)")
    p.add_argument("--producer", action="append", help="only indicators published by this producer, "
                   "whole words, any case (repeatable)")
    p.add_argument("--store", help="store directory (default data/store)")
    p.set_defaults(func=cmd_search)


def definitions_from_sources(sources_dir: Path = paths.SOURCES_DIR) -> tuple[pl.DataFrame, list[str]]:
    """Catalogue definitions from every source YAML, with `producers` set to the defining source's
    producer, plus a note per side file that could not be read (it is left out, not fatal: a search
    should still work while one source's YAML is being edited)."""
    frames, problems = [], []
    for path in sorted(Path(sources_dir).glob("*.yaml")):
        try:
            meta = load_meta(path)
            defs = catalogue.definitions([meta])
        except (SourceError, catalogue.CatalogueError, yaml.YAMLError, KeyError, TypeError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        frames.append(defs.with_columns(pl.lit([meta["producer"]], pl.List(pl.String)).alias("producers")))
    if not frames:
        return pl.DataFrame(schema={**catalogue.DEFINITION_SCHEMA, "producers": pl.List(pl.String)}), problems
    return pl.concat(frames).unique("indicator_id", keep="first", maintain_order=True), problems


def load_catalogue(store: str | Path | None = None) -> tuple[pl.DataFrame, list[str]]:
    """The built store's catalogue, else the source definitions; with notes for stderr."""
    root = Path(store) if store else paths.STORE_DIR
    if (root / paths.INDICATORS).exists():
        return pl.read_parquet(root / paths.INDICATORS), []
    frame, problems = definitions_from_sources()
    return frame, [f"no built store at {root}: searching the indicator definitions in the source "
                   "YAML files (producers are the defining source's; no coverage). "
                   "Run `python -m explorer build` for the full catalogue.", *problems]


def cmd_search(args: argparse.Namespace) -> int:
    frame, notes = load_catalogue(args.store)
    for note in notes:
        print(note, file=sys.stderr)
    query = " ".join(args.query)
    try:
        found = search.search(frame, query, limit=args.limit, topic=args.topic, producer=args.producer)
    except ValueError as exc:
        print(f"search: {exc}", file=sys.stderr)
        return 2
    if args.json:
        rows = found.select("indicator_id", "title", "producers", "score").to_dicts()
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if found.is_empty():
        print(f"no indicators match {query!r}", file=sys.stderr)
        return 1
    width = max(len(i) for i in found["indicator_id"])
    for row in found.iter_rows(named=True):
        producers = ", ".join(row["producers"] or [])
        why = f"  ({row['matched']})" if row["matched"] else ""
        score = f"{row['score']:7.2f}  " if search.words(query) else ""   # browsing: no scores
        print(f"{score}{row['indicator_id']:<{width}}  {row['title']}"
              f"{f'  [{producers}]' if producers else ''}{why}")
    return 0
