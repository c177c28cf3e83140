"""Streamlit glue for the download page: URL ↔ widget state, and the download buttons.

The URL is read (and checked, with notices) only when it differs from what the page last wrote:
on arrival, or when someone pastes an edited link. After that the widgets are the source of
truth and the page writes the canonical link back, so changing an indicator never produces a
"not available in the link" notice for a value the user never typed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import polars as pl
import streamlit as st

from explorer import export
from explorer.queries import catalogue as queries_catalogue
from explorer.queries import download as dq
from explorer.queries import download_url as du
from explorer.store import Store

SYNCED = "dl__synced_query"
ALL = ""  # the "All topics" / "All area types" choice (None would show as an empty box)
K = {  # widget keys
    "query": "dl_q", "topic": "dl_tp", "indicators": "dl_i", "producers": "dl_pr", "area_type": "dl_at",
    "areas": "dl_a", "from": "dl_from", "to": "dl_to", "sexes": "dl_sx", "ages": "dl_ag", "categories": "dl_cat",
    "statuses": "dl_st", "columns": "dl_cols", "fmt": "dl_f",
}


def topic_titles() -> dict[str, str]:
    return dict(queries_catalogue.topic_titles())  # topics.yaml is read once per process, not every rerun


def sync_from_url(store: Store) -> list[str]:
    """Seed the widgets from the URL when it changed from outside; return the notices."""
    raw = st.query_params.to_dict()
    if st.session_state.get(SYNCED) == raw:
        return []
    page = du.from_query(store, raw, export.FORMATS, topic_titles())
    f = page.filter
    seeds = {"query": page.query, "topic": page.topic or ALL, "indicators": list(f.indicators),
             "producers": list(f.producers), "area_type": f.area_type or ALL, "areas": list(f.areas),
             "from": f.period_from, "to": f.period_to, "sexes": list(f.sexes), "ages": list(f.ages),
             "categories": list(f.categories), "statuses": list(f.statuses), "columns": list(f.columns),
             "fmt": page.fmt}
    for name, value in seeds.items():
        st.session_state[K[name]] = value
    return page.notices


def keep_valid(name: str, options: list, many: bool = False, default=None) -> None:
    """Drop values the current options no longer offer (e.g. areas of another area type), so a
    widget is never given a value it cannot show."""
    key = K[name]
    value = st.session_state.get(key)
    if many:
        st.session_state[key] = [v for v in (value or []) if v in options]
    elif value not in options:
        st.session_state[key] = default if default in options else (options[0] if options else None)


def period_range(periods: list[str]) -> None:
    """Keep the From/To boxes on periods that exist, From not after To; both ends default to the
    full range. (Two select boxes rather than a range slider: a slider without a `value` argument
    cannot be a range, and passing one as well as a key makes Streamlit warn.)"""
    start, end = st.session_state.get(K["from"]), st.session_state.get(K["to"])
    if not periods:
        st.session_state[K["from"]], st.session_state[K["to"]] = None, None
        return
    start = start if start in periods else periods[0]
    end = end if end in periods else periods[-1]
    if periods.index(start) > periods.index(end):
        start, end = end, start
    st.session_state[K["from"]], st.session_state[K["to"]] = start, end


def period_filter(periods: list[str]) -> tuple[str | None, str | None]:
    """(from, to) for the filter: None for both when the whole range is chosen, so a link to
    "everything" stays open-ended; otherwise both ends, so a shared link stays the same rows."""
    start, end = st.session_state.get(K["from"]), st.session_state.get(K["to"])
    if not periods or (start == periods[0] and end == periods[-1]):
        return None, None
    return start, end


def write_url(page: du.PageState) -> None:
    query = du.page_query(page)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state[SYNCED] = query


def base_url() -> str | None:
    """This app's address as the browser sees it, for the link back inside files."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # no browser context (AppTest, bare mode): the configured default
        return None
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def download_buttons(store: Store, f: dq.Filter, fmt: str, n_rows: int) -> None:
    """The download button (the file is built when clicked, not on every change) and, for
    formats that cannot hold metadata, a metadata.json button beside it."""
    problem = dq.size_problem(n_rows, fmt, f)
    if problem:
        st.warning(problem.split("\n\n")[0], icon=":material/warning:")
        st.code(dq.cli_command(f, fmt), language="bash")
        return
    spec = export.FORMATS[fmt]
    link_base = base_url()
    left, right = st.columns([1, 2])
    left.download_button(f"Download {spec.label}", type="primary", icon=":material/download:",
                         data=lambda: export.export(store, f, fmt, base_url=link_base,
                                                    max_rows=dq.row_limit(fmt)),
                         file_name=export.file_name(f, fmt), mime=spec.mime, on_click="ignore",
                         key="dl_button", disabled=n_rows == 0)
    if spec.sidecar:
        right.download_button("Metadata (definitions, sources, licence) as JSON", icon=":material/description:",
                              data=lambda: export.metadata_file(store, f, fmt, base_url=link_base),
                              file_name=export.file_name(f, fmt) + ".metadata.json",
                              mime="application/json", on_click="ignore", key="dl_metadata",
                              disabled=n_rows == 0)


def preview(store: Store, f: dq.Filter, fmt: str, rows: int = 100) -> None:
    """The first rows as the file will hold them (the Fingertips layout for that format), with
    the area and period pinned on the left (the table is wide), dates as dates, and each
    column's definition as its tooltip."""
    if fmt == "fingertips":
        frame = export.fingertips.table(store, f, limit=rows)
        st.caption("Fingertips-style files have Fingertips' own 26 columns, whatever the column choice above.")
        pinned = {"Area Name", "Time period"}
        labels = {c: c for c in frame.columns}
    else:
        frame = dq.table(store, f, limit=rows)
        pinned = {"area_name", "period"}
        labels = {c: dq.COLUMN_LABELS.get(c, c) for c in frame.columns}
    config = {}
    for name, dtype in frame.schema.items():
        tip = dq.COLUMN_DESCRIPTIONS.get(name)
        if dtype == pl.Date:
            config[labels[name]] = st.column_config.DateColumn(help=tip, format="YYYY-MM-DD")
        else:
            config[labels[name]] = st.column_config.Column(help=tip, pinned=(name in pinned) or None)
    st.dataframe(frame.rename(labels), hide_index=True, width="stretch", height=320, column_config=config)
