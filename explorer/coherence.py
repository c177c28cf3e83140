"""Coherence across producers: the same measure published by more than one organisation (or by
one organisation in two datasets), set side by side where both cover the same areas and periods.

Overlaps are found from the data: an indicator whose values come from more than one
(producer, dataset). For each pair the comparison is made at the finest level both share:

1. the same areas (area type + code, sex, age, category) and the same period;
2. the same areas but never the same period: the nearest periods, no more than about a year
   apart, clearly labelled (differences then include real change over time);
3. no area in common: England as a whole, from each side's England value or, when it publishes
   none, the sum of its areas' counts (proportions and counts only; other value types cannot be
   added up, and the comparison says so).

Disagreement beyond intervals is judged only where both values have a 95% interval (the
intervals do not overlap); where either is missing the share is left empty, never guessed.
Why the figures differ (definition, population base, period, rounding, modelling) is written
per indicator in coherence_reasons.yaml. No Streamlit here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from explorer import schema
from explorer.queries.catalogue import area_names, per_store
from explorer.stats import wilson
from explorer.store import Store

REASONS_PATH = Path(__file__).with_name("coherence_reasons.yaml")
REASON_KINDS = ("definition", "population base", "period", "rounding", "modelling", "geography")
EXCLUDED = ("re-estimated", "missing", "suppressed")   # our moved series and blanks are not evidence
KEY = ["area_type", "area_code", "sex", "age", "category"]
MAX_GAP_DAYS = 400          # "nearest periods" at most about a year apart
SUMMABLE = ("proportion", "count")
# Area types that split England into parts, preferred first, for summing to an England total.
PARTITIONS = ("nhs_region", "region", "icb", "sub_icb", "ccg", "utla", "ltla", "trust")
COLUMNS = ["period", "period_start", "period_end", "value", "lower_ci95", "upper_ci95", "count",
           "denominator", "status", "ci_method"]


@dataclass(frozen=True)
class Publication:
    producer: str
    source_id: str
    title: str
    area_types: tuple[str, ...]
    periods: tuple[str, ...]          # sorted by period start

    @property
    def span(self) -> str:
        return self.periods[0] if len(self.periods) == 1 else f"{self.periods[0]} to {self.periods[-1]}"


@dataclass
class Comparison:
    indicator_id: str
    title: str
    a: Publication
    b: Publication
    level: str                        # "areas" | "england" | "none"
    period_match: str                 # "same" | "nearest" | "none"
    pairs: list[tuple[str, str]]      # (period of a, period of b) compared, latest first
    rows: pl.DataFrame                # one row per area × breakdown × period pair
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    def for_pair(self, pair: tuple[str, str] | None = None) -> pl.DataFrame:
        if self.rows.is_empty():
            return self.rows
        pa, pb = pair or self.pairs[0]
        return self.rows.filter(pl.col("period_a") == pa, pl.col("period_b") == pb)

    def summary(self, pair: tuple[str, str] | None = None) -> dict:
        return summarise(self.for_pair(pair))


# --- reasons --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _reasons_table(path: Path = REASONS_PATH) -> list[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or []


def reasons_for(indicator_id: str) -> dict[str, str]:
    """The recorded reasons the producers' figures differ, by kind (empty if none recorded)."""
    for entry in _reasons_table():
        if indicator_id in entry.get("indicators", []):
            return {k: " ".join(str(v).split()) for k, v in entry.get("reasons", {}).items()}
    return {}


# --- overlaps -------------------------------------------------------------------------------------
def _usable(values: pl.DataFrame) -> pl.DataFrame:
    return values.filter(~pl.col("status").is_in(EXCLUDED), pl.col("value").is_not_null())


