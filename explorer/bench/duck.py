"""The same page queries in DuckDB, on the same Parquet, replaying the selections that
`explorer.bench.queries` resolved, so each Polars figure has a DuckDB figure beside it.

`python -m explorer.bench.duck --store DIR --replay FILE --out FILE`. One connection (2 threads,
as the target machine has), a view over values.parquet and small tables for area names; results
are fetched as Polars frames, as a page would need them. Each SQL statement returns what the
Polars function returns for that interaction (rows per area for the period, England's series,
the coverage table behind the selectors, the chosen areas' trend), except where a name says
"approximate": the profile (latest value per series, England and the spread of all areas, the
parent's value and the peers' average, read from the same precomputed profile tables the app
reads, without the choice between the kinds an area is, comparisons, ranks or funnel flags; from
every value on stores without those tables) and the search (ILIKE on titles, definitions and
synonyms rather than BM25 with a thesaurus).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import duckdb
import polars as pl

from explorer import paths, profile_tables
from explorer.bench.measure import peak_rss_mb, start_rss_sampler, summary, timed

ENGLAND = "E92000001"
RANK = ("CASE status WHEN 'published' THEN 0 WHEN 'revised' THEN 0 WHEN 'provisional' THEN 1 "
        "WHEN 'suppressed' THEN 2 WHEN 'missing' THEN 3 WHEN 'aggregated' THEN 4 "
        "WHEN 're-estimated' THEN 5 ELSE 9 END")
SLICE = ("indicator_id = $i AND area_type = $at AND producer = $pr AND sex = $sx AND age = $ag "
         "AND category IS NOT DISTINCT FROM $ct")

COVERAGE = """
SELECT area_type, producer, period, period_start, period_end, period_type, sex, age, category,
       status = 're-estimated' AS reestimated, count(*) AS rows, count(value) AS "values",
       count(*) FILTER (WHERE lower_ci95 IS NOT NULL AND upper_ci95 IS NOT NULL) AS intervals,
       count(*) FILTER (WHERE "count" IS NOT NULL AND denominator IS NOT NULL) AS counts
FROM v WHERE indicator_id = $i GROUP BY ALL ORDER BY period_end, period_start"""

PERIOD_ROWS = f"""
WITH s AS (SELECT * FROM v WHERE {SLICE} AND period = $p),
k AS (SELECT * FROM s WHERE $cur OR status <> 're-estimated'
      OR NOT EXISTS (SELECT 1 FROM s WHERE status <> 're-estimated'))
SELECT k.*, coalesce(n.area_name, k.area_code) AS area_name
FROM k LEFT JOIN names n ON n.area_type = k.area_type AND n.area_code = k.area_code
QUALIFY row_number() OVER (PARTITION BY k.area_code ORDER BY {RANK}) = 1"""

ENGLAND_ROWS = f"""
SELECT * FROM v WHERE indicator_id = $i AND area_code = '{ENGLAND}' AND sex = $sx AND age = $ag
  AND category IS NOT DISTINCT FROM $ct AND (producer = $pr OR status = 'aggregated')
QUALIFY row_number() OVER (PARTITION BY period ORDER BY producer <> $pr, {RANK}) = 1
ORDER BY period_start"""

TREND_ROWS = f"""
WITH t AS (SELECT * FROM v WHERE {SLICE} AND list_contains($areas, area_code)
           QUALIFY row_number() OVER (PARTITION BY area_code, period ORDER BY {RANK}) = 1)
SELECT t.*, coalesce(n.area_name, t.area_code) AS area_name
FROM t LEFT JOIN names n USING (area_type, area_code) ORDER BY area_code, period_start"""

PROFILE = f"""
WITH mine AS (SELECT * FROM v WHERE area_code = $code AND value IS NOT NULL),
latest AS (SELECT * FROM mine QUALIFY row_number() OVER (
    PARTITION BY indicator_id, area_type, sex, age, category ORDER BY period_start DESC) = 1),
peers AS (SELECT v.indicator_id, v.area_type, v.sex, v.age, v.category, v.period, v.value FROM v
    JOIN latest l ON v.indicator_id = l.indicator_id AND v.area_type = l.area_type AND v.sex = l.sex
     AND v.age = l.age AND v.category IS NOT DISTINCT FROM l.category AND v.period = l.period
    WHERE v.value IS NOT NULL AND v.status <> 're-estimated'),
