"""Spine chart (Fingertips area profile): one row per indicator, England at the centre.

Each row shows the spread of all areas (lowest to highest: light bar; 25th to 75th percentile:
darker band) on a scale centred on England's value, and the chosen area as a marker coloured and
shaped by its comparison with England. As in Fingertips, each row's scale runs from England by
the larger of (England - lowest) and (highest - England) either way, so England sits in the middle,
and rows for "low is good" indicators are mirrored so better is always on the right. Rows with no
judgement keep lower values on the left.
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go
import polars as pl

from explorer.stats import POLARITY_LOW, normalise_polarity

from . import palette
from .common import HOVER, Draft, IndicatorText, apply_layout, esc, hover_lines, marker, wrap

RANGE_GREY = "#D9D9D9"
IQR_GREY = "#8C8C8C"
POSITION_COLUMNS = ("area_pos", "minimum_pos", "q25_pos", "q75_pos", "maximum_pos")
REQUIRED = ("indicator_id", "short_title", "polarity", "area_value", "england_value", "minimum", "q25",
            "q75", "maximum")


def spine_positions(profile: pl.DataFrame) -> pl.DataFrame:
    """Normalised 0-1 positions of each row's values (England = 0.5), flipped for "low is good".

    Returns indicator_id, short_title, polarity (normalised), flipped, england_pos (0.5),
    area_pos, minimum_pos, q25_pos, q75_pos, maximum_pos and, for drawing, range_left/right
    (the whole range) and band_left/right (25th-75th percentile). When a row is flipped its
    minimum sits on the right (minimum_pos > maximum_pos). Positions are null when England's
    value is missing or every area equals England (no spread to scale by).
    """
    missing = [c for c in REQUIRED if c not in profile.columns]
    if missing:
        raise ValueError(f"profile lacks {missing}")
    polarities = {p: normalise_polarity(p) for p in profile["polarity"].unique().to_list()}
    polarity = profile["polarity"].replace_strict(polarities, default=None, return_dtype=pl.String)
    flipped = (polarity == POLARITY_LOW).fill_null(False)
    # numpy, a few hundred rows: nulls are NaN here and null again in the frame (nan_to_null);
    # fmax/fmin skip a missing side as pl.max_horizontal/min_horizontal do.
    lowest, highest, england = (profile[c].cast(pl.Float64).to_numpy() for c in ("minimum", "maximum", "england_value"))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.fmax(np.abs(england - lowest), np.abs(highest - england))
        half = np.where(half > 0, half, np.nan)
        sign = np.where(flipped.to_numpy(), -1.0, 1.0)
        pos = {f"{c.split('_')[0]}_pos": 0.5 + sign * (profile[c].cast(pl.Float64).to_numpy() - england) / (2 * half)
               for c in ("area_value", "minimum", "q25", "q75", "maximum")}
    ranges = {"range_left": np.fmin(pos["minimum_pos"], pos["maximum_pos"]),
              "range_right": np.fmax(pos["minimum_pos"], pos["maximum_pos"]),
              "band_left": np.fmin(pos["q25_pos"], pos["q75_pos"]),
              "band_right": np.fmax(pos["q25_pos"], pos["q75_pos"])}
    numbers = pl.DataFrame({"england_pos": np.where(np.isnan(half), np.nan, 0.5), **pos, **ranges}, nan_to_null=True)
    return pl.concat([profile.select("indicator_id", "short_title"), pl.DataFrame([polarity, flipped.alias("flipped")]),
                      numbers], how="horizontal")


@functools.lru_cache(maxsize=20_000)
def _text(title: str, unit: str | None, short_title: str) -> IndicatorText:
    """One per indicator, reused by every profile that shows it (read only)."""
    return IndicatorText({"title": title, "unit": unit, "short_title": short_title})


def _text_key(row: dict) -> tuple[str, str | None, str]:
    return row.get("title") or row["short_title"], row.get("unit"), row["short_title"]


@functools.lru_cache(maxsize=50_000)
def _spread_hover(label: str, text: tuple, minimum: float | None, q25: float | None, q75: float | None,
                  maximum: float | None, benchmark: float | None, bench: str) -> str:
    """A row's spread hover text: the same for every area of the kind in the same period, so kept."""
    t = _text(*text)
    return hover_lines(label, f"Lowest area: {t.value(minimum)}", f"25th percentile: {t.value(q25)}",
                       f"75th percentile: {t.value(q75)}", f"Highest area: {t.value(maximum)}",
                       f"{bench}: {t.value(benchmark)}")


