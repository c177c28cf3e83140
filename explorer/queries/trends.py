"""Monthly and weekly series for the Trends page: which indicators and areas have one, the series
itself (published values plus honest England, NHS region and ICB totals) and its breaks.

Totals we make ("summed") follow three rules:

* A period is summed only when every constituent area reports a usable value in it. The areas
  expected are all areas of the constituent type in the same boundary vintage as the codes the
  producer used that period (from areas.parquet), so a file that covers only some CCGs never
  becomes an "England" figure.
* Counts and money are added up. Rates and proportions are never added: they are recomputed
  from the summed counts and denominators (and not made at all when those are not published).
* Each summed row says what was summed ("Sum of the 42 ICBs"), and a published total for the
  same area and period always wins over ours.

No Streamlit here. Results are cached per (store, indicator) with functools.lru_cache: stores are
opened once and never mutated, so identity is a safe key.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from explorer import periods
from explorer.forecast import next_starts
from explorer.store import Store

TREND_PERIOD_TYPES = ("month", "week")
ENGLAND = "E92000001"
USABLE = ["published", "revised", "provisional"]
ADDITIVE = {"count", "money"}
RATIOS = {"proportion", "crude rate"}
# target area type -> constituent types tried in order (first one that completes a period wins)
TARGETS = {"england": ("icb", "sub_icb", "ccg", "region"), "nhs_region": ("icb", "sub_icb", "ccg"),
           "icb": ("sub_icb",)}
PARENT = {"england": None, "nhs_region": "parent_nhs_region", "icb": "parent_icb"}
PLURAL = {"icb": "ICBs", "sub_icb": "sub-ICB locations", "ccg": "CCGs", "region": "regions"}
TYPE_ORDER = ("england", "country", "nhs_region", "region", "icb", "sub_icb", "ccg", "trust")
TYPE_WORDS = {"england": "England", "country": "country", "nhs_region": "NHS region", "region": "region",
              "icb": "ICB", "sub_icb": "sub-ICB location", "ccg": "CCG", "trust": "provider"}
# More consecutive missing periods than this is a break (nothing is interpolated across it).
MAX_GAP = {"month": 3, "week": 4}
SERIES_COLUMNS = ["area_code", "area_type", "category", "period", "period_start", "period_end", "value",
                  "count", "denominator", "status", "note", "basis"]


class _StoreKey:
    """Hashable handle on a Store for lru_cache, by identity (stores are never mutated)."""

    __slots__ = ("store",)

    def __init__(self, store: Store):
        self.store = store

    def __hash__(self) -> int:
        return id(self.store)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StoreKey) and other.store is self.store


def trend_indicators(store: Store) -> pl.DataFrame:
    """Catalogue rows of every monthly or weekly indicator, by title."""
    return _trend_indicators(_StoreKey(store))


@lru_cache(maxsize=8)
def _trend_indicators(key: _StoreKey) -> pl.DataFrame:
    return (key.store.indicators().filter(pl.col("period_type").is_in(list(TREND_PERIOD_TYPES)))
            .sort(pl.col("title").str.to_lowercase()))


def series_table(store: Store, indicator_id: str) -> pl.DataFrame:
    """Every area's series of the indicator (persons, all ages): published rows and our totals."""
    return _series_table(_StoreKey(store), indicator_id)


@lru_cache(maxsize=64)
def _series_table(key: _StoreKey, indicator_id: str) -> pl.DataFrame:
    store = key.store
    indicator = store.indicator(indicator_id) or {}
    rows = store.indicator_slice(indicator_id).filter(
        pl.col("sex") == "Persons", pl.col("age") == "All ages",
        pl.col("period_type").is_in(list(TREND_PERIOD_TYPES)))
    native = rows.with_columns(pl.col("source_id").alias("basis")).select(SERIES_COLUMNS)
    summed = _summed(store, rows, indicator)
    if summed.is_empty():
        return native.sort("area_code", "category", "period_start")
    summed = summed.join(native.select("area_code", "category", "period"),
                         on=["area_code", "category", "period"], how="anti", nulls_equal=True)
    return pl.concat([native, summed], how="vertical_relaxed").sort("area_code", "category", "period_start")


def _summed(store: Store, rows: pl.DataFrame, indicator: dict) -> pl.DataFrame:
    value_type = indicator.get("value_type")
    ratio = value_type in RATIOS
    if not (value_type in ADDITIVE or ratio):
        return pl.DataFrame()
    if ratio and rows.filter(pl.col("count").is_not_null() & pl.col("denominator").is_not_null()).is_empty():
        return pl.DataFrame()
    parts = []
    for target_type, constituents in TARGETS.items():
        for rank, ctype in enumerate(constituents):
            part = _sum_up(store.areas(), rows.filter(pl.col("area_type") == ctype), ctype, target_type,
                           ratio, float(indicator.get("multiplier") or 1))
            if not part.is_empty():
                parts.append(part.with_columns(pl.lit(rank).alias("_rank")))
    if not parts:
        return pl.DataFrame()
    best = pl.concat(parts).sort("_rank").unique(["area_code", "category", "period"], keep="first")
    return best.select(SERIES_COLUMNS)


