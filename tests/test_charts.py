"""Chart builders on real data: the native Fingertips export (Campylobacter notification rate per
100,000 by upper-tier local authority, 2015-2017, with Fingertips' own 95% limits and comparisons).

Values cited from data/raw/ohid_fingertips_native/indicators-CountyUA.data.csv:
  line 223:  Birmingham (E08000025) 2015 = 65.4184667243165, 95% CI 60.7489243266185-70.3517035673049,
             count 727, denominator 1111307, compared to England "Better";
  line 1561: Birmingham 2017 = 64.7359121583469;
  line 1343: England 2017 = 96.6109417215551, recent trend "Cannot be calculated".
"""

from __future__ import annotations

import datetime as dt
import functools
import time

import plotly.graph_objects as go
import polars as pl
import pytest

from explorer import paths, stats
from explorer.charts import (
    COMPARISON_STYLE,
    compare_figure,
    funnel_figure,
    funnel_positions,
    palette,
    trend_figure,
)
from explorer.charts.common import esc
from explorer.charts.funnel import ABOVE_998, BELOW_998, WITHIN
from explorer.sources import ohid_fingertips_native as step
from explorer.sources.base import StepContext

RAW = paths.RAW_DIR / "ohid_fingertips_native" / "indicators-CountyUA.data.csv"
BIRMINGHAM, CAMBRIDGESHIRE, SCILLY = "E08000025", "E10000003", "E06000053"
ENGLAND_2017 = 96.6109417215551
EVIL = "<script>alert(1)</script>"
INDICATOR = {"indicator_id": "campylobacter-rate",
             "title": "Campylobacter notification rate per 100,000 population",
             "short_title": "Campylobacter rate", "unit": "per 100,000", "multiplier": 100000.0,
             "value_type": "crude rate", "polarity": "low is good", "target": None}


@functools.cache
def campylobacter() -> pl.DataFrame:
    """The step's all-ages, uncategorised rows, with Fingertips' area names and its published
    comparison with England (both columns of the same raw file the step reads)."""
    ctx = StepContext(step.META)
    step.run(ctx)
    values, _, _ = ctx.result()
    raw = pl.read_csv(RAW, infer_schema=False)
    raw = raw.filter(pl.col("Category").is_null(), pl.col("Age") == "All ages")
    labels = raw.select(
        pl.col("Area Code").alias("area_code"), pl.col("Time period").alias("period"),
        pl.col("Area Name").alias("area_name"),
        pl.col("Compared to England value or percentiles").str.to_lowercase().alias("comparison"))
    return (values.filter(pl.col("category").is_null(), pl.col("age") == "All ages")
            .join(labels, on=["area_code", "period"], how="left"))


def utla(period: str = "2017") -> pl.DataFrame:
    return campylobacter().filter(pl.col("area_type") == "utla", pl.col("period") == period)


def england() -> pl.DataFrame:
    return campylobacter().filter(pl.col("area_type") == "england")


def traces(fig: go.Figure, kind: str = "scatter") -> list:
    return [t for t in fig.data if t.type == kind]