@per_store
def publications(store: Store, indicator_id: str) -> list[Publication]:
    """Each (producer, dataset) publishing the indicator; the defining dataset first."""
    values = _usable(store.indicator_slice(indicator_id))
    row = store.indicator(indicator_id) or {}
    sources = store.table("sources")
    titles = ({} if sources.is_empty()
              else dict(sources.group_by("source_id").agg(pl.col("title").first()).iter_rows()))
    groups = values.group_by("producer", "source_id").agg(
        pl.col("area_type").unique().sort(),
        pl.col("period").sort_by("period_start").unique(maintain_order=True))
    pubs = [Publication(r["producer"], r["source_id"], titles.get(r["source_id"], r["source_id"]),
                        tuple(r["area_type"]), tuple(r["period"])) for r in groups.iter_rows(named=True)]
    return sorted(pubs, key=lambda p: (p.source_id != row.get("defined_by"), p.producer, p.source_id))


@per_store
def overlapping_indicators(store: Store) -> list[str]:
    """Indicators with values from more than one (producer, dataset), by title. The catalogue's
    source_ids (gathered from the values at build) name the candidates; each is confirmed on its
    own slice, so no scan of the whole values table is needed."""
    ind = store.indicators().filter(pl.col("source_ids").list.len() > 1).sort("title")
    return [i for i in ind["indicator_id"].to_list() if len(publications(store, i)) > 1]


SHORT_AREA_TYPES = {"trust": "provider", "icb": "ICB", "ccg": "CCG", "sub_icb": "sub-ICB location",
                    "ltla": "district", "utla": "county and unitary authority", "region": "region",
                    "nhs_region": "NHS region", "combined_authority": "combined authority",
                    "country": "country"}


def publisher_label(a: Publication, b: Publication, which: Publication) -> str:
    """"ONS"; or, when both come from one producer, the producer and the areas its dataset covers
    ("NHS England (by provider)")."""
    if a.producer != b.producer:
        return which.producer
    kinds = [SHORT_AREA_TYPES.get(t, t) for t in which.area_types if t != "england"]
    return f"{which.producer} (by {' and '.join(kinds) or 'England'})"


# --- comparison -----------------------------------------------------------------------------------
@per_store
def compare(store: Store, indicator_id: str, source_a: str | None = None,
            source_b: str | None = None) -> Comparison | None:
    """Compare two publications of the indicator (default: the first two), or None if it has
    fewer than two."""
    pubs = {p.source_id: p for p in publications(store, indicator_id)}
    if len(pubs) < 2:
        return None
    order = list(pubs)
    a = pubs.get(source_a) or pubs[order[0]]
    b = pubs.get(source_b) if source_b in pubs and source_b != a.source_id else \
        pubs[next(s for s in order if s != a.source_id)]
    row = store.indicator(indicator_id) or {}
    values = _usable(store.indicator_slice(indicator_id))
    side_a = values.filter(pl.col("source_id") == a.source_id).select(*KEY, *COLUMNS)
    side_b = values.filter(pl.col("source_id") == b.source_id).select(*KEY, *COLUMNS)
    la, lb = publisher_label(a, b, a), publisher_label(a, b, b)
    notes: list[str] = []
    level = "areas"
    if side_a.join(side_b, on=KEY, how="semi", nulls_equal=True).is_empty():
        level = "england"
        notes.append(
            f"{la} publishes {_types(a.area_types)}; {lb} publishes {_types(b.area_types)}. No area "
            "appears in both, so the comparison is made for England as a whole.")
        side_a, how_a = _england(side_a, row)
        side_b, how_b = _england(side_b, row)
        if side_a.is_empty() or side_b.is_empty():
            missing = la if side_a.is_empty() else lb
            notes.append(f"{missing}'s values cannot be added up to an England total "
                         f"({row.get('value_type', 'this value type')}), so the two are not comparable.")
            return Comparison(indicator_id, row.get("title", indicator_id), a, b, "none", "none", [],
                              _empty_rows(), notes, reasons_for(indicator_id))
        notes.append(f"England value for {la}: {how_a}. For {lb}: {how_b}.")
    pairs, period_match, period_note = _period_pairs(side_a, side_b, la, lb, a, b)
    notes.append(period_note)
    if not pairs:
        return Comparison(indicator_id, row.get("title", indicator_id), a, b,
                          "none" if level == "areas" else level, "none", [], _empty_rows(), notes,
                          reasons_for(indicator_id))
    rows = pl.concat([_side_by_side(side_a, side_b, pa, pb) for pa, pb in pairs])
    rows = _with_names(store, rows)
    if level == "areas":
        notes.append(_unmatched_note(side_a, side_b, pairs[0], la, lb))
    notes.append(_interval_note(rows, la, lb))
    return Comparison(indicator_id, row.get("title", indicator_id), a, b, level, period_match, pairs,
                      rows, [n for n in notes if n], reasons_for(indicator_id))