def _sum_up(areas: pl.DataFrame, data: pl.DataFrame, ctype: str, target_type: str, ratio: bool,
            multiplier: float) -> pl.DataFrame:
    """Totals of `ctype` areas into `target_type` areas, for complete periods only."""
    if data.is_empty():
        return pl.DataFrame()
    parent = PARENT[target_type]
    amap = (areas.filter(pl.col("area_type") == ctype)
            .select("area_code", pl.col("vintages").str.split(",").alias("vintage"),
                    (pl.lit(ENGLAND) if parent is None else pl.col(parent)).alias("target"))
            .explode("vintage").unique(["area_code", "vintage"]))
    # The boundary vintage of each period: the latest one that holds every code the producer used.
    codes = data.select("period", "area_code").unique()
    vintage = (codes.join(amap, on="area_code")
               .group_by("period", "vintage").agg(pl.col("area_code").n_unique().alias("k"))
               .join(codes.group_by("period").agg(pl.len().alias("n")), on="period")
               .filter(pl.col("k") == pl.col("n"))
               .group_by("period").agg(pl.col("vintage").max()))
    expected = vintage.join(amap, on="vintage").filter(pl.col("target").is_not_null())
    if expected.is_empty():
        return pl.DataFrame()
    needed = expected.group_by("period", "target").agg(pl.col("area_code").n_unique().alias("expected"))
    usable = pl.col("status").is_in(USABLE) & pl.col("value").is_not_null()
    if ratio:
        usable &= pl.col("count").is_not_null() & pl.col("denominator").is_not_null()
    sums = (data.filter(usable).join(expected.select("period", "area_code", "target"), on=["period", "area_code"])
            .group_by("target", "category", "period")
            .agg(pl.col("area_code").n_unique().alias("reporting"), pl.col("period_start").first(),
                 pl.col("period_end").first(), pl.col("value").sum(), pl.col("count").sum(),
                 pl.col("denominator").sum())
            .join(needed, on=["period", "target"])
            .filter(pl.col("reporting") == pl.col("expected")))
    if sums.is_empty():
        return pl.DataFrame()
    what = (pl.lit("Recomputed from the summed counts and denominators of the ") if ratio
            else pl.lit("Sum of the "))
    return sums.select(
        pl.col("target").alias("area_code"), pl.lit(target_type).alias("area_type"), "category", "period",
        "period_start", "period_end",
        (pl.col("count") / pl.col("denominator") * multiplier).alias("value") if ratio else pl.col("value"),
        pl.col("count") if ratio else pl.lit(None, pl.Float64).alias("count"),
        pl.col("denominator") if ratio else pl.lit(None, pl.Float64).alias("denominator"),
        pl.lit("aggregated").alias("status"),
        pl.concat_str(what, pl.col("reporting").cast(pl.String), pl.lit(f" {PLURAL[ctype]}")).alias("note"),
        pl.lit(f"sum of {ctype}").alias("basis"),
    )


def area_names(store: Store) -> dict[str, str]:
    return _area_names(_StoreKey(store))


@lru_cache(maxsize=8)
def _area_names(key: _StoreKey) -> dict[str, str]:
    areas = key.store.areas().sort("vintage")
    return dict(zip(areas["area_code"].to_list(), areas["area_name"].to_list(), strict=True))


def area_choices(store: Store, indicator_id: str) -> pl.DataFrame:
    """Areas with at least one value: area_code, area_type, label, summed (bool), in display order."""
    return _area_choices(_StoreKey(store), indicator_id)


@lru_cache(maxsize=64)
def _area_choices(key: _StoreKey, indicator_id: str) -> pl.DataFrame:
    names = area_names(key.store)
    table = (series_table(key.store, indicator_id).filter(pl.col("value").is_not_null())
             .group_by("area_code", "area_type")
             .agg((pl.col("status") == "aggregated").all().alias("summed")))
    labels = []
    for code, area_type, summed in table.iter_rows():
        name = names.get(code) or (f"Provider {code}" if area_type == "trust" else code)
        kind = TYPE_WORDS.get(area_type, area_type)
        suffix = "" if area_type == "england" or kind.lower() in name.lower() else f" ({kind})"
        labels.append(name + suffix + (" – our total" if summed else ""))
    order = {t: i for i, t in enumerate(TYPE_ORDER)}
    return (table.with_columns(pl.Series("label", labels, pl.String),
                               pl.col("area_type").replace_strict(order, default=len(order)).alias("_o"))
            .sort("_o", pl.col("label").str.to_lowercase()).drop("_o"))


