"""What travels with every download: definitions of its indicators, the producer, source and
licence of its rows, attribution, a citation line, the retrieval time and a link that reopens
the same filter on the download page. Deterministic for a given filter, store and retrieval
time, so the page and the command line write identical files."""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import urlencode

import polars as pl

from explorer.queries import download as dq
from explorer.store import Store

APP_NAME = "Health statistics explorer for England"
# Links in files point here; set EXPLORER_BASE_URL where the app is published.
DEFAULT_BASE_URL = os.environ.get("EXPLORER_BASE_URL", "http://localhost:8501")
ATTRIBUTION = ("Contains public sector information licensed under the Open Government Licence v3.0. "
               "House of Commons Library data are used under the Open Parliament Licence v3.0. "
               "OpenPrescribing data: NHSBSA prescribing data (OGL) processed by the Bennett Institute "
               "for Applied Data Science.")
MARKERS = {
    "[c]": "confidential: withheld to protect confidentiality (counts of 1 to 7 and values derived from them)",
    "[x]": "not available: the producer published no figure, or the explorer holds none",
    "[z]": "not applicable: e.g. no breakdown, no note, or England compared with itself",
}
DISCLOSURE_NOTE = ("Disclosure control (NHS Digital's rule for record-level statistics): for indicators "
                   "flagged for it, counts of 1 to 7 are suppressed with every value derived from them, "
                   "and other counts are rounded to the nearest 5. The same rule is applied on screen.")
COMPARISON_NOTE = ("Comparison with England follows Fingertips (method 1, two confidence levels), as on the "
                   "Explore page: 'similar' when England's value lies inside the area's 95% confidence "
                   "interval; 'better' or 'worse' when it lies outside (by the indicator's polarity; "
                   "'higher'/'lower' when higher is neither better nor worse); 'best'/'worst' when it lies "
                   "outside the 99.8% interval too; 'not compared' when an interval or England's value is "
                   "missing. England's value is the producer's own for the same indicator, period, sex, "
                   "age and breakdown, else the explorer's sum of areas.")


def retrieval_time(retrieved: dt.datetime | None = None) -> dt.datetime:
    """UTC, whole seconds (injectable so tests and the command line can reproduce a file)."""
    moment = retrieved or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def link(f: dq.Filter, fmt: str | None = None, base_url: str | None = None) -> str:
    query = f.query(fmt)
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/download" + (f"?{urlencode(query)}" if query else "")


def _indicators(store: Store, ids: list[str]) -> list[dict]:
    fields = ["indicator_id", "title", "definition", "unit", "value_type", "polarity", "method",
              "caveats", "topic", "fingertips_id", "licence", "disclosure_control"]
    catalogue = store.indicators()
    rows = catalogue.filter(pl.col("indicator_id").is_in(ids)).select(
        [c for c in fields if c in catalogue.columns]).to_dicts()
    order = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda r: order.get(r["indicator_id"], 0))


def _sources(store: Store, frame: pl.DataFrame) -> list[dict]:
    if frame.is_empty():
        return []
    used = frame.select("producer", "source_id").unique().sort("producer", "source_id")
    files = store.table("sources")
    out = []
    for producer, source_id in used.iter_rows():
        mine = files.filter(pl.col("source_id") == source_id) if not files.is_empty() else files
        dates = [d for d in (mine["release_date"].to_list() if mine.height else []) if d]
        out.append({
            "producer": producer,
            "source_id": source_id,
            "title": mine["title"][0] if mine.height else None,
            "latest_release_date": max(dates).isoformat() if dates else None,
            "licence": mine["licence"][0] if mine.height else None,
            "files": sorted(set(mine["file"].to_list())) if mine.height else [],
        })
    return out