def spine_figure(
    profile: pl.DataFrame,
    area_name: str = "",
    benchmark_label: str = "England",
    title: str | None = None,
) -> go.Figure:
    """Fingertips-style spine chart of one area's profile (columns as `spine_positions` needs,
    plus `comparison`, and optionally `unit` and `title` per indicator)."""
    pos = spine_positions(profile)
    rows = profile.to_dicts()
    ids = pos["indicator_id"].to_list()
    area, bench = esc(area_name) or "This area", esc(benchmark_label)
    keys = [_text_key(r) for r in rows]
    texts = [_text(*k) for k in keys]
    labels = [wrap(esc(r["short_title"]), 40) for r in rows]
    # Text arrays as numpy: the figure deep-copies every list it is given, element by element, and
    # an array in one go (the JSON sent to the browser is the same list either way).
    y = np.array(ids, dtype=str)
    spread = np.array([_spread_hover(labels[i], keys[i], r["minimum"], r["q25"], r["q75"], r["maximum"],
                                     r["england_value"], bench) for i, r in enumerate(rows)], dtype=str)
    fig = Draft()
    for name, left, right, colour, width in (
            ("Range of all areas (lowest to highest)", "range_left", "range_right", RANGE_GREY, 0.6),
            ("Middle half of areas (25th to 75th percentile)", "band_left", "band_right", IQR_GREY, 0.6)):
        lo, hi = pos[left].to_list(), pos[right].to_list()
        fig.add("bar",
            y=y, base=lo,
            x=[(b - a) if a is not None and b is not None else None for a, b in zip(lo, hi, strict=True)],
            orientation="h", width=width, name=name, marker={"color": colour, "line": {"width": 0}},
            hovertext=spread, hovertemplate=HOVER)

    kinds = [palette.comparison_key(r.get("comparison")) for r in rows]
    area_pos = pos["area_pos"].to_list()
    for key in palette.COMPARISON_ORDER:
        idx = [i for i, k in enumerate(kinds) if k == key and area_pos[i] is not None]
        if not idx:
            continue
        style = palette.COMPARISON_STYLE[key]
        legend = palette.comparison_legend(key, bench)
        fig.add("scatter",
            x=[area_pos[i] for i in idx], y=y[idx], mode="markers",
            name=legend, marker=marker(style.colour, style.symbol, size=14),
            hovertext=np.array([hover_lines(labels[i], f"{area}: {texts[i].value(rows[i]['area_value'])}",
                                            f"{bench}: {texts[i].value(rows[i]['england_value'])}", legend)
                                for i in idx], dtype=str),
            hovertemplate=HOVER)
    fig.shape(type="line", xref="x", yref="paper", x0=0.5, x1=0.5, y0=0, y1=1, showlegend=True,
                  name=f"{bench} value (centre)", line={"color": palette.BENCHMARK, "width": 2})
    for x, anchor, text in ((0, "left", "← Worse (or lower)"), (1, "right", "Better (or higher) →")):
        fig.annotate(x=x, xref="x", y=1, yref="paper", yanchor="bottom", xanchor=anchor,
                           text=text, showarrow=False, font={"size": 13})
    heading = esc(title) if title else f"{area} compared with {bench}"
    apply_layout(fig, title=wrap(heading),
                 subtitle="Each row: all areas' spread, centred on " + bench + "; better is on the right.",
                 height=200 + 44 * len(ids))
    fig.layout.update(barmode="overlay", bargap=0.3)
    fig.axis("xaxis", range=[-0.03, 1.03], showticklabels=False, showgrid=False, fixedrange=True)
    fig.axis("yaxis", type="category", categoryorder="array", categoryarray=y[::-1],
                     tickmode="array", tickvals=y, ticktext=np.array(labels, dtype=str), showgrid=False)
    return fig.figure()
