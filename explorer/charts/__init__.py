"""Plotly figure builders for the explorer's pages (no Streamlit here).

One module per chart family: `palette` (colours, symbols, their sources), `trend`, `compare`,
`funnel`, `spine`, `spc`; `explorer.maps` draws choropleths. Every builder takes Polars frames
plus the indicator's catalogue row (a dict) and returns a `plotly.graph_objects.Figure` that
renders offline. Text from data is HTML-escaped before it reaches a figure (`common.esc`).
"""

from .compare import compare_figure
from .funnel import funnel_figure, funnel_positions
from .palette import COMPARISON_STYLE, QUINTILE_NEUTRAL, SPC_STYLE, VALUE_SCALE, quintile_colours
from .spc import add_forecast, spc_figure
from .spine import spine_figure, spine_positions
from .trend import trend_figure

__all__ = [
    "COMPARISON_STYLE",
    "QUINTILE_NEUTRAL",
    "SPC_STYLE",
    "VALUE_SCALE",
    "add_forecast",
    "compare_figure",
    "funnel_figure",
    "funnel_positions",
    "quintile_colours",
    "spc_figure",
    "spine_figure",
    "spine_positions",
    "trend_figure",
]
