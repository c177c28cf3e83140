"""One period model for every producer's period labels.

Producers label time in a dozen ways ('2019-20', '2019/20', '201920', '2009-11', '201820',
'MAR2019', 'April 2022', '20150000', ISO dates, week-ending dates). Each parser returns a
`Period`: a human label in one house style, start and end dates, and a type from
`schema.PERIOD_TYPES`. House style: financial years '2019/20', pooled calendar years '2018-20',
pooled financial years '2016/17-2018/19', months 'Apr 2022', weeks 'w/e 2010-01-08'.

Vectorised use: `parse_column(series, kind)` maps unique labels through the scalar parser, so a
million-row column costs one parse per distinct label.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})


class PeriodError(ValueError):
    """A period label that does not fit the expected form."""


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date
    type: str

    def as_dict(self) -> dict:
        return {"period": self.label, "period_start": self.start, "period_end": self.end,
                "period_type": self.type}


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:  # '20x6': a bad label is a PeriodError, so parse_column rejects the row
        raise PeriodError(f"{text!r} is not a year") from None
    if not 1900 <= year <= 2100:
        raise PeriodError(f"year {year} out of range")
    return year


def financial_year(start_year: int) -> Period:
    return Period(f"{start_year}/{(start_year + 1) % 100:02d}", dt.date(start_year, 4, 1),
                  dt.date(start_year + 1, 3, 31), "financial_year")


def calendar_year(year: int) -> Period:
    return Period(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), "calendar_year")


def pooled_years(first: int, last: int) -> Period:
    if last <= first:
        raise PeriodError(f"pooled period {first}-{last} does not run forwards")
    return Period(f"{first}-{last % 100:02d}", dt.date(first, 1, 1), dt.date(last, 12, 31),
                  "multi_year")


def pooled_financial_years(first: int, last: int) -> Period:
    a, b = financial_year(first), financial_year(last)
    return Period(f"{a.label}-{b.label}", a.start, b.end, "multi_financial_year")


def month(year: int, month_number: int) -> Period:
    last_day = calendar.monthrange(year, month_number)[1]
    return Period(f"{calendar.month_abbr[month_number]} {year}", dt.date(year, month_number, 1),
                  dt.date(year, month_number, last_day), "month")


def week_ending(day: dt.date) -> Period:
    return Period(f"w/e {day.isoformat()}", day - dt.timedelta(days=6), day, "week")


def point(day: dt.date, label: str | None = None) -> Period:
    return Period(label or day.isoformat(), day, day, "point")


def mid_year(year: int) -> Period:
    return point(dt.date(year, 6, 30), f"mid-{year}")


def _expand_two_digit(first: int, tail: str) -> int:
    """'2009-11' → 2011: the century of the first year, rolled over when needed."""
    last = first // 100 * 100 + int(tail)
    return last + 100 if last < first else last


_FY_SEP = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")


def parse_financial_year(text: str) -> Period:
    """'2019-20', '2019/20', '2019/2020', '201920' → FY 2019/20."""
    s = str(text).strip()
    m = _FY_SEP.match(s) or re.match(r"^(\d{4})(\d{2})$", s)
    if not m:
        raise PeriodError(f"{text!r} is not a financial year like 2019-20 or 2019/20")
    first = _year(m.group(1))
    last = _expand_two_digit(first, m.group(2)[-2:])
    if last != first + 1:
        raise PeriodError(f"{text!r} spans {last - first + 1} years, not one financial year")
    return financial_year(first)


def parse_pooled_years(text: str) -> Period:
    """'2009-11' (three calendar years pooled) → 2009-11."""
    m = _FY_SEP.match(str(text))
    if not m:
        raise PeriodError(f"{text!r} is not a pooled period like 2009-11")
    first = _year(m.group(1))
    return pooled_years(first, _expand_two_digit(first, m.group(2)[-2:]))


def parse_compact(text: str) -> Period:
    """ONS subnational codes: '2020' year, '202021' financial year, '201820' / '201618' pooled
    calendar years (the last two digits are the final year)."""
    s = str(text).strip()
    if re.fullmatch(r"\d{4}", s):
        return calendar_year(_year(s))
    m = re.fullmatch(r"(\d{4})(\d{2})", s)
    if not m:
        raise PeriodError(f"{text!r} is not a compact period like 2020, 202021 or 201820")
    first = _year(m.group(1))
    last = _expand_two_digit(first, m.group(2))
    if last == first + 1:
        return financial_year(first)
    return pooled_years(first, last)


def parse_fingertips_sortable(text: str | int) -> Period:
    """Fingertips 'Time period Sortable': YYYYMMQQ-like, e.g. 20150000 = calendar year 2015."""
    s = str(text).strip()
    if not re.fullmatch(r"\d{8}", s):
        raise PeriodError(f"{text!r} is not a Fingertips sortable period (8 digits)")
    year, mm = _year(s[:4]), int(s[4:6])
    if mm == 0:
        return calendar_year(year)
    return month(year, mm)


def parse_month(text: str) -> Period:
    """'MAR2019', 'April 2022', 'Apr-2022', '2022-04', '2017-10-01' (first of month)."""
    s = str(text).strip()
    m = re.fullmatch(r"([A-Za-z]+)[\s\-]*(\d{4})", s)
    if m and m.group(1).lower() in MONTHS:
        return month(_year(m.group(2)), MONTHS[m.group(1).lower()])
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", s)
    if m and 1 <= int(m.group(2)) <= 12:
        return month(_year(m.group(1)), int(m.group(2)))
    raise PeriodError(f"{text!r} is not a month like MAR2019, April 2022 or 2022-04")


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip()[:10])
    except ValueError as exc:
        raise PeriodError(f"{text!r} is not an ISO date") from exc


PARSERS = {
    "financial_year": parse_financial_year,
    "pooled_years": parse_pooled_years,
    "compact": parse_compact,
    "fingertips_sortable": parse_fingertips_sortable,
    "month": parse_month,
    "calendar_year": lambda s: calendar_year(_year(str(s).strip())),
    "mid_year": lambda s: mid_year(_year(str(s).strip())),
    "week_ending": lambda s: week_ending(parse_date(s)),
}


def parse(text: str, kind: str) -> Period:
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise PeriodError(f"unknown period kind {kind!r}; known: {sorted(PARSERS)}") from None
    return parser(text)


PERIOD_STRUCT = pl.Struct({"period": pl.String, "period_start": pl.Date, "period_end": pl.Date,
                           "period_type": pl.String, "period_error": pl.String})


def parse_column(frame: pl.DataFrame, column: str, kind: str) -> pl.DataFrame:
    """Add period, period_start, period_end, period_type and period_error columns parsed from
    `column`; a label that does not parse leaves nulls and the reason in period_error, so the
    caller can send the row to rejects."""
    rows = []
    for raw in frame.get_column(column).cast(pl.String).unique().to_list():
        if raw is None:
            rows.append({"__period_raw": None, "period": None, "period_start": None, "period_end": None,
                         "period_type": None, "period_error": "period is blank"})
            continue
        try:
            rows.append({"__period_raw": raw, **parse(raw, kind).as_dict(), "period_error": None})
        except PeriodError as exc:
            rows.append({"__period_raw": raw, "period": None, "period_start": None, "period_end": None,
                         "period_type": None, "period_error": str(exc)})
    table = pl.DataFrame(rows, schema={"__period_raw": pl.String, **PERIOD_STRUCT.to_schema()})
    return frame.with_columns(pl.col(column).cast(pl.String).alias("__period_raw")).join(
        table, on="__period_raw", how="left", nulls_equal=True).drop("__period_raw")