def _types(area_types: tuple[str, ...]) -> str:
    labels = ["England" if t == "england" else SHORT_AREA_TYPES.get(t, t) for t in area_types]
    return (", ".join(labels[:-1]) + " and " if len(labels) > 1 else "") + labels[-1] + " figures"


def _england(side: pl.DataFrame, row: dict) -> tuple[pl.DataFrame, str]:
    """One England value per breakdown and period: the published/stored England value, else the
    sum over one area type that splits England (counts, or count/denominator for proportions)."""
    own = side.filter(pl.col("area_type") == "england")
    if not own.is_empty():
        statuses = set(own["status"].to_list())
        how = ("the store's England total, which we summed from the producer's areas" if statuses == {"aggregated"}
               else "England as published")
        return own, how
    if row.get("value_type") not in SUMMABLE:
        return side.clear(), ""
    held = set(side["area_type"].to_list())
    area_type = next((t for t in PARTITIONS if t in held), None)
    parts = side.filter(pl.col("area_type") == area_type)
    if row.get("value_type") == "proportion":
        parts = parts.filter(pl.col("count").is_not_null(), pl.col("denominator").is_not_null())
    if parts.is_empty():
        return side.clear(), ""
    group = ["sex", "age", "category", "period", "period_start", "period_end"]
    summed = parts.group_by(group).agg(pl.col("count").sum(), pl.col("denominator").sum(),
                                       pl.col("value").sum().alias("_total"), pl.len().alias("_areas"))
    multiplier = float(row.get("multiplier") or 1)
    if row.get("value_type") == "proportion":
        lower, upper = wilson(summed["count"], summed["denominator"])
        summed = summed.with_columns(
            (pl.col("count") / pl.col("denominator") * multiplier).alias("value"),
            (lower * multiplier).alias("lower_ci95"), (upper * multiplier).alias("upper_ci95"),
            pl.lit("recomputed: Wilson score").alias("ci_method"))
    else:
        summed = summed.with_columns(
            pl.col("_total").alias("value"), pl.lit(None, pl.Float64).alias("lower_ci95"),
            pl.lit(None, pl.Float64).alias("upper_ci95"), pl.lit(None, pl.String).alias("ci_method"))
    areas = int(summed["_areas"].max())
    label = schema.AREA_TYPES.get(area_type, area_type).split(" (")[0].lower()
    how = f"the sum of its {areas:,} {label} figures, computed here" + (
        " (total count divided by total denominator)" if row.get("value_type") == "proportion" else "")
    if summed["_areas"].min() < areas:
        how += "; some periods have fewer areas because values are missing"
    out = summed.with_columns(pl.lit("england").alias("area_type"), pl.lit("E92000001").alias("area_code"),
                              pl.lit("computed").alias("status"))
    return out.select(*KEY, *COLUMNS), how


