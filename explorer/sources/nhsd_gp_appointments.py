"""NHS Digital "Appointments in General Practice" by CCG and month: native regional CSVs (one
row per CCG, month, status, HCP type, mode and booking lead time) and a DERIVED file already
summed over HCP type and lead time for 49 CCGs.

Quirks handled: months are 'MAR2019'; lead-time labels hold double spaces (they are summed over,
so never parsed); CCG ODS and GSS codes must agree with the April 2021 ONS lookup. DERIVED rows
for a CCG and month that a native file covers are rejected as superseded, so nothing is counted
twice (the YAML explains why native wins). Values are sums over rows, so `record` is told which
raw rows fed them (`summed_rows`).
"""

from __future__ import annotations

import polars as pl

from explorer import periods
from explorer.geography import codes
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)
CELL = ["CCG_CODE", "CCG_ONS_CODE", "Appointment_Month", "APPT_STATUS", "APPT_MODE"]
DERIVED_COLUMNS = [*CELL, "COUNT_OF_APPOINTMENTS"]
NATIVE_COLUMNS = [*CELL, "HCP_TYPE", "TIME_BETWEEN_BOOK_AND_APPT", "COUNT_OF_APPOINTMENTS"]
PERIOD = ["period", "period_start", "period_end", "period_type"]


def run(ctx: StepContext) -> None:
    files = ctx.files()
    native = [p for p in files if p.name.startswith(META["native_prefix"])]
    derived = [p for p in files if p.name.startswith(META["derived_prefix"])]
    for path in set(files) - set(native) - set(derived):
        raise SourceError(path, "neither a native Regional_CSV_ file nor the DERIVED file")
    covered = pl.DataFrame(schema={"CCG_CODE": pl.String, "period": pl.String, "_by": pl.String})
    for path, is_native in [(p, True) for p in native] + [(p, False) for p in derived]:
        frame = readers.read_csv(path, required=NATIVE_COLUMNS if is_native else DERIVED_COLUMNS)
        good, rejects = _screen(frame, None if is_native else covered,
                                detail=NATIVE_COLUMNS if is_native else DERIVED_COLUMNS)
        if is_native:
            covered = pl.concat([covered, good.select("CCG_CODE", "period").unique().with_columns(
                pl.lit(path.name).alias("_by"))])
        ctx.record(path, _values(good), rejects, rows_read=frame.height,
                   summed_rows=good["_row"])


def _screen(frame: pl.DataFrame, covered: pl.DataFrame | None,
            detail: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw_columns = frame.columns
    lookup = codes.ccg_codes().filter(pl.col("vintage") == META["ccg_vintage"])
    pairs = lookup.select(pl.concat_str("ods_code", "gss_code", separator="|").alias("p"))["p"]
    frame = periods.parse_column(frame, "Appointment_Month", "month")
    if covered is not None:
        frame = frame.join(covered, on=["CCG_CODE", "period"], how="left")
    count = pl.col("COUNT_OF_APPOINTMENTS")
    pair = pl.concat_str("CCG_CODE", "CCG_ONS_CODE", separator="|")
    reason = (
        pl.when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(~pair.is_in(pairs.implode()).fill_null(False))
        .then(pl.format("CCG codes {} / {} are not a pair in the April {} ONS lookup",
                        pl.col("CCG_CODE").fill_null("(blank)"),
                        pl.col("CCG_ONS_CODE").fill_null("(blank)"), pl.lit(META["ccg_vintage"])))
        .when(~pl.col("APPT_STATUS").is_in(META["statuses"]).fill_null(False))
        .then(pl.format("unknown appointment status {}", pl.col("APPT_STATUS").fill_null("(blank)")))
        .when(~pl.col("APPT_MODE").is_in(list(META["modes"])).fill_null(False))
        .then(pl.format("unknown appointment mode {}", pl.col("APPT_MODE").fill_null("(blank)")))
        .when(readers.bad_number(count)).then(pl.lit("appointment count is not a number"))
        .when(readers.number(count) < 0).then(pl.lit("negative appointment count"))
    )
    if covered is not None:
        reason = reason.when(pl.col("_by").is_not_null()).then(
            pl.format("superseded by native file {}", pl.col("_by")))
    reason = reason.when(pl.len().over(detail[:-1]) > 1).then(
        pl.lit("duplicate row for the same CCG, month and breakdown"))
    frame = frame.with_columns(reason.alias("_reason"))
    rejects = readers.rejects_where(frame.select(*raw_columns, "_reason"),
                                    pl.col("_reason").is_not_null(), pl.col("_reason"))
    good = frame.filter(pl.col("_reason").is_null()).with_columns(
        readers.number(count).alias("n"),
        pl.col("APPT_MODE").replace_strict(META["modes"]).alias("mode"))
    return good, rejects


def _sum(expr: pl.Expr) -> pl.Expr:
    """A sum that stays blank when any part is blank (a marker in a count cell)."""
    return pl.when(expr.is_null().any()).then(None).otherwise(expr.sum())


def _values(good: pl.DataFrame) -> pl.DataFrame:
    keys = ["CCG_CODE", "CCG_ONS_CODE", "Appointment_Month", *PERIOD]
    status = pl.col("APPT_STATUS")
    n = pl.col("n")
    parts = {
        "total": _sum(n), "attended": _sum(n.filter(status == "Attended")),
        "dna": _sum(n.filter(status == "DNA")), "_dna_rows": (status == "DNA").sum(),
        "_row": pl.col("_row").min(),
    }
    by_mode = good.group_by([*keys, "mode"]).agg(**parts)
    all_modes = good.group_by(keys).agg(**parts).with_columns(
        pl.lit(META["all_modes_label"]).alias("mode"))
    table = pl.concat([by_mode, all_modes], how="diagonal_relaxed")
    common = [
        "_row", pl.col("CCG_ONS_CODE").alias("area_code"), pl.lit("ccg").alias("area_type"),
        *PERIOD, pl.col("mode").alias("category"), pl.col("CCG_CODE").alias("original_area_code"),
        pl.col("Appointment_Month").alias("original_period"),
    ]
    counts = [
        table.select(*common, pl.lit(indicator).alias("indicator_id"), pl.col(column).alias("value"),
                     pl.when(pl.col(column).is_null()).then(pl.lit("missing"))
                     .otherwise(pl.lit("published")).alias("status"),
                     pl.when(pl.col(column).is_null())
                     .then(pl.lit("a count in this breakdown is blank")).alias("note"))
        for column, indicator in (("total", "gp-appointments"), ("attended", "gp-appointments-attended"))
    ]
    known = pl.col("attended") + pl.col("dna")
    usable = known.is_not_null() & (known > 0)
    rate = table.select(
        *common, pl.lit("gp-appointments-dna-rate").alias("indicator_id"),
        pl.when(usable).then(pl.col("dna") / known * 100).alias("value"),
        pl.when(usable).then(pl.col("dna")).alias("count"),
        pl.when(usable).then(known).alias("denominator"),
        pl.when(usable).then(pl.lit("published")).otherwise(pl.lit("missing")).alias("status"),
        pl.when(known.is_null()).then(pl.lit("a count in this breakdown is blank"))
        .when(~usable).then(pl.lit("no appointments with a recorded outcome"))
        .when(pl.col("_dna_rows") == 0).then(pl.lit("no DNA rows in the file for this mode: none recorded"))
        .alias("note"),
    )
    return pl.concat([*counts, rate], how="diagonal_relaxed")
