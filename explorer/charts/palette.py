"""Colours and marker symbols shared by every chart and map, chosen to be colour-blind safe.

Sources:

* Okabe, M. and Ito, K. (2008) "Color Universal Design (CUD): how to make figures and presentations
  that are friendly to colorblind people" -- the eight-colour palette (blue #0072B2, vermillion
  #D55E00, sky blue #56B4E9, ...) that stays distinguishable under protan, deutan and tritan vision.
* ColorBrewer 2.0 (Brewer, Harrower and Penn State, colorbrewer2.org) -- the schemes flagged
  "colorblind safe": sequential Blues, Purples and YlGnBu, diverging RdYlBu (5 classes).
* NHS England "Making Data Count" via NHS-R Community's NHSRplotthedots (R/ptd_spc_colours.R) for
  the SPC point colours, so charts look like the ones NHS boards already read.

Meaning never rests on colour alone: each comparison outcome also has its own marker symbol
(triangle up = better, triangle down = worse, circle = similar, ...) and a plain-English legend
text; pages show the same words in their tables.

Fingertips semantics are kept (blue/amber/orange-red instead of green/amber/red, which fails for
the 1 in 12 men with red-green colour blindness): better = blue, similar = amber, worse =
vermillion, with darker shades for best/worst (outside the 99.8% interval); for indicators with no
judgement ("BOB") higher = dark blue and lower = light blue, as Fingertips does.
"""

from __future__ import annotations

from typing import NamedTuple

# Okabe-Ito (2008), by name.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Lines for several areas on one chart: Okabe-Ito order without yellow (too pale on white) and
# a marker symbol and dash per area so the lines can be told apart without colour.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SERIES_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x")
SERIES_DASHES = ("solid", "dot", "dash", "longdash", "dashdot", "longdashdot", "solid")

TEXT = "#212B32"  # the app theme's text colour (.streamlit/config.toml)
BENCHMARK = "#000000"
OUTLINE = "#212B32"  # dark marker outline: keeps pale fills (amber, light blue) visible on white
GRID = "#D8DDE0"
NO_DATA = "#D9D9D9"
BAND = "rgba(0, 114, 178, 0.15)"  # Okabe-Ito blue at 15%: a 95% interval band
# The page's own font (Streamlit serves "Source Sans") so charts read as part of the page; images drawn on
# the server, where it is not installed, fall back to Arial.
FONT = {"family": '"Source Sans", Arial, Helvetica, sans-serif', "size": 14, "color": TEXT}


class Style(NamedTuple):
    colour: str
    symbol: str  # plotly marker symbol
    legend: str  # plain-English legend text


# Keys are the labels explorer.stats.compare returns. Legend texts name the benchmark through the
# "{benchmark}" placeholder (filled by `comparison_legend`).
COMPARISON_STYLE: dict[str, Style] = {
    # ColorBrewer Blues 9 / Okabe-Ito blue / amber (Fingertips' yellow, outlined) / Okabe-Ito
    # vermillion / ColorBrewer Oranges 9.
    "best": Style("#08306B", "star-triangle-up", "Better than {benchmark} (99.8% confidence)"),
    "better": Style("#0072B2", "triangle-up", "Better than {benchmark} (95% confidence)"),
    "similar": Style("#F5C342", "circle", "Similar to {benchmark}"),
    "worse": Style("#D55E00", "triangle-down", "Worse than {benchmark} (95% confidence)"),
    "worst": Style("#7F2704", "star-triangle-down", "Worse than {benchmark} (99.8% confidence)"),
    # No judgement (Fingertips "BOB"): ColorBrewer Blues 8 and 3.
    "higher": Style("#08519C", "triangle-up", "Higher than {benchmark}"),
    "lower": Style("#9ECAE1", "triangle-down", "Lower than {benchmark}"),
    # White with the dark outline every marker gets; a square so it differs from "similar".
    "not compared": Style("#FFFFFF", "square", "Not compared"),
}
# Legend order: best first, so the legend reads like a scale.
COMPARISON_ORDER = ("best", "better", "similar", "worse", "worst", "higher", "lower", "not compared")


def comparison_key(label: str | None) -> str:
    """The COMPARISON_STYLE key of a label; unknown or missing labels count as "not compared"."""
    key = (label or "").strip().lower()
    return key if key in COMPARISON_STYLE else "not compared"


def comparison_style(label: str | None) -> Style:
    return COMPARISON_STYLE[comparison_key(label)]


def comparison_legend(label: str | None, benchmark_label: str = "England") -> str:
    """Plain legend text, e.g. "Better than England (95% confidence)". `benchmark_label` must
    already be escaped if it came from data."""
    return comparison_style(label).legend.replace("{benchmark}", benchmark_label)


# --- quintiles ---------------------------------------------------------------------------------
# No judgement: ColorBrewer Purples (5 classes), light = lowest values (Q1) to dark = highest (Q5),
# as Fingertips colours non-judged quintiles in purple.
QUINTILE_NEUTRAL = ("#F2F0F7", "#CBC9E2", "#9E9AC8", "#756BB1", "#54278F")
# Judged: ColorBrewer RdYlBu (5 classes, colour-blind safe), listed best -> worst so blue means
# better and red worse, as in the comparison colours.
QUINTILE_BEST_TO_WORST = ("#2C7BB6", "#ABD9E9", "#FFFFBF", "#FDAE61", "#D7191C")
QUINTILE_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "star")


def quintile_colours(polarity: str | None) -> tuple[str, ...]:
    """Colours for Q1 (lowest values) .. Q5 (highest values) under the indicator's polarity.

    "high is good": Q5 is best (blue) and Q1 worst (red); "low is good": the reverse; "no
    judgement" (or None): light to dark purple, darker meaning a higher value, not a better one.
    """
    pol = (polarity or "").strip().lower()
    if pol == "high is good":
        return tuple(reversed(QUINTILE_BEST_TO_WORST))
    if pol == "low is good":
        return QUINTILE_BEST_TO_WORST
    return QUINTILE_NEUTRAL


def quintile_index(label: str | None) -> int | None:
    """0..4 for labels starting "Q1".."Q5" (explorer.stats.quintiles' labels); None otherwise."""
    text = (label or "").strip()
    if len(text) >= 2 and text[0] in "Qq" and text[1] in "12345":
        return int(text[1]) - 1
    return None


# --- continuous values -------------------------------------------------------------------------
# ColorBrewer YlGnBu (9 classes, sequential, colour-blind safe): pale = low, dark blue = high. A value
# scale shows size, not judgement, so it does not flip with polarity.
VALUE_SCALE = [
    [0.0, "#FFFFD9"], [0.125, "#EDF8B1"], [0.25, "#C7E9B4"], [0.375, "#7FCDBB"], [0.5, "#41B6C4"],
    [0.625, "#1D91C0"], [0.75, "#225EA8"], [0.875, "#253494"], [1.0, "#081D58"],
]

# --- SPC (NHSRplotthedots ptd_spc_colours defaults) --------------------------------------------
SPC_STYLE: dict[str, Style] = {
    "special cause improvement": Style("#289DE0", "triangle-up", "Special cause: improvement"),
    "special cause concern": Style("#FAB428", "triangle-down", "Special cause: concern"),
    "special cause neutral": Style("#361475", "diamond", "Special cause: neither better nor worse"),
    "common cause": Style("#7B7D7D", "circle", "Common cause (usual variation)"),
}
SPC_LINE = "#7B7D7D"
SPC_MEAN = "#000000"
SPC_LIMIT = "#7B7D7D"
SPC_TARGET = "#DE1B1B"
