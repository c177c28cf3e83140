"""Explore page data: one period's areas compared with a benchmark, the map layer, the trend.

`explore(store, selection)` returns an `ExploreData` with everything the page draws: one row per
area (value, intervals, count, denominator, status, comparison with the benchmark, quintile,
whether the area has a polygon on the map), the benchmark, the boundary layer that matches the
period's codes, the chosen areas' series over time with breaks and recent-trend labels, and
plain notes. Results are cached per selection (see explorer.queries.memo), so only a first view
of a slice costs Polars work. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from explorer import schema, stats
from explorer.queries.explore_map import best_layer, boundary_layers, geojson
from explorer.queries.explore_options import (
    ENGLAND,
    PARENT_WORDS,
    PARENTS,
    REESTIMATED,
    YEARLY,
    Selection,
    coverage,
    memo,
    names,
)
from explorer.store import Store

# Which row wins when one area has several in a slice: what the producer published first.
STATUS_RANK = {"published": 0, "revised": 0, "provisional": 1, "suppressed": 2, "missing": 3,
               "aggregated": 4, REESTIMATED: 5}
KEEP = ("area_code", "area_type", "period", "period_start", "period_end", "period_type", "value",
        "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998", "count", "denominator", "status",
        "note", "producer", "source_id", "ci_method")


@dataclass
class ExploreData:
    frame: pl.DataFrame                 # one row per area in the chosen period
    benchmark_label: str                # "England", "its ICB" …
    england: dict | None                # the England row used (value, limits, status, producer)
    geojson: dict | None = None
    vintage: str | None = None
    on_map: int = 0                     # areas of the period with a polygon on the map
    trend: pl.DataFrame | None = None   # chosen areas over time
    trend_benchmark: pl.DataFrame | None = None
    breaks: list[dict] = field(default_factory=list)
    trends: dict[str, stats.TrendResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _category_filter(category: str | None) -> pl.Expr:
    return pl.col("category").is_null() if category is None else pl.col("category") == category


def _prefer_published(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    ranked = rows.with_columns(pl.col("status").replace_strict(STATUS_RANK, default=9).alias("_rank"))
    return ranked.sort("_rank").unique(keys, keep="first", maintain_order=True).drop("_rank")


def current_codes(store: Store, area_type: str) -> set[str]:
    """Codes not since replaced by another code (areas.current_code equals the code or is unknown)."""
    def compute() -> set[str]:
        areas = store.areas().filter(pl.col("area_type") == area_type)
        gone = areas.filter(pl.col("current_code").is_not_null() & (pl.col("current_code") != pl.col("area_code")))
        return set(areas["area_code"]) - set(gone["area_code"])
    return memo(store, ("current", area_type), compute)


def period_rows(store: Store, indicator_id: str, area_type: str, producer: str, period: str, sex: str,
                age: str, category: str | None, current: bool) -> pl.DataFrame:
    """One row per area for the slice. As published: re-estimated rows are left out unless the
    period has nothing else; on current boundaries (`current`): the re-estimates plus the
    published rows of areas that still exist."""
    def compute() -> pl.DataFrame:
        rows = store.indicator_slice(indicator_id).filter(
            pl.col("area_type") == area_type, pl.col("producer") == producer, pl.col("period") == period,
            pl.col("sex") == sex, pl.col("age") == age, _category_filter(category)).select(KEEP)
        reest = pl.col("status") == REESTIMATED
        if not current and not rows.filter(~reest).is_empty():
            rows = rows.filter(~reest)
        elif current and not rows.filter(reest).is_empty():
            rows = rows.filter(reest | pl.col("area_code").is_in(list(current_codes(store, area_type))))
        rows = _prefer_published(rows, ["area_code"])
        area_names = names(store, area_type)
        return rows.with_columns(pl.col("area_code").replace_strict(area_names, default=pl.col("area_code"))
                                 .alias("area_name"))
    return memo(store, ("rows", indicator_id, area_type, producer, period, sex, age, category, current), compute)


def england_rows(store: Store, indicator_id: str, producer: str, sex: str, age: str,
                 category: str | None) -> pl.DataFrame:
    """England's value per period: the producer's own, else the store's aggregated (summed) row."""
    def compute() -> pl.DataFrame:
        rows = store.indicator_slice(indicator_id).filter(
            pl.col("area_code") == ENGLAND, pl.col("sex") == sex, pl.col("age") == age,
            _category_filter(category)).select(KEEP)
        rows = rows.filter((pl.col("producer") == producer) | (pl.col("status") == "aggregated"))
        rows = rows.with_columns((pl.col("producer") != producer).alias("_other")).sort("_other")
        rows = _prefer_published(rows.drop("_other"), ["period"]).sort("period_start")
        return rows.with_columns(pl.lit("England").alias("area_name"))
    return memo(store, ("england", indicator_id, producer, sex, age, category), compute)