spread AS (SELECT indicator_id, area_type, sex, age, category, period, count(*) AS n_areas,
    min(value) AS minimum, quantile_cont(value, 0.25) AS q25, quantile_cont(value, 0.75) AS q75,
    max(value) AS maximum FROM peers GROUP BY ALL),
eng AS (SELECT v.indicator_id, v.sex, v.age, v.category, v.period, v.value AS england_value FROM v
    JOIN latest l ON v.indicator_id = l.indicator_id AND v.sex = l.sex AND v.age = l.age
     AND v.category IS NOT DISTINCT FROM l.category AND v.period = l.period
    WHERE v.area_code = '{ENGLAND}' AND v.area_type = 'england')
SELECT l.*, s.n_areas, s.minimum, s.q25, s.q75, s.maximum, e.england_value
FROM latest l
LEFT JOIN spread s ON s.indicator_id = l.indicator_id AND s.area_type = l.area_type AND s.sex = l.sex
  AND s.age = l.age AND s.category IS NOT DISTINCT FROM l.category AND s.period = l.period
LEFT JOIN eng e ON e.indicator_id = l.indicator_id AND e.sex = l.sex AND e.age = l.age
  AND e.category IS NOT DISTINCT FROM l.category AND e.period = l.period
ORDER BY l.indicator_id"""

# With the store's precomputed profile tables (explorer.profile_tables), the same files the app
# reads: the area's headline rows (pruned by area_code's row-group statistics), latest per
# series, the spread and England tables (loaded once, as the app holds them), the parent's value
# and the peers' average in the same periods. Still approximate: no choice between the kinds an
# area is, no comparisons, intervals, ranks or funnel flags.
PROFILE_TABLES = """
WITH latest AS (SELECT * FROM ph WHERE area_code = $code AND value IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY indicator_id, area_type, sex, age, category
                               ORDER BY period_start DESC) = 1),
parent AS (SELECT indicator_id, sex, age, category, period, last(value ORDER BY period_start) AS parent_value
    FROM ph WHERE area_code = $parent AND area_type = $parent_type GROUP BY ALL),
peers AS (SELECT cell_id, count(*) AS peer_n, avg(value) AS peer_average FROM ph
    WHERE area_code IN ({peers}) AND value IS NOT NULL GROUP BY cell_id)
SELECT l.*, s.n_areas, s.minimum, s.q25, s.q75, s.maximum, e.england_value, p.parent_value, q.peer_n,
       q.peer_average
FROM latest l
LEFT JOIN spread s ON s.indicator_id = l.indicator_id AND s.area_type = l.area_type AND s.sex = l.sex
  AND s.period = l.period
LEFT JOIN england e ON e.indicator_id = l.indicator_id AND e.sex = l.sex AND e.age = l.age
  AND e.category IS NOT DISTINCT FROM l.category AND e.period = l.period
LEFT JOIN parent p ON p.indicator_id = l.indicator_id AND p.sex = l.sex AND p.age = l.age
  AND p.category IS NOT DISTINCT FROM l.category AND p.period = l.period
LEFT JOIN peers q ON q.cell_id = l.cell_id
ORDER BY l.indicator_id"""

DOWNLOAD = """
SELECT * FROM v WHERE indicator_id = $i AND area_type = $at
  AND ($start IS NULL OR period_start >= $start::DATE) AND ($end IS NULL OR period_end <= $end::DATE)
