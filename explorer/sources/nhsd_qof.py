"""NHS Digital Quality and Outcomes Framework (QOF): recorded disease prevalence by CCG.

Two kinds of file:
- one Excel workbook per QOF year (2014-15 … 2019-20), one sheet per disease group, each
  holding that year and the year before side by side. `nhsd_qof_layout` finds the header row,
  the year blocks, the CCG code columns and the list size each prevalence was divided by, all by
  their labels, so a new year's workbook is read without code changes. Both years are emitted:
  the earlier year is a later release of that year's figures, and the build keeps the latest.
- the 2013-14 CSV (long format, ODS codes only). Its ODS codes are put on GSS codes using the
  (ODS, GSS) pairs in the workbooks that publish the same year (2014-15's '2013-14' columns).

Quirks handled: 'z' and ':' cells (2017-18 learning disability, not comparable after the 2018-19
code change; Buckinghamshire CCG's 2017-18) become status missing with a note; the year label
'2017-181' carries a footnote digit, whose note is added to the values' note; 2014-15
age-specific list sizes are estimates ('Estimated List Size 17+'); 2014-15 osteoporosis divides
by the sum of two banded lists. No file has England, region or STP total rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from explorer import periods
from explorer.sources import nhsd_qof_layout as layout
from explorer.sources import readers
from explorer.sources.base import SourceError, StepContext, load_meta

META = load_meta(__file__)
CSV_COLUMNS = ["ccgcode", "indicator_group", "Register_description", "disease_register_size",
               "ccg_listsize", "prevalence"]
CSV_NUMBERS = {"disease_register_size": "register", "ccg_listsize": "list size",
               "prevalence": "prevalence"}
CSV_NOTE = ("2013-14 CSV: prevalence over the whole registered list (all ages), as published, "
            "even where the register itself is age-restricted")


def group_key(name: str) -> str:
    """'CVD-PP' and 'CVDPP' (sheet name vs CSV group) are the same QOF group."""
    return re.sub(r"[^A-Z0-9]", "", str(name).upper())


GROUPS = {group_key(k): v for k, v in META["groups"].items()}
NOT_PREVALENCE = {group_key(k): v for k, v in (META.get("not_prevalence") or {}).items()}
CSV_SKIP = {re.sub(r"\s+", " ", k).strip(): v for k, v in (META.get("csv_skip_registers") or {}).items()}


def run(ctx: StepContext) -> None:
    files = ctx.files()
    pairs: list[pl.DataFrame] = []  # (year, ods, gss) seen in the workbooks, for the CSVs
    for path in (p for p in files if p.suffix.lower() in (".xlsx", ".xlsm")):
        for sheet in readers.sheet_names(path):
            grid = readers.read_sheet_raw(path, sheet)
            found = layout.find_layout(grid, path, sheet)
            if found is None:  # no disease register on this sheet (BP, SMOK, CS, CON, PS …)
                continue
            rows = layout.data_rows(grid, found, path, sheet)
            values, rejects, codes = sheet_values(rows, found, path, sheet)
            ctx.record(path, values, rejects, rows_read=rows.height, sheet=sheet)
            pairs.append(codes)
    code_pairs = pl.concat(pairs).unique() if pairs else pl.DataFrame(
        schema={"year": pl.String, "ods": pl.String, "gss": pl.String})
    for path in (p for p in files if p.suffix.lower() == ".csv"):
        values, rejects, rows_read = csv_values(path, code_pairs)
        ctx.record(path, values, rejects, rows_read=rows_read)


def _known_ccgs() -> list[str]:
    from explorer.geography import areas  # heavy imports: only when the step runs

    return list(areas.known_codes("ccg"))


def _indicator_reason(group: str) -> str | None:
    if group in GROUPS:
        return None
    if group in NOT_PREVALENCE:
        return NOT_PREVALENCE[group]
    return f"QOF group {group!r} has no catalogue indicator (add it to nhsd_qof.yaml groups)"


def sheet_values(rows: pl.DataFrame, found: layout.SheetLayout, path: Path, sheet: str
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One sheet's rows → long values (one per CCG and year block), rejects, code pairs."""
    group = group_key(sheet)
    gss = pl.col(found.gss).str.strip_chars()
    ods = pl.col(found.ods).str.strip_chars() if found.ods else pl.lit(None, dtype=pl.String)
    blocks = []
    for block in found.blocks:
        denominator = layout.choose_denominator(rows, block, path, sheet)
        cells = {block.register: "Register", block.prevalence: "Prevalence",
                 **{c: "List size" for c in denominator.columns}}
        bad = pl.lit(None, dtype=pl.String)  # the first cell holding text names the reason
        for col, label in reversed(cells.items()):
            bad = pl.when(readers.bad_number(pl.col(col))).then(pl.lit(
                f"{label} ({block.label}) holds text that is neither a number nor a marker"
            )).otherwise(bad)
        prevalence = pl.col(block.prevalence)
        blocks.append(rows.select(
            "_row", gss.alias("_gss"), ods.alias("_ods"),
            pl.col(found.gss).alias("original_area_code"),
            pl.lit(block.year).alias("_year"), pl.lit(block.label).alias("original_period"),
            pl.lit(denominator.age).alias("age"),
            readers.number(prevalence).alias("value"),
            readers.number(pl.col(block.register)).alias("count"),
            pl.sum_horizontal([readers.number(pl.col(c)) for c in denominator.columns])
            .alias("denominator"),
            # sum_horizontal treats nulls as 0: a denominator needs every summed cell
            pl.any_horizontal([readers.number(pl.col(c)).is_null() for c in denominator.columns])
            .alias("_list_missing"),
            readers.marker_status(prevalence).alias("status"),
            pl.concat_str([readers.marker_note(prevalence), pl.lit(block.footnote, dtype=pl.String),
                           pl.lit(denominator.note, dtype=pl.String)],
                          separator="; ", ignore_nulls=True).alias("note"),
            bad.alias("_bad"),
        ))
    long = periods.parse_column(pl.concat(blocks), "_year", "financial_year")
    long = long.with_columns(
        pl.when(pl.col("_list_missing")).then(None).otherwise(pl.col("denominator"))
        .alias("denominator"),
        pl.when(pl.col("note") == "").then(None).otherwise(pl.col("note")).alias("note"))
    reason = (
        pl.when(pl.lit(_indicator_reason(group)).is_not_null()).then(pl.lit(_indicator_reason(group)))
        .when(~pl.col("_gss").fill_null("").str.contains(layout.CCG_GSS))
        .then(pl.lit("no CCG GSS code (E38…) in the CCG ONS/geography code column"))
        .when(~pl.col("_gss").is_in(_known_ccgs()))
        .then(pl.format("unknown CCG code '{}' (not in the ONS CCG lookups)", pl.col("_gss")))
        .when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(pl.col("_bad").is_not_null()).then(pl.col("_bad"))
    )
    long = long.with_columns(reason.alias("_reason"))
    rejected = (long.filter(pl.col("_reason").is_not_null()).group_by("_row", maintain_order=True)
                .agg(pl.col("_reason").first()))
    rejects = readers.rejects_where(
        rows.join(rejected, on="_row", how="left"), pl.col("_reason").is_not_null(),
        pl.col("_reason"))
    good = long.filter(~pl.col("_row").is_in(rejected["_row"].implode()))
    values = good.select(
        "_row", pl.lit(GROUPS.get(group)).alias("indicator_id"), pl.col("_gss").alias("area_code"),
        pl.lit("ccg").alias("area_type"), "period", "period_start", "period_end", "period_type",
        "age", "value", "count", "denominator", "status", "note", "original_area_code",
        "original_period")
    codes = good.filter(pl.col("_ods").is_not_null()).select(
        pl.col("_year").alias("year"), pl.col("_ods").alias("ods"), pl.col("_gss").alias("gss"))
    return values, rejects, codes.unique()


