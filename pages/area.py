"""Area profile: pick an area and see how it compares on everything we hold, against England, its
parent area and its peers (Fingertips-style spine chart, needs attention, peers, funnel plot,
several areas side by side). Every choice lives in the URL."""

import streamlit as st

from explorer import ui
from explorer import ui_profile as uip
from explorer import ui_profile_views as views
from explorer.queries import profile, profile_peers

VIEWS = {"attention": views.attention_view, "peers": views.peers_view, "funnel": views.funnel_view,
         "compare": views.compare_view}

store = ui.store_or_stop()
sel = uip.selection(store)
st.title("Area profile")
st.caption("How one area compares on every indicator we hold: with England, with its parent area and with "
           "the areas most like it. Search by name, ODS code or GSS code; the address bar keeps your choices.")
ui.notice(sel.notices)
uip.selectors(store, sel)
if sel.code is None:
    uip.examples()
else:
    uip.history_notice(sel)
    full = profile_peers.benchmarked(store, sel.code, sel.area_type, tuple(sel.peers))
    frame = profile.with_benchmark(profile.profile_topic(full, sel.topic), sel.benchmark)
    summary = profile.chance_summary(frame, "comparison")  # against the chosen benchmark
    uip.header(store, sel, summary, profile.needs_attention(frame).height, frame.height)
    if frame.is_empty():
        st.info("We hold no figures for this area in this topic.", icon=":material/info:")
    else:
        uip.view_selector(sel)
        if sel.view in VIEWS:
            VIEWS[sel.view](store, sel, frame)
        else:
            views.profile_view(store, sel, frame, summary)
ui.footer()
