"""Bounded load test: N browser sessions clicking through the app at once, in Debian's Chromium.

    python -m explorer.loadtest [--sessions 8] [--seconds 60] [--json out.json] [--url URL]

Starts the app on 127.0.0.1 (a free port; never another interface) unless --url names a running
one, opens one Chromium (/usr/bin/chromium, never a downloaded browser) with one isolated context
per session, and lets every session act like a visitor for --seconds: open a deep link, follow the
navigation, pick another option in a select box, a radio button or a segmented control, switch
tabs, type a search. Each action is timed from the click until Streamlit reports the rerun
finished (the app root's `data-test-script-state` back at `notRunning`).

Errors counted (the run fails unless there are none): a traceback element on the page, a
JavaScript error, an HTTP 5xx from the app, a lost websocket connection, an action whose rerun does
not finish within 60 s, and any traceback in the server's log.

Memory: the server's resident set (with its child processes) is sampled before any session,
after a warm-up visit of every page, after each session is added (one every --ramp seconds), and
every second under load; "per added session" is the slope of a least-squares line through the
ramp samples.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from explorer import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Where visitors start: the deep links people share, one per page.
LINKS = [
    "/", "/?q=diabetes",
    "/explore?i=diabetes-recorded-prevalence&at=ccg", "/explore?i=ae-attendances&at=icb&a=E54000008",
    "/explore?i=healthy-life-expectancy&at=utla&c=quintile",
    "/area?a=E38000006&at=ccg", "/area?a=E54000057&at=icb&v=peers",
    "/trends?i=ae-within-four-hours&a=E92000001", "/trends?i=deaths-weekly-all-causes&v=seasonal",
    "/indicators?q=smoking", "/indicator?i=diabetes-recorded-prevalence",
    "/coherence?i=healthy-life-expectancy", "/download?i=diabetes-recorded-prevalence&at=ccg",
    "/about", "/releases", "/producers?pr=ONS",
]
NAV = ["Home", "Explore", "Area profile", "Trends", "Indicators", "Compare producers", "Download data",
       "Release calendar", "Producers"]
SEARCH_WORDS = ["diabetes", "smoking", "waits", "obesity", "life expectancy", "depression", "A&E"]
RERUN_TIMEOUT_MS = 60_000


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # action kind → seconds
    errors: list[str] = field(default_factory=list)
    memory: dict[str, float] = field(default_factory=dict)  # MB
    ramp: list[tuple[int, float]] = field(default_factory=list)  # (sessions, MB)
    samples: list[float] = field(default_factory=list)
    full_load: dict[str, float] = field(default_factory=dict)  # interactions and seconds at full load

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def summary(self, sessions: int, seconds: float) -> dict:
        every = [s for values in self.latencies.values() for s in values]
        slope = _slope(self.ramp)
        return {
            "sessions": sessions, "seconds": seconds, "interactions": len(every), **self.full_load,
            "errors": len(self.errors),
            "error_examples": self.errors[:10],
            "p50_s": _quantile(every, 0.5), "p95_s": _quantile(every, 0.95), "max_s": max(every, default=None),
            "server_cpu_s_per_interaction": round(self.full_load["server_cores_busy"] * self.full_load[
                "full_load_seconds"] / self.full_load["interactions_at_full_load"], 3)
            if self.full_load.get("interactions_at_full_load") else None,
            "by_action": {k: {"n": len(v), "p50_s": _quantile(v, 0.5), "p95_s": _quantile(v, 0.95)}
                          for k, v in sorted(self.latencies.items())},
            "memory_mb": {**self.memory, "peak_under_load": max(self.samples, default=None),
                          "per_added_session": slope, "ramp": self.ramp},
        }


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _slope(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


# --- the server ----------------------------------------------------------------------------------
def start_server(log: Path) -> tuple[subprocess.Popen, str]:
    try:
        return serve.start(log.open("w"))
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process and its children (0 when unknown)."""
    if pid is None:
        return 0.0
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        total = 0.0
        for p in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return total
    return 0.0


