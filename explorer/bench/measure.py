"""How the benchmarks measure: wall-clock and CPU time of a call, nearest-rank percentiles, and a
process's peak RSS sampled from inside it (used by explorer.bench.queries and explorer.bench.duck)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


_PEAK = {"mb": 0.0}


def sample_rss() -> float:
    now = rss_mb()
    _PEAK["mb"] = max(_PEAK["mb"], now)
    return now


def start_rss_sampler() -> None:
    """Sample this process's RSS every 20 ms (for `peak_rss_mb`)."""
    def loop() -> None:
        while True:
            sample_rss()
            time.sleep(0.02)
    threading.Thread(target=loop, daemon=True).start()


def peak_rss_mb() -> float:
    """Highest sampled RSS of this process. Not getrusage's ru_maxrss: Linux carries that across
    fork and exec, so a child of the process that wrote the synthetic store would report the
    parent's peak (it did: both children showed the generator's 936 MB)."""
    return max(_PEAK["mb"], sample_rss())


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


class Stopwatch:
    """Wall-clock and CPU time (all of the process's threads, Polars' pool included) since start.
    CPU time is what the work costs on idle cores: on a shared machine the wall clock also counts
    waiting for a core, so both are reported."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def summary(name: str, samples: list, **extra) -> dict:
    """p50/p95 of samples given as seconds or (wall, cpu) seconds."""
    pairs = [s if isinstance(s, tuple) else (s, None) for s in samples]
    ms = [w * 1000 for w, _ in pairs] or [float("nan")]
    out = {"name": name, "n": len(pairs), "p50_ms": round(percentile(ms, 50), 2),
           "p95_ms": round(percentile(ms, 95), 2), "max_ms": round(max(ms), 2)}
    cpu = [c * 1000 for _, c in pairs if c is not None]
    if cpu:
        out.update(cpu_p50_ms=round(percentile(cpu, 50), 2), cpu_p95_ms=round(percentile(cpu, 95), 2))
    return {**out, **extra}


def timed(fn: Callable[[], object]) -> tuple[tuple[float, float], object]:
    """((wall s, cpu s), result) of one call."""
    watch = Stopwatch()
    result = fn()
    return watch.lap(), result
