"""Page timing in headless Chromium on the real store: request to rendered charts, cold and warm,
and interaction to updated charts, for Explore and the area profile.

`python -m explorer.bench.pages [--json FILE] [--repeats N]` (or `python -m explorer.bench
--pages`). Starts the app (`streamlit run app.py`) on a free local port, drives Debian's Chromium
through Playwright (executable_path=/usr/bin/chromium, never a downloaded browser) and measures:

- cold: the first request after the server started (the store is loaded, caches are empty);
- warm: the same address in a new browser session (server caches warm, browser cache empty);
- first contentful paint (the browser's own mark) and "charts": until every chart the page
  draws for that address has its SVG and Streamlit has finished the script run;
- interaction: choosing another option in one control until a chart title shows the change
  (Explore: another period; area profile: "Compare with" England ↔ region).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from explorer import paths

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_PAINT_S = 3.0
TARGET_INTERACTION_S = 0.5


@dataclass(frozen=True)
class PageCase:
    name: str
    path: str          # address with its query, as a shared link would be
    charts: int        # charts the page draws for that address
    control: str       # what the interaction changes (a selectbox label, or a button's text)
    options: tuple[str, str]  # the two values the interaction alternates between
    kind: str = "selectbox"


CASES = (
    PageCase("Explore", "/explore?i=diabetes-recorded-prevalence&at=ccg&p=2019%2F20", 3, "Period",
             ("2018/19", "2019/20")),
    PageCase("Area profile", "/area?a=E08000032&at=utla", 1, "Compare with", ("Region", "England"),
             kind="button"),
)

STATUS = '[data-testid="stStatusWidget"]'
TITLES_JS = "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].map(e => e.textContent)"
CHARTS_JS = """(n) => {
  const plots = document.querySelectorAll('.js-plotly-plot');
  return plots.length >= n && [...plots].every(p => p.querySelector('.main-svg'))
         && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
FCP_JS = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server():
    """The app on a free port; yields (base URL, seconds until healthy)."""
    port = _free_port()
    with tempfile.NamedTemporaryFile("w", prefix="bench-streamlit-", suffix=".log", delete=False) as log:
        yield from _serve(port, log)


def _serve(port: int, log):
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=paths.ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(480):
            with contextlib.suppress(Exception):
                if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            if server.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {log.name}")
            time.sleep(0.25)
        else:
            raise RuntimeError("the app did not start within 120 s")
        yield base, time.perf_counter() - started
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)


def _load(browser, url: str, charts: int) -> dict:
    """Open url in a fresh session; seconds to first chart SVG and to all charts drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=180_000)
    first = time.perf_counter() - started
    page.wait_for_function(CHARTS_JS, arg=charts, timeout=180_000, polling=50)
    done = time.perf_counter() - started
    fcp = page.evaluate(FCP_JS)
    errors = page.locator('[data-testid="stException"]').count()
    return {"page": page, "context": context, "first_chart_s": round(first, 3), "charts_s": round(done, 3),
            "fcp_s": round(fcp / 1000, 3) if fcp else None, "exceptions": errors}


def _choose(page, case: PageCase, option: str) -> None:
    if case.kind == "button":
        page.locator('[data-testid="stButtonGroup"] button').filter(has_text=option).first.click()
        return
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=case.control).first
    box.click()
    page.locator('[role="option"]').filter(has_text=option).first.click()


def _interact(page, case: PageCase, option: str) -> float:
    """Seconds from choosing `option` to a chart title that differs from before (and the run done)."""
    before = page.evaluate(TITLES_JS)
    started = time.perf_counter()
    _choose(page, case, option)
    page.wait_for_function(
        """([before, n]) => {
             const now = [...document.querySelectorAll('.js-plotly-plot .gtitle')].map(e => e.textContent);
             const plots = document.querySelectorAll('.js-plotly-plot');
             return JSON.stringify(now) !== JSON.stringify(before) && plots.length >= n
                    && !document.querySelector('[data-testid="stStatusWidget"]');
           }""", arg=[before, case.charts], timeout=60_000, polling=20)
    return time.perf_counter() - started


def run(repeats: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    out = {"store": str(paths.STORE_DIR.resolve()), "pages": []}
    with app_server() as (base, boot), sync_playwright() as pw:
        out["server_start_s"] = round(boot, 2)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for case in CASES:
                cold = _load(browser, base + case.path, case.charts)
                cold["context"].close()
                warm = _load(browser, base + case.path, case.charts)
                page = warm["page"]
                times = []
                for i in range(repeats * 2):
                    times.append(round(_interact(page, case, case.options[i % 2]), 3))
                warm["context"].close()
                out["pages"].append({
                    "name": case.name, "path": case.path,
                    **{f"cold_{k}": v for k, v in cold.items() if k not in ("page", "context")},
                    **{f"warm_{k}": v for k, v in warm.items() if k not in ("page", "context")},
                    "interaction": f"{case.control}: {' ↔ '.join(case.options)}",
                    "interaction_s": times, "interaction_max_s": max(times),
                    "interaction_median_s": sorted(times)[len(times) // 2]})
        finally:
            browser.close()
    return out


def markdown(result: dict) -> str:
    lines = [f"#### Pages in headless Chromium (real store, server started in {result['server_start_s']} s)",
             "", "Targets: charts ≤ 3 s after the request; interaction to updated charts ≤ 0.5 s.", "",
             "| page | address | cold: FCP / charts s | warm: FCP / charts s | interaction | median s "
             "| max s | met |", "|---|---|---:|---:|---|---:|---:|---|"]
    for p in result["pages"]:
        met = (p["warm_charts_s"] <= TARGET_PAINT_S and p["cold_charts_s"] <= TARGET_PAINT_S
               and p["interaction_max_s"] <= TARGET_INTERACTION_S)
        lines.append(f"| {p['name']} | `{p['path']}` | {p['cold_fcp_s']} / {p['cold_charts_s']} | "
                     f"{p['warm_fcp_s']} / {p['warm_charts_s']} | {p['interaction']} | "
                     f"{p['interaction_median_s']} | {p['interaction_max_s']} | "
                     f"{'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--repeats", type=int, default=3, help="interactions each way")
    args = parser.parse_args(argv)
    result = run(args.repeats)
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
