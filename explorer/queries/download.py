"""Download page and data API queries: the filter, the rows it selects, the live count, the
preview and the tidy table every export format is written from. No Streamlit here, so the page,
`python -m explorer export`, the Python API and the tests select exactly the same rows.

The rows are the store's own rows (nothing re-estimated or recomputed here) after the shared
disclosure rule (`disclosure_controlled`), sorted the way the store is, with names, titles and
the comparison with England joined on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import polars as pl

from explorer import periods, schema, stats
from explorer.queries.download_spec import (  # noqa: F401  (re-exported: the API's names)
    ALWAYS,
    COLUMN_DESCRIPTIONS,
    COLUMN_GROUPS,
    COLUMN_LABELS,
    DEFAULT_COLUMNS,
    FILTER_PARAMS,
    NO_COLUMNS,
    P_AGES,
    P_AREA_TYPE,
    P_AREAS,
    P_CATEGORIES,
    P_COLUMNS,
    P_FORMAT,
    P_FROM,
    P_INDICATORS,
    P_PRODUCERS,
    P_QUERY,
    P_SEXES,
    P_STATUSES,
    P_TO,
    P_TOPIC,
    age_token,
)
from explorer.queries.memo import memo
from explorer.state import UrlState
from explorer.store import Store

# --- limits -----------------------------------------------------------------------------------
# The page builds a download in memory; beyond these it refuses and points to the command line,
# which streams nothing through the browser. 200,000 rows is about 55 MB of CSV with the default
# columns (95 MB with every column), built in a few seconds.
PAGE_ROW_LIMIT = 200_000
PAGE_ROW_LIMITS = {"xlsx": 50_000}  # Excel is written cell by cell: 22,800 rows took 20 s on a busy 2-core box
EXCEL_ROW_LIMIT = 1_048_576 - 3  # one worksheet, less the title, the guide line and the header


@dataclass(frozen=True)
class Filter:
    """What to download. Empty tuples mean "no restriction"; periods are labels ('2019/20',
    'Apr 2022', '2019'), years or ISO dates, compared with each row's start and end dates."""

    indicators: tuple[str, ...] = ()
    area_type: str | None = None
    areas: tuple[str, ...] = ()
    period_from: str | None = None
    period_to: str | None = None
    sexes: tuple[str, ...] = ()
    ages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    producers: tuple[str, ...] = ()
    columns: tuple[str, ...] = DEFAULT_COLUMNS

    def __post_init__(self) -> None:  # accept lists and single strings from Python callers
        for name in ("indicators", "areas", "sexes", "ages", "categories", "statuses", "producers",
                     "columns"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value or ()))
        unknown = [c for c in self.columns if c not in COLUMN_GROUPS]
        if unknown:
            raise ValueError(f"unknown column group(s) {unknown}; choose from {list(COLUMN_GROUPS)}")

    def rows_key(self) -> Filter:
        """The same filter without the column choice (which does not change the rows)."""
        return replace(self, columns=DEFAULT_COLUMNS)

    def query(self, fmt: str | None = None) -> dict[str, str]:
        """The download page's URL parameters that reopen this filter (defaults left out)."""
        state = UrlState({})
        values = [(P_INDICATORS, list(self.indicators)), (P_PRODUCERS, list(self.producers)),
                  (P_AREA_TYPE, self.area_type), (P_AREAS, list(self.areas)), (P_FROM, self.period_from),
                  (P_TO, self.period_to), (P_SEXES, list(self.sexes)),
                  (P_AGES, [age_token(a) for a in self.ages]), (P_CATEGORIES, list(self.categories)),
                  (P_STATUSES, list(self.statuses)),
                  (P_COLUMNS, [c for c in COLUMN_GROUPS if c in self.columns] or [NO_COLUMNS])]
        if fmt is not None:
            values.append((P_FORMAT, fmt))
        for param, value in values:
            state.params[param.key] = param
            state.set(param.key, value)
        return state.query()

    def columns_out(self) -> list[str]:
        chosen = [c for group, (_label, cols) in COLUMN_GROUPS.items() if group in self.columns for c in cols]
        # The value and its limits sit next to each other; provenance columns go last.
        head = [c for c in ALWAYS if c not in ("status", "note", "producer", "source_id")]
        return head + chosen + ["status", "note", "producer", "source_id"]


# --- small per-store caches -------------------------------------------------------------------
# Selected rows can be large (a whole-store selection is ~370k rows), so only a few are kept;
# the small lookups (names, choices, titles) are kept by the dozen.
_SIZES = {"rows": 4}


