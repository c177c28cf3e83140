"""The release calendar: per source, the latest period published and when, the next release to
expect, and what changed between releases (revisions). No Streamlit here.

Release dates come from sources.parquet (the YAML `releases:` of each source). Many are not
stated: then the calendar says so and estimates when the latest period was published from the
end of that period plus a lag, labelled as an estimate. The lag is the source's own, measured
from its dated releases, where it has any; otherwise a typical lag for its frequency.
The next release is one step of the source's stated `frequency` (annual, monthly, weekly) after
the latest release; "one-off" sources expect none.
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from explorer import stats
from explorer.queries.catalogue import area_names, per_store, source_metas
from explorer.store import Store

NOT_STATED = "release date not stated"
# Typical time from the end of a period to its publication, used only when a source states no
# release date at all. Weekly: ONS published provisional weekly deaths 11 days after the week
# ended (the Tuesday of the week after next). Monthly and annual: rough typical lags for NHS
# and ONS statistics (monthly NHS activity data about six weeks; annual about seven months).
TYPICAL_LAG_DAYS = {"weekly": 11, "monthly": 42, "annual": 210}
FREQUENCY_WORDS = {"annual": "every year", "monthly": "every month", "weekly": "every week",
                   "one-off": "one-off (no further release planned)"}


# --- metadata -------------------------------------------------------------------------------------
def source_metadata() -> dict[str, dict]:
    """source_id → producer, title, url, frequency from each source's YAML side file."""
    return {m["id"]: {"producer": m.get("producer"), "title": m.get("title"), "url": m.get("url"),
                      "frequency": str(m.get("frequency") or "not stated")} for m in source_metas()}


def add_step(day: dt.date, frequency: str, steps: int = 1) -> dt.date | None:
    """`day` moved on by `steps` of the frequency (months clamp to the month's last day)."""
    if frequency == "weekly":
        return day + dt.timedelta(weeks=steps)
    months = {"monthly": 1, "annual": 12}.get(frequency)
    if months is None:
        return None
    index = day.year * 12 + day.month - 1 + months * steps
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def release_name(release: str | None) -> str:
    """'nhsd_qof_ccg/qof-1920-prev-ach-pca-ccg.xlsx#DM' → 'qof-1920-prev-ach-pca-ccg.xlsx'."""
    return (release or "").split("#")[0].rsplit("/", 1)[-1]


# --- per release file -----------------------------------------------------------------------------
@per_store
def release_files(store: Store) -> pl.DataFrame:
    """One row per source file (release): source, file, release date, latest period it carries."""
    # Grouping by period_end first (a date) is several times faster than by the period label.
    per_end = (store.scan().group_by("source_id", "release", "period_end")
               .agg(pl.col("period").first(), pl.len().alias("values"))
               .filter(~pl.col("release").str.starts_with("re-estimated")).collect(engine="streaming"))
    spans = per_end.sort("period_end").group_by("source_id", "release").agg(
        pl.col("period").last().alias("latest_period"), pl.col("period_end").last().alias("latest_end"),
        pl.col("values").sum())
    sources = store.table("sources")
    if sources.is_empty():
        return spans.with_columns(pl.lit(None, pl.Date).alias("release_date"))
    dates = (sources.with_columns(pl.col("file").str.split("#").list.first().alias("release"))
             .group_by("source_id", "release").agg(pl.col("release_date").max()))
    return spans.join(dates, on=["source_id", "release"], how="left").sort("source_id", "latest_end")


def _lag_days(files: pl.DataFrame, frequency: str) -> tuple[int | None, str]:
    """The source's own median lag from period end to release, else the typical one."""
    dated = files.filter(pl.col("release_date").is_not_null())
    if not dated.is_empty():
        lags = (dated["release_date"] - dated["latest_end"]).dt.total_days()
        lag = int(lags.median())
        return lag, f"this source's usual lag, {_weeks(lag)}, measured from its dated releases"
    lag = TYPICAL_LAG_DAYS.get(frequency)
    if lag is None:
        return None, ""
    return lag, f"a typical lag for {frequency} statistics of {_weeks(lag)}"


def _weeks(days: int) -> str:
    if days < 21:
        return f"{days} days"
    if days < 90:
        return f"about {round(days / 7)} weeks"
    return f"about {round(days / 30.4)} months"