def _machine_cpu_seconds() -> float:
    times = psutil.cpu_times()
    return sum(getattr(times, f) for f in ("user", "nice", "system", "irq", "softirq") if hasattr(times, f))


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
    return None


# --- one visitor ---------------------------------------------------------------------------------
async def settle(page, started: float, must_run: bool = True) -> float:
    """Seconds from `started` until the rerun an action caused has finished."""
    app = '[data-testid="stApp"]'
    if must_run:  # the rerun may start and end between two polls: a short wait, not an error
        with contextlib.suppress(Exception):
            await page.wait_for_function(
                f"document.querySelector('{app}')?.getAttribute('data-test-script-state') !== 'notRunning'",
                timeout=1500, polling=20)
    await page.wait_for_function(
        f"document.querySelector('{app}')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=RERUN_TIMEOUT_MS, polling=20)
    return time.perf_counter() - started


async def check_page(page, results: Results, where: str) -> None:
    if await page.locator('[data-testid="stException"]').count():
        results.errors.append(f"{where}: a traceback element on the page")
    state = await page.locator('[data-testid="stApp"]').get_attribute("data-test-connection-state")
    if state and state.upper() != "CONNECTED":
        results.errors.append(f"{where}: connection {state}")


async def open_link(page, base: str, link: str, results: Results) -> None:
    started = time.perf_counter()
    await page.goto(base + link, wait_until="domcontentloaded")
    await page.wait_for_selector('[data-testid="stApp"]', timeout=RERUN_TIMEOUT_MS)
    results.add("open a deep link", await settle(page, started, must_run=False))


async def act(page, rng: random.Random, base: str, results: Results) -> None:
    """One realistic action on whatever page the visitor is on."""
    roll = rng.random()
    if roll < 0.12:
        await open_link(page, base, rng.choice(LINKS), results)
        return
    if roll < 0.30:
        link = page.get_by_role("link", name=rng.choice(NAV), exact=True)
        if await link.count():
            started = time.perf_counter()
            await link.first.click()
            results.add("navigate", await settle(page, started))
            return
    kinds = [("select", '[data-testid="stSelectbox"]'), ("radio", '[data-testid="stRadio"] label'),
             ("segmented", '[data-testid="stButtonGroup"] button'), ("tab", '[role="tab"]'),
             ("search", '[data-testid="stTextInput"] input')]
    rng.shuffle(kinds)
    for kind, selector in kinds:
        try:  # finding and opening a widget is the harness's business: a miss is skipped, not an error
            started = await _click(page, rng, kind, page.locator(selector))
        except Exception:
            with contextlib.suppress(Exception):
                await page.keyboard.press("Escape")
            continue
        if started is not None:
            results.add(kind, await settle(page, started, must_run=kind != "tab"))
            return
    await open_link(page, base, rng.choice(LINKS), results)


async def _click(page, rng: random.Random, kind: str, targets) -> float | None:
    """Perform one widget action; returns when it was made (None when there was nothing to do)."""
    n = await targets.count()
    if not n:
        return None
    target = targets.nth(rng.randrange(n))
    if not await target.is_visible() or not await target.is_enabled():
        return None
    await target.scroll_into_view_if_needed(timeout=5_000)
    if kind == "select":
        await target.click(timeout=5_000)
        options = page.get_by_role("option")
        await options.first.wait_for(timeout=5_000)
        choice = options.nth(rng.randrange(min(await options.count(), 30)))
        started = time.perf_counter()
        await choice.click(timeout=5_000)
        return started
    if kind == "search":
        await target.fill(rng.choice(SEARCH_WORDS), timeout=5_000)
        started = time.perf_counter()
        await target.press("Enter")
        return started
    started = time.perf_counter()
    await target.click(timeout=5_000)
    return started


async def visitor(browser, base: str, seed: int, stop_at: list[float], results: Results,
                  ready: asyncio.Event) -> None:
    """One visitor, acting until `stop_at[0]` (set once every visitor has arrived)."""
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.on("pageerror", lambda exc: results.errors.append(f"session {seed}: JavaScript error {exc}"))
    page.on("response", lambda r: results.errors.append(f"session {seed}: HTTP {r.status} {r.url}")
            if r.status >= 500 and r.url.startswith(base) else None)
    try:
        await open_link(page, base, rng.choice(LINKS), results)
        ready.set()
        while time.monotonic() < stop_at[0]:
            try:
                await act(page, rng, base, results)
                await check_page(page, results, f"session {seed} at {page.url.removeprefix(base)}")
            except Exception as exc:  # a rerun that never finished, a click that timed out
                results.errors.append(f"session {seed} at {page.url.removeprefix(base)}: {type(exc).__name__}: "
                                      f"{str(exc).splitlines()[0][:200]}")
                with contextlib.suppress(Exception):
                    await open_link(page, base, "/", results)
    finally:
        ready.set()
        await context.close()


async def run(base: str, pid: int | None, sessions: int, seconds: float, ramp: float, seed: int,
              warm_up: bool = True) -> Results:
    from playwright.async_api import async_playwright

    results = Results()
    results.memory["server_idle"] = rss_mb(pid)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        warm = Results()  # every page once, so the timed run is not a cold start
        context = await browser.new_context()
        page = await context.new_page()
        for link in LINKS if warm_up else []:
            with contextlib.suppress(Exception):
                await open_link(page, base, link, warm)
        await context.close()
        results.memory["after_warm_up"] = rss_mb(pid)
        stop_at = [float("inf")]  # the full-load clock starts when the last visitor has arrived
        tasks = []
        for i in range(sessions):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(visitor(browser, base, seed + i, stop_at, results, ready)))
            await ready.wait()
            await asyncio.sleep(ramp)
            results.ramp.append((i + 1, rss_mb(pid) or 0.0))
        started = time.monotonic()
        stop_at[0] = started + seconds
        cpu_before = cpu_seconds(pid), _machine_cpu_seconds()  # the server; every process on the machine
        load_before = psutil.getloadavg()[0]
        counted = sum(len(v) for v in results.latencies.values())
        while time.monotonic() < stop_at[0]:
            if (mb := rss_mb(pid)) is not None:
                results.samples.append(mb)
            await asyncio.sleep(1)
        await asyncio.gather(*tasks)
        wall = time.monotonic() - started
        results.full_load = {"interactions_at_full_load": sum(map(len, results.latencies.values())) - counted,
                             "full_load_seconds": round(wall, 1),
                             # Where the CPU went (cores busy on average), and the machine's load.
                             "server_cores_busy": round((cpu_seconds(pid) - cpu_before[0]) / wall, 2),
                             "machine_cores_busy": round((_machine_cpu_seconds() - cpu_before[1]) / wall, 2),
                             "load_average_1min": [round(load_before, 1), round(psutil.getloadavg()[0], 1)],
                             "cpus": psutil.cpu_count()}
        await browser.close()
    if pid is None:
        results.ramp = []
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60, help="time under full load, after the ramp")
    parser.add_argument("--ramp", type=float, default=3, help="seconds between adding sessions")
    parser.add_argument("--url", help="test an app already running here instead of starting one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="skip visiting every page once before the timed run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    log = Path(tempfile.mkstemp(prefix="loadtest-server-", suffix=".log")[1])
    server = None
    if args.url:
        base, pid = args.url.rstrip("/"), None
    else:
        server, base = start_server(log)
        pid = server.pid
    try:
        results = asyncio.run(run(base, pid, args.sessions, args.seconds, args.ramp, args.seed, args.warm_up))
    finally:
        if server is not None:
            serve.stop(server, 15)
    if server is not None:
        text = log.read_text(errors="replace")
        results.errors += [f"server log: {line}" for line in text.splitlines() if "Traceback" in line]
    summary = results.summary(args.sessions, args.seconds)
    print(json.dumps(summary, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 1 if results.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
