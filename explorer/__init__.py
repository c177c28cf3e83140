"""Health statistics explorer for England: a harmonised indicator store and its queries.

Nothing in this package's data, query and statistics modules imports Streamlit.
"""
