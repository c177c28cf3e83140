"""Streamlit glue shared by pages: the store loaded once per process, notices, source footers.

This is the only explorer module besides `state` that imports Streamlit; data, query and
statistics modules never do.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import streamlit as st

from explorer.store import Store, StoreMissing

LICENCE_LINE = ("Contains public sector information licensed under the Open Government Licence "
                "v3.0. Boundaries contain OS data © Crown copyright and database right. House of "
                "Commons Library data under the Open Parliament Licence v3.0.")


@st.cache_resource(show_spinner="Loading the statistics store …")
def get_store() -> Store:
    """One Store per server process, shared by every session and never mutated."""
    return Store.open()


def _use_app_navigation() -> None:
    """Run pages through app.py's st.navigation, even for the first deep link a new server gets.

    Streamlit starts each server in its legacy "pages/ directory" mode until app.py has called
    st.navigation once, so a first visit to e.g. /explore?i=… would run the page file alone:
    no page config, a sidebar listing file names. Leaving that mode and rerunning sends the same
    URL through app.py instead. (Under AppTest a page runs alone on purpose; the flag is off there.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def store_or_stop() -> Store:
    _use_app_navigation()
    try:
        return get_store()
    except StoreMissing:
        st.error("The statistics store has not been built yet. Run `make run` (or "
                 "`python -m explorer build`) and reload this page.")
        st.stop()


def slot():
    """A container emitted on every run, for content that comes and goes (a notice, a note, a
    control offered only sometimes). The browser keys a page's blocks by position: an element
    that is there on one run and not the next shifts every block below it, and remounts their
    charts (each then drawn from scratch)."""
    return st.container()


def fresh(state, resolve: Callable[[dict], object]):
    """The page state the URL holds now. Inside a fragment rerun the arguments are those of the
    last full run: when a control in the fragment has changed the URL since, `resolve` it again
    (cheap: resolving is cached per query). `state.query` is the query it was resolved from."""
    query = st.query_params.to_dict()
    return state if query == state.query else resolve(query)


def notice(messages: list[str]) -> None:
    """Visible, non-fatal notices (e.g. a link parameter that was not understood). They echo
    what the link held, so they are shown as inert text (`plain`); in a `slot`, there or not."""
    box = slot()
    for message in messages:
        box.info(plain(message), icon=":material/info:")


def text(value: object) -> str:
    """Escape text from data before it goes into markdown or HTML."""
    return html.escape("" if value is None else str(value))


MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]{}()#+!|~$"})
# GitHub-flavoured markdown turns 'https://…', 'www.…' and e-mail addresses into links *after*
# escapes are resolved, so escaping cannot stop it; a word joiner (U+2060, invisible) can.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")


def plain(value: object) -> str:
    """Text anyone can put in a link (search words, parameters echoed in notices) made inert in
    st.markdown, st.info and st.caption: no HTML, no markdown formatting or links, no $ maths
    and no automatic links, so a crafted URL cannot make this site show someone else's link."""
    escaped = html.escape(("" if value is None else str(value)).translate(MARKDOWN_SPECIAL), quote=False)
    return _AUTOLINK.sub("\u2060", escaped)


def footer() -> None:
    st.caption(LICENCE_LINE)


def source_footer(store: Store, indicator_id: str, producer: str | None = None) -> None:
    """Under every chart: producer, dataset, release date, licence, also published by, and a
    link to the indicator's definition."""
    from explorer import queries

    info = queries.source_info(store, indicator_id, producer)
    parts = [f"**Source:** {text(info['producer'])}"]
    for d in info["datasets"]:
        released = f", released {d['release_date']:%d %B %Y}" if d.get("release_date") else ""
        parts.append(f"{text(d['title'])}{released} ({text(d['licence'])})")
    if info["also_published_by"]:
        parts.append("**Also published by:** " + ", ".join(text(p) for p in info["also_published_by"]))
    parts.append(f"[Definition and method](/indicator?i={indicator_id})")
    st.caption(" · ".join(parts))