def _memo(store: Store, key: tuple, compute: Callable[[], object]) -> object:
    """Cache per store object (the page's store lives for the process; tests open their own)."""
    return memo(store, (f"download-{key[0]}", *key[1:]), compute, size=_SIZES.get(key[0], 64))


# --- periods ----------------------------------------------------------------------------------
def period_bounds(text: str | None) -> tuple[dt.date, dt.date] | None:
    """(first day, last day) of a period given as a label ('2019/20', '2018-20', 'Apr 2022',
    'w/e 2010-01-08', 'mid-2019'), a year ('2019') or an ISO date. ValueError if none fits."""
    if text is None or str(text).strip() == "":
        return None
    s = str(text).strip()
    attempts: list[Callable[[], periods.Period]] = []
    if s.startswith("w/e "):
        attempts.append(lambda: periods.parse(s[4:], "week_ending"))
    if s.startswith("mid-"):
        attempts.append(lambda: periods.parse(s[4:], "mid_year"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        day = periods.parse_date(s)
        return day, day
    pair = re.fullmatch(r"(\d{4})-(\d{2})", s)
    if pair and not 0 < (int(pair.group(2)) - int(pair.group(1))) % 100 <= 10:
        attempts.append(lambda: periods.parse(s, "month"))  # 2022-04 is April 2022, not 2022-2104
    attempts += [lambda: periods.parse(s, "calendar_year") if s.isdigit() and len(s) == 4 else None,
                 lambda: periods.parse(s, "financial_year"), lambda: periods.parse(s, "pooled_years"),
                 lambda: periods.parse(s, "month")]
    for attempt in attempts:
        try:
            found = attempt()
        except (periods.PeriodError, ValueError):
            continue
        if found is not None:
            return found.start, found.end
    raise ValueError(f"{text!r} is not a period: use a label such as 2019/20, 2019, Apr 2022 or an "
                     "ISO date such as 2019-04-01")


# --- rows -------------------------------------------------------------------------------------
def disclosure_controlled(frame: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """The one disclosure rule every table and download goes through: NHS Digital's small-number
    rule (explorer.stats.suppress_small_counts) on the rows of indicators whose catalogue entry
    sets `disclosure_control`, as the store build applies it. Idempotent, so rows that were
    already controlled at build time come out unchanged; row order is kept."""
    if frame.is_empty() or "disclosure_control" not in indicators.columns:
        return frame
    flagged = indicators.filter(pl.col("disclosure_control").fill_null(False))["indicator_id"].to_list()
    if not flagged or not frame.select(pl.col("indicator_id").is_in(flagged).any()).item():
        return frame
    count_valued = indicators.filter(pl.col("value_type") == "count")["indicator_id"].to_list() \
        if "value_type" in indicators.columns else []
    return stats.control_flagged(frame, flagged, count_valued)


def _select(store: Store, f: Filter) -> pl.DataFrame:
    """The store holds values sorted by schema.SORT_KEYS (indicator, period start, area type,
    area, sex, age, breakdown), so slicing the indicators in id order and filtering keeps that
    order without sorting: rows that tie keep the store's own (fixed) order, so the page and the
    command line list them identically."""
    start = period_bounds(f.period_from)
    end = period_bounds(f.period_to)
    frame = store.values(indicator=sorted(set(f.indicators)), area_type=f.area_type,
                         areas=list(f.areas) or None, sex=list(f.sexes) or None, age=list(f.ages) or None,
                         category=list(f.categories) or None, status=list(f.statuses) or None,
                         producer=list(f.producers) or None,
                         period_from=start[0] if start else None, period_to=end[1] if end else None)
    return disclosure_controlled(frame, store.indicators())


def rows(store: Store, f: Filter) -> pl.DataFrame:
    """The store rows the filter selects (store columns), disclosure-controlled, in store order."""
    if not f.indicators:
        return store.values(indicator=[])
    return _memo(store, ("rows", f.rows_key()), lambda: _select(store, f))


def row_count(store: Store, f: Filter) -> int:
    return rows(store, f).height


def row_limit(fmt: str) -> int:
    return PAGE_ROW_LIMITS.get(fmt, PAGE_ROW_LIMIT)


def size_problem(n_rows: int, fmt: str, f: Filter, limit: int | None = None) -> str | None:
    """Why the page will not build this download (None when it will)."""
    limit = row_limit(fmt) if limit is None else limit
    if n_rows <= limit:
        return None
    return (f"This selection has {n_rows:,} rows; the page builds downloads of up to {limit:,} rows "
            f"for this format. Narrow the filter (fewer indicators, areas or periods), or download it "
            f"in full from the command line:\n\n{cli_command(f, fmt)}")


def cli_command(f: Filter, fmt: str = "csv", output: str | None = None) -> str:
    """The `python -m explorer export` command that writes the same file."""
    parts = ["python -m explorer export"]
    parts += [f"--indicator {i}" for i in f.indicators]
    if f.area_type:
        parts.append(f"--area-type {f.area_type}")
    parts += [f"--area {a}" for a in f.areas]
    for flag, value in (("--from", f.period_from), ("--to", f.period_to)):
        if value:
            parts.append(f"{flag} {_shell(value)}")
    for flag, values in (("--sex", f.sexes), ("--age", f.ages), ("--category", f.categories),
                         ("--status", f.statuses), ("--producer", f.producers)):
        parts += [f"{flag} {_shell(v)}" for v in values]
    if set(f.columns) != set(DEFAULT_COLUMNS):
        parts.append(f"--columns {','.join(c for c in COLUMN_GROUPS if c in f.columns) or 'none'}")
    ext = {"fingertips": "csv", "zip": "zip"}.get(fmt, fmt)
    parts += [f"--format {fmt}", f"-o {output or 'data.' + ext}"]
    return " ".join(parts)


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)


# --- the tidy table ---------------------------------------------------------------------------
def area_lookup(store: Store) -> pl.DataFrame:
    """area_code, area_type → latest name and parents (one row per code and type)."""
    def compute() -> pl.DataFrame:
        areas = store.areas()
        if areas.is_empty():
            return pl.DataFrame(schema={"area_code": pl.String, "area_type": pl.String,
                                        "area_name": pl.String})
        parents = [c for c in ("parent_region", "parent_icb", "parent_nhs_region", "parent_utla")
                   if c in areas.columns]
        return (areas.sort("vintage").group_by("area_code", "area_type", maintain_order=True)
                .agg(pl.col("area_name").last(), *[pl.col(c).drop_nulls().last() for c in parents])
                .sort("area_type", "area_code"))
    return _memo(store, ("areas",), compute)


def _name_lookups(store: Store) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(area_code, area_type → name) and (area_code → a name of any type), once per store."""
    def compute() -> tuple[pl.DataFrame, pl.DataFrame]:
        lookup = area_lookup(store).select("area_code", "area_type", "area_name")
        by_code = lookup.group_by("area_code", maintain_order=True).agg(pl.col("area_name").last()
                                                                         .alias("_any_name"))
        return lookup, by_code
    return _memo(store, ("name_lookups",), compute)


def _names(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    lookup, by_code = _name_lookups(store)
    return (frame.join(lookup, on=["area_code", "area_type"], how="left", maintain_order="left")
            .join(by_code, on="area_code", how="left", maintain_order="left")
            .with_columns(pl.coalesce("area_name", "_any_name").alias("area_name")).drop("_any_name"))


COMPARISON_KEYS = ["indicator_id", "producer", "sex", "age", "category"]


def england_values(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    """England's value for each indicator, producer, sex, age, breakdown and period in `frame`,
    chosen exactly as the Explore page chooses it (explorer.queries.explore.england_rows: the
    producer's own England row, else the store's summed one; published before others), for every
    key at once: one read of each indicator's England rows, then a join and a sort."""
    from explorer.queries.explore import ENGLAND, STATUS_RANK

    schema_ = {**{k: pl.String for k in COMPARISON_KEYS}, "period": pl.String, "england_value": pl.Float64}
    keys = frame.select(COMPARISON_KEYS).unique()
    if keys.is_empty():
        return pl.DataFrame(schema=schema_)
    england = pl.concat([store.indicator_slice(i).filter(pl.col("area_code") == ENGLAND)
                        .select(*COMPARISON_KEYS, "period", "status", "value")
                         for i in sorted(keys["indicator_id"].unique().to_list())])
    candidates = keys.join(england.rename({"producer": "_from"}), on=["indicator_id", "sex", "age", "category"],
                           how="inner", nulls_equal=True)
    candidates = candidates.filter((pl.col("_from") == pl.col("producer")) | (pl.col("status") == "aggregated"))
    ranked = candidates.with_columns((pl.col("_from") != pl.col("producer")).alias("_other"),
                                     pl.col("status").replace_strict(STATUS_RANK, default=9).alias("_rank"))
    best = (ranked.sort([*COMPARISON_KEYS, "period", "_other", "_rank", "_from"], nulls_last=True)
            .unique([*COMPARISON_KEYS, "period"], keep="first", maintain_order=True))
    return best.select(*COMPARISON_KEYS, "period", pl.col("value").alias("england_value")).cast(schema_)


def compare_with_england(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    """Add england_value and compared_with_england to store rows, by the Explore page's rule:
    explorer.stats.compare at 95% and 99.8% (Fingertips method 1 with two levels) with the
    indicator's polarity, against England's value from `england_values`."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.Float64).alias("england_value"),
                                  pl.lit(None, pl.String).alias("compared_with_england"))
    benchmark = england_values(store, frame)
    polarity = store.indicators().select("indicator_id", pl.col("polarity").alias("_polarity"))
    out = (frame.join(benchmark, on=[*COMPARISON_KEYS, "period"], how="left", nulls_equal=True,
                      maintain_order="left")
           .join(polarity, on="indicator_id", how="left", maintain_order="left"))
    labels = stats.compare(out["value"], out["lower_ci95"], out["upper_ci95"], out["england_value"],
                           out["_polarity"], out["lower_ci998"], out["upper_ci998"])
    is_england = pl.col("area_type") == "england"
    return out.with_columns(pl.when(is_england).then(None).otherwise(labels).alias("compared_with_england"),
                            pl.when(is_england).then(None).otherwise(pl.col("england_value"))
                            .alias("england_value")).drop("_polarity")


def _source_titles(store: Store) -> pl.DataFrame:
    def compute() -> pl.DataFrame:
        sources = store.table("sources")
        if sources.is_empty():
            return pl.DataFrame(schema={"source_id": pl.String, "source_title": pl.String})
        return (sources.group_by("source_id", maintain_order=True)
                .agg(pl.col("title").first().alias("source_title")))
    return _memo(store, ("source_titles",), compute)


def tidy(store: Store, frame: pl.DataFrame, f: Filter) -> pl.DataFrame:
    """Store rows → the download's tidy columns for the filter's column choice."""
    catalogue = store.indicators().select("indicator_id", pl.col("title").alias("indicator"), "unit")
    out = _names(store, frame.join(catalogue, on="indicator_id", how="left", maintain_order="left"))
    if "comparison" in f.columns:
        out = compare_with_england(store, out)
    if "source" in f.columns:
        out = out.join(_source_titles(store), on="source_id", how="left", maintain_order="left")
    return out.select(f.columns_out())


def table(store: Store, f: Filter, limit: int | None = None) -> pl.DataFrame:
    """The tidy table a download holds (the first `limit` rows for a preview)."""
    selected = rows(store, f)
    return tidy(store, selected.head(limit) if limit is not None else selected, f)


# --- choices for the filter builder -----------------------------------------------------------
@dataclass
class Choices:
    area_types: list[str] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)  # code → name, for the chosen area type
    periods: list[str] = field(default_factory=list)  # labels, earliest first
    sexes: list[str] = field(default_factory=list)
    ages: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    producers: list[str] = field(default_factory=list)


def choices(store: Store, indicator_ids: Iterable[str], area_type: str | None = None) -> Choices:
    """What the filter builder can offer for these indicators (and area type)."""
    ids = tuple(indicator_ids)
    if not ids:
        return Choices()

    def compute() -> Choices:
        values = store.values(indicator=list(ids))
        scoped = values.filter(pl.col("area_type") == area_type) if area_type else values
        type_order = list(schema.AREA_TYPES)
        found = set(values["area_type"].unique().to_list())
        areas: dict[str, str] = {}
        if area_type:
            codes = scoped.select("area_code", "area_type").unique()
            named = _names(store, codes).sort(pl.col("area_name").fill_null(pl.col("area_code")), "area_code")
            areas = {r["area_code"]: r["area_name"] or r["area_code"] for r in named.iter_rows(named=True)}
        spans = (scoped.group_by("period").agg(pl.col("period_start").min(), pl.col("period_end").max())
                 .sort("period_start", "period_end", "period"))
        status_order = list(schema.STATUSES)
        return Choices(
            area_types=[t for t in type_order if t in found] + sorted(found - set(type_order)),
            areas=areas,
            periods=spans["period"].to_list(),
            sexes=[s for s in schema.SEXES if s in set(scoped["sex"].unique().to_list())],
            ages=_age_sorted(scoped["age"].drop_nulls().unique().to_list()),
            categories=sorted(scoped["category"].drop_nulls().unique().to_list()),
            statuses=sorted(scoped["status"].drop_nulls().unique().to_list(),
                            key=lambda s: status_order.index(s) if s in status_order else 99),
            producers=sorted(values["producer"].drop_nulls().unique().to_list()),
        )
    return _memo(store, ("choices", ids, area_type), compute)


def _age_sorted(ages: list[str]) -> list[str]:
    def key(age: str) -> tuple:
        if age == schema.ALL_AGES:
            return (0, 0, age)
        digits = "".join(ch if ch.isdigit() else " " for ch in age).split()
        return (1, int(digits[0]) if digits else 999, age)
    return sorted(ages, key=key)
