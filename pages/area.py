"""Area profile: pick an area and see how it compares on everything we hold, against England, its
parent area and its peers (Fingertips-style spine chart, needs attention, peers, funnel plot,
several areas side by side). Every choice lives in the URL."""

import streamlit as st

from explorer import ui
from explorer import ui_profile as uip
from explorer import ui_profile_views as views

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
    views.body(store, sel)
ui.footer()