def _period_pairs(side_a: pl.DataFrame, side_b: pl.DataFrame, la: str, lb: str, a: Publication,
                  b: Publication) -> tuple[list[tuple[str, str]], str, str]:
    common = side_a.join(side_b, on=KEY, how="semi", nulls_equal=True)
    pa = common.select("period", "period_start", "period_end").unique()
    pb = side_b.join(side_a, on=KEY, how="semi", nulls_equal=True).select(
        "period", "period_start", "period_end").unique()
    same = pa.join(pb, on="period", how="inner").sort("period_end", descending=True)["period"].to_list()
    if same:
        shown = same[0] if len(same) == 1 else f"{len(same)} periods, {same[-1]} to {same[0]}"
        return [(p, p) for p in same], "same", f"Both publish the same period ({shown}): compared like for like."
    spans = f"{la} holds {a.span}; {lb} holds {b.span}"
    cands = (pa.join(pb, how="cross", suffix="_b")
             .with_columns(
                 (pl.max_horizontal("period_start", "period_start_b") - pl.min_horizontal("period_end", "period_end_b"))
                 .dt.total_days().alias("gap"),
                 pl.max_horizontal("period_end", "period_end_b").alias("_last"))
             .sort(["gap", "_last"], descending=[False, True]))
    if cands.is_empty():
        return [], "none", f"The two never publish the same period ({spans})."
    best = cands.row(0, named=True)
    if best["gap"] > MAX_GAP_DAYS:
        years = best["gap"] / 365.25
        return [], "none", (f"The periods do not overlap ({spans}): the nearest, {best['period']} and "
                            f"{best['period_b']}, are {years:.1f} years apart, too far apart to compare.")
    shared = "; they share part of their time span" if best["gap"] < 0 else ""
    return ([(best["period"], best["period_b"])], "nearest",
            f"The periods differ: the two never publish the same period ({spans}). Shown side by side "
            f"are the nearest periods, {best['period']} and {best['period_b']}{shared}, so the "
            "differences include real change over time, not only differences between producers.")


def _side_by_side(side_a: pl.DataFrame, side_b: pl.DataFrame, pa: str, pb: str) -> pl.DataFrame:
    pick = ["value", "lower_ci95", "upper_ci95", "period", "status", "ci_method"]
    left = side_a.filter(pl.col("period") == pa).select(*KEY, *pick)
    right = side_b.filter(pl.col("period") == pb).select(*KEY, *pick)
    joined = left.join(right, on=KEY, how="inner", suffix="_b", nulls_equal=True).rename(
        {"value": "value_a", "lower_ci95": "lower_a", "upper_ci95": "upper_a", "period": "period_a",
         "status": "status_a", "ci_method": "ci_method_a", "lower_ci95_b": "lower_b",
         "upper_ci95_b": "upper_b"})
    has_ci = pl.all_horizontal(pl.col(c).is_not_null() & pl.col(c).is_not_nan()
                               for c in ("lower_a", "upper_a", "lower_b", "upper_b"))
    apart = (pl.col("lower_a") > pl.col("upper_b")) | (pl.col("lower_b") > pl.col("upper_a"))
    return joined.with_columns(
        (pl.col("value_b") - pl.col("value_a")).alias("difference"),
        pl.when(pl.col("value_a") != 0).then((pl.col("value_b") - pl.col("value_a")) / pl.col("value_a").abs() * 100)
        .alias("relative_difference"),
        pl.when(~has_ci).then(pl.lit("no intervals")).when(apart).then(pl.lit("beyond intervals"))
        .otherwise(pl.lit("within intervals")).alias("intervals"),
    ).select("area_type", "area_code", "sex", "age", "category", "period_a", "period_b", "value_a",
             "lower_a", "upper_a", "status_a", "ci_method_a", "value_b", "lower_b", "upper_b", "status_b",
             "ci_method_b", "difference", "relative_difference", "intervals")


def _with_names(store: Store, rows: pl.DataFrame) -> pl.DataFrame:
    order = {t: i for i, t in enumerate(schema.AREA_TYPES)}
    return (rows.join(area_names(store), on=["area_type", "area_code"], how="left")
            .with_columns(pl.when(pl.col("area_type") == "england").then(pl.lit("England"))
                          .otherwise(pl.col("area_name").fill_null(pl.col("area_code"))).alias("area_name"),
                          pl.col("area_type").replace_strict(order, default=99).alias("_o"))
            .sort("_o", "area_name", "sex").drop("_o"))