ORDER BY period_start, period_end, area_code, sex, age, category"""
ONE_INDICATOR = "SELECT * FROM v WHERE indicator_id = $i AND area_type = 'utla'"
BY_AREA = "SELECT * FROM v WHERE area_code = $code"


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> pl.DataFrame:
    """Run one statement and hand the result over as a Polars frame (via Arrow). Named parameters
    the statement does not use are dropped (DuckDB refuses extras)."""
    if isinstance(params, dict):
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
    return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())


def connect(store_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    values = (store_dir / paths.VALUES).as_posix()
    con.execute(f"CREATE VIEW v AS SELECT * FROM read_parquet('{values}')")
    areas = (store_dir / "areas.parquet").as_posix()
    # The latest name per (type, code), as explore_options.names keeps it once per process.
    con.execute(f"""CREATE TABLE names AS
                    SELECT area_type, area_code, arg_max(area_name, vintage) AS area_name
                    FROM read_parquet('{areas}') GROUP BY ALL""")
    indicators = (store_dir / "indicators.parquet").as_posix()
    con.execute(f"CREATE TABLE ind AS SELECT * FROM read_parquet('{indicators}')")
    if profile_tables.present(store_dir):
        headline = (store_dir / paths.PROFILE_HEADLINE).as_posix()
        con.execute(f"CREATE VIEW ph AS SELECT * FROM read_parquet('{headline}')")
        for name, file in (("spread", paths.PROFILE_SPREAD), ("england", paths.PROFILE_ENGLAND)):
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{(store_dir / file).as_posix()}')")
    return con


def _slice_params(sel: dict) -> dict:
    return {"i": sel["indicator_id"], "at": sel["area_type"], "pr": sel["producer"], "sx": sel["sex"],
            "ag": sel["age"], "ct": sel["category"]}


def _search(con, query: str):
    words = [w for w in query.lower().replace("&", " ").split() if len(w) > 2]
    if not words:
        return fetch(con, "SELECT indicator_id, title FROM ind ORDER BY title")
    text = "lower(concat_ws(' ', title, short_title, definition, array_to_string(synonyms, ' ')))"
    where = " OR ".join(f"{text} LIKE ${n}" for n in range(1, len(words) + 1))
    return fetch(con, f"SELECT indicator_id, title, topic FROM ind WHERE {where} ORDER BY title",
                 [f"%{w}%" for w in words])


def _download(con, p):
    """The row count and the 100-row preview, as the download page shows them."""
    rows = fetch(con, DOWNLOAD, {"i": p["indicator_id"], "at": p["area_type"], "start": p["start"],
                                 "end": p["end"]})
    return rows.height, rows.head(100)


def _profile(con, p):
    """The profile from the precomputed tables when the store has them (the app's path), else from
    every value (older stores)."""
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'spread'").fetchall()[0][0]
    if not tables or "peers" not in p:
        return fetch(con, PROFILE, {"code": p["area_code"]})
    peers = p["peers"] or [None]
    sql = PROFILE_TABLES.format(peers=", ".join(f"$peer{i}" for i in range(len(peers))))
    return fetch(con, sql, {"code": p["area_code"], "parent": p["parent"], "parent_type": p["parent_type"],
                            **{f"peer{i}": code for i, code in enumerate(peers)}})


# name prefix (as in explorer.bench.queries) → what to run for one replayed selection
def _open(con, sel):
    fetch(con, COVERAGE, {"i": sel["indicator_id"]})
    fetch(con, PERIOD_ROWS, {**_slice_params(sel), "p": sel["period"], "cur": sel["current"]})
    return fetch(con, ENGLAND_ROWS, _slice_params(sel))


def _area(con, sel):
    return fetch(con, TREND_ROWS, {**_slice_params(sel), "areas": sel["areas"]})


def _period(con, sel):
    fetch(con, PERIOD_ROWS, {**_slice_params(sel), "p": sel["period"], "cur": sel["current"]})
    return fetch(con, ENGLAND_ROWS, _slice_params(sel))


RUNNERS = {
    "explore: open an indicator": (_open, ""),
    "explore: choose an area": (_area, ""),
    "explore: change period": (_period, ""),
    "profile: open an area": (_profile, "approximate"),
    "download: change the filter": (_download, ""),
    "catalogue: search": (lambda con, p: _search(con, p["query"]), "approximate"),
    "store: one indicator": (lambda con, p: fetch(con, ONE_INDICATOR, {"i": p["indicator_id"]}), ""),
    "store: one area": (lambda con, p: fetch(con, BY_AREA, {"code": p["area_code"]}), ""),
}


def runner_for(name: str):
    return next(((fn, note) for prefix, (fn, note) in RUNNERS.items() if name.startswith(prefix)), (None, ""))


def run(store_dir: Path, replay: dict[str, list[dict]]) -> dict:
    start_rss_sampler()
    con = connect(store_dir)
    con.execute("SELECT count(*) FROM v").fetchall()  # read the footer once, as Store.open reads the file
    results = []
    for name, selections in replay.items():
        fn, note = runner_for(name)
        if fn is None or not selections:
            continue
        samples = [timed(lambda sel=sel, fn=fn: fn(con, sel))[0] for sel in selections]
        results.append(summary(name, samples, note=note))
    return {"queries": results, "rss_mb": round(peak_rss_mb(), 1), "duckdb": duckdb.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--replay", required=True, help="JSON written by explorer.bench.queries")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    replay = json.loads(Path(args.replay).read_text())["replay"]
    Path(args.out).write_text(json.dumps(run(Path(args.store), replay), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
