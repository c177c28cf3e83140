"""The download page's URL: read a link into a filter (with notices for what it could not
use) and write the canonical link back. No Streamlit: the page passes st.query_params."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from explorer import schema
from explorer.queries.common import held
from explorer.queries.download import Filter, choices
from explorer.queries.download_spec import (
    COLUMN_GROUPS,
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
from explorer.state import UrlState
from explorer.store import Store


@dataclass
class PageState:
    """What the download page shows: the filter plus the words and topic used to find indicators
    and the chosen format. `notices` say what in the link could not be used."""

    filter: Filter
    query: str = ""
    topic: str | None = None
    fmt: str = "zip"
    notices: list[str] = field(default_factory=list)


def from_query(store: Store, raw: dict, formats: Iterable[str], topics: Iterable[str]) -> PageState:
    """Read the page's URL parameters, each checked against what exists for the earlier picks
    (indicators → their area types → those areas, periods, sexes …); anything unknown falls back
    to its default with a notice."""
    state = UrlState(raw)
    catalogue = store.indicators()
    query = state.pick(P_QUERY) or ""
    topic = state.pick(P_TOPIC, choices=list(topics))
    all_producers = held(store, "producers") if not catalogue.is_empty() else []
    indicators = state.pick(P_INDICATORS, choices=catalogue["indicator_id"].to_list())
    options = choices(store, indicators)
    producers = state.pick(P_PRODUCERS, choices=options.producers if indicators else all_producers)
    area_type = state.pick(P_AREA_TYPE, choices=options.area_types)
    scoped = choices(store, indicators, area_type)
    # Areas are chosen within an area type (the page offers none without one): areas in a link
    # without an area type are left out with a notice rather than silently widening the download.
    areas = state.pick(P_AREAS, choices=list(scoped.areas))
    period_from = state.pick(P_FROM, choices=scoped.periods)
    period_to = state.pick(P_TO, choices=scoped.periods)
    sexes = state.pick(P_SEXES, choices=scoped.sexes)
    tokens = {age_token(a): a for a in scoped.ages}
    ages = [tokens[t] for t in state.pick(P_AGES, choices=list(tokens))]
    categories = state.pick(P_CATEGORIES, choices=scoped.categories)
    statuses = state.pick(P_STATUSES, choices=list(schema.STATUSES))
    picked = state.pick(P_COLUMNS, choices=[*COLUMN_GROUPS, NO_COLUMNS])
    columns = [c for c in COLUMN_GROUPS if c in picked]  # one order, so equal choices give equal filters
    fmt = state.pick(P_FORMAT, choices=list(formats))
    f = Filter(indicators=indicators, area_type=area_type, areas=areas, period_from=period_from,
               period_to=period_to, sexes=sexes, ages=ages, categories=categories, statuses=statuses,
               producers=producers, columns=columns)
    return PageState(f, query=query, topic=topic, fmt=fmt, notices=state.notices)


def page_query(page: PageState) -> dict[str, str]:
    """The canonical URL parameters of the page (what the address bar shows)."""
    state = UrlState({})
    for param, value in ((P_QUERY, page.query or None), (P_TOPIC, page.topic)):
        state.params[param.key] = param
        state.set(param.key, value)
    return {**state.query(), **page.filter.query(page.fmt if page.fmt != P_FORMAT.default else None)}
