"""URL state of Home and the catalogue-side pages (Indicators, Indicator definition, Compare
producers, Release calendar, Producers), read by pure functions.

Each function takes `st.query_params.to_dict()` plus the choices that exist now and returns the
validated picks with their `UrlState` (notices, canonical query). The pages call them, and the URL
fuzz tests (tests/fuzz/test_url_fuzz.py) drive them with thousands of hostile links without a
browser. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from explorer.queries.catalogue import clean_query
from explorer.state import Param, UrlState

HOME_SEARCH = Param("q", "search", "Words to search the indicators for")

CAT_QUERY = Param("q", "search words", "Words in the indicator's title, definition or synonyms.", default="")
CAT_TOPICS = Param("t", "topics", "Only indicators in these topics.", many=True, max_items=20)
CAT_PRODUCERS = Param("pr", "producers", "Only indicators these organisations publish.", many=True)
CAT_AREA_TYPES = Param("at", "area types", "Only indicators published for these kinds of area.", many=True,
                       max_items=12)
CAT_YEAR_FROM = Param("from", "first year", "Only indicators with data in or after this year.")
CAT_YEAR_TO = Param("to", "last year", "Only indicators with data in or before this year.")

INDICATOR = Param("i", "indicator", "The indicator to describe.")
PRODUCER = Param("pr", "producer", "The organisation whose indicators are listed.")
COHERENCE_MEASURE = Param("i", "measure", "The measure to compare between producers.")
COHERENCE_PERIOD = Param("p", "period", "The period (of the first producer) to compare.")
RELEASE_SOURCE = Param("s", "dataset", "The dataset whose revisions are listed.")
RELEASE_PERIOD = Param("per", "period", "The period whose revised values are listed.")
RELEASE_INDICATOR = Param("i", "indicator", "Only revisions to this indicator.")


def home_state(raw: Mapping[str, object]) -> tuple[UrlState, str]:
    state = UrlState(raw)
    return state, state.pick(HOME_SEARCH) or ""


@dataclass
class CatalogueLink:
    state: UrlState
    query: str
    topics: list[str]
    producers: list[str]
    area_types: list[str]
    year_from: int | None
    year_to: int | None


def catalogue_state(raw: Mapping[str, object], options: dict) -> CatalogueLink:
    """The Indicators page: search words, topic/producer/area-type filters and a year range
    (swapped, with a notice, when the link has them the wrong way round)."""
    raw = dict(raw)
    if "q" in raw:
        raw["q"] = clean_query(raw["q"])
    state = UrlState(raw)
    query = state.pick(CAT_QUERY)
    topics = state.pick(CAT_TOPICS, choices=list(options["topics"]))
    producers = state.pick(CAT_PRODUCERS, choices=options["producers"])
    area_types = state.pick(CAT_AREA_TYPES, choices=list(options["area_types"]))
    years = options["years"]
    year_from = state.pick(CAT_YEAR_FROM, choices=years)
    year_to = state.pick(CAT_YEAR_TO, choices=years)
    if year_from and year_to and year_from > year_to:
        state.notices.append("The first year in the link was after the last year; the two were swapped.")
        year_from, year_to = year_to, year_from
    return CatalogueLink(state, query, topics, producers, area_types, year_from, year_to)


def indicator_state(raw: Mapping[str, object], ids: Sequence[str]) -> tuple[UrlState, str | None]:
    state = UrlState(raw)
    return state, state.pick(INDICATOR, choices=list(ids))


def producer_state(raw: Mapping[str, object], producers: Sequence[str]) -> tuple[UrlState, str | None]:
    state = UrlState(raw)
    return state, state.pick(PRODUCER, choices=list(producers))


def coherence_state(raw: Mapping[str, object], overlaps: Sequence[str]) -> tuple[UrlState, str | None]:
    state = UrlState(raw)
    return state, state.pick(COHERENCE_MEASURE, choices=list(overlaps))


def coherence_period(state: UrlState, raw: Mapping[str, object], periods: Sequence[str] | None) -> str | None:
    """The period to compare when the measure has more than one (`periods`); a period in a link
    where none applies is ignored with a notice."""
    if periods and len(periods) > 1:
        return state.pick(COHERENCE_PERIOD, choices=list(periods))
    if COHERENCE_PERIOD.key in raw:
        state.notices.append("The period in the link does not apply here and was ignored.")
    return None


@dataclass
class ReleasesLink:
    state: UrlState
    source_id: str | None
    period: str | None
    indicator_id: str | None


def releases_state(raw: Mapping[str, object], sources: Sequence[str],
                   periods_of: Callable[[str], list[str]],
                   indicators_of: Callable[[str, str], Mapping[str, str]]) -> ReleasesLink:
    """Dataset → period revised → indicator, each checked against what the one before offers."""
    state = UrlState(raw)
    if not sources:
        return ReleasesLink(state, None, None, None)
    source_id = state.pick(RELEASE_SOURCE, choices=list(sources), default=sources[0])
    periods = periods_of(source_id)
    period = state.pick(RELEASE_PERIOD, choices=periods, default=periods[0])
    indicator_id = state.pick(RELEASE_INDICATOR, choices=list(indicators_of(source_id, period)))
    return ReleasesLink(state, source_id, period, indicator_id)
