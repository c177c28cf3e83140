"""Timing of the vectorised statistics: ``python -m explorer.stats.bench``.

Prints the best of 5 runs for each method on synthetic data (fixed seed). Not a test: timings
depend on the machine; the figures are recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from . import ci_for_frame, compare, crude_rate_ci, dsr_by_group, funnel_flag, quintiles, wilson, xmr
from .dsr import ESP2013

N = 1_000_000


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(20240601)
    n = rng.integers(50, 200_000, N).astype(np.float64)
    x = np.floor(rng.uniform(0, 1, N) * n)
    rate_x = rng.poisson(30, N).astype(np.float64)  # includes counts < 10: exact Poisson branch
    xs, ns = pl.Series("count", x), pl.Series("denominator", n)
    value = x / n * 100
    lo, up = wilson(x, n)
    frame = pl.DataFrame({"value": value, "count": x, "denominator": n})
    groups = 20_000
    dsr_frame = pl.DataFrame(
        {
            "area": np.repeat(np.arange(groups), 19),
            "count": rng.poisson(20, groups * 19).astype(np.float64),
            "population": rng.integers(1000, 20000, groups * 19).astype(np.float64),
            "standard_population": np.tile(np.asarray(ESP2013, dtype=np.float64), groups),
        }
    )
    spc_values = rng.normal(100, 10, 120)

    results = [
        ("wilson, 1,000,000 intervals (numpy arrays)", best_of(lambda: wilson(x, n))),
        ("wilson, 1,000,000 intervals (polars Series)", best_of(lambda: wilson(xs, ns))),
        ("crude_rate_ci (Byar / exact < 10), 1,000,000", best_of(lambda: crude_rate_ci(rate_x, n))),
        (
            "compare (95%), 1,000,000 rows",
            best_of(lambda: compare(value, lo * 100, up * 100, 50.0, "high is good")),
        ),
        ("quintiles, 1,000,000 values", best_of(lambda: quintiles(value))),
        ("ci_for_frame proportion, 1,000,000 rows", best_of(lambda: ci_for_frame(frame, "proportion"), 3)),
        ("dsr_by_group, 20,000 groups x 19 bands", best_of(lambda: dsr_by_group(dsr_frame, ["area"]))),
        ("funnel_flag proportion, 1,000,000 areas", best_of(lambda: funnel_flag(x, n))),
        ("xmr, 120 points", best_of(lambda: xmr(spc_values))),
    ]
    print(
        f"explorer.stats benchmark -- Python {platform.python_version()}, numpy {np.__version__}, "
        f"polars {pl.__version__}, best of 5 (ci_for_frame: 3)"
    )
    for name, seconds in results:
        print(f"{name:<50} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