def csv_year(path: Path) -> str:
    """'qof_1314_prevalencebyccg.csv' → '2013-14' (the CSV has no period column)."""
    m = re.search(r"(?<!\d)(\d{2})(\d{2})(?!\d)", path.name)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise SourceError(path, "cannot tell the QOF year from the file name (expected e.g. 1314)")
    return f"20{m.group(1)}-{m.group(2)}"


def ods_to_gss(code_pairs: pl.DataFrame, year: str) -> dict[str, str]:
    """ODS → GSS from the workbooks that publish `year`; an ODS code with two GSS codes is left
    out (its rows are rejected rather than guessed)."""
    pairs = code_pairs.filter(pl.col("year") == year).select("ods", "gss").unique()
    single = pairs.filter(pl.col("ods").is_unique())
    return dict(zip(single["ods"], single["gss"], strict=True))


def csv_values(path: Path, code_pairs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    frame = readers.read_csv(path, required=CSV_COLUMNS)
    year = csv_year(path)
    code_map = ods_to_gss(code_pairs, year)
    frame = frame.with_columns(
        pl.lit(year).alias("_year"),
        pl.col("indicator_group").str.to_uppercase().str.replace_all("[^A-Z0-9]", "").alias("_group"),
        pl.col("Register_description").str.replace_all(r"\s+", " ").str.strip_chars().alias("_desc"),
        pl.col("ccgcode").str.strip_chars().replace_strict(code_map, default=None).alias("_gss"))
    frame = periods.parse_column(frame, "_year", "financial_year")
    # Each distinct group's reason (None when it maps to an indicator), looked up once.
    group_reasons = {g: _indicator_reason(g) for g in frame["_group"].drop_nulls().unique()}
    group_reason = pl.col("_group").replace_strict(group_reasons, default=None, return_dtype=pl.String)
    bad = [readers.bad_number(pl.col(c)) for c in CSV_NUMBERS]
    reason = (
        pl.when(pl.col("_group").fill_null("") == "").then(pl.lit("indicator_group is blank"))
        .when(pl.col("_desc").is_in(list(CSV_SKIP)))
        .then(pl.col("_desc").replace_strict(CSV_SKIP, default=None, return_dtype=pl.String))
        .when(group_reason.is_not_null()).then(group_reason)
        .when(pl.col("_gss").is_null())
        .then(pl.lit(f"ODS code not among the CCG code pairs of the workbooks publishing {year}"))
        .when(pl.col("period_error").is_not_null()).then(pl.col("period_error"))
        .when(pl.any_horizontal(bad)).then(pl.lit("register, list size or prevalence holds text"))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    rejects = readers.rejects_where(frame, pl.col("_reason").is_not_null(), pl.col("_reason"))
    good = frame.filter(pl.col("_reason").is_null())
    values = good.select(
        "_row",
        pl.col("_group").replace_strict(GROUPS, default=None).alias("indicator_id"),
        pl.col("_gss").alias("area_code"), pl.lit("ccg").alias("area_type"),
        "period", "period_start", "period_end", "period_type",
        readers.number(pl.col("prevalence")).alias("value"),
        readers.number(pl.col("disease_register_size")).alias("count"),
        readers.number(pl.col("ccg_listsize")).alias("denominator"),
        readers.marker_status(pl.col("prevalence")).alias("status"),
        pl.concat_str([readers.marker_note(pl.col("prevalence")), pl.lit(CSV_NOTE)],
                      separator="; ", ignore_nulls=True).alias("note"),
        pl.col("ccgcode").alias("original_area_code"),
        pl.lit(year).alias("original_period"))
    return values, rejects, frame.height