def parent_rows(store: Store, sel: Selection, period: str | None) -> pl.DataFrame:
    """Values of the parent areas (region / ICB / NHS region) for one period, or all (None)."""
    parent_type, _ = PARENTS[sel.area_type]
    rows = store.indicator_slice(sel.indicator_id).filter(
        pl.col("area_type") == parent_type, pl.col("sex") == sel.sex, pl.col("age") == sel.age,
        _category_filter(sel.category), *([pl.col("period") == period] if period else [])).select(KEEP)
    rows = rows.with_columns((pl.col("producer") != sel.producer).alias("_other")).sort("_other")
    rows = _prefer_published(rows.drop("_other"), ["area_code", "period"])
    parent_names = names(store, parent_type)
    return rows.with_columns(pl.col("area_code").replace_strict(parent_names, default=pl.col("area_code"))
                             .alias("area_name"))


def parent_of(store: Store, area_type: str) -> dict[str, str]:
    """area_code → parent code (region / ICB / NHS region), from the area's latest vintage."""
    def compute() -> dict[str, str]:
        _, column = PARENTS[area_type]
        areas = store.areas().filter(pl.col("area_type") == area_type, pl.col(column).is_not_null())
        latest = areas.sort("vintage").unique("area_code", keep="last")
        return dict(zip(latest["area_code"], latest[column], strict=True))
    return memo(store, ("parent", area_type), compute)


def _with_benchmark(store: Store, sel: Selection, rows: pl.DataFrame, england: dict | None) -> pl.DataFrame:
    if sel.benchmark == "parent":
        parents = parent_rows(store, sel, sel.period).select(
            pl.col("area_code").alias("_parent"), pl.col("value").alias("benchmark_value"),
            pl.col("area_name").alias("benchmark_name"))
        mapping = parent_of(store, sel.area_type)
        rows = rows.with_columns(pl.col("area_code").replace_strict(mapping, default=None).alias("_parent"))
        return rows.join(parents, on="_parent", how="left").drop("_parent")
    value = england["value"] if england else None
    return rows.with_columns(pl.lit(value, pl.Float64).alias("benchmark_value"),
                             pl.lit("England").alias("benchmark_name"))


def _compared(rows: pl.DataFrame, polarity: str | None) -> pl.DataFrame:
    comparison = stats.compare(rows["value"], rows["lower_ci95"], rows["upper_ci95"], rows["benchmark_value"],
                               polarity, rows["lower_ci998"], rows["upper_ci998"])
    quintile = stats.quintiles(rows["value"], polarity)
    return rows.with_columns(comparison.alias("comparison"), quintile.alias("quintile"))


# --- trend --------------------------------------------------------------------------------------
def _reestimated_only_periods(store: Store, sel: Selection) -> set[str]:
    cov = coverage(store, sel.indicator_id).filter(
        pl.col("area_type") == sel.area_type, pl.col("producer") == sel.producer, pl.col("sex") == sel.sex,
        pl.col("age") == sel.age, _category_filter(sel.category))
    by = cov.group_by("period").agg((~pl.col("reestimated")).any().alias("published"))
    return set(by.filter(~pl.col("published"))["period"])


def trend_rows(store: Store, sel: Selection) -> tuple[pl.DataFrame, int]:
    """The chosen areas' series (rows shown under the same re-estimate rule as the map) and how
    many re-estimated points were left out."""
    rows = store.indicator_slice(sel.indicator_id).filter(
        pl.col("area_code").is_in(sel.areas), pl.col("area_type") == sel.area_type,
        pl.col("producer") == sel.producer, pl.col("sex") == sel.sex, pl.col("age") == sel.age,
        _category_filter(sel.category)).select(KEEP)
    hidden = 0
    if not sel.current:
        keep = (pl.col("status") != REESTIMATED) | pl.col("period").is_in(list(_reestimated_only_periods(store, sel)))
        hidden = rows.filter(~keep).height
        rows = rows.filter(keep)
    rows = _prefer_published(rows, ["area_code", "period"])
    order = {c: i for i, c in enumerate(sel.areas)}
    area_names = names(store, sel.area_type)
    rows = rows.with_columns(
        pl.col("area_code").replace_strict(area_names, default=pl.col("area_code")).alias("area_name"),
        pl.col("area_code").replace_strict(order, default=99).alias("_order"))
    return rows.sort("_order", "period_start").drop("_order"), hidden


