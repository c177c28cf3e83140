"""Finding the prevalence columns in NHS Digital's QOF CCG workbooks by their labels.

Every workbook (2014-15 … 2019-20) has one sheet per QOF group, but the layout moves from year
to year: the column-header row sits on row 10, 14 or 15; the CCG code columns are called 'CCG
Code' / 'CCG Geography Code', 'CCG code' / 'CCG ONS code' or 'CCG ODS code (practice parent)' /
'CCG ONS code (practice parent)'; and two financial years sit side by side under year labels
('2018-19', '2019-20', once '2017-181' with a footnote digit) in the row above the headers.
Inside each year's block the prevalence columns are 'Register', 'Prevalence (%)' or
'Prevalence (per cent)' and one or more list sizes ('List size', 'List size ages 17+',
'Estimated List Size 17+', 'List size ages 40+', 'List size ages <=79' …).

Nothing here depends on a column's position, so a new year's workbook with the same kind of
labels is read without code changes. Sheets without a 'Register' column (blood pressure,
smoking, cervical screening, contraception …) have no recorded prevalence and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from explorer.sources import readers
from explorer.sources.base import SourceError

# '2018-19', '2013-14 ', and '2017-181' (footnote 1 glued to the label) all start this way.
YEAR_LABEL = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2})")
GSS_LABEL = re.compile(r"^ccg\b.*\b(geography|ons) code")
ODS_LABEL = re.compile(r"^ccg\b.*\bcode")
CCG_GSS = r"^E38\d{6}$"
HEADER_SEARCH_ROWS = 60  # the header row has always been within the first 20 rows
# A list size "is" the prevalence denominator when register / list × 100 equals the published
# prevalence to this relative tolerance (estimated list sizes are unrounded, so the match is exact).
MATCH_TOLERANCE = 1e-6


@dataclass(frozen=True)
class YearBlock:
    label: str  # the year as labelled in the header row above, e.g. '2017-181'
    year: str  # the financial year it names, e.g. '2017-18'
    register: str  # grid column names (c0, c1, …)
    prevalence: str
    list_sizes: tuple[tuple[str, str], ...]  # (column, label) of every list size in the block
    footnote: str | None = None  # the note a footnote digit on the year label points to


@dataclass(frozen=True)
class SheetLayout:
    header_index: int  # 0-based position of the column-header row in the grid
    gss: str
    ods: str | None
    blocks: tuple[YearBlock, ...]


def year_of(label: str) -> str | None:
    """'2017-181' → '2017-18'; None for text that is not a financial-year label."""
    m = YEAR_LABEL.match(label)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        return None
    return f"{m.group(1)}-{m.group(2)}"


def age_band(label: str) -> str:
    """The age band a list-size label names: 'List size ages 17+' → '17+', 'List Size' → all."""
    if m := re.search(r"(\d+)\s*\+", label):
        return f"{m.group(1)}+"
    if m := re.search(r"(\d+)\s*-\s*(\d+)", label):
        return f"{m.group(1)}-{m.group(2)}"
    return "All ages"


def _row_labels(values: tuple, columns: list[str]) -> dict[str, str]:
    """{column: cleaned text} for the non-empty cells of one grid row."""
    out = {}
    for col, value in zip(columns, values, strict=True):
        if value is not None and (text := readers.clean_label(value)):
            out[col] = text
    return out


def find_layout(grid: pl.DataFrame, path: Path, sheet: str) -> SheetLayout | None:
    """The sheet's prevalence layout, or None when the group has no disease register."""
    columns = [c for c in grid.columns if c != "_row"]
    head = grid.select(columns).head(HEADER_SEARCH_ROWS).rows()
    lowered_rows = [{str(v).strip().lower() for v in row if v is not None} for row in head]
    top: dict[int, dict[str, str]] = {}
    header_index = None
    for i, cells in enumerate(lowered_rows):
        if "register" in cells:
            top[i] = _row_labels(head[i], columns)
            if any(ODS_LABEL.match(t.lower()) for t in top[i].values()):
                header_index = i
                break
    if header_index is None:
        if any("prevalence" in cells for cells in lowered_rows):
            raise SourceError(path, "a 'Prevalence' section but no header row with 'Register' and "
                              "a CCG code column", sheet=sheet)
        return None
    for i in range(max(header_index - 4, 0), header_index):
        top[i] = _row_labels(head[i], columns)
    excel_row = int(grid["_row"][header_index])
    header = top[header_index]
    lowered = {c: t.lower() for c, t in header.items()}
    gss = next((c for c, t in lowered.items() if GSS_LABEL.match(t)), None)
    ods = next((c for c, t in lowered.items() if ODS_LABEL.match(t) and not GSS_LABEL.match(t)), None)
    if gss is None:
        raise SourceError(path, "no CCG GSS code column ('CCG geography code' / 'CCG ONS code')",
                          sheet=sheet, row=excel_row)
    years = _year_labels(top, header_index)
    if not years:
        raise SourceError(path, "no year labels (like 2019-20) above the header row", sheet=sheet,
                          row=excel_row)
    position = {c: i for i, c in enumerate(columns)}
    starts = sorted(position[c] for c in years)
    blocks = []
    for register in (c for c, t in lowered.items() if t == "register"):
        at = position[register]
        start = max((s for s in starts if s <= at), default=None)
        if start is None:
            raise SourceError(path, f"'Register' in column {at + 1} has no year label above it",
                              sheet=sheet, row=excel_row)
        end = min((s for s in starts if s > start), default=len(columns))
        span = columns[start:end]
        label, year = years[columns[start]]
        prevalence = next((c for c in span if lowered.get(c, "").startswith("prevalence")), None)
        list_sizes = tuple((c, header[c]) for c in span if "list size" in lowered.get(c, ""))
        if prevalence is None or not list_sizes:
            raise SourceError(path, f"year block {label!r} has a Register but no 'Prevalence' or "
                              "'List size' column", sheet=sheet, row=excel_row)
        blocks.append(YearBlock(label, year, register, prevalence, list_sizes,
                                _footnote(grid, label, header_index)))
    if len({b.year for b in blocks}) != len(blocks):
        raise SourceError(path, "two Register columns under the same year label", sheet=sheet,
                          row=excel_row)
    return SheetLayout(header_index, gss, ods, tuple(blocks))