def by_name(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


# --- palette ------------------------------------------------------------------------------------
def test_every_comparison_label_has_its_own_colour_and_symbol_pair():
    labels = ["best", "better", "similar", "worse", "worst", "higher", "lower", "not compared"]
    pairs = {(palette.comparison_style(k).colour, palette.comparison_style(k).symbol) for k in labels}
    assert len(pairs) == len(labels)
    # Within one polarity family the symbols alone tell the outcomes apart (no colour needed).
    for family in (["best", "better", "similar", "worse", "worst", "not compared"],
                   ["higher", "similar", "lower", "not compared"]):
        assert len({palette.comparison_style(k).symbol for k in family}) == len(family)
    assert palette.comparison_key("Better") == "better" and palette.comparison_key(None) == "not compared"
    assert palette.comparison_legend("worse", "England") == "Worse than England (95% confidence)"


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_quintile_colours_flip_with_polarity_and_neutral_scale_darkens():
    high, low = palette.quintile_colours("high is good"), palette.quintile_colours("low is good")
    assert high == tuple(reversed(low))
    assert high[4] == low[0] == palette.QUINTILE_BEST_TO_WORST[0]  # best is blue either way
    neutral = palette.quintile_colours("no judgement")
    assert [_luminance(c) for c in neutral] == sorted((_luminance(c) for c in neutral), reverse=True)
    assert palette.quintile_index("Q5 (highest, best)") == 4
    assert palette.quintile_index("not compared") is None


# --- trend --------------------------------------------------------------------------------------
def test_trend_draws_published_values_band_and_benchmark():
    series = campylobacter().filter(pl.col("area_code") == BIRMINGHAM)
    fig = trend_figure(series, INDICATOR, benchmark=england(), trend_label="Cannot be calculated")
    line = by_name(fig, "Birmingham")
    assert list(line.y) == pytest.approx([65.4184667243165, 66.2476024147918, 64.7359121583469])
    assert list(line.x) == [dt.date(2015, 1, 1), dt.date(2016, 1, 1), dt.date(2017, 1, 1)]
    band = by_name(fig, "Shaded band: 95% confidence interval")
    assert band.fill == "toself" and len(band.x) == 6
    assert band.y[0] == pytest.approx(70.3517035673049) and band.y[-1] == pytest.approx(60.7489243266185)
    bench = by_name(fig, "England (benchmark)")
    assert bench.line.dash == "dash" and bench.y[-1] == pytest.approx(ENGLAND_2017)
    assert list(fig.layout.xaxis.ticktext) == ["2015", "2016", "2017"]
    assert "Recent trend: Cannot be calculated" in fig.layout.title.subtitle.text
    assert "Count: 727" in line.hovertext[0] and "Denominator: 1,111,307" in line.hovertext[0]


def test_trend_missing_values_are_gaps_not_zeros():
    # Isles of Scilly: published combined with Cornwall, so no value in any year.
    series = campylobacter().filter(pl.col("area_code").is_in([SCILLY, BIRMINGHAM]))
    fig = trend_figure(series, INDICATOR)
    scilly = [t for t in fig.data if t.name.startswith("Isles of Scilly")][0]
    assert "no published values" in scilly.name
    assert list(scilly.y) == [None, None, None] and scilly.connectgaps is False
    # Birmingham with 2016 treated as suppressed: the line and the band both break there.
    suppressed = series.filter(pl.col("area_code") == BIRMINGHAM).with_columns(
        pl.when(pl.col("period") == "2016").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("value", "lower_ci95", "upper_ci95"))
    fig = trend_figure(suppressed, INDICATOR)
    line = by_name(fig, "Birmingham")
    assert line.y[1] is None and 0 not in line.y
    band = by_name(fig, "Shaded band: 95% confidence interval")
    assert None in band.x  # two separate polygons
    assert "Gaps mark periods with no published value." in fig.layout.title.subtitle.text


def test_trend_breaks_are_marked_between_periods():
    series = campylobacter().filter(pl.col("area_code") == BIRMINGHAM)
    breaks = [{"period": "2016", "reason": "<b>new</b> laboratory method"},
              {"period": "2030", "reason": "not on this chart"}]
    fig = trend_figure(series, INDICATOR, breaks=breaks)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1
    assert dt.date(2015, 1, 1) < dt.date.fromisoformat(str(lines[0].x0)[:10]) < dt.date(2016, 1, 1)
    notes = [a.text for a in fig.layout.annotations]
    expected = "Break in series: &lt;b&gt;new&lt;/b&gt; laboratory method"  # wrapped with <br>
    assert [n.replace("<br>", " ") for n in notes] == [expected]
    assert "Break in series (2030): not on this chart" in fig.layout.title.subtitle.text


def test_trend_escapes_names_from_data():
    series = campylobacter().filter(pl.col("area_code") == BIRMINGHAM).with_columns(area_name=pl.lit(EVIL))
    fig = trend_figure(series, INDICATOR)
    line = [t for t in fig.data if t.mode == "lines+markers"][0]
    assert line.name == esc(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert all("<script>" not in h and "&lt;script&gt;" in h for h in line.hovertext)


# --- compare ------------------------------------------------------------------------------------
def test_compare_codes_points_by_comparison_colour_and_symbol():
    frame = utla()
    fig = compare_figure(frame, INDICATOR, ENGLAND_2017, "England", highlight=[BIRMINGHAM, CAMBRIDGESHIRE])
    counts = {}
    for trace in traces(fig):
        if trace.name.startswith("Selected"):
            continue
        legends = {palette.comparison_legend(k, "England"): k for k in palette.COMPARISON_ORDER}
        key = legends[trace.name]
        assert trace.marker.color == COMPARISON_STYLE[key].colour
        assert trace.marker.symbol == COMPARISON_STYLE[key].symbol
        counts[key] = len(trace.x)
    # Fingertips' published 2017 comparisons (raw column "Compared to England value or percentiles").
    assert counts == {"better": 55, "similar": 36, "worse": 59}
    assert sum(counts.values()) == 150  # 152 UTLAs, 2 without a value
    assert "2 areas with no value not shown." in fig.layout.title.subtitle.text
    benchmark = fig.layout.shapes[0]
    assert benchmark.x0 == benchmark.x1 == pytest.approx(ENGLAND_2017) and benchmark.line.dash == "dash"
    assert benchmark.name == "England: 96.6 per 100,000"


def test_compare_ranks_by_value_and_scales_for_many_areas():
    frame = utla()
    big = compare_figure(frame, INDICATOR, ENGLAND_2017, "England", highlight=[BIRMINGHAM])
    order = list(big.layout.yaxis.categoryarray)
    value_of = dict(zip(frame["area_code"], frame["value"], strict=True))
    ranked = [value_of[c] for c in order]
    assert ranked == sorted(ranked)  # lowest first = bottom of the chart, highest at the top
    # > 60 areas: only the chosen area is labelled, in bold; the ring marks it.
    assert list(big.layout.yaxis.tickvals) == [BIRMINGHAM]
    assert list(big.layout.yaxis.ticktext) == ["<b>Birmingham</b>"]
    ring = by_name(big, "Selected area")
    assert list(ring.y) == [BIRMINGHAM] and ring.marker.symbol == "circle-open"
    small = compare_figure(frame.head(40), INDICATOR, ENGLAND_2017, "England")
    assert len(small.layout.yaxis.tickvals) == 40
    assert big.layout.height > small.layout.height


def test_compare_whiskers_are_the_published_interval():
    frame = utla().filter(pl.col("area_code") == BIRMINGHAM)
    frame = frame.vstack(utla().filter(pl.col("area_code") == CAMBRIDGESHIRE))
    fig = compare_figure(frame, INDICATOR, ENGLAND_2017)
    better = by_name(fig, "Better than England (95% confidence)")
    i = list(better.y).index(BIRMINGHAM)
    row = frame.filter(pl.col("area_code") == BIRMINGHAM).row(0, named=True)
    assert better.error_x.array[i] == pytest.approx(row["upper_ci95"] - row["value"])
    assert better.error_x.arrayminus[i] == pytest.approx(row["value"] - row["lower_ci95"])


def test_compare_escapes_area_names():
    frame = utla().head(10).with_columns(
        pl.when(pl.col("area_code") == pl.col("area_code").first()).then(pl.lit(EVIL))
        .otherwise(pl.col("area_name")).alias("area_name"))
    fig = compare_figure(frame, INDICATOR, ENGLAND_2017)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fig.layout.yaxis.ticktext
    hover = [h for t in traces(fig) for h in (t.hovertext or [])]
    assert not any("<script>" in h for h in hover) and any("&lt;script&gt;" in h for h in hover)


# --- funnel -------------------------------------------------------------------------------------
def _limits(frame: pl.DataFrame) -> pl.DataFrame:
    row = england().filter(pl.col("period") == "2017").row(0, named=True)
    return stats.funnel_limits(frame["count"], frame["denominator"], "rate", 100000,
                               baseline=row["count"] / row["denominator"])


def test_funnel_positions_agree_with_stats_flags():
    frame = utla()
    limits = _limits(frame)
    row = england().filter(pl.col("period") == "2017").row(0, named=True)
    flags = stats.funnel_flag(frame["count"], frame["denominator"], "rate",
                              baseline=row["count"] / row["denominator"])
    expected = {"High (0.001)": ABOVE_998, "Low (0.001)": BELOW_998, "Not significant": WITHIN}
    positions = funnel_positions(frame, limits).to_list()
    pairs = [(p, expected[f]) for p, f in zip(positions, flags.to_list(), strict=True) if f in expected]
    assert pairs and all(p == e for p, e in pairs)


def test_funnel_figure_lines_points_and_hover():
    frame = utla()
    fig = funnel_figure(frame, INDICATOR, ENGLAND_2017, _limits(frame), highlight=[BIRMINGHAM])
    assert len([t for t in traces(fig) if t.mode == "lines" and "control limits" in t.name]) == 4
    bench = by_name(fig, "Benchmark: 96.6 per 100,000")
    assert set(bench.y) == {ENGLAND_2017}
    points = [t for t in traces(fig) if t.mode == "markers"]
    assert sum(len(t.x) for t in points) == 150
    # Low is good: above the upper 99.8% limit is "worst" (dark orange, star triangle down).
    above = by_name(fig, "Above upper 99.8% limit (worst)")
    assert above.marker.color == COMPARISON_STYLE["worst"].colour
    below = by_name(fig, "Below lower 99.8% limit (best)")
    i = list(below.x).index(1124569.0)  # Birmingham's 2017 denominator (raw line 1561)
    assert "Birmingham" in below.hovertext[i] and "Denominator: 1,124,569" in below.hovertext[i]
    assert "Value: 64.7 per 100,000" in below.hovertext[i]
    # The y range follows the points, not the limits' spike at a denominator of 1.
    assert fig.layout.yaxis.range[1] < 300


def test_funnel_accepts_short_limit_names_and_rejects_incomplete():
    frame = utla()
    limits = _limits(frame).rename(lambda c: c.replace("_", "") if c != "denominator" else c)
    assert funnel_positions(frame, limits).to_list() == funnel_positions(frame, _limits(frame)).to_list()
    with pytest.raises(ValueError, match="lacks"):
        funnel_figure(frame, INDICATOR, ENGLAND_2017, limits.drop("upper998"))


# --- timing -------------------------------------------------------------------------------------
def test_build_times_for_about_150_areas(record_property):
    frame, limits, bench = utla(), _limits(utla()), england()
    series = campylobacter().filter(pl.col("area_code").is_in([BIRMINGHAM, CAMBRIDGESHIRE]))
    builders = {
        "trend (2 areas + England)": lambda: trend_figure(series, INDICATOR, benchmark=bench),
        "compare (152 areas)": lambda: compare_figure(frame, INDICATOR, ENGLAND_2017, highlight=[BIRMINGHAM]),
        "funnel (152 areas)": lambda: funnel_figure(frame, INDICATOR, ENGLAND_2017, limits),
    }
    for name, build in builders.items():
        build()  # warm-up: plotly creates its validators on first use
        ms = min(_timed(build) for _ in range(5))  # best of 5: other work shares the machine
        record_property(name, round(ms, 1))
        print(f"build time {name}: {ms:.1f} ms")


def _timed(build) -> float:
    start = time.perf_counter()
    build()
    return (time.perf_counter() - start) * 1000