# --- the calendar ---------------------------------------------------------------------------------
@per_store
def release_calendar(store: Store, today: dt.date) -> pl.DataFrame:
    """One row per source: latest period and when it was published, the next expected release
    (and how that was worked out), and whether it is probably out already."""
    files = release_files(store)
    metas = source_metadata()
    rows = []
    for source_id in sorted(files["source_id"].unique().to_list()):
        mine = files.filter(pl.col("source_id") == source_id)
        meta = metas.get(source_id, {})
        frequency = meta.get("frequency", "not stated")
        latest = mine.sort("latest_end").row(-1, named=True)
        on_latest = mine.filter(pl.col("latest_end") == latest["latest_end"])
        released = on_latest["release_date"].drop_nulls().max()
        row = {"source_id": source_id, "producer": meta.get("producer") or "", "title": meta.get("title") or source_id,
               "frequency": frequency, "files": mine.height, "latest_period": latest["latest_period"],
               "latest_end": latest["latest_end"], "released": released,
               "released_text": f"{released:%d %b %Y}" if released else NOT_STATED,
               "next_expected": None, "estimate": False, "basis": "", "status": ""}
        if frequency == "one-off":
            row["basis"] = "One-off publication: no further release expected."
            row["status"] = "no further release"
        elif released is not None:
            row["next_expected"] = add_step(released, frequency)
            row["basis"] = f"Released {released:%d %b %Y}; next one {frequency} step later (stated frequency)."
        else:
            lag, why = _lag_days(mine, frequency)
            if lag is None:
                row["basis"] = f"Frequency {frequency!r}: no expectation can be set."
            else:
                estimated = latest["latest_end"] + dt.timedelta(days=lag)
                row["next_expected"] = add_step(estimated, frequency)
                row["estimate"] = True
                row["basis"] = (f"Estimate: {NOT_STATED}. The latest period ends {latest['latest_end']:%d %b %Y}; "
                                f"plus {why}, it was probably published around {estimated:%b %Y}, so the "
                                f"next release would follow one {_step_word(frequency)} later.")
        if row["next_expected"] is not None:
            row["status"] = ("newer release probably out" if row["next_expected"] < today else "expected")
        rows.append(row)
    return pl.DataFrame(rows, schema=CALENDAR_SCHEMA, orient="row") if rows else pl.DataFrame(schema=CALENDAR_SCHEMA)


def _step_word(frequency: str) -> str:
    return {"annual": "year", "monthly": "month", "weekly": "week"}.get(frequency, frequency)


CALENDAR_SCHEMA = {"source_id": pl.String, "producer": pl.String, "title": pl.String, "frequency": pl.String,
                   "files": pl.Int64, "latest_period": pl.String, "latest_end": pl.Date, "released": pl.Date,
                   "released_text": pl.String, "next_expected": pl.Date, "estimate": pl.Boolean,
                   "basis": pl.String, "status": pl.String}


def calendar_table(store: Store, today: dt.date) -> pl.DataFrame:
    """The calendar as the page shows it."""
    return calendar_table_from(release_calendar(store, today))


def calendar_table_from(cal: pl.DataFrame) -> pl.DataFrame:
    return cal.select(
        pl.col("title").alias("Dataset"),
        pl.col("latest_period").alias("Latest period"),
        pl.col("released_text").alias("Released"),
        pl.when(pl.col("next_expected").is_null()).then(pl.lit("—"))
        .when(pl.col("estimate")).then(pl.concat_str(pl.lit("about "), pl.col("next_expected").dt.strftime("%b %Y"),
                                                     pl.lit(" (estimate)")))
        .otherwise(pl.col("next_expected").dt.strftime("%d %b %Y")).alias("Next expected"),
        pl.col("status").alias("Status"),
        pl.col("frequency").replace(FREQUENCY_WORDS).alias("Published"),
        pl.col("producer").alias("Producer"),
        pl.col("basis").alias("How the next date was worked out"),
    )


# --- revisions ------------------------------------------------------------------------------------
@per_store
def revision_summary(store: Store) -> pl.DataFrame:
    """One row per (source, earlier release → later release, period): how many values changed,
    in how many indicators and areas, and by how much."""
    rev = store.table("revisions")
    if rev.is_empty():
        return pl.DataFrame()
    dates = release_files(store).select("source_id", "release", "release_date")
    out = (rev.group_by("source_id", "old_release", "new_release", "period").agg(
        pl.len().alias("values"),
        pl.col("indicator_id").n_unique().alias("indicators"),
        pl.col("area_code").n_unique().alias("areas"),
        pl.col("change").abs().mean().alias("mean_abs_change"),
        pl.col("change").abs().max().alias("max_abs_change"),
        (pl.col("old_denominator") != pl.col("new_denominator")).sum().alias("denominator_changed"),
        (pl.col("old_count") != pl.col("new_count")).sum().alias("count_changed"))
        .join(dates.rename({"release": "old_release", "release_date": "old_date"}),
              on=["source_id", "old_release"], how="left")
        .join(dates.rename({"release": "new_release", "release_date": "new_date"}),
              on=["source_id", "new_release"], how="left"))
    return out.sort("source_id", "period", descending=[False, True])


