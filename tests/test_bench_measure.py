"""explorer.bench.measure: nearest-rank percentiles, p50/p95 summaries, timing and sampled peak RSS."""

from __future__ import annotations

import math

from explorer.bench import measure


def test_percentile_is_nearest_rank():
    samples = list(range(1, 31))  # 30 samples: p95 is the 29th smallest, p50 the 15th
    assert measure.percentile(samples, 95) == 29
    assert measure.percentile(samples, 50) == 15
    assert measure.percentile([7.0], 95) == 7.0


def test_summary_reports_wall_and_cpu_in_ms():
    out = measure.summary("q", [(0.010, 0.008), (0.020, 0.012), (0.030, 0.030)], rows=3)
    assert out == {"name": "q", "n": 3, "p50_ms": 20.0, "p95_ms": 30.0, "max_ms": 30.0,
                   "cpu_p50_ms": 12.0, "cpu_p95_ms": 30.0, "rows": 3}
    assert "cpu_p95_ms" not in measure.summary("q", [0.01, 0.02])
    assert math.isnan(measure.summary("empty", [])["p95_ms"])


def test_timed_returns_the_result_and_both_clocks():
    (wall, cpu), result = measure.timed(lambda: sum(range(200_000)))
    assert result == sum(range(200_000)) and wall > 0 and cpu >= 0


def test_peak_rss_is_at_least_the_current_rss():
    assert measure.peak_rss_mb() >= measure.rss_mb() * 0.99 > 0
