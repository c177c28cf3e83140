"""Health statistics explorer for England: the page registry (nothing else lives here).

Each page is one thin module in pages/; its url_path is the stable address other pages and
shared links use (e.g. /explore?i=diabetes-recorded-prevalence&at=icb).
"""

import streamlit as st

st.set_page_config(page_title="Health statistics for England", page_icon="static/favicon.png",
                   layout="wide")

PAGES = {
    "": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Explore": [
        st.Page("pages/explore.py", title="Explore", icon=":material/map:", url_path="explore"),
        st.Page("pages/area.py", title="Area profile", icon=":material/location_on:", url_path="area"),
        st.Page("pages/trends.py", title="Trends (SPC and forecasts)", icon=":material/show_chart:",
                url_path="trends"),
        st.Page("pages/indicators.py", title="Indicators", icon=":material/search:", url_path="indicators"),
        st.Page("pages/indicator.py", title="Indicator definition", icon=":material/description:",
                url_path="indicator"),
        st.Page("pages/coherence.py", title="Compare producers", icon=":material/compare_arrows:",
                url_path="coherence"),
        st.Page("pages/download.py", title="Download data", icon=":material/download:", url_path="download"),
    ],
    "About": [
        st.Page("pages/about.py", title="About and methods", icon=":material/info:", url_path="about"),
        st.Page("pages/releases.py", title="Release calendar", icon=":material/event:", url_path="releases"),
        st.Page("pages/producers.py", title="Producers", icon=":material/apartment:", url_path="producers"),
    ],
}

st.navigation({k: v for k, v in PAGES.items() if v}).run()
