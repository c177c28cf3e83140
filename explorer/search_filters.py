"""Catalogue search's filters: which indicators a search may return, by topic, producer, area type
and period covered (explorer.search applies them before scoring). No Streamlit here."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from explorer import periods

if TYPE_CHECKING:
    from explorer.search import SearchIndex


def allowed_documents(index: SearchIndex, topic=None, producer=None, area_type=None,
                      covers_period=None) -> set[int] | range:
    """The index's documents (indicators) passing every filter given; each takes a value or a list."""
    docs: set[int] | range = range(len(index.norms))
    if topic:
        wanted = _as_set(topic)
        docs = {d for d in docs if index.topics[d] in wanted}
    if producer:
        _require(index, "producers", "producer")
        # Word edges by lookaround, not \b: a name ending in ")" ("OHID (Fingertips)") has no \b after it.
        patterns = [re.compile(rf"(?<!\w){re.escape(p)}(?!\w)", re.IGNORECASE) for p in _as_set(producer)]
        docs = {d for d in docs if any(p.search(name) for p in patterns for name in index.producers[d])}
    if area_type:
        _require(index, "area_types", "area_type")
        wanted = _as_set(area_type)
        docs = {d for d in docs if wanted & set(index.area_types[d])}
    if covers_period:
        _require(index, "first_period_start", "covers_period")
        start, end = period_range(covers_period)
        docs = {d for d in docs if index.coverage[d][0] and index.coverage[d][1]
                and _as_date(index.coverage[d][0]) <= end and _as_date(index.coverage[d][1]) >= start}
    return docs


def _require(index: SearchIndex, column: str, option: str) -> None:
    if column not in index.columns:
        raise ValueError(f"cannot filter by {option}: the catalogue has no {column} column "
                         "(build the store for coverage columns)")


def _as_set(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def period_range(value) -> tuple[dt.date, dt.date]:
    """A date, a (start, end) pair or a period label ('2019/20', '2019', '2018-20', 'Apr 2022')."""
    if isinstance(value, dt.date):
        return _as_date(value), _as_date(value)
    if isinstance(value, tuple | list) and len(value) == 2:
        return _as_date(value[0]), _as_date(value[1])
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = periods.parse_date(text)
        return day, day
    attempts = [("financial_year", None), ("calendar_year", None), ("pooled_years", 10), ("month", None)]
    for kind, max_years in attempts:
        try:
            found = periods.parse(text, kind)
        except (periods.PeriodError, ValueError):
            continue
        if max_years is None or found.end.year - found.start.year < max_years:
            return found.start, found.end
    raise ValueError(f"{value!r} is not a period like 2019/20, 2019, 2018-20 or Apr 2022")
