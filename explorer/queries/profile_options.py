"""Area profile page: its URL parameters, read and checked against the store. No Streamlit here.

`resolve(store, query)` turns st.query_params (as a dict) into a `ProfileState`: the area (from a
GSS code, ODS code or name; an old code leads to its successor, remembered in `from` so the page
keeps explaining), topic, benchmark, view, peers (the computed 10 unless the link chose others),
the funnel-plot indicator, and the areas compared side by side. Unknown or malformed values fall
back to defaults with a plain-English notice. `query` is the canonical query to write back.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from explorer import catalogue, peers
from explorer.queries import profile, profile_areas, profile_peers
from explorer.state import Param, UrlState
from explorer.store import Store

VIEWS = {"profile": "Profile", "attention": "Needs attention", "peers": "Peers",
         "funnel": "Funnel plot", "compare": "Compare areas"}
COMPARE_DEFAULT_PEERS = 4
P = {p.key: p for p in (
    Param("a", "area", "GSS code, ODS code or name of the area"),
    Param("at", "kind of area", "sub_icb, icb, ccg, utla, ltla, region, nhs_region, combined_authority"),
    Param("from", "replaced area", "The old code the link asked for, shown with its history"),
    Param("old", "old-area option", "1 = show a replaced area's own figures, not its successor's"),
    Param("t", "topic", "Topic id, or all", default=profile.ALL_TOPICS),
    Param("b", "benchmark", "england, parent or peers", default="england"),
    Param("v", "view", "profile, attention, peers, funnel or compare", default="profile"),
    Param("p", "peers", "Peer area codes joined by ~ (default: the 10 most similar)", many=True, max_items=10),
    Param("fi", "funnel-plot indicator", "Row id: indicator id, with :male or :female for sex rows"),
    Param("c", "areas to compare", "Area codes joined by ~", many=True, max_items=10),
    Param("ci", "indicator over time", "Row id of the indicator drawn over time"),
)}
# Picks that no longer apply once the area changes.
AREA_RESETS = ("from", "old", "p", "c", "fi", "ci", "t")


@dataclass
class ProfileState:
    code: str | None = None
    area_type: str | None = None
    area: dict | None = None  # the area's row from profile_areas.area_table
    history: str = ""  # what happened to the area the link asked for, if it was replaced
    replaced: dict | None = None  # that old area's row
    keep_old: bool = False
    topic: str = profile.ALL_TOPICS
    benchmark: str = "england"
    view: str = "profile"
    computed: peers.Peers | None = None
    peers: list[str] = field(default_factory=list)
    custom_peers: bool = False
    funnel_row: str | None = None
    compare: list[str] = field(default_factory=list)
    compare_row: str | None = None
    parent_code: str | None = None
    parent_type: str | None = None
    choices: dict[str, list] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str | None:
        return profile_areas.area_key(self.code, self.area_type) if self.code else None


@functools.cache
def _topic_titles() -> tuple[tuple[str, str], ...]:
    return tuple((t["id"], t["title"]) for t in catalogue.topics())  # topics.yaml read once per process


def topic_titles() -> dict[str, str]:
    return dict(_topic_titles())


def peer_options(store: Store, area_type: str, computed: list[str] | None = None) -> list[str]:
    """Codes a user may choose as peers or compare with: areas of the same kind that still exist
    (every CCG, since none does now), and always the computed peers."""
    table = profile_areas.area_table(store).filter(pl.col("area_type") == area_type)
    if area_type != "ccg":
        table = table.filter(~pl.col("superseded"))
    return list(dict.fromkeys([*(computed or []), *table["area_code"].to_list()]))


def resolve(store: Store, query: Mapping[str, object], profile_rows: pl.DataFrame | None = None) -> ProfileState:
    """The state a query asks for (see the module docstring)."""
    state = UrlState(query)
    out = ProfileState()
    asked = state.pick(P["a"])
    asked_type = state.pick(P["at"], profile_areas.PROFILE_TYPES) if query.get("at") else None
    out.keep_old = state.pick(P["old"], ["1"]) == "1"
    came_from = state.pick(P["from"])
    res = profile_areas.resolve(store, asked, asked_type, out.keep_old)
    out.notices += res.notices
    if res.code is None:
        out.benchmark = state.pick(P["b"], ["england", "parent", "peers"])
        out.view = state.pick(P["v"], list(VIEWS))
        out.notices = state.notices + out.notices
        for key in ("a", "at", "old", "from"):
            state.set(key, None)
        out.query = {k: v for k, v in state.query().items() if k in ("b", "v")}
        return out
    out.code, out.area_type = res.code, res.area_type
    state.set("a", res.code)
    state.set("at", res.area_type)
    out.area = profile_areas.area_row(store, res.code, res.area_type)
    old_code = res.asked_for or came_from
    if old_code and old_code != res.code:
        old = profile_areas.area_row(store, old_code)
        if old is not None and old.get("current_code") == res.code:
            out.replaced = old
            out.history = res.history or _history(store, old_code)
            state.set("from", old_code)
        else:
            state.set("from", None)
    else:
        state.set("from", None)
        if res.history and out.area and out.area.get("superseded"):
            out.history = res.history  # an old area shown on purpose ("old=1")
    if not out.keep_old:
        state.set("old", None)

    topics = profile.topics_for(store, out.code, out.area_type)
    titles = topic_titles()
    out.choices["t"] = [profile.ALL_TOPICS] + [t for t in titles if t in topics]
    out.topic = state.pick(P["t"], out.choices["t"])

    out.parent_code, out.parent_type = profile_areas.parent_of(store, out.code, out.area_type)
    out.computed = peers.nearest_peers(store, out.code, out.area_type)
    options = [c for c in peer_options(store, out.area_type, out.computed.codes) if c != out.code]
    out.choices["p"] = options
    chosen = state.pick(P["p"], options) if query.get("p") else []
    out.custom_peers = bool(chosen)
    out.peers = chosen or out.computed.codes
    if not out.custom_peers:
        state.set("p", None)

    out.choices["b"] = ["england"] + (["parent"] if out.parent_code else []) + (["peers"] if out.peers else [])
    out.benchmark = state.pick(P["b"], out.choices["b"])
    out.choices["v"] = list(VIEWS)
    out.view = state.pick(P["v"], out.choices["v"])

    out.choices["c"] = options
    default_compare = out.peers[:COMPARE_DEFAULT_PEERS]
    compare = state.pick(P["c"], options) if query.get("c") else []
    out.compare = [out.code, *[c for c in (compare or default_compare) if c != out.code]][:10]
    if not compare:
        state.set("c", None)

    rows = profile_rows if profile_rows is not None else profile.profile(store, out.code, out.area_type, out.topic)
    ids = [] if rows.is_empty() else rows["row_id"].to_list()
    funnel_ids = [] if rows.is_empty() else profile_peers.funnel_rows(rows)["row_id"].to_list()
    out.choices["fi"], out.choices["ci"] = funnel_ids, ids
    out.funnel_row = _pick_row(state, "fi", funnel_ids)
    out.compare_row = _pick_row(state, "ci", ids)
    out.notices = state.notices + out.notices
    out.query = state.query()
    return out


def _pick_row(state: UrlState, key: str, ids: list[str]) -> str | None:
    if not ids:
        state.set(key, None)
        return None
    chosen = state.pick(P[key], ids, default=ids[0])
    if chosen == ids[0]:
        state.set(key, None)  # the default: keep links short
    return chosen


def _history(store: Store, code: str) -> str:
    from explorer.geography import history

    return history.what_happened(code, store.areas(), store.table("area_links"))


def changed_query(query: Mapping[str, object], key: str, value: object) -> dict[str, str]:
    """The query after the user changed one pick: a new area drops the picks that depended on the
    old one; list values are joined with '~'."""
    out = {k: str(v) for k, v in query.items()}
    if key == "area":
        code, area_type = profile_areas.split_key(str(value))
        for k in AREA_RESETS:
            out.pop(k, None)
        out["a"], out["at"] = code, area_type
        return out
    text = "~".join(map(str, value)) if isinstance(value, list | tuple) else ("" if value is None else str(value))
    if text:
        out[key] = text
    else:
        out.pop(key, None)
    if key == "t":
        for k in ("fi", "ci"):
            out.pop(k, None)
    return out
