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
    frame = profile.with_columns(
        pl.col("polarity").replace_strict(polarities, default=None, return_dtype=pl.String),
        *[pl.col(c).cast(pl.Float64) for c in REQUIRED[3:]])
    england = pl.col("england_value")
    half = pl.max_horizontal((england - pl.col("minimum")).abs(), (pl.col("maximum") - england).abs())
    half = pl.when(half > 0).then(half)
    sign = pl.when(pl.col("polarity") == POLARITY_LOW).then(-1.0).otherwise(1.0)

    def pos(column: str) -> pl.Expr:
        return (0.5 + sign * (pl.col(column) - england) / (2 * half)).alias(f"{column.split('_')[0]}_pos")

    out = frame.select(
        "indicator_id", "short_title", "polarity",
        (pl.col("polarity") == POLARITY_LOW).fill_null(False).alias("flipped"),
        pl.when(half.is_not_null()).then(0.5).alias("england_pos"),
        pos("area_value"), pos("minimum"), pos("q25"), pos("q75"), pos("maximum"))
    return out.with_columns(
        pl.min_horizontal("minimum_pos", "maximum_pos").alias("range_left"),
        pl.max_horizontal("minimum_pos", "maximum_pos").alias("range_right"),
        pl.min_horizontal("q25_pos", "q75_pos").alias("band_left"),
        pl.max_horizontal("q25_pos", "q75_pos").alias("band_right"))


@functools.lru_cache(maxsize=20_000)
def _text(title: str, unit: str | None, short_title: str) -> IndicatorText:
    """One per indicator, reused by every profile that shows it (read only)."""
    return IndicatorText({"title": title, "unit": unit, "short_title": short_title})


def _row_text(row: dict) -> IndicatorText:
    return _text(row.get("title") or row["short_title"], row.get("unit"), row["short_title"])


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
    texts = [_row_text(r) for r in rows]
    labels = [wrap(esc(r["short_title"]), 40) for r in rows]

    spread = [hover_lines(
        labels[i], f"Lowest area: {t.value(r['minimum'])}", f"25th percentile: {t.value(r['q25'])}",
        f"75th percentile: {t.value(r['q75'])}", f"Highest area: {t.value(r['maximum'])}",
        f"{bench}: {t.value(r['england_value'])}") for i, (r, t) in enumerate(zip(rows, texts, strict=True))]
    fig = Draft()
    for name, left, right, colour, width in (
            ("Range of all areas (lowest to highest)", "range_left", "range_right", RANGE_GREY, 0.6),
            ("Middle half of areas (25th to 75th percentile)", "band_left", "band_right", IQR_GREY, 0.6)):
        lo, hi = pos[left].to_list(), pos[right].to_list()
        fig.add("bar",
            y=ids, base=lo,
            x=[(b - a) if a is not None and b is not None else None for a, b in zip(lo, hi, strict=True)],
            orientation="h", width=width, name=name, marker={"color": colour, "line": {"width": 0}},
            hovertext=spread, hovertemplate=HOVER)

    keys = [palette.comparison_key(r.get("comparison")) for r in rows]
    area_pos = pos["area_pos"].to_list()
    for key in palette.COMPARISON_ORDER:
        idx = [i for i, k in enumerate(keys) if k == key and area_pos[i] is not None]
        if not idx:
            continue
        style = palette.COMPARISON_STYLE[key]
        fig.add("scatter",
            x=[area_pos[i] for i in idx], y=[ids[i] for i in idx], mode="markers",
            name=palette.comparison_legend(key, bench), marker=marker(style.colour, style.symbol, size=14),
            hovertext=[hover_lines(labels[i], f"{area}: {texts[i].value(rows[i]['area_value'])}",
                                   f"{bench}: {texts[i].value(rows[i]['england_value'])}",
                                   palette.comparison_legend(key, bench)) for i in idx],
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
    fig.axis("yaxis", type="category", categoryorder="array", categoryarray=list(reversed(ids)),
                     tickmode="array", tickvals=ids, ticktext=labels, showgrid=False)
    return fig.figure()
