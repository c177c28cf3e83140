"""The recent trend of every headline series at once (explorer.profile_trend), as the build writes
it into profile_headline.parquet, is for every series of every area of the real store exactly
what stats.recent_trend gives one series at a time (the profile's loop before it was vectorised)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from explorer import paths, profile_trend, stats
from explorer.queries import profile


def _one_at_a_time(rows: pl.DataFrame, polarity: dict, breaks: dict) -> pl.DataFrame:
    """stats.recent_trend per series (the area profile's own loop, before profile_trend)."""
    columns = ("period", "period_type", "period_start", "period_end", "value", "lower_ci95", "upper_ci95")
    series = (rows.filter(pl.col("value").is_not_null()).group_by(profile_trend.GROUP, maintain_order=True)
              .agg(pl.len().alias("n"), *[pl.col(c).tail(profile_trend.WINDOW) for c in columns]))
    out = []
    for r in series.iter_rows(named=True):
        key = tuple(r[c] for c in profile_trend.GROUP)
        index = profile.consecutive_index(r["period_start"], r["period_end"], r["period_type"])
        if r["n"] < stats.trend.POINTS_TO_USE:
            out.append((*key, stats.trend.CANNOT, f"fewer than {stats.trend.POINTS_TO_USE} points ({r['n']})"))
            continue
        if index[-1] != index[-1]:
            out.append((*key, stats.trend.CANNOT, "weekly or one-off data"))
            continue
        broken = breaks.get(r["indicator_id"], ())
        flags = [any(p == bp and bc in (None, r["area_code"]) and bt in (None, r["area_type"])
                     for bc, bt, bp in broken) for p in r["period"]] if broken else None
        result = stats.recent_trend(np.array(r["value"], dtype=float), np.array(r["lower_ci95"], dtype=float),
                                    np.array(r["upper_ci95"], dtype=float), polarity.get(r["indicator_id"]), flags,
                                    periods=np.array(index, dtype=float))
        reason = (result.reason or "").replace("consecutive years", "consecutive periods") or None
        out.append((*key, result.label, reason))
    return pl.DataFrame(out, schema=profile_trend.SCHEMA, orient="row")


def test_every_series_of_every_area_matches_the_one_series_method(store):
    head = pl.read_parquet(store.path / paths.PROFILE_HEADLINE)
    stored = (head.filter(pl.col("value").is_not_null())
              .group_by(profile_trend.GROUP).agg(pl.col("trend", "trend_reason").unique()))
    assert (stored["trend"].list.len() == 1).all() and (stored["trend_reason"].list.len() == 1).all()
    stored = stored.with_columns(pl.col("trend", "trend_reason").list.first()).sort(profile_trend.GROUP)
    assert head.filter(pl.col("trend").is_null())["value"].is_null().all()  # a series with no value: no trend
    t = profile.tables(store)
    polarity = dict(t.meta.select("indicator_id", "polarity").iter_rows())
    slow = _one_at_a_time(head, polarity, t.breaks).sort(profile_trend.GROUP)
    assert stored.equals(slow)
    labels = set(stored["trend"])
    reasons = set(stored["trend_reason"].drop_nulls().str.replace(r"\(\d+\)", "(n)"))
    assert {stats.trend.CANNOT, stats.trend.NO_CHANGE, stats.trend.INCREASING} < labels and len(labels) >= 7
    assert {profile_trend.MISSING, profile_trend.NOT_CONSECUTIVE, profile_trend.BREAK, "weekly or one-off data",
            "fewer than 5 points (n)"} <= reasons


@pytest.mark.parametrize(("values", "expected"), [
    ([1.0, 2.0, 3.0, 4.0, 5.0], stats.trend.INCREASING_WORSE),  # low is good
    ([5.0, 4.0, 3.0, 2.0, 1.0], stats.trend.DECREASING_BETTER),
    ([1.0, 3.0, 1.0, 3.0, 1.0], stats.trend.NO_CHANGE),
    ([1.0, 2.0, None, 4.0, 5.0], stats.trend.CANNOT),  # a missing value is left out: 4 points remain
])
def test_small_series(values, expected):
    n = len(values)
    rows = pl.DataFrame({
        "area_code": ["A"] * n, "indicator_id": ["x"] * n, "area_type": ["utla"] * n, "sex": ["Persons"] * n,
        "period": [str(2015 + i) for i in range(n)],
        "period_start": [dt.date(2015 + i, 1, 1) for i in range(n)],
        "period_end": [dt.date(2015 + i, 12, 31) for i in range(n)], "period_type": ["calendar_year"] * n,
        "value": values, "lower_ci95": [None if v is None else v - 0.1 for v in values],
        "upper_ci95": [None if v is None else v + 0.1 for v in values]})
    polarity = pl.DataFrame({"indicator_id": ["x"], "polarity": ["low is good"]})
    got = profile_trend.trends(rows, polarity, None).row(0, named=True)
    assert got == _one_at_a_time(rows, {"x": "low is good"}, {}).row(0, named=True)
    assert got["trend"] == expected
    if None in values:
        assert got["trend_reason"] == "fewer than 5 points (4)"
    assert profile_trend.trends(rows.clear(), polarity, None).is_empty()