def revisions_detail(store: Store, source_id: str, period: str, indicator_id: str | None = None) -> pl.DataFrame:
    """The revised values of one source and period (optionally one indicator): old and new
    value, count and denominator, with area names, largest changes first."""
    rev = store.table("revisions")
    if rev.is_empty():
        return rev
    rows = rev.filter(pl.col("source_id") == source_id, pl.col("period") == period)
    if indicator_id:
        rows = rows.filter(pl.col("indicator_id") == indicator_id)
    catalogue = store.indicators()
    titles = catalogue.select("indicator_id", "short_title")
    if "disclosure_control" in catalogue.columns:  # small counts never reach the screen or the CSV
        rows = stats.control_revisions(
            rows, catalogue.filter(pl.col("disclosure_control").fill_null(False))["indicator_id"].to_list(),
            catalogue.filter(pl.col("value_type") == "count")["indicator_id"].to_list())
    return (rows.join(area_names(store), on=["area_type", "area_code"], how="left")
            .join(titles, on="indicator_id", how="left")
            .sort(pl.col("change").abs(), descending=True, nulls_last=True)
            .select(pl.col("short_title").alias("Indicator"), pl.col("area_name").fill_null(pl.col("area_code"))
                    .alias("Area"), pl.col("area_code").alias("Code"), pl.col("period").alias("Period"),
                    pl.col("old_value").alias("Earlier value"), pl.col("new_value").alias("Later value"),
                    pl.col("change").alias("Change"), pl.col("old_count").alias("Earlier count"),
                    pl.col("new_count").alias("Later count"), pl.col("old_denominator").alias("Earlier denominator"),
                    pl.col("new_denominator").alias("Later denominator"),
                    pl.col("old_release").map_elements(release_name, return_dtype=pl.String).alias("Earlier release"),
                    pl.col("new_release").map_elements(release_name, return_dtype=pl.String).alias("Later release")))


def sources_with_revisions(summary: pl.DataFrame) -> list[str]:
    return [] if summary.is_empty() else sorted(summary["source_id"].unique().to_list())


def revised_periods(summary: pl.DataFrame, source_id: str) -> list[str]:
    """Periods of the source with revised values, latest first."""
    if summary.is_empty():
        return []
    return summary.filter(pl.col("source_id") == source_id).sort("period", descending=True)["period"].to_list()


@per_store
def revised_indicators(store: Store, source_id: str, period: str) -> dict[str, str]:
    """indicator_id → title of the indicators with revisions in this source and period."""
    rev = store.table("revisions")
    if rev.is_empty():
        return {}
    ids = set(rev.filter(pl.col("source_id") == source_id, pl.col("period") == period)["indicator_id"].to_list())
    titles = store.indicators().filter(pl.col("indicator_id").is_in(list(ids))).sort("title")
    return dict(zip(titles["indicator_id"].to_list(), titles["title"].to_list(), strict=True))


def summary_table(summary: pl.DataFrame) -> pl.DataFrame:
    """The revisions summary as the page shows it."""
    def released(name: str, date: str) -> pl.Expr:
        return pl.concat_str(pl.col(name).map_elements(release_name, return_dtype=pl.String),
                             pl.when(pl.col(date).is_not_null())
                             .then(pl.concat_str(pl.lit(" ("), pl.col(date).dt.strftime("%d %b %Y"), pl.lit(")")))
                             .otherwise(pl.lit(" (release date not stated)")))

    titles = {k: v["title"] for k, v in source_metadata().items()}
    return summary.select(
        pl.col("period").alias("Period"),
        pl.col("values").alias("Values revised"),
        released("old_release", "old_date").alias("First published in"),
        released("new_release", "new_date").alias("Revised in"),
        pl.col("mean_abs_change").round(3).alias("Average change"),
        pl.col("max_abs_change").round(3).alias("Largest change"),
        pl.col("denominator_changed").alias("Denominator changed"),
        pl.col("indicators").alias("Indicators"), pl.col("areas").alias("Areas"),
        pl.col("source_id").replace_strict(titles, default=pl.col("source_id")).alias("Dataset"),
    )


def producer_datasets(store: Store, producer: str, today: dt.date) -> pl.DataFrame:
    """One producer's datasets from the calendar: title, frequency, latest period, released, next."""
    cal = release_calendar(store, today).filter(pl.col("producer") == producer)
    return calendar_table_from(cal).drop("Producer", "How the next date was worked out")