def categories(store: Store, indicator_id: str, area_code: str) -> list[str | None]:
    """Categories (e.g. A&E department types) the area has, the all-inclusive one first."""
    cats = (series_table(store, indicator_id).filter(pl.col("area_code") == area_code,
                                                     pl.col("value").is_not_null())
            ["category"].unique().to_list())
    return sorted(cats, key=lambda c: (c is not None, not str(c).lower().startswith("all"), str(c)))


def series(store: Store, indicator_id: str, area_code: str, category: str | None) -> pl.DataFrame:
    """One series in time order, observed values only (missing and suppressed periods left out)."""
    return _series(_StoreKey(store), indicator_id, area_code, category)


@lru_cache(maxsize=256)
def _series(key: _StoreKey, indicator_id: str, area_code: str, category: str | None) -> pl.DataFrame:
    table = series_table(key.store, indicator_id)
    return (table.filter(pl.col("area_code") == area_code, pl.col("category").eq_missing(category),
                         pl.col("value").is_not_null())
            .unique("period_start", keep="first").sort("period_start"))


def _to_start(label: str, period_type: str) -> dt.date | None:
    try:
        kind = "week_ending" if label.startswith("w/e") else "month"
        return periods.parse(label.removeprefix("w/e ").strip(), kind).start
    except (periods.PeriodError, ValueError, KeyError):
        return None


def series_breaks(store: Store, indicator_id: str, area_code: str, frame: pl.DataFrame,
                  period_type: str) -> list[dict]:
    """Where the series must not be compared across: definition and boundary breaks (breaks table
    and the catalogue), gaps longer than MAX_GAP periods, and changes of what the figures are
    (published vs our totals). Each: start (first period of the new stretch), period, reason."""
    if frame.is_empty():
        return []
    starts = frame["period_start"].to_list()
    found: list[tuple[dt.date, str]] = []
    table = store.table("breaks")
    if not table.is_empty():
        children = _children(store, area_code)
        mine = table.filter(pl.col("indicator_id") == indicator_id,
                            pl.col("area_code").is_null() | pl.col("area_code").is_in([area_code, *children]))
        found += [(_to_start(p, period_type), r) for p, r in mine.select("period", "reason").iter_rows()]
    for item in (store.indicator(indicator_id) or {}).get("breaks") or []:
        found.append((_to_start(item["period"], period_type), f"definition change: {item.get('reason') or ''}"))
    one, many = ("week", "weeks") if period_type == "week" else ("month", "months")
    basis = frame["basis"].to_list()
    notes = frame["note"].to_list()
    for i in range(1, len(starts)):
        missing = periods_between(starts[i - 1], starts[i], period_type)
        if missing > MAX_GAP[period_type]:
            found.append((starts[i], f"no data for {missing} {one if missing == 1 else many} before this"))
        if basis[i] != basis[i - 1]:
            what = (f"our total ({notes[i][:1].lower() + notes[i][1:]})" if basis[i].startswith("sum of")
                    else "the producer's published figures")
            found.append((starts[i], f"from here the figures are {what}"))
    merged: dict[dt.date, list[str]] = {}
    for start, reason in found:
        if start is None or start <= starts[0] or start > starts[-1]:
            continue
        first = next(s for s in starts if s >= start)  # the first observed period of the new stretch
        reason = reason.strip().rstrip(".")
        merged.setdefault(first, [])
        if reason not in merged[first]:
            merged[first].append(reason)
    labels = dict(zip(starts, frame["period"].to_list(), strict=True))
    return [{"start": s, "period": labels[s], "reason": "; ".join(r)} for s, r in sorted(merged.items())]


def periods_between(earlier: dt.date, later: dt.date, period_type: str) -> int:
    """How many periods are missing between two period starts (0 for neighbours)."""
    if period_type == "week":
        return (later - earlier).days // 7 - 1
    return (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) - 1


def _children(store: Store, area_code: str) -> list[str]:
    """Constituents of an area we total (their boundary breaks are breaks of the total), except
    England, whose boundary never changes."""
    if area_code == ENGLAND:
        return []
    areas = store.areas()
    return areas.filter((pl.col("parent_icb") == area_code) | (pl.col("parent_nhs_region") == area_code)
                        )["area_code"].unique().to_list()


def history(frame: pl.DataFrame, since: dt.date | None, period_type: str) -> tuple[tuple, tuple]:
    """(period starts, values) of every period from `since` (or the first) to the last observed
    one, None where a period has no value: the unbroken stretch a forecast is fitted to."""
    rows = frame if since is None else frame.filter(pl.col("period_start") >= since)
    if rows.is_empty():
        return (), ()
    observed = dict(zip(rows["period_start"].to_list(), rows["value"].to_list(), strict=True))
    first, last = rows["period_start"][0], rows["period_start"][-1]
    grid = [first]
    while grid[-1] < last:
        grid.append(next_starts(grid[-1], period_type, 1)[0])
    return tuple(grid), tuple(observed.get(s) for s in grid)
