"""Health statistics explorer for England: the page registry (nothing else lives here)."""

import streamlit as st

st.set_page_config(page_title="Health statistics for England", page_icon=":material/monitoring:",
                   layout="wide")

PAGES = {
    "": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="home"),
    ],
    "Explore": [
        st.Page("pages/catalogue.py", title="Indicators", icon=":material/search:", url_path="indicators"),
    ],
}

st.navigation(PAGES).run()