def _year_labels(top: dict[int, dict[str, str]], header_index: int) -> dict[str, tuple[str, str]]:
    """{column: (label, year)} from the nearest row above the header that holds year labels."""
    for i in range(header_index - 1, max(header_index - 5, -1), -1):
        found = {c: (t, y) for c, t in top[i].items() if (y := year_of(t))}
        if found:
            return found
    return {}


def _footnote(grid: pl.DataFrame, label: str, header_index: int) -> str | None:
    """The note a year label points to: '2017-181' → the text of note '1.' under the table."""
    marker = YEAR_LABEL.sub("", label).strip()
    if not marker.isdigit():
        return None
    columns = [c for c in grid.columns if c != "_row"]
    for values in grid.select(columns).slice(header_index + 1).rows():
        for value in values:
            text = readers.clean_label(value)
            if text.startswith(f"{marker}. "):
                return f"footnote {text}"
    return None


def data_rows(grid: pl.DataFrame, layout: SheetLayout, path: Path, sheet: str) -> pl.DataFrame:
    """The rows under the header up to the first blank row (notes and copyright follow it)."""
    cells = [c for c in grid.columns if c != "_row"]
    body = grid.slice(layout.header_index + 1)
    blank = body.select(pl.all_horizontal(pl.col(cells).is_null()).alias("b"))["b"].to_list()
    # Skip blank rows directly under the header, then stop at the next blank row.
    leading = next((i for i, b in enumerate(blank) if not b), len(blank))
    stop = next((i for i, b in enumerate(blank) if b and i >= leading), len(blank))
    rows, rest = body.slice(leading, stop - leading), body.slice(stop)
    stray = rest.filter(pl.col(layout.gss).str.strip_chars().str.contains(CCG_GSS))
    if stray.height:
        raise SourceError(path, "CCG rows continue after a blank row", sheet=sheet,
                          row=int(stray["_row"][0]))
    return rows


@dataclass(frozen=True)
class Denominator:
    columns: tuple[str, ...]  # list-size columns; summed when there is more than one
    age: str  # the age band the prevalence is of: '17+', '50+', 'All ages'
    note: str | None  # how the denominator was formed, when it is not a plain list size


def choose_denominator(rows: pl.DataFrame, block: YearBlock, path: Path, sheet: str) -> Denominator:
    """The list size the producer divided by, read from the labels and confirmed by the numbers.

    One list size in the block: that one. Several ('List Size', 'Estimated List Size 17+';
    'List size ages 17+', 'List size ages 40+'): the one for which register / list × 100
    reproduces the published prevalence on most rows. When none does on its own, the sum of the
    age-specific lists is tried (2014-15 osteoporosis: 50-75 plus 75+ = 50+).
    """
    first_col, first_label = block.list_sizes[0]
    if len(block.list_sizes) == 1:
        return Denominator((first_col,), age_band(first_label), _estimated(first_label))
    candidates = [Denominator((c,), age_band(lab), _estimated(lab)) for c, lab in block.list_sizes]
    banded = [(c, lab) for c, lab in block.list_sizes if age_band(lab) != "All ages"]
    if len(banded) > 1:
        labels = [lab for _, lab in banded]
        candidates.append(Denominator(
            tuple(c for c, _ in banded), combined_band([age_band(lab) for lab in labels]),
            "denominator is the sum of the published " + " and ".join(repr(x) for x in labels)))
    register = readers.number(pl.col(block.register))
    prevalence = readers.number(pl.col(block.prevalence))
    checked = rows.select((register.is_not_null() & prevalence.is_not_null()).sum()).item()
    scores = rows.select([
        ((register / pl.sum_horizontal([readers.number(pl.col(c)) for c in d.columns]) * 100
          - prevalence).abs() <= MATCH_TOLERANCE * prevalence.abs().clip(lower_bound=1)).sum()
        .alias(str(i)) for i, d in enumerate(candidates)]).row(0)
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    if checked and not scores[best]:
        raise SourceError(path, f"no list size reproduces the published prevalence for "
                          f"{block.label!r} (tried {[lab for _, lab in block.list_sizes]})", sheet)
    return candidates[best]


def combined_band(bands: list[str]) -> str:
    """['50-75', '75+'] → '50+'; ['30-49', '50-74'] → '30-74'."""
    low = bands[0].split("-")[0].rstrip("+")
    last = bands[-1]
    return f"{low}+" if last.endswith("+") else f"{low}-{last.split('-')[-1]}"


def _estimated(label: str) -> str | None:
    if label.lower().startswith("estimated"):
        return (f"denominator is the producer's {label!r} (list size × the estimated share of "
                "patients in the age band), not a count")
    return None
