"""`python -m explorer export`: the download page's filters and files from the command line.

    python -m explorer export --indicator diabetes-recorded-prevalence --area-type ccg \\
        --from 2019/20 --to 2019/20 --format xlsx -o diabetes.xlsx

Same filters, same rows and (given the same --retrieved time) the same bytes as the page. No
size limit beyond the format's own (one Excel worksheet): this is the route for bulk downloads.
CSV and Fingertips CSV get `<file>.metadata.json` beside them (definitions, sources, licence,
citation, link back to the page) unless --no-metadata.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def _retrieved(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time such as 2025-01-31T12:00:00Z") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _columns(text: str) -> tuple[str, ...]:
    from explorer.queries.download import COLUMN_GROUPS

    if text in ("all", "none"):
        return tuple(COLUMN_GROUPS) if text == "all" else ()
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in chosen if c not in COLUMN_GROUPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown column group(s) {unknown}; choose from "
                                         f"{', '.join(COLUMN_GROUPS)}, or all / none")
    return chosen


def register(subparsers) -> None:
    from explorer.export import FORMATS
    from explorer.queries.download import DEFAULT_COLUMNS

    p = subparsers.add_parser("export", help="write filtered data as csv, xlsx, parquet, json or a "
                              "Fingertips-style csv (the download page's files)",
                              description=__doc__.split("\n\n")[0],
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--indicator", action="append", required=True, metavar="ID",
                   help="indicator id (repeatable); `python -m explorer search WORDS` finds ids")
    p.add_argument("--area-type", metavar="T", help="england, region, icb, sub_icb, ccg, utla, ltla, trust …")
    p.add_argument("--area", action="append", default=[], metavar="CODE", help="area code (repeatable)")
    p.add_argument("--from", dest="period_from", metavar="PERIOD",
                   help="earliest period: a label (2019/20, Apr 2022), a year or an ISO date")
    p.add_argument("--to", dest="period_to", metavar="PERIOD", help="latest period, as --from")
    for flag, name in (("--sex", "sex"), ("--age", "age band"), ("--category", "breakdown"),
                       ("--status", "status"), ("--producer", "producer")):
        p.add_argument(flag, action="append", default=[], metavar="VALUE", help=f"{name} (repeatable)")
    p.add_argument("--columns", type=_columns, default=DEFAULT_COLUMNS, metavar="GROUPS",
                   help="optional column groups, comma-separated, or all / none (default: "
                        f"{','.join(DEFAULT_COLUMNS)})")
    p.add_argument("--format", choices=list(FORMATS), default="csv")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write ('-' = standard output)")
    p.add_argument("--retrieved", type=_retrieved, metavar="TIME",
                   help="retrieval time to record (ISO, UTC); default now. Fixes the bytes for reproducible files")
    p.add_argument("--base-url", metavar="URL", help="address of the app for the link back "
                   "(default $EXPLORER_BASE_URL or http://localhost:8501)")
    p.add_argument("--no-metadata", action="store_true", help="no .metadata.json beside csv/fingertips files")
    p.add_argument("--store", help="store directory (default data/store)")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from explorer import export
    from explorer.queries.download import choices
    from explorer.store import Store, StoreMissing

    try:
        store = Store.open(args.store)
    except StoreMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    known = set(store.indicators()["indicator_id"].to_list())
    unknown = [i for i in args.indicator if i not in known]
    if unknown:
        print(f"unknown indicator(s): {', '.join(unknown)}. Find ids with `python -m explorer search WORDS`.",
              file=sys.stderr)
        return 2
    if args.area_type and args.area_type not in choices(store, args.indicator).area_types:
        print(f"no values for area type {args.area_type!r} for these indicators; they have "
              f"{', '.join(choices(store, args.indicator).area_types)}", file=sys.stderr)
        return 2
    try:
        f = export.Filter(indicators=args.indicator, area_type=args.area_type, areas=args.area,
                          period_from=args.period_from, period_to=args.period_to, sexes=args.sex,
                          ages=args.age, categories=args.category, statuses=args.status,
                          producers=args.producer, columns=args.columns)
        if args.output == "-":
            sys.stdout.buffer.write(export.export(store, f, args.format, args.retrieved, args.base_url))
            return 0
        written = export.write(store, f, args.format, args.output, args.retrieved, args.base_url,
                               sidecar=not args.no_metadata)
    except export.ExportTooLarge as exc:
        print(exc, file=sys.stderr)
        return 3
    except ValueError as exc:  # a period that does not parse, an unknown column group …
        print(exc, file=sys.stderr)
        return 2
    n = export.row_count(store, f)
    print(f"{n:,} rows → " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0
