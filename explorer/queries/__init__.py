"""Queries the pages ask of the store, one module per view (explore, profile, trends, download,
catalogue …) plus `common`. No Streamlit here: each function takes a Store and returns frames or
plain values, so pages, the command line, tests and benchmarks share the same code."""

from explorer.queries.common import catalogue_table, source_info, store_summary, topic_overview

__all__ = ["catalogue_table", "source_info", "store_summary", "topic_overview"]