def series_breaks(store: Store, sel: Selection) -> list[dict]:
    """Breaks in series for the chosen areas (or all areas), with the area named when specific."""
    table = store.table("breaks")
    if table.is_empty():
        return []
    rows = table.filter(pl.col("indicator_id") == sel.indicator_id,
                        pl.col("area_code").is_null() | pl.col("area_code").is_in(sel.areas),
                        pl.col("area_type").is_null() | (pl.col("area_type") == sel.area_type))
    area_names = names(store, sel.area_type)
    out = []
    for row in rows.iter_rows(named=True):
        reason = row["reason"] or "reason not recorded"
        if row["area_code"] and len(sel.areas) > 1:
            reason = f"{area_names.get(row['area_code'], row['area_code'])}: {reason}"
        out.append({"period": row["period"], "reason": reason, "area_code": row["area_code"]})
    return list({(b["period"], b["reason"]): b for b in out}.values())


def recent_trends(rows: pl.DataFrame, sel: Selection, breaks: list[dict]) -> dict[str, stats.TrendResult]:
    """Fingertips' recent-trend marker per chosen area; yearly series only, never across a break."""
    if sel.period_type not in YEARLY:
        return {}
    out = {}
    for code in sel.areas:
        series = rows.filter(pl.col("area_code") == code).sort("period_start")
        if series.is_empty():
            continue
        broken = {b["period"] for b in breaks if b["area_code"] in (None, code)}
        flags = [p in broken for p in series["period"].to_list()]
        years = [d.year for d in series["period_start"].to_list()]
        out[code] = stats.recent_trend(series["value"], series["lower_ci95"], series["upper_ci95"],
                                       sel.indicator.get("polarity"), flags, periods=years)
    return out


# --- the page's data ----------------------------------------------------------------------------
def explore(store: Store, sel: Selection) -> ExploreData:
    """Everything the Explore page draws for this selection."""
    base = memo(store, ("explore", *sel.key), lambda: _period_view(store, sel))
    data = ExploreData(frame=base.frame, benchmark_label=base.benchmark_label, england=base.england,
                       geojson=base.geojson, vintage=base.vintage, on_map=base.on_map, notes=list(base.notes))
    if sel.areas:
        key = ("trend", *sel.key, tuple(sel.areas))
        data.trend, data.trend_benchmark, data.breaks, data.trends, extra = memo(
            store, key, lambda: _trend_view(store, sel))
        data.notes += extra
    return data


def _period_view(store: Store, sel: Selection) -> ExploreData:
    current = sel.current or sel.reestimated_only
    rows = period_rows(store, sel.indicator_id, sel.area_type, sel.producer, sel.period, sel.sex, sel.age,
                       sel.category, current)
    england_all = england_rows(store, sel.indicator_id, sel.producer, sel.sex, sel.age, sel.category)
    match = england_all.filter(pl.col("period") == sel.period)
    england = match.row(0, named=True) if match.height else None
    notes = []
    label = "England"
    if sel.benchmark == "parent" and sel.parent_type:
        label = PARENT_WORDS[sel.parent_type]
    elif england is None:
        notes.append(f"No England value for {sel.period}: areas are not compared with England, so the map "
                     "is coloured by quintile or value instead.")
    elif england["producer"] != sel.producer:
        notes.append(f"The England value ({england['status']}) is {england['producer']}'s, summed from "
                     "its areas, because the producer of these figures publishes none for this period.")
    frame = _compared(_with_benchmark(store, sel, rows, england), sel.indicator.get("polarity"))
    if sel.benchmark == "parent" and frame.height and frame["benchmark_value"].is_null().all():
        notes.append(f"No values for the parent areas ({label.removeprefix('its ')}s) in {sel.period}, so "
                     "areas cannot be compared with them; choose England to compare.")
    vintage, matched = best_layer(store, sel.area_type, frame["area_code"].to_list())
    layer = boundary_layers(store, sel.area_type).get(vintage, set()) if vintage else set()
    frame = frame.with_columns(pl.col("area_code").is_in(list(layer)).alias("on_map"))
    notes += _coverage_notes(sel, frame, vintage, matched)
    return ExploreData(frame=frame, benchmark_label=label, england=england,
                       geojson=geojson(store, sel.area_type, vintage) if vintage else None,
                       vintage=vintage, on_map=matched, notes=notes)


def _coverage_notes(sel: Selection, frame: pl.DataFrame, vintage: str | None, matched: int) -> list[str]:
    from explorer.queries.summary import PLURAL

    kind = PLURAL.get(sel.area_type, schema.AREA_TYPES.get(sel.area_type, sel.area_type))
    notes = []
    if sel.reestimated_only:
        notes.append(f"These values for {kind} are re-estimates: {sel.producer} did not publish this period "
                     "for these areas, so we moved its figures onto these boundaries (status "
                     "“re-estimated”; see About for the method).")
    elif sel.current:
        notes.append("Showing areas on current boundaries: areas that have since merged or split are "
                     "replaced by re-estimates (status “re-estimated”).")
    if frame.height and vintage is None and sel.area_type not in ("england", "country", "trust"):
        notes.append(f"No map boundaries match these {kind} codes; every area is in the chart and table.")
    elif frame.height and sel.area_type == "trust":
        notes.append("NHS trusts are organisations, not areas, so they are not mapped; see the chart and table.")
    elif vintage and matched < frame.height:
        share = matched / frame.height
        tip = (" Switch on “Show on current boundaries” to see re-estimates for the areas that changed."
               if sel.reestimated_offered and not sel.current else "")
        notes.append(f"{matched} of {frame.height} areas ({share:.0%}) have a boundary on the {vintage} map; "
                     f"the other {frame.height - matched} are listed in the table and chart.{tip}")
    return notes


