"""Health statistics explorer for England: the page registry (nothing else lives here).

Each page is one thin module in pages/; its url_path is the stable address other pages and
shared links use (e.g. /explore?i=diabetes-recorded-prevalence&at=icb).
"""

import streamlit as st

st.set_page_config(page_title="Health statistics for England", page_icon=":material/monitoring:",
                   layout="wide")

PAGES = {
    "": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Explore": [
        st.Page("pages/catalogue.py", title="Indicators", icon=":material/search:", url_path="indicators"),
    ],
    "About": [
    ],
}

st.navigation({k: v for k, v in PAGES.items() if v}).run()