def _unmatched_note(side_a: pl.DataFrame, side_b: pl.DataFrame, pair: tuple[str, str], la: str,
                    lb: str) -> str:
    """How many areas (of the area types both publish) only one side has, for the latest pair."""
    shared_types = set(side_a["area_type"].to_list()) & set(side_b["area_type"].to_list())
    keys = ["area_type", "area_code"]
    in_both = pl.col("area_type").is_in(list(shared_types))
    left = side_a.filter(pl.col("period") == pair[0], in_both).select(keys).unique()
    right = side_b.filter(pl.col("period") == pair[1], in_both).select(keys).unique()
    only_a = left.join(right, on=keys, how="anti").height
    only_b = right.join(left, on=keys, how="anti").height
    if not (only_a or only_b):
        return ""
    parts = [f"{n:,} {'area' if n == 1 else 'areas'} only {who} publishes for {period}"
             for n, who, period in ((only_a, la, pair[0]), (only_b, lb, pair[1])) if n]
    return (f"Left out of the comparison: {' and '.join(parts)} (mostly councils merged or recoded "
            "between the two periods).")


def _interval_note(rows: pl.DataFrame, la: str, lb: str) -> str:
    with_ci = rows.filter(pl.col("intervals") != "no intervals").height
    if with_ci == 0:
        a_has = rows["lower_a"].is_not_null().any()
        b_has = rows["lower_b"].is_not_null().any()
        who = ("Neither source publishes" if not (a_has or b_has)
               else f"Only {la if a_has else lb} has")
        return (f"{who} confidence intervals for these values, so we cannot say whether the "
                "differences are beyond random variation; the share of areas that disagree is left blank.")
    if with_ci < rows.height:
        return (f"Intervals exist for {with_ci:,} of {rows.height:,} comparisons; the share that disagree "
                "is of those only.")
    methods = {m for m in rows["ci_method_a"].to_list() + rows["ci_method_b"].to_list() if m}
    how = f" ({'; '.join(sorted(methods))})" if methods else ""
    return (f"A difference counts as beyond the intervals when the two 95% confidence intervals do not "
            f"overlap{how}. Intervals describe random variation only, not differences in definitions, "
            "recording or modelling.")


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema={"area_type": pl.String, "area_code": pl.String, "area_name": pl.String,
                                "sex": pl.String, "age": pl.String, "category": pl.String,
                                "period_a": pl.String, "period_b": pl.String, "value_a": pl.Float64,
                                "value_b": pl.Float64, "lower_a": pl.Float64, "upper_a": pl.Float64,
                                "lower_b": pl.Float64, "upper_b": pl.Float64, "difference": pl.Float64,
                                "relative_difference": pl.Float64, "intervals": pl.String})


def summarise(rows: pl.DataFrame) -> dict:
    """Headline differences (b − a): comparisons, areas, mean and largest differences, relative
    difference, and the share beyond intervals (None when no comparison has both intervals)."""
    if rows.is_empty():
        return {"comparisons": 0, "areas": 0, "mean_difference": None, "mean_abs_difference": None,
                "max_abs_difference": None, "max_area": None, "mean_abs_relative": None,
                "with_intervals": 0, "beyond": 0, "share_beyond": None}
    largest = rows.sort(pl.col("difference").abs(), descending=True, nulls_last=True).row(0, named=True)
    with_ci = rows.filter(pl.col("intervals") != "no intervals")
    beyond = with_ci.filter(pl.col("intervals") == "beyond intervals").height
    return {
        "comparisons": rows.height,
        "areas": rows["area_code"].n_unique(),
        "mean_difference": rows["difference"].mean(),
        "mean_abs_difference": rows["difference"].abs().mean(),
        "max_abs_difference": abs(largest["difference"]) if largest["difference"] is not None else None,
        "max_area": largest["area_name"] if "area_name" in rows.columns else largest["area_code"],
        "mean_abs_relative": rows["relative_difference"].abs().mean(),
        "with_intervals": with_ci.height,
        "beyond": beyond,
        "share_beyond": beyond / with_ci.height if with_ci.height else None,
    }