def citation(producers: list[str], titles: list[str], moment: dt.datetime, url: str) -> str:
    shown = "; ".join(titles[:3]) + (f"; and {len(titles) - 3} more indicators" if len(titles) > 3 else "")
    who = ", ".join(producers) or "the producers named in the sources"
    return (f"{who}. {shown}. {APP_NAME}, retrieved {moment:%d %B %Y} ({iso(moment)}) from {url}. "
            "Open Government Licence v3.0 unless stated otherwise in the sources.")


def build(store: Store, f: dq.Filter, frame: pl.DataFrame, fmt: str, retrieved: dt.datetime,
          base_url: str | None = None, columns: list[str] | None = None) -> dict:
    """The metadata of a download of `frame` (store rows the filter selected)."""
    moment = retrieval_time(retrieved)
    url = link(f, fmt, base_url)
    indicators = _indicators(store, list(f.indicators))
    sources = _sources(store, frame)
    producers = sorted({s["producer"] for s in sources})
    licences = sorted({x for x in [*(i.get("licence") for i in indicators), *(s["licence"] for s in sources)]
                       if x})
    flagged = [i["indicator_id"] for i in indicators if i.get("disclosure_control")]
    names = columns or f.columns_out()
    return {
        "title": f"{APP_NAME}: data download",
        "retrieved": iso(moment),
        "link": url,
        "citation": citation(producers, [i["title"] for i in indicators], moment, url),
        "licences": licences,
        "attribution": ATTRIBUTION,
        "command": dq.cli_command(f, fmt),
        "format": fmt,
        "rows": frame.height,
        "filter": {"indicators": list(f.indicators), "area_type": f.area_type, "areas": list(f.areas),
                   "period_from": f.period_from, "period_to": f.period_to, "sexes": list(f.sexes),
                   "ages": list(f.ages), "categories": list(f.categories), "statuses": list(f.statuses),
                   "producers": list(f.producers), "columns": list(f.columns)},
        "columns": [{"name": c, "description": dq.COLUMN_DESCRIPTIONS.get(c, "")} for c in names],
        "indicators": indicators,
        "sources": sources,
        "disclosure_control": {"rule": DISCLOSURE_NOTE, "indicators_controlled": flagged},
        "comparison_method": COMPARISON_NOTE if "comparison" in f.columns else None,
        "store": {"built_at": store.manifest.get("built_at"), "fingerprint": store.manifest.get("fingerprint")},
    }


def readme(meta: dict, data_file: str = "data.csv") -> str:
    """The README.txt beside data.csv in the zip: the metadata for people."""
    lines = [meta["title"], "=" * len(meta["title"]), "",
             f"{data_file}: {meta['rows']:,} rows, one header row, UTF-8, dates as YYYY-MM-DD.",
             "metadata.json: the same information as this file, for programs.", "",
             f"Retrieved: {meta['retrieved']}", f"Reopen this selection: {meta['link']}",
             f"Same file from the command line: {meta['command']}", "",
             "Cite as:", meta["citation"], "", "Licence and attribution:", meta["attribution"], "",
             "Indicators", "----------"]
    for ind in meta["indicators"]:
        lines += [f"{ind['title']} ({ind['indicator_id']}, unit {ind['unit']})", f"  {ind['definition']}"]
        if ind.get("caveats"):
            lines.append(f"  Caveats: {' '.join(str(ind['caveats']).split())}")
    lines += ["", "Sources", "-------"]
    for src in meta["sources"]:
        released = f", latest release {src['latest_release_date']}" if src["latest_release_date"] else ""
        lines.append(f"{src['producer']}: {src['title']} [{src['source_id']}]{released}; {src['licence']}")
    lines += ["", "Columns", "-------"]
    lines += [f"{c['name']}: {c['description']}" for c in meta["columns"]]
    lines += ["", "Methods", "-------", meta["disclosure_control"]["rule"]]
    if meta.get("comparison_method"):
        lines.append(meta["comparison_method"])
    lines += ["Text cells beginning with = + - @, a tab or a carriage return are prefixed with a single quote "
              "(') in CSV files so that spreadsheet programs never run them as formulas."]
    return "\n".join(lines) + "\n"