def with_gaps(series: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """`series` plus an empty row for each of `periods` it lacks, so a chart shows a gap there
    instead of a line joining the periods either side."""
    if series.is_empty():
        return series
    missing = periods.unique("period").join(series.select("period"), on="period", how="anti")
    if missing.is_empty():
        return series
    same = [c for c in ("area_code", "area_name", "area_type", "producer") if c in series.columns]
    filler = missing.with_columns(pl.lit(series[c][0]).alias(c) for c in same)
    return pl.concat([series, filler], how="diagonal_relaxed").sort("period_start")


def slice_periods(store: Store, sel: Selection) -> pl.DataFrame:
    """Every period the chosen area type, producer, sex, age and breakdown has."""
    return coverage(store, sel.indicator_id).filter(
        pl.col("area_type") == sel.area_type, pl.col("producer") == sel.producer, pl.col("sex") == sel.sex,
        pl.col("age") == sel.age, _category_filter(sel.category)).select(
        "period", "period_start", "period_end", "period_type").unique("period")


def _trend_view(store: Store, sel: Selection):
    rows, hidden = trend_rows(store, sel)
    breaks = series_breaks(store, sel)
    bench = england_rows(store, sel.indicator_id, sel.producer, sel.sex, sel.age, sel.category)
    if sel.benchmark == "parent" and sel.parent_type:
        mapping = parent_of(store, sel.area_type)
        parents = {mapping.get(c) for c in sel.areas}
        if len(parents) == 1 and None not in parents:
            bench = parent_rows(store, sel, None).filter(pl.col("area_code") == parents.pop()).sort("period_start")
    if rows.height:
        bench = with_gaps(bench, rows.select("period", "period_start", "period_end", "period_type"))
    notes = []
    if hidden:
        notes.append(f"{hidden} earlier value{'s' if hidden != 1 else ''} for the chosen area"
                     f"{'s' if len(sel.areas) != 1 else ''} exist only as re-estimates on current boundaries; "
                     "switch on “Show on current boundaries” to include them.")
    return rows, bench, [{"period": b["period"], "reason": b["reason"]} for b in breaks], \
        recent_trends(rows, sel, breaks), notes


# --- the table (the text alternative for every chart) --------------------------------------------
def _value_text(value: float | None, status: str | None) -> str:
    if status == "suppressed":
        return "*"
    if value is None:
        return "no value"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _status_text(status: str | None, note: str | None) -> str:
    words = {"revised": "revised (changed in a later release)", "re-estimated": "re-estimated on these boundaries",
             "aggregated": "aggregated (summed by us)", "suppressed": "* suppressed", "missing": "not published"}
    text = words.get(status or "", status or "")
    return f"{text}: {note}" if note and status in ("suppressed", "missing", "provisional") else text


def table_frame(sel: Selection, data: ExploreData) -> pl.DataFrame:
    """Rank, area, value ("*" when suppressed), 95% interval, count, denominator, comparison,
    quintile, status with its reason, whether the area is chosen and on the map."""
    from explorer.charts.palette import comparison_legend

    frame = data.frame.sort("value", descending=True, nulls_last=True)
    chosen = set(sel.areas)
    comparison = [comparison_legend(c, data.benchmark_label) for c in frame["comparison"].to_list()]
    return pl.DataFrame({
        "Rank": pl.Series([i + 1 if v is not None else None for i, v in enumerate(frame["value"])],
                          dtype=pl.Int32),
        "Area": frame["area_name"],
        "Code": frame["area_code"],
        "Value": [_value_text(v, s) for v, s in zip(frame["value"], frame["status"], strict=True)],
        "Lower 95% CI": frame["lower_ci95"].round(2),
        "Upper 95% CI": frame["upper_ci95"].round(2),
        "Count": frame["count"],
        "Denominator": frame["denominator"],
        f"Compared with {data.benchmark_label}": comparison,
        "Quintile": frame["quintile"],
        "Status": [_status_text(s, n) for s, n in zip(frame["status"], frame["note"], strict=True)],
        "Chosen": [c in chosen for c in frame["area_code"]],
        "On map": frame["on_map"],
    })
